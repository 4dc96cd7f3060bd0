"""Review 73 of the rewards, the reward-hacking detectors and the judges' plumbing."""

from __future__ import annotations

import json

import httpx
import pytest
import torch
from test_judges_review71 import _serve  # the grader answered by an httpx.MockTransport

from safealign.config import HackingConfig
from safealign.hacking import run_detectors
from safealign.judges.openai_rubric import OpenAIRubricJudge
from safealign.rewards import CheckedReward, RewardError


def trl_mean(hits: int, of: int) -> float:
    """A share as TRL logs its means (reward, rewards/<name>/mean, completions/clipped_ratio): a float32 tensor's."""
    return torch.tensor([1.0] * hits + [0.0] * (of - hits)).mean().item()


def detectors_on(records: dict[str, float], steps: int = 6, **thresholds: float) -> list[str]:
    history = [{"step": step, **records} for step in range(1, steps + 1)]
    return [alert.detector for alert in run_detectors(history, HackingConfig(window=3, **thresholds))]


def test_the_format_reward_half_over_a_flat_accuracy_alerts_on_trls_float32_means():
    """ROUNDING (1e-9) covered float64 means, but TRL logs float32 ones: a format reward of 9 in 10 beside an accuracy
    of 4 in 10 (0.8999999761581421 and 0.4000000059604645) was not '0.5 below' it, and raised nothing."""
    records = {"rewards/format/mean": trl_mean(9, 10), "rewards/accuracy/mean": trl_mean(4, 10)}
    assert detectors_on(records) == ["format_without_accuracy"]
    # at the format threshold itself: 7 of 10 (0.699999988...) reaches rl.hacking.format_without_accuracy 0.7
    records = {"rewards/format/mean": trl_mean(7, 10), "rewards/accuracy/mean": 0.0}
    assert detectors_on(records, format_without_accuracy=0.7) == ["format_without_accuracy"]


def test_a_truncation_share_at_the_threshold_alerts_on_trls_float32_means():
    """7 completions of 10 cut off (0.699999988...) at rl.hacking.truncation_rate 0.7 raised no truncation alert."""
    assert detectors_on({"completions/clipped_ratio": trl_mean(7, 10)}, truncation_rate=0.7) == ["truncation"]
    assert detectors_on({"completions/clipped_ratio": trl_mean(6, 10)}, truncation_rate=0.7) == []


def test_an_accuracy_reward_gain_of_exactly_the_gap_is_no_divergence_on_trls_float32_means():
    """'A gap over 0.2': an accuracy reward from 1 in 10 to 3 in 10 (float32: a gain of 0.2000000104) beside a flat gate
    accuracy is at the gap, not over it, as the same gain in float64 is."""
    first, last = trl_mean(1, 10), trl_mean(3, 10)
    history = [{"step": step, "rewards/accuracy/mean": first if step <= 3 else last} for step in range(1, 7)]
    history += [{"step": 1, "gate/accuracy": 0.5}, {"step": 6, "gate/accuracy": 0.5}]
    assert [alert.detector for alert in run_detectors(history, HackingConfig(window=3))] == []
    plain = [
        {**record, "rewards/accuracy/mean": 0.1 if record["step"] <= 3 else 0.3} for record in history[:6]
    ]
    assert run_detectors([*plain, *history[6:]], HackingConfig(window=3)) == []


@pytest.mark.parametrize("status", [408, 409])
def test_a_proxys_request_timeout_or_conflict_is_retried_not_blamed_on_the_model_name(monkeypatch, status):
    """A 408 (a proxy's request timeout) or 409 (a lock) is a passing state, which OpenAI's own client retries: it
    failed the batch at once, 'check the model name and the API key'."""
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(status, text=f"<html><h1>{status}</h1>try again</html>")
        reply = "#scores\n1.b 0\n2.b 4\n3.b 5\n4.b 0"
        return httpx.Response(
            200, json={"choices": [{"message": {"content": reply}, "finish_reason": "stop"}]}
        )

    _serve(monkeypatch, answer)
    verdict = OpenAIRubricJudge("http://127.0.0.1:9", "m", backoff=0).judge(["p"], ["r"])[0]
    assert (len(calls), verdict.label, verdict.details["strongreject"]) == (2, "safe", 0.875)


def test_a_typeerror_inside_a_reward_that_takes_kwargs_is_not_blamed_on_its_signature():
    """A reward ending with **kwargs whose own call went wrong (``json.dumps(c, indnt=2)``) was told to 'end its
    parameters with **kwargs', as they did; a reward that cannot take the keywords still is."""

    def brevity(completions, **kwargs):
        return [-len(json.dumps(c, indnt=2)) / 1000 for c in completions]

    def narrow(completions, prompts, completion_ids):
        return [0.0] * len(completions)

    call = {"prompts": ["p"], "completions": ["c"], "completion_ids": [[1]], "kind": ["benign"]}
    with pytest.raises(
        RewardError, match=r"unexpected keyword argument 'indnt'; fix it or drop it"
    ) as raised:
        CheckedReward(brevity, "brevity")(**call)
    assert "**kwargs" not in str(raised.value)
    with pytest.raises(RewardError, match=r"narrow\(\) got an unexpected keyword argument 'kind'") as raised:
        CheckedReward(narrow, "narrow")(**call)
    assert "end its parameters with **kwargs" in str(raised.value)
