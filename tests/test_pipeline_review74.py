"""Review of the one-command pipeline (session 74): a stage the recipe leaves out over an earlier run's finished one."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import SimpleNamespace

import pytest


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
    spec = {"name": "r", "output_dir": str(tmp_path), "model": {"name": "tiny"}, "eval": {"suites": ["harmful"]}}
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
