"""Shipped training datasets by name, and reading JSONL with line-numbered errors."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from safealign.errors import DataError
from safealign.paths import package_data

# name -> file under safealign/data/train (each has a data card under safealign/data/cards).
TRAIN_DATASETS: dict[str, str] = {
    "harmful_refusals": "harmful_refusals.jsonl",
    "benign_helpful": "benign_helpful.jsonl",
    "reasoning": "reasoning.jsonl",
    "multilingual": "multilingual.jsonl",
}


def dataset_path(name_or_path: str) -> Path:
    """A shipped dataset's file, or a user's JSONL path."""
    if name_or_path in TRAIN_DATASETS:
        return package_data("train", TRAIN_DATASETS[name_or_path])
    path = Path(name_or_path).expanduser()
    if path.suffix == ".jsonl" or path.exists():
        if not path.is_file():
            raise DataError(f"dataset file {path} not found")
        return path
    close = difflib.get_close_matches(name_or_path, TRAIN_DATASETS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DataError(
        f"unknown dataset {name_or_path!r}.{hint} Shipped datasets: {', '.join(TRAIN_DATASETS)}; or give a .jsonl path"
    )


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; a line that is not a JSON object raises naming file and line."""
    if not path.is_file():
        raise DataError(f"dataset file {path} not found")
    rows = []
    with path.open(encoding="utf-8-sig") as handle:  # tolerate a byte-order mark
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{number}: not valid JSON ({error.msg} at column {error.colno})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{number}: each line must be a JSON object, got {type(row).__name__}")
            rows.append((number, row))
    return rows
