"""Review 70 of the transparency bundle: a bundle half-written by a full disk; gate rows of undone checks read as the RL
stage's history; the "widest interval" remark.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from test_card_provenance import T0, gate, new_run, rate, sft_run, stage, summary

from safealign.errors import SafealignError

BUNDLE = ("lineage.json", "README.md", "DATA_CARD.md", "report.html", ".card_written.json")


def _carded_sft_run(root: Path, card) -> tuple[Path, dict[str, bytes]]:
    """An SFT run with its bundle written, then an RL stage finished after it: the next card describes another model."""
    run = new_run(root)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20)
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40)
    card(run)
    before = {name: (run / name).read_bytes() for name in BUNDLE}
    stage(run, "rl", str(run / "sft/model"), T0 + 60, metrics={"steps": 4})
    return run, before


def test_a_full_disk_part_way_through_the_bundle_replaces_no_file(tmp_path, card, monkeypatch):
    """The disk filled while report.html was written: lineage.json, README.md and DATA_CARD.md were already the new
    card's (the RL model's) beside the old report.html (the SFT model's), a cut `.report.html.tmp` was left behind, and
    the error was a bare OSError that said nothing of the half-written bundle."""
    run, before = _carded_sft_run(tmp_path, card)
    write_text = Path.write_text

    def full(path, data, *args, **kwargs):
        if path.name == ".report.html.tmp":
            write_text(path, data[:10], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_text(path, data, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_text", full)
        with pytest.raises(SafealignError) as raised:
            card(run)
    message = str(raised.value)
    assert "could not write report.html (OSError: No space left on device)" in message
    assert "no file of the bundle (lineage.json, README.md, DATA_CARD.md, report.html) was written or replaced" in message
    assert {name: (run / name).read_bytes() for name in BUNDLE} == before
    assert not list(run.glob(".*.tmp")) and not list(run.glob("*.edited-*"))
    assert "GRPO" in card(run)  # with space again, the whole bundle is the new card's


def test_a_folder_where_a_bundle_file_goes_replaces_no_file(tmp_path, card):
    """A folder named DATA_CARD.md: lineage.json and README.md were replaced before the move onto it failed."""
    run, before = _carded_sft_run(tmp_path, card)
    (run / "DATA_CARD.md").unlink()
    (run / "DATA_CARD.md").mkdir()
    with pytest.raises(SafealignError, match=r"could not write DATA_CARD.md \(IsADirectoryError: a folder is in its place\)"):
        card(run)
    assert {name: (run / name).read_bytes() for name in BUNDLE if name != "DATA_CARD.md"} == {
        name: data for name, data in before.items() if name != "DATA_CARD.md"
    }
    assert not list(run.glob(".*.tmp"))


def _rl_with_gates(root: Path, rows: list[dict], **record) -> Path:
    run = sft_run(root)
    stage(run, "rl", str(run / "sft/model"), T0 + 60, **record)
    (run / "rl/gates.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return run


def test_a_stage_resumed_with_its_gates_off_is_not_said_to_end_on_an_undone_rollback(tmp_path, card):
    """The first session's check at step 20 rolled back to step 10, and its checkpoint-20 was never saved; the stage
    resumed from checkpoint-10 with rl.gates.enabled false (no gate to drop the undone row) and trained steps 11-20.
    The card and the stage's README said "the last gate check (step 20) rolled back to step 10 and training ended:
    rl/model holds step 10's weights (steps 11-20 discarded)" of a model trained to step 20, and the README that no
    gate evaluated the model and there is no gates.jsonl."""
    from safealign.card.stage_readme import write_stage_readme
    from safealign.runs import read_json

    rows = [gate(0, "baseline"), gate(10, "pass"), gate(20, "rollback+lower_lr", rolled_back_to=10)]
    run = _rl_with_gates(
        tmp_path,
        rows,
        config={"max_steps": 20, "gates": {"enabled": False}},
        metrics={"steps": 20, "gate_events": 0, "rollbacks": 0},
        inputs={"resumed_from": "runs/tr/rl/checkpoint-10"},
    )
    text = card(run)
    assert "discarded" not in text and "training ended" not in text
    assert "| 20 | rollback+lower_lr |" not in text and "| 10 | pass | – |" in text
    assert (
        "2 gate event(s) in `rl/gates.jsonl` (0 breaches); not counted: 1 other row(s) of the file, checks that a "
        "resumed session redid or that a crash undid, not this model's history." in text
    )
    report = (run / "report.html").read_text()
    assert "(steps 11-20 discarded)" not in report and "Not shown: 1 other row(s) of <code>rl/gates.jsonl</code>" in report
    write_stage_readme(run / "rl", read_json(run / "rl/stage.json"))
    readme = (run / "rl/README.md").read_text()
    assert "rolled back to step 10 and training ended" not in readme
    # nor "no gate evaluated the model during training, and there is no `gates.jsonl`" beside the earlier checks
    assert "there is no `gates.jsonl`" not in readme
    assert "resumed from `checkpoint-10` with its cross-validation gates off (`rl.gates.enabled: false`), so no gate" in readme
    assert "| gate checks | off (`rl.gates.enabled: false`); 2 in `gates.jsonl` from before the resume |" in readme


def test_gate_rows_an_older_safealign_kept_after_a_resume_are_not_the_stages_history(tmp_path, card):
    """Before 53d52c7 a resumed stage appended its checks after those its crash undid: the card listed the undone
    rollback at step 20 beside the resumed session's pass at step 20 ("5 gate event(s) (1 breaches)", where stage.json
    says 4 events and 0 rollbacks). The last row is the stage's last check (the highest step can be an undone one)."""
    rows = [
        gate(0, "baseline"),
        gate(10, "pass"),
        gate(20, "rollback+lower_lr", rolled_back_to=10),
        gate(20, "pass"),
        gate(30, "pass"),
    ]
    run = _rl_with_gates(tmp_path, rows, config={"max_steps": 30}, metrics={"steps": 30, "gate_events": 4, "rollbacks": 0})
    text = card(run)
    assert "4 gate event(s) in `rl/gates.jsonl` (0 breaches); not counted: 1 other row(s)" in text
    assert "| 20 | rollback+lower_lr |" not in text and "| 20 | pass | – |" in text

    # resumed from checkpoint-10, the resumed session stopped at step 20, before the undone check of step 30
    rows = [
        gate(0, "baseline"),
        gate(10, "pass"),
        gate(20, "pass"),
        gate(30, "rollback+lower_lr", rolled_back_to=20),
        gate(20, "rollback+stop", rolled_back_to=10),
    ]
    (run / "rl/gates.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    text = card(run)
    assert "stopped by the gate at step 20 (within tolerance), rolled back to step 10" in text
    assert "| 30 | rollback+lower_lr |" not in text and "| 20 | pass |" not in text


def test_the_widest_interval_remark_names_the_shown_score_it_is(tmp_path, card):
    """"The widest 95% interval in the final evaluation spans 69.9%–97.2% (n=20)": summary.json holds scores the card
    does not show (here a mean score of 50% [29.9%, 70.1%], wider), so it was not the widest of the final evaluation,
    and it named no score a reader could find. A final model with no scores was said to have "No evaluation" beside
    the base model's."""
    final = summary(refused=18, accuracy=19)
    final["suites"]["reasoning"]["metrics"]["held_out"] |= {"mean_score": rate(10, 20)}
    run = sft_run(tmp_path, sft=final)
    text = card(run)
    assert (
        "- **Small samples.** The widest 95% interval among the final model's scores in **Evaluation results** is that "
        "of harmful requests refused (held-out): 90.0% [69.9%, 97.2%] n=20, 27.3 percentage points wide; differences "
        "smaller than that are not evidence." in text
    )
    (run / "eval/sft/stage.json").unlink()
    text = card(run)
    assert "No evaluation was found" not in text
    assert "- **Small samples.** No score of the final model is in this card; the earlier models' intervals are" in text


def test_the_model_card_says_its_decontamination_counts_are_of_whole_files(tmp_path, card):
    """The quickstart's model card said "0 exact matches and 0 shared 8-grams between 2488 training turns and 1792 eval
    prompts" of a run that trained on 36 rows: the counts are of whole files, of which the stages took part (the
    reasoning file at 0.02), which only DATA_CARD.md said; a match there can be in a row never trained on."""
    from test_card_provenance import _chat

    from safealign.corpus.mixture import sha256_file

    data = tmp_path / "half.jsonl"
    data.write_text(_chat("Name a colour.") + "\n" + _chat("Name a fruit.") + "\n")
    source = {
        "name": str(data),
        "path": str(data),
        "sha256": sha256_file(data),
        "rows_in_file": 2,
        "fraction": 0.5,
        "rows_used": 1,
    }
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20, inputs={"data": {"rows": 1, "sources": [source]}})
    said = "The turns are those of whole files: the stages trained on part of "
    text = card(run)
    assert said + "`half.jsonl` (their records keep how many rows, not which), so a match there can be in a row never" in text
    report = " ".join((run / "report.html").read_text().split())
    assert said + "<code>half.jsonl</code>, so a match there can be in a row never trained on." in report


def test_a_student_of_its_own_weights_is_not_said_trained_to_refuse_by_its_teachers_training(tmp_path, card):
    """A distillation student with weights of its own (`distill.student: tiny:3`, not `prune:`) learnt from the teacher's
    traces alone, here reasoning rows only; the card said it was "trained to refuse clearly harmful requests" because
    its teacher's SFT and RL stages trained on harmful rows and safety prompts, which are in the teacher's weights, not
    in the student's. A student pruned from the teacher keeps them."""
    from safealign.runs import read_json, write_json

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20, inputs={"data": {"rows": 8, "by_kind": {"harmful": 4, "benign": 4}}})
    stage(run, "rl", str(run / "sft/model"), T0 + 40, inputs={"prompts": {"rows": 8, "tasks": {"safety": 1.0}}})
    stage(run, "sample", str(run / "rl/model"), T0 + 60)
    traces = run / "sample/traces.jsonl"
    traces.write_text("")
    mixture = {"rows": 8, "by_kind": {"reasoning": 8}, "sources": [{"name": str(traces), "path": str(traces), "rows_used": 8}]}
    stage(run, "distill", str(run / "rl/model"), T0 + 80, config={"student": "tiny:3"}, inputs={"student": "tiny:3", "traces": mixture})
    stage(run, "eval/student", str(run / "distill/model"), T0 + 100)
    text = " ".join(card(run).split())
    assert "then the answer), not trained to refuse clearly harmful requests" in text
    assert (
        "Not trained to refuse: it is a student of its own weights, taught by its teacher's traces, which hold no "
        "harmful-request rows (the `by_kind` of `distill/stage.json`); what its teacher's `sft` and `rl` stages trained "
        "is not in its weights." in text
    )

    record = read_json(run / "distill/stage.json")
    write_json(run / "distill/stage.json", record | {"config": {"student": "prune:0.5"}, "inputs": {"traces": mixture}})
    text = " ".join(card(run).split())
    assert "then the answer), trained to refuse clearly harmful requests" in text and "Not trained" not in text
