"""Every pytest marker pyproject.toml declares is used by a test: a declared marker no test carries makes its target
(`make test-slow` prepares the embedded model, then runs `pytest -m slow`) select nothing and pass."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def declared_markers(pyproject: str) -> list[str]:
    """The marker names of ``[tool.pytest.ini_options] markers`` ("name: description" or "name(args): ...")."""
    lines = tomllib.loads(pyproject)["tool"]["pytest"]["ini_options"].get("markers", [])
    return [re.split(r"[:(]", line, maxsplit=1)[0].strip() for line in lines]


def unused_markers(markers: list[str], sources: list[str]) -> list[str]:
    """The markers no source applies as ``mark.<name>`` (a decorator, ``pytestmark`` or ``marks=``)."""
    return [name for name in markers if not any(re.search(rf"\bmark\.{name}\b", text) for text in sources)]


def test_unused_markers_are_found_in_literal_sources() -> None:
    pyproject = (
        '[tool.pytest.ini_options]\nmarkers = ["slow: minutes", "gpu(kind): CUDA", "db: PostgreSQL"]\n'
    )
    sources = [
        "@pytest.mark.slow\ndef test_a(): ...",
        "pytestmark = [pytest.mark.gpu]",
        "# mark.dbx is another",
    ]
    assert declared_markers(pyproject) == ["slow", "gpu", "db"]
    assert unused_markers(declared_markers(pyproject), sources) == ["db"]


def test_every_declared_marker_is_used_by_a_test() -> None:
    markers = declared_markers((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert markers, "pyproject.toml declares no markers: the parse is wrong"
    this_file = Path(__file__).resolve()
    sources = [
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "tests").glob("*.py"))
        if p.resolve() != this_file
    ]
    unused = unused_markers(markers, sources)
    assert not unused, (
        f"pyproject.toml declares the marker(s) {unused} but no test in tests/ uses them: `pytest -m NAME` selects "
        "nothing and passes. Mark the tests they are for, or drop the declaration"
    )
