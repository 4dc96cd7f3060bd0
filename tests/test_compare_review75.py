"""Session 75: compare called from Python says a line of the prompt draw once, as run_pipeline does."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.config import parse_recipe


class _Stop(Exception):
    """Raised where the sample stage would start generating: the prompts are drawn by then."""


def test_the_safety_repeat_warning_is_said_once_by_run_compare_from_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """run_compare checks the recipe (drawing the prompts) before its arms' pipeline draws them again: the safety
    share's repeat warning was said twice from Python (the `compare` command alone filtered it)."""
    from safealign import compare, pipeline
    from safealign.stages import sample

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
        compare.run_compare(recipe, show_progress=False)
    said = [r.getMessage() for r in caplog.records if "distinct safety prompts" in r.getMessage()]
    assert len(said) == 1, said
    assert said[0].startswith("sample: task safety gets 1000 of the 1000 prompts"), said[0]
