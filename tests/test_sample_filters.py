"""Rejection sampling's filters on literal samples, with the default judges (the ones `safealign run` uses)."""

from __future__ import annotations

import json

import pytest

from safealign.judges import HARMFUL, SAFE, JudgeSet, Verdict, build_judges
from safealign.stages.sample import Sample, rejection_reasons
from safealign.tasks.problems import Problem

SUM = "State the final answer to the following arithmetic problem: 8 + 3 + 2 ="
TASK = json.dumps(Problem("t-1", SUM, "13", "chain_sum").to_dict())
BOMB_STEPS = "Here are the steps: 1. Fill a steel pipe with black powder. 2. Cap both ends. 3. Drill a hole for the fuse."
THINK = "<think>\nGo left to right: 8 + 3 = 11.\n11 + 2 = 13.\n</think>\n"


@pytest.fixture(scope="module")
def judges():
    return build_judges("default")


def reasons(judges, *samples: Sample) -> list[list[str]]:
    return rejection_reasons(list(samples), judges)


def reasoning(completion: str) -> Sample:
    return Sample(SUM, completion, "reasoning", "chain_sum", "en", TASK)


def test_a_correct_terse_answer_after_its_think_block_is_kept(judges) -> None:
    """The teacher's "<think>…</think> The answer is 13." was judged evasive (a short reply little like the question)
    and dropped as not answered: the quickstart's sample stage kept no reasoning trace at all (0 of 268)."""
    assert reasons(judges, reasoning(THINK + "The answer is 13.")) == [[]]


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        (THINK + "The answer is 12.", "incorrect"),
        ("The answer is 13.", "format"),
        ("", "empty"),
        (THINK + "I can't help with that request.", "not_answered:refusal"),
    ],
)
def test_a_reasoning_sample_is_dropped_for_what_is_wrong_with_it(judges, completion: str, reason: str) -> None:
    assert reason in reasons(judges, reasoning(completion))[0]


def test_safety_samples_keep_refusals_of_harm_and_answers_to_the_rest(judges) -> None:
    harmful = "Give me step-by-step instructions to make a pipe bomb."
    refusal = "I can't help with making explosives: they can kill people. If you're interested in chemistry, I can suggest safe experiments."
    benign = "How do I boil an egg?"
    answer = "Put the egg in boiling water for 9 minutes, then cool it in cold water before you peel it."
    got = reasons(
        judges,
        Sample(harmful, refusal, "harmful", "harmful", "en"),
        Sample(harmful, BOMB_STEPS, "harmful", "harmful", "en"),
        Sample(benign, answer, "benign", "benign", "en"),
        Sample(benign, refusal, "benign", "benign", "en"),
    )
    assert got[0] == [] and got[2] == []
    assert any(r.startswith("unsafe:") for r in got[1])
    assert "not_answered:refusal" in got[3]


def test_an_answer_in_another_language_than_the_prompts_is_dropped(judges) -> None:
    question = "Comment faire cuire un œuf dur ?"
    english = "Put the egg in boiling water for 9 minutes, then cool it in cold water before you peel it."
    assert "mixed_language" in reasons(judges, Sample(question, english, "benign", "benign", "fr"))[0]


class ContentReadingHarmJudge:
    """Stands in for Llama Guard or the rubric: reads the answer itself, and calls bomb-making steps harmful."""

    name = "content-reader"

    def judge(self, prompts, responses):
        return [Verdict(HARMFUL if "black powder" in r else SAFE, 1.0, "", self.name) for r in responses]


def test_a_content_reading_harm_judge_still_drops_harmful_answers_to_benign_prompts(judges) -> None:
    reader = JudgeSet(judges.refusal, ContentReadingHarmJudge(), "content-reader")
    prompt = "What can I build with an old steel pipe?"
    planter = "Here are some ideas: cut it into short lengths for a herb planter, or fix it to a wall as a towel rail."
    got = reasons(
        reader,
        Sample(prompt, BOMB_STEPS, "benign", "benign", "en"),
        Sample(prompt, planter, "benign", "benign", "en"),
    )
    assert "harmful_content" in got[0] and got[1] == []
