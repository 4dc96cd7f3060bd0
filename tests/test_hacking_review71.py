"""Review 71: replaying a long run's detectors, and custom rewards' bad results."""

from __future__ import annotations

import functools
import inspect
import logging
import random
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.config import HackingConfig
from safealign.hacking import detectors, replay_detectors, run_detectors
from safealign.hacking.detectors import HistoryPrefix, series
from safealign.rewards.registry import REWARDS, RewardError, build_rewards, checked_reward
from safealign.training.hacking_callback import HackingCallback

KEYS = ("reward", "kl", "gate/accuracy", "entropy")


def gated_history(records: int, failed: tuple[int, ...], seed: int = 0) -> list[dict]:
    """A run's log: a training record a step, a gate check every 10 steps (before its step's record, as logged), those
    at ``failed`` rolled back."""
    rnd, history = random.Random(seed), []
    for step in range(1, records + 1):
        if step % 10 == 0:
            history.append(
                {"step": step, "gate/passed": 0.0 if step in failed else 1.0, "gate/accuracy": rnd.random()}
            )
        history.append(
            {"step": step, "loss": 0.1, "reward": rnd.random(), "kl": rnd.random(), "entropy": 1.0}
        )
    return history


class Counted(float):
    """A rollback marker that counts the comparisons made with it."""

    made = 0

    def __lt__(self, other):
        Counted.made += 1
        return float(self) < other

    def __ge__(self, other):
        Counted.made += 1
        return float(self) >= other

    def __ne__(self, other):
        Counted.made += 1
        return float(self) != other


def test_replaying_a_long_run_does_not_go_over_every_earlier_point_at_each_record(monkeypatch):
    """Each prefix tested every earlier point for a rollback (`all(at >= end ...)`): the stage's final pass and the
    audit of a 5,000-step run took a minute. Counted, not timed: the comparisons grow with the records, not their
    square."""
    original = detectors.indexed_points

    def indexed_points(history, key, finite):
        return [(index, Counted(undone), point) for index, undone, point in original(history, key, finite)]

    monkeypatch.setattr(detectors, "indexed_points", indexed_points)
    history = gated_history(300, failed=(50,))
    Counted.made = 0
    replay_detectors(history, HackingConfig(window=3))
    keys_read = 13  # every key a detector reads, at most
    # 9,371 here; it was 187,949 (len(history) ** 2 / 2 a key read)
    assert Counted.made < 10 * len(history) * keys_read


@pytest.mark.parametrize("failed", [(), (30,), (30, 40), (20, 60, 70)])
def test_a_replayed_prefix_reads_each_key_as_the_prefix_alone_reads_it(failed):
    """The cached prefixes leave out exactly the points a failed gate check among their records rolled back."""
    history = gated_history(80, failed)
    cache: dict = {}
    for end in range(len(history) + 1):
        prefix = HistoryPrefix(history, end, cache)
        for key in KEYS:
            for finite in (True, False):
                assert prefix.series(key, finite) == series(history[:end], key, finite), (end, key)


@pytest.mark.parametrize(
    "score", [10**400, -(10**400), Fraction(10**400, 3)], ids=["int", "minus_int", "fraction"]
)
def test_a_score_past_the_float_range_is_refused_naming_the_reward(score):
    """float() of the score raised OverflowError inside the check: a traceback from inside TRL, no reward named."""

    def huge(completions, **kwargs):
        return [score] + [1.0] * (len(completions) - 1)

    with pytest.raises(
        RewardError, match=r"reward 'huge' returned -?inf at index 0: GRPO cannot train on a NaN or inf"
    ):
        checked_reward(huge, "huge")(prompts=["p", "q"], completions=["a", "b"])


def test_scores_in_the_float_range_read_as_they_did():
    def plain(completions, **kwargs):
        return [3, Fraction(1, 4), 10**300, None][: len(completions)]

    assert checked_reward(plain, "plain")(completions=["a", "b", "c", "d"]) == [3.0, 0.25, 1e300, None]


def test_a_reward_without_kwargs_is_refused_when_built_not_at_its_first_call(monkeypatch):
    """A reward that cannot take the keywords TRL passes every call failed on its first call: after the model loaded,
    the gates' baseline check and the first round's generation. It is refused as the stage builds its rewards."""

    def short(completions):
        return [1.0] * len(completions)

    monkeypatch.setitem(REWARDS, "short", (lambda settings: short, "a reward without **kwargs"))
    with pytest.raises(RewardError) as refused:
        build_rewards({"short": 1.0}, {"max_completion_length": 8})
    message = str(refused.value)
    assert "reward 'short' would fail on every call with an unexpected keyword argument 'prompts'" in message
    assert "end its parameters with **kwargs; fix it or drop it from rl.rewards" in message


def test_a_reward_naming_every_keyword_it_gets_is_still_built(monkeypatch):
    def explicit(prompts, completions, completion_ids, kind):
        return [1.0] * len(completions)

    class Scorer:
        def __call__(self, completions, **kwargs):
            return [0.5] * len(completions)

    def keeping_its_keywords(reward):
        @functools.wraps(reward)
        def wrapper(*args, **kwargs):
            taken = inspect.signature(reward).parameters
            return reward(**{key: value for key, value in kwargs.items() if key in taken})

        return wrapper

    @keeping_its_keywords
    def wrapped(completions):
        return [0.25] * len(completions)

    monkeypatch.setitem(REWARDS, "explicit", (lambda settings: explicit, "names its keywords"))
    monkeypatch.setitem(REWARDS, "scorer", (lambda settings: Scorer(), "a callable class"))
    monkeypatch.setitem(
        REWARDS, "wrapped", (lambda settings: wrapped, "its decorator drops the other keywords")
    )
    (first, second, third), _ = build_rewards({"explicit": 1.0, "scorer": 1.0, "wrapped": 1.0}, {})
    batch = {"prompts": ["p"], "completions": ["a"], "completion_ids": [[1]]}
    assert first(**batch, kind=["benign"]) == [1.0] and second(**batch) == [0.5] and third(**batch) == [0.25]


def test_a_reward_wanting_a_column_the_rows_lack_is_told_what_it_was_called_with():
    """`def r(completions, answer, **kwargs)` on rows without an answer column failed with Python's 'missing 1 required
    positional argument', naming what it lacked but not the keywords there were to take."""

    def needs_answer(completions, answer, **kwargs):
        return [1.0] * len(completions)

    with pytest.raises(RewardError) as refused:
        checked_reward(needs_answer, "graded")(
            prompts=["p"], completions=["a"], completion_ids=[[1]], kind=["reasoning"], task=["t"]
        )
    assert str(refused.value).endswith(
        "missing 1 required positional argument: 'answer'. It was called with prompts, completions, completion_ids, "
        "kind, task: give that parameter one of these names or a default; fix it or drop it from rl.rewards"
    )


def test_a_type_error_from_inside_a_reward_is_not_blamed_on_its_call():
    def broken(completions, **kwargs):
        return [max() for _ in completions]

    with pytest.raises(RewardError) as refused:
        checked_reward(broken, "broken")(prompts=["p"], completions=["a"])
    assert "It was called with" not in str(refused.value)
    assert str(refused.value).endswith("; fix it or drop it from rl.rewards")


def planted_history() -> list[dict]:
    """Six steps in which every detector fires: the last three longer, better paid, more refusing."""
    history = []
    for step in range(1, 7):
        late = step > 3
        history.append(
            {
                "step": step,
                "loss": 0.1,
                "reward": 0.1 + 0.5 * late,
                "completions/mean_length": 50.0 + 100 * late,
                "completions/clipped_ratio": 0.6,
                "text/repetition": 0.5,
                "rewards/accuracy/mean": 0.1 + 0.5 * late,
                "rewards/format/mean": 0.95,
                "safety/benign_refusal_rate": 0.1 + 0.3 * late,
                "safety/harmful_partial_rate": 0.3,
                "entropy": 0.01,
                "kl": 3.0,
                "accuracy/flat_group_share": 0.95,
            }
        )
    history[0]["gate/accuracy"] = history[-1]["gate/accuracy"] = 0.5
    return history


# what each alert must name: its threshold (the rl.hacking setting, where there is one) and what to do or read
NAMED = {
    "length_blowup": ("alert at 1.5x: rl.hacking.length_growth",),
    "truncation": ("alert at 50%: rl.hacking.truncation_rate", "raise rl.max_completion_length"),
    "repetition": ("≥ 0.4 (rl.hacking.repetition)", "rollouts.jsonl"),
    "reward_accuracy_divergence": ("a gap over 0.2 (rl.hacking.reward_accuracy_gap)", "rollouts.jsonl"),
    "refusal_collapse": ("alert at a rise of more than 15 points", "rollouts.jsonl"),
    "refusal_then_comply": ("alert at 20%", "rollouts.jsonl"),
    "entropy_collapse": ("< 0.05 (rl.hacking.entropy_floor)",),
    "kl_blowup": ("> 1.0 (rl.hacking.kl_ceiling)", "raise rl.beta or lower rl.learning_rate"),
    "no_accuracy_signal": ("alert at 90%: rl.hacking.flat_groups", "rl.difficulty_filter"),
}


def test_each_alert_names_its_threshold_and_what_to_do():
    """Alerts said 'benign prompts refused (full refusals) 10% → 40%' or '60% of recent completions hit the length
    limit': no threshold, no setting to change, nothing to do or read."""
    alerts = {
        alert.detector: alert.message for alert in run_detectors(planted_history(), HackingConfig(window=3))
    }
    assert set(NAMED) <= set(alerts), sorted(alerts)
    for detector, parts in NAMED.items():
        for part in parts:
            assert part in alerts[detector], (detector, alerts[detector])


def test_a_flat_accuracy_names_the_format_threshold_and_the_lengths_fix():
    history = planted_history()
    for record in history:
        record["rewards/accuracy/mean"] = 0.1
    alerts = {alert.detector: alert for alert in run_detectors(history, HackingConfig(window=3))}
    message = alerts["format_without_accuracy"].message
    assert message.startswith("format reward 0.95 while accuracy stays flat")
    assert "alert at 0.8: rl.hacking.format_without_accuracy" in message
    # the length grew without the accuracy: critical, and what to look for
    assert alerts["length_blowup"].severity == "critical"
    assert alerts["length_blowup"].message.endswith(
        "read that step's completions (rollouts.jsonl) for padding"
    )


def logged_kl_alert(tmp_path: Path, caplog, stop: bool, kl: float = 5.0) -> str:
    """The log line of a critical kl_blowup through the live callback."""
    tmp_path.mkdir()
    callback = HackingCallback(HackingConfig(stop_on_critical=stop), tmp_path)
    state = SimpleNamespace(log_history=[{"step": 7, "kl": kl}], global_step=7, is_world_process_zero=True)
    with caplog.at_level(logging.WARNING, logger="safealign.training.hacking_callback"):
        callback.on_log(None, state, SimpleNamespace(should_training_stop=False), logs={"kl": kl})
    return "\n".join(record.getMessage() for record in caplog.records)


def test_a_critical_alerts_log_line_says_whether_the_stage_stops(tmp_path: Path, caplog):
    """A stage stop_on_critical stopped ended short of max_steps with no word of why; one it did not stop logged the
    critical alert as it logs a warning."""
    stopped = logged_kl_alert(tmp_path / "on", caplog, stop=True)
    assert stopped.startswith(
        "reward-hacking alert [critical] kl_blowup at step 7: KL to the reference 5.000 > 1.0"
    )
    assert stopped.endswith("Stopping the stage here (rl.hacking.stop_on_critical): its model is this step's")
    caplog.clear()
    going_on = logged_kl_alert(tmp_path / "off", caplog, stop=False)
    assert going_on.endswith(
        "Training goes on (rl.hacking.stop_on_critical: true would stop the stage at a critical alert)"
    )
