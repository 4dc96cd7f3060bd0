"""Review of run folders and `safealign run`: a run folder on a filesystem without file locks, the stage table under
accelerate launch, an earlier attempt set aside part way, and temp files a full disk left beside a stage's logs."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from safealign.runs import (
    LOCK_FILE,
    drop_undone_rows,
    last_checkpoint,
    run_lock,
    set_aside_logs,
    write_sessions,
)


@pytest.mark.parametrize("code", [errno.ENOLCK, errno.EOPNOTSUPP])
def test_a_run_folder_on_a_filesystem_without_file_locks_runs_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog, code: int
) -> None:
    """flock on an NFS mount whose lock service is down says ENOLCK (some FUSE mounts EOPNOTSUPP): `safealign run`
    stopped with a bare OSError traceback, and no run could ever start in that folder."""

    def no_locks(fd: object, operation: int) -> None:
        raise OSError(code, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with caplog.at_level(logging.WARNING), run_lock(tmp_path / "run", "give the recipe another name"):
        ran = True
    assert ran
    said = " ".join(caplog.text.split())
    assert f"cannot lock {tmp_path / 'run' / LOCK_FILE}" in said and "a second safealign process" in said

    def broken(fd: object, operation: int) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(fcntl, "flock", broken)
    with pytest.raises(OSError, match="Bad file descriptor"), run_lock(tmp_path / "other", "wait"):
        pass  # any other failure is not taken for a filesystem without locks


@pytest.mark.parametrize("command", ["run", "compare"])
def test_only_the_main_process_prints_the_stage_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """Under `accelerate launch ... -m safealign.cli.main run` (docs/scaling.md) every rank printed the table, one copy
    per GPU interleaved; compare's ranks read ablation.md, which the main rank may not have written yet."""
    from safealign.cli.main import app

    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: y\noutput_dir: {tmp_path}\nmodel: {{name: tiny}}\n")
    done = SimpleNamespace(run_dir=tmp_path / "y", stages=[], final_model="tiny")
    monkeypatch.setattr("safealign.pipeline.run_pipeline", lambda parsed, recipe_path=None: done)
    monkeypatch.setattr("safealign.compare.run_compare", lambda parsed, recipe_path=None: {"arms": []})
    monkeypatch.setattr("safealign.distributed.is_main_process", lambda: False)  # rank 1
    result = CliRunner().invoke(app, [command, str(recipe)])
    assert result.exit_code == 0 and result.output == "", result.output
    monkeypatch.setattr("safealign.distributed.is_main_process", lambda: True)
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "ablation.md").write_text("| arm |\n")
    result = CliRunner().invoke(app, [command, str(recipe)])
    assert result.exit_code == 0 and ("final model: tiny" in result.output or "| arm |" in result.output)


def test_an_earlier_attempt_set_aside_part_way_is_never_resumed_without_its_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage started over (--no-resume) moves its earlier attempt aside; stopped after the logs went but before the
    checkpoints did, the next run resumed from the earlier attempt's checkpoint with its metrics, gates and alerts
    gone (the detectors and the gate's baseline read logs that began at the resumed step)."""
    stage = tmp_path / "sft"
    (stage / "checkpoint-4").mkdir(parents=True)
    (stage / "checkpoint-4" / "trainer_state.json").write_text("{}")
    (stage / "metrics.jsonl").write_text("".join(json.dumps({"step": s}) + "\n" for s in range(1, 5)))
    replace, moved = Path.replace, []

    def stop_after_one(self: Path, target: Path) -> Path:
        if moved:
            raise KeyboardInterrupt
        moved.append(self.name)
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        set_aside_logs(stage)
    monkeypatch.undo()
    checkpoint = last_checkpoint(stage)
    assert checkpoint is None or (stage / "metrics.jsonl").is_file(), "a checkpoint left without its logs"
    set_aside_logs(stage)  # the next start over finishes the job
    assert last_checkpoint(stage) is None and not (stage / "metrics.jsonl").exists()


def test_a_full_disk_while_a_log_or_sessions_is_rewritten_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_sessions and drop_undone_rows wrote their temp file without write_text's clean-up: a full disk (or
    Ctrl-C) left half a `.sessions.jsonl.tmp-…` / `.metrics.jsonl.tmp-…` in the stage folder, one per failure."""
    rows = "".join(json.dumps({"step": s}) + "\n" for s in range(1, 9))
    (tmp_path / "metrics.jsonl").write_text(rows)
    write_text = Path.write_text

    def full(self: Path, text: str, *args: object, **kwargs: object) -> int:
        write_text(self, text[:10], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError, match="No space left"):
        write_sessions(tmp_path / "sessions.jsonl", [{"started_at": 1.0}])
    with pytest.raises(OSError, match="No space left"):
        drop_undone_rows(tmp_path / "metrics.jsonl", 4)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl"]
    assert (tmp_path / "metrics.jsonl").read_text() == rows  # the log as it was
    assert drop_undone_rows(tmp_path / "metrics.jsonl", 4) == 4  # and trimmed once there is room
