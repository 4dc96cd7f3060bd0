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
