"""Session 73's review of the CLI commands: empty path options, serve's system prompt."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app


def _invoke(argv: list[str]):
    return CliRunner().invoke(app, argv, env={"COLUMNS": "300"})


@pytest.mark.parametrize(
    "argv, option",
    [
        (["eval", "tiny", "--suites", "format", "--limit", "1", "--out", ""], "--out"),
        (["eval", "tiny", "--refusal-probe", ""], "--refusal-probe"),
        (["probe", "tiny", "--out", ""], "--out"),
        (["eval-diff", "a", "b", "--json", ""], "--json"),
        (["eval-arms", "-a", "a", "-a", "b", "-b", "c", "-b", "d", "--json", ""], "--json"),
        (["monitor", "--recipe", ""], "--recipe"),
        (["monitor", "judge", "--once", "--recipe", ""], "--recipe"),
        (["monitor", "evaluate", "--once", "--recipe", ""], "--recipe"),
    ],
)
def test_an_empty_path_option_is_refused_naming_it(tmp_path, monkeypatch, argv, option):
    # `--out "$OUT"` with OUT unset was Path('.'): eval wrote summary.json and samples.jsonl in the current folder
    monkeypatch.chdir(tmp_path)
    result = _invoke(argv)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert "is empty" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_probe_default_out_is_still_a_path(monkeypatch):
    import safealign.cli.probe_cmd as probe_cmd

    seen = []
    monkeypatch.setattr(probe_cmd, "_probe", lambda model, out, *rest: seen.append(out))
    result = _invoke(["probe", "tiny"])
    assert result.exit_code == 0, result.output
    assert [str(out) for out in seen] == ["runs/probe/refusal_probe.json"]


def test_serve_refuses_a_system_prompt_that_is_not_utf8_before_the_model_loads(monkeypatch):
    # Latin-1 bytes (`--system-prompt "$(cat latin1.txt)"`) reach Python as lone surrogates: the server started and every
    # request failed in the tokenizer with a 500
    import safealign.cli.serve_cmd as serve_cmd
    import safealign.models

    monkeypatch.setattr(serve_cmd, "check_can_listen", lambda host, port: None)

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    result = _invoke(["serve", "tiny", "--system-prompt", "caf\udce9"])
    assert result.exit_code == 2, result.output
    assert "--system-prompt holds the byte \\xe9, which is not UTF-8" in result.output
