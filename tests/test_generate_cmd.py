from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app


@pytest.mark.parametrize(
    ("argv", "said", "not_said"),
    [
        (["-p", "hi"], "nothing was saved (without --out", "nothing was written to --out"),
        (["-p", "hi", "--out", "g.jsonl"], "nothing was written to --out", "nothing was saved"),
    ],
    ids=["printed", "to_file"],
)
def test_ctrl_c_on_generate_says_what_was_kept_with_and_without_out(
    tmp_path, monkeypatch, argv, said, not_said
):
    """Stopped without --out, generate said "nothing was written to --out", as if a file were being written."""
    import safealign.models

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(safealign.models, "load_model", interrupted)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["generate", "tiny", *argv], env={"COLUMNS": "300"})
    lines = [line for line in result.output.splitlines() if line.startswith("interrupted")]
    assert result.exit_code == 130
    assert len(lines) == 1 and said in lines[0] and not_said not in lines[0], result.output
    assert "rerun the same command" in lines[0]
