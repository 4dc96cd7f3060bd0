"""Review of the answer reader (session 67)."""

from __future__ import annotations

import logging

from safealign.tasks.problems import check_answer, generate_problems


def test_a_correct_answer_longer_than_2000_characters_scores(caplog):
    """A whole answer was cut at 2,000 characters: a correct tower_of_hanoi answer of 63 moves (2,015 characters) and
    every longer one scored 0."""
    caplog.set_level(logging.ERROR)
    long = [p for p in generate_problems("tower_of_hanoi", 8, 10000) if len(p.answer) > 2000]
    assert long, "the seed gives a long answer"
    for problem in long:
        text = f"<think>\nThe moves, in order.\n</think>\nThe answer is {problem.answer}"
        assert check_answer(problem, text) == 1.0
        wrong = text.replace("Move disk 1 from Peg 1 to Peg 2", "Move disk 1 from Peg 1 to Peg 3", 1)
        assert check_answer(problem, wrong) < 1.0
