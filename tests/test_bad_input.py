"""Bad input ends in one line on stderr that names the problem and the fix, exit code 2, never a traceback."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from safealign.cli.common import friendly_errors
from safealign.cli.main import app
from safealign.corpus import read_rows_and_problems

runner = CliRunner()


def write_rows(path, n=6):
    rows = [
        {"id": f"m{i}", "kind": "benign", "messages": [{"role": "user", "content": f"Say word {i}."}, {"role": "assistant", "content": f"The word is banana {i}."}]}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def assert_clear_error(result, *needles):
    assert result.exit_code == 2, result.output  # an uncaught exception exits 1
    stderr = " ".join(result.stderr.split())  # rich wraps long lines
    assert "error: " in stderr and "Traceback" not in stderr, stderr
    for needle in needles:
        assert needle in stderr, stderr


def test_a_latin1_line_is_reported_with_its_line_and_the_fix(tmp_path):
    path = write_rows(tmp_path / "rows.jsonl")
    path.write_bytes(path.read_bytes().replace(b"banana 3", "café 3".encode("latin-1")))
    rows, problems = read_rows_and_problems(path)
    assert len(rows) == 5  # the other lines are still read
    assert [problem.line for problem in problems] == [4]
    assert "not UTF-8" in str(problems[0]) and "0xe9" in str(problems[0]) and "iconv" in str(problems[0])
    result = runner.invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1 and f"{path}:4: not UTF-8" in " ".join(result.stderr.split())


def test_an_unpaired_surrogate_escape_and_a_utf16_file_are_named_with_the_fix(tmp_path):
    """A JSON "\\ud83d" without its pair passed the check, then crashed SFT (sha256) and the tokenizer."""
    path = tmp_path / "cut.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "emoji \\ud83d please"}, {"role": "assistant", "content": "ok"}]}\n'
                    '{"messages": [{"role": "user", "content": "a pair \\ud83d\\ude00 is fine"}, {"role": "assistant", "content": "ok"}]}\n')
    rows, problems = read_rows_and_problems(path)
    assert len(rows) == 1 and [(p.line, p.field) for p in problems] == [(1, "messages.0.content")]
    assert "unpaired surrogate escape \\ud83d" in str(problems[0])
    utf16 = tmp_path / "u16.jsonl"
    utf16.write_bytes('{"messages": []}\n{"messages": []}\n'.encode("utf-16"))
    rows, problems = read_rows_and_problems(utf16)
    assert not rows and len(problems) == 1 and "the file is UTF-16" in str(problems[0]) and "iconv -f utf-16" in str(problems[0])


def tiny_recipe(tmp_path, data, output_dir=None, **sft):
    settings = {"datasets": {str(data): 1.0}, "method": "full", "max_steps": 2, "batch_size": 3, "save_steps": 2, "logging_steps": 1, "max_length": 64} | sft
    recipe = {"name": "t", "output_dir": str(output_dir or tmp_path / "runs"), "precision": "fp32", "model": {"name": "tiny"}, "sft": settings}
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps(recipe))  # JSON is YAML
    return path


@pytest.mark.parametrize("out", ["a_file", "a_file/sub"])
def test_sft_out_that_is_a_file_names_it(tmp_path, out):
    recipe = tiny_recipe(tmp_path, write_rows(tmp_path / "rows.jsonl"))
    (tmp_path / "a_file").write_text("keep me")
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(tmp_path / out)])
    assert_clear_error(result, f"cannot write {tmp_path / out}", f"{tmp_path / 'a_file'} is a file", "--out")
    assert (tmp_path / "a_file").read_text() == "keep me"


def test_run_with_output_dir_a_file_names_it(tmp_path):
    (tmp_path / "a_file").write_text("keep me")
    recipe = tiny_recipe(tmp_path, write_rows(tmp_path / "rows.jsonl"), output_dir=tmp_path / "a_file")
    assert_clear_error(runner.invoke(app, ["run", str(recipe)]), f"{tmp_path / 'a_file'} is a file", "output_dir")


def test_models_list_with_home_a_file_names_it(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = runner.invoke(app, ["models", "list"], env={"SAFEALIGN_HOME": str(tmp_path / "a_file")})
    assert_clear_error(result, f"{tmp_path / 'a_file'} is a file", "SAFEALIGN_HOME")


def test_eval_diff_json_under_a_file_names_it(tmp_path):
    for name in ("before", "after"):
        result = runner.invoke(app, ["eval", "tiny", "--suites", "harmful", "--limit", "1", "--max-new-tokens", "2", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    (tmp_path / "a_file").write_text("")
    result = runner.invoke(app, ["eval-diff", str(tmp_path / "before"), str(tmp_path / "after"), "--json", str(tmp_path / "a_file" / "x.json")])
    assert_clear_error(result, f"{tmp_path / 'a_file'} is a file", "--json")


def test_an_output_folder_without_write_permission_names_it(capsys):
    @friendly_errors
    def fails(error):
        raise error

    for error in (PermissionError(13, "Permission denied", "/srv/runs/sft"), PermissionError(1, "Operation not permitted", "/sys/kernel/x")):
        with pytest.raises(typer.Exit) as exit_info:
            fails(error)
        assert exit_info.value.exit_code == 2
        stderr = " ".join(capsys.readouterr().err.split())
        assert f"no permission to access {error.filename} (permission denied)" in stderr and "--out" in stderr, stderr


def test_a_file_without_read_permission_says_to_fix_its_permissions(tmp_path, capsys):
    @friendly_errors
    def fails(error):
        raise error

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: x\n")
    with pytest.raises(typer.Exit):
        fails(PermissionError(13, "Permission denied", str(recipe)))  # root reads any file: the error is made up
    stderr = " ".join(capsys.readouterr().err.split())
    assert f"no permission to access {recipe}" in stderr and "chmod" in stderr and "copy you can read" in stderr, stderr


def test_other_os_errors_still_raise():
    @friendly_errors
    def fails(error):
        raise error

    with pytest.raises(FileNotFoundError):
        fails(FileNotFoundError(2, "No such file or directory", "/nope"))
    with pytest.raises(FileExistsError):  # two folders: not a path the user got wrong
        fails(FileExistsError(17, "File exists", "/tmp"))


def test_run_again_from_the_run_folders_own_recipe_copy(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(json.dumps({"name": "t", "output_dir": str(tmp_path / "runs"), "precision": "fp32", "model": {"name": "tiny"},
                                  "eval": {"suites": ["harmful"], "limit": 1, "max_new_tokens": 2}}))
    assert runner.invoke(app, ["run", str(recipe)]).exit_code == 0
    copy = tmp_path / "runs" / "t" / "recipe.source.yaml"
    result = runner.invoke(app, ["run", str(copy)])
    assert result.exit_code == 0, result.output
    assert json.loads(copy.read_text())["name"] == "t"  # the copy is intact


def test_sft_starts_from_a_lora_adapter(tmp_path):
    import torch

    from safealign.models import load_model

    data = write_rows(tmp_path / "rows.jsonl")
    first = runner.invoke(app, ["sft", str(tiny_recipe(tmp_path, data, method="lora", learning_rate=1e-2)), "--out", str(tmp_path / "first")])
    assert first.exit_code == 0, first.output
    adapter = tmp_path / "first" / "adapter"
    for method in ("full", "lora"):  # the adapter is merged into its base, then trained as a plain model
        recipe = tiny_recipe(tmp_path, data, method=method, learning_rate=1e-2)
        result = runner.invoke(app, ["sft", str(recipe), "--model", str(adapter), "--out", str(tmp_path / method)])
        assert result.exit_code == 0, result.output
    # The second adapter's base is the first adapter (merged), so loading it gives the merged model SFT saved.
    second = load_model(str(tmp_path / "lora" / "adapter"))
    saved = load_model(str(tmp_path / "lora" / "model"))
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.allclose(second.model(ids).logits, saved.model(ids).logits, atol=1e-4)


def test_a_model_folder_without_a_tokenizer_says_what_is_missing(tmp_path, tiny):
    tiny.model.save_pretrained(tmp_path / "model", safe_serialization=True)  # weights and config, no tokenizer
    result = runner.invoke(app, ["generate", str(tmp_path / "model"), "--prompt", "hi"])
    assert_clear_error(result, f"{tmp_path / 'model'} has no usable tokenizer (no tokenizer files)", "tokenizer.json")


def test_a_gguf_file_that_is_not_gguf_says_so(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 Not Found</html>")
    result = runner.invoke(app, ["generate", str(fake), "--prompt", "hi"])
    assert_clear_error(result, f"{fake} is not a GGUF model", "GGUF magic bytes")


def test_resuming_from_a_checkpoint_without_weights_names_it(tmp_path):
    recipe = tiny_recipe(tmp_path, write_rows(tmp_path / "rows.jsonl"))
    broken = tmp_path / "sft" / "checkpoint-5"
    broken.mkdir(parents=True)
    (broken / "trainer_state.json").write_text(json.dumps({"global_step": 5}))
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(tmp_path / "sft")])
    assert_clear_error(result, f"cannot resume from {broken}", "--no-resume", f"delete {broken}")
    assert (broken / "trainer_state.json").is_file()  # nothing deleted for the user
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(tmp_path / "sft"), "--no-resume"])
    assert result.exit_code == 0, result.output


def test_a_folder_where_a_file_is_needed_names_it(tmp_path, capsys):
    @friendly_errors
    def fails():
        (tmp_path / "out.json").mkdir()
        (tmp_path / "out.json").write_text("{}")

    with pytest.raises(typer.Exit):
        fails()
    stderr = " ".join(capsys.readouterr().err.split())
    assert f"{tmp_path / 'out.json'} is a folder; give a file path" in stderr and "Traceback" not in stderr, stderr


def test_a_safealign_home_that_links_nowhere_names_the_link(tmp_path, monkeypatch):
    link = tmp_path / "home"
    link.symlink_to(tmp_path / "unmounted" / "cache")
    monkeypatch.setenv("SAFEALIGN_HOME", str(link))
    result = runner.invoke(app, ["models", "list"])
    assert_clear_error(result, f"{link} is a link to {tmp_path / 'unmounted' / 'cache'}, which does not exist", "SAFEALIGN_HOME")
