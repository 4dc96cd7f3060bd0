"""Review 71 of the CLI's own output: lines said twice, warnings of a stage the command does not run, the recipe
argument's help, and a run that keeps a stage made from other traces without a word."""

from __future__ import annotations

from typer.testing import CliRunner

from safealign.cli.main import app

runner = CliRunner()


def test_eval_says_each_repeated_question_line_once(tiny, tmp_path, monkeypatch):
    """check_items selects the suites' items before the model loads and run_eval again after: 'reasoning: 1 of the 40
    items drawn repeat an earlier item's question' (and format's) was logged twice."""
    import safealign.models

    monkeypatch.setattr(safealign.models, "load_model", lambda *args, **kwargs: tiny)
    args = ["eval", "tiny", "--suites", "reasoning,format", "--split", "held_out", "--max-new-tokens", "1"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "e")])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    for suite in ("reasoning", "format"):
        line = f"{suite}: 1 of the"
        assert said.count(line) == 1 and "repeat an earlier item's question" in said, said
