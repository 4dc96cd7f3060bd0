"""A generated problem's key reads a number the same with or without the separators that group its digits."""

from __future__ import annotations

import pytest

from safealign.corpus.decontaminate import decontamination_check, normalise


@pytest.mark.parametrize(
    "grouped", ["1,234", "1\u202f234", "1\u00a0234", "1\u2009234", "1'234", "1\u2019234"]
)
@pytest.mark.parametrize("train_grouped", [True, False])
def test_a_grouped_number_is_the_eval_item_with_the_number_ungrouped(grouped, train_grouped):
    """The key kept the comma: "What is 1,234 + 5?" in training was not the eval item "What is 1234 + 5?", nor the other
    way round, whole or inside a longer turn (a no-break, thin or apostrophe grouping read as two numbers)."""
    plain, spelled = "What is 1234 + 5?", f"What is {grouped} + 5?"
    train, item = (spelled, plain) if train_grouped else (plain, spelled)
    assert decontamination_check([("t", train)], [], exact_only=[("e", item)]).exact == [("t", "e")]
    inside = decontamination_check(
        [("t", f"Solve this please. {train} Thanks")], [], exact_only=[("e", item)]
    )
    assert [(t, e) for t, e, _ in inside.overlaps] == [("t", "e")]


def test_grouping_is_dropped_but_decimal_and_list_commas_and_plain_spaces_stay_apart():
    assert normalise("Compute 1,234,567.5 - 2", operators=True) == "compute 1234567.5 - 2"
    assert normalise("３,５ + 1", operators=True) == "3 5 + 1"  # a decimal comma or a list: not one number
    assert normalise("Sort 3,5,1", operators=True) == "sort 3 5 1"
    assert (
        normalise("6 + 10 000", operators=True) == "6 + 10 000"
    )  # a plain space may stand between two numbers
    assert normalise("1,234 + 5") == "1 234 5"  # the n-gram key is not a generated problem's: unchanged


@pytest.mark.parametrize("number", ["10,000", "10\u202f000", "10'000"])
def test_a_grouped_number_still_does_not_hold_the_item_with_its_first_digits(number):
    """The old bug stays fixed: "Calculate 6 + 10,000" (read as "10 000") held the eval item "Calculate 6 + 10"."""
    report = decontamination_check(
        [("t", f"Calculate 6 + {number} and show your working.")], [], exact_only=[("e", "Calculate 6 + 10.")]
    )
    assert report.clean
