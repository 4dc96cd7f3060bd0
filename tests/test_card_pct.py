"""Percentages in the bundle: a rate that is neither none nor all never reads as either."""

from __future__ import annotations

import pytest

from safealign.card.run_folder import pct, rate


@pytest.mark.parametrize(
    ("value", "shown"),
    [(2499 / 2500, "99.96%"), (1 / 2500, "0.04%"), (1 / 1_000_000, "0.0001%"), (0.0, "0.0%"), (1.0, "100.0%")],
)
def test_a_rate_short_of_all_or_none_does_not_read_as_either(value: float, shown: str) -> None:
    assert pct(value) == shown


def test_ordinary_rates_and_their_intervals_keep_one_decimal() -> None:
    assert rate({"value": 70 / 88, "low": 0.6987, "high": 0.8711, "n": 88}) == "79.5% [69.9%, 87.1%] n=88"
    assert pct(0.004, digits=0) == "0.4%" and pct(0.5, digits=0) == "50%"
