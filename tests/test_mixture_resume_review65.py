"""A stage's mixture written in another key order draws other rows in another order (build_mixture takes each file's
share in turn from one seeded generator): a resumed SFT or distillation stage must refuse it, and a finished one kept
under it must say so."""

from __future__ import annotations

import json

import pytest

import safealign.stages.distill as distill_stage
import safealign.stages.sft as sft_stage
from safealign.config import DistillConfig, SFTConfig
from safealign.errors import SafealignError
from safealign.runs import StageRecord, changed_settings


class Loaded(Exception):
    """The stage got past its resume check to loading a model (where these tests stop it)."""


def write_rows(path, name, n=8):
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Mixture order probe {name} {i}?"},
                {"role": "assistant", "content": f"Answer {name} {i}."},
            ]
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


@pytest.fixture()
def stop_at_load(monkeypatch):
    """Run a stage up to its model load; ``checkpoint[0]``: the checkpoint it resumes from (None: starts over)."""
    checkpoint = [None]

    def refuse(*args, **kwargs):
        raise Loaded

    for module in (sft_stage, distill_stage):
        monkeypatch.setattr(module, "load_model", refuse)
        monkeypatch.setattr(module, "resume_checkpoint", lambda stage_dir, resume: checkpoint[0])
    return checkpoint


def test_sft_resumed_with_its_datasets_in_another_order_is_refused(tmp_path, stop_at_load):
    alpha, beta = write_rows(tmp_path / "alpha.jsonl", "alpha"), write_rows(tmp_path / "beta.jsonl", "beta")
    stage_dir = tmp_path / "sft"

    def start(datasets):
        with pytest.raises(Loaded):
            sft_stage.run_sft(SFTConfig(datasets=datasets), "tiny", stage_dir, precision="fp32")

    start({alpha: 1.0, beta: 0.5})
    stop_at_load[0] = stage_dir / "checkpoint-2"
    with pytest.raises(
        SafealignError,
        match=r"mixture\.datasets_in_order: \[.*alpha.*beta.*\] -> \[.*beta.*alpha.*\].*--no-resume",
    ):
        sft_stage.run_sft(SFTConfig(datasets={beta: 0.5, alpha: 1.0}), "tiny", stage_dir, precision="fp32")
    start({alpha: 1.0, beta: 0.5})  # the order it started with resumes
    # a stage started before the mixture was recorded resumes as before
    config = json.loads((stage_dir / "config.json").read_text())
    del config["mixture"]
    (stage_dir / "config.json").write_text(json.dumps(config))
    start({beta: 0.5, alpha: 1.0})


def test_distill_resumed_with_its_transfer_data_in_another_order_is_refused(tmp_path, stop_at_load):
    traces = tmp_path / "traces.jsonl"
    write_rows(traces, "trace")
    alpha, beta = write_rows(tmp_path / "alpha.jsonl", "alpha"), write_rows(tmp_path / "beta.jsonl", "beta")
    stage_dir = tmp_path / "distill"

    def run(transfer_data):
        distill_stage.run_distill(DistillConfig(transfer_data=transfer_data), "tiny", traces, stage_dir)

    with pytest.raises(Loaded):
        run({alpha: 0.5, beta: 0.5})
    stop_at_load[0] = stage_dir / "checkpoint-2"
    with pytest.raises(SafealignError, match=r"mixture\.rows_sha256: '[0-9a-f]{64}' -> '[0-9a-f]{64}'"):
        run({beta: 0.5, alpha: 0.5})
    with pytest.raises(Loaded):
        run({alpha: 0.5, beta: 0.5})


def test_a_finished_stage_kept_under_its_mixture_in_another_order_says_so(tmp_path):
    stage_dir = tmp_path / "sft"
    stage_dir.mkdir()
    then = {"datasets": {"a": 0.75, "zero": 0, "b": 1.0, "c": 0.5}, "learning_rate": 1e-4}
    record = StageRecord(
        stage="sft", parent="tiny", output=str(stage_dir / "model"), config=then, seed=42, started_at=0
    )
    record.finish(stage_dir)
    reordered = {"datasets": {"c": 0.5, "b": 1.0, "a": 0.75, "zero": 0}, "learning_rate": 1e-4}
    assert changed_settings(stage_dir, reordered) == {
        "datasets (their order)": (["a", "b", "c"], ["c", "b", "a"])
    }
    zero_moved = {"datasets": {"zero": 0, "a": 0.75, "b": 1.0, "c": 0.5}, "learning_rate": 1e-4}
    assert changed_settings(stage_dir, zero_moved) == {}, (
        "a file at 0 gives no rows: where it stands changes nothing"
    )
    assert changed_settings(stage_dir, then) == {}
    refraction = {"datasets": {"a": 0.5, "zero": 0, "b": 1.0, "c": 0.5}, "learning_rate": 1e-4}
    assert list(changed_settings(stage_dir, refraction)) == ["datasets"], "a changed fraction: said once"
