"""Inputs a fuzzing review found mishandled: each test failed before its fix."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from safealign.cli.generate_cmd import read_prompts
from safealign.config.recipe import load_recipe
from safealign.corpus.registry import check_mixture, read_rows_and_problems
from safealign.errors import DataError, RecipeError
from safealign.evals.loaders import load_suite_file
from safealign.judges.quality import load_labelled
from safealign.monitor.alerts import load_alert_config
from safealign.runs import drop_undone_rows, read_jsonl
from safealign.tasks.numbers import numbers_equal
from safealign.tasks.problems import Problem, _hedges, check_answer

CHAT = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
LABELLED = {"id": "a", "prompt": "x", "response": "y", "label": "compliance", "harmful_content": False}


# --- numbers ---


def test_whole_numbers_near_a_large_reference_are_compared_exactly() -> None:
    # a relative 1e-6 tolerance took 8717453 for 8717446 (and 1000001 for 1000000)
    assert not numbers_equal("8717453", "8717446")
    assert not numbers_equal("1000001", "1000000")
    assert numbers_equal("8,717,446", "8717446")
    assert numbers_equal("2/4", "1/2")
    problem = Problem(id="x", prompt="q", answer="12340000", family="arithmetic")
    assert check_answer(problem, "The answer is 12340012.") == 0.0
    assert check_answer(problem, "The answer is 12340000.") == 1.0


def test_a_decimal_keeps_a_tolerance_for_rounding_and_float_noise() -> None:
    assert numbers_equal("0.333333", "1/3")
    assert numbers_equal("0.3", "0.30000000000000004")
    assert numbers_equal("0.5", "1/2")
    assert not numbers_equal("0.333", "1/3")


def test_a_whole_answer_matches_float_noise_in_its_reference() -> None:
    # whole numbers compared exactly failed "3" against a reference computed as 2.9999999999999996; a rule of
    # "noise is ten or more decimal places" then failed a large reference's noise, which has fewer places
    assert numbers_equal("3", "2.9999999999999996")
    assert numbers_equal("3", "3.0000000000000004")
    assert numbers_equal("100", "99.99999999999999")
    assert numbers_equal("742756124", "742756124.0000001")
    assert numbers_equal("742756124", "742756123.9999999")


def test_a_decimal_side_gets_the_relative_tolerance_whatever_its_places() -> None:
    # one rule for every decimal: a whole answer and its ".0" form agree on every reference
    for whole, reference in [("398432", "398431.60792653187"), ("8717446", "8717456.5"), ("5", "5.1")]:
        assert numbers_equal(whole, reference) == numbers_equal(whole + ".0", reference), (whole, reference)
    assert not numbers_equal("8717446", "8717456.5")
    assert not numbers_equal("1000.5", "1000")
    assert numbers_equal(
        "8717446.1", "8717446"
    )  # the known leniency of a relative tolerance on a large number
    for same in [("12", "12.0"), ("0.5", "1/2"), ("-0", "0"), ("2.50", "2.5"), ("1,000", "1000")]:
        assert numbers_equal(*same), same


def test_numbers_too_long_for_int_compare_as_written() -> None:
    long = "9" * 5000
    assert numbers_equal(long, long)
    assert not numbers_equal(long, "9" * 4999 + "8")


# --- line splitting: U+2028, U+2029 and U+0085 are not line ends in JSONL ---


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    # as json.dumps(ensure_ascii=False) writes them: the separators stay raw inside the strings
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def test_run_logs_keep_rows_holding_unicode_line_separators(tmp_path: Path) -> None:
    path = tmp_path / "rollouts.jsonl"
    rows = [
        {"step": 1, "completion": "a\u2028b"},
        {"step": 2, "completion": "c\u2029d"},
        {"step": 3, "completion": "e\x85f"},
    ]
    _write_jsonl(path, rows)
    assert read_jsonl(path) == rows
    assert drop_undone_rows(path, 2) == 1
    assert read_jsonl(path) == rows[:2]


def test_the_labelled_judge_set_reads_a_response_holding_a_line_separator(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    _write_jsonl(path, [LABELLED | {"response": "Mix flour\u2028and water."}])
    assert [row.response for row in load_labelled(path, split="all")] == ["Mix flour\u2028and water."]


# --- JSON rows: repeated keys, huge integers, deep nesting ---


def test_a_repeated_key_in_a_training_row_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"GOOD","content":"BAD"}]}\n'
        + json.dumps({"messages": CHAT})
        + "\n",
        encoding="utf-8",
    )
    rows, problems = read_rows_and_problems(path)
    assert [line for line, _ in rows] == [2]
    assert [(p.line, p.field) for p in problems] == [(1, "content")]
    assert "appears twice" in problems[0].message


def test_shipped_data_has_no_repeated_keys() -> None:
    from safealign.paths import package_data

    files = sorted(package_data().rglob("*.jsonl"))
    assert files
    for file in files:
        assert not [p for p in read_rows_and_problems(file)[1] if "appears twice" in p.message], file


def test_an_integer_too_long_to_read_is_a_row_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps({"messages": CHAT})[:-1] + ', "id": ' + "9" * 5000 + "}\n", encoding="utf-8")
    rows, problems = read_rows_and_problems(path)
    assert rows == [] and [p.line for p in problems] == [1]
    assert "4300 digits" in problems[0].message


@pytest.mark.parametrize("extra", ["1" * 4301, "[" * 3000 + "]" * 3000], ids=["long-integer", "deep"])
def test_the_labelled_judge_set_names_an_unreadable_line(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps(LABELLED)[:-1] + ', "n": ' + extra + "}\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"{path}:1: .*(4300 digits|nested too deeply)"):
        load_labelled(path, split="all")


# --- YAML: repeated keys in alert rules, self-reference and deep nesting in recipes ---


def test_a_second_rules_block_in_the_alerts_file_is_an_error(tmp_path: Path) -> None:
    rule = "  - name: {0}\n    metric: harmful_rate\n    window: 50\n    threshold: 0.1\n"
    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n" + rule.format("a") + "rules:\n" + rule.format("b"), encoding="utf-8")
    with pytest.raises(RecipeError, match=r"found the key 'rules' twice \(first line 1\)"):
        load_alert_config(path)


def test_an_alert_rule_left_empty_still_reads_as_null(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(
        "rules:\n  - name: a\n    metric: harmful_rate\n    window: 50\n    threshold: 0.1\nwebhook:\n"
    )
    assert load_alert_config(path).webhook is None


@pytest.mark.parametrize(
    "text",
    ["a: &a [*a]\n", "name: &a [*a]\n", "a: " + "[" * 5000 + "]" * 5000 + "\n"],
    ids=["alias", "alias-field", "deep"],
)
def test_a_recipe_that_holds_itself_or_nests_too_deep_is_a_recipe_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecipeError, match="nested too deeply to read, or a value holds itself"):
        load_recipe(path)


# --- mixture fractions ---


def test_a_fraction_past_the_cap_is_refused_with_the_percentage_hint() -> None:
    for fraction in (1e30, 1e6, 1001):
        with pytest.raises(ValueError, match="if .* meant a percentage, write"):
            check_mixture({"reasoning": fraction}, need_rows=True, field="sft.datasets")
    assert check_mixture({"reasoning": 1000}, need_rows=True) == {"reasoning": 1000}


# --- answer checking time ---


def test_a_long_run_of_digits_is_checked_quickly() -> None:
    problem = Problem(id="x", prompt="q", answer="85", family="arithmetic")
    start = time.perf_counter()
    assert check_answer(problem, "The answer is \\boxed{" + "1" * 8000 + " apples}") == 0.0
    assert time.perf_counter() - start < 1.0  # 2-6 s when _hedges read the whole answer
    assert _hedges("either 84 or 85")


# --- suite and prompt files ---


def test_a_csv_cell_past_csvs_default_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "suite.csv"
    path.write_text('prompt\n"' + "a" * 131073 + '"\nsecond\n', encoding="utf-8")
    assert [len(item.prompt) for item in load_suite_file(path)] == [131073, 6]


def test_generate_refuses_an_empty_prompt_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt": "hi"}\n{"prompt": "  "}\n', encoding="utf-8")
    with pytest.raises(DataError, match=rf"{path}:2: field 'prompt' is empty"):
        read_prompts(path)
