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


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (
            '{"messages": [{"role": "user", "content": ""}]}',
            r"messages\[0\].content' \(the user's turn\) is empty",
        ),
        (
            '{"messages": [{"role": "user", "content": "  \\n"}]}',
            r"messages\[0\].content' \(the user's turn\) is empty",
        ),
        ('{"messages": [{"role": "system", "content": "be brief"}]}', "has no user turn"),
    ],
    ids=["empty_user", "blank_user", "system_only"],
)
def test_a_chat_with_nothing_to_answer_is_refused_with_its_line(tmp_path, row, says):
    """A blank 'prompt' was refused, but a chat whose user turn was blank (or missing) was generated for."""
    from safealign.cli.generate_cmd import read_prompts
    from safealign.errors import DataError

    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "hi"}\n' + row + "\n")
    with pytest.raises(DataError, match=rf"{path}:2: .*{says}"):
        read_prompts(path)


def test_an_empty_prompt_option_is_refused_before_the_model_loads(monkeypatch):
    import safealign.models

    def load(*args, **kwargs):
        raise AssertionError("the model loaded")

    monkeypatch.setattr(safealign.models, "load_model", load)
    result = CliRunner().invoke(app, ["generate", "tiny", "-p", "hi", "-p", " "], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "--prompt 2 is empty" in result.output, result.output
