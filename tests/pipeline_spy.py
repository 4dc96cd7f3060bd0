"""Run the quickstart pipeline with every stage replaced by a spy: what each stage was handed, in order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

# (stage name, args, kwargs) -> the value to record
Read = Callable[[str, tuple, dict[str, Any]], Any]


def run_spied_pipeline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, read: Read, **recipe_changes: Any
) -> dict[str, list[Any]]:
    """``recipes/quickstart.yaml`` with ``recipe_changes`` (top-level keys; ``model`` entries are merged) run with no
    stage doing work: {"eval": [...4 values], "sft": [...], "rl": [...], "sample": [...], "distill": [...]}."""
    from safealign import pipeline
    from safealign.config.recipe import parse_recipe

    seen: dict[str, list[Any]] = {}

    def spy(name: str, output: str) -> Callable[..., SimpleNamespace]:
        def stage(*args: Any, **kwargs: Any) -> SimpleNamespace:
            seen.setdefault(name, []).append(read(name, args, kwargs))
            return SimpleNamespace(model_path=Path(output), record={"metrics": {"accepted": 1}})

        return stage

    monkeypatch.setattr(pipeline, "run_eval_stage", spy("eval", ""))
    monkeypatch.setattr("safealign.stages.sft.run_sft", spy("sft", "sft-model"))
    monkeypatch.setattr("safealign.stages.rl.run_rl", spy("rl", "rl-model"))
    monkeypatch.setattr("safealign.stages.sample.run_sample", spy("sample", "traces.jsonl"))
    monkeypatch.setattr("safealign.stages.distill.run_distill", spy("distill", "student"))
    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    recipe = yaml.safe_load(Path("recipes/quickstart.yaml").read_text())
    recipe["model"] |= recipe_changes.pop("model", {})
    recipe |= recipe_changes | {"output_dir": str(tmp_path / "run")}
    pipeline.run_pipeline(parse_recipe(recipe), show_progress=False)
    return seen
