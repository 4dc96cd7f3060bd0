"""Review 71 of run folders, locks, resume and the pipeline."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from safealign.config import load_recipe
from safealign.config.recipe import parse_recipe
from safealign.pipeline import write_run_recipe

SOURCE = (
    "# my quickstart, as I wrote it\nname: y\noutput_dir: {runs}\nmodel: {{name: tiny}}  # the tiny one\n"
)


def first_run(tmp_path: Path) -> Path:
    """A run folder as `safealign run r.yaml` leaves it: recipe.yaml resolved, recipe.source.yaml as written."""
    source = tmp_path / "r.yaml"
    source.write_text(SOURCE.format(runs=tmp_path / "runs"))
    write_run_recipe(load_recipe(source), source)
    return tmp_path / "runs" / "y"


def test_a_rerun_from_the_runs_own_recipe_yaml_keeps_the_recipe_as_written(tmp_path: Path) -> None:
    """`safealign run runs/y/recipe.yaml` copied the resolved recipe over recipe.source.yaml: the recipe as the user
    wrote it (its comments, the defaults it left out) was gone from the folder, kept nowhere."""
    run_dir = first_run(tmp_path)
    written = (run_dir / "recipe.source.yaml").read_text()
    write_run_recipe(load_recipe(run_dir / "recipe.yaml"), run_dir / "recipe.yaml")
    assert (run_dir / "recipe.source.yaml").read_text() == written
    assert sorted(p.name for p in run_dir.iterdir()) == ["recipe.source.yaml", "recipe.yaml"]


def test_a_hand_edited_recipe_yaml_given_back_is_kept_as_written(tmp_path: Path) -> None:
    """The run's recipe.yaml edited and given to `safealign run`: the earlier recipe moves aside, and the source copy
    is the edited file as written (it read the new resolved recipe.yaml, the user's file being moved aside first)."""
    run_dir = first_run(tmp_path)
    recipe_yaml = run_dir / "recipe.yaml"
    spec = yaml.safe_load(recipe_yaml.read_text())
    spec["seed"] = 7
    edited = "# seed 7 this time\n" + yaml.safe_dump(spec, sort_keys=False)
    recipe_yaml.write_text(edited)
    write_run_recipe(load_recipe(recipe_yaml), recipe_yaml)
    assert (run_dir / "recipe.source.yaml").read_text() == edited
    assert yaml.safe_load(recipe_yaml.read_text())["seed"] == 7
    kept = list(run_dir.glob("recipe.source.2*.yaml"))
    assert [p.read_text() for p in kept] == [SOURCE.format(runs=tmp_path / "runs")]


class BaselineEval(Exception):
    """Raised where the run would start its baseline eval: the warnings about finished stages come before it."""


def test_a_finished_stage_trained_in_another_precision_than_the_recipes_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A finished SFT trained in fp32 was kept without a word under a recipe now set to bf16 (the seed, the system
    prompt and the section's settings were named, not the precision its weights were trained in)."""
    import safealign.pipeline as pipeline
    from safealign.runs import write_json

    def baseline_eval(*args: Any, **kwargs: Any) -> None:
        raise BaselineEval

    monkeypatch.setattr(pipeline, "run_eval_stage", baseline_eval)
    spec = {"name": "p", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}, "sft": {}}
    for precision, named in (("bf16", True), ("fp32", False), ("auto", False)):
        recipe = parse_recipe(spec | {"precision": precision})
        record = {"stage": "sft", "parent": "tiny", "seed": recipe.seed, "config": recipe.sft.model_dump()}
        write_json(recipe.run_dir / "sft" / "stage.json", record | {"metrics": {"precision": "fp32"}})
        caplog.clear()
        with caplog.at_level(logging.WARNING), pytest.raises(BaselineEval):
            pipeline.run_pipeline(recipe, show_progress=False)
        assert ("precision: 'fp32' -> 'bf16'" in caplog.text) is named, (precision, caplog.text)
