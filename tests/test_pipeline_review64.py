"""Review of the one-command pipeline and the stage commands: what a rerun says it keeps (a stage the recipe turns
off, a stage made again because its input is), distill --traces over a finished stage, and earlier recipes kept."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

RL = {
    "tasks": {"arithmetic": 1.0},
    "num_prompts": 16,
    "max_steps": 2,
    "prompts_per_step": 2,
    "num_generations": 2,
    "gates": {"enabled": False},
}


def stub_pipeline(monkeypatch: pytest.MonkeyPatch, seen: list[tuple[str, str]]) -> None:
    """No stage does work: SFT writes a finished record (and a model folder), RL says whether it kept its folder."""
    from safealign import pipeline
    from safealign.runs import StageRecord, finished_stage

    def sft(cfg: Any, model: str, stage_dir: Path, **kwargs: Any) -> SimpleNamespace:
        if finished_stage(stage_dir, "sft", stage_dir / "model"):
            return SimpleNamespace(model_path=stage_dir / "model", record={})
        (stage_dir / "model").mkdir(parents=True)
        StageRecord(
            stage="sft",
            parent=model,
            output=str(stage_dir / "model"),
            config=cfg.model_dump(),
            seed=42,
            started_at=time.time(),
        ).finish(stage_dir)
        seen.append(("sft", model))
        return SimpleNamespace(model_path=stage_dir / "model", record={})

    def rl(cfg: Any, model: str, stage_dir: Path, **kwargs: Any) -> SimpleNamespace:
        seen.append(("rl", "kept" if finished_stage(stage_dir, "rl", stage_dir / "model") else model))
        return SimpleNamespace(model_path=stage_dir / "model", record={})

    monkeypatch.setattr(
        pipeline, "run_eval_stage", lambda *a, **k: SimpleNamespace(model_path=Path(""), record={})
    )
    monkeypatch.setattr("safealign.stages.sft.run_sft", sft)
    monkeypatch.setattr("safealign.stages.rl.run_rl", rl)
    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)


def finished(stage_dir: Path, stage: str, config: dict[str, Any], parent: str, started_at: float) -> None:
    from safealign.runs import StageRecord

    StageRecord(
        stage=stage,
        parent=parent,
        output=str(stage_dir / "model"),
        config=config,
        seed=42,
        started_at=started_at,
    ).finish(stage_dir)


def test_a_stage_the_recipe_turns_off_is_not_said_to_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """sft: {enabled: false} over a finished sft/: "sft: ... finished with other settings than the recipe's (enabled:
    True -> False); keeping it. Delete that folder ... to rerun it", while RL started from the recipe's model and
    nothing read sft/ (and deleting it reran nothing)."""
    from safealign.config import SFTConfig
    from safealign.config.recipe import parse_recipe
    from safealign.pipeline import run_pipeline

    seen: list[tuple[str, str]] = []
    stub_pipeline(monkeypatch, seen)
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "eval": {"suites": ["harmful"]},
            "sft": {"enabled": False, "learning_rate": 5e-5},
            "rl": RL,
        }
    )
    finished(recipe.run_dir / "sft", "sft", SFTConfig(learning_rate=1e-4).model_dump(), "tiny", 0.0)
    with caplog.at_level(logging.WARNING):
        run_pipeline(recipe, show_progress=False)
    assert seen == [("rl", "tiny")], "RL starts from the recipe's model: sft/ is not read"
    assert "keeping it" not in caplog.text, caplog.text


def test_a_stage_whose_input_is_made_again_is_not_said_to_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """sft/ deleted for a rerun and rl.learning_rate changed: the rerun said "rl: ... finished with other settings
    (learning_rate ...); keeping it", trained SFT, then said "redoing rl" and redid it. A stage made from an output
    this run makes again is redone, so only that is said."""
    from safealign.config import RLConfig
    from safealign.config.recipe import parse_recipe
    from safealign.pipeline import run_pipeline

    seen: list[tuple[str, str]] = []
    stub_pipeline(monkeypatch, seen)
    spec = {
        "name": "r",
        "output_dir": str(tmp_path),
        "model": {"name": "tiny"},
        "eval": {"suites": ["harmful"]},
        "sft": {"datasets": {"benign_helpful": 1.0}},
        "rl": RL | {"learning_rate": 1e-6},
    }
    recipe = parse_recipe(spec)
    rl_dir, sft_model = recipe.run_dir / "rl", str(recipe.run_dir / "sft" / "model")
    then = RLConfig(**RL | {"learning_rate": 5e-6}).model_dump()
    finished(rl_dir, "rl", then, sft_model, time.time() - 100)
    with caplog.at_level(logging.WARNING):
        run_pipeline(recipe, show_progress=False)
    assert seen == [("sft", "tiny"), ("rl", sft_model)], "SFT made again, then RL redone from it"
    assert "keeping it" not in caplog.text and "redoing rl" in caplog.text, caplog.text

    # the same change over a finished SFT that RL started after: RL is kept, and that is said
    caplog.clear()
    seen.clear()
    rl_dir.rename(tmp_path / "redone")
    finished(rl_dir, "rl", then, sft_model, time.time())
    with caplog.at_level(logging.WARNING):
        run_pipeline(recipe, show_progress=False)
    assert seen == [("rl", "kept")]
    assert "learning_rate: 5e-06 -> 1e-06" in caplog.text and "keeping it" in caplog.text, caplog.text


def test_distill_traces_other_than_a_finished_stages_are_named(tmp_path: Path) -> None:
    """`safealign distill R --traces mine.jsonl` over a distill/ finished on the run's sampled traces kept it without a
    word, and printed its table as the result: the --traces file was never read."""
    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.config import DistillConfig
    from safealign.corpus.mixture import sha256_file
    from safealign.runs import write_json

    run = tmp_path / "runs" / "r"
    rows = "".join(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Say {i}."},
                    {"role": "assistant", "content": f"I say {i}."},
                ],
                "kind": "benign",
            }
        )
        + "\n"
        for i in range(3)
    )
    sampled = run / "sample" / "traces.jsonl"
    sampled.parent.mkdir(parents=True)
    sampled.write_text(rows)
    write_json(run / "sample" / "stage.json", {"stage": "sample", "config": {}, "parent": "tiny"})
    mine = tmp_path / "mine.jsonl"
    mine.write_text(rows.replace("I say", "You say"))
    stage_dir = run / "distill"
    source = {"name": str(sampled), "path": str(sampled), "sha256": sha256_file(sampled)}
    write_json(
        stage_dir / "stage.json",
        {
            "stage": "distill",
            "config": DistillConfig().model_dump(),
            "parent": "tiny",
            "seed": 42,
            "output": str(stage_dir / "model"),
            "inputs": {"system_prompt": None, "traces": {"sources": [source]}},
        },
    )
    (stage_dir / "model").mkdir()
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\ndistill: {{}}\n")

    same = CliRunner().invoke(app, ["distill", str(recipe)])
    assert same.exit_code == 0 and "other settings" not in same.output, same.output
    other = CliRunner().invoke(app, ["distill", str(recipe), "--traces", str(mine), "--teacher", "tiny"])
    said = "".join(other.output.split())
    assert other.exit_code == 0 and f"traces:'{sampled}'->'{mine}'" in said and "keepingit" in said, said


def test_an_earlier_recipe_written_in_the_same_second_as_one_kept_is_kept_too(tmp_path: Path) -> None:
    """recipe.yaml is kept as recipe.<time it was written>.yaml; a second earlier recipe written in the same second
    (a quick rerun that failed, edited and run again) replaced the first kept copy."""
    from safealign.pipeline import keep_earlier_recipe

    recipe = tmp_path / "recipe.yaml"
    (tmp_path / "recipe.source.yaml").write_text("source\n")
    for text, written in (("first\n", 1_800_000_000.0), ("second\n", 1_800_000_000.5)):
        recipe.write_text(text)
        os.utime(recipe, (written, written))
        keep_earlier_recipe(tmp_path, "next\n")
    kept = sorted(p.read_text() for p in tmp_path.glob("recipe.2*.yaml"))
    assert kept == ["first\n", "second\n"], kept
    assert len(list(tmp_path.glob("recipe.source.2*.yaml"))) == 2
