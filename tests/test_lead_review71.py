"""Session 71's lead: follow-ups the area reviews found outside their files."""

from __future__ import annotations

from typer.testing import CliRunner

from safealign.cli.main import app

runner = CliRunner()


def test_eval_keeps_an_rg_settings_list_whole_in_suites(tiny, tmp_path, monkeypatch):
    """`--suites 'rg:basic_arithmetic?operators=[+,-]'` (the form a stage's overlap error prints) was split at the
    comma inside the brackets, and eval failed with "unsupported operator: [+"; data check took it whole (183cc24)."""
    import safealign.models

    monkeypatch.setattr(safealign.models, "load_model", lambda *args, **kwargs: tiny)
    suite = "rg:basic_arithmetic?operators=[+,-]"
    args = ["eval", "tiny", "--suites", suite, "--max-new-tokens", "1", "--limit", "2", "--out", str(tmp_path / "e")]
    result = runner.invoke(app, args)
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert "unsupported operator" not in said


def test_data_check_says_a_suites_warning_once():
    """`data check --suites rg:gcd` logged "rg:gcd: it is a held-out family of the reasoning suite..." twice: when the
    spec was checked and again when its items were read for the overlap check."""
    result = runner.invoke(app, ["data", "check", "--suites", "rg:gcd"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert said.count("rg:gcd: it is a held-out family") == 1, said
