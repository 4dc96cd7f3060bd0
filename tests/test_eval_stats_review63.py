"""Review of the eval statistics (metrics, paired comparisons, regression rule, refusal vote): defects found by
checking them against exact computations and edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.errors import DataError
from safealign.evals.arms import compare_arms
from safealign.evals.paired import paired_diff


def _row(i: int, refused: bool, sample_index: int = 0) -> dict:
    return {
        "suite": "harmful",
        "id": f"h{i}",
        "prompt": f"harmful {i}",
        "completion": "I can't help." if refused else "Sure.",
        "sample_index": sample_index,
        "verdicts": {"refusal": {"label": "refusal" if refused else "compliance"}},
        "scores": {},
    }


def _write(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir()
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "summary.json").write_text(json.dumps({"suites": {"harmful": {"kind": "harmful"}}}))
    return folder


def test_a_repeated_answer_is_refused_not_silently_replaced_by_its_last_copy(tmp_path: Path) -> None:
    """An item answered twice (two evals' samples.jsonl joined, an edited file) was paired by its last copy only: A's
    first answer of h0 (a refusal) vanished and eval-diff reported a refusal gained that the eval never measured."""
    before = _write(tmp_path / "a", [_row(0, True), _row(1, True), _row(2, True), _row(0, False)])
    after = _write(tmp_path / "b", [_row(0, True), _row(1, True), _row(2, True)])
    with pytest.raises(DataError, match=r"samples\.jsonl:4: .*h0.*line 1"):
        paired_diff(before, after)
    with pytest.raises(DataError, match=r"samples\.jsonl:4: .*h0"):
        compare_arms([before], [after, after])


def test_sampled_answers_of_one_prompt_are_not_duplicates(tmp_path: Path) -> None:
    """One prompt's sampled answers share its id and differ in sample_index: they are still read and paired."""
    before = _write(
        tmp_path / "a", [_row(0, False, 0), _row(0, False, 1), _row(1, True, 0), _row(1, True, 1)]
    )
    after = _write(tmp_path / "b", [_row(0, True, 0), _row(0, True, 1), _row(1, True, 0), _row(1, True, 1)])
    (diff,) = paired_diff(before, after)
    assert (diff.paired, diff.before, diff.after, diff.gained, diff.lost) == (4, 2, 4, 1, 0)
