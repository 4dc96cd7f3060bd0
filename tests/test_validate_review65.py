"""A training row's `language` must be a code the language reward and the mixing checks measure against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.corpus import TRAIN_DATASETS, build_mixture, dataset_path, read_rows, validate_rows
from safealign.corpus.validate import LANGUAGE_CODES
from safealign.errors import DataError
from safealign.tasks.language import LANGUAGES, language_share

FRENCH = "Je vais bien, merci beaucoup pour ta question."


def row(**extra) -> dict:
    return {
        "messages": [
            {"role": "user", "content": "Comment vas-tu ?"},
            {"role": "assistant", "content": FRENCH},
        ]
    } | extra


def problems_of(rows: list[dict]) -> list[str]:
    return [str(problem) for problem in validate_rows(Path("f.jsonl"), list(enumerate(rows, start=1)))]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("EN", " (did you mean 'en'?)"),
        ("Fr", " (did you mean 'fr'?)"),
        (" fr", " (did you mean 'fr'?)"),
        ("english", " (did you mean 'en'?)"),
        ("French", " (did you mean 'fr'?)"),
        ("eng", " (did you mean 'en'?)"),
        ("en-US", " (did you mean 'en'?)"),
        ("pt_BR", " (did you mean 'pt'?)"),
        ("zh-Hans", " (did you mean 'zh'?)"),
        ("xx", ""),
        ("", ""),
        (5, ""),
        (True, ""),
        (["fr"], ""),
    ],
)
def test_a_language_no_check_measures_against_is_refused_with_the_codes(value, hint):
    """Before, any value passed: a row marked "Fr" scored its French answer 0 on the language reward (language_share
    reads a code in lower case since e05745f; data check still asks for the code as the checks list it)."""
    assert language_share(FRENCH, "fr") == 1.0 == language_share(FRENCH, "Fr")
    assert problems_of([row(language=value)]) == [
        f"f.jsonl:1: field 'language': must be a language code, one of {LANGUAGE_CODES} (leave the field out for "
        f"English), got {value!r}{hint}"
    ]


def test_every_code_the_language_checks_know_passes_and_null_or_absent_is_english():
    assert set(LANGUAGES) <= set(LANGUAGE_CODES) and "ko" in LANGUAGE_CODES  # Korean: told by its script
    assert problems_of([row(language=code) for code in LANGUAGE_CODES] + [row(language=None), row()]) == []


def test_the_check_reports_the_value_as_the_file_holds_it():
    rows = [(1, row(language="EN"))]
    validate_rows(Path("f.jsonl"), rows)
    assert rows[0][1]["language"] == "EN"  # not rewritten: the stages read the field as the file holds it


def test_shipped_training_files_hold_valid_languages():
    for name in TRAIN_DATASETS:
        path = dataset_path(name)
        assert [str(p) for p in validate_rows(path, read_rows(path)) if p.field == "language"] == [], name


def test_a_mixture_with_a_misspelled_language_fails_as_data_check_does(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps(row(language="fr")) + "\n" + json.dumps(row(language="FR")) + "\n")
    with pytest.raises(
        DataError, match=r"mine\.jsonl:2: field 'language': .*got 'FR' \(did you mean 'fr'\?\)"
    ):
        build_mixture({str(path): 1.0}, seed=0)
