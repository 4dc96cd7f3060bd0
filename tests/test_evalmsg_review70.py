"""Review 70, area evalmsg: the messages of `safealign eval-diff` / `eval-arms` for a path that is no eval folder, and
of a suite spec with a word after its prompt file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError
from safealign.evals.paired import paired_diff
from tests.test_eval_diff import _arm, _write_eval


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
    assert f"this is a run's folder: its evals are {run / 'eval' / 'base'}, {run / 'eval' / 'sft'}" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"summary.json not found: .* \(or a run's eval/<stage> folder\)"):
        paired_diff(a, empty)
