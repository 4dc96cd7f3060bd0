"""Review 69 of the rewards and the text readers they use. Each test failed before its fix."""

from __future__ import annotations

import pytest

from safealign.rewards import REWARDS, RewardError, build_rewards, functions
from safealign.rewards.functions import language_consistency
from safealign.tasks.language import detect_language, is_mixed, language_share


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The area is 5² = 25 square metres.", "en"),  # was 0.83, mixed
        ("Add ½ cup of sugar and stir well.", "en"),  # was 0.88, mixed
        ("① Preheat the oven ② mix the flour", "en"),  # was 0.75
        ("<think>\n75 × 9 = 675\n</think>\nThe answer is 675₁₀.", "en"),  # subscripts
        ("答案是 5² = 25。", "zh"),  # was 0.75
        ("二〇二四年", "zh"),  # 〇 is a number: was 0.8
    ],
)
def test_a_number_written_with_a_number_character_is_no_word(text: str, lang: str) -> None:
    """A superscript, subscript, vulgar fraction, circled number or 〇 was read by the word pattern as a letter, so it
    counted as a word in no language, though numbers are not words: "5² = 25" in an English answer scored 0.83."""
    assert language_share(text, lang) == 1.0
    assert not is_mixed(text, lang)
    assert language_consistency([text], language=[lang]) == [1.0]


def test_number_characters_read_as_digits_leave_the_words_as_they_were() -> None:
    """Read as a digit, a number character splits words as a digit does; letters and other scripts still count."""
    assert language_share("答案是 5² = 25, because", "zh") == 0.75  # "because" still off target
    assert language_share("x² + y² = z²", "en") == 1.0
    assert detect_language("Le chat dort sur le canapé, ½ heure.") == "fr"
    assert detect_language("½ ¾ ①") is None  # no words at all


@pytest.mark.parametrize("settings", [{}, {"max_completion_length": None}])
def test_the_overlong_reward_without_the_limit_says_what_it_needs(settings) -> None:
    """Built without ``max_completion_length`` it failed as "KeyError: 'max_completion_length'" (or a TypeError about
    ``//``), with advice to re-register the built-in as a (factory, help) pair."""
    with pytest.raises(RewardError) as failure:
        build_rewards({"overlong": 1.0}, settings)
    message = str(failure.value)
    assert "max_completion_length" in message and "got None" in message
    assert "REWARDS['overlong'] =" not in message  # the built-in is registered right


def test_a_factory_that_fails_still_gets_the_registration_advice() -> None:
    REWARDS["overlong_copy"] = (
        lambda settings: functions.OverlongPenalty(settings["limit"]),
        "a test reward",
    )
    try:
        with pytest.raises(RewardError, match=r"REWARDS\['overlong_copy'\] = \(lambda settings"):
            build_rewards({"overlong_copy": 1.0}, {})
    finally:
        del REWARDS["overlong_copy"]
