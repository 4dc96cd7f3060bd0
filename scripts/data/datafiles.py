"""Where the data builders read and write, and how they write a JSONL file.

The builders read the committed files they check against (an eval suite, a training file) from
``safealign/data``. They write there too, unless ``SAFEALIGN_DATA_OUT`` names another folder: then
each file goes to the same place below that folder. ``tests/test_data_builders.py`` uses it to
regenerate every file and compare it with the committed one, so a hand edit to a generated file
(which the next regeneration would silently undo) fails the suite.

Imported by the ``build_*.py`` scripts beside it, which run as ``python scripts/data/build_X.py``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "safealign" / "data"
OUT = Path(os.environ.get("SAFEALIGN_DATA_OUT") or DATA)


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """A builder's command line: ``--help`` from its docstring, and an unknown option refused.

    The builders take no option for where they write (that is ``SAFEALIGN_DATA_OUT``), so a
    ``--out DIR`` must fail before anything is written rather than be ignored.
    """
    return argparse.ArgumentParser(
        description=doc.strip().splitlines()[0],
        epilog=f"Writes below {shown(OUT)}; set SAFEALIGN_DATA_OUT=DIR to write below DIR instead.",
    )


def out_path(relative: str) -> Path:
    """The file a builder writes, ``relative`` to ``safealign/data`` (e.g. ``train/reasoning.jsonl``)."""
    return OUT / relative


def shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it, for the builders' printouts."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def write_jsonl(path: Path, rows: list[dict], unique: str | None = "id") -> list[dict]:
    """Write one JSON object per line (UTF-8, ``\\n``), read the file back and check it holds ``rows``.

    With ``unique`` set, the rows' values of that field must differ. Returns the rows as read back.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with path.open(encoding="utf-8") as fh:
        parsed = [json.loads(line) for line in fh]
    if parsed != rows:
        raise AssertionError(f"{path}: the file read back differs from the rows written")
    if unique is not None:
        values = [row[unique] for row in parsed]
        if len(set(values)) != len(values):
            raise AssertionError(f"{path}: {len(values) - len(set(values))} repeated {unique!r} values")
    return parsed


def write_card(path: Path, text: str) -> None:
    """Write a data card (Markdown) the builder renders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
