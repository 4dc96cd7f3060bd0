"""Regressions from review 67 of the verifiable tasks (problems, language, hedges)."""

from __future__ import annotations

import unicodedata

import pytest

from safealign.tasks import problems
from safealign.tasks.language import language_share
from safealign.tasks.problems import family_settings, generate_problems, parse_family_spec


def test_a_list_setting_may_hold_the_multiplication_operator() -> None:
    """ "operators=[+, *]" is a YAML error ("*" opens an alias there too): it was kept as the string "[+, *]", and
    reasoning-gym refused it as one unknown operator, though "operators=*" alone worked."""
    assert family_settings("operators=[+, *]&max_terms=2") == {"operators": ["+", "*"], "max_terms": 2}
    assert family_settings("operators=[*]") == {"operators": ["*"]}
    family, config = parse_family_spec("basic_arithmetic?operators=[+,-,*,/]")
    assert config == {"operators": ["+", "-", "*", "/"]}
    prompts = [p.prompt for p in generate_problems(family, 40, 1, config={"operators": ["+", "*"]})]
    assert any("*" in p for p in prompts) and any("+" in p for p in prompts)
    assert not any(" - " in p or "/" in p for p in prompts)


def test_a_family_whose_answers_are_random_draws_is_said_to_be(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """codeio runs reference code that draws from np.random without the seed: the same seed gave other answers (and
    other prompts) in another process, PYTHONHASHSEED fixed or not, and nothing said so."""
    import reasoning_gym

    # the warning is what is tested, not codeio's data
    monkeypatch.setattr(reasoning_gym, "create_dataset", lambda *args, **kwargs: [])
    problems._warn_unseeded.cache_clear()
    with caplog.at_level("WARNING", logger="safealign.tasks.problems"):
        assert generate_problems("codeio", 1, 3) == []
    assert "codeio" in caplog.text and "change from run to run" in caplog.text


def test_combining_marks_do_not_split_words() -> None:
    """A combining mark is no letter to the word pattern: Arabic with its vowel marks counted each word as several
    (3 words read as 9, so an answer half in English scored 0.75 Arabic), and French written with combining accents
    ("e" + U+0301) split "été" into "e" and "te"."""
    marked, plain = "كَتَبَ الوَلَدُ الدَّرْسَ", "كتب الولد الدرس"
    share = language_share(f"{marked} The answer is 4", "ar")
    assert share == language_share(f"{plain} The answer is 4", "ar") == 0.5
    french = "Le café était très élevé et la période a été longue. The answer is 4"
    assert language_share(unicodedata.normalize("NFD", french), "fr") == language_share(french, "fr")
