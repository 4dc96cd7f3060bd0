"""Review of the RL prompt mixture, the sample stage and the gates (sixty-third session): each test failed before its fix."""

from __future__ import annotations

from collections import Counter

import pytest

from safealign.errors import DataError
from safealign.stages.rl_prompts import apportion, build_prompt_rows


def test_ties_in_the_remainders_go_to_the_tasks_named_first_whatever_the_float_noise() -> None:
    """15 prompts at 0.05 / 0.05 / 0.35 are 1.67 / 1.67 / 11.67: three equal remainders, so by the rule the two
    prompts left go to a and b (ties keep the given order). Float noise made c's remainder the largest: 2 / 1 / 12."""
    assert apportion({"a": 0.05, "b": 0.05, "c": 0.35}, 15) == {"a": 2, "b": 2, "c": 11}
    # 117 at 0.65 / 0.1 / 0.7 / 0.25 / 0.1: t1, t2 and t4 tie at .5 and the two left go to t1 and t2 (t2 got 45, t4 7)
    assert apportion({"t0": 0.65, "t1": 0.1, "t2": 0.7, "t3": 0.25, "t4": 0.1}, 117) == {
        "t0": 42,
        "t1": 7,
        "t2": 46,
        "t3": 16,
        "t4": 6,
    }


@pytest.mark.parametrize(
    "tasks",
    [
        {"basic_arithmetic": 0.5, "basic_arithmetic?max_digits=1&max_terms=2": 0.5},
        {"chain_sum": 0.5, "chain_sum?min_terms=2&max_terms=2": 0.5},
    ],
)
def test_two_tasks_of_one_family_draw_no_question_twice(tasks: dict[str, float]) -> None:
    """One family at two settings whose question spaces overlap: each task was drawn alone, so 12 (24) of the 100
    prompts were the same question twice, trained as two prompts."""
    rows = build_prompt_rows(tasks, 100, 42, suites=())
    repeats = Counter(row["prompt"][-1]["content"] for row in rows)
    assert len(rows) == 100
    assert [text for text, n in repeats.items() if n > 1] == []


def test_a_task_left_short_by_the_other_tasks_questions_says_so() -> None:
    """A task whose questions the other tasks of the mixture already drew has too few of its own: a DataError, as a
    family with too few questions is, rather than repeats."""
    # one question space (about 230 questions) written two ways that validation cannot tell apart: 150 each fit alone
    tasks = {
        "basic_arithmetic?max_digits=1&max_terms=2": 0.5,
        "basic_arithmetic?max_digits=1&min_terms=2&max_terms=2": 0.5,
    }
    with pytest.raises(DataError, match="the other tasks"):
        build_prompt_rows(tasks, 300, 42, suites=())
