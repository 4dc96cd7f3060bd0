"""Review of the one-command pipeline (session 74): a stage the recipe leaves out over an earlier run's finished one."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_pipeline_review64 import RL


def finished_sft(run_dir: Path) -> None:
    """An earlier run's finished SFT stage and its eval, as `safealign run` leaves them."""
    from safealign.config import SFTConfig
    from safealign.runs import StageRecord

    (run_dir / "sft" / "model").mkdir(parents=True)
    (run_dir / "eval" / "sft").mkdir(parents=True)
    StageRecord(
        stage="sft",
        parent="tiny",
        output=str(run_dir / "sft" / "model"),
        config=SFTConfig().model_dump(),
        seed=42,
        started_at=time.time(),
    ).finish(run_dir / "sft")


@pytest.mark.parametrize("sft", [None, {"enabled": False}])
def test_a_stage_left_out_over_an_earlier_runs_finished_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog, sft: dict | None
) -> None:
    """sft left out of a rerun over a finished sft/: the run printed 'final model: tiny', said nothing of sft/, and its
    card read sft/ as this run's ('Final model: sft/model', eval/sft's scores); it is named, with the way out."""
    from safealign import pipeline
    from safealign.config.recipe import parse_recipe

    monkeypatch.setattr(
        pipeline, "run_eval_stage", lambda *a, **k: SimpleNamespace(model_path=Path(""), record={})
    )
    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    spec = {
        "name": "r",
        "output_dir": str(tmp_path),
        "model": {"name": "tiny"},
        "eval": {"suites": ["harmful"]},
    }
    recipe = parse_recipe(spec | ({"sft": sft} if sft else {}))
    finished_sft(recipe.run_dir)
    with caplog.at_level(logging.WARNING, logger="safealign.pipeline"):
        result = pipeline.run_pipeline(recipe, show_progress=False)
    assert result.final_model == "tiny"
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("sft: the recipe")]
    assert len(said) == 1, caplog.text
    assert ("leaves it out" if sft is None else "turns it off") in said[0]
    assert f"{recipe.run_dir / 'sft'} and {recipe.run_dir / 'eval' / 'sft'}" in said[0], said[0]
    assert "card" in said[0] and "another name" in said[0], said[0]


def test_a_stage_the_recipe_runs_is_not_named_as_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    from safealign.config.recipe import parse_recipe
    from safealign.pipeline import warn_of_left_out_stages

    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "sft": {"datasets": {"benign_helpful": 1.0}},
        }
    )
    finished_sft(recipe.run_dir)
    with caplog.at_level(logging.WARNING, logger="safealign.pipeline"):
        warn_of_left_out_stages(recipe, None)
    assert "the recipe" not in caplog.text, caplog.text


def gone_sft_model(tmp_path: Path, rl: bool) -> tuple[object, Path]:
    """A recipe (with RL or not) over a finished SFT whose model folder was deleted to free the disk."""
    from safealign.config.recipe import parse_recipe
    from safealign.runs import StageRecord

    spec = {
        "name": "r",
        "output_dir": str(tmp_path),
        "model": {"name": "tiny"},
        "eval": {"suites": ["harmful"]},
        "sft": {"datasets": {"benign_helpful": 1.0}},
    }
    recipe = parse_recipe(spec | ({"rl": RL} if rl else {}))
    sft_dir = recipe.run_dir / "sft"
    StageRecord(
        stage="sft",
        parent="tiny",
        output=str(sft_dir / "model"),
        config=recipe.sft.model_dump(),
        seed=42,
        started_at=time.time(),
    ).finish(sft_dir)
    return recipe, sft_dir / "model"


def test_a_finished_stages_model_that_is_gone_is_named_before_a_stage_starts_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sft/model deleted to free the disk, sft/stage.json kept: 'sft: already done, skipping', then after the baseline
    eval "model '.../sft/model' not found ... Use 'embedded:smollm2-135m-instruct', 'tiny', ...". It is refused before
    the run starts, naming the record and the fix."""
    from safealign import pipeline
    from safealign.errors import ModelNotFoundError

    monkeypatch.setattr(
        pipeline, "check_dataset_files", lambda recipe: None
    )  # its reading is slow, and not tested here
    recipe, model = gone_sft_model(tmp_path, rl=True)
    with pytest.raises(ModelNotFoundError, match="is gone, though") as caught:
        pipeline.check_recipe(recipe)
    message = str(caught.value)
    assert str(model) in message and "sft/stage.json" in message and "put the model back" in message, message
    assert "embedded:" not in message

    # SFT made again (its folder deleted): nothing is gone, RL starts from the model SFT makes
    import shutil

    shutil.rmtree(model.parent)
    pipeline.check_recipe(recipe)


def test_an_eval_of_a_finished_stages_model_that_is_gone_names_it(tmp_path: Path) -> None:
    from safealign.errors import ModelNotFoundError
    from safealign.stages.evaluate import run_eval_stage

    recipe, model = gone_sft_model(tmp_path, rl=False)
    with pytest.raises(ModelNotFoundError, match="put the model back there"):
        run_eval_stage(
            recipe.eval, str(model), recipe.run_dir / "eval" / "sft", label="sft", show_progress=False
        )


def test_a_finished_eval_of_a_model_that_is_gone_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose weights were deleted once it finished reruns (to write its card again) without training or scoring."""
    from safealign.runs import StageRecord, write_json
    from safealign.stages.evaluate import run_eval_stage

    recipe, model = gone_sft_model(tmp_path, rl=False)
    eval_dir = recipe.run_dir / "eval" / "sft"
    write_json(eval_dir / "summary.json", {"suites": {}})
    StageRecord(
        stage="eval:sft",
        parent=str(model),
        output=str(eval_dir / "summary.json"),
        config=recipe.eval.model_dump() | {"system_prompt": None},
        seed=42,
        started_at=time.time(),
    ).finish(eval_dir)
    monkeypatch.chdir(recipe.run_dir / "sft")  # "tiny" is no path here, though ./stage.json is a record
    assert run_eval_stage(recipe.eval, str(model), eval_dir, label="sft", show_progress=False).record
    from safealign.runs import check_stage_output_there

    check_stage_output_there("tiny")


@pytest.mark.parametrize(
    "split, said", [("in_distribution", "in-distribution items"), ("held_out", "held-out splits")]
)
def test_the_stage_tables_title_names_the_items_its_scores_are_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: str, said: str
) -> None:
    """eval.split: in_distribution scores only in-distribution items (the headline falls back to all of them), and
    the table's title said '(held-out splits where a suite has one; ...)' over them."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: y\noutput_dir: {tmp_path}\nmodel: {{name: tiny}}\neval: {{suites: [harmful], split: {split}}}\n"
    )
    done = SimpleNamespace(run_dir=tmp_path / "y", stages=[], final_model="tiny")
    monkeypatch.setattr("safealign.pipeline.run_pipeline", lambda parsed, recipe_path=None: done)
    monkeypatch.setenv("COLUMNS", "300")
    result = CliRunner().invoke(app, ["run", str(recipe)])
    assert result.exit_code == 0, result.output
    assert f"({said}" in result.output and ("held-out" in result.output) == (split == "held_out"), (
        result.output
    )
