"""The bundle on hand-written run folders: which eval is the base's, which model is the final one, where a moved
folder's paths point, what the base model was, which traces distillation read, which alert files exist, and how
many sessions a resumed stage took. No training: each test writes the stage.json and summary.json files it needs."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from safealign.card import load_run
from safealign.runs import write_json


def summary(refused: float) -> dict:
    entry = {"value": refused, "low": max(0.0, refused - 0.05), "high": min(1.0, refused + 0.05), "n": 200}
    return {
        "suites": {"harmful": {"kind": "harmful", "metrics": {"held_out": {"refusal_rate": entry}}}},
        "config": {},
    }


def stage(
    run: Path,
    folder: str,
    parent: str,
    *,
    at: Path | None = None,
    refused: float = 0.5,
    model: bool = True,
    **record,
) -> None:
    """``<folder>/stage.json`` as the stage writes it, ``at`` the place the run folder had when it ran. A training stage
    gets its model folder (unless ``model`` is False), an eval its summary.json."""
    at = at or run
    (run / folder).mkdir(parents=True, exist_ok=True)
    if folder.startswith("eval/"):
        output = at / folder / "summary.json"
        write_json(run / folder / "summary.json", summary(refused))
    elif folder == "sample":
        output = at / folder / "traces.jsonl"
    else:
        output = at / folder / "model"
        if model:
            (run / folder / "model").mkdir()
    write_json(
        run / folder / "stage.json",
        {
            "stage": folder.replace("eval/", "eval:"),
            "parent": parent,
            "output": str(output),
            "seed": 1,
            "wall_time_s": 1.0,
        }
        | record,
    )


def language_eval(run: Path, label: str, shares: list[float], low: float | None = None) -> None:
    """eval/<label>'s samples.jsonl, a language suite answered with these shares of words in the prompt's language, and
    its summary.json; ``low``: the mean share's lower bound as an older metric code stored it."""
    from safealign.evals.runner import suite_metrics

    samples = [
        {
            "suite": "language",
            "id": f"l{i}",
            "split": "held_out",
            "language": "fr",
            "scores": {"language_share": share, "mixed": share < 0.5},
        }
        for i, share in enumerate(shares)
    ]
    (run / f"eval/{label}/samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    metrics = {name: rate.to_dict() for name, rate in suite_metrics("language", samples).items()}
    if low is not None:
        metrics["language_share"]["low"] = low
    suite = {"kind": "language", "n_items": len(shares), "metrics": {"held_out": metrics}}
    write_json(run / f"eval/{label}/summary.json", {"suites": {"language": suite}, "config": {}})


def new_run(root: Path, model: str = "tiny") -> Path:
    run = root / "runs" / "tr"
    run.mkdir(parents=True)
    (run / "recipe.yaml").write_text(f"name: tr\noutput_dir: {root / 'runs'}\nmodel: {{name: '{model}'}}\n")
    return run


def test_without_a_base_eval_no_other_eval_passes_for_the_base_models(tmp_path, card):
    """eval/base missing: the card gave eval/sft's scores as the base model's, and listed the RL model's losses
    against the SFT model as losses against the base model."""
    from safealign.card.summary import overview, regressions

    run = new_run(tmp_path)
    stage(run, "sft", "tiny")
    stage(run, "eval/sft", str(run / "sft/model"), refused=0.9)
    stage(run, "rl", str(run / "sft/model"))
    stage(run, "eval/rl", str(run / "rl/model"), refused=0.2)
    folder = load_run(run)
    assert overview(folder)["base_eval"] is None and regressions(folder) == []
    text = card(run)
    assert "(base:" not in text and "Where the final model does worse" not in text
    assert "no base-model scores to compare with: `eval/base/summary.json` is missing" in text
    assert "**No baseline.** The base model's eval (`eval/base/summary.json`) is missing" in text
    report = (run / "report.html").read_text()
    assert "<th>base model</th>" not in report and "eval/None" not in report

    stage(run, "eval/base", "tiny", refused=0.6)  # with it, the base is eval/base, not the first eval listed
    folder = load_run(run)
    assert overview(folder)["base_eval"] == "base" and [r["base"]["value"] for r in regressions(folder)] == [
        0.6
    ]


def test_the_final_model_is_the_last_finished_stage_on_disk_not_a_stale_pipeline_json(tmp_path, card):
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny")
    stage(run, "sft", "tiny")
    stage(run, "eval/sft", str(run / "sft/model"))
    # RL deleted and rerun: the rerun crashed before its first checkpoint (no stage.json, no model); pipeline.json is
    # the earlier run's
    (run / "rl").mkdir()
    write_json(run / "pipeline.json", {"final_model": str(run / "rl/model")})
    assert "| **Final model** | `sft/model` (scores from `eval/sft/summary.json`) |" in card(run)

    # RL finished, then `safealign distill --traces ...` by hand: pipeline.json still names RL's model
    stage(run, "rl", str(run / "sft/model"))
    stage(run, "eval/rl", str(run / "rl/model"))
    stage(run, "distill", str(run / "rl/model"))
    folder = load_run(run)
    assert (folder.final_model, folder.final_eval) == (str(run / "distill/model"), None)
    # a run folder shared without its weights still describes the model it trained
    (run / "distill/model").rmdir()
    assert load_run(run).final_stage == "distill"


def test_a_moved_and_resumed_run_folder_shows_its_own_paths(tmp_path, card):
    """Renamed from runs/tr to archive/tr_v2 and resumed there: the rerun rewrote recipe.yaml, and the card pointed
    the stages that ran before the move at the old folder."""
    old, run = tmp_path / "runs" / "tr", tmp_path / "archive" / "tr_v2"
    run.mkdir(parents=True)
    (run / "recipe.yaml").write_text(
        f"name: tr_v2\noutput_dir: {tmp_path / 'archive'}\nmodel: {{name: tiny}}\n"
    )
    stage(run, "eval/base", "tiny", at=old)
    stage(run, "sft", "tiny", at=old)
    stage(run, "rl", str(old / "sft/model"), at=old)
    stage(run, "sample", str(old / "rl/model"), at=old)
    stage(
        run, "eval/rl", str(old / "rl/model")
    )  # ran after the move, from the model RL recorded at the old place
    from safealign.card.report import stage_table
    from safealign.card.summary import stage_details

    folder = load_run(run)
    shown = {(d["key"], d["parent"], d["output"]) for d in stage_details(folder)}
    assert shown == {
        ("sft", "tiny", "sft/model"),
        ("rl", "sft/model", "rl/model"),
        ("sample", "rl/model", "sample/traces.jsonl"),
    }
    assert next(r for r in stage_table(folder) if r["key"] == "eval:rl")["parent"] == "rl/model"
    assert folder.rel(folder.final_model) == "rl/model"
    text = card(run)
    assert str(old) not in text and "**Starts from:** `sft/model`; **writes:** `rl/model`" in text


def test_the_base_model_is_the_one_the_kept_stages_started_from(tmp_path, card):
    """model.name changed to tiny:5 and the run rerun with its stages kept: recipe.yaml names tiny:5, the stages tiny."""
    run = new_run(tmp_path, model="tiny:5")
    stage(run, "eval/base", "tiny")
    stage(run, "sft", "tiny")
    assert load_run(run).base_model == "tiny"
    front_matter = card(run).split("---")[1]
    assert "base_model: tiny\n" in front_matter
    (run / "eval/base/stage.json").unlink()  # no base eval: the first training stage's starting model
    assert load_run(run).base_model == "tiny"
    write_json(
        run / "sft/stage.json",
        {"stage": "sft", "parent": str(run / "rl/model"), "output": str(run / "sft/model")},
    )
    assert (
        load_run(run).base_model == "tiny:5"
    )  # a model of this run is not the base: the recipe's is all there is


def test_distillation_names_the_traces_it_read(tmp_path):
    """`safealign distill --traces mine.jsonl`: the card said the traces were sample/traces.jsonl."""
    from safealign.card.data_card import training_datasets
    from safealign.card.summary import transfer_set

    run = new_run(tmp_path)
    mine = tmp_path / "elsewhere" / "mine.jsonl"
    mine.parent.mkdir()
    mine.write_text(
        json.dumps(
            {
                "kind": "benign",
                "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            }
        )
        + "\n"
    )
    traces = {"rows": 1, "sha256": "abc", "sources": [{"name": str(mine), "path": str(mine), "rows_used": 1}]}
    stage(run, "distill", "tiny", inputs={"traces": traces})
    write_json(run / "distill/config.json", {"traces": str(mine)})
    folder = load_run(run)
    assert transfer_set(folder, traces).startswith(f"1 rows (teacher traces ({mine}) 1)")
    [entry] = training_datasets(folder)
    assert entry["name"] == str(mine) and "not sampled by this run" in entry["how"]

    (run / "distill/config.json").unlink()  # older runs: the mixture's first source is the traces
    inside = run / "sample" / "traces.jsonl"
    write_json(
        run / "distill/data_mixture.json",
        {"sources": [{"name": str(inside), "path": str(inside), "rows_used": 1}]},
    )
    write_json(
        run / "distill/stage.json", json.loads((run / "distill/stage.json").read_text()) | {"inputs": {}}
    )
    from safealign.card.summary import traces_file

    assert traces_file(load_run(run)) == "sample/traces.jsonl"


def test_rl_alerts_jsonl_is_cited_only_when_it_exists(tmp_path, card):
    run = new_run(tmp_path)
    stage(run, "rl", "tiny")
    write_json(
        run / "rl/alerts.json", []
    )  # the final audit; alerts.jsonl is written only when an alert fires live
    text = card(run)
    assert (
        "rl/alerts.jsonl" not in text and "none fired during training; final audit: `rl/alerts.json`" in text
    )
    alert = {"detector": "length_blowup", "severity": "warning", "step": 2, "message": "longer"}
    (run / "rl/alerts.jsonl").write_text(json.dumps(alert) + "\n")
    assert "on the RL training stream: `rl/alerts.jsonl`; final audit: `rl/alerts.json`" in card(run)


def test_a_resumed_stage_says_how_many_sessions_its_wall_time_counts(tmp_path, card):
    from safealign.card.stage_readme import stage_readme

    run = new_run(tmp_path)
    stage(run, "sft", "tiny", wall_time_s=700.0, sessions=2, earlier_sessions_s=[400.0])
    stage(run, "eval/sft", str(run / "sft/model"), wall_time_s=5.0, sessions=1)
    text = card(run)
    assert (
        "| `sft` | done | 700.0 s (11.7 min) (2 sessions) |" in text
        and "| `eval:sft` | done | 5.0 s |" in text
    )
    assert "**wall time:** 700.0 s (11.7 min) (2 sessions)" in text
    assert "700.0 s (11.7 min) (2 sessions)" in (run / "report.html").read_text()
    record = json.loads((run / "sft/stage.json").read_text()) | {"metrics": {}, "inputs": {}}
    assert "| wall time | 700.0 s (11.7 min) (2 sessions) |" in stage_readme(record)


def test_a_runs_eval_folder_is_not_read_as_a_run(tmp_path):
    """`safealign card RUN/eval` read eval/sft/stage.json as the SFT stage and wrote a false card into eval/."""
    from safealign.card import write_bundle
    from safealign.errors import SafealignError

    for label in ("base", "sft"):
        write_json(
            tmp_path / "run" / "eval" / label / "stage.json",
            {"stage": f"eval:{label}", "status": "done", "output": "x"},
        )
    with pytest.raises(SafealignError, match="no recipe.yaml and no finished stage"):
        write_bundle(tmp_path / "run" / "eval")
    assert not (tmp_path / "run" / "eval" / "README.md").exists()


def test_an_eval_scored_by_older_metric_code_is_scored_again_from_its_samples(tmp_path, caplog):
    """eval/base kept from before c0c7e74 (a mean's interval narrower than Wilson's): the card read its stored 92.6%
    [82.5%, 100%] and called the final model's 60.0% [40.4%, 76.9%] worse beyond noise. From its samples.jsonl the
    interval is [75.3%, 100%]: the two overlap."""
    from safealign.card.summary import regressions

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny")
    stage(run, "sft", "tiny")
    stage(run, "eval/sft", str(run / "sft/model"))
    language_eval(run, "base", [1.0] * 22 + [0.11] * 2, low=0.825)
    language_eval(run, "sft", [1.0] * 12 + [0.2] * 12)
    folder = load_run(run)
    with caplog.at_level(logging.WARNING):
        share = folder.evals["base"]["suites"]["language"]["metrics"]["held_out"]["language_share"]
    assert round(share["low"], 3) == 0.753 and round(share["value"], 3) == 0.926
    assert (
        "eval/base/summary.json disagrees with its samples.jsonl" in caplog.text
        and "eval/sft" not in caplog.text
    )
    [row] = [r for r in regressions(folder) if r["name"] == "mean share of words in the prompt's language"]
    assert row["base"]["low"] == share["low"] and not row["beyond_noise"]


def test_a_run_folder_without_the_final_models_weights_is_said_to_lack_them(tmp_path, caplog):
    """A copy of the quickstart without distill/model/*.safetensors got a card without a word about it."""
    run = new_run(tmp_path)
    stage(run, "sft", "tiny")
    (run / "sft/model/model.safetensors").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        load_run(run)
    assert "weights" not in caplog.text
    (run / "sft/model/model.safetensors").unlink()
    with caplog.at_level(logging.WARNING):
        load_run(run)
    assert f"the final model's weights are not in {run / 'sft/model'}" in caplog.text


def test_the_system_prompt_paragraph_needs_an_eval_of_the_final_model(tmp_path, card):
    """eval/sft missing: the card said the final model was asked with another system prompt than it was trained with,
    "Asked with no system prompt", of a model it never asked anything."""
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny")
    stage(run, "sft", "tiny", inputs={"system_prompt": "Be safe."})
    assert "asked with another system prompt" not in card(run)
    stage(run, "eval/sft", str(run / "sft/model"))  # asked with no system prompt: now the card says so
    assert "**The final model was asked with another system prompt than it was trained with**" in card(run)


def test_a_folder_without_recipe_yaml_does_not_say_a_stage_is_not_in_the_recipe(tmp_path, card):
    """`safealign sft RECIPE` alone writes no recipe.yaml: the card said `rl` was "not in the recipe" of a recipe that
    has it."""
    run = new_run(tmp_path)
    (run / "recipe.yaml").unlink()
    stage(run, "sft", "tiny")
    text = card(run)
    assert "not in the recipe" not in text
    assert "`rl` (not run; the folder holds no recipe.yaml to say whether the recipe has it)" in text


def test_a_card_written_from_inside_the_run_folder_keeps_the_final_models_ancestry(tmp_path, monkeypatch):
    """`safealign card .`: the folder's place now was ".", no recorded path anchored to it, and the card said the SFT
    stage was not part of the final model (its data left out, the lineage's model nodes absolute)."""
    run = new_run(tmp_path)
    stage(run, "sft", "tiny")
    stage(run, "rl", str(run / "sft/model"))
    monkeypatch.chdir(run)
    folder = load_run(".")
    assert folder.ancestry == ["sft", "rl"] and folder.rel(folder.final_model) == "rl/model"
    assert folder.name == "tr"


def test_a_path_outside_the_run_with_the_runs_name_in_it_is_not_the_runs(tmp_path):
    """/data/tr/train.jsonl was shown as run tr's train.jsonl, and a base model under a folder named tr was taken
    for one of the run's models."""
    run = new_run(tmp_path)
    base = str(tmp_path / "models" / "tr" / "checkpoint")
    stage(run, "sft", base)
    folder = load_run(run)
    data = str(tmp_path / "data" / "tr" / "train.jsonl")
    assert folder.rel(data) == data and folder.base_model == base
    assert (
        folder.rel(str(tmp_path / "old" / "tr" / "sft" / "model")) == "sft/model"
    )  # a moved run's stage folder


def test_a_users_readme_is_kept_after_a_card_run_stopped_after_lineage_json(tmp_path, card, monkeypatch):
    """The first card run wrote lineage.json (creating the record) and was stopped (Ctrl-C, a DataError): the next one
    took the user's README.md, older than the record, for a file an earlier card wrote, and replaced it with no copy."""
    import safealign.card as bundle

    run = new_run(tmp_path)
    stage(run, "sft", "tiny")
    (run / "README.md").write_text("# my own notes\n")

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(bundle, "write_model_card", stopped)
        with pytest.raises(KeyboardInterrupt):
            bundle.write_bundle(run)
    assert (run / "lineage.json").is_file() and (run / "README.md").read_text() == "# my own notes\n"
    card(run)
    kept = list(run.glob("README.edited-*.md"))
    assert len(kept) == 1 and kept[0].read_text() == "# my own notes\n"


def test_only_an_unrecorded_lineage_json_of_the_cards_schema_is_taken_for_the_cards(tmp_path):
    import os

    from safealign.card.run_folder import WRITTEN_RECORD, write_card_file

    write_card_file(tmp_path / "DATA_CARD.md", "# data\n")  # a record that names no lineage.json
    lineage = tmp_path / "lineage.json"
    for text, replaced in (
        ('{"schema": "safealign.lineage/1", "run": "x"}', True),
        ('{"my_note": "keep"}', False),
    ):
        lineage.write_text(text)
        os.utime(lineage, (1_790_000_000, 1_790_000_000))
        os.utime(tmp_path / WRITTEN_RECORD, (1_790_000_005, 1_790_000_005))
        kept = write_card_file(lineage, '{"schema": "safealign.lineage/1", "run": "now"}')
        assert (kept is None) == replaced and (replaced or kept.read_text() == text)
        (tmp_path / WRITTEN_RECORD).write_text(json.dumps({"DATA_CARD.md": "x"}))


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        (
            "sft: [1, 2]",
            "recipe.yaml: 'sft' is a YAML list ([1, 2]), where a recipe has a mapping of the sft section",
        ),
        (
            "model: tiny",
            "recipe.yaml: 'model' is a YAML str ('tiny'), where a recipe has a mapping of the model section",
        ),
    ],
)
def test_a_recipe_section_that_is_not_a_mapping_names_recipe_yaml(tmp_path, recipe, message):
    """`sft: [1,2]` was an AttributeError traceback, `model: tiny` blamed a stage.json, summary.json or log."""
    from safealign.errors import DataError

    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.yaml").write_text(f"name: run\n{recipe}\n")
    with pytest.raises(DataError, match=re.escape(message)):
        load_run(run)


def test_decontamination_is_not_called_clean_when_a_training_file_was_not_checked(tmp_path):
    """The SFT file was rewritten after training: the data card said "0 exact matches, 0 n-gram overlaps — clean" of
    0 turns checked."""
    from safealign.card.data_card import data_card_context, decontamination_verdict, write_data_card

    run = new_run(tmp_path)
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    source = {"name": "train.jsonl", "path": str(data), "sha256": "0" * 64, "rows_in_file": 1, "rows_used": 1}
    stage(run, "sft", "tiny", inputs={"data": {"rows": 1, "sources": [source]}})
    checked = data_card_context(load_run(run))["decontamination"]
    assert (
        checked["not_checked"] == ["train.jsonl"]
        and checked["train_items"] == 0
        and checked["per_file"] == {}
    )
    assert checked["verdict"] == "nothing checked: train.jsonl missing or changed since training"
    card = write_data_card(load_run(run), data_card_context(load_run(run))).read_text()
    assert "— nothing checked: train.jsonl missing" in card and "— clean" not in card
    assert decontamination_verdict(True, [], 2) == "clean"
    assert decontamination_verdict(True, ["a.jsonl"], 2).startswith(
        "no match in the files checked, but a.jsonl not"
    )
    assert decontamination_verdict(False, ["a.jsonl"], 2) == "not clean"


def test_a_run_carded_as_dot_without_a_recipe_name_is_named_after_its_folder(tmp_path, monkeypatch):
    """`safealign card .` on a run whose recipe.yaml has no name: the run is named after its folder, not "."."""
    run = new_run(tmp_path)
    (run / "recipe.yaml").write_text(f"output_dir: {tmp_path / 'runs'}\nmodel: {{name: 'tiny'}}\n")
    stage(run, "sft", "tiny")
    monkeypatch.chdir(run)
    assert load_run(".").name == "tr"


def test_a_file_at_the_top_of_a_moved_run_is_the_runs(tmp_path):
    """A path recorded at the top of the run folder before it moved is shown relative to the run."""
    run = new_run(tmp_path)
    stage(run, "sft", "tiny")
    folder = load_run(run)
    assert folder.rel(str(tmp_path / "elsewhere" / "runs" / "tr" / "train.jsonl")) == "train.jsonl"
