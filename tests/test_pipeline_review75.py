"""Session 75's review of the pipeline, the recipe's warnings, the card's run folder and audit. No training."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.config.recipe import parse_recipe


def test_decision_tokens_at_weight_one_are_said_to_be_unread(caplog: pytest.LogCaptureFixture) -> None:
    """decision_tokens with decision_weight 1.0 (its default) weighed nothing, without a word."""
    with caplog.at_level(logging.WARNING, logger="safealign.config"):
        parse_recipe({"name": "r", "sft": {"decision_tokens": 8}})
    (said,) = [r.getMessage() for r in caplog.records if "is not read" in r.getMessage()]
    assert said.startswith("sft: decision_tokens 8 is not read: decision_weight is 1.0"), said
    assert "Set decision_weight (e.g. 3.0)" in said and "remove decision_tokens" in said


class _Stop(Exception):
    """Raised where the sample stage would start generating: the prompts are drawn by then."""


@pytest.mark.parametrize("entry", ["pipeline.run_pipeline", "compare.run_compare"])
def test_the_safety_repeat_warning_is_said_once_from_python(
    entry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A safety share past the shipped safety prompts was warned of twice by run_pipeline called from Python (the run's
    up-front check draws the prompts, and the stage again); `safealign run` said it once. run_compare too (its own
    check, then its arms' pipeline): only the `compare` command filtered it."""
    import importlib

    from safealign import pipeline
    from safealign.stages import sample

    module, function = entry.split(".")
    run = getattr(importlib.import_module(f"safealign.{module}"), function)

    def stop(*args: object, **kwargs: object) -> None:
        raise _Stop

    monkeypatch.setattr(pipeline, "run_eval_stage", lambda *a, **k: SimpleNamespace(record={}))
    monkeypatch.setattr(sample, "_completions", stop)
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "eval": {"suites": ["harmful"]},
            "sample": {"num_prompts": 1000, "safety_share": 1.0},
        }
    )
    with caplog.at_level(logging.WARNING, logger="safealign.stages.rl_prompts"), pytest.raises(_Stop):
        run(recipe, show_progress=False)
    said = [r.getMessage() for r in caplog.records if "distinct safety prompts" in r.getMessage()]
    assert len(said) == 1, said
    assert said[0].startswith("sample: task safety gets 1000 of the 1000 prompts"), said[0]


def test_pipeline_json_names_the_model_a_kept_eval_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An eval/base kept from a run of another model (model.name changed since): pipeline.json named the model asked
    for, whose scores those are not; it names the one scored, and the one asked for beside it."""
    from test_card_run_folder_checks import stage

    from safealign import pipeline
    from safealign.runs import read_json

    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    recipe = parse_recipe(
        {"name": "r", "output_dir": str(tmp_path), "model": {"name": "tiny"}, "eval": {"suites": ["harmful"]}}
    )
    recipe.run_dir.mkdir(parents=True)
    config = recipe.eval.model_dump() | {"system_prompt": None}
    stage(recipe.run_dir, "eval/base", "tiny:7", config=config, seed=recipe.seed)
    pipeline.run_pipeline(recipe, show_progress=False)
    (row,) = read_json(recipe.run_dir / "pipeline.json", dict)["stages"]
    assert (row["model"], row["asked"]) == ("tiny:7", "tiny"), row

    # the model asked for scored: named once, as before
    stage(recipe.run_dir, "eval/base", "tiny", config=config, seed=recipe.seed)
    pipeline.run_pipeline(recipe, show_progress=False)
    (row,) = read_json(recipe.run_dir / "pipeline.json", dict)["stages"]
    assert row["model"] == "tiny" and "asked" not in row, row


@pytest.mark.parametrize(
    "earlier",
    ['{"kl": HUGE}', '{"step": 5, "kl": HUGE, "reward": 0.5}'],
    ids=["a row without a step", "a later step on an earlier line"],
)
def test_audit_names_the_line_of_the_step_the_error_names(tmp_path: Path, earlier: str) -> None:
    """audit found the line of an integer past a float's range by its key alone: the first line holding one under that
    key was named, not the line of the step the error names."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    huge = "1" + "0" * 400
    lines = [earlier, '{"step": 1, "kl": 0.01, "reward": 0.5}', '{"step": 2, "kl": HUGE, "reward": 0.5}']
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines).replace("HUGE", huge) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(tmp_path)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split()).replace(str(tmp_path) + "/", "")
    assert "metrics.jsonl:3: the record of step 2 logs 'kl'" in said, said


def test_a_stage_run_by_hand_after_the_run_is_not_carded_as_an_earlier_runs(tmp_path: Path) -> None:
    """`safealign sft RECIPE` into a run folder whose recipe.yaml (written as `safealign run` started) says `sft: null`:
    the card set the new sft/ aside as an earlier run's. One that finished before recipe.yaml was written still is."""
    import os
    import time

    from test_card_review74 import pipeline_run
    from test_card_run_folder_checks import stage

    from safealign.card import load_run

    run = pipeline_run(tmp_path)  # sft: null
    now = time.time()
    os.utime(run / "recipe.yaml", (now - 100, now - 100))
    stage(run, "eval/base", "tiny", finished_at=now - 90)
    stage(run, "sft", "tiny", started_at=now - 60, finished_at=now)
    folder = load_run(run)
    assert folder.left_out == {} and folder.final_stage == "sft", folder.left_out

    stage(run, "sft", "tiny", model=False, started_at=now - 300, finished_at=now - 200)  # an earlier run's
    assert "leaves it out" in load_run(run).left_out["sft"]
    assert load_run(run).final_stage is None


def test_a_recipe_given_without_its_file_leaves_no_earlier_source_beside_it(tmp_path: Path) -> None:
    """run_pipeline(recipe) from Python over a run first made from a file: the changed recipe.yaml was written, and the
    earlier recipe.source.yaml stayed beside it as this run's recipe as written (seed 1 beside seed 2)."""
    from safealign.pipeline import write_run_recipe

    source = tmp_path / "r.yaml"
    source.write_text("name: r\nseed: 1\n", encoding="utf-8")
    first = parse_recipe({"name": "r", "output_dir": str(tmp_path), "seed": 1})
    first.run_dir.mkdir(parents=True)
    write_run_recipe(first, source)
    write_run_recipe(parse_recipe({"name": "r", "output_dir": str(tmp_path), "seed": 2}), None)
    names = sorted(path.name for path in first.run_dir.iterdir())
    assert "recipe.source.yaml" not in names, names
    (kept,) = [name for name in names if name.startswith("recipe.source.")]  # the earlier source, kept aside
    assert (first.run_dir / kept).read_text(encoding="utf-8") == "name: r\nseed: 1\n"


def test_an_earlier_runs_sft_from_another_model_does_not_name_the_base_model(tmp_path: Path) -> None:
    """A rerun with another model.name and without `sft:` over an earlier run's sft/ (trained from tiny:7): the card named
    tiny:7 the base and final model, and set this run's eval/base of tiny aside as 'scored another model'."""
    from test_card_review74 import pipeline_run
    from test_card_run_folder_checks import stage

    from safealign.card import load_run

    run = pipeline_run(tmp_path)  # model tiny, sft: null
    stage(run, "sft", "tiny:7")
    stage(run, "eval/sft", str(run / "sft" / "model"))
    stage(run, "eval/base", "tiny")
    folder = load_run(run)
    assert list(folder.left_out) == ["sft"]
    assert (folder.base_model, folder.final_model, folder.final_eval) == ("tiny", "tiny", "base")
    assert folder.eval_issues == {}


def test_pipeline_json_names_the_teacher_a_kept_sample_stage_sampled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sample/ kept from a run of another model: pipeline.json named the recipe's model its teacher."""
    from test_card_run_folder_checks import stage

    from safealign import pipeline
    from safealign.runs import read_json

    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    monkeypatch.setattr(pipeline, "run_eval_stage", lambda *a, **k: SimpleNamespace(record={}))
    recipe = parse_recipe(
        {"name": "r", "output_dir": str(tmp_path), "model": {"name": "tiny"}, "sample": {"num_prompts": 4}}
    )
    recipe.run_dir.mkdir(parents=True)
    stage(recipe.run_dir, "sample", "tiny:7", config=recipe.sample.model_dump(), seed=recipe.seed)
    (recipe.run_dir / "sample" / "traces.jsonl").write_text("", encoding="utf-8")
    pipeline.run_pipeline(recipe, show_progress=False)
    rows = read_json(recipe.run_dir / "pipeline.json", dict)["stages"]
    (row,) = [row for row in rows if row["stage"] == "sample"]
    assert (row["model"], row["asked"]) == ("tiny:7", "tiny"), row
