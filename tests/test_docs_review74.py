"""README.md and docs/*.md render as written: every fenced block closes on its own bare fence line. A closing fence
with text after it (monitoring.md's "``` README's `monitor_crash.py` row: after") is no closing fence in Markdown, so
the block ran on over ninety lines of prose, the my_judges.py example and its commands, all shown as one shell block.
And extending.md's table of file formats quotes the lines `data check` says for a file that is one JSON array."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from safealign.corpus.registry import read_rows_and_problems

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_fenced_block_closes_where_the_source_shows():
    problems = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        fence_lines = len(re.findall(r"^ {0,3}```", text, flags=re.M))
        blocks = [token for token in MarkdownIt("commonmark").parse(text) if token.type == "fence"]
        swallowed = [
            block.map[0] + 1 for block in blocks if re.search(r"^ {0,3}```", block.content, flags=re.M)
        ]
        if fence_lines != 2 * len(blocks) or swallowed:
            problems.append(
                f"{path.relative_to(ROOT)}: {fence_lines} fence lines, {len(blocks)} blocks rendered; "
                f"blocks holding another fence start on lines {swallowed}: end a block with a bare ``` line"
            )
    assert not problems, "\n".join(problems)


def test_the_lines_extending_md_quotes_for_a_json_array_file_are_the_ones_data_check_says(tmp_path):
    extending = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    row = next(line for line in extending.split("\n") if line.startswith("| one JSON array |"))
    export, second = re.findall(r"`([^`]+)`", row)
    data = tmp_path / "rows.jsonl"
    data.write_text('[{"messages": []}]\n', encoding="utf-8")
    said = [problem.message for problem in read_rows_and_problems(data)[1]]
    assert (
        export.replace("FILE.lines.jsonl", str(tmp_path / "rows.lines.jsonl")).replace("FILE", str(data))
        in said[0]
    )
    assert said[1] == second  # extending.md quoted it as 'got list'
