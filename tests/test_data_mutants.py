"""Tests that kill the mutants of the data and recipe code that survived the rest of the suite: row validation,
mixtures, the dataset registry, recipe checks and the eval texts. Each test says the one-token change it guards
against, and what that change would let through. Two guard real bugs: a role that is a list or object crashed
validation, and ``id: true`` was the integer id 1."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.config import load_recipe, parse_recipe
from safealign.corpus import build_mixture, validate_rows
from safealign.corpus.eval_texts import own_suites
from safealign.corpus.registry import check_mixture
from safealign.corpus.validate import repeated_conversations
from safealign.errors import RecipeError

OUT_OF_TURN = (
    "has role {role!r} where {expected!r} belongs: a conversation is an optional system turn first, then user and "
    "assistant turns taking turns, starting with the user"
)


def chat(*roles: str, text: str = "x") -> dict:
    """A row with one turn per role, each turn's text numbered."""
    return {"messages": [{"role": role, "content": f"{text} {index}"} for index, role in enumerate(roles)]}


def problems_of(rows: list[dict]) -> list[str]:
    """validate_rows' problems for rows numbered from line 1 of f.jsonl, as `data check` prints them."""
    return [str(problem) for problem in validate_rows(Path("f.jsonl"), list(enumerate(rows, start=1)))]


def out_of_turn(index: int, role: str, expected: str) -> str:
    return f"f.jsonl:1: field 'messages': messages[{index}] " + OUT_OF_TURN.format(
        role=role, expected=expected
    )


def write_rows(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


# --- validate.py ---


def test_data_check_lists_a_list_role_as_a_problem_instead_of_crashing(tmp_path: Path) -> None:
    # the turn-order check put the roles in a set: a list role raised TypeError (unhashable type) in data check,
    # build_mixture and the pre-run check
    path = tmp_path / "roles.jsonl"
    turns = [{"role": "user", "content": "hi"}, {"role": ["assistant"], "content": "hello"}]
    write_rows(path, [{"messages": turns}, {"messages": turns[:1] + [{"role": {"a": 1}, "content": "hey"}]}])
    result = CliRunner().invoke(app, ["data", "check", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    flat = " ".join(result.output.split())  # rich wraps long lines at spaces
    roles = "must be a string, one of ['assistant', 'system', 'user'], got"
    assert f"roles.jsonl:1: field 'messages[1].role': {roles} ['assistant']" in flat
    assert f"roles.jsonl:2: field 'messages[1].role': {roles} {{'a': 1}}" in flat


def test_a_true_id_is_refused_not_read_as_the_id_1() -> None:
    # Python counts a bool as an int: id true was "duplicate id True" beside id 1, while 1.0 was refused
    rows = [
        chat("user", "assistant", text=f"q{line}") | {"id": value}
        for line, value in enumerate([1, True, 1.0])
    ]
    assert problems_of(rows) == [
        "f.jsonl:2: field 'id': must be a string or integer",
        "f.jsonl:3: field 'id': must be a string or integer",
    ]


def test_an_out_of_turn_index_counts_the_system_turn() -> None:
    # at = index (of the turns after the system turn) would name messages[1]
    assert problems_of([chat("system", "user", "user", "assistant")]) == [out_of_turn(2, "user", "assistant")]


def test_a_system_turn_in_the_middle_is_out_of_turn() -> None:
    # dropping every system turn, not only the first, would pass this conversation
    rows = [chat("user", "assistant", "system", "user", "assistant")]
    assert problems_of(rows) == [out_of_turn(2, "system", "user")]


def test_a_user_turn_where_the_answer_belongs_is_out_of_turn() -> None:
    # expecting the turn's own role in the assistant's place would pass two user turns in a row
    assert problems_of([chat("user", "user", "assistant")]) == [out_of_turn(1, "user", "assistant")]


def test_a_third_copy_of_an_id_names_the_first_line() -> None:
    # seen[id] = line instead of setdefault would name line 2 for the third copy
    rows = [chat("user", "assistant", text=f"r{line}") | {"id": "a"} for line in range(3)]
    assert problems_of(rows) == [
        "f.jsonl:2: field 'id': duplicate id 'a' (first on line 1)",
        "f.jsonl:3: field 'id': duplicate id 'a' (first on line 1)",
    ]


def test_a_third_copy_of_a_conversation_names_the_first_line() -> None:
    # first[key] = line instead of setdefault would name line 2 for the third copy
    notes = repeated_conversations(Path("f.jsonl"), [(line, chat("user", "assistant")) for line in (1, 2, 3)])
    same = (
        "field 'messages': the same conversation as line 1 (trained on twice; to weight a file up, a mixture fraction "
        "above 1 does it without copies)"
    )
    assert [str(note) for note in notes] == [f"f.jsonl:2: {same}", f"f.jsonl:3: {same}"]


def test_the_same_answer_to_other_prompts_is_no_repeated_conversation() -> None:
    # keying on the last turn alone would call these the same conversation
    first = {"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "same"}]}
    second = {"messages": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "same"}]}
    assert repeated_conversations(Path("f.jsonl"), [(1, first), (2, second)]) == []


def test_a_kind_that_is_not_a_string_is_a_problem() -> None:
    # checking only string kinds against KINDS would pass kind: 5
    assert problems_of([chat("user", "assistant") | {"kind": 5}]) == [
        "f.jsonl:1: field 'kind': must be a string, one of ['benign', 'borderline', 'harmful', 'reasoning'], got 5"
    ]


def test_a_null_id_is_removed_as_absent() -> None:
    # leaving id out of OPTIONAL_FIELDS would keep the null in the row the counts and the mixture read
    row = chat("user", "assistant") | {"id": None}
    assert problems_of([row]) == []
    assert "id" not in row


def test_an_unknown_role_is_said_once_not_again_as_out_of_turn() -> None:
    # checking the roles' type alone before the turn order would add "messages[1] has role 'tool'"
    assert problems_of([chat("user", "tool")]) == [
        "f.jsonl:1: field 'messages[1].role': must be a string, one of ['assistant', 'system', 'user'], got 'tool'",
        "f.jsonl:1: field 'messages': the last message must be the assistant's answer (the part the model learns)",
    ]


# --- mixture.py and registry.py ---


@pytest.fixture()
def two_files(tmp_path: Path) -> tuple[str, str]:
    """Two files of ten rows each; the first gives its rows a source of their own."""
    first = [chat("user", "assistant", text=f"alpha row {i}") | {"source": "mine"} for i in range(10)]
    second = [chat("user", "assistant", text=f"beta row {i}") for i in range(10)]
    return write_rows(tmp_path / "a.jsonl", first), write_rows(tmp_path / "b.jsonl", second)


def rows_in_order(weights: dict[str, float], seed: int) -> list[tuple[str, int]]:
    return [(row["dataset"], row["line"]) for row in build_mixture(weights, seed=seed).rows]


def test_a_zero_fraction_leaves_a_file_out(two_files: tuple[str, str]) -> None:
    # fraction < 0 instead of <= 0 would list the file as a source of no rows
    first, second = two_files
    mixture = build_mixture({first: 1.0, second: 0.0}, seed=0)
    assert [source["name"] for source in mixture.sources] == [first]
    assert len(mixture.rows) == 10


def test_a_fraction_rounds_to_the_nearest_row(two_files: tuple[str, str]) -> None:
    # int() instead of round() would take 2 of the 2.9 rows
    assert len(build_mixture({two_files[0]: 0.29}, seed=0).rows) == 3


def test_a_fraction_above_one_repeats_the_file_and_adds_its_part(two_files: tuple[str, str]) -> None:
    # taking the whole copies or the part, not both, would use 10 rows
    mixture = build_mixture({two_files[0]: 1.5}, seed=0)
    assert len(mixture.rows) == 15 and mixture.sources[0]["rows_used"] == 15


def test_the_rows_are_shuffled_by_the_seed(two_files: tuple[str, str]) -> None:
    # no shuffle leaves the rows in file order; Random(0) for every seed gives one order
    weights = dict.fromkeys(two_files, 1.0)
    order = rows_in_order(weights, seed=0)
    assert order != sorted(order)
    assert order == rows_in_order(weights, seed=0) != rows_in_order(weights, seed=1)


def test_the_mixture_digest_covers_every_turn(tmp_path: Path) -> None:
    # hashing the last turn alone would give these two mixtures one digest
    first = {"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a"}]}
    second = {"messages": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "a"}]}
    one = write_rows(tmp_path / "1.jsonl", [first])
    two = write_rows(tmp_path / "2.jsonl", [second])
    assert build_mixture({one: 1.0}, seed=0).sha256 != build_mixture({two: 1.0}, seed=0).sha256


def test_a_source_counts_the_rows_it_gives(two_files: tuple[str, str]) -> None:
    # len(file_rows) instead of len(taken) would say 10 used of 10
    source = build_mixture({two_files[0]: 0.5}, seed=0).sources[0]
    assert (source["rows_used"], source["rows_in_file"]) == (5, 10)


def test_a_row_keeps_its_own_source(two_files: tuple[str, str]) -> None:
    # source = the dataset name for every row would overwrite the row's own "mine"
    assert {row["source"] for row in build_mixture({two_files[0]: 0.5}, seed=0).rows} == {"mine"}


def test_a_negative_fraction_is_refused() -> None:
    # value < -1 instead of < 0 would pass -0.5
    with pytest.raises(ValueError, match=r"fractions must be >= 0 .*got \{'reasoning': -0.5\}"):
        check_mixture({"reasoning": -0.5}, need_rows=False)


def test_an_enabled_sft_with_every_fraction_zero_is_refused() -> None:
    # need_rows=False, or a check for an empty mixture alone, would pass an SFT stage with no rows to train on
    with pytest.raises(
        RecipeError, match=r"the mixture has no dataset with a fraction > 0 \(got \{'reasoning': 0.0\}\)"
    ):
        parse_recipe({"sft": {"datasets": {"reasoning": 0.0}}})
    assert parse_recipe({"sft": {"enabled": False, "datasets": {"reasoning": 0.0}}}).sft.enabled is False


def test_a_fraction_above_ten_is_warned_of_as_a_percentage(caplog: pytest.LogCaptureFixture) -> None:
    # warning above 100 instead of PERCENT_LIKE would say nothing of 20
    with caplog.at_level(logging.WARNING):
        check_mixture({"reasoning": 20}, need_rows=True, field="sft.datasets")
    assert "sft.datasets: reasoning: 20 repeats each of its rows 20 times" in caplog.text
    assert "if 20 meant a percentage, write 0.2" in caplog.text


# --- recipe checks ---


def test_min_items_above_the_gate_limit_is_refused() -> None:
    # min_items > limit + 1 would pass 5 of 4
    with pytest.raises(RecipeError, match=r"min_items \(5\) is more than limit \(4\)"):
        parse_recipe({"rl": {"gates": {"limit": 4, "min_items": 5}}})
    assert parse_recipe({"rl": {"gates": {"limit": 4, "min_items": 4}}}).rl.gates.min_items == 4


def test_an_empty_pass_rate_band_is_refused() -> None:
    # > instead of >= would pass min_pass_rate == max_pass_rate, which no prompt can fall between
    with pytest.raises(RecipeError, match=r"min_pass_rate \(0.5\) must be below max_pass_rate \(0.5\)"):
        parse_recipe({"rl": {"difficulty_filter": {"min_pass_rate": 0.5, "max_pass_rate": 0.5}}})


def test_one_prompt_short_of_a_step_is_refused() -> None:
    # num_prompts < prompts_per_step - 1 would pass 3 prompts for steps of 4
    with pytest.raises(RecipeError, match=r"num_prompts \(3\) is below prompts_per_step \(4\)"):
        parse_recipe({"rl": {"tasks": {"arithmetic": 1.0}, "num_prompts": 3, "prompts_per_step": 4}})


def test_save_steps_not_a_multiple_of_num_iterations_is_refused() -> None:
    # save_steps < num_iterations instead of the remainder would pass 3 with 2
    with pytest.raises(RecipeError, match=r"save_steps \(3\) must be a multiple of num_iterations \(2\)"):
        parse_recipe({"rl": {"num_iterations": 2, "save_steps": 3}})


def test_a_task_of_weight_zero_is_refused() -> None:
    # weight < 0 instead of == 0 would pass a task listed to train on but never drawn
    with pytest.raises(RecipeError, match="task\\(s\\) safety have weight 0"):
        parse_recipe({"rl": {"tasks": {"arithmetic": 1.0, "safety": 0.0}}})


def test_any_lora_setting_under_full_training_is_refused() -> None:
    # comparing lora.r alone would pass a lora block that sets only alpha
    with pytest.raises(RecipeError, match="lora settings apply to method: lora, but method is full"):
        parse_recipe({"sft": {"method": "full", "lora": {"alpha": 8}}})


def test_raise_kl_without_a_kl_term_is_refused() -> None:
    # beta < 0 instead of == 0 would pass a policy that raises a KL weight of 0 (times anything is 0)
    with pytest.raises(RecipeError, match="gates.policy 'raise_kl' needs a KL term"):
        parse_recipe({"rl": {"beta": 0.0, "gates": {"policy": "raise_kl"}}})


def test_a_scoring_reward_at_weight_zero_does_not_count() -> None:
    # every named reward instead of those weighted above 0 would count accuracy: 0.0 as scoring the tasks
    rewards = {"accuracy": 0.0, "format": 0.0, "language": 1.0}
    with pytest.raises(RecipeError, match=r"no reward scores the reasoning tasks \(arithmetic\)"):
        parse_recipe({"rl": {"tasks": {"arithmetic": 1.0}, "rewards": rewards}})


def test_prune_settings_for_a_student_that_is_no_prune_copy_are_refused() -> None:
    # never refusing a changed prune setting would ignore prune_by for a tiny student without a word
    with pytest.raises(RecipeError, match="prune_by: redundancy would be ignored"):
        parse_recipe({"distill": {"student": "tiny", "prune_by": "redundancy"}})


def test_a_family_suite_runs_under_any_split() -> None:
    # a generated family's items are external, in every split: without that exception held_out would be refused
    spec = "rg:count_bits?min_n=1&max_n=64&seed=20010"
    assert parse_recipe({"eval": {"suites": ["harmful", spec], "split": "held_out"}}).eval.split == "held_out"


def test_a_named_task_that_gets_no_prompts_is_refused() -> None:
    # returning before the check would pass safety at 0.01 of 4 prompts
    with pytest.raises(RecipeError, match="tasks safety get 0 of the 4 prompts at their weight"):
        parse_recipe({"rl": {"tasks": {"arithmetic": 0.99, "safety": 0.01}, "num_prompts": 4}})


def test_distill_with_sampling_turned_off_is_refused() -> None:
    # distill trains on the sample stage's traces: without the check it would start with none
    with pytest.raises(RecipeError, match="distill needs rejection sampling's traces"):
        parse_recipe({"sample": {"enabled": False}, "distill": {}})


def test_sampling_reasoning_prompts_needs_a_reasoning_task() -> None:
    # skipping shares of 0.5 and above would pass a 0.9 share with only safety to draw from
    with pytest.raises(RecipeError, match="draws 0.1 of its prompts .* but rl.tasks has only safety"):
        parse_recipe({"rl": {"tasks": {"safety": 1.0}}, "sample": {"safety_share": 0.9}})


def test_distill_samples_with_the_default_share_that_needs_a_reasoning_task() -> None:
    # a recipe with distill and no sample section still samples, with sample's defaults (0.7 reasoning prompts)
    with pytest.raises(
        RecipeError, match=r"the sample stage \(run for distill with its defaults\) draws 0.7"
    ):
        parse_recipe({"rl": {"tasks": {"safety": 1.0}}, "distill": {}})


def test_a_setting_left_empty_outside_a_section_is_null(tmp_path: Path) -> None:
    # reading every empty key as an empty section would make system_prompt {}
    path = tmp_path / "r.yaml"
    path.write_text("model:\n  system_prompt:\n")
    assert load_recipe(path).model.system_prompt is None


def test_an_unknown_field_is_refused() -> None:
    # extra="ignore" would drop a misspelt field without a word
    with pytest.raises(RecipeError, match=r"sft.epoch: unknown field \(did you mean 'epochs'\?\)"):
        parse_recipe({"sft": {"epoch": 2}})


def test_an_infinite_number_is_refused() -> None:
    # allow_inf_nan=True would pass epochs: .inf
    with pytest.raises(RecipeError, match="sft.epochs = inf: Input should be a finite number"):
        parse_recipe({"sft": {"epochs": float("inf")}})


# --- eval_texts.py ---


def test_the_dev_group_is_not_a_recipes_own_suite() -> None:
    # checking the built-in suites alone would count the dev group's reasoning families, which eval_prompts
    # already holds, as the recipe's own
    assert own_suites(["dev", "rg:basic_arithmetic"]) == ["rg:basic_arithmetic"]
