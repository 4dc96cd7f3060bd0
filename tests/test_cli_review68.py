"""Review 68 of the command line's shared helpers and the training, model and judge commands."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from test_cli_review66 import WIDE, runner, said, wide_console  # noqa: F401 (wide_console: an autouse fixture)
from typer.testing import CliRunner

from safealign.cli.main import app


def test_a_name_too_long_for_the_file_system_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file or folder name over 255 bytes (130 accented letters) made pathlib's is_dir/exists raise 'File name too
    long', which card, audit and probe showed as a traceback, exit code 1."""
    monkeypatch.chdir(tmp_path)
    name = "é" * 130  # 260 bytes in UTF-8
    # probe --out too (a test of it would import torch: seconds)
    for args in (["card", name], ["audit", name]):
        result = runner.invoke(app, args, env=WIDE)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert f"its name '{'é' * 24}...' is 26" in said(result), said(result)
        assert "more than this file system allows for one file or folder name (255 bytes" in said(result)
    deep = "/".join(["a" * 200] * 25)  # each name fits, the whole path (5,024 bytes) does not
    result = runner.invoke(app, ["audit", deep], env=WIDE)
    assert result.exit_code == 2, (result.output, result.exception)
    assert "bytes long, more than this system allows for a whole path" in said(result)


def recipe(folder: Path, text: str = "", name: str = "my recipe.yaml") -> Path:
    path = folder / name
    path.write_text(
        f"name: x\noutput_dir: {folder / 'runs'}\nmodel: {{name: tiny}}\n{text}", encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    ("flag", "expected"), [("--no-resume", "rerun without --no-resume"), ("--resume", None)]
)
def test_ctrl_c_on_a_stage_started_over_says_how_to_resume_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str, expected: str | None
) -> None:
    """Ctrl-C on `safealign sft --no-resume` said 'rerun the same command to resume': the same command, with
    --no-resume, starts the stage over again and sets the checkpoints the stopped session saved aside."""
    from safealign.cli.common import RESUMES

    def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyboardInterrupt

    # a stand-in for the stage's module: the command imports run_sft from it, and the real one imports TRL (seconds)
    monkeypatch.setitem(sys.modules, "safealign.stages.sft", types.SimpleNamespace(run_sft=interrupted))
    result = runner.invoke(app, ["sft", str(recipe(tmp_path, "sft: {}\n")), flag], env=WIDE)
    assert result.exit_code == 130, (result.output, result.exception)
    assert (expected or RESUMES) in said(result)
    if expected:
        assert "rerun the same command to resume" not in said(result)


def test_commands_to_run_quote_a_recipe_path_with_spaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate's monitor hint, distill's 'run `safealign sample ...` first' and the unfinished-stage error printed the
    recipe path as it is: pasted into a shell, 'my recipe.yaml' was two arguments and the command failed."""
    monkeypatch.chdir(tmp_path)
    for stage in ("distill", "rl"):  # refused before either trains; their modules import TRL (seconds)
        monkeypatch.setitem(
            sys.modules, f"safealign.stages.{stage}", types.SimpleNamespace(run_distill=None, run_rl=None)
        )
    path = recipe(tmp_path, "monitor: {upstream: 'http://127.0.0.1:9'}\n")
    result = runner.invoke(app, ["validate", "my recipe.yaml"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "`safealign monitor --recipe 'my recipe.yaml'`" in said(result)
    result = runner.invoke(app, ["distill", "my recipe.yaml"], env=WIDE)
    assert result.exit_code == 2, result.output
    assert "run `safealign sample 'my recipe.yaml'` first" in said(result)
    recipe(tmp_path, "sft: {}\n")
    (tmp_path / "runs" / "x" / "sft").mkdir(parents=True)  # started, not finished
    result = runner.invoke(app, ["rl", str(path)], env=WIDE)
    assert result.exit_code == 2, result.output
    assert f"`safealign sft '{path}'` resumes it" in said(result)


def test_the_sample_stage_table_shows_one_row_per_family(monkeypatch):
    """`safealign sample`'s table printed its by_family metric as one cell holding the whole nested dict."""
    import io

    from safealign.cli import train_cmd
    from safealign.cli.common import make_console

    record = {
        "output": "runs/x/sample",
        "wall_time_s": 12.0,
        "metrics": {
            "accepted": 3,
            "acceptance_rate": 0.375,
            "by_family": {
                "basic_arithmetic": {"total": 6, "accepted": 2, "wrong": 4, "acceptance_rate": 1 / 3},
                "safety": {"total": 2, "accepted": 1, "unsafe": 1, "acceptance_rate": 0.5},
            },
        },
    }
    log = io.StringIO()
    monkeypatch.setattr(train_cmd, "console", make_console(file=log))
    train_cmd._stage_table("sample", record)
    text = log.getvalue()
    assert "{" not in text and "'" not in text  # no dict repr
    rows = [line for line in text.splitlines() if "by_family" in line]
    assert len(rows) == 2
    assert "basic_arithmetic" in rows[0] and "total 6, accepted 2, wrong 4, acceptance_rate 0.3333" in rows[0]
    assert "safety" in rows[1] and "unsafe 1" in rows[1]


def test_a_stage_command_refuses_a_folder_holding_an_unfinished_sample_stage(tmp_path: Path, monkeypatch):
    """`safealign rl --out F` with F a crashed sample stage's folder (its completions so far, no config.json) was not
    refused: the check looked for the config.json sft, rl and distill write, which sample does not."""
    import json

    import yaml
    from test_generation_review67 import stub_run_rl

    trained = stub_run_rl(monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump({"name": "x", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}})
    )
    folder = tmp_path / "my_sample"  # what a crashed `safealign sample r.yaml --out my_sample` leaves
    folder.mkdir()
    (folder / "completions.partial.jsonl").write_text(json.dumps({"key": "k", "completions": []}) + "\n")
    result = CliRunner().invoke(app, ["rl", str(recipe), "--out", str(folder), "--model", "tiny"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and not trained, result.output
    assert (
        "holds an unfinished `sample` stage (its completions so far), not `rl`: `safealign sample` resumes it"
        in said
    )
    assert (folder / "completions.partial.jsonl").is_file()
