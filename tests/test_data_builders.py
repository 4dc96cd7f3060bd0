"""The committed data is what its builders write: regenerate every file and compare byte for byte.

A hand edit to a generated file (a data card paragraph, a corrected row) is undone the next time
someone runs the builder; this test makes such an edit fail until it is made in the builder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILDERS = REPO / "scripts" / "data"
DATA = REPO / "safealign" / "data"

sys.path.insert(0, str(BUILDERS))
from datafiles import write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    env = {**os.environ, "SAFEALIGN_DATA_OUT": str(out)}
    for builder in sorted(BUILDERS.glob("build_*.py")):
        done = subprocess.run([sys.executable, str(builder)], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{builder.name} failed:\n{done.stderr[-3000:]}"
    return out


def test_every_regenerated_file_equals_the_committed_one(regenerated: Path) -> None:
    written = sorted(p.relative_to(regenerated) for p in regenerated.rglob("*") if p.is_file())
    assert written, "the builders wrote nothing under SAFEALIGN_DATA_OUT"
    differ = [str(rel) for rel in written if (regenerated / rel).read_bytes() != (DATA / rel).read_bytes()]
    assert not differ, f"committed files differ from their builders' output (edit the builder, then rerun it): {differ}"


def test_every_committed_jsonl_file_has_a_builder(regenerated: Path) -> None:
    committed = {p.relative_to(DATA) for p in DATA.rglob("*.jsonl")}
    built = {p.relative_to(regenerated) for p in regenerated.rglob("*.jsonl")}
    assert committed - built == set(), "JSONL files no builder writes"


def test_write_jsonl_refuses_repeated_ids(tmp_path: Path) -> None:
    rows = [{"id": "a", "x": 1}, {"id": "a", "x": 2}]
    with pytest.raises(AssertionError, match="1 repeated 'id'"):
        write_jsonl(tmp_path / "rows.jsonl", rows)
    assert write_jsonl(tmp_path / "rows.jsonl", rows, unique=None) == rows
