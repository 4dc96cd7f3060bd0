"""Review of run folders, stage bookkeeping and the pipeline (safealign.runs, safealign.pipeline, safealign.compare):
a refused resume counted as a session, a crash while a stale stage is set aside, and the up-front checks of a
finished stage the run makes again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.errors import SafealignError
from safealign.runs import (
    StageRecord,
    finished_stage,
    last_checkpoint,
    read_jsonl,
    stage_done,
    write_json,
    write_stage_config,
)


def session(started_at: float) -> StageRecord:
    return StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=started_at)


def test_a_refused_resume_is_not_counted_as_a_session_of_the_stage(tmp_path: Path) -> None:
    """A rerun whose changed setting makes the stage refuse to resume trained nothing, yet its sessions.jsonl row
    stayed: the finished stage said it took one session (of 0 s) more than it did. The stages check their settings
    before they open the session (see test_compare_review66 for each stage), as here."""
    stage_dir, checkpoint = tmp_path / "sft", tmp_path / "sft" / "checkpoint-2"
    first = session(1000.0)
    write_stage_config(stage_dir, {"sft": {"learning_rate": 1e-4}}, None)
    first.open_session(stage_dir, None)
    (stage_dir / "metrics.jsonl").write_text(
        "".join(json.dumps({"step": s, "time": 1000.0 + 10 * s}) + "\n" for s in (1, 2, 3))
    )
    with pytest.raises(SafealignError, match="other settings"):
        write_stage_config(stage_dir, {"sft": {"learning_rate": 2e-4}}, checkpoint)
    assert [row["started_at"] for row in read_jsonl(stage_dir / "sessions.jsonl")] == [1000.0]
    resumed = session(3000.0)  # the setting restored
    write_stage_config(stage_dir, {"sft": {"learning_rate": 1e-4}}, checkpoint)
    resumed.open_session(stage_dir, checkpoint)
    assert resumed.earlier_sessions_s == [30.0]
    resumed.finished_at = 3100.0
    resumed.close_session(stage_dir)
    rows = read_jsonl(stage_dir / "sessions.jsonl")
    assert [(row["started_at"], row["ran_s"]) for row in rows] == [(1000.0, 30.0), (3000.0, 100.0)]
    assert resumed.wall_time_s == 130.0


def stale_rl_stage(run: Path) -> Path:
    """A finished rl/ (with a checkpoint) made from an sft/model that was made again after it started."""
    sft, rl = run / "sft", run / "rl"
    (sft / "model").mkdir(parents=True)
    (rl / "model").mkdir(parents=True)
    (rl / "checkpoint-2").mkdir()
    (rl / "checkpoint-2" / "trainer_state.json").write_text("{}")
    write_json(rl / "config.json", {"model": str(sft / "model")})
    rl_record = {"stage": "rl", "parent": str(sft / "model"), "output": str(rl / "model")}
    write_json(rl / "stage.json", rl_record | {"started_at": 100.0, "finished_at": 200.0})
    sft_record = {"stage": "sft", "parent": "tiny", "output": str(sft / "model")}
    write_json(sft / "stage.json", sft_record | {"started_at": 300.0, "finished_at": 400.0})
    return rl


@pytest.mark.parametrize("record_listed", ["first", "last"])
def test_a_crash_while_a_stale_stage_is_set_aside_never_leaves_it_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record_listed: str
) -> None:
    """A crash (kill -9, Ctrl-C) mid set-aside, after stage.json was moved but before the checkpoints were, left a
    stage that looked unfinished: the next run resumed it from the stale stage's checkpoint (trained from the old SFT
    model) instead of redoing it. Whatever order the folder lists its files in, the record must move last."""
    rl = stale_rl_stage(tmp_path)
    listed = Path.iterdir
    monkeypatch.setattr(
        Path,
        "iterdir",
        lambda self: iter(
            sorted(listed(self), key=lambda p: (p.name == "stage.json") == (record_listed == "last"))
        ),
    )
    real_replace, moved = Path.replace, []

    def crash_after_one_move(self: Path, target: Path) -> Path:
        if moved:
            raise KeyboardInterrupt("killed mid set-aside")
        moved.append(self.name)
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", crash_after_one_move)
    with pytest.raises(KeyboardInterrupt):
        finished_stage(rl, "rl", rl / "model")
    monkeypatch.setattr(Path, "replace", real_replace)
    assert stage_done(rl) is not None, f"stage.json moved first, and {last_checkpoint(rl)} would be resumed"
    assert (
        finished_stage(rl, "rl", rl / "model") is None
    )  # the next run sets the rest aside and redoes the stage
    assert sorted(p.name for p in rl.iterdir()) == ["earlier_attempts"] and last_checkpoint(rl) is None


def test_the_up_front_checks_cover_a_finished_stage_this_run_makes_again(tmp_path: Path) -> None:
    """sft/ deleted for a rerun: the finished distill/ made from its model is redone after SFT and sampling, yet the
    checks before the baseline eval skipped it as done, so its missing transfer_data file (or rl.use_vllm on a CPU
    machine, an uninstalled tracker) stopped the run only after SFT and sampling."""
    from safealign.config.recipe import parse_recipe
    from safealign.errors import DataError
    from safealign.pipeline import check_dataset_files, stages_to_make

    missing = tmp_path / "gone.jsonl"
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny"},
            "eval": {"suites": ["harmful"]},
            "sft": {"datasets": {"benign_helpful": 1.0}},
            "sample": {"num_prompts": 4, "k": 1},
            "distill": {"transfer_data": {str(missing): 0.5}},
        }
    )
    distill = recipe.run_dir / "distill"
    record = {
        "stage": "distill",
        "parent": str(recipe.run_dir / "sft" / "model"),
        "output": str(distill / "model"),
    }
    write_json(distill / "stage.json", record | {"started_at": 100.0, "finished_at": 200.0})
    assert stages_to_make(recipe) == {"sft", "sample", "distill"}
    with pytest.raises(DataError, match="gone.jsonl"):
        check_dataset_files(recipe)
