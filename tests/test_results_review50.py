"""Regressions from review 50: mean-score intervals, the RL prompt mixture, and the sample stage's log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from safealign.evals.metrics import Rate, accuracy_metrics, wilson_interval


def test_a_mean_of_agreeing_scores_has_a_wilson_wide_interval() -> None:
    """Six zeros read 0.0% [0.0%, 0.0%]: the normal interval is zero-wide when the scores agree or n is 1."""
    zeros = Rate.mean([0.0] * 6)
    assert zeros.high > 0 and (zeros.low, zeros.high) == wilson_interval(0, 6)
    one = Rate.mean([1.0])
    assert one.low < 1 and one.high == 1.0
    assert accuracy_metrics([0.0] * 6)["mean_score"].high == accuracy_metrics([0.0] * 6)["accuracy"].high


def test_a_mean_interval_is_never_narrower_than_either_interval() -> None:
    scores = [1.0, 0.5, 0.0, 0.25]
    rate = Rate.mean(scores)
    low, high = wilson_interval(sum(scores), len(scores))
    assert rate.value == 0.4375 and rate.low <= low and rate.high >= high


def test_safety_prompts_beyond_the_pool_are_rows_of_their_own() -> None:
    """Past the 988 safety prompts a repeated row was one dict rewritten twice: its user turn became a message list."""
    from safealign.stages.rl_prompts import build_prompt_rows

    rows = build_prompt_rows({"safety": 1.0}, 1000, 0, system_prompt="Be safe.")
    assert len(rows) == 1000 and len({id(row) for row in rows}) == 1000
    assert all(isinstance(row["prompt"][-1]["content"], str) and len(row["prompt"]) == 2 for row in rows)


def test_a_family_with_too_few_questions_names_itself_and_the_fix() -> None:
    """One-digit sums of two terms have ~220 distinct questions: 400 asked gave 211, the mixture 68/32 instead of 80/20."""
    from safealign.errors import DataError
    from safealign.stages.rl_prompts import build_prompt_rows, reasoning_prompts

    spec = "basic_arithmetic?max_digits=1&max_terms=2"
    with pytest.raises(
        DataError,
        match=r"rl: task 'basic_arithmetic\?max_digits=1&max_terms=2' has only \d+ distinct .* 400 needed",
    ):
        build_prompt_rows({spec: 0.8, "safety": 0.2}, 500, 42)
    with pytest.raises(DataError, match="lower its weight or sample.num_prompts, or widen its settings"):
        build_prompt_rows({spec: 1.0}, 400, 42, stage="sample")
    # 11 x 11 numbers x 2 operators = 242 questions, 12 of them eval items (the key keeps the operator: "3 - 1" is not
    # the eval's "3 + 1"); repeats compare the exact text (a form that dropped operators kept 211).
    assert len(reasoning_prompts(spec, 400, 4200, allow_short=True)) == 230


def test_the_sample_stage_names_itself_in_the_mixture_messages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A reasoning task with no share of the sample stage's prompts was logged as the RL stage's ("rl: task ...")."""
    from safealign.config import SampleConfig
    from safealign.stages import sample

    def stop(*args: Any, **kwargs: Any) -> list:
        rows = build_prompt_rows(*args, **kwargs)
        raise _Stop(rows)

    build_prompt_rows = sample.build_prompt_rows
    monkeypatch.setattr(sample, "build_prompt_rows", stop)
    with pytest.raises(_Stop):
        sample.run_sample(
            SampleConfig(num_prompts=4, k=1), "tiny", tmp_path, tasks={"arithmetic": 1.0, "chain_sum": 0.01}
        )
    assert "sample: task chain_sum gets 0 of the 4 prompts" in caplog.text and "rl: task" not in caplog.text


class _Stop(Exception):
    """Ends a stage once its prompt rows are built."""
