"""Session 75 review of run-folder locking, empty eval suites and the garak script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import safealign.stages.evaluate as evaluate
from safealign.config import EvalConfig
from safealign.runs import stage_done


def test_an_eval_stage_of_no_suite_records_its_empty_scores_without_loading_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def no_load(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("eval.suites: [] loaded the model")

    monkeypatch.setattr(evaluate, "load_model", no_load)
    stage_dir = tmp_path / "eval" / "base"
    result = evaluate.run_eval_stage(EvalConfig(suites=[]), "tiny", stage_dir, show_progress=False)
    summary = json.loads((stage_dir / "summary.json").read_text())
    assert summary["suites"] == {} and summary["config"]["suites"] == []
    record = stage_done(stage_dir)
    assert record is not None and result.record == record
    assert record["metrics"]["headline"] == {} and record["metrics"]["tokens"] == 0
