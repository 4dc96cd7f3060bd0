"""Review 63 of the rewards and tasks: answer reading that rewarded a wrong or hedged answer as right."""

from __future__ import annotations

import json

import pytest

from safealign.rewards.functions import accuracy
from safealign.tasks import Problem, check_answer, extract_answer

SHIPPED_FAMILIES = (
    "arithmetic",
    "word_problem",
    "basic_arithmetic",
    "chain_sum",
    "leg_counting",
    "products",
    "gcd",
)


def _task(reference: str, family: str) -> str:
    return json.dumps(Problem("a", "What is it?", reference, family, "train").to_dict())


@pytest.mark.parametrize("family", SHIPPED_FAMILIES)
def test_the_last_answer_on_a_line_is_read_not_the_first(family: str) -> None:
    """The line "The answer is 42. Actually the answer is 41." was read as 42 (the capture ran to the end of the
    line, so the later "answer is" was never matched) and scored right for 42, though the model's last word is 41."""
    text = "<think>\n40 + 2\n</think>\nThe answer is 42. Actually the answer is 41."
    assert extract_answer(text) == "41"
    assert check_answer(Problem("a", "What is 40 + 1?", "41", family), text) == 1.0
    assert check_answer(Problem("a", "What is 40 + 2?", "42", family), text) == 0.0
    assert accuracy([text], task=[_task("42", family)]) == [0.0]


def test_an_answer_line_of_several_lines_still_starts_after_its_line() -> None:
    text = "The answer is 1 2, no, the answer is 1 3\n3 4"
    assert extract_answer(text, whole=True, lines=2) == "1 3\n3 4"


@pytest.mark.parametrize("family", SHIPPED_FAMILIES)
@pytest.mark.parametrize(
    "answer",
    [
        "42 or 43",
        "**42** or **43**",
        "It is either 42 or 43.",
        "42, 43",
        "42 (or maybe 43)",
        "42–43",
        "42 to 43",
    ],
)
def test_a_bare_hedge_after_the_think_block_is_wrong(family: str, answer: str) -> None:
    """Without an "answer is" line the last number was read: "42 or 43" scored 1.0 for 43 (and "The answer is 42 or
    43." 0.0), so dropping the answer line let a hedge through the accuracy reward."""
    text = f"<think>\nhmm\n</think>\n{answer}"
    assert check_answer(Problem("a", "What is it?", "43", family), text) == 0.0
    assert accuracy([text], task=[_task("43", family)]) == [0.0]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("<think>\nx\n</think>\nI think it is 12, no wait, 13", "13"),  # a correction, not a hedge
        ("<think>\nx\n</think>\nThe GCD of 18 and 27 is 9.", "9"),
        ("<think>\nx\n</think>\n47 + 38 = 85", "85"),
        ("<think>\nx\n</think>\n100 - 15 = 85", "85"),
        ("<think>\nx\n</think>\n1/2, or 0.5", "0.5"),  # one value
        ("<think>\nx\n</think>\nFrom 3 to 5 people came,\nso 8 in all", "8"),  # the hedge is on another line
    ],
)
def test_a_bare_answer_that_does_not_hedge_is_still_its_last_number(text: str, answer: str) -> None:
    assert extract_answer(text) == answer


@pytest.mark.parametrize("family", SHIPPED_FAMILIES)
@pytest.mark.parametrize("answer", ["I don't know.", ".", "I cannot tell without more information."])
def test_an_answer_after_the_think_block_is_not_replaced_by_the_think(family: str, answer: str) -> None:
    """An answer after the think block with no number in it fell back to the whole text: "<think>… the answer is
    42</think> I don't know." scored 1.0 for 42 (with format 1.0 too), though the answer given is no answer."""
    text = f"<think>\nSo the answer is 42.\n</think>\n{answer}"
    assert extract_answer(text) is None
    assert check_answer(Problem("a", "What is it?", "42", family), text) == 0.0
    assert accuracy([text], task=[_task("42", family)]) == [0.0]


def test_nothing_after_the_think_block_still_reads_the_whole_text() -> None:
    assert extract_answer("<think>\n2 + 3 = 5\n</think>") == "5"
    assert extract_answer("<think>\nthe answer is 5\n</think>\n") == "5"


@pytest.mark.parametrize("family", SHIPPED_FAMILIES)
@pytest.mark.parametrize(
    "answer",
    [
        "The answer is \\boxed{42} or \\boxed{43}.",
        "\\boxed{42} or \\boxed{43}",
        "The answer is 42 or \\boxed{43}.",
        "The answer is \\boxed{43} or 42.",
        "$\\boxed{42}$, $\\boxed{43}$",
        "The answer is \\boxed{42 \\text{ or } 43}.",
    ],
)
def test_a_hedge_between_boxed_answers_is_wrong(family: str, answer: str) -> None:
    """Only the last \\boxed{} was read, so "\\boxed{42} or \\boxed{43}" scored 1.0 for 43 and "\\boxed{42 \\text{ or }
    43}" 1.0 for 42: a box hid the hedge that "The answer is 42 or 43." is scored 0 for."""
    text = f"<think>\nhmm\n</think>\n{answer}"
    for reference in ("42", "43"):
        assert check_answer(Problem("a", "What is it?", reference, family), text) == 0.0, reference
        assert accuracy([text], task=[_task(reference, family)]) == [0.0]


@pytest.mark.parametrize(
    ("answer", "read"),
    [
        ("The answer is \\boxed{42}. Wait, \\boxed{43}.", "43"),  # a correction: the last box
        ("The answer is \\boxed{43}, not 42.", "43"),
        ("The result is $\\boxed{12}$ since 3 groups of 4.", "12"),
        ("The final answer is $\\boxed{\\frac{3}{4}}$", "3/4"),
        ("\\boxed{-3}", "-3"),
        ("\\boxed{1,234}", "1234"),
    ],
)
def test_a_boxed_answer_that_does_not_hedge_is_read_as_before(answer: str, read: str) -> None:
    assert extract_answer(f"<think>\nhmm\n</think>\n{answer}") == read


@pytest.mark.parametrize("family", SHIPPED_FAMILIES)
@pytest.mark.parametrize("line", ["$42$, $43$", "**42**, **43**", "`42`, `43`", "$42$; $43$"])
def test_a_list_of_numbers_in_markup_is_not_its_first_number(family: str, line: str) -> None:
    """The list check read "42, 43" but not "**42**, **43**": the markup hid the list, read as 42 and scored 1.0."""
    text = f"<think>\nhmm\n</think>\nThe answer is {line}."
    for reference in ("42", "43"):
        assert check_answer(Problem("a", "What is it?", reference, family), text) == 0.0, reference
        assert (
            check_answer(Problem("a", "What is it?", reference, family), f"<think>\nhmm\n</think>\n{line}")
            == 0.0
        )
