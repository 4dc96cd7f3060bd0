"""Recipe checks added in the seventieth session's review: YAML 1.1 number forms, repeated task settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safealign.config import load_recipe, parse_recipe
from safealign.config.recipe import read_yaml
from safealign.errors import RecipeError

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def _parse(text: str):
    return parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")


@pytest.mark.parametrize(
    ("text", "named", "fix"),
    [
        ("seed: 010", "line 1: seed: 010", "the octal number 8, not 10: write 10"),
        ("name: run\nsft:\n  max_steps: 0_20", "line 3: sft.max_steps: 0_20", "octal number 16, not 20"),
        ("eval: {suites: [harmful, 010]}", "line 1: eval.suites.1: 010", "write 10, or '010' in quotes"),
        (
            "monitor:\n  upstream_timeout_s: 1:30",
            "line 2: monitor.upstream_timeout_s: 1:30",
            "base-60 number 90",
        ),
        (
            "rl:\n  tasks: {arithmetic: 1:3, safety: 1}",
            "line 2: rl.tasks.arithmetic: 1:3",
            "base-60 number 63",
        ),
        (
            "model: {system_prompt: 1:30.5}",
            "line 1: model.system_prompt: 1:30.5",
            "or '1:30.5' in quotes for text",
        ),
        ("sft:\n  datasets: {010: 1.0}", "line 2: sft.datasets (a key): 010", "write 10"),
    ],
)
def test_a_yaml_1_1_octal_or_base_60_number_is_refused_naming_line_and_field(
    text: str, named: str, fix: str
) -> None:
    # PyYAML read `seed: 010` as 8 and `arithmetic: 1:3` as 63 without a word
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert f"recipe.yaml: {named}: YAML 1.1 reads" in str(caught.value)
    assert fix in str(caught.value)


def test_a_recipe_file_names_the_line_of_the_octal_number(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("name: r\n# a comment\nsft:\n  epochs: 1\n  batch_size: 010\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"r\.yaml: line 5: sft\.batch_size: 010: .* write 10"):
        load_recipe(path)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("seed: 07", "seed", 7),  # octal and decimal agree
        ("seed: 1_000", "seed", 1000),
        ("seed: '010'", "seed", 10),  # quoted: text, which pydantic reads in decimal
        ("model: {system_prompt: 0:30}", "model", {"system_prompt": "0:30"}),  # not a YAML 1.1 number: text
        ("model: {system_prompt: '1:30'}", "model", {"system_prompt": "1:30"}),
    ],
)
def test_numbers_read_as_shown_still_load(text: str, field: str, value: object) -> None:
    read = getattr(_parse(text), field)
    assert (read.model_dump(include=set(value)) if isinstance(value, dict) else read) == value


@pytest.mark.parametrize("path", sorted(RECIPES.glob("**/*.yaml")), ids=lambda path: path.name)
def test_shipped_recipes_read_as_pyyaml_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert read_yaml(text, str(path)) == yaml.safe_load(text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "rl:\n  tasks:\n    basic_arithmetic?max_digits=1&max_digits=2: 0.5\n    safety: 0.5",
            "rl.tasks = {...}: 'basic_arithmetic?max_digits=1&max_digits=2' sets max_digits twice",
        ),
        (
            "eval: {suites: [harmful, 'rg:basic_arithmetic?max_terms=2&max_terms=3']}",
            "sets max_terms twice (max_terms=2 and max_terms=3), and only the last would count: give max_terms once",
        ),
        (
            "rl:\n  tasks:\n    basic_arithmetic?max_digits=010: 0.5\n    safety: 0.5",
            "max_digits=010: YAML 1.1 reads 010 (a leading 0) as the octal number 8, not 10: write 10",
        ),
        (
            "monitor: {eval_suites: ['rg:basic_arithmetic?max_terms=1:3']}",
            "max_terms=1:3: YAML 1.1 reads 1:3 as the base-60 number 63",
        ),
    ],
)
def test_a_task_setting_given_twice_or_as_a_yaml_1_1_number_is_refused(text: str, shown: str) -> None:
    # the last of two max_digits settings was used without a word, and max_digits=010 was 8
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert shown in str(caught.value)


def test_task_settings_given_once_still_load() -> None:
    recipe = _parse("rl:\n  tasks:\n    basic_arithmetic?max_digits=1&max_terms=2: 0.5\n    safety: 0.5")
    assert recipe.rl.tasks == {"basic_arithmetic?max_digits=1&max_terms=2": 0.5, "safety": 0.5}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sft: {max_steps: 1e3}", "sft.max_steps = '1e3': "),
        ("rl: {num_prompts: 2.5e2}", "rl.num_prompts = '2.5e2': "),
    ],
)
def test_an_exponent_in_a_whole_number_field_names_the_number_to_write(text: str, shown: str) -> None:
    # "unable to parse string as an integer", with no word of what to write (1.0e+3 passed, 1e3 did not)
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    number = 1000 if "1e3" in text else 250
    assert shown in str(caught.value)
    assert f"(write the whole number out: {number})" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "sft: {warmup_ratio: 5}",
            "sft.warmup_ratio = 5: Input should be less than 1 (a share from 0 to 1: if 5 meant",
        ),
        ("rl: {gates: {refusal_tolerance: 5}}", "if 5 meant 5%, write 0.05)"),
        (
            "sample: {safety_share: 30}",
            "sample.safety_share = 30: Input should be less than or equal to 1 (a share",
        ),
        ("distill: {mlp_fraction: 75}", "if 75 meant 75%, write 0.75)"),
    ],
)
def test_a_share_given_as_a_percentage_names_the_share_to_write(text: str, shown: str) -> None:
    # "Input should be less than or equal to 1" was all: the check_mixture fractions already named the percentage
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert shown in str(caught.value)


def test_a_share_not_like_a_percentage_gets_no_percentage_hint() -> None:
    with pytest.raises(RecipeError) as caught:
        _parse("monitor: {regression_tolerance: 500, port: 70000}")
    assert "%" not in str(caught.value)


@pytest.mark.parametrize("section", ["sft", "rl", "distill"])
def test_a_tracker_named_twice_is_refused(section: str) -> None:
    # transformers added a callback per name: two of one tracker logged every metric twice
    with pytest.raises(RecipeError) as caught:
        _parse(f"{section}: {{report_to: [tensorboard, tensorboard]}}")
    assert f"{section}.report_to = ['tensorboard', 'tensorboard']: tensorboard named more than once" in str(
        caught.value
    )
    assert "name each tracker once" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "sft:\n  learning_rate:",
            "sft.learning_rate = None: Input should be a valid number (no value: the key is",
        ),
        ("seed: ~", "or remove the key for its default)"),
        ("sft: {datasets: {reasoning: }}", "write a value, or remove the key)"),  # an entry, not a field
        (
            "eval:\n  suites:\n    - harmful\n    -",
            "(an empty list item: write its value after the '-', or remove",
        ),
    ],
)
def test_no_value_where_one_is_needed_says_how_to_give_one(text: str, shown: str) -> None:
    # `learning_rate:` with its number commented out said only "= None: Input should be a valid number"
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert shown in str(caught.value)


def test_an_unquoted_equals_sign_is_the_text_written() -> None:
    # YAML 1.1's "value" type: "could not determine a constructor for the tag 'tag:yaml.org,2002:value'"
    assert _parse("model: {system_prompt: =}").model.system_prompt == "="


def test_no_value_in_a_field_without_a_default_does_not_offer_its_default(tmp_path: Path) -> None:
    # an alert rule's name is required: "remove the key for its default" sent the user to a second error
    from safealign.monitor.alerts import load_alert_config

    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name:\n    metric: harmful_rate\n", encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        load_alert_config(path)
    assert (
        "rules.0.name = None: Input should be a valid string (no value: the key is empty, ~ or null; write a value)"
        in str(caught.value)
    )
