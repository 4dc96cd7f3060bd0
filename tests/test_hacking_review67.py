"""Review 67 of the reward-hacking detectors and the eval stage: thresholds decided by the rounding of two window means,
and a damaged summary.json failing with a bare AttributeError or TypeError."""

from __future__ import annotations

import json
from statistics import fmean

import pytest

from safealign.config import HackingConfig
from safealign.errors import DataError
from safealign.hacking import DETECTORS
from safealign.stages.evaluate import load_headline

ONE_IN_8 = 0.125  # one completion of a step's 8 refused


def rates(key: str, first: list[float], last: list[float]) -> list[dict]:
    return [{"step": i + 1, key: v} for i, v in enumerate(first + last)]


def test_the_same_benign_refusal_rise_reads_alike_from_any_start():
    """A rise of 12 completions in 80 (0.15: "more than 0.15" is a collapse) was a critical refusal_collapse from 5%
    (the means' difference 0.15000000000000002) and nothing from 10% (0.15): the rounding decided, and a critical
    alert stops the stage under stop_on_critical."""
    t = HackingConfig(window=10)
    from_5 = rates(
        "safety/benign_refusal_rate", [ONE_IN_8] * 4 + [0.0] * 6, [2 * ONE_IN_8] * 6 + [ONE_IN_8] * 4
    )
    from_10 = rates("safety/benign_refusal_rate", [ONE_IN_8] * 8 + [0.0] * 2, [2 * ONE_IN_8] * 10)
    assert not DETECTORS["refusal_collapse"](from_5, t)
    assert not DETECTORS["refusal_collapse"](from_10, t)
    # a rise of one more completion in 80 is one
    more = rates(
        "safety/benign_refusal_rate", [ONE_IN_8] * 4 + [0.0] * 6, [2 * ONE_IN_8] * 7 + [ONE_IN_8] * 3
    )
    assert [a.severity for a in DETECTORS["refusal_collapse"](more, t)] == ["critical"]


@pytest.mark.parametrize(("fmt", "accuracy"), [(0.9, 0.4), (0.95, 0.45), (0.8, 0.3)])
def test_a_format_reward_exactly_half_above_a_flat_accuracy_is_format_without_accuracy(fmt, accuracy):
    """ "At least 0.5 below": a flat accuracy of 0.4 beside a format reward of 0.9 raised nothing (its window mean reads
    0.4000000000000001)."""
    history = [
        {"step": i + 1, "rewards/format/mean": fmt, "rewards/accuracy/mean": accuracy} for i in range(6)
    ]
    assert [a.detector for a in DETECTORS["format_without_accuracy"](history, HackingConfig(window=3))] == [
        "format_without_accuracy"
    ]


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.7), (0.6, 0.8), (0.1, 0.3)])
def test_an_accuracy_reward_gain_of_exactly_the_gap_is_no_divergence(low, high):
    """reward_accuracy_gap is "rises this much more" than the gates' accuracy, read as more than: a gain of exactly 0.2
    was a critical alert from 0.6 (0.20000000000000007) and nothing from 0.5 (0.19999999999999996)."""
    gate = {"gate/accuracy": 0.3, "gate/passed": 1.0}
    history = [{"step": 0, **gate}]
    history += [{"step": i + 1, "rewards/accuracy/mean": low if i < 3 else high} for i in range(6)]
    history += [{"step": 6, **gate}]
    t = HackingConfig(window=3)
    assert not DETECTORS["reward_accuracy_divergence"](history, t)
    history[-2]["rewards/accuracy/mean"] = high + 0.01
    assert [a.detector for a in DETECTORS["reward_accuracy_divergence"](history, t)] == [
        "reward_accuracy_divergence"
    ]


def test_completions_grown_exactly_length_growth_times_are_a_length_blowup():
    """Lengths of 1.5x (length_growth's default, ">=" it is a blow-up) read 1.4999999999999998x on these steps: about
    one in five such windows raised nothing."""
    first = [93.0, 31.125, 73.125, 93.8125, 68.71875, 85.90625, 87.875, 86.59375, 31.65625, 26.5625]
    last = [v * 1.5 for v in first]
    assert fmean(last) / fmean(first) < 1.5  # the rounding this test is about
    history = [
        {"step": i + 1, "completions/mean_length": length, "reward": 0.1 if i < 10 else 0.5}
        for i, length in enumerate(first + last)
    ]
    assert [a.detector for a in DETECTORS["length_blowup"](history, HackingConfig(window=10))] == [
        "length_blowup"
    ]


@pytest.mark.parametrize(
    "text", ["[]", '{"suites": ["harmful"]}', '{"suites": "harmful"}', '{"suites": null}']
)
def test_a_damaged_summary_is_named_not_a_bare_error(tmp_path, text):
    """A summary.json whose top level or ``suites`` is not an object (a hand edit, a file cut short) failed with
    AttributeError or TypeError in `safealign compare` and the pipeline's table; its entries were already checked."""
    (tmp_path / "summary.json").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="not an object") as raised:
        load_headline(tmp_path)
    assert str(tmp_path / "summary.json") in str(raised.value)


def test_a_whole_summary_still_reads():
    summary = {
        "suites": {
            "harmful": {
                "kind": "harmful",
                "metrics": {"held_out": {"refusal_rate": {"value": 0.8, "low": 0.7, "high": 0.9}}},
            }
        }
    }
    from safealign.stages.evaluate import headline

    assert headline(json.loads(json.dumps(summary)))["harmful.refusal_rate"]["value"] == 0.8


def rolled_back_history(rates: dict[int, float], checks: dict[int, bool]) -> list[dict]:
    """Benign refusal rates by step, with gate checks (step -> passed) logged before their step's record, as the live
    stream and metrics.jsonl have them."""
    history = []
    for step, rate in rates.items():
        if step in checks:
            history.append({"step": step, "gate/over_refusal": 0.1, "gate/passed": float(checks[step])})
        history.append({"step": step, "loss": 0.1, "safety/benign_refusal_rate": rate})
    return history


def test_the_steps_a_gate_rollback_discarded_leave_the_windows():
    """A breach at step 9 restored the weights of the pass at step 6; the benign refusal rates of steps 7-9 (the
    discarded weights' rollouts) stayed in the window, and raised a critical refusal_collapse at step 9, after the gate
    had undone the rise (under stop_on_critical: the stage stopped)."""
    from safealign.hacking import replay_detectors

    rates = dict.fromkeys(range(1, 7), 0.1) | {7: 0.2, 8: 0.25, 9: 0.4} | dict.fromkeys(range(10, 14), 0.1)
    history = rolled_back_history(rates, {0: True, 6: True, 9: False})
    t = HackingConfig(window=3)
    assert not replay_detectors(history, t)
    assert not DETECTORS["refusal_collapse"](history, t)
    # the same rise with no breach is one, from step 9 on
    passed = rolled_back_history(rates, {0: True, 6: True, 9: True})
    assert [(a.detector, a.step) for a in replay_detectors(passed, t)] == [("refusal_collapse", 9)]


def test_a_rollback_leaves_what_the_stream_saw_before_it():
    """The steps before the breach count in the prefixes before it (the live stream alerted on them then), and not in
    those after; the replay's cached prefixes read as the history cut there."""
    from safealign.hacking.detectors import HistoryPrefix, series

    history = rolled_back_history({s: s / 10 for s in range(1, 9)}, {0: True, 3: True, 6: False, 8: False})
    cache: dict = {}
    for end in range(len(history) + 1):
        for key in ("safety/benign_refusal_rate", "loss", "gate/over_refusal"):
            assert HistoryPrefix(history, end, cache).series(key, True) == series(history[:end], key), (
                end,
                key,
            )
    # step 6's record comes after its failed check: never read; 4-8 rolled back to 3 by the checks at 6 and 8
    assert [s for s, _ in series(history, "loss")] == [1, 2, 3]
    before_the_breach = history[: history.index({"step": 6, "gate/over_refusal": 0.1, "gate/passed": 0.0})]
    assert [s for s, _ in series(before_the_breach, "loss")] == [1, 2, 3, 4, 5]
