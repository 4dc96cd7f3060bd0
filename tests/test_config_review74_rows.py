"""Training rows reviewed in the seventy-fourth session: a metadata key misspelt ("lang", "Kind") was counted as the
field's default, by training and in the data card, without a word."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from safealign.card.data_card import describe_file
from safealign.corpus import TRAIN_DATASETS, dataset_path, read_rows_and_problems, validate_rows
from safealign.corpus.validate import misspelt_field


def _rows_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


_TURNS = [{"role": "user", "content": "Salut !"}, {"role": "assistant", "content": "Bonjour !"}]


def test_a_misspelt_metadata_key_is_named_with_its_fix(tmp_path: Path) -> None:
    # a French row under "lang" trained and was counted as English, a "Kind" row as of no kind, without a word
    path = _rows_file(
        tmp_path,
        [
            {"messages": _TURNS, "language": "fr", "kind": "benign"},
            {"messages": _TURNS, "lang": "fr", "kind": "benign"},
            {"messages": _TURNS, "language": "fr", "Kind": "benign"},
            {"messages": _TURNS, "language": "fr", "catgory": "greeting", "Source": "me"},
        ],
    )
    rows, unreadable = read_rows_and_problems(path)
    said = [str(problem) for problem in validate_rows(path, rows)]
    assert unreadable == [] and said == [
        f"{path}:2: field 'lang': is no field training reads, and the row is read as English: name it 'language', "
        "or, for a column of your own, a name further from 'language'",
        f"{path}:3: field 'Kind': is no field training reads, and the row is read as a row of no kind: name it 'kind', "
        "or, for a column of your own, a name further from 'kind'",
        f"{path}:4: field 'catgory': is no field training reads, and the row is read as a row of no category: name "
        "it 'category', or, for a column of your own, a name further from 'category'",
        f"{path}:4: field 'Source': is no field training reads, and the row is read as a row of its dataset's name: "
        "name it 'source', or, for a column of your own, a name further from 'source'",
    ]


def test_other_keys_are_not_taken_for_misspellings(tmp_path: Path) -> None:
    for key in ("style", "answer", "resource", "type", "label", "find", "ID", "prompt_index", "language"):
        assert misspelt_field(key) is None, key
    for key, field in (
        ("Language ", "language"),
        ("langauge", "language"),
        ("kinds", "kind"),
        ("soruce", "source"),
    ):
        assert misspelt_field(key) == field, key
    # beside the field itself, or holding no text (a list of languages): a column of its own
    path = _rows_file(
        tmp_path,
        [
            {"messages": _TURNS, "language": "fr", "lang": "French"},
            {"messages": _TURNS, "languages": ["fr", "en"]},
        ],
    )
    rows, _ = read_rows_and_problems(path)
    assert validate_rows(path, rows) == []
    # the shipped data keeps validating with no problem
    for name in TRAIN_DATASETS:
        rows, unreadable = read_rows_and_problems(dataset_path(name))
        assert unreadable == [] and validate_rows(dataset_path(name), rows) == [], name


def test_the_data_card_names_a_misspelt_key_it_counts_without(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # a file of a run from before the check: its card counted the "lang" row as English (as training read it),
    # without a word
    path = _rows_file(tmp_path, [{"messages": _TURNS, "language": "fr"}, {"messages": _TURNS, "lang": "fr"}])
    with caplog.at_level(logging.WARNING, logger="safealign.card"):
        info = describe_file(path)
    assert info["languages"] == {"fr": 1, "en": 1}
    (said,) = [record.getMessage() for record in caplog.records]
    assert said.startswith(f"{path}: 1 row key(s) misspell a field the data card counts by")
    assert f"e.g. {path}:2: field 'lang': is no field training reads" in said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safealign.card"):
        describe_file(dataset_path("multilingual"))
    assert caplog.records == []
