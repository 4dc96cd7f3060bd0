"""Recipe and training-row checks added in the sixty-sixth session's review: YAML and JSON slips named with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.config.recipe import parse_recipe, read_yaml
from safealign.corpus.registry import read_rows_and_problems
from safealign.corpus.validate import validate_rows
from safealign.errors import RecipeError

ROW = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def recipe_of(text: str):
    return parse_recipe(read_yaml(text, "r.yaml", keep_empty=True), "r.yaml")


def recipe_error(text: str) -> str:
    with pytest.raises(RecipeError) as error:
        recipe_of(text)
    return str(error.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("model:\n  system_prompt: None\n", "model.system_prompt"),
        ("monitor:\n  api_key: None\n", "monitor.api_key"),
        ("monitor:\n  alerts: none\n", "monitor.alerts"),
        ("eval:\n  limit: None\n", "eval.limit"),
        ("sft:\n  keep_checkpoints: NONE\n", "sft.keep_checkpoints"),
    ],
)
def test_python_none_in_a_recipe_is_refused_not_read_as_text(text: str, field: str) -> None:
    # YAML reads None as the text "None": `system_prompt: None` put "None" before every prompt of every stage, and
    # `api_key: None` made "None" the monitor's key; an int field said only "unable to parse string as an integer"
    message = recipe_error(text)
    assert f"{field} = " in message and "write null (or ~)" in message


def test_yaml_null_and_text_that_only_starts_with_none_still_read() -> None:
    assert recipe_of("model:\n  system_prompt: null\n").model.system_prompt is None
    assert recipe_of("eval:\n  limit: ~\n").eval.limit is None
    assert recipe_of("model:\n  system_prompt: None of this\n").model.system_prompt == "None of this"


def test_output_dir_under_the_home_folder_is_not_a_folder_named_tilde(tmp_path, monkeypatch) -> None:
    # Path("~/runs") is ./~/runs: the run went to a folder named "~" in the folder you ran in
    monkeypatch.setenv("HOME", str(tmp_path))
    assert recipe_of("name: x\noutput_dir: ~/runs\n").run_dir == tmp_path / "runs" / "x"
    assert recipe_of("name: x\noutput_dir: runs/~a\n").run_dir == Path("runs/~a/x")
    assert "full path" in recipe_error("output_dir: ~no-such-user-here/runs\n")


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("monitor:\n  refusal_message: No\n", "put the text in quotes: 'no', not no"),
        ("name: 2024\n", "put it in quotes, as written"),
        ("sft:\n  datasets: [harmful_refusals, reasoning]\n", "{harmful_refusals: 1.0, reasoning: 1.0}"),
        (
            "sft:\n  datasets:\n    - harmful_refusals: 1.0\n    - reasoning: 0.5\n",
            "without the '- ', e.g. {harmful_refusals: 1.0, reasoning: 0.5}",
        ),
        ("eval:\n  suites: harmful, borderline\n", "write a list, e.g. [harmful, borderline]"),
    ],
)
def test_a_yaml_shape_slip_is_named_with_the_yaml_that_fixes_it(text: str, fix: str) -> None:
    # pydantic said only "Input should be a valid string / dictionary / list", of a value the user did not write (False)
    assert fix in recipe_error(text)


@pytest.mark.parametrize(
    ("line", "fix"),
    [
        (json.dumps(ROW)[:-1] + ', "id": 1,}', "a comma before the closing '}'"),
        (json.dumps(ROW)[:-2] + ",]}", "a comma before the closing ']'"),
        (json.dumps(ROW) + ",", "a comma after the row"),
        (json.dumps(ROW) + " " + json.dumps(ROW), "a second JSON object on the line"),
    ],
)
def test_a_json_slip_is_named_with_its_fix(tmp_path, line: str, fix: str) -> None:
    # Python 3.11 calls a trailing comma "Expecting property name enclosed in double quotes" or "Expecting value"
    path = tmp_path / "rows.jsonl"
    path.write_text(line + "\n" + json.dumps(ROW) + "\n", encoding="utf-8")
    rows, problems = read_rows_and_problems(path)
    assert [number for number, _ in rows] == [2]
    assert len(problems) == 1 and problems[0].line == 1 and fix in problems[0].message


def test_a_last_turn_of_weight_zero_is_a_problem_not_learned_silently() -> None:
    # OpenAI's fine-tuning form: weight 0 marks an answer not to learn; training learns every row's last turn
    weighted = {"messages": [*ROW["messages"][:-1], {**ROW["messages"][-1], "weight": 0}]}
    problems = validate_rows(Path("f.jsonl"), [(1, weighted)])
    assert [problem.field for problem in problems] == ["messages[1].weight"]
    assert "end the row at the answer to learn" in problems[0].message
    kept = {"messages": [*ROW["messages"][:-1], {**ROW["messages"][-1], "weight": 1}]}
    assert validate_rows(Path("f.jsonl"), [(1, kept)]) == []
