"""Review 71: a new user's journey on the tiny model (run, kill, resume, card, compare, eval, serve, monitor).

Each failed on the code it was found on; the lead fixed both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_compare import fake_eval
from test_evalcmd_review70 import _eval, _generated_tokens, _stopped_while_judging

from safealign.card.run_folder import load_run
from safealign.compare import write_ablation
from safealign.runs import write_json


def _run_distilled_on_own_traces(run: Path) -> None:
    """SFT -> RL -> a rejection sampling that kept no trace -> `safealign distill RECIPE --traces mytraces.jsonl`."""
    for label in ("base", "sft", "rl", "student"):
        fake_eval(run / "eval" / label, refusal=0.5, accuracy=0.3)
    write_json(
        run / "sft" / "stage.json",
        {"stage": "sft", "parent": "tiny", "wall_time_s": 100, "metrics": {"tokens": 1000}},
    )
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "parent": str(run / "sft" / "model"), "wall_time_s": 40, "metrics": {"tokens": 300}},
    )
    write_json(
        run / "sample" / "stage.json",
        {
            "stage": "sample",
            "parent": str(run / "rl" / "model"),
            "output": str(run / "sample" / "traces.jsonl"),
            "wall_time_s": 35,
            "metrics": {"tokens": 1158, "completion_tokens": 192, "accepted": 0, "samples": 16},
        },
    )
    write_json(
        run / "distill" / "stage.json",
        {
            "stage": "distill",
            "parent": str(run / "rl" / "model"),
            "output": str(run / "distill" / "model"),
            "wall_time_s": 36,
            "metrics": {"tokens": 2868},
            "inputs": {"traces": {"sources": [{"name": "mytraces.jsonl", "path": "mytraces.jsonl"}]}},
        },
    )


def test_compare_and_card_agree_that_a_distillation_on_own_traces_owes_nothing_to_sampling(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    _run_distilled_on_own_traces(run)
    assert "sample" not in load_run(run).ancestry  # the card: sampling made no part of the student
    student = next(row for row in write_ablation(run)["arms"] if row["arm"] == "student")
    assert (student["wall_time_s"], student["tokens"]) == (100 + 40 + 36, 1000 + 300 + 2868), student


def test_a_resumed_evals_summary_says_its_answers_were_kept_and_what_they_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stopped_while_judging(monkeypatch, tmp_path / "out")
    _eval(tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary.get("kept_answers") == summary["n_samples"], summary
    assert summary.get("kept_tokens") == _generated_tokens(tmp_path / "out"), summary
