"""Review 70 of the stage and generate commands' bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app

runner = CliRunner()


def recipe(folder):
    path = folder / "recipe.yaml"
    # a dataset that is not there: had an empty option been taken, the command would still stop before training
    path.write_text(
        f"name: x\noutput_dir: {folder / 'runs'}\nmodel: {{name: tiny}}\nsft: {{datasets: {{{folder / 'none.jsonl'}: 1.0}}}}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "command, option",
    [
        ("sft", "--out"),
        ("sft", "--model"),
        ("rl", "--out"),
        ("rl", "--model"),
        ("sample", "--out"),
        ("sample", "--teacher"),
        ("distill", "--out"),
        ("distill", "--teacher"),
        ("distill", "--traces"),
    ],
)
def test_an_empty_stage_option_is_refused_not_the_current_folder_or_the_recipes_model(
    tmp_path, monkeypatch, command, option
):
    """`--out "$OUT"` with OUT unset trained in the current folder (Path('') is '.'), and `--model ""` or
    `--teacher ""` trained the recipe's model, each without a word."""
    path = recipe(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = runner.invoke(app, [command, str(path), option, ""])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert (
        f"Invalid value for '{option}'" in said and "is empty" in said and "leave the option out" in said
    ), said
    assert "Traceback" not in said
    assert list(work.iterdir()) == [] and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("option", ["--out", "--prompts"])
def test_an_empty_generate_path_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch, option):
    """generate --out "" said '--out . is a folder', of a '.' the user never wrote."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["generate", "tiny", "-p", "hi", option, ""])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"Invalid value for '{option}'" in said and "is empty" in said and " . " not in said, said
    assert list(tmp_path.iterdir()) == []


def test_a_stage_option_given_a_value_is_that_path_or_spec(tmp_path):
    """The parsers keep what is given: a path as a Path, a spec as written (spaces inside kept)."""
    from pathlib import Path

    from safealign.cli.common import given_path, given_spec

    assert given_path("runs/a b") == Path("runs/a b") and given_spec("tiny:1") == "tiny:1"


def test_distill_traces_that_are_a_folder_name_the_file_inside(tmp_path):
    """--traces runs/x/sample (the sample stage's folder, not its traces.jsonl) was told 'no traces at runs/x/sample:
    run `safealign sample` first', of a stage that had sampled."""
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "traces.jsonl").write_text('{"messages": []}\n', encoding="utf-8")
    result = runner.invoke(app, ["distill", str(recipe(tmp_path)), "--traces", str(sample)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"--traces {sample} is a folder" in said and f"--traces {sample / 'traces.jsonl'}" in said, said
    assert "run `safealign sample" not in said


@pytest.mark.parametrize("command", [["sft"], ["rl"], ["sample"], ["distill"], ["run"], ["compare"]])
def test_an_empty_recipe_argument_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch, command):
    """`safealign run "$RECIPE"` with RECIPE unset said 'recipe . is a folder', of a '.' the user never wrote."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*command, ""])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "is empty" in said and "recipes/quickstart.yaml" in said and "recipe . is a folder" not in said, (
        said
    )


def test_data_check_refuses_an_empty_dataset_name_not_reading_the_current_folder(tmp_path, monkeypatch):
    """`data check ""` said 'dataset . is a folder; give one of the JSONL files in it'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["data", "check", ""])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "a dataset name is empty" in said and "dataset . is a folder" not in said, said
