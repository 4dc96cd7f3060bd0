"""Review 71 of the CLI's own output: lines said twice, warnings of a stage the command does not run, the recipe
argument's help, and a run that keeps a stage made from other traces without a word."""

from __future__ import annotations

import pytest
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


SHORT_RL = "rl: {max_steps: 6}\ndistill: {}\n"  # too short for the trend detectors' windows and the gates' every_steps
RL_WARNINGS = ("hacking.window", "gates.every_steps")


def short_rl_recipe(tmp_path) -> str:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\n{SHORT_RL}")
    return str(recipe)


@pytest.mark.parametrize("command", ["sft", "sample", "distill"])
def test_a_stage_command_that_runs_no_rl_gives_no_rl_warning(tmp_path, command):
    """`safealign distill` and `sample` (and `sft`) printed that the RL stage's detectors and gates cannot check,
    though they run no RL. Each stops here on its --out (or its traces) after reading the recipe."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("mine")
    (out / "traces.jsonl").write_text("mine")
    result = runner.invoke(app, [command, short_rl_recipe(tmp_path), "--out", str(out)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "error:" in said, said
    assert not any(warning in said for warning in RL_WARNINGS), said


@pytest.mark.parametrize("command", [["rl"], ["validate"]])
def test_rl_and_validate_still_give_the_rl_warnings(tmp_path, command):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("mine")
    extra = ["--out", str(out)] if command == ["rl"] else []
    result = runner.invoke(app, [*command, short_rl_recipe(tmp_path), *extra])
    said = " ".join(result.output.split())
    assert all(warning in said for warning in RL_WARNINGS), said


@pytest.mark.parametrize("command", ["run", "compare", "sft", "rl", "sample", "distill", "validate"])
def test_the_recipe_arguments_help_reads_like_every_other_arguments(command):
    """The empty-recipe parser (bb3abce) made the recipe's type column typer's `<Path>`, the annotation's class name,
    where every other argument reads `<str>` or `<path>` (validate's recipe `<str>`)."""
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "120"})
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "<Path>" not in said and "recipe <str> Recipe YAML" in said, said


@pytest.mark.parametrize("own", [False, True])
def test_run_names_a_finished_distill_made_from_other_traces(tmp_path, monkeypatch, own):
    """A distill/ that `safealign distill RECIPE --traces mine.jsonl` made was kept by `safealign run` without a word, as
    the run's student (evaluated and carded as distilled on the run's sampled traces). Stopped at the baseline eval,
    after the run's warnings about the stages it keeps."""
    import json

    from safealign import pipeline
    from safealign.config import DistillConfig
    from safealign.corpus.mixture import sha256_file
    from safealign.errors import SafealignError
    from safealign.runs import write_json

    run = tmp_path / "runs" / "r"
    rows = "".join(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Say {i}."},
                    {"role": "assistant", "content": f"I say {i}."},
                ]
            }
        )
        + "\n"
        for i in range(3)
    )
    sampled = run / "sample" / "traces.jsonl"
    sampled.parent.mkdir(parents=True)
    sampled.write_text(rows)
    write_json(
        run / "sample" / "stage.json",
        {"stage": "sample", "config": {}, "parent": "tiny", "output": str(sampled)},
    )
    mine = tmp_path / "mine.jsonl"
    mine.write_text(rows.replace("I say", "You say"))
    traces = sampled if own else mine
    source = {"name": str(traces), "path": str(traces), "sha256": sha256_file(traces)}
    distill = run / "distill"
    write_json(
        distill / "stage.json",
        {
            "stage": "distill",
            "config": DistillConfig().model_dump(),
            "parent": "tiny",
            "seed": 42,
            "output": str(distill / "model"),
            "inputs": {"system_prompt": None, "traces": {"sources": [source]}},
        },
    )
    (distill / "model").mkdir()
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\ndistill: {{}}\n")

    def stop(*args, **kwargs):
        raise SafealignError("stopped at the baseline eval")

    monkeypatch.setattr(pipeline, "run_eval_stage", stop)
    result = runner.invoke(app, ["run", str(recipe)])
    said = "".join(result.output.split())
    assert result.exit_code == 2 and "stoppedatthebaselineeval" in said, said
    if own:
        assert "othersettings" not in said, said
    else:
        assert f"distill:{distill}finishedwithothersettings" in said, said
        assert f"traces:'{mine}'->'{sampled}'" in said and "keepingit.Deletethatfolder" in said, said


def test_validate_refuses_an_empty_recipe_argument_as_the_other_commands_do(tmp_path, monkeypatch):
    """bb3abce refused `safealign run ""` (an unset $RECIPE) but left validate, which said 'recipe . is a folder', of
    a '.' never written."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", ""])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "is empty" in said and "recipe . is a folder" not in said, said


def test_rl_with_the_defaults_says_what_its_detectors_cannot_judge(tmp_path):
    """`safealign rl` of a recipe with no rl: section trains with RLConfig's defaults (40 steps, in which
    refusal_collapse cannot fill its two windows), and said nothing of it: the warning came only with a recipe's own
    rl: section. Stopped on its folder, which holds another stage, after the warnings."""
    from safealign.runs import write_json

    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\n")
    write_json(tmp_path / "runs" / "r" / "rl" / "stage.json", {"stage": "sft"})
    result = runner.invoke(app, ["rl", str(recipe)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "the recipe has no rl: section" in said, said
    assert "rl: refusal_collapse compares two windows of hacking.window 10" in said, said


def test_run_says_a_line_of_the_prompt_draw_once(tmp_path, monkeypatch):
    """The run's checks draw the sampling prompts before the baseline eval, and the sample stage draws them again:
    'sample: task chain_sum gets 0 of the 4 prompts at weight 0.14: it is left out of this stage' was said at both.
    The evals do nothing here, and the sample stage stops once it has drawn its prompts."""
    from safealign import pipeline
    from safealign.errors import SafealignError
    from safealign.stages import sample

    def stop(*args, **kwargs):
        raise SafealignError("stopped before generating")

    monkeypatch.setattr(pipeline, "run_eval_stage", lambda *args, **kwargs: None)
    monkeypatch.setattr(sample, "_completions", stop)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\nsample: {{num_prompts: 4, k: 1}}\n"
    )
    result = runner.invoke(app, ["run", str(recipe)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "stopped before generating" in said, said
    assert said.count("sample: task chain_sum gets 0 of the 4 prompts") == 1, said
