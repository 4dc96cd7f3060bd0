"""Review 70, area evalmsg: the messages of `safealign eval-diff` / `eval-arms` for a path that is no eval folder, and
of a suite spec with a word after its prompt file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_eval_diff import _arm, _write_eval
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError
from safealign.evals.paired import paired_diff
from safealign.evals.suites import get_suite
from safealign.tasks.problems import UnknownNameError


def _said(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture()
def evals(tmp_path: Path) -> tuple[Path, Path]:
    a = _write_eval(tmp_path / "a", harmful=[True] * 4, borderline=[False] * 2, correct=[True] * 2)
    b = _write_eval(tmp_path / "b", harmful=[False] * 4, borderline=[False] * 2, correct=[True] * 2)
    return a, b


@pytest.mark.parametrize("name", ["summary.json", "samples.jsonl"])
def test_eval_diff_of_a_file_of_an_eval_says_to_give_its_folder(evals: tuple[Path, Path], name: str) -> None:
    """`eval-diff A B/summary.json` was told "B/summary.json/summary.json not found"."""
    a, b = evals
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b / name)], env={"COLUMNS": "300"})
    said = _said(result)
    assert result.exit_code == 2, said
    assert f"{b / name} is a file: give the eval folder it is in ({b})" in said, said
    assert f"{name}/summary.json" not in said, said


def test_eval_arms_of_a_file_of_an_eval_says_to_give_its_folder(tmp_path: Path) -> None:
    """eval-arms reads its folders as eval-diff does, so it says the same."""
    runs_a = _arm(tmp_path, "a", refused=[8, 7], over=[0, 1])
    runs_b = _arm(tmp_path, "b", refused=[3, 2], over=[1, 1])
    args = ["eval-arms", "-a", str(runs_a[0]), "-a", str(runs_a[1] / "summary.json")]
    result = CliRunner().invoke(
        app, [*args, "-b", str(runs_b[0]), "-b", str(runs_b[1])], env={"COLUMNS": "300"}
    )
    said = _said(result)
    assert result.exit_code == 2, said
    assert f"is a file: give the eval folder it is in ({runs_a[1]})" in said, said


def test_a_missing_eval_folder_is_named_with_the_closest_one_there(evals: tuple[Path, Path]) -> None:
    """A missing folder was "MISSING/summary.json not found", naming a file in it and no folder that is there."""
    a, b = evals
    with pytest.raises(DataError) as refused:
        paired_diff(a, b.with_name("bb"))
    message = str(refused.value)
    assert (
        f"{b.with_name('bb')} not found: no such folder ({b.with_name('bb').absolute()}; did you mean {b}?)"
        in message
    )
    assert "summary.json" not in message and "safealign eval --out DIR" in message


def test_a_run_folder_names_the_eval_folders_in_it(evals: tuple[Path, Path], tmp_path: Path) -> None:
    """A run's folder (its evals in eval/<stage>) was "RUN/summary.json not found"."""
    a, b = evals
    run = tmp_path / "run"
    for stage, source in (("base", a), ("sft", b)):
        shutil.copytree(source, run / "eval" / stage)
    with pytest.raises(DataError) as refused:
        paired_diff(a, run)
    message = str(refused.value)
    assert f"the eval folders in this one are {run / 'eval' / 'base'}, {run / 'eval' / 'sft'}" in message
    with pytest.raises(
        DataError, match=re.escape(f"the eval folders in this one are {run / 'eval' / 'base'},")
    ):
        paired_diff(a, run / "eval")  # the folder evals are written to (runs/eval/<model>-<time>)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"summary.json not found: .* \(or a run's eval/<stage> folder\)"):
        paired_diff(a, empty)


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ("prompts.csv:harmfull", "'harmful:prompts.csv'"),  # no suggestion at all
        (
            "prompts.csv:borderline",
            "'borderline:prompts.csv'",
        ),  # "did you mean 'borderline'?", which drops the file
        ("prompts.jsonl:Borderlin", "'borderline:prompts.jsonl'"),
        ("borderline:prompts.csv:harmfull", "'harmful:prompts.csv'"),
    ],
)
def test_a_kind_after_the_prompt_file_is_told_to_go_before_it(spec: str, meant: str) -> None:
    with pytest.raises(UnknownNameError) as refused:
        get_suite(spec)
    message = str(refused.value)
    assert f"unknown eval suite {spec!r} (did you mean {meant}?)" in message, message
    assert "kind goes before its path, KIND:PATH" in message, message


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ("prompts.csv:heldout", "(did you mean 'prompts.csv'?): a prompt file has no split"),
        (
            "harmful:heldout",
            "(did you mean 'harmful' with --split held_out?): a split is chosen with --split",
        ),
        (
            "reasoning:dev",
            "(did you mean 'reasoning' with --split dev?)",
        ),  # "unknown file suite kind 'reasoning'"
    ],
)
def test_a_split_after_the_colon_is_told_of_split(spec: str, meant: str) -> None:
    with pytest.raises(UnknownNameError) as refused:
        get_suite(spec)
    assert f"unknown eval suite {spec!r} {meant}" in str(refused.value), str(refused.value)


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("prompts.csv:xyz", "unknown eval suite 'prompts.csv:xyz'; valid: harmful, borderline"),
        ("harmfull:prompts.csv", "unknown file suite kind 'harmfull' (did you mean 'harmful'?)"),
        ("reasoning:xyz", "unknown file suite kind 'reasoning'; valid: harmful, borderline"),
    ],
)
def test_other_words_after_the_colon_keep_their_message(spec: str, said: str) -> None:
    with pytest.raises(UnknownNameError, match=re.escape(said)):
        get_suite(spec)


def test_a_kind_after_the_file_is_refused_before_a_model_loads(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompts.csv").write_text("prompt\nhello\n")
    (tmp_path / "r.yaml").write_text(
        "name: x\nmodel:\n  name: tiny\neval:\n  suites: [prompts.csv:harmfull]\n"
    )
    result = CliRunner().invoke(app, ["validate", "r.yaml"], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "(did you mean 'harmful:prompts.csv'?)" in _said(result), _said(result)


def test_extending_md_quotes_the_error_a_missing_hub_id_gets_now(tmp_path: Path, monkeypatch) -> None:
    """docs/extending.md quoted "not found: no such folder here, and ..." after d0d6892 had the message name the folder
    it looked for: the documented command, run in a folder standing for the page's /home/you, prints the quoted line."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "extending.md").read_text(encoding="utf-8")
    command, quoted = re.search(
        r"^\$ safealign (eval HuggingFaceTB/\S+ .*)\n(error: .*)$", page, flags=re.M
    ).groups()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_benign.txt").write_text("Write a haiku about tea.\n")
    result = CliRunner().invoke(app, command.split(), env={"COLUMNS": "1000"})
    assert result.exit_code == 2
    assert _said(result) == quoted.replace("/home/you", str(tmp_path)), _said(result)
