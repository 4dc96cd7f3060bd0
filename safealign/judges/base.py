"""What every judge returns, and the protocol judges follow.

A judge reads (prompt, response) pairs and returns one :class:`Verdict` per pair. Eval suites, RL
rewards, rejection sampling and the deployment monitor all call the same judges: one definition of
"refused", "harmful", "correct" and "mixed language" from training to monitoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from safealign.chat_content import message_text, prompt_text
from safealign.errors import SafealignError

# Labels of the refusal judge (XSTest counts full and partial refusals separately).
REFUSAL = "refusal"
PARTIAL_REFUSAL = "partial_refusal"  # refuses, then complies anyway
COMPLIANCE = "compliance"
EVASIVE = "evasive"

# Labels of harmful-content judges.
HARMFUL = "harmful"
SAFE = "safe"


@dataclass
class Verdict:
    """A judge's decision on one response: ``label``, ``score`` in [0, 1] and a human-readable why.

    ``score`` is the judge's confidence in the positive reading of its label set (probability of
    refusal for refusal judges, probability of harm for harm judges).
    """

    label: str
    score: float
    explanation: str
    judge: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Judge(Protocol):
    """Anything with a name and a batch ``judge`` method."""

    name: str

    def judge(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Verdict]: ...


def judged_texts(
    judge: str, prompts: Sequence[Any], responses: Sequence[Any]
) -> tuple[list[str | None], list[str | None]]:
    """``prompts`` and ``responses`` as a judge reads them, one prompt per response: a string as is, None as None (each
    judge reads it as no text), a chat message's content-part list as its text (a prompt's parts one per line, as the
    model was shown them; an answer's as one text: ``safealign.chat_content``). Anything else is a TypeError naming
    the row, where it had been a tokenizer's or a regex's, naming neither row nor fix.

    >>> judged_texts("refusal", [[{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}]], [None])
    (['Hi\\nthere'], [None])
    """
    for kind, texts in (("prompts", prompts), ("responses", responses)):
        if isinstance(texts, str | bytes):  # judged character by character: one verdict per letter
            raise TypeError(f"the {judge} judge takes a list of {kind}, got one text; pass it as a list: [text]")
    prompts, responses = list(prompts), list(responses)  # a generator has no len(), and is read once
    if len(prompts) != len(responses):
        raise ValueError(f"got {len(prompts)} prompts and {len(responses)} responses; pass one prompt per response")
    return (
        [_text(judge, "prompt", index, prompt, prompt_text) for index, prompt in enumerate(prompts)],
        [_text(judge, "response", index, response, message_text) for index, response in enumerate(responses)],
    )


def _text(judge: str, kind: str, index: int, value: Any, read: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    try:
        return read(value)
    except TypeError:
        fix = (
            "decode it to a str (e.g. .decode('utf-8'))"
            if isinstance(value, bytes | bytearray)
            else "give a str, or a chat message's content (a str or a list of its content parts)"
        )
        raise TypeError(
            f"the {judge} judge reads text, and {kind} {index} is of type {type(value).__name__} ({value!r:.60}); {fix}"
        ) from None


class JudgeOutputError(SafealignError):
    """A judge broke its contract (one Verdict per response): the same on every row, so logged without a traceback."""


# The labels each role may return. Any other label (a guard's "unsafe", a "refused") was counted as neither harmful nor
# refused, so a plugged-in judge speaking its own words flagged nothing.
ROLE_LABELS = {
    "refusal": (REFUSAL, PARTIAL_REFUSAL, COMPLIANCE, EVASIVE),
    "harm": (HARMFUL, SAFE),
    "request": (HARMFUL, SAFE),
}


def checked_verdicts(role: str, judge: Any, verdicts: Any, expected: int) -> list[Verdict]:
    """``verdicts`` when it is one :class:`Verdict` per response, labelled from ``ROLE_LABELS[role]``; else a
    JudgeOutputError naming the judge."""
    name = getattr(judge, "name", None) or type(judge).__name__
    if (
        isinstance(verdicts, list | tuple)
        and len(verdicts) == expected
        and all(isinstance(v, Verdict) for v in verdicts)
    ):
        _check_labels(role, name, verdicts)
        _check_scores(role, name, verdicts)
        return list(verdicts)
    got = (
        (f"{len(verdicts)} results" if isinstance(verdicts, list | tuple) else type(verdicts).__name__)
        if verdicts is not None
        else "None"
    )
    kinds = (
        sorted({type(v).__name__ for v in verdicts if not isinstance(v, Verdict)})
        if isinstance(verdicts, list | tuple)
        else []
    )
    raise JudgeOutputError(
        f"the {role} judge {name!r} returned {got}{' of type ' + ', '.join(kinds) if kinds else ''} for "
        f"{expected} responses: judge(prompts, responses) must return one safealign.judges.base.Verdict per response"
    )


def _check_scores(role: str, name: str, verdicts: Sequence[Verdict]) -> None:
    # A NaN score is no probability (NaN logits or embeddings: a broken checkpoint, an overflow in its dtype), and a
    # comparison with NaN had made it a verdict anyway: Llama Guard's `nan < threshold` is False ("harmful"), the
    # default judge's `nan >= 0.5` is False ("safe").
    for verdict in verdicts:
        if _is_nan(verdict.score):
            raise JudgeOutputError(
                f"the {role} judge {name!r} gave a NaN score ({' '.join(str(verdict.explanation).split())[:200]}): "
                "its model computed no probability (NaN logits or embeddings: a broken checkpoint, or an overflow in "
                "its dtype); nothing is judged from it"
            )


def _is_nan(value: Any) -> bool:
    # None: a label-only judge; a score of another kind fails where it is used
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _check_labels(role: str, name: str, verdicts: Sequence[Verdict]) -> None:
    allowed = ROLE_LABELS[role]
    unknown = sorted({str(v.label) for v in verdicts} - set(allowed))
    if unknown:
        example = "a guard's 'unsafe' is 'harmful'" if role != "refusal" else "'refused' is 'refusal'"
        raise JudgeOutputError(
            f"the {role} judge {name!r} returned the label {', '.join(map(repr, unknown))}: a {role} verdict's label "
            f"must be one of {', '.join(map(repr, allowed))} (safealign.judges.base); map the judge's own "
            f"words onto these in its judge() ({example})"
        )
