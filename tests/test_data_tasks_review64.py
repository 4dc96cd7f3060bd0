"""Review 64 of training data handling and verifiable tasks: LaTeX digit grouping and decimal commas in answers, and
JSONL lines with a byte-order mark inside the file or written as Python dicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.corpus import read_rows_and_problems
from safealign.tasks import Problem, check_answer, extract_answer
from safealign.tasks.numbers import number_value, numbers_equal


def chat(user: str, answer: str = "Sure, here you go.") -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


@pytest.mark.parametrize("family", ["arithmetic", "basic_arithmetic"])
@pytest.mark.parametrize(
    "written",
    [
        "The answer is $10,\\!000$.",  # MATH's answers group digits so
        "The answer is \\boxed{10{,}000}.",
        "<think>\nadd\n</think>\n\\boxed{10{,}000}",
        "The answer is $10\\,000$.",  # a thin space
    ],
)
def test_latex_digit_grouping_is_one_number(family: str, written: str) -> None:
    """ "10,\\!000" was read as 10: the right answer 10000 scored 0, and the wrong 10,000 scored 1 for 10."""
    assert check_answer(Problem("p", "q", "10000", family), written) == 1.0
    assert check_answer(Problem("p", "q", "10", family), written) == 0.0


@pytest.mark.parametrize("family", ["arithmetic", "basic_arithmetic"])
@pytest.mark.parametrize(
    "written", ["The answer is 2,5.", "The answer is 2,50 dollars.", "The answer is **2,5**"]
)
def test_a_decimal_comma_is_not_its_whole_part(family: str, written: str) -> None:
    """ "2,5" (2.5 with a decimal comma, or the list 2 and 5) was read as its leading 2: a wrong answer scored 1."""
    assert check_answer(Problem("p", "q", "2", family), written) == 0.0
    assert check_answer(Problem("p", "q", "25", family), written) == 0.0  # nor as 25
    assert extract_answer("The answer is 1,234.") == "1234"  # thousands still group


def test_number_value_takes_commas_in_thousands_groups_only() -> None:
    assert number_value("2,5") is None and not numbers_equal("2,5", "25")
    assert number_value("1,234,567") == 1234567.0 and numbers_equal("12,345", "12345")


def test_a_byte_order_mark_opening_a_later_line_is_read(tmp_path: Path) -> None:
    """Two files saved with a byte-order mark and joined with cat: the second's first row was refused as "Unexpected
    UTF-8 BOM (decode using utf-8-sig)", though the file is read so."""
    path = tmp_path / "joined.jsonl"
    bom = "\ufeff"
    path.write_text(f"{bom}{json.dumps(chat('a'))}\n{bom}{json.dumps(chat('b'))}\n{bom}\n", encoding="utf-8")
    rows, problems = read_rows_and_problems(path)
    assert problems == []
    assert rows == [(1, chat("a")), (2, chat("b"))]


def test_a_python_dict_line_names_the_fix(tmp_path: Path) -> None:
    """A row written with str(row) said only "Expecting property name enclosed in double quotes"."""
    path = tmp_path / "repr.jsonl"
    path.write_text(f"{chat('a')}\n" + '{"messages": [], }\n', encoding="utf-8")
    rows, problems = read_rows_and_problems(path)
    assert rows == []
    assert [p.line for p in problems] == [1, 2]
    assert "Python dict" in problems[0].message and "json.dumps(row" in problems[0].message
    assert "Python" not in problems[1].message  # a trailing comma in JSON is not Python's spelling
