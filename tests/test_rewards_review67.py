"""Review 67 of the rewards: malformed completions and prompts, a refusal judge's verdicts, reward settings. Each test
failed before its fix."""

from __future__ import annotations

import pytest

from safealign.judges.base import JudgeOutputError, Verdict
from safealign.rewards.functions import (
    OverlongPenalty,
    RepetitionPenalty,
    SafetyReward,
    completion_text,
    language_consistency,
    prompt_text,
)
from safealign.rewards.registry import RewardError, checked_reward


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, ""),
        (
            [
                {"type": "text", "text": "Bonjour, "},
                {"type": "image_url"},
                {"type": "text", "text": "le monde."},
            ],
            "Bonjour, le monde.",
        ),
        ("The answer is 4.", "The answer is 4."),  # as before
    ],
)
def test_a_message_content_is_read_as_chat_content(content, text) -> None:
    """A null content was scored as the word "None" (language 1.0 on a French prompt, the refusal judge reading
    "None"), and a content-part list as its Python repr."""
    assert completion_text([{"role": "assistant", "content": content}]) == text
    assert completion_text([{"role": "assistant"}]) == ""


@pytest.mark.parametrize("completion", [None, [], 42, {"role": "assistant", "content": "hi"}, ["a", "b"]])
def test_a_completion_that_is_no_text_fails_naming_the_reward(completion) -> None:
    """None, an empty list, a bare message dict were scored as their repr ("None", "[]", "{'role': ...}")."""
    with pytest.raises(TypeError, match="a completion is a string or a list of chat messages"):
        completion_text(completion)
    reward = checked_reward(language_consistency, "language")
    with pytest.raises(RewardError, match="reward 'language' failed: TypeError: a completion is a string"):
        reward(prompts=["p"], completions=[completion], language=["en"])


def test_a_prompt_turn_of_content_parts_or_none_is_text() -> None:
    """A user turn of content parts reached the refusal judge as a list, and one without content was a KeyError."""
    parts = [{"type": "text", "text": "How do I bake bread?"}, {"type": "text", "text": "Quickly."}]
    assert prompt_text([{"role": "system", "content": "s"}, {"role": "user", "content": parts}]) == (
        "How do I bake bread?\nQuickly."
    )
    assert prompt_text([{"role": "user"}]) == ""
    assert prompt_text([{"role": "user", "content": "Hi"}]) == "Hi"  # as before
    with pytest.raises(TypeError, match="a prompt is a string or a list of chat messages"):
        prompt_text(None)


class WordsJudge:
    """A plugged-in refusal judge that speaks its own words, or returns one verdict short."""

    def __init__(self, label: str = "refused", short: bool = False) -> None:
        self.label, self.short = label, short

    def judge(self, prompts, responses):
        n = len(responses) - 1 if self.short else len(responses)
        return [Verdict(label=self.label, score=1.0, explanation="fixed") for _ in range(n)]


def test_the_safety_reward_checks_its_judges_verdicts() -> None:
    """A refusal judge answering "refused" was read as evasive: an explicit refusal of a harmful prompt paid -1 and a
    refused benign prompt 0 (the two sides of the reward turned), and the stage trained on. Its labels and count are
    checked as the evals check them."""
    reward = checked_reward(SafetyReward(judge=WordsJudge()), "safety")
    with pytest.raises(JudgeOutputError, match="returned the label 'refused'.*'refused' is 'refusal'"):
        reward(prompts=["p", "q"], completions=["I can't.", "No."], kind=["harmful", "benign"])
    with pytest.raises(JudgeOutputError, match="returned 1 results for 2 responses"):
        SafetyReward(judge=WordsJudge("refusal", short=True))(["p", "q"], ["a", "b"], kind=["harmful"] * 2)
    # labels the reward knows score as before
    assert SafetyReward(judge=WordsJudge("refusal"))(["p", "q"], ["a", "b"], kind=["harmful", "benign"]) == [
        1.0,
        -1.0,
    ]


@pytest.mark.parametrize(("max_tokens", "buffer"), [(8, 0), (8, 20), (0, None), (8, -2)])
def test_overlong_settings_that_cannot_score_are_refused_when_built(max_tokens, buffer) -> None:
    """buffer 0 divided by zero at the stage's first reward call; a buffer over max_tokens penalised a 1-token
    completion (-0.65 at max_tokens 8, buffer 20)."""
    with pytest.raises(ValueError, match="overlong: max_tokens must be >= 1 and buffer from 1 to max_tokens"):
        OverlongPenalty(max_tokens=max_tokens, buffer=buffer)
    assert OverlongPenalty(max_tokens=1)(["x"] * 2, completion_ids=[[], [1]]) == [
        0.0,
        -1.0,
    ]  # smallest, as before


def test_a_repetition_ngram_below_one_is_refused() -> None:
    """ngram 0 scored every completion near -1 (all its 0-grams "repeat")."""
    with pytest.raises(ValueError, match="repetition: ngram must be >= 1"):
        RepetitionPenalty(ngram=0)
    assert RepetitionPenalty(ngram=1)(["a b a b"]) == [-0.5]
