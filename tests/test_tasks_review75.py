"""Review 75 of the verifiable tasks: an answer line's long run of digits before a letter is read in one pass."""

from __future__ import annotations

import pytest

from safealign.tasks import extract_answer

DIGITS = "1" * 200_000


# The answer's leading number was followed by "(?![\d.]*(?:\w|,\d))": for each shorter number tried, the rest of the
# digits were scanned again, 0.3 s for 10,000 digits and a letter, minutes for 200,000.
@pytest.mark.timeout(60)  # a hang guard: about 0.2 s now
def test_a_long_run_of_digits_before_a_letter_is_read_in_one_pass() -> None:
    # no one number: the line as written, cut at 200 characters as before
    assert extract_answer("The answer is " + DIGITS + "a") == DIGITS[:200]
    assert extract_answer("The answer is " + DIGITS + "a", exponent=True) == DIGITS[:200]
    assert extract_answer("The answer is 1." + DIGITS + "x") == "1." + DIGITS[:198]


@pytest.mark.parametrize(
    ("text", "exponent", "answer"),
    [
        ("The answer is 42 legs.", False, "42"),
        ("The answer is 2,5.", False, "2,5"),  # a decimal comma, or a list: not 2
        ("The answer is 1,234.", False, "1234"),
        ("The answer is 2.5x.", False, "2.5x"),
        ("The answer is 3... or so", False, "3"),
        ("The answer is 3..a", False, "3..a"),
        ("The answer is 12a", False, "12a"),
        ("The answer is 9.01e+16.", True, "9.01e+16"),
        ("The answer is 9.01e+16.", False, "9.01e+16"),
        ("The answer is $-7$, done", False, "-7"),
    ],
)
def test_the_leading_number_of_an_answer_is_read_as_before(text: str, exponent: bool, answer: str) -> None:
    assert extract_answer(text, exponent=exponent) == answer
