"""Review 74 of the verifiable tasks: reasoning-gym settings of the wrong kind are refused, not drawn from; an answer
line with a long run of spaces is read in one pass, as is one between two numbers (the hedge rule); safety prompts
asked more than once are said."""

from __future__ import annotations

import logging

import pytest

from safealign.stages.rl_prompts import build_prompt_rows, safety_prompts
from safealign.tasks.hedges import hedged_numbers
from safealign.tasks.problems import FamilyConfigError, generate_problems, parse_family_spec
from safealign.tasks.reasoning_format import extract_answer


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        # reasoning-gym drew its "natural" questions for any format_style but "simple", and random spacing for any
        # whitespace it did not know
        ("basic_arithmetic?format_style=Natural", "did you mean 'natural'?"),
        ("basic_arithmetic?whitespace=none", "write one of no_space, single, random"),
        # a word for a switch is true to it: allow_parentheses=flase turned parentheses on
        ("basic_arithmetic?allow_parentheses=flase", "allow_parentheses='flase' is not true or false"),
        ("chain_sum?allow_negation=null", "allow_negation=null is not true or false"),
        # true is 1 to it: one-digit numbers
        ("basic_arithmetic?max_digits=true", "max_digits=true is not a number"),
    ],
)
def test_a_setting_of_another_kind_is_refused_naming_it(spec: str, named: str) -> None:
    family, config = parse_family_spec(spec)
    with pytest.raises(FamilyConfigError, match=named.replace("?", r"\?")):
        generate_problems(family, 2, seed=1, config=config)


@pytest.mark.parametrize(
    "spec",
    [
        "gcd?max_value=.inf",  # OverflowError: cannot convert float infinity to integer
        "basic_arithmetic?max_digits=.inf",
        "basic_arithmetic?operators={a: 1}",  # TypeError: unhashable type: 'dict', from our own operator check
    ],
)
def test_an_impossible_value_is_a_family_config_error_not_a_traceback(spec: str) -> None:
    family, config = parse_family_spec(spec)
    with pytest.raises(FamilyConfigError, match="rejected the settings"):
        generate_problems(family, 2, seed=1, config=config)


def test_settings_of_their_kind_draw_as_before() -> None:
    drawn = generate_problems("basic_arithmetic", 3, seed=1, config={"allow_parentheses": True})
    assert generate_problems("basic_arithmetic", 3, seed=1, config={"allow_parentheses": 1}) == drawn
    natural = generate_problems("basic_arithmetic", 3, seed=1, config={"format_style": "natural"})
    assert [p.answer for p in natural] == [p.answer for p in generate_problems("basic_arithmetic", 3, seed=1)]


# A degenerate rollout's line of spaces: the decoration pattern ending in "+$" was tried from every one of them, 4 s for
# 20,000 and quadratic (an hour's reward call for 200,000, which a whitespace token of a few dozen spaces reaches).
SPACES = " " * 200_000


@pytest.mark.timeout(60)  # a hang guard: about 0.2 s now, several minutes before
def test_a_long_run_of_spaces_in_an_answer_line_is_read_in_one_pass() -> None:
    line = "<think>\nx\n</think>\nThe answer is 1" + SPACES + "2."
    assert extract_answer(line) == "1, 2"  # numbers side by side are a list, as before
    assert extract_answer(line, whole=True) == "1"  # cut at WHOLE_ANSWER_CHARS, then one number
    assert extract_answer("The answer is **(" + SPACES + "42" + SPACES + ")**.") == "42"
    assert extract_answer("The answer is `" + SPACES + "[22, 98]" + SPACES + "`", whole=True) == "[22, 98]"


@pytest.mark.parametrize(
    ("text", "whole", "answer"),
    [
        ("The answer is **(42)**.", False, "42"),
        ("The answer is \\(\\frac{3}{4}\\)!", False, "3/4"),
        ("The answer is [ 7 ];", False, "7"),
        ("The answer is **03:22:03.**", True, "03:22:03."),
        ("The answer is $[1, 2]$ ", True, "[1, 2]"),
        ("The answer is ` `", True, None),
    ],
)
def test_the_decoration_around_an_answer_goes_as_before(text: str, whole: bool, answer: str | None) -> None:
    assert extract_answer(text, whole=whole) == answer


# The hedge rule's patterns held two or three "\s*" side by side ("\s*,?\s*\(?\s*to"), each split of a run of spaces
# between the numbers tried in turn: cubic, 0.4 s for 400 spaces, over a minute for 3,000 in one reward call.
GAP = " " * 3_000


@pytest.mark.timeout(60)  # a hang guard: milliseconds now
@pytest.mark.parametrize(
    ("line", "hedged"),
    [
        ("13" + GAP + "or 14", True),
        ("13" + GAP + "(to 0 decimal places)", False),
        ("120" + GAP + "(or 2" + GAP + "hours)", False),
        ("13" + GAP + "," + GAP + "and" + GAP + "14", True),
        ("13" + GAP + "-" + GAP + "14 apples", True),
        ("13 (or 7" + GAP + "x 2 - 1)", False),
        ("13" + GAP + "14", False),
    ],
)
def test_a_long_run_of_spaces_between_two_numbers_is_read_in_one_pass(line: str, hedged: bool) -> None:
    assert hedged_numbers(line) is hedged


def test_safety_prompts_asked_more_than_once_are_said(caplog: pytest.LogCaptureFixture) -> None:
    """A safety share past the shipped prompts repeated them without a word: the mixture's distinct prompts fell short
    of the recipe's count. The rows are as before; a warning says how many repeat."""
    distinct = len(safety_prompts(0))
    with caplog.at_level(logging.WARNING, logger="safealign.stages.rl_prompts"):
        rows = build_prompt_rows({"safety": 1.0}, distinct + 3, seed=0, suites=())
    assert len(rows) == distinct + 3
    assert len({row["prompt"][-1]["content"] for row in rows}) == distinct
    assert f"there are {distinct} distinct safety prompts: 3 of them are asked twice" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safealign.stages.rl_prompts"):
        build_prompt_rows({"safety": 1.0}, distinct, seed=0, suites=())
    assert "distinct safety prompts" not in caplog.text
