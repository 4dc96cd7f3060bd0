"""Review 64 of the transparency bundle: the report's bars of a dev split, the distillation and SFT settings the card
shows against those the stages trained with, lineage.json's node of a training file that changed between two stages,
and the data card's opening line when a training file is gone.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import re

from test_card_provenance import T0, new_run, rate, stage

from safealign.card import load_run
from safealign.card.lineage import build_lineage
from safealign.card.plots import eval_bars
from safealign.card.summary import stage_details


def _bar_row(suite: str, split: str, split_name: str) -> dict:
    return {
        "suite": suite,
        "kind": "harmful",
        "metric": "refusal_rate",
        "name": "harmful requests refused",
        "title": f"{suite}: harmful requests refused",
        "higher_is_better": True,
        "split": split,
        "split_name": split_name,
        "values": {"base": rate(5), "sft": rate(12)},
        "headline": True,
        "overview": True,
    }


def test_a_dev_split_bar_is_not_drawn_as_an_in_distribution_one():
    """The report's caption reads plain bars as in-distribution, hatched as held-out: a dev suite's panel (the `dev`
    group) drew plain bars and named no split, and a panel of in-distribution and dev bars drew both plain, its legend
    two identical patches."""
    svg = eval_bars([_bar_row("harmful_dev", "dev", "dev")], ["base", "sft"])
    assert "(dev; higher is better)" in re.findall(r"<text[^>]*>([^<]*)</text>", svg)

    mixed = [_bar_row("mix", "in_distribution", "in-distribution"), _bar_row("mix", "dev", "dev")]
    svg = eval_bars(mixed, ["base", "sft"])
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "in-distribution" in texts and "dev" in texts  # the legend names both
    assert "<pattern" in svg  # and the dev bars are hatched, not plain as the in-distribution ones


def _distill_details(tmp_path, configured: str, trained: str) -> dict:
    run = new_run(tmp_path / f"{configured}-{trained}")
    config = {
        "mode": configured,
        "alpha": 0.5,
        "temperature": 1.0 if configured == "sequence" else 2.0,
        "divergence_beta": 0.0 if configured == "sequence" else 1.0,
        "student": "prune:0.5",
        "learning_rate": 1e-4,
        "max_steps": 2,
        "batch_size": 2,
    }
    stage(run, "distill", "tiny", T0, config=config, metrics={"mode": trained, "steps": 2})
    return next(d for d in stage_details(load_run(run)) if d["key"] == "distill")["hyperparameters"]


def test_distillation_shows_the_kd_settings_of_the_mode_it_trained_in(tmp_path):
    """The card showed "KD weight alpha 0.5" for a logit distillation, which trains on the KD loss alone (the stage
    passes alpha 1), and KD settings for a sequence one (also a `both` that fell back to it for a student of another
    tokenizer), which computes no KD loss; the divergence (forward or reverse KL) was not shown."""
    logit = _distill_details(tmp_path, "logit", "logit")
    assert logit["KD weight alpha"] == "1 (the KD loss alone)", logit
    assert (
        logit["KD temperature"] == 2.0 and logit["KD divergence beta (0: forward KL, 1: reverse KL)"] == 1.0
    )

    for configured in ("sequence", "both"):
        sequence = _distill_details(tmp_path, configured, "sequence")
        assert "KD weight alpha" not in sequence and "KD temperature" not in sequence, sequence
        assert sequence["logit KD"].startswith("off (sequence mode"), sequence

    both = _distill_details(tmp_path, "both", "both")
    assert both["KD weight alpha"] == 0.5 and both["KD temperature"] == 2.0, both


def test_an_sft_stage_that_froze_layers_is_not_called_full_fine_tuning_of_every_layer(tmp_path):
    """sft.freeze_layers keeps the first N decoder layers as the parent's: the card said "full fine-tuning"."""
    run = new_run(tmp_path)
    stage(
        run,
        "sft",
        "tiny",
        T0,
        config={"method": "full", "freeze_layers": 20, "train_embeddings": False, "max_steps": 2},
    )
    method = next(d for d in stage_details(load_run(run)) if d["key"] == "sft")["method"]
    assert method.endswith(
        "full fine-tuning (first 20 decoder layers and token embeddings and output head frozen)"
    ), method


def test_lineage_gives_a_training_file_changed_between_two_stages_a_node_per_version(tmp_path):
    """SFT and distillation (its transfer_data) read data/chat.jsonl, edited between them: lineage.json had one node
    for it with SFT's sha256 and row count, and the distillation's edge pointed there."""
    run = new_run(tmp_path)

    def source(sha256: str, rows: int) -> dict:
        return {
            "name": "data/chat.jsonl",
            "path": "/abs/data/chat.jsonl",
            "sha256": sha256,
            "rows_in_file": rows,
            "rows_used": rows,
        }

    stage(
        run, "sft", "tiny", T0, inputs={"data": {"rows": 8, "sha256": "m1", "sources": [source("a" * 64, 8)]}}
    )
    def distill_reads(sha256: str, rows: int) -> None:
        stage(
            run,
            "distill",
            str(run / "sft/model"),
            T0 + 20,
            config={"student": "prune:0.5", "mode": "both"},
            inputs={"traces": {"rows": rows, "sha256": "m2", "sources": [source(sha256, rows)]}},
        )

    distill_reads("b" * 64, 12)
    lineage = build_lineage(load_run(run))
    nodes = {node["id"]: node for node in lineage["nodes"]}
    read = {edge["stage"]: nodes[edge["from"]] for edge in lineage["edges"] if "chat" in edge["from"]}
    assert read["sft"]["sha256"] == "a" * 64 and read["sft"]["rows"] == 8
    assert read["distill"]["sha256"] == "b" * 64 and read["distill"]["rows"] == 12

    # the same version read twice is one node
    distill_reads("a" * 64, 8)
    lineage = build_lineage(load_run(run))
    assert len([node for node in lineage["nodes"] if "chat" in node["id"]]) == 1


def test_the_data_card_does_not_say_a_training_file_gone_since_training_still_matches(tmp_path, card):
    """A training file deleted since training (flagged "file missing now" in its row) was covered by the opening line's
    "all recorded files still match"; the report's data table did not flag it at all."""
    run = new_run(tmp_path)
    gone = tmp_path / "gone.jsonl"
    listed = {"name": str(gone), "path": str(gone), "sha256": "a" * 64, "rows_in_file": 8, "rows_used": 8}
    stage(run, "sft", "tiny", T0, inputs={"data": {"rows": 8, "sha256": "m", "sources": [listed]}})
    card(run)
    opening = " ".join((run / "DATA_CARD.md").read_text().split("## Training data")[0].split())
    assert "still match" not in opening, opening
    assert "and **1 file(s) missing now** (not hashed), marked below." in opening, opening
    data = (run / "report.html").read_text().split('<section id="data">')[1].split("</table>")[0]
    assert "gone.jsonl" in data and "file missing now" in data, data


def test_the_gate_chart_names_its_y_axis() -> None:
    # the reward and loss charts named theirs; the gates' percent axis had none
    from safealign.card import plots

    gate = {"step": 0, "passed": True, "action": "baseline", "metrics": {"refusal": 0.8, "over_refusal": 0.2}}
    svg = plots.gate_timeline([gate], [{"step": 1, "rewards/accuracy/mean": 0.1}])
    assert svg is not None and "rate (share of items or completions)" in svg


def test_an_rl_stage_that_stopped_before_its_first_gate_check_is_not_said_to_have_had_gates_off(tmp_path):
    from test_card_provenance import sft_run

    from safealign.card import write_bundle

    run = sft_run(tmp_path)
    (run / "rl").mkdir()  # started, stopped before its baseline gate check: no stage.json, no gates.jsonl
    card = (write_bundle(run)["model_card"]).read_text(encoding="utf-8")
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "the RL stage stopped before its first gate check" in card and "gates were off" not in card
    assert "stopped before its first" in report and "Gates were off" not in report

    recipe = run / "recipe.yaml"
    recipe.write_text(recipe.read_text() + "rl: {gates: {enabled: false}}\n")
    card = (write_bundle(run)["model_card"]).read_text(encoding="utf-8")
    assert "gates were off in this run" in card
