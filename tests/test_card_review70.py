"""Review 70 of the transparency bundle: a bundle half-written by a full disk, ...

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from test_card_provenance import T0, new_run, stage

from safealign.errors import SafealignError

BUNDLE = ("lineage.json", "README.md", "DATA_CARD.md", "report.html", ".card_written.json")


def _carded_sft_run(root: Path, card) -> tuple[Path, dict[str, bytes]]:
    """An SFT run with its bundle written, then an RL stage finished after it: the next card describes another model."""
    run = new_run(root)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20)
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40)
    card(run)
    before = {name: (run / name).read_bytes() for name in BUNDLE}
    stage(run, "rl", str(run / "sft/model"), T0 + 60, metrics={"steps": 4})
    return run, before


def test_a_full_disk_part_way_through_the_bundle_replaces_no_file(tmp_path, card, monkeypatch):
    """The disk filled while report.html was written: lineage.json, README.md and DATA_CARD.md were already the new
    card's (the RL model's) beside the old report.html (the SFT model's), a cut `.report.html.tmp` was left behind, and
    the error was a bare OSError that said nothing of the half-written bundle."""
    run, before = _carded_sft_run(tmp_path, card)
    write_text = Path.write_text

    def full(path, data, *args, **kwargs):
        if path.name == ".report.html.tmp":
            write_text(path, data[:10], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_text(path, data, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_text", full)
        with pytest.raises(SafealignError) as raised:
            card(run)
    message = str(raised.value)
    assert "could not write report.html (OSError: No space left on device)" in message
    assert "no file of the bundle (lineage.json, README.md, DATA_CARD.md, report.html) was written or replaced" in message
    assert {name: (run / name).read_bytes() for name in BUNDLE} == before
    assert not list(run.glob(".*.tmp")) and not list(run.glob("*.edited-*"))
    assert "GRPO" in card(run)  # with space again, the whole bundle is the new card's


def test_a_folder_where_a_bundle_file_goes_replaces_no_file(tmp_path, card):
    """A folder named DATA_CARD.md: lineage.json and README.md were replaced before the move onto it failed."""
    run, before = _carded_sft_run(tmp_path, card)
    (run / "DATA_CARD.md").unlink()
    (run / "DATA_CARD.md").mkdir()
    with pytest.raises(SafealignError, match=r"could not write DATA_CARD.md \(IsADirectoryError: a folder is in its place\)"):
        card(run)
    assert {name: (run / name).read_bytes() for name in BUNDLE if name != "DATA_CARD.md"} == {
        name: data for name, data in before.items() if name != "DATA_CARD.md"
    }
    assert not list(run.glob(".*.tmp"))
