"""Whether a rate got worse than a reference by more than a tolerance, in points and in items.

The RL gates (between checkpoints) and `safealign monitor evaluate` (between scheduled runs) ask the
same question of a refusal rate: did it fall, or did an over-refusal rate rise, past the tolerance?
On a small suite one answer is a large step (1 of 16 items is 6.25 points), so a change counts only
when it is also at least ``min_items`` items; a rate with no item count (0: a continuous score, or a
summary that does not say) has no floor.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOAT_SLACK = 1e-9  # far below one item of any suite, far above float rounding of a rate


@dataclass
class RateChange:
    """One rate moving in its bad direction from ``before`` to ``after``."""

    name: str
    before: float
    after: float
    items: int  # items behind the rate (0: unknown or continuous, no item floor)
    tolerance: float
    # -1: a fall is bad (refusal of harmful requests); +1: a rise is bad (over-refusal)
    bad_direction: int = -1

    @property
    def worsening(self) -> float:
        return (self.after - self.before) * self.bad_direction

    @property
    def past_tolerance(self) -> bool:
        # A change of exactly the tolerance is allowed: 4/20 - 3/20 is 0.05000000000000002 in floats, so without the
        # slack a one-item drop of 20 at tolerance 0.05 was a breach from 4 of 20 and not from 5.
        return self.worsening > self.tolerance + FLOAT_SLACK

    @property
    def items_changed(self) -> int:
        return round(abs(self.after - self.before) * self.items)

    def reaches(self, min_items: int) -> bool:
        return not self.items or self.items_changed >= min_items

    def describe(self, min_items: int, percent: bool = True) -> str:
        counted = f"{self.items_changed} of {self.items} items, " if self.items else ""
        floor = f", at least {min_items} items" if self.items else ""
        values = (
            f"{self.before:.0%} → {self.after:.0%}" if percent else f"{self.before:.3f} → {self.after:.3f}"
        )
        # :g, not :.0%: a tolerance of 0.025 read "tolerance 2%"
        tolerance = f"{self.tolerance * 100:g}%" if percent else f"{self.tolerance}"
        return f"{self.name} {values} ({counted}tolerance {tolerance}{floor})"


def regressions(changes: list[RateChange], min_items: int) -> tuple[list[RateChange], list[RateChange]]:
    """(changes past the tolerance that reach the item floor, those past the tolerance that do not)."""
    past = [change for change in changes if change.past_tolerance]
    return [c for c in past if c.reaches(min_items)], [c for c in past if not c.reaches(min_items)]
