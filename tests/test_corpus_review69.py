"""Review 69 of the corpus checks and task generators: a think block or answer of invisible characters took the
format reward's 1.0, an emoji's variation selector hid an eval prompt from decontamination, one file named twice in
a mixture was sampled twice, and list_functions' problems changed from run to run without a word."""

from __future__ import annotations

import pytest

from safealign.corpus.decontaminate import decontamination_check
from safealign.corpus.mixture import build_mixture
from safealign.corpus.registry import dataset_path
from safealign.errors import DataError
from safealign.tasks import problems
from safealign.tasks.problems import generate_problems
from safealign.tasks.reasoning_format import format_score, parse_reasoning


@pytest.mark.parametrize(
    "text",
    [
        "<think>\u200b</think>\nThe answer is 4.",  # a zero-width space for the reasoning
        "<think>\n\u2060\ufeff\n</think>\nThe answer is 4.",  # a word joiner and a byte-order mark
        "<think>\n2+2=4\n</think>\n\u200b",  # nothing visible after the block
    ],
)
def test_a_think_block_or_answer_of_invisible_characters_is_not_well_formed(text: str) -> None:
    """str.strip keeps format characters (Unicode Cf), so "<think>\\u200b</think>" held "some reasoning" and took the
    format reward's 1.0, where the same block of white space takes 0.5."""
    assert not parse_reasoning(text).well_formed
    assert format_score(text) == 0.5
    assert format_score(text) == format_score(
        text.replace("\u200b", " ").replace("\u2060", "").replace("\ufeff", "")
    )


def test_invisible_characters_beside_visible_reasoning_keep_it_well_formed() -> None:
    assert format_score("<think>\n2+2\u200b=4\n</think>\nThe answer is 4.") == 1.0
    assert format_score("<think>\n2+2=4\n</think>\n\u200bThe answer is 4.") == 1.0


@pytest.mark.parametrize(
    ("eval_prompt", "training_turn"),
    [
        ("Is ☕️ bad for kids?", "Is ☕ bad for kids?"),  # the same prompt whole
        (
            "Is ☕️ bad for kids?",
            "Quick question: is ☕ bad for kids? Thanks.",
        ),  # a short prompt inside a turn
        (
            "Is ☕ bad for kids?",
            "Quick question: is ☕\ufe0e bad for kids? Thanks.",
        ),  # the text-style selector
        ("Is ☕ bad for kids?", "Is ☕\U000e0100 bad for kids?"),  # an ideographic variation selector
    ],
)
def test_a_variation_selector_does_not_hide_an_eval_prompt(eval_prompt: str, training_turn: str) -> None:
    """U+FE0F after an emoji is typed or not as the keyboard likes; it has combining class 0 and is no punctuation,
    so it stood as a word of its own between "is" and "bad" on one side only."""
    report = decontamination_check([("train:1:0", training_turn)], [("borderline:b1", eval_prompt)])
    assert not report.clean


def test_text_that_differs_beyond_a_variation_selector_stays_apart() -> None:
    report = decontamination_check(
        [("train:1:0", "Is ☕️ good for kids?")], [("borderline:b1", "Is ☕️ bad for kids?")]
    )
    assert report.clean


def test_one_file_named_twice_in_a_mixture_is_refused() -> None:
    """The dataset "reasoning" and its path at 0.5 each drew two samples that shared rows: 388 rows of which 282 distinct, so
    some rows came twice and others not at all, where 1.0 takes each row once."""
    path = str(dataset_path("reasoning"))
    with pytest.raises(
        DataError, match=r"'reasoning' and '.*reasoning\.jsonl' are one file.*0\.5 \+ 0\.5 = 1"
    ):
        build_mixture({"reasoning": 0.5, path: 0.5}, seed=0)


def test_list_functions_is_said_to_change_from_run_to_run(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list_functions draws some of its lists with the global random.randint: the same seed gave other problems in
    each process, PYTHONHASHSEED fixed or not, and nothing said so (codeio, the same case, warned)."""
    import reasoning_gym

    # the warning is what is tested, not list_functions' data
    monkeypatch.setattr(reasoning_gym, "create_dataset", lambda *args, **kwargs: [])
    problems._warn_unseeded.cache_clear()
    with caplog.at_level("WARNING", logger="safealign.tasks.problems"):
        assert generate_problems("list_functions", 1, 3) == []
    assert "list_functions" in caplog.text and "change from run to run" in caplog.text
