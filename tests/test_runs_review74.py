"""The run folder's line logs: a line Python's json cannot read is skipped and said, like a half-written one."""

from __future__ import annotations

import logging
from pathlib import Path

from safealign.runs import read_jsonl


def test_a_line_json_cannot_read_is_skipped_and_said_not_a_traceback(tmp_path: Path, caplog) -> None:
    """An integer of more than 4,300 digits (Python's limit on reading one) or nesting deeper than the recursion limit
    was a ValueError/RecursionError traceback from every reader of the log (audit, card, resume)."""
    log = tmp_path / "metrics.jsonl"
    log.write_text(
        '{"step": 1, "loss": 2.0}\n'
        + '{"step": 2, "loss": ' + "9" * 5000 + "}\n"
        + '{"step": 3, "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
        + '{"step": 4, "loss": 1.5}\n'
    )
    with caplog.at_level(logging.WARNING):
        rows = read_jsonl(log)
    assert [row["step"] for row in rows] == [1, 4]
    assert "skipped 2 line(s)" in caplog.text
