"""`safealign eval --out DIR` that fails before keeping any answer removes the folder it made, and only that one."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from safealign.cli.main import app


def _unreachable_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _eval_unreachable(out: Path) -> int:
    argv = ["eval", "m", "--endpoint", _unreachable_url(), "--suites", "format", "--limit", "1"]
    result = CliRunner().invoke(app, [*argv, "--out", str(out)], env={"COLUMNS": "300"})
    assert "cannot reach" in result.output, result.output
    return result.exit_code


def test_an_endpoint_eval_whose_first_request_fails_removes_the_out_folder_it_made(tmp_path: Path) -> None:
    """The server was down: the eval failed at once and left an empty --out behind, unlike an interrupted one."""
    out = tmp_path / "x"
    assert _eval_unreachable(out) == 2
    assert not out.exists()


def test_an_out_folder_that_existed_before_the_eval_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    assert _eval_unreachable(out) == 2
    assert out.is_dir()


def test_a_local_model_that_fails_to_load_removes_the_out_folder_it_made(tmp_path: Path) -> None:
    out = tmp_path / "x"
    argv = ["eval", str(tmp_path / "no-such-model"), "--suites", "format", "--limit", "1", "--out", str(out)]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "not found" in result.output, result.output
    assert not out.exists()
