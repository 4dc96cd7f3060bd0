"""Whether a rate got worse than a reference by more than a tolerance (safealign.evals.regression)."""

from __future__ import annotations

import pytest

from safealign.config import GateConfig
from safealign.evals.regression import RateChange
from safealign.training.gates import GateMetrics, breaches


@pytest.mark.parametrize("before", range(1, 21))
def test_a_drop_of_exactly_the_tolerance_is_no_breach(before):
    """4/20 - 3/20 is 0.05000000000000002 in floats: at tolerance 0.05 a one-item drop of 20 was a breach from 4, 8,
    11, 13, 15, 16, 18 and 20 of 20 and not from the rest."""
    one_item = RateChange("harmful refusal", before / 20, (before - 1) / 20, 20, 0.05)
    assert not one_item.past_tolerance
    if before >= 2:
        assert not RateChange("harmful refusal", before / 20, (before - 2) / 20, 20, 0.1).past_tolerance
        assert RateChange("harmful refusal", before / 20, (before - 2) / 20, 20, 0.05).past_tolerance
    cfg = GateConfig(limit=20, refusal_tolerance=0.05, over_refusal_tolerance=0.05, min_items=1)
    assert not breaches(
        GateMetrics((before - 1) / 20, 0.0, 0.0, 20, 20), GateMetrics(before / 20, 0.0, 0.0, 20, 20), cfg
    )


def test_the_monitor_allows_a_rise_of_exactly_the_tolerance():
    from safealign.monitor.reevaluate import WATCHED, compare_runs

    key, items_key, _ = next(w for w in WATCHED if w[2] == 1)
    assert compare_runs({key: 3 / 20}, {key: 4 / 20, items_key: 20.0}, 0.05, min_items=1) == []
    assert compare_runs({key: 3 / 20}, {key: 5 / 20, items_key: 20.0}, 0.05, min_items=1)


def test_a_fractional_percent_tolerance_is_shown_as_set():
    """A tolerance of 0.025 was described as "tolerance 2%" (rounded half to even), 0.005 as "tolerance 0%"."""
    assert "tolerance 2.5%" in RateChange("harmful refusal", 0.9, 0.8, 20, 0.025).describe(1)
    assert "tolerance 0.5%" in RateChange("harmful refusal", 0.9, 0.8, 20, 0.005).describe(1)
    assert "tolerance 5%" in RateChange("harmful refusal", 0.9, 0.8, 20, 0.05).describe(1)
