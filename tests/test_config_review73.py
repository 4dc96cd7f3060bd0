"""Recipes reviewed in the seventy-third session: a key in the wrong section (an indentation slip) or in capitals, one
name where a mapping of names to numbers belongs, a percentage where a share does, epochs beside max_steps, and a training row that overlaps an eval item named by its id where its line was meant."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from safealign.config import parse_recipe
from safealign.config.recipe import read_yaml
from safealign.corpus.eval_texts import training_turns
from safealign.corpus.mixture import build_mixture
from safealign.corpus.registry import read_rows_and_problems
from safealign.corpus.validate import validate_rows
from safealign.errors import RecipeError


def _refusal(text: str) -> str:
    with pytest.raises(RecipeError) as error:
        parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")
    return " ".join(str(error.value).split())


def test_a_key_of_another_section_names_that_section() -> None:
    # `hacking:` indented under sft: was "did you mean 'packing'?", a setting with nothing to do with it
    said = _refusal("sft:\n  max_steps: 2\n  hacking:\n    window: 4\n")
    assert "sft.hacking: unknown field: hacking is a section of rl, not of sft; move it under rl;" in said
    assert "packing" not in said.split("allowed here")[0]
    # a stage section indented under the one above it
    said = _refusal("sft:\n  max_steps: 2\n  rl:\n    max_steps: 3\n")
    assert "rl is a section of the top level, not of sft; write it at the start of its line" in said
    # a stage's setting written at the top level named no section at all
    said = _refusal("learning_rate: 1.0e-4\n")
    assert "learning_rate is a field of sft, rl and distill, not of the top level" in said
    said = _refusal("system_prompt: Be brief.\n")
    assert "system_prompt is a field of model, not of the top level; move it under model;" in said
    # one level too deep: a stage's setting indented under its lora block
    said = _refusal("sft:\n  lora:\n    r: 8\n    learning_rate: 1.0e-4\n")
    assert "learning_rate is a field of sft, not of sft.lora; indent it as sft's other fields are" in said


def test_a_key_in_capitals_is_the_field_it_spells() -> None:
    assert "SFT: unknown field (did you mean 'sft'?)" in _refusal("SFT:\n  max_steps: 2\n")
    # keys that name no field anywhere read as before
    assert "sft.lora.rank: unknown field; allowed here: r, alpha" in _refusal("sft:\n  lora:\n    rank: 8\n")
    assert "(did you mean 'learning_rate'?)" in _refusal("sft:\n  learnig_rate: 1.0e-4\n")


def test_one_name_where_a_mapping_of_numbers_belongs_shows_the_mapping() -> None:
    said = _refusal("sft:\n  datasets: reasoning, benign_helpful\n")
    assert "e.g. {reasoning: 1.0, benign_helpful: 1.0}" in said
    assert "e.g. {basic_arithmetic: 1.0}" in _refusal("rl:\n  tasks: basic_arithmetic\n")


def test_a_percentage_where_a_share_belongs_says_the_share() -> None:
    said = _refusal("sft:\n  datasets:\n    reasoning: 50%\n")
    assert "sft.datasets.reasoning = '50%'" in said and "(write the share as a number: 50% is 0.5)" in said
    assert "12.5% is 0.125" in _refusal("sft:\n  datasets:\n    reasoning: 12.5 %\n")


def _unread(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safealign.config"):
        parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")
    return [record.getMessage() for record in caplog.records if "is not read" in record.getMessage()]


def test_epochs_beside_max_steps_are_said_to_be_unread(caplog: pytest.LogCaptureFixture) -> None:
    # taken without a word: transformers trains max_steps steps whatever the epochs
    (said,) = _unread(caplog, "sft: {epochs: 3, max_steps: 10}")
    assert said.startswith("sft: epochs 3 is not read: max_steps 10 sets how long the stage trains")
    assert "set max_steps: -1 to train 3 epochs" in said
    (said,) = _unread(caplog, "distill: {student: 'prune:0.5', epochs: 0.5, max_steps: 4}")
    assert said.startswith("distill: epochs 0.5 is not read: max_steps 4")
    # epochs read (max_steps -1), left at the default, or of a stage turned off: no warning
    assert _unread(caplog, "sft: {epochs: 3}\ndistill: {student: 'prune:0.5', max_steps: 4}") == []
    assert _unread(caplog, "sft: {epochs: 1, max_steps: 10}") == []
    assert _unread(caplog, "sft: {enabled: false, epochs: 3, max_steps: 10}") == []


def test_a_decision_weight_without_decision_tokens_is_said_to_be_unread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # recorded as weight 1.0 in stage.json, the loss the plain token mean, without a word
    (said,) = _unread(caplog, "sft: {decision_weight: 3.0}")
    assert said.startswith("sft: decision_weight 3 is not read: it weighs the first decision_tokens tokens")
    assert "Set decision_tokens (e.g. 8)" in said
    (said,) = _unread(caplog, "distill: {student: 'prune:0.5', decision_tokens: 0, decision_weight: 2.5}")
    assert said.startswith("distill: decision_weight 2.5 is not read")
    assert _unread(caplog, "sft: {decision_tokens: 8, decision_weight: 3.0}") == []
    # decision_tokens at decision_weight 1.0 (the default) weighs nothing either: said since session 75
    (said,) = _unread(caplog, "distill: {student: 'prune:0.5', decision_tokens: 4}")
    assert said.startswith("distill: decision_tokens 4 is not read: decision_weight is 1.0"), said


def test_an_overlapping_row_is_named_by_its_line_even_with_an_id(tmp_path: Path) -> None:
    # named by its id first: the row of "id": 7 on line 2 overlapping an eval item was "FILE:7:0" in the stage's
    # error, where `safealign data check` (which the error sends the user to) says "FILE:2:0"
    data = tmp_path / "ids.jsonl"
    rows = [
        {
            "id": 1,
            "messages": [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi!"}],
        },
        {
            "id": 7,
            "messages": [{"role": "user", "content": "Hi again"}, {"role": "assistant", "content": "Hi."}],
        },
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    named = dict(training_turns(build_mixture({str(data): 1.0}, seed=0).rows, roles=("user",)))
    assert named == {f"{data}:1:0": "Hello there", f"{data}:2:0": "Hi again"}
    # rows of no file (no line) are still named by their id, else by their place
    unnumbered = [rows[0] | {"id": "r9"}, {"messages": rows[1]["messages"]}]
    assert [name for name, _ in training_turns(unnumbered, roles=("user",))] == [":r9:0", ":1:0"]


def test_a_line_that_is_no_object_says_what_it_is_in_json_words(tmp_path: Path) -> None:
    # "got NoneType" for a line of null, and nothing said of a line that is a conversation's turns without its row
    data = tmp_path / "rows.jsonl"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    data.write_text(f"null\n{json.dumps(turns)}\n[1, 2]\n", encoding="utf-8")
    rows, problems = read_rows_and_problems(data)
    said = [str(problem) for problem in problems]
    assert rows == [] and said[0] == f"{data}:1: each line must be a JSON object, got null"
    assert said[1].startswith(f"{data}:2: each line must be a JSON object, got an array holding chat turns:")
    assert 'e.g. {"messages": [...]} for training data' in said[1]
    assert said[2] == f"{data}:3: each line must be a JSON object, got an array"


def test_turns_under_another_spelling_of_messages_are_named(tmp_path: Path) -> None:
    # "needs a non-empty list of {role, content} messages" alone, of a row that holds them under "Messages"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    rows = [(1, {"Messages": turns}), (2, {"message": turns}), (3, {"messges": turns}), (4, {"msg": turns})]
    said = [str(problem) for problem in validate_rows(tmp_path / "rows.jsonl", rows)]
    assert [line.split("messages: ", 1)[-1] for line in said] == [
        "this row has 'Messages': name the field 'messages'",
        "this row has 'message': name the field 'messages'",
        "this row has 'messges': name the field 'messages'",
        f"{tmp_path / 'rows.jsonl'}:4: field 'messages': needs a non-empty list of {{role, content}} messages",
    ]


def test_a_missing_dataset_path_is_said_to_be_missing_not_unknown(tmp_path: Path) -> None:
    # "unknown dataset 'data/train.json' ...; or give a .jsonl path": no word of the file being missing, nor where it
    # was looked for; and a missing "Train.JSONL" (a .jsonl path in capitals) was refused as no dataset at all
    missing = tmp_path / "data" / "train.json"
    said = _refusal(f"sft:\n  datasets:\n    {missing}: 1.0\n")
    assert (
        f"dataset file {missing} not found: give a JSONL file's path, or a dataset's name (shipped datasets:"
        in said
    )
    assert "unknown dataset" not in said
    recipe = parse_recipe(
        {"sft": {"datasets": {str(tmp_path / "Train.JSONL"): 1.0}}}
    )  # validates, as train.jsonl
    assert list(recipe.sft.datasets) == [str(tmp_path / "Train.JSONL")]
    # a name that is no file's path still gets the closest shipped one
    assert "unknown dataset 'reasonin' (did you mean 'reasoning'?)" in _refusal(
        "sft:\n  datasets: {reasonin: 1.0}\n"
    )
    # a Hub id has no file suffix: named as docs/extending.md shows, not as a missing file of this folder
    hub = _refusal("sft:\n  datasets: {'hf:HuggingFaceH4/ultrachat_200k': 1.0}\n")
    assert "unknown dataset 'hf:HuggingFaceH4/ultrachat_200k'; shipped datasets:" in hub
    assert "or give a .jsonl path" in hub and "not found" not in hub


def test_a_choice_in_other_case_or_spelling_names_the_choice() -> None:
    # "Input should be 'lora' or 'full'" alone, of `method: LoRA`
    assert "sft.method = 'LoRA': Input should be 'lora' or 'full' (did you mean 'lora'?)" in _refusal(
        "sft: {method: LoRA}"
    )
    assert "(did you mean 'held_out'?)" in _refusal("eval: {split: heldout}")
    assert "(did you mean 'lower_lr'?)" in _refusal("rl: {gates: {policy: lower-lr}}")
    # nothing close: the choices alone, as before
    assert _refusal("distill: {mode: kd}").endswith("Input should be 'sequence', 'logit' or 'both'")


def test_a_recipe_that_would_extend_another_says_recipes_do_not() -> None:
    # "extends: unknown field" alone: Hydra's and axolotl's users look for a way to build on a base recipe
    said = _refusal("extends: recipes/quickstart.yaml\nname: mine\n")
    assert "extends: unknown field: a recipe is one file, with no extends or include: copy the recipe" in said
    assert "`<<: *name` reuse a section" in _refusal("defaults: [base]\n")
    assert "model.base: unknown field; allowed here:" in _refusal(
        "model: {base: tiny}\n"
    )  # not at the top level


def test_a_row_level_system_prompt_is_refused_not_dropped(tmp_path: Path) -> None:
    # LLaMA-Factory's and Axolotl's "system" column: training read 'messages' alone and dropped it without a word
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    rows = [(1, {"system": "You are a pirate.", "messages": turns}), (2, {"system": " ", "messages": turns})]
    (said,) = [str(problem) for problem in validate_rows(tmp_path / "rows.jsonl", rows)]
    assert said.startswith(f"{tmp_path / 'rows.jsonl'}:1: field 'system': training reads only 'messages'")
    assert "put it first in 'messages' as {'role': 'system', 'content': ...}" in said


def test_an_alpaca_row_says_how_to_write_it_as_messages(tmp_path: Path) -> None:
    (said,) = validate_rows(
        tmp_path / "rows.jsonl", [(1, {"instruction": "Add 2 and 3", "input": "", "output": "5"})]
    )
    assert "this row is in Alpaca form ('instruction', 'input', 'output')" in str(said)
    assert "a user turn of the instruction (its 'input', if any, after it)" in str(said)


def test_a_stage_named_in_other_words_names_the_stage() -> None:
    # "grpo: unknown field" and "evaluation: unknown field" alone
    assert "grpo: unknown field (did you mean 'rl'?)" in _refusal("grpo: {max_steps: 5}\n")
    assert "evaluation: unknown field (did you mean 'eval'?)" in _refusal("evaluation: {limit: 5}\n")
    assert "rejection-sampling: unknown field (did you mean 'sample'?)" in _refusal(
        "rejection-sampling: {k: 2}\n"
    )
    said = _refusal("dpo: {beta: 0.1}\n")
    assert "dpo: unknown field: there is no DPO stage; the stages are sft, rl (GRPO), sample" in said
    # a field of a stage is still named with its section
    assert "student is a field of distill, not of the top level" in _refusal("student: tiny\n")
