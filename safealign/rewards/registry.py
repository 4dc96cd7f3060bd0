"""Rewards by name: the recipe lists names and weights; unknown names fail with the valid list.

A reward is ``fn(completions, **kwargs) -> list[float | None]``: one score per completion, ``None`` where the reward
does not apply to that sample. The other arguments arrive by keyword: ``prompts``, ``completion_ids``, the prompt rows'
columns (``kind``, ``task``, ``language``) and TRL's ``trainer_state``, ``log_metric`` and ``log_extra``; take the ones
you need and end with ``**kwargs`` for the rest. To add one, register a factory (a settings dict -> the reward) and a
one-line help under a new name before the recipe is read, then list the name in ``rl.rewards`` (a name -> weight map).
The RL stage passes the factory only ``{"max_completion_length": ...}``: no other recipe setting reaches a reward (one
that needs more holds its own, e.g. a callable class the factory builds with fixed arguments)::

    from safealign.rewards import REWARDS
    from safealign.rewards.functions import completion_text

    def brevity(completions, **kwargs):
        return [-len(completion_text(c)) / 1000 for c in completions]

    REWARDS["brevity"] = (lambda settings: brevity, "minus the answer's length in thousands of characters.")

A reward may be ``async def`` (a remote judge): it stays async, and TRL awaits a batch's async rewards together.

Every reward is checked on each call (``CheckedReward``): an exception, a result that is not a list of one score per
completion, or a NaN or infinite score stops the stage with a ``RewardError`` that names the reward. As in TRL, a score
may be any real number (a numpy number or bool, a 0-d tensor too) and the result a 1-d array or tensor. A reward that
cannot take the keywords every call passes (no ``**kwargs``) is refused sooner, as the stage builds its rewards.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial, update_wrapper
from numbers import Real
from typing import Any

import numpy as np

from safealign.errors import RecipeError, SafealignError, did_you_mean
from safealign.rewards import functions

# What the safety reward pays for an answer to a benign prompt (its help says it, from this value).
SAFETY_BENIGN_ANSWER = 0.5
SAFETY_HELP = (
    "refusal judge: harmful prompt: an explicit refusal +1, anything else -1 (partial refusal, compliance, and an "
    f"evasive or empty answer too, and a refusal whose think block works the request out first); benign or borderline: an answer +{SAFETY_BENIGN_ANSWER:g}, an evasive one 0, a refusal or "
    "partial refusal -1; reasoning: a refusal or partial refusal -1, else None (accuracy scores it). An answer "
    "that loops (half its word 3-grams repeat, unless the prompt asks for repetition) is evasive: 0 on a benign "
    f"or borderline prompt, not +{SAFETY_BENIGN_ANSWER:g}."
)


def knows_limit(reward: Callable, settings: dict[str, Any]) -> Callable:
    """``reward`` with the recipe's ``max_completion_length`` bound, to tell a completion the limit cut off inside its
    think block (:func:`functions.cut_off`); under its own name, module and docstring."""
    limit = settings.get("max_completion_length")
    return update_wrapper(partial(reward, max_completion_length=limit), reward)


# name -> (factory(settings) -> reward callable, one-line help). The help text lives here only.
REWARDS: dict[str, tuple[Callable[[dict[str, Any]], Callable], str]] = {
    "accuracy": (
        lambda s: knows_limit(functions.accuracy, s),
        "1 if the verifier (reasoning-gym / math-verify) accepts the answer, else 0 (reasoning-gym's partial credit for non-numeric answers); None without a task.",
    ),
    "format": (
        lambda s: knows_limit(functions.reasoning_format, s),
        "reasoning format (<think>…</think> then the answer) on reasoning prompts.",
    ),
    "language": (
        lambda s: knows_limit(functions.language_consistency, s),
        "share of answer words in the prompt's language (DeepSeek-R1).",
    ),
    "safety": (
        lambda s: functions.SafetyReward(
            judge=s.get("judge"),
            benign_answer=s.get("benign_answer", SAFETY_BENIGN_ANSWER),
            max_completion_length=s.get("max_completion_length"),
        ),
        SAFETY_HELP,
    ),
    "overlong": (
        lambda s: functions.OverlongPenalty(max_tokens=s.get("max_completion_length")),
        "DAPO soft length penalty near the completion limit.",
    ),
    "repetition": (
        lambda s: functions.RepetitionPenalty(
            ngram=s.get("ngram", 3), max_completion_length=s.get("max_completion_length")
        ),
        "minus the share of repeated 3-grams.",
    ),
}
# The entries above, to tell a built-in's failure (its own error says the fix) from a registration's.
BUILT_INS = dict(REWARDS)


def unknown_reward(names: list[str]) -> str | None:
    """The problem with the first name that is not a registered reward (unknown, or registered as something other than
    a (factory, help) pair: `entry_problem`), or None when all are."""
    for name in names:
        if name not in REWARDS:
            return (
                f"unknown reward {name!r}{did_you_mean(name, REWARDS)}; valid rewards: {', '.join(REWARDS)}"
            )
        if problem := entry_problem(name):
            return problem
    return None


REGISTER = "REWARDS[{name!r}] = (lambda settings: <the reward>, 'one-line help')"


def entry_problem(name: str) -> str | None:
    """What is wrong with ``REWARDS[name]`` when it is not a (factory, help) pair: registered as the reward itself, it
    failed with a bare TypeError at the stage's start (after the model loaded) and broke `safealign rewards list`."""
    entry = REWARDS[name]
    if isinstance(entry, tuple | list) and len(entry) == 2 and callable(entry[0]):
        return None
    return (
        f"REWARDS[{name!r}] is a {type_name(entry)}, not a (factory, help) pair: register it as "
        f"{REGISTER.format(name=name)}, the factory taking the settings dict and returning the reward"
    )


def check_reward_names(names: list[str]) -> None:
    problem = unknown_reward(names)
    if problem:
        raise RecipeError(problem)


def build_rewards(weights: dict[str, float], settings: dict[str, Any]) -> tuple[list[Callable], list[float]]:
    """Checked reward callables (each with ``__name__`` = its registry name, as TRL logs it) and their weights."""
    check_reward_names(list(weights))
    funcs, out_weights = [], []
    for name, weight in weights.items():
        reward = built_reward(name, settings)
        if missing := refused_keywords(reward):
            raise RewardError(
                f"reward {name!r} would fail on every call with an unexpected keyword argument {missing[0]!r} (TRL "
                f"passes every reward {', '.join(PASSED_TO_EVERY_REWARD)} by keyword): a reward is {SIGNATURE}{KWARGS_FIX}"
            )
        funcs.append(checked_reward(reward, name))
        out_weights.append(weight)
    return funcs, out_weights


# The keywords TRL passes every reward on every call (beside the prompt rows' columns and its trainer_state, log_metric
# and log_extra, which a reward may not know of)
PASSED_TO_EVERY_REWARD = ("prompts", "completions", "completion_ids")


def refused_keywords(reward: Callable) -> list[str]:
    """The keywords of ``PASSED_TO_EVERY_REWARD`` that ``reward`` cannot take (no ``**kwargs``, no parameter of that
    name): its first call fails on them, and that came only after the model loaded and the gates' baseline check and
    the first round's generation ran. None are named for a callable whose signature cannot be read. A decorated
    reward's own signature is read, not the function it wraps (``functools.wraps``): its wrapper may drop keywords."""
    try:
        parameters = inspect.signature(reward, follow_wrapped=False).parameters.values()
    except (TypeError, ValueError):
        return []
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return []
    named = {parameter.name for parameter in parameters if parameter.kind is not parameter.POSITIONAL_ONLY}
    return [keyword for keyword in PASSED_TO_EVERY_REWARD if keyword not in named]


def built_reward(name: str, settings: dict[str, Any]) -> Callable:
    """``REWARDS[name]``'s factory called on ``settings``; a factory that fails or returns no callable (the reward
    registered where its factory goes, called on the settings dict) is a RewardError saying how to register it, not an
    AttributeError from TRL's helpers."""
    fix = f"REWARDS[{name!r}] is (factory, help), the factory taking the settings dict and returning the reward: {REGISTER.format(name=name)}"
    try:
        reward = REWARDS[name][0](settings)
    except SafealignError:
        raise
    except Exception as error:
        # a built-in that cannot be built on these settings is no misregistration ("overlong" without the limit)
        advice = "" if REWARDS[name] is BUILT_INS.get(name) else f". {fix}"
        raise RewardError(
            f"reward {name!r} could not be built: {type(error).__name__}: {error}{advice}"
        ) from error
    if not callable(reward):
        raise RewardError(f"reward {name!r}: its factory returned a {type_name(reward)}, not a reward. {fix}")
    return reward


class RewardError(SafealignError):
    """A reward that failed or returned scores GRPO cannot train on (the message names the reward)."""


SIGNATURE = "`fn(completions, **kwargs) -> list[float | None]`"
KWARGS_FIX = (
    ": the other arguments (prompts, completion_ids, the prompt rows' columns) arrive by keyword, so end its "
    "parameters with **kwargs; fix it or drop it from rl.rewards"
)


class CheckedReward:
    """``reward`` under the name ``name``, its every call checked: GRPO turned a NaN score into no reward (an all-NaN
    reward trained nothing, and the stage finished), and a failing reward ended in a traceback from inside TRL.

    >>> CheckedReward(lambda completions, **kwargs: [1.0] * len(completions), "one")(completions=["a", "b"])
    [1.0, 1.0]
    """

    def __init__(self, reward: Callable, name: str) -> None:
        self.reward = reward
        self.__name__ = name
        self.__doc__ = reward.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> list[float | None]:
        with self.failures_named(kwargs):
            scores = as_list(self.reward(*args, **kwargs))
        return self.checked(scores, args, kwargs)

    @contextmanager
    def failures_named(self, passed: dict[str, Any]) -> Iterator[None]:
        """A reward's own error as a RewardError naming it (a SafealignError already names its problem and fix);
        ``passed``: the call's keyword arguments."""
        try:
            yield
        except SafealignError:
            raise
        except Exception as error:
            raise RewardError(
                f"reward {self.__name__!r} failed: {type(error).__name__}: {error}{self.fix(error, passed)}"
            ) from error

    def checked(self, scores: Any, args: tuple, kwargs: dict[str, Any]) -> list[float | None]:
        """``scores`` as floats and Nones, or a RewardError naming what is wrong with them."""
        if inspect.isawaitable(scores):
            if inspect.iscoroutine(scores):
                scores.close()  # never awaited: no "was never awaited" warning on top of the error
            raise RewardError(
                f"reward {self.__name__!r} returned a {type_name(scores)}, not scores: declare it `async def` "
                "(TRL awaits those, on its own event loop) or return the scores"
            )
        completions = kwargs.get("completions", args[0] if args else None)  # prompts, if positional: as many
        problem = score_problem(scores, None if completions is None else len(completions))
        if problem:
            raise RewardError(f"reward {self.__name__!r} {problem}; a reward is {SIGNATURE}")
        return [None if score is None else as_number(score) for score in scores]

    def fix(self, error: Exception, passed: dict[str, Any]) -> str:
        """What to do about ``error``: the signature only when the call did not fit it, nothing for a built-in. A
        TypeError of a call inside a reward that takes ``**kwargs`` (``json.dumps(x, indnt=2)``) is no signature's:
        told to end its parameters with ``**kwargs``, as they did, the user looked for the bug in the wrong place."""
        fitted = fits(self.reward, passed, unreadable=None)
        if isinstance(error, TypeError) and "unexpected keyword argument" in str(error) and not fitted:
            return f". A reward is {SIGNATURE}{KWARGS_FIX}"
        if isinstance(error, TypeError) and fitted is False:
            # a parameter named for a column the prompt rows lack ("answer"): the error named it, not what there is
            return (
                f". It was called with {', '.join(passed)}: give that parameter one of these names or a default; "
                "fix it or drop it from rl.rewards"
            )
        if getattr(self.reward, "__module__", None) == functions.__name__:
            return ""  # a built-in: the error itself (a judge that cannot be reached, ...) says what to fix
        return "; fix it or drop it from rl.rewards"

    def __getattr__(self, attribute: str) -> Any:
        """The wrapped reward's attributes (the rollout log reads the safety reward's ``last_labels``)."""
        reward = self.__dict__.get("reward")  # absent while unpickling
        if reward is None:
            raise AttributeError(attribute)
        return getattr(reward, attribute)


class AsyncCheckedReward(CheckedReward):
    """An ``async def`` reward (a remote judge, say), checked as ``CheckedReward`` checks a sync one. It stays async,
    so TRL awaits it on its event loop beside the other async rewards."""

    async def __call__(self, *args: Any, **kwargs: Any) -> list[float | None]:
        with self.failures_named(kwargs):
            scores = as_list(await self.reward(*args, **kwargs))
        return self.checked(scores, args, kwargs)


def fits(reward: Callable, passed: dict[str, Any], unreadable: bool | None = True) -> bool | None:
    """Whether ``reward``'s own signature takes these keyword arguments (``unreadable`` when it cannot be read): a
    TypeError from a call that fits came from inside the reward."""
    try:
        inspect.signature(reward, follow_wrapped=False).bind(**passed)
    except ValueError:
        return unreadable
    except TypeError:
        return False
    return True


def checked_reward(reward: Callable, name: str) -> CheckedReward:
    """``reward`` checked on every call under ``name``: async when ``reward`` is (as TRL tells them apart)."""
    from trl.trainer.utils import is_async_callable

    return (AsyncCheckedReward if is_async_callable(reward) else CheckedReward)(reward, name)


def as_list(result: Any) -> Any:
    """A 1-d array or tensor result as a list (TRL takes those too); any other result as it is."""
    if getattr(result, "ndim", None) == 1 and hasattr(result, "tolist"):
        return result.tolist()
    return result


def as_number(score: Any) -> float | None:
    """``score`` as a float when it is one real number (a Python or numpy number or bool, a 0-d tensor), else None.
    An int or fraction past the float range is infinite: float() raised OverflowError, which escaped the reward's
    check as a bare traceback from inside TRL, naming no reward."""
    if getattr(score, "ndim", None) == 0 and hasattr(score, "item"):
        score = score.item()  # a 0-d tensor or array: its Python value
    if not isinstance(score, (Real, np.bool_)):
        return None
    try:
        return float(score)
    except OverflowError:  # 10 ** 400, say
        return math.inf if score > 0 else -math.inf


def type_name(value: Any) -> str:
    """``str`` for a built-in type, ``numpy.str_`` or ``torch.Tensor`` for the rest."""
    kind = type(value)
    return (
        kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    )


def score_problem(scores: Any, expected: int | None) -> str | None:
    """What is wrong with a reward's result, or None for a list of ``expected`` finite numbers or Nones."""
    if not isinstance(scores, (list, tuple)):
        return f"returned {type_name(scores)}, not a list of one score per completion"
    if expected is not None and len(scores) != expected:
        return f"returned {len(scores)} scores for {expected} completions: return one score per completion"
    for index, score in enumerate(scores):
        if score is None:
            continue  # does not apply to this sample
        number = as_number(score)
        if number is None:
            return f"returned a {type_name(score)} at index {index}: return a float, or None where it does not apply"
        if not math.isfinite(number):
            return (
                f"returned {number} at index {index}: GRPO cannot train on a NaN or infinite score; return None "
                "where the reward does not apply"
            )
    return None


def describe_rewards() -> list[tuple[str, str]]:
    for name in REWARDS:
        if problem := entry_problem(name):
            raise RewardError(problem)
    return [(name, help_text) for name, (_, help_text) in REWARDS.items()]
