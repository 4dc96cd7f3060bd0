"""The run folder's atomic JSON writers: a failed or interrupted write leaves the old file and no temp file."""

from __future__ import annotations

from pathlib import Path

import pytest

from safealign.runs import read_json, write_json


def test_write_json_replaces_the_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "stage.json"
    write_json(path, {"step": 1})
    write_json(path, {"step": 2, "note": "naïve"})
    assert read_json(path) == {"step": 2, "note": "naïve"}
    assert [p.name for p in tmp_path.iterdir()] == ["stage.json"]


def test_write_json_that_cannot_replace_its_target_leaves_no_temp_file(tmp_path: Path) -> None:
    """The .stage.json.tmp-PID file stayed beside the folder it could not replace."""
    (tmp_path / "stage.json" / "inside").mkdir(parents=True)  # a folder where the file should go
    with pytest.raises(OSError):
        write_json(tmp_path / "stage.json", {"step": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["stage.json"]


def test_write_json_interrupted_mid_write_keeps_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stage.json"
    write_json(path, {"step": 1})
    write_text = Path.write_text

    def interrupted(self: Path, text: str, *args, **kwargs) -> int:
        write_text(self, text[:5], *args, **kwargs)  # half the file on disk, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_json(path, {"step": 2})
    monkeypatch.undo()
    assert read_json(path) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["stage.json"]


@pytest.mark.parametrize("resumed", [False, True], ids=["first", "resumed"])
def test_a_finished_session_records_how_long_it_ran_first_or_resumed(tmp_path: Path, resumed: bool) -> None:
    """A resumed session that finished left its sessions.jsonl row without ran_s (only a next session filled it in)."""
    import json
    import time

    from safealign.runs import StageRecord, read_jsonl

    def session(started_at: float, checkpoint: Path | None) -> StageRecord:
        record = StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=started_at)
        record.open_session(stage_dir, checkpoint)
        return record

    stage_dir, now = tmp_path / "sft", time.time()
    if resumed:  # a first session logs a step 10 s in, then crashes
        session(now - 100.0, None)
        (stage_dir / "metrics.jsonl").write_text(json.dumps({"step": 1, "time": now - 90.0}) + "\n")
    last = session(now - 42.0, stage_dir / "checkpoint-1" if resumed else None)
    last.finish(stage_dir)
    *earlier, ran = [row.get("ran_s") for row in read_jsonl(stage_dir / "sessions.jsonl")]
    assert earlier == ([10.0] if resumed else [])
    assert isinstance(ran, float) and 42.0 <= ran <= time.time() - now + 42.1, ran


@pytest.mark.parametrize("writer", ["json", "jsonl"])
def test_two_threads_writing_one_file_each_leave_a_whole_file(tmp_path: Path, writer: str) -> None:
    """The temp name was per process: a second thread truncated the first's temp file, renamed it from under it
    (FileNotFoundError) or removed it in its clean-up, and the file could end up half written."""
    import threading

    from safealign.runs import read_jsonl, write_jsonl

    path = tmp_path / "shared.json"
    rows = [{"row": i, "text": "x" * 2000} for i in range(50)]
    errors: list[BaseException] = []

    def write_many() -> None:
        try:
            for _ in range(100):
                write_json(path, rows) if writer == "json" else write_jsonl(path, rows)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (read_json(path) if writer == "json" else read_jsonl(path)) == rows
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]


@pytest.mark.parametrize("resumed", [False, True], ids=["started-over", "resumed"])
def test_an_audit_of_an_earlier_attempt_is_set_aside_when_the_stage_trains_again(
    tmp_path: Path, resumed: bool
) -> None:
    """`safealign audit` of a crashed RL stage wrote audit.json; the stage then resumed (or started over) and finished,
    and its README listed the old audit's "could not judge" notes as its own (the card read them as this model's)."""
    import json

    from safealign.card.stage_readme import unjudged_detectors
    from safealign.runs import StageRecord

    stage_dir = tmp_path / "rl"
    stage_dir.mkdir()
    (stage_dir / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 0.1}) + "\n")
    stale = [
        {"detector": "kl_blowup", "severity": "info", "step": 1, "message": "too few logged steps to judge"}
    ]
    (stage_dir / "audit.json").write_text(json.dumps(stale))
    assert unjudged_detectors(stage_dir), "the stale note is read while it is there"
    record = StageRecord(stage="rl", parent="m", output="o", config={}, seed=1, started_at=0.0)
    record.open_session(stage_dir, stage_dir / "checkpoint-1" if resumed else None)
    assert not (stage_dir / "audit.json").exists() and unjudged_detectors(stage_dir) == []
    kept = list((stage_dir / "earlier_attempts").glob("*/audit.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == stale  # moved, not deleted
    assert (stage_dir / "metrics.jsonl").exists() == resumed  # a resume keeps its logs
