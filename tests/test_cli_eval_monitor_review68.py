"""Review 68 of the eval, generate and monitor commands: an endpoint eval's infinite --timeout, text given in another
encoding than UTF-8, and the database a failed first `monitor evaluate` run left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app

ENV = {"COLUMNS": "300"}


def test_an_endpoint_eval_with_an_infinite_timeout_is_refused_before_out_is_made(tmp_path: Path) -> None:
    """--timeout inf passed the option's floor and failed as a bare ValueError traceback of the endpoint generator,
    after --out and its parent had been made (and were left behind, empty)."""
    out = tmp_path / "a" / "b"
    argv = [
        "eval",
        "m",
        "--endpoint",
        "http://127.0.0.1:9",
        "--timeout",
        "inf",
        "--suites",
        "format",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, argv, env=ENV)
    assert result.exit_code == 2, (result.output, result.exception)
    assert "--timeout inf" in result.output and "120" in result.output, result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "tiny", "-p", "hi", "-p", "caf\udce9"],
        ["generate", "tiny", "-p", "hi", "--system-prompt", "caf\udce9"],
    ],
)
def test_generate_refuses_text_that_is_not_utf8_before_the_model_loads(argv: list[str]) -> None:
    """A prompt of Latin-1 bytes (``-p "$(cat latin1.txt)"``) reaches Python as lone surrogates: the tokenizer failed
    with a TypeError traceback once the model had loaded."""
    result = CliRunner().invoke(app, argv, env=ENV)
    assert result.exit_code == 2, (result.output, result.exception)
    option = "--prompt 2" if argv[-2] == "-p" else "--system-prompt"
    assert f"{option} holds the byte \\xe9, which is not UTF-8" in result.output, result.output
    assert "model loaded" not in result.output


def test_eval_refuses_a_system_prompt_that_is_not_utf8_before_out_is_made(tmp_path: Path) -> None:
    """The same bytes as --system-prompt failed in run_eval with a UnicodeEncodeError traceback, leaving --out behind."""
    out = tmp_path / "out"
    argv = [
        "eval",
        "m",
        "--endpoint",
        "http://127.0.0.1:9",
        "--system-prompt",
        "caf\udce9",
        "--suites",
        "format",
    ]
    result = CliRunner().invoke(app, [*argv, "--out", str(out)], env=ENV)
    assert result.exit_code == 2, (result.output, result.exception)
    assert "--system-prompt holds the byte \\xe9, which is not UTF-8" in result.output, result.output
    assert not out.exists()


@pytest.mark.sqlite_only
def test_a_failed_first_monitor_evaluate_run_leaves_no_new_database(tmp_path: Path) -> None:
    """No server at --upstream: the run failed (exit 2), but the database it opened stayed, new and empty (with its
    -wal and -shm files), and a later `monitor judge --once` there took it for the gateway's: "judged 0 exchanges",
    exit 0, instead of saying no database is there."""
    db = tmp_path / "new" / "monitor.db"
    argv = ["monitor", "evaluate", "--upstream", "http://127.0.0.1:9", "--once", "--db", f"sqlite:///{db}"]
    result = CliRunner().invoke(app, argv, env=ENV)
    assert result.exit_code == 2 and "cannot reach" in result.output, (result.output, result.exception)
    assert not any(tmp_path.iterdir()), sorted(tmp_path.rglob("*"))
    judged = CliRunner().invoke(app, ["monitor", "judge", "--once", "--db", f"sqlite:///{db}"], env=ENV)
    assert judged.exit_code == 2 and "does not exist" in judged.output, judged.output


@pytest.mark.sqlite_only
def test_a_failed_monitor_evaluate_run_keeps_a_database_that_was_there(tmp_path: Path) -> None:
    """Only a database the command made goes: the gateway's, there before, stays."""
    from safealign.monitor.store import Store

    db = tmp_path / "monitor.db"
    Store(f"sqlite:///{db}").close()
    argv = ["monitor", "evaluate", "--upstream", "http://127.0.0.1:9", "--once", "--db", f"sqlite:///{db}"]
    result = CliRunner().invoke(app, argv, env=ENV)
    assert result.exit_code == 2, (result.output, result.exception)
    assert db.is_file()
