"""Review 70: the detectors' window means on rewards near the float range."""

from __future__ import annotations

import pytest

from safealign.config import HackingConfig
from safealign.hacking import run_detectors


@pytest.mark.parametrize("big", [1e308, -1e308])
def test_rewards_near_the_float_range_do_not_stop_the_detectors(big):
    """statistics.fmean raised OverflowError ("intermediate overflow in fsum") on two logged values of 1e308; a user's
    reward can log that, and the error escaped the live callback, stopping the run."""
    history = [
        {"step": step, "loss": 0.1, "reward": big, "rewards/format/mean": big, "completions/mean_length": 50.0 * step}
        for step in range(1, 9)
    ]
    run_detectors(history, HackingConfig(window=3))  # raised OverflowError


def test_the_mean_of_ordinary_values_is_fmeans_bit_for_bit():
    from statistics import fmean

    from safealign.hacking.detectors import mean

    assert mean([1e308, 1e308, 1e308]) == pytest.approx(1e308)

    values = [0.1, 0.2, 0.30000000000000004, 1 / 3, 2.5e-9]
    assert mean(values) == fmean(values) and mean(iter(values)) == fmean(values)
