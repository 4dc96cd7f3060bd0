"""Rewards by name: the recipe lists names and weights; unknown names fail with the valid list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safealign.errors import RecipeError, did_you_mean
from safealign.rewards import functions

# What the safety reward pays for an answer to a benign prompt (its help says it, from this value).
SAFETY_BENIGN_ANSWER = 0.5
SAFETY_HELP = (
    "refusal judge: harmful prompt: an explicit refusal +1, anything else -1 (partial refusal, compliance, and an "
    f"evasive or empty answer too); benign or borderline: an answer +{SAFETY_BENIGN_ANSWER:g}, an evasive one 0, a refusal or "
    "partial refusal -1; reasoning: a refusal or partial refusal -1, else None (accuracy scores it)."
)

# name -> (factory(settings) -> reward callable, one-line help). The help text lives here only.
REWARDS: dict[str, tuple[Callable[[dict[str, Any]], Callable], str]] = {
    "accuracy": (
        lambda s: functions.accuracy,
        "1 if the verifier (reasoning-gym / math-verify) accepts the answer, else 0 (reasoning-gym's partial credit for non-numeric answers); None without a task.",
    ),
    "format": (
        lambda s: functions.reasoning_format,
        "reasoning format (<think>…</think> then the answer) on reasoning prompts.",
    ),
    "language": (
        lambda s: functions.language_consistency,
        "share of answer words in the prompt's language (DeepSeek-R1).",
    ),
    "safety": (
        lambda s: functions.SafetyReward(
            judge=s.get("judge"), benign_answer=s.get("benign_answer", SAFETY_BENIGN_ANSWER)
        ),
        SAFETY_HELP,
    ),
    "overlong": (
        lambda s: functions.OverlongPenalty(max_tokens=s["max_completion_length"]),
        "DAPO soft length penalty near the completion limit.",
    ),
    "repetition": (
        lambda s: functions.RepetitionPenalty(ngram=s.get("ngram", 3)),
        "minus the share of repeated 3-grams.",
    ),
}


def unknown_reward(names: list[str]) -> str | None:
    """The problem with the first name that is not a registered reward, or None when all are."""
    for name in names:
        if name not in REWARDS:
            return (
                f"unknown reward {name!r}{did_you_mean(name, REWARDS)}; valid rewards: {', '.join(REWARDS)}"
            )
    return None


def check_reward_names(names: list[str]) -> None:
    problem = unknown_reward(names)
    if problem:
        raise RecipeError(problem)


def build_rewards(weights: dict[str, float], settings: dict[str, Any]) -> tuple[list[Callable], list[float]]:
    """Reward callables (each with ``__name__`` = its registry name, as TRL logs it) and their weights."""
    check_reward_names(list(weights))
    funcs, out_weights = [], []
    for name, weight in weights.items():
        reward = REWARDS[name][0](settings)
        if not hasattr(reward, "__name__") or reward.__name__ != name:
            reward = _named(reward, name)
        funcs.append(reward)
        out_weights.append(weight)
    return funcs, out_weights


def _named(reward: Callable, name: str) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> list[float | None]:
        return reward(*args, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = reward.__doc__
    return wrapper


def describe_rewards() -> list[tuple[str, str]]:
    return [(name, help_text) for name, (_, help_text) in REWARDS.items()]
