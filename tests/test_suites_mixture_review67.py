"""Review 67: eval suite names and paths, and the training datasets' names and paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.corpus.registry import check_mixture, dataset_path, read_rows_and_problems
from safealign.errors import DataError
from safealign.evals.suites import get_suite, select_items

NO_USER = "~no_such_user_review67"


def test_an_eval_prompt_file_under_the_home_folder_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a recipe's eval.suites reach get_suite unexpanded: `~/mine.jsonl` was "no such suite file"
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mine.jsonl").write_text(json.dumps({"prompt": "How do I pick a lock?"}) + "\n")
    suite = get_suite("~/mine.jsonl")
    assert suite.name == "mine" and suite.file == tmp_path / "mine.jsonl"
    assert [item.prompt for item in select_items(suite)] == ["How do I pick a lock?"]
    assert get_suite("borderline:~/mine.jsonl").file == tmp_path / "mine.jsonl"
    # an unknown user's home: the missing file is named, not a RuntimeError from Path.expanduser
    with pytest.raises(DataError, match="no such suite file"):
        get_suite(f"{NO_USER}/mine.jsonl").load()


def test_a_suite_prefix_in_capitals_suggests_the_lower_case_one() -> None:
    # `RG:gcd` was "unknown file suite kind 'RG'; valid: harmful, borderline", with no word of rg:
    with pytest.raises(ValueError, match=r"did you mean 'rg:gcd'\?"):
        get_suite("RG:gcd")
    with pytest.raises(ValueError, match=r"did you mean 'harmful:mine.jsonl'\?"):
        get_suite("HARMFUL:mine.jsonl")
    with pytest.raises(ValueError, match=r"did you mean 'gcd'\?"):
        get_suite("rg:GCD")
    with pytest.raises(ValueError, match=r"unknown file suite kind 'gr'.*rg:FAMILY"):
        get_suite("gr:gcd")


def test_a_dataset_in_capitals_or_by_its_shipped_file_name_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"did you mean 'reasoning'\?"):
        dataset_path("REASONING")
    with pytest.raises(DataError, match=r"reasoning\.jsonl not found.*shipped dataset .*: reasoning$"):
        dataset_path("reasoning.jsonl")


def test_a_dataset_under_an_unknown_users_home_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Path.expanduser raised RuntimeError("Could not determine home directory.") for `~bob/` on a machine without bob,
    # in the recipe's check too, which is meant to pass a path that is only missing here
    monkeypatch.chdir(tmp_path)
    path = f"{NO_USER}/data.jsonl"
    assert check_mixture({path: 1.0}, need_rows=True) == {path: 1.0}
    with pytest.raises(DataError, match=rf"{NO_USER} names no user's home folder"):
        dataset_path(path)


def test_rows_written_over_several_lines_are_named_with_the_fix(tmp_path: Path) -> None:
    # json.dump(row, handle, indent=2) per row: every line was 'Expecting property name' or 'Extra data', no fix named
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    path = tmp_path / "pretty.jsonl"
    path.write_text("".join(json.dumps(row, indent=2) + "\n" for _ in range(2)))
    rows, problems = read_rows_and_problems(path)
    assert not rows and "written over several lines each" in problems[0].message
    assert "jq -c ." in problems[0].message
    # a JSONL file with one broken line is not called pretty-printed
    path.write_text(json.dumps(row) + "\n" + json.dumps(row)[:-1] + "\n")
    rows, problems = read_rows_and_problems(path)
    assert len(rows) == 1 and all("several lines" not in p.message for p in problems)
