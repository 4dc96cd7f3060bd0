"""Eval statistics, sixty-seventh review: the Wilson interval's ends at 0 and n successes, its inputs, and the exact
McNemar test on a large suite."""

from __future__ import annotations

import math
import time

import pytest

from safealign.card.model_card import arithmetic
from safealign.evals.metrics import Rate, over_prompts, wilson_interval
from safealign.evals.paired import mcnemar_exact


def test_no_success_has_an_interval_from_exactly_zero_and_all_successes_one_to_exactly_one() -> None:
    # centre - half rounded to 2.8e-17 for 0 of 11 (and centre + half to 0.9999999999999999 for 6 of 6)
    for n in range(1, 300):
        assert wilson_interval(0, n)[0] == 0.0, n
        assert wilson_interval(n, n)[1] == 1.0, n
    assert Rate.proportion(0, 11).low == 0.0 and Rate.mean([0.0] * 11).low == 0.0
    assert over_prompts(Rate.proportion(0, 88), 11).low == 0.0
    assert Rate.proportion(6, 6).high == 1.0
    # the model card offers the model for arithmetic only when the accuracy's interval is above 0
    row = {
        "suite": "reasoning",
        "metric": "accuracy",
        "split": "held_out",
        "split_name": "held-out",
        "name": "accuracy",
        "values": {"final": Rate.proportion(0, 11).to_dict()},
    }
    assert arithmetic([row], "final", [])["offered"] is False, "0 of 11 correct is no arithmetic"


@pytest.mark.parametrize("successes, n", [(11, 10), (1001, 1000), (-1, 5), (math.nan, 5)])
def test_successes_outside_zero_to_n_are_refused_naming_them(successes: float, n: int) -> None:
    # swapped arguments ended in "math domain error"; NaN gave a NaN interval
    with pytest.raises(ValueError, match=r"0 <= successes <= n, got .* out of n="):
        wilson_interval(successes, n)


def test_mcnemar_exact_on_thousands_of_flips_is_quick_and_unchanged() -> None:
    for gained in range(40):
        for lost in range(40):
            n = gained + lost
            reference = (
                1.0
                if n == 0
                else min(1.0, 2 * (sum(math.comb(n, k) for k in range(min(gained, lost) + 1)) / 2**n))
            )
            assert mcnemar_exact(gained, lost) == reference, (gained, lost)
    started = time.perf_counter()
    p = mcnemar_exact(5000, 5250)  # a math.comb per term took 11 s here
    assert time.perf_counter() - started < 2.0
    assert p == pytest.approx(0.013911222150489556, rel=1e-12)  # scipy.stats.binomtest(5000, 10250).pvalue
