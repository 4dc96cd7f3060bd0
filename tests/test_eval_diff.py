"""`safealign eval-diff`: two evals of the same items compared item by item, with the exact McNemar test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError
from safealign.evals.paired import mcnemar_exact, paired_diff


def _refusal(refused: bool) -> dict:
    return {"refusal": {"label": "refusal" if refused else "compliance", "score": 1.0}}


def _write_eval(folder: Path, harmful: list[bool], borderline: list[bool], correct: list[bool]) -> Path:
    """An eval output folder: summary.json with the suites' kinds and one samples.jsonl line per answer."""
    folder.mkdir(parents=True)
    samples = [{"suite": "harmful", "id": f"h{i}", "category": "S6" if i < 4 else "S7", "prompt": f"harmful {i}",
                "split": "held_out" if i < 4 else "in_distribution",
                "completion": "I can't help." if r else "Sure, here is how.", "sample_index": 0, "verdicts": _refusal(r), "scores": {}}
               for i, r in enumerate(harmful)]
    samples += [{"suite": "borderline", "id": f"b{i}", "category": "fiction", "prompt": f"benign {i}", "completion": "...",
                 "sample_index": 0, "verdicts": _refusal(r), "scores": {}} for i, r in enumerate(borderline)]
    samples += [{"suite": "reasoning", "id": f"r{i}", "category": "gcd", "prompt": f"gcd {i}", "completion": "...",
                 "sample_index": 0, "verdicts": {}, "scores": {"correct": float(c), "format": 1.0}} for i, c in enumerate(correct)]
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    kinds = {"harmful": "harmful", "borderline": "borderline", "reasoning": "reasoning"}
    (folder / "summary.json").write_text(json.dumps({"suites": {n: {"kind": k} for n, k in kinds.items()}}))
    return folder


def test_mcnemar_exact_matches_the_binomial_sign_test():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 13) == pytest.approx(2 * 15 / 2**14)  # 0.00183
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(6, 0) == mcnemar_exact(0, 6)


def test_paired_diff_counts_flips_categories_and_direction(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True] * 8, borderline=[True, True, False, False], correct=[False] * 4)
    b = _write_eval(tmp_path / "b", harmful=[False, False, False, False, True, True, True, True],
                    borderline=[False, False, False, True], correct=[True, False, False, False])
    diffs = {d.suite: d for d in paired_diff(a, b, show=2)}
    harmful = diffs["harmful"]
    assert (harmful.before, harmful.after, harmful.gained, harmful.lost, harmful.paired) == (8, 4, 0, 4, 8)
    assert harmful.by_category == {"S6": (4, 0, 4), "S7": (4, 4, 4)}
    assert harmful.better == -4 and harmful.p_value == pytest.approx(0.125)
    assert [f.id for f in harmful.flips] == ["h0", "h1"] and harmful.flips[0].after == "Sure, here is how."
    borderline = diffs["borderline"]  # over-refusal 2 -> 1: fewer is better
    assert (borderline.gained, borderline.lost, borderline.better) == (1, 2, 1)
    assert diffs["reasoning"].better == 1


def test_only_shared_items_are_paired(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True] * 6, borderline=[False], correct=[True])
    b = _write_eval(tmp_path / "b", harmful=[True] * 4, borderline=[False], correct=[True])
    harmful = next(d for d in paired_diff(a, b) if d.suite == "harmful")
    assert (harmful.paired, harmful.only_before, harmful.only_after) == (4, 2, 0)


def test_a_folder_without_eval_output_names_the_fix(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True], borderline=[False], correct=[True])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="safealign eval --out DIR"):
        paired_diff(a, tmp_path / "empty")


def test_cli_prints_the_table_and_writes_json(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True] * 8, borderline=[False] * 4, correct=[False] * 4)
    b = _write_eval(tmp_path / "b", harmful=[False] * 7 + [True], borderline=[False] * 4, correct=[False] * 4)
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--json", str(tmp_path / "d.json")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "McNemar" in result.output and "worse" in result.output and "S6" in result.output
    assert "several seeds per arm" in " ".join(result.output.split()), "the caveat that training noise is not in the test"
    written = {d["suite"]: d for d in json.loads((tmp_path / "d.json").read_text())}
    assert written["harmful"]["lost"] == 7 and written["harmful"]["p_value"] == pytest.approx(2 / 128)
    missing = CliRunner().invoke(app, ["eval-diff", str(a), str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "not found" in missing.output


def test_split_keeps_one_split_and_names_the_splits_when_none_match(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True] * 8, borderline=[False] * 4, correct=[False] * 4)
    b = _write_eval(tmp_path / "b", harmful=[False] * 2 + [True] * 6, borderline=[False] * 4, correct=[False] * 4)
    (held_out,) = paired_diff(a, b, split="held_out")  # only the harmful items carry a split here
    assert (held_out.suite, held_out.paired, held_out.lost) == ("harmful", 4, 2)
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--split", "in_distribution"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "4/4" in result.output and "within noise" in result.output
    with pytest.raises(DataError, match="no dev item.*held_out, in_distribution"):
        paired_diff(a, b, split="dev")
    wrong = CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--split", "heldout"])
    assert wrong.exit_code != 0 and "--split must be" in wrong.output
