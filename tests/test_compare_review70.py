"""Review 70 of the ablation (safealign.compare) and eval-arms: gate rows that are no check of the model read as the RL
arm's history; eval-arms errors that named no folder.

No training: each test writes the run-folder files it needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_compare import fake_eval, fake_stage
from test_eval_diff import _arm

from safealign.compare import write_ablation
from safealign.errors import DataError
from safealign.evals.arms import compare_arms
from safealign.runs import write_json


def gate(step: int, action: str, rolled_back_to: int | None = None) -> dict[str, Any]:
    """A ``gates.jsonl`` row; a rollback when ``rolled_back_to`` is given."""
    return {
        "step": step,
        "passed": rolled_back_to is None,
        "action": action,
        "metrics": {"refusal": 0.8, "over_refusal": 0.25, "accuracy": 0.25},
        "rolled_back_to": rolled_back_to,
        "reason": "stage start" if action == "baseline" else "within tolerance",
    }


def hybrid_with_gates(run: Path, rows: list[dict[str, Any]], **record: Any) -> str:
    """A run with SFT then RL whose ``rl/gates.jsonl`` holds ``rows``: the hybrid arm's description."""
    for arm in ("base", "sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.3)
    fake_stage(run / "sft", 1, 10)
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "parent": str(run / "sft" / "model"), "wall_time_s": 1} | record,
    )
    (run / "rl" / "gates.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return next(row["description"] for row in write_ablation(run)["arms"] if row["arm"] == "hybrid")


def test_a_stop_an_older_safealign_kept_after_a_resume_is_not_the_hybrids(tmp_path: Path) -> None:
    """Before 53d52c7 a resumed stage appended its checks after those its crash undid: the first session's stop at step
    20 (undone) stayed beside the resumed session's pass at 20 and 30, and compare called the hybrid "a gate stopped
    GRPO at step 20, rolled back to step 10", where the card (gate_history, bfaa286) says it trained to step 30."""
    rows = [
        gate(0, "baseline"),
        gate(10, "pass"),
        gate(20, "rollback+stop", 10),
        gate(20, "pass"),
        gate(30, "pass"),
    ]
    metrics = {"tokens": 10, "steps": 30, "gate_events": 4, "rollbacks": 0}
    assert (
        hybrid_with_gates(tmp_path / "run", rows, config={"max_steps": 30}, metrics=metrics)
        == "SFT then GRPO"
    )


def test_a_stop_a_crash_undid_under_gates_turned_off_is_not_the_hybrids(tmp_path: Path) -> None:
    """The first session's check at step 20 rolled back to 10 and stopped, its checkpoint-20 never saved; the stage
    resumed from checkpoint-10 with its gates off (no gate to drop the undone row) and trained to step 20."""
    rows = [gate(0, "baseline"), gate(10, "pass"), gate(20, "rollback+stop", 10)]
    record = {
        "config": {"max_steps": 20, "gates": {"enabled": False}},
        "metrics": {"tokens": 10, "steps": 20, "gate_events": 0, "rollbacks": 0},
        "inputs": {"resumed_from": "runs/tr/rl/checkpoint-10"},
    }
    assert hybrid_with_gates(tmp_path / "run", rows, **record) == "SFT then GRPO"
    # the stop is the stage's own when it is its history: said as before
    rows = [gate(0, "baseline"), gate(10, "pass"), gate(20, "rollback+stop", 10)]
    record = {
        "config": {"max_steps": 30},
        "metrics": {"tokens": 10, "steps": 20, "gate_events": 3, "rollbacks": 1},
    }
    said = hybrid_with_gates(tmp_path / "run2", rows, **record)
    assert said == "SFT then GRPO (a gate stopped GRPO at step 20, rolled back to step 10)"


def keep_only(folder: Path, suites: dict[str, str], answered: set[str] | None = None) -> None:
    """The eval folder's summary.json lists only ``suites`` (name -> kind); its samples.jsonl keeps the answers of
    ``answered`` (None: of every suite it lists)."""
    answered = set(suites) if answered is None else answered
    rows = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]
    kept = [row for row in rows if row["suite"] in answered]
    (folder / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in kept))
    (folder / "summary.json").write_text(json.dumps({"suites": {n: {"kind": k} for n, k in suites.items()}}))


def test_eval_arms_names_the_folder_without_answers_of_the_suite_they_list(tmp_path: Path) -> None:
    """One run's summary listed harmful and its samples.jsonl held none of its answers: "the 4 eval folders share no
    suite with a per-item outcome", though all four list it, naming no folder."""
    runs = _arm(tmp_path, "r", refused=[8, 7, 6, 5], over=[0, 1, 2, 1])
    for folder in runs:
        keep_only(folder, {"harmful": "harmful"}, set() if folder == runs[3] else None)
    with pytest.raises(DataError) as raised:
        compare_arms(runs[:2], runs[2:])
    assert str(raised.value) == (
        "the 4 eval folders share no suite with a per-item outcome (harmful, borderline, reasoning, format, "
        f"language): suite harmful: {runs[3]} lists it in summary.json but holds no answer of it in samples.jsonl. "
        "Compare runs evaluated on the same suites, or leave those folders out"
    )
    # a suite one folder did not score, and one whose split another folder lacks, are named per folder
    keep_only(runs[3], {"reasoning": "reasoning"})
    rows = [json.loads(line) for line in (runs[1] / "samples.jsonl").read_text().splitlines()]
    (runs[1] / "samples.jsonl").write_text(
        "".join(json.dumps(row | {"split": "in_distribution"}) + "\n" for row in rows)
    )
    with pytest.raises(DataError) as raised:
        compare_arms(runs[:2], runs[2:], split="held_out")
    said = str(raised.value)
    assert (
        f"on the held_out split: suite harmful: {runs[1]} holds no held_out item of it, {runs[3]} did not"
        in said
    )
    assert (
        f"; suite reasoning: {runs[0]} did not score it, {runs[1]} did not score it, {runs[2]} did not"
        in said
    )


def test_eval_arms_names_the_runs_that_scored_other_items(tmp_path: Path) -> None:
    """ "suite reasoning: no item is scored by every run" named no run: each run's count, and two that share none."""
    runs = _arm(tmp_path, "r", refused=[8, 7, 6, 5], over=[0, 1, 2, 1])
    rows = [json.loads(line) for line in (runs[2] / "samples.jsonl").read_text().splitlines()]
    for row in rows:
        row["id"] = f"other-{row['id']}" if row["suite"] == "reasoning" else row["id"]
    (runs[2] / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(DataError) as raised:
        compare_arms(runs[:2], runs[2:])
    assert str(raised.value) == (
        "suite reasoning: no item is scored by every run (different --limit, --seed or --split): "
        + ", ".join(f"4 items in {folder}" for folder in runs)
        + f", and {runs[0]} and {runs[2]} share none; evaluate every run with the same --limit, --seed and --split"
    )


def test_a_hybrid_whose_training_ended_on_a_rollback_says_so(tmp_path: Path) -> None:
    """The last gate check (step 20, the stage's last step) rolled back to the baseline's step 0 and training ended: the
    card says "rl/model holds step 0's weights", and compare called the arm "SFT then GRPO" though it is the SFT model,
    unchanged (it said so only of a rollback with +stop)."""
    record = {
        "config": {"max_steps": 20},
        "metrics": {"tokens": 10, "steps": 20, "gate_events": 2, "rollbacks": 1},
    }
    rows = [gate(0, "baseline"), gate(20, "rollback+lower_lr", 0)]
    assert hybrid_with_gates(tmp_path / "a", rows, **record) == (
        "SFT then GRPO (the last gate check rolled GRPO back to its start and training ended: this is the SFT "
        "model, unchanged)"
    )
    rows = [gate(0, "baseline"), gate(10, "pass"), gate(20, "rollback+lower_lr", 10)]
    assert hybrid_with_gates(tmp_path / "b", rows, **record) == (
        "SFT then GRPO (the last gate check, at step 20, rolled GRPO back to step 10 and training ended)"
    )
    # a rollback with steps after it trained on from there: no note
    record["metrics"]["steps"] = record["config"]["max_steps"] = 30
    assert hybrid_with_gates(tmp_path / "c", rows, **record) == "SFT then GRPO"


def test_a_student_that_is_no_pruned_copy_of_its_teacher_is_not_called_pruned(tmp_path: Path) -> None:
    """distill.student can be a model of its own (not prune:<fraction>): compare called it "the pruned student"."""
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl", "student"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.3)
    for stage in ("sft", "rl", "sample"):
        fake_stage(run / stage, 1, 10)
    record = {
        "stage": "distill",
        "parent": str(run / "rl" / "model"),
        "wall_time_s": 1,
        "metrics": {"tokens": 10},
    }
    write_json(run / "distill" / "stage.json", record | {"config": {"student": "models/small|v2"}})
    student = next(row for row in write_ablation(run)["arms"] if row["arm"] == "student")
    assert student["description"] == "hybrid teacher distilled into the student models/small|v2"
    assert "| student | hybrid teacher distilled into the student models/small\\|v2 |" in (
        run / "ablation.md"
    ).read_text(encoding="utf-8")
    write_json(run / "distill" / "stage.json", record | {"config": {"student": "prune:0.5"}})
    student = next(row for row in write_ablation(run)["arms"] if row["arm"] == "student")
    assert student["description"] == "hybrid teacher distilled into the pruned student"
