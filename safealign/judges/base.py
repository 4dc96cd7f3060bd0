"""What every judge returns, and the protocol judges follow.

A judge reads (prompt, response) pairs and returns one :class:`Verdict` per pair. Eval suites, RL
rewards, rejection sampling and the deployment monitor all call the same judges: one definition of
"refused", "harmful", "correct" and "mixed language" from training to monitoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

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
