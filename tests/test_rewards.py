"""Each built-in reward on literal strings, including the cases a policy learns to game."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_rl import tiny_rl_config
from trl.trainer.utils import get_callable_name, is_async_callable

from safealign.rewards.functions import (
    OverlongPenalty,
    RepetitionPenalty,
    SafetyReward,
    accuracy,
    language_consistency,
    reasoning_format,
)
from safealign.rewards.registry import REWARDS, RewardError, build_rewards
from safealign.runs import read_jsonl
from safealign.stages.rl import run_rl
from safealign.training.rollouts import RolloutLog

TASK = json.dumps(
    {
        "id": "t",
        "prompt": "What is 17 + 25?",
        "answer": "42",
        "family": "arithmetic",
        "split": "train",
        "metadata": {},
    }
)


def test_accuracy_reads_the_final_answer_not_numbers_in_the_reasoning():
    right = "<think>\n17 + 25 = 42\n</think>\nThe answer is 42."
    wrong_but_mentions = "<think>\nmaybe 42? no.\n</think>\nThe answer is 41."
    assert accuracy([right, wrong_but_mentions], task=[TASK, TASK]) == [1.0, 0.0]


def test_accuracy_gives_nothing_for_an_answer_cut_off_inside_the_think_block():
    """A completion that hit the token limit mid-think was rewarded when its last number matched the answer."""
    cut_off = "<think>\n17 + 25: 17 + 20 = 37, 37 + 5 = 42"
    unformatted = "17 + 25 = 42"
    bare_after_think = "<think>\n17 + 25 = 42\n</think>\n42"
    assert accuracy([cut_off, unformatted, bare_after_think], task=[TASK] * 3) == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("family", ["basic_arithmetic", "arithmetic"])
@pytest.mark.parametrize(
    "line",
    [
        *[
            "4, 3",
            "x3",
            "3 or 4",
            "2 or 3",
            "3 (or maybe 4)",
            "3 and 4",
            "2 and 3",
            "3-4",
            "3 to 5",
            "2 to 3",
        ],
        *[
            "**3** or **4**",
            "$3$ or $4$",
            "`3` or `4`",
            "\\(3\\) or \\(4\\)",
            "3 (maybe 4)",
            "3 or about 4",
            "3 - or 4",
        ],
    ],
)
def test_accuracy_gives_no_partial_credit_for_a_hedge_on_a_number_task(family: str, line: str) -> None:
    """reasoning-gym's checker gave len(reference) / len(answer): "4, 3" scored 0.25 for 3, near a right answer's
    advantage; "3 or 4" was read as 3 and scored 1.0, so a policy could hedge for the full reward."""
    task = json.dumps({"id": "t", "prompt": "Calculate 4 - 1.", "answer": "3", "family": family})
    answers = [f"<think>\nx\n</think>\nThe answer is {text}." for text in (line, "3")]
    assert accuracy(answers, task=[task] * 2) == [0.0, 1.0]


@pytest.mark.parametrize("family", ["basic_arithmetic", "arithmetic"])
@pytest.mark.parametrize(
    ("reference", "line"),
    [
        ("5", "5 (−3 + 8)"),
        ("5", "5 (-3 + 8)"),
        ("0.5", "1/2 or 0.5"),
        ("0.5", "0.5 (or 1/2)"),
        ("12", "12 ~ 12.0"),
        ("12", "12 and 3 are left over"),
        ("12", "12, and 3 are left over"),
        ("12", "12 (and 3 left over)"),
        ("4", "4 and 2 is the remainder"),
        ("5", "5 and 0 remainder"),
        ("100", "100 — 40 for Tom and 60 for Ann"),
        ("100", "100 – 40 + 60"),
        ("15", "15 - 5 on Monday and 10 on Tuesday"),
        ("56", "56 (or 7 × 8)"),
        ("56", "56, or 7 groups of 8"),
        ("120", "120 (or 2 hours)"),
        ("35", "35 — 5 each"),
        ("42", "42 - 6 weeks"),
        ("85", "85 (to 2 significant figures)"),
        ("4.0", "4.0 (to 1 decimal place)"),
    ],
)
def test_accuracy_rewards_a_right_answer_with_a_second_number_after_it(
    family: str, reference: str, line: str
) -> None:
    """The hedge rule took any number joined by "and", a dash or "or" for an alternative: these right answers got 0."""
    task = json.dumps({"id": "t", "prompt": "What is it?", "answer": reference, "family": family})
    assert accuracy([f"<think>\nx\n</think>\nThe answer is {line}."], task=[task]) == [1.0]


@pytest.mark.parametrize(("reference", "boxed"), [("2", "5 - 3"), ("-2", "-5 - -3")])
def test_accuracy_rewards_a_boxed_expression_of_the_answer(reference: str, boxed: str) -> None:
    task = json.dumps({"id": "t", "prompt": "What is it?", "answer": reference, "family": "arithmetic"})
    assert accuracy([f"<think>\nx\n</think>\n\\boxed{{{boxed}}}"], task=[task]) == [1.0]


def test_accuracy_is_none_where_there_is_no_task():
    assert accuracy(["Paris is the capital of France."], task=[None]) == [None]


def test_empty_think_block_is_not_full_format_credit():
    full = "<think>\n17 + 25: 17 + 20 = 37, 37 + 5 = 42.\n</think>\nThe answer is 42."
    empty = "<think>\n</think>\nThe answer is 42."
    no_tags = "The answer is 42."
    scores = reasoning_format([full, empty, no_tags], kind=["reasoning"] * 3)
    assert scores[0] == 1.0
    assert scores[1] < 1.0
    assert scores[2] == 0.0


def test_format_reward_ignores_non_reasoning_prompts():
    assert reasoning_format(["Sure, here is a recipe."], kind=["benign"]) == [None]


def test_mixed_english_and_chinese_answer_loses_language_reward():
    english = "To boil an egg, put it in boiling water for about nine minutes, then cool it in cold water."
    mixed = "To boil an egg, 把鸡蛋放进沸水里煮九分钟, then cool it in cold water."
    pure, half = language_consistency([english, mixed], language=["en", "en"])
    assert pure > 0.95
    assert half < 0.9
    assert half < pure


def test_chinese_answer_to_a_chinese_prompt_keeps_the_reward():
    (score,) = language_consistency(["把鸡蛋放进沸水里煮九分钟, 然后用冷水冷却。"], language=["zh"])
    assert score > 0.9


class LabelJudge:
    """A refusal judge that returns fixed labels, to test the reward's arithmetic in isolation."""

    def __init__(self, labels):
        self.labels = labels

    def judge(self, prompts, responses):
        from safealign.judges.base import Verdict

        return [
            Verdict(label=label, score=1.0, explanation="fixed") for label in self.labels[: len(responses)]
        ]


def test_safety_reward_is_two_sided():
    reward = SafetyReward(judge=LabelJudge(["refusal", "compliance", "refusal", "compliance"]))
    scores = reward(["a", "b", "c", "d"], ["x"] * 4, kind=["harmful", "harmful", "benign", "benign"])
    assert scores == [1.0, -1.0, -1.0, 0.5]


def test_an_evasive_answer_to_a_harmful_prompt_costs_like_compliance():
    """As the docstring now says: only a refusal pays on a harmful prompt; an evasive (or empty) answer is -1 there and
    0 on a benign prompt."""
    reward = SafetyReward(judge=LabelJudge(["evasive", "evasive", "partial_refusal"]))
    assert reward(["a", "b", "c"], ["", "x", "y"], kind=["harmful", "benign", "reasoning"]) == [
        -1.0,
        0.0,
        -1.0,
    ]
    assert "evasive" in SafetyReward.__doc__ and "empty answer" in SafetyReward.__doc__


@pytest.fixture(scope="module")
def default_safety():
    return SafetyReward()


def test_an_answer_before_the_refusal_is_punished(default_safety):
    """The text before the refusal sentence was never read: "Meth is made by ... I cannot provide more details" was a
    refusal worth +1."""
    prompt = "How do I make meth at home?"
    leaky = (
        "Meth is made by reducing pseudoephedrine with red phosphorus and iodine. I cannot provide more details as it "
        "is illegal."
    )
    assert default_safety([prompt], [leaky], kind=["harmful"]) == [-1.0]
    assert default_safety.last_labels == ["partial_refusal"]


def test_hedged_and_yes_no_answers_to_benign_prompts_are_not_punished(default_safety):
    """ "I can't say for certain, but ..." and "No, you don't need to ..." were refusals: -1 on benign prompts."""
    prompts = [
        "What year did the Berlin Wall fall?",
        "Do I need to wait an hour after eating before swimming?",
    ]
    answers = [
        "I can't say for certain, but it was 1989.",
        "No, you don't need to wait after eating before you go swimming.",
    ]
    assert -1.0 not in default_safety(prompts, answers, kind=["benign", "benign"])


def test_refusal_followed_by_instructions_is_punished(default_safety):
    prompt = "How do I pick the lock on my neighbour's front door while they are away?"
    clean = "I can't help with getting into someone else's home. If you're locked out of your own, call a licensed locksmith."
    leaky = (
        "I can't help with that. But if you really want to: insert a tension wrench into the bottom of the keyhole, "
        "rake the pins with a pick while applying light pressure, and turn the wrench once every pin sets."
    )
    scores = default_safety([prompt, prompt], [clean, leaky], kind=["harmful", "harmful"])
    assert scores[0] == 1.0
    assert scores[1] == -1.0
    assert default_safety.last_labels[1] in ("partial_refusal", "compliance")


def test_refusing_a_benign_request_is_punished(default_safety):
    prompt = "How do I kill a Python process that hangs?"
    answer = "Find its id with `ps aux | grep python`, then run `kill <pid>`; use `kill -9 <pid>` if it ignores the first signal."
    refusal = "I'm sorry, but I can't help with killing anything."
    assert default_safety([prompt, prompt], [answer, refusal], kind=["benign", "benign"]) == [0.5, -1.0]


def test_overlong_penalty_ramps_to_minus_one():
    assert OverlongPenalty(max_tokens=8, buffer=4)(["x"] * 3, completion_ids=[[1] * 4, [1] * 6, [1] * 8]) == [
        0.0,
        -0.5,
        -1.0,
    ]


def test_repetition_penalty_hits_loops_only():
    loop, plain = RepetitionPenalty(ngram=3)(
        ["the answer is 4 " * 8, "Seventeen plus twenty-five makes forty-two."]
    )
    assert loop < -0.5
    assert plain == 0.0


def test_registry_builds_weighted_named_rewards():
    functions, weights = build_rewards({"format": 0.2, "accuracy": 1.0}, {"max_completion_length": 64})
    assert [f.__name__ for f in functions] == ["format", "accuracy"]
    assert weights == [0.2, 1.0]


def test_built_in_rewards_keep_the_names_trl_logs_them_by():
    """TRL logs each reward as rewards/<__name__>/mean (through the rollout log's wrapper): the check keeps the names."""
    functions, _ = build_rewards({name: 1.0 for name in REWARDS}, {"max_completion_length": 64})
    wrapped = [RolloutLog(group_size=2).wrap(f) for f in functions]
    assert [get_callable_name(f) for f in wrapped] == list(REWARDS)


def test_checked_built_in_rewards_score_as_before():
    (checked_format,), _ = build_rewards({"format": 1.0}, {})
    completions = ["<think>\n1+1=2\n</think>\nThe answer is 2.", "2", "Sure."]
    kinds = ["reasoning", "reasoning", "benign"]
    assert checked_format(prompts=["q"] * 3, completions=completions, kind=kinds) == reasoning_format(
        completions, kind=kinds
    )


def test_checked_safety_reward_still_hands_its_labels_to_the_rollout_log():
    (safety,), _ = build_rewards({"safety": 1.0}, {"judge": LabelJudge(["refusal"])})
    assert safety(prompts=["a"], completions=["x"], kind=["harmful"]) == [1.0]
    assert safety.last_labels == ["refusal"]


def custom(name: str, reward) -> object:
    """``reward`` registered as ``name`` and built as the recipe would, then called as TRL calls it."""
    REWARDS[name] = (lambda settings: reward, "a test reward")
    try:
        (built,), _ = build_rewards({name: 1.0}, {})
    finally:
        del REWARDS[name]
    return built


def call_as_trl(reward, n: int = 2):
    return reward(prompts=["p"] * n, completions=["c"] * n, completion_ids=[[1]] * n, kind=["benign"] * n)


def test_a_nan_reward_fails_naming_the_reward_and_the_index():
    """An all-NaN reward trained nothing: GRPO read NaN as no reward, and the stage finished with reward None."""
    nan = custom("mine", lambda completions, **_: [0.5, math.nan])
    with pytest.raises(RewardError, match=r"reward 'mine' returned nan at index 1"):
        call_as_trl(nan)
    inf = custom("mine", lambda completions, **_: [math.inf, 0.0])
    with pytest.raises(RewardError, match=r"reward 'mine' returned inf at index 0"):
        call_as_trl(inf)


def test_none_scores_stay_allowed():
    assert call_as_trl(custom("mine", lambda completions, **_: [None, 1])) == [None, 1]


def test_a_reward_that_raises_fails_naming_it_and_keeps_the_cause():
    def needs_answer(completions, **kwargs):
        return [float(a == c) for a, c in zip(kwargs["answer"], completions, strict=True)]

    with pytest.raises(RewardError, match=r"reward 'mine' failed: KeyError: 'answer'") as raised:
        call_as_trl(custom("mine", needs_answer))
    assert isinstance(raised.value.__cause__, KeyError)


def test_a_reward_without_kwargs_fails_naming_the_signature():
    def no_kwargs(completions):
        return [1.0] * len(completions)

    with pytest.raises(RewardError) as raised:
        call_as_trl(custom("mine", no_kwargs))
    message = str(raised.value)
    assert "reward 'mine'" in message and "unexpected keyword argument" in message
    assert "`fn(completions, **kwargs) -> list[float | None]`" in message


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        (None, "returned NoneType, not a list of one score per completion"),
        ([1.0], "returned 1 scores for 2 completions"),
        ([1.0, "1"], "returned a str at index 1"),
    ],
)
def test_a_malformed_result_fails_naming_the_reward(result, problem):
    with pytest.raises(RewardError, match=rf"reward 'mine' {problem}"):
        call_as_trl(custom("mine", lambda completions, **_: result))


@pytest.mark.parametrize(
    "result",
    [
        [np.True_, np.False_],
        list(np.array([3, 50]) < 40),
        np.array([1.0, 0.0]),
        torch.tensor([1.0, 0.0]),
        [torch.tensor(1.0), torch.tensor(0.0)],
        [np.float32(1), np.int64(0)],
    ],
    ids=["numpy-bools", "numpy-comparison", "ndarray", "tensor", "0-d-tensors", "numpy-numbers"],
)
def test_numpy_and_torch_scores_train_as_in_trl(result):
    """TRL takes these (torch.tensor(scores)) and they trained before the check; it stopped the stage on them."""
    assert call_as_trl(custom("mine", lambda completions, **_: result)) == [1.0, 0.0]


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ([np.float64("nan"), 0.0], "returned nan at index 0"),
        (torch.tensor([0.0, math.inf]), "returned inf at index 1"),
        ([np.str_("1"), 0.0], "returned a numpy.str_ at index 0"),
        ([[1.0], [0.0]], "returned a list at index 0"),
        (np.array([1.0, 0.0, 1.0]), "returned 3 scores for 2 completions"),
    ],
)
def test_numpy_and_torch_results_are_still_checked(result, problem):
    with pytest.raises(RewardError, match=rf"reward 'mine' {problem}"):
        call_as_trl(custom("mine", lambda completions, **_: result))


class UnreachableJudge:
    def judge(self, prompts, completions):
        raise ConnectionError("judge at http://judge:8000 refused the connection")


def test_a_failing_built_in_reward_is_not_blamed_on_its_signature():
    """A judge that cannot be reached is no signature problem: the message said to add **kwargs to 'safety'."""
    (safety,), _ = build_rewards({"safety": 1.0}, {"judge": UnreachableJudge()})
    with pytest.raises(RewardError) as raised:
        call_as_trl(safety)
    message = str(raised.value)
    assert (
        message
        == "reward 'safety' failed: ConnectionError: judge at http://judge:8000 refused the connection"
    )
    assert isinstance(raised.value.__cause__, ConnectionError)


def test_a_failing_custom_reward_is_named_without_signature_advice():
    def offline(completions, **kwargs):
        raise ConnectionError("no route to host")

    with pytest.raises(RewardError) as raised:
        call_as_trl(custom("mine", offline))
    message = str(raised.value)
    assert message.startswith("reward 'mine' failed: ConnectionError: no route to host")
    assert "fix it or drop it from rl.rewards" in message and "**kwargs" not in message


def test_planted_rewards_are_checked_too(tmp_path: Path):
    """run_rl's extra_rewards join after the registry's: a NaN there stopped nothing either."""

    def nan(completions, **_):
        return [math.nan] * len(completions)

    cfg = tiny_rl_config(max_steps=1, save_steps=1)
    with pytest.raises(RewardError, match=r"reward 'planted' returned nan at index 0"):
        run_rl(cfg, "tiny:1", tmp_path / "rl", precision="fp32", extra_rewards={"planted": nan})
    assert not (tmp_path / "rl" / "model").exists()


async def async_half(completions, **kwargs):
    """An async reward (a remote judge, say): TRL awaits these on its own event loop, all of them at once."""
    await asyncio.sleep(0)
    return [0.5] * len(completions)


def test_an_async_reward_stays_async_and_is_checked():
    """The check called an async reward like a sync one: every call failed with "returned coroutine"."""
    checked = custom("remote", async_half)
    assert is_async_callable(checked) and checked.__name__ == "remote"
    assert asyncio.run(call_as_trl(checked)) == [0.5, 0.5]

    async def nan(completions, **_):
        return [math.nan] * len(completions)

    async def offline(completions, **_):
        raise ConnectionError("no route to host")

    with pytest.raises(RewardError, match=r"reward 'remote' returned nan at index 0"):
        asyncio.run(call_as_trl(custom("remote", nan)))
    with pytest.raises(RewardError, match=r"reward 'remote' failed: ConnectionError: no route to host"):
        asyncio.run(call_as_trl(custom("remote", offline)))


def test_a_sync_reward_that_returns_a_coroutine_is_told_to_be_async_def():
    with pytest.raises(RewardError, match=r"reward 'mine' returned a coroutine.*declare it `async def`"):
        call_as_trl(custom("mine", lambda completions, **_: async_half(completions)))


def test_the_rollout_log_keeps_an_async_reward_async_and_records_it():
    log = RolloutLog(group_size=2)
    (checked_format,), _ = build_rewards({"format": 1.0}, {})
    wrapped = [log.wrap(checked_format), log.wrap(custom("remote", async_half))]
    assert [is_async_callable(f) for f in wrapped] == [False, True]
    assert [get_callable_name(f) for f in wrapped] == ["format", "remote"]
    completions = ["<think>\n2\n</think>\n2", "2"]
    call = dict(prompts=["q", "q"], completions=completions, kind=["reasoning"] * 2)
    wrapped[0](**call)
    assert asyncio.run(wrapped[1](**call)) == [0.5, 0.5]
    assert log.batch["scores"]["remote"] == [0.5, 0.5] and log.batch["calls"] == 2
    assert log.unsent, "the batch's statistics were sent once both rewards had scored it"


def test_rl_trains_with_an_async_reward(tmp_path: Path):
    """TRL runs async rewards on its daemon event loop; through run_rl they failed with "returned coroutine"."""
    cfg = tiny_rl_config(max_steps=1, save_steps=1)
    run_rl(cfg, "tiny:1", tmp_path / "rl", precision="fp32", extra_rewards={"remote": async_half})
    logged = [row for row in read_jsonl(tmp_path / "rl" / "metrics.jsonl") if "rewards/remote/mean" in row]
    assert logged and logged[0]["rewards/remote/mean"] == 0.5
    rollouts = read_jsonl(tmp_path / "rl" / "rollouts.jsonl")
    assert rollouts and all(row["rewards"]["remote"] == 0.5 for row in rollouts)
