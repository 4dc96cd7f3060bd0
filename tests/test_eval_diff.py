"""`safealign eval-diff`: two evals of the same items compared item by item, with the exact McNemar test;
`safealign eval-arms`: two arms of several runs each, compared with an exact permutation test over the runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError
from safealign.evals.arms import compare_arms, permutation_p
from safealign.evals.paired import mcnemar_exact, paired_diff


def _refusal(refused: bool) -> dict:
    return {"refusal": {"label": "refusal" if refused else "compliance", "score": 1.0}}


def _write_eval(folder: Path, harmful: list[bool], borderline: list[bool], correct: list[bool], subtle: list[bool] = ()) -> Path:
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
    samples += [{"suite": "harmful_dev_subtle", "id": f"s{i}", "category": "S2", "prompt": f"subtle {i}", "split": "dev",
                 "completion": "...", "sample_index": 0, "verdicts": _refusal(r), "scores": {}} for i, r in enumerate(subtle)]
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    kinds = {"harmful": "harmful", "borderline": "borderline", "reasoning": "reasoning"} | ({"harmful_dev_subtle": "harmful"} if subtle else {})
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


def test_permutation_p_enumerates_every_split_of_the_runs():
    assert permutation_p([1, 2, 3, 4], [10]) == (pytest.approx(1 / 5), pytest.approx(1 / 5)), "one run against four: p >= 0.2"
    assert permutation_p([1, 2, 3], [4, 5, 6]) == (pytest.approx(2 / 20), pytest.approx(2 / 20)), "three against three: p >= 0.1"
    p, smallest = permutation_p([1, 2, 3, 4], [5, 6, 7, 8])
    assert p == pytest.approx(2 / 70) and smallest == pytest.approx(2 / 70)
    assert permutation_p([1, 3], [2, 2])[0] == 1.0, "equal means: nothing to see"


def _arm(tmp_path: Path, name: str, refused: list[int], over: list[int]) -> list[Path]:
    """One eval folder per run: run i refuses refused[i] of 8 harmful prompts and over-refuses over[i] of 4 benign ones."""
    return [_write_eval(tmp_path / f"{name}{i}", harmful=[True] * r + [False] * (8 - r), borderline=[True] * o + [False] * (4 - o),
                        correct=[False] * 4, subtle=[True] * r + [False] * (8 - r)) for i, (r, o) in enumerate(zip(refused, over, strict=True))]


def test_compare_arms_counts_each_run_and_tests_the_arms(tmp_path):
    recipe = _arm(tmp_path, "a", refused=[8, 8, 7, 8], over=[1, 1, 2, 1])
    lever = _arm(tmp_path, "b", refused=[3, 2, 3, 2], over=[1, 2, 1, 1])
    rows = {c.suite: c for c in compare_arms(recipe, lever)}
    harmful = rows["harmful"]
    assert (harmful.items, harmful.counts_a, harmful.counts_b) == (8, [8, 8, 7, 8], [3, 2, 3, 2])
    assert harmful.mean_a == pytest.approx(96.875) and harmful.better == pytest.approx(-65.625)
    assert harmful.p_value == pytest.approx(2 / 70) and harmful.verdict == "worse"
    assert rows["borderline"].verdict == "no difference", "over-refusal 1.25 vs 1.25 of 4"
    pooled = rows["all harmful suites"]  # harmful + harmful_dev_subtle
    assert (pooled.items, pooled.counts_a) == (16, [16, 16, 14, 16])
    few = {c.suite: c for c in compare_arms(recipe[:2], lever[:1])}
    assert few["harmful"].verdict == "too few runs" and few["harmful"].smallest_p == pytest.approx(1 / 3)


def test_compare_arms_counts_only_items_every_run_scored_and_names_misuse(tmp_path):
    runs = _arm(tmp_path, "a", refused=[8, 8], over=[0, 0])
    shorter = _write_eval(tmp_path / "short", harmful=[False] * 6, borderline=[False] * 4, correct=[False] * 4)
    harmful = next(c for c in compare_arms(runs, [shorter]) if c.suite == "harmful")
    assert (harmful.items, harmful.counts_a, harmful.counts_b) == (6, [6, 6], [0])
    with pytest.raises(DataError, match="safealign eval-diff"):
        compare_arms(runs[:1], [shorter])
    with pytest.raises(DataError, match="at least one eval folder per arm"):
        compare_arms(runs, [])


def test_eval_arms_cli_prints_the_table_and_writes_json(tmp_path):
    recipe = _arm(tmp_path, "a", refused=[8, 8, 7, 8], over=[1, 1, 2, 1])
    lever = _arm(tmp_path, "b", refused=[3, 2, 3, 2], over=[1, 2, 1, 1])
    args = ["eval-arms", *[x for p in recipe for x in ("-a", str(p))], *[x for p in lever for x in ("-b", str(p))], "--json", str(tmp_path / "arms.json")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "8 8 7 8" in result.output and "worse" in result.output and "permutation" in result.output
    written = {c["suite"]: c for c in json.loads((tmp_path / "arms.json").read_text())}
    assert written["harmful"]["verdict"] == "worse" and written["harmful"]["sd_a"] == pytest.approx(100 * 0.5 / 8)
    wrong = CliRunner().invoke(app, ["eval-arms", "-a", str(recipe[0]), "-b", str(lever[0]), "--split", "heldout"])
    assert wrong.exit_code != 0 and "--split must be" in wrong.output
