"""Review 70 of the ablation (safealign.compare) and eval-arms: gate rows that are no check of the model read as the RL
arm's history.

No training: each test writes the run-folder files it needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_compare import fake_eval, fake_stage

from safealign.compare import write_ablation
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
