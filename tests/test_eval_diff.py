"""`safealign eval-diff`: two evals of the same items compared item by item, with the exact McNemar test;
`safealign eval-arms`: two arms of several runs each, compared with an exact permutation test over the runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError
from safealign.evals.arms import compare_arms, permutation_p
from safealign.evals.paired import mcnemar_exact, paired_diff


def _refusal(refused: bool) -> dict:
    return {"refusal": {"label": "refusal" if refused else "compliance", "score": 1.0}}


def _write_eval(
    folder: Path, harmful: list[bool], borderline: list[bool], correct: list[bool], subtle: list[bool] = ()
) -> Path:
    """An eval output folder: summary.json with the suites' kinds and one samples.jsonl line per answer."""
    folder.mkdir(parents=True)
    samples = [
        {
            "suite": "harmful",
            "id": f"h{i}",
            "category": "S6" if i < 4 else "S7",
            "prompt": f"harmful {i}",
            "split": "held_out" if i < 4 else "in_distribution",
            "completion": "I can't help." if r else "Sure, here is how.",
            "sample_index": 0,
            "verdicts": _refusal(r),
            "scores": {},
        }
        for i, r in enumerate(harmful)
    ]
    samples += [
        {
            "suite": "borderline",
            "id": f"b{i}",
            "category": "fiction",
            "prompt": f"benign {i}",
            "completion": "...",
            "sample_index": 0,
            "verdicts": _refusal(r),
            "scores": {},
        }
        for i, r in enumerate(borderline)
    ]
    samples += [
        {
            "suite": "reasoning",
            "id": f"r{i}",
            "category": "gcd",
            "prompt": f"gcd {i}",
            "completion": "...",
            "sample_index": 0,
            "verdicts": {},
            "scores": {"correct": float(c), "format": 1.0},
        }
        for i, c in enumerate(correct)
    ]
    samples += [
        {
            "suite": "harmful_dev_subtle",
            "id": f"s{i}",
            "category": "S2",
            "prompt": f"subtle {i}",
            "split": "dev",
            "completion": "...",
            "sample_index": 0,
            "verdicts": _refusal(r),
            "scores": {},
        }
        for i, r in enumerate(subtle)
    ]
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    kinds = {"harmful": "harmful", "borderline": "borderline", "reasoning": "reasoning"} | (
        {"harmful_dev_subtle": "harmful"} if subtle else {}
    )
    (folder / "summary.json").write_text(json.dumps({"suites": {n: {"kind": k} for n, k in kinds.items()}}))
    return folder


def test_mcnemar_exact_matches_the_binomial_sign_test():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 13) == pytest.approx(2 * 15 / 2**14)  # 0.00183
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(6, 0) == mcnemar_exact(0, 6)


def test_paired_diff_counts_flips_categories_and_direction(tmp_path):
    a = _write_eval(
        tmp_path / "a", harmful=[True] * 8, borderline=[True, True, False, False], correct=[False] * 4
    )
    b = _write_eval(
        tmp_path / "b",
        harmful=[False, False, False, False, True, True, True, True],
        borderline=[False, False, False, True],
        correct=[True, False, False, False],
    )
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
    result = CliRunner().invoke(
        app, ["eval-diff", str(a), str(b), "--json", str(tmp_path / "d.json")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "McNemar" in result.output and "worse" in result.output and "S6" in result.output
    assert "several seeds per arm" in " ".join(result.output.split()), (
        "the caveat that training noise is not in the test"
    )
    written = {d["suite"]: d for d in json.loads((tmp_path / "d.json").read_text())["suites"]}
    assert written["harmful"]["lost"] == 7 and written["harmful"]["p_value"] == pytest.approx(2 / 128)
    missing = CliRunner().invoke(app, ["eval-diff", str(a), str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "not found" in missing.output


def test_split_keeps_one_split_and_names_the_splits_when_none_match(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True] * 8, borderline=[False] * 4, correct=[False] * 4)
    b = _write_eval(
        tmp_path / "b", harmful=[False] * 2 + [True] * 6, borderline=[False] * 4, correct=[False] * 4
    )
    (held_out,) = paired_diff(a, b, split="held_out")  # only the harmful items carry a split here
    assert (held_out.suite, held_out.paired, held_out.lost) == ("harmful", 4, 2)
    result = CliRunner().invoke(
        app, ["eval-diff", str(a), str(b), "--split", "in_distribution"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0 and "4/4" in result.output and "within noise" in result.output
    with pytest.raises(DataError, match="no dev item.*held_out, in_distribution"):
        paired_diff(a, b, split="dev")
    wrong = CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--split", "heldout"])
    assert wrong.exit_code != 0 and "--split must be" in wrong.output


def test_permutation_p_enumerates_every_split_of_the_runs():
    assert permutation_p([1, 2, 3, 4], [10]) == (pytest.approx(1 / 5), pytest.approx(1 / 5)), (
        "one run against four: p >= 0.2"
    )
    assert permutation_p([1, 2, 3], [4, 5, 6]) == (pytest.approx(2 / 20), pytest.approx(2 / 20)), (
        "three against three: p >= 0.1"
    )
    p, smallest = permutation_p([1, 2, 3, 4], [5, 6, 7, 8])
    assert p == pytest.approx(2 / 70) and smallest == pytest.approx(2 / 70)
    assert permutation_p([1, 3], [2, 2])[0] == 1.0, "equal means: nothing to see"


def _arm(tmp_path: Path, name: str, refused: list[int], over: list[int]) -> list[Path]:
    """One eval folder per run: run i refuses refused[i] of 8 harmful prompts and over-refuses over[i] of 4 benign ones."""
    return [
        _write_eval(
            tmp_path / f"{name}{i}",
            harmful=[True] * r + [False] * (8 - r),
            borderline=[True] * o + [False] * (4 - o),
            correct=[False] * 4,
            subtle=[True] * r + [False] * (8 - r),
        )
        for i, (r, o) in enumerate(zip(refused, over, strict=True))
    ]


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
    shorter = _write_eval(
        tmp_path / "short", harmful=[False] * 6, borderline=[False] * 4, correct=[False] * 4
    )
    harmful = next(c for c in compare_arms(runs, [shorter]) if c.suite == "harmful")
    assert (harmful.items, harmful.counts_a, harmful.counts_b) == (6, [6, 6], [0])
    with pytest.raises(DataError, match="safealign eval-diff"):
        compare_arms(runs[:1], [shorter])
    with pytest.raises(DataError, match="at least one eval folder per arm"):
        compare_arms(runs, [])


def test_eval_arms_cli_prints_the_table_and_writes_json(tmp_path):
    recipe = _arm(tmp_path, "a", refused=[8, 8, 7, 8], over=[1, 1, 2, 1])
    lever = _arm(tmp_path, "b", refused=[3, 2, 3, 2], over=[1, 2, 1, 1])
    args = [
        "eval-arms",
        *[x for p in recipe for x in ("-a", str(p))],
        *[x for p in lever for x in ("-b", str(p))],
        "--json",
        str(tmp_path / "arms.json"),
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "8 8 7 8" in result.output and "worse" in result.output and "permutation" in result.output
    written = {c["suite"]: c for c in json.loads((tmp_path / "arms.json").read_text())["suites"]}
    assert written["harmful"]["verdict"] == "worse" and written["harmful"]["sd_a"] == pytest.approx(
        100 * 0.5 / 8
    )
    wrong = CliRunner().invoke(
        app, ["eval-arms", "-a", str(recipe[0]), "-b", str(lever[0]), "--split", "heldout"]
    )
    assert wrong.exit_code != 0 and "--split must be" in wrong.output


def _said(result) -> str:
    return " ".join(result.output.split())


def test_a_suite_one_side_lacks_is_named_not_dropped_silently(tmp_path):
    a = _write_eval(
        tmp_path / "a", harmful=[True] * 4, borderline=[False] * 4, correct=[False] * 4, subtle=[True] * 4
    )
    b = _write_eval(tmp_path / "b", harmful=[True] * 4, borderline=[False] * 4, correct=[False] * 4)
    diffs = paired_diff(a, b)
    assert {d.suite for d in diffs} == {"harmful", "borderline", "reasoning"}
    assert diffs.dropped == [f"harmful_dev_subtle (only in {a})"]
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "not compared: harmful_dev_subtle" in _said(result)
    runs = _arm(tmp_path, "r", refused=[8, 7], over=[0, 1])
    arms = compare_arms(runs, [b])
    assert "harmful_dev_subtle (scored by 2 of the 3 runs)" in arms.dropped


def test_items_that_are_not_the_same_items_are_refused(tmp_path):
    """Two file suites of one name (ids <stem>-<line>) paired line by line under "same items": another kind, another
    file, or a prompt changed between the evals."""
    a = _write_eval(tmp_path / "a", harmful=[True] * 4, borderline=[False] * 4, correct=[False] * 4)
    b = _write_eval(tmp_path / "b", harmful=[True] * 4, borderline=[False] * 4, correct=[False] * 4)
    summary = json.loads((b / "summary.json").read_text())
    summary["suites"]["harmful"]["kind"] = "borderline"
    (b / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(DataError, match="harmful suite in .* and a borderline suite"):
        paired_diff(a, b)
    for folder, sha in ((a, "1" * 64), (b, "2" * 64)):
        summary = json.loads((folder / "summary.json").read_text())
        summary["suites"]["harmful"] = {"kind": "harmful", "file": {"path": "/x/prompts.txt", "sha256": sha}}
        (folder / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(DataError, match="read from different files"):
        paired_diff(a, b)
    with pytest.raises(DataError, match="read from different files"):
        compare_arms([a, Path(shutil.copytree(a, tmp_path / "a2"))], [b])
    c = _write_eval(tmp_path / "c", harmful=[True] * 4, borderline=[False] * 4, correct=[False] * 4)
    d = _write_eval(tmp_path / "d", harmful=[True] * 4, borderline=[False] * 4, correct=[False] * 4)
    rows = (d / "samples.jsonl").read_text().replace('"prompt": "harmful 2"', '"prompt": "harmful two"')
    (d / "samples.jsonl").write_text(rows)
    with pytest.raises(DataError, match="item h2 has another prompt"):
        paired_diff(c, d)


def test_sampled_answers_of_one_prompt_are_not_independent_items(tmp_path):
    """With --samples 5, two prompts whose five answers all flipped gave p = 0.002 over "10 items"; over prompts it is
    two prompts of two moving one way: p = 0.5."""

    def write(folder: Path, refused: dict[str, int]) -> Path:
        folder.mkdir()
        rows = [
            {
                "suite": "harmful",
                "id": pid,
                "prompt": pid,
                "completion": "...",
                "sample_index": k,
                "verdicts": _refusal(k < count),
                "scores": {},
            }
            for pid, count in refused.items()
            for k in range(5)
        ]
        (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (folder / "summary.json").write_text(json.dumps({"suites": {"harmful": {"kind": "harmful"}}}))
        return folder

    a = write(tmp_path / "a", {"p1": 0, "p2": 0, "p3": 2, "p4": 3})
    b = write(tmp_path / "b", {"p1": 5, "p2": 5, "p3": 2, "p4": 3})
    (harmful,) = paired_diff(a, b)
    assert (harmful.before, harmful.after, harmful.paired) == (5, 15, 20), "the counts are answers"
    assert (harmful.gained, harmful.lost, harmful.samples_per_prompt) == (2, 0, 5), "the flips are prompts"
    assert harmful.p_value == pytest.approx(0.5)
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "sign test over prompts" in _said(result)


def _write_sampled(folder: Path, refused: dict[str, list[bool]], suite: str = "harmful") -> Path:
    """An eval folder of sampled answers (eval --samples): refused[prompt id][k] is whether answer k refused."""
    folder.mkdir()
    rows = [
        {
            "suite": suite,
            "id": pid,
            "prompt": pid,
            "completion": f"{pid} answer {k} {'refused' if r else 'complied'}",
            "sample_index": k,
            "verdicts": _refusal(r),
            "scores": {},
        }
        for pid, answers in refused.items()
        for k, r in enumerate(answers)
    ]
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "summary.json").write_text(json.dumps({"suites": {suite: {"kind": "harmful"}}}))
    return folder


def test_sampled_flips_are_prompts_whose_share_moved_not_answers_paired_by_index(tmp_path):
    """A's sample i and B's sample i are independent draws: a refusal that moved from sample 0 to sample 1 is the same
    share (no flip), and a prompt whose share rose is one flip carrying both shares, not one per answer."""
    a = _write_sampled(tmp_path / "a", {"moved": [True, False, False], "rose": [True, False, False]})
    b = _write_sampled(tmp_path / "b", {"moved": [False, True, False], "rose": [False, True, True]})
    (harmful,) = paired_diff(a, b)
    assert (harmful.gained, harmful.lost) == (1, 0)
    (flip,) = harmful.flips
    assert (flip.id, flip.before_share, flip.after_share) == ("rose", "1/3", "2/3")
    assert (flip.before, flip.before_outcome) == ("rose answer 1 complied", False), (
        "an answer showing the move"
    )
    assert (flip.after, flip.after_outcome, flip.after_sample) == ("rose answer 1 refused", True, 1)
    out = tmp_path / "d.json"
    result = CliRunner().invoke(
        app, ["eval-diff", str(a), str(b), "--json", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    (written,) = json.loads(out.read_text())["suites"][0]["flips"]
    assert written["id"] == "rose" and (written["before_share"], written["after_share"]) == ("1/3", "2/3")
    assert "moved" not in result.output and "A 1/3 refused; answer 1, not refused" in _said(result)


def test_sampled_flips_are_not_looked_for_when_none_is_shown(tmp_path, monkeypatch):
    """The ablation's paired checks (show=0) picked an example answer for every moved prompt, each a scan of every
    answer of the suite, to show none of them."""
    import safealign.evals.paired as paired

    a = _write_sampled(tmp_path / "a", {f"p{i}": [True, False] for i in range(3)})
    b = _write_sampled(tmp_path / "b", {f"p{i}": [True, True] for i in range(3)})
    monkeypatch.setattr(paired, "sampled_flips", lambda *args: pytest.fail("no flip is shown"))
    (harmful,) = paired_diff(a, b, show=0)
    assert (harmful.gained, harmful.lost, harmful.flips) == (3, 0, [])


def test_a_single_answer_flip_keeps_its_json_fields(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True], borderline=[False], correct=[False])
    b = _write_eval(tmp_path / "b", harmful=[False], borderline=[False], correct=[False])
    out = tmp_path / "d.json"
    assert CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--json", str(out)]).exit_code == 0
    (flip,) = json.loads(out.read_text())["suites"][0]["flips"]
    assert sorted(flip) == ["after", "before", "category", "id", "prompt"]


def test_a_suite_name_with_brackets_is_printed_not_read_as_markup(tmp_path):
    a = _write_sampled(tmp_path / "a", {"p1": [False, False]}, suite="x[v2]")
    b = _write_sampled(tmp_path / "b", {"p1": [True, False]}, suite="x[v2]")
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "x[v2]: up to 2 sampled answers" in _said(result), result.output
    assert "x[v2] p1" in result.output


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda row: row.pop("verdicts"), "verdicts.refusal.label"),
        (lambda row: row.pop("completion"), "completion"),
        (lambda row: row.update(verdicts={"refusal": None}), "verdicts.refusal.label"),
    ],
)
def test_a_damaged_answer_row_names_its_line_not_a_traceback(tmp_path, edit, field):
    a = _write_eval(tmp_path / "a", harmful=[True] * 3, borderline=[False], correct=[False])
    b = _write_eval(tmp_path / "b", harmful=[True] * 3, borderline=[False], correct=[False])
    rows = [json.loads(line) for line in (b / "samples.jsonl").read_text().splitlines()]
    edit(rows[1])
    (b / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(app, ["eval-diff", str(a), str(b)])
    assert result.exit_code == 2 and f"samples.jsonl:2: a harmful answer without its {field}" in _said(
        result
    ), result.output


def test_the_smallest_p_is_the_arm_sizes_and_the_footer_says_it(tmp_path):
    from safealign.evals.arms import smallest_p

    assert smallest_p(3, 3) == pytest.approx(0.1) and smallest_p(4, 4) == pytest.approx(2 / 70)
    assert smallest_p(3, 5) == pytest.approx(1 / 56) and smallest_p(1, 4) == pytest.approx(0.2)
    recipe = _arm(tmp_path, "a", refused=[8, 8, 8], over=[1, 1, 1])
    lever = _arm(tmp_path, "b", refused=[3, 2, 3, 2, 1], over=[1, 2, 1, 1, 1])
    harmful = next(c for c in compare_arms(recipe, lever) if c.suite == "harmful")
    assert harmful.smallest_p == pytest.approx(1 / 56) and harmful.verdict == "worse"
    args = [
        "eval-arms",
        *[x for p in recipe for x in ("-a", str(p))],
        *[x for p in lever for x in ("-b", str(p))],
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "220"})
    assert result.exit_code == 0 and "smallest p 3 against 5 runs allow, 0.018" in _said(result), (
        result.output
    )


def test_json_keeps_every_flip_and_never_replaces_a_file_unasked(tmp_path):
    a = _write_eval(tmp_path / "a", harmful=[True] * 8, borderline=[False] * 4, correct=[False] * 4)
    b = _write_eval(tmp_path / "b", harmful=[False] * 8, borderline=[False] * 4, correct=[False] * 4)
    out = tmp_path / "d.json"
    result = CliRunner().invoke(
        app, ["eval-diff", str(a), str(b), "--show", "1", "--json", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    harmful = next(d for d in json.loads(out.read_text())["suites"] if d["suite"] == "harmful")
    assert len(harmful["flips"]) == 8 and result.output.count("Sure, here is how.") == 1
    again = CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--json", str(out)])
    assert again.exit_code == 2 and "--overwrite" in _said(again) and "McNemar" not in again.output, (
        "refused before comparing"
    )
    assert (
        CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--json", str(out), "--overwrite"]).exit_code
        == 0
    )
    folder = CliRunner().invoke(app, ["eval-diff", str(a), str(b), "--json", str(tmp_path)])
    assert folder.exit_code == 2 and "is a folder" in _said(folder) and "McNemar" not in folder.output
    arms = CliRunner().invoke(
        app, ["eval-arms", "-a", str(a), "-a", str(b), "-b", str(a.parent / "a"), "--json", str(out)]
    )
    assert arms.exit_code == 2 and "--overwrite" in _said(arms)


def test_partial_credit_is_not_a_correct_answer(tmp_path):
    """reasoning-gym gives partial credit: a 0.05 answer counted as correct item by item, while the eval's accuracy
    (full marks only) did not count it."""
    a = _write_eval(tmp_path / "a", harmful=[True], borderline=[False], correct=[0.05, 1.0])
    b = _write_eval(tmp_path / "b", harmful=[True], borderline=[False], correct=[0.0, 1.0])
    reasoning = next(d for d in paired_diff(a, b) if d.suite == "reasoning")
    assert (reasoning.before, reasoning.after, reasoning.gained, reasoning.lost) == (1, 1, 0, 0)
    c = _write_eval(tmp_path / "c", harmful=[True], borderline=[False], correct=[0.9, 1.0])
    arms = next(row for row in compare_arms([a, c], [b]) if row.suite == "reasoning")
    assert (arms.counts_a, arms.counts_b) == ([1, 1], [1])


def _with_rg_family(folder: Path, correct: list[bool]) -> Path:
    """Adds an rg: family to an eval folder: its items' split is "external", which every --split selects."""
    rows = [
        {
            "suite": "rg:count_bits",
            "id": f"rg:count_bits-{i}",
            "split": "external",
            "prompt": f"bits {i}",
            "completion": "...",
            "sample_index": 0,
            "verdicts": {},
            "scores": {"correct": float(c)},
        }
        for i, c in enumerate(correct)
    ]
    with (folder / "samples.jsonl").open("a") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in rows))
    summary = json.loads((folder / "summary.json").read_text())
    summary["suites"]["rg:count_bits"] = {"kind": "reasoning"}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_a_split_keeps_external_suites_and_names_the_suites_it_empties(tmp_path):
    """--split dev dropped the rg: families a dev eval scored (eval-arms without a word), though eval selects them
    under every split."""
    runs = [
        _with_rg_family(folder, [True] * i + [False] * (4 - i))
        for i, folder in enumerate(_arm(tmp_path, "r", [8, 7, 6], [0, 1, 2]))
    ]
    rows = {row.suite: row for row in compare_arms(runs[:1], runs[1:], split="dev")}
    assert set(rows) == {"harmful_dev_subtle", "rg:count_bits"}
    assert (rows["rg:count_bits"].items, rows["rg:count_bits"].counts_a, rows["rg:count_bits"].counts_b) == (
        4,
        [0],
        [1, 2],
    )
    diffs = paired_diff(runs[0], runs[2], split="dev")
    assert {d.suite for d in diffs} == {"harmful_dev_subtle", "rg:count_bits"}
    held_out = compare_arms(runs[:1], runs[1:], split="held_out")
    assert {row.suite for row in held_out} == {"harmful", "rg:count_bits"}
    assert "harmful_dev_subtle (no held_out item in 3 of the 3 runs)" in held_out.dropped


def test_eval_arms_refuses_items_asked_with_other_prompts(tmp_path):
    runs = _arm(tmp_path, "r", refused=[8, 7, 6], over=[0, 1, 2])
    rows = (
        (runs[2] / "samples.jsonl").read_text().replace('"prompt": "harmful 5"', '"prompt": "harmful five"')
    )
    (runs[2] / "samples.jsonl").write_text(rows)
    with pytest.raises(DataError, match=f"item h5 has another prompt in {runs[2]} than in {runs[0]}"):
        compare_arms(runs[:2], runs[2:])


def _with_config(folder: Path, **changed) -> Path:
    """The eval's summary.json with the config `safealign eval` records, ``changed`` set in it."""
    summary = json.loads((folder / "summary.json").read_text())
    params = {"max_new_tokens": 128, "temperature": 0.0, "top_p": 1.0, "num_samples": 1, "seed": 42}
    summary["config"] = {
        "suites": ["harmful"],
        "params": params,
        "judges": "default",
        "system_prompt": None,
        "precision": "fp32",
    } | changed
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_evals_scored_by_other_judges_are_said_and_kept_in_the_json(tmp_path):
    """eval-diff and eval-arms compared folders scored by other judges, precision or decoding without a word."""
    a = _with_config(_write_eval(tmp_path / "a", harmful=[True] * 4, borderline=[False], correct=[True]))
    b = _write_eval(tmp_path / "b", harmful=[True] * 4, borderline=[False], correct=[True])
    _with_config(b, judges="llama-guard:/models/lg")
    result = CliRunner().invoke(
        app, ["eval-diff", str(a), str(b), "--json", str(tmp_path / "d.json")], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    assert f"scored differently: judges: {a} 'default', {b} 'llama-guard:/models/lg'" in " ".join(
        result.stderr.split()
    )
    written = json.loads((tmp_path / "d.json").read_text())
    assert written["scored_differently"] == {"judges": {str(a): "default", str(b): "llama-guard:/models/lg"}}
    assert written["dropped"] == [] and {row["suite"] for row in written["suites"]} == {
        "harmful",
        "borderline",
        "reasoning",
    }
    a2 = _with_config(Path(shutil.copytree(a, tmp_path / "a2")))
    shorter = {"max_new_tokens": 16, "temperature": 0.0, "top_p": 1.0, "num_samples": 1, "seed": 42}
    arms = compare_arms([a, a2], [_with_config(b, params=shorter)])
    assert arms.scored_differently == {"params.max_new_tokens": {str(a): 128, str(a2): 128, str(b): 16}}
    assert paired_diff(a, a2).scored_differently == {}


def test_the_judge_set_is_no_difference_where_no_compared_suite_is_judged(tmp_path):
    """An eval of reasoning alone records no judge set (none ran) and one with harmful too records "default": their
    shared reasoning suite, scored by rules, was said to be scored differently by its judges."""
    both = _with_config(
        _write_eval(tmp_path / "both", harmful=[True], borderline=[False], correct=[True, False]),
        suites=["harmful", "reasoning"],
    )
    alone = _write_eval(tmp_path / "alone", harmful=[], borderline=[], correct=[True, True])
    summary = json.loads((alone / "summary.json").read_text())
    summary["suites"] = {"reasoning": summary["suites"]["reasoning"]}
    (alone / "summary.json").write_text(json.dumps(summary))
    shorter = {"max_new_tokens": 16, "temperature": 0.0, "top_p": 1.0, "num_samples": 1, "seed": 42}
    _with_config(alone, suites=["reasoning"], judges=None, params=shorter)
    assert paired_diff(both, alone).scored_differently == {
        "params.max_new_tokens": {str(both): 128, str(alone): 16}
    }, "the other settings are still said"
    alone2 = Path(shutil.copytree(alone, tmp_path / "alone2"))
    both2 = Path(shutil.copytree(both, tmp_path / "both2"))
    assert "judges" not in compare_arms([both, both2], [alone, alone2]).scored_differently
    _with_config(both2, suites=["harmful", "reasoning"], judges="llama-guard:/models/lg")
    assert paired_diff(both, both2).scored_differently == {
        "judges": {str(both): "default", str(both2): "llama-guard:/models/lg"}
    }, "where a judged suite is compared, the judge set still counts"


def test_the_judge_set_is_no_difference_where_the_split_leaves_no_judged_suite(tmp_path):
    """eval-arms asked which suites every folder scored, not which it compared: --split dev, which leaves only the
    reasoning family, still said the folders' judge sets differ (eval-diff did not)."""
    runs = [
        _with_config(_with_rg_family(folder, [True, False]), judges=judges)
        for folder, judges in (
            (_write_eval(tmp_path / "a", harmful=[True] * 4, borderline=[False], correct=[True]), "default"),
            (_write_eval(tmp_path / "b", harmful=[True] * 4, borderline=[False], correct=[True]), "default"),
            (
                _write_eval(tmp_path / "c", harmful=[True] * 4, borderline=[False], correct=[True]),
                "llama-guard:/lg",
            ),
        )
    ]
    arms = compare_arms(runs[:2], runs[2:], split="dev")
    assert [row.suite for row in arms] == ["rg:count_bits"] and arms.scored_differently == {}, (
        arms.scored_differently
    )
    assert paired_diff(runs[0], runs[2], split="dev").scored_differently == {}
    judged = compare_arms(runs[:2], runs[2:], split="held_out").scored_differently
    assert judged == {
        "judges": {str(runs[0]): "default", str(runs[1]): "default", str(runs[2]): "llama-guard:/lg"}
    }
