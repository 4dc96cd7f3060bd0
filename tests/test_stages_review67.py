"""The sixty-seventh review of the training callbacks and the RL/sample stages' prompt plumbing."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from test_rl_difficulty import config
from test_sample_filters import reasoning

from safealign.hacking.detectors import series
from safealign.judges import build_judges
from safealign.runs import read_jsonl
from safealign.stages.rl_difficulty import candidate_rows
from safealign.stages.sample import false_steps, rejection_reasons
from safealign.training.callbacks import JsonlMetricsCallback


@pytest.fixture(scope="module")
def judges():
    return build_judges("default")


def strict_json(line: str):
    """json.loads that refuses NaN and Infinity, as jq, JavaScript's JSON.parse and other strict readers do."""

    def refuse(token: str):
        raise ValueError(f"{token} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_metrics_jsonl_is_strict_json_and_still_says_what_was_not_finite(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    callback = JsonlMetricsCallback(path)
    logs = {
        "loss": float("nan"),
        "grad_norm": torch.tensor(float("inf")),
        "kl": np.float32("-inf"),
        "reward": 0.5,
        "rewards/accuracy/mean": None,
    }
    for step in (1, 2):
        state = SimpleNamespace(global_step=step, epoch=0.5 * step, is_world_process_zero=True)
        callback.on_log(None, state, None, logs=logs if step == 2 else {"loss": 1.25, "kl": np.float32(0.5)})
    assert math.isnan(logs["loss"])  # the trainer's own record is left as it was (the NaN guard reads it)

    first, second = (strict_json(line) for line in path.read_text().splitlines())
    assert first["loss"] == 1.25 and first["kl"] == 0.5 and "non_finite" not in first
    assert second["loss"] is None and second["grad_norm"] is None and second["kl"] is None
    assert second["non_finite"] == {"loss": "nan", "grad_norm": "inf", "kl": "-inf"}
    assert second["reward"] == 0.5 and second["rewards/accuracy/mean"] is None
    # the project's readers: a not-finite KL reads back as the value the live stream saw (-inf here, which is no
    # blow-up live either; an inf or nan one is), a not-finite loss no point to plot
    rows = read_jsonl(path)
    ((_, kl),) = series(rows, "kl", finite=False)[1:]
    assert kl == float("-inf")
    assert series(rows, "loss") == [(1, 1.25)]


def test_a_number_longer_than_int_reads_in_a_think_block_is_no_crash_of_the_judging(judges) -> None:
    """int() reads at most 4300 digits: a degenerate run of digits in an equation of the teacher's working raised
    ValueError, and the stage failed at judging on every rerun (the kept completions held the same sample)."""
    working = "<think>\n" + "1" * 4301 + " + 1 = 2.\nSo 8 + 3 = 12.\n</think>\nThe answer is 13."
    assert false_steps(working) == ["8 + 3 = 12"]  # the steps it can read are still checked
    assert rejection_reasons([reasoning(working)], judges) == [["false_step"]]


def test_a_task_without_an_extra_candidate_is_not_said_to_be_left_out_of_the_stage(caplog) -> None:
    """The difficulty filter draws its further candidates (max_candidates - 1 times the reasoning prompts) as a mixture
    of their own: a task that got none of a few said "it is left out of this stage", which holds 4 of its prompts."""
    cfg = config(difficulty_filter={"enabled": True, "max_candidates": 1.05})
    with caplog.at_level(logging.WARNING, logger="safealign.stages.rl_prompts"):
        _, candidates, needed = candidate_rows(cfg, 42, None)
    first = Counter(json.loads(row["task"])["family"] for row in candidates[:needed])
    assert first == {"basic_arithmetic": 8, "chain_sum": 4}
    assert {json.loads(row["task"])["family"] for row in candidates[needed:]} == {"basic_arithmetic"}
    assert "left out" not in caplog.text
