"""Recipe checks added in the sixty-seventh session's review: number fields, mixture keys."""

from __future__ import annotations

import types
from typing import Union, get_args, get_origin

import pytest

from safealign.config import parse_recipe
from safealign.config.base import Section
from safealign.config.recipe import read_yaml
from safealign.errors import RecipeError


def _parse(text: str):
    return parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("sft: {learning_rate: true}", "sft.learning_rate = True"),
        ("sft: {max_steps: yes}", "sft.max_steps = True"),
        ("seed: on", "seed = True"),
        ("rl: {gates: {refusal_tolerance: off}}", "rl.gates.refusal_tolerance = False"),
        ("eval: {limit: true}", "eval.limit = True"),
        ("monitor: {port: yes}", "monitor.port = True"),
        ("sft: {keep_checkpoints: no}", "sft.keep_checkpoints = False"),
    ],
)
def test_a_boolean_in_a_number_field_is_refused_naming_it(text: str, field: str) -> None:
    # pydantic reads True as 1 and False as 0: `learning_rate: true` trained at 1.0 without a word
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert field in str(caught.value)
    assert "a boolean where a number belongs" in str(caught.value)
    assert "give a number" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("sft: {datasets: {reasoning: yes, multilingual: 1.0}}", "sft.datasets = {...}: reasoning: true"),
        ("rl: {tasks: {arithmetic: yes, safety: 0.2}}", "rl.tasks = {...}: arithmetic: true"),
        ("rl: {rewards: {accuracy: 1.0, safety: on, format: off}}", "safety: true, format: false"),
        ("distill: {transfer_data: {reasoning: yes}}", "distill.transfer_data = {...}: reasoning: true"),
    ],
)
def test_a_boolean_mixture_fraction_or_weight_is_refused_naming_the_key(text: str, named: str) -> None:
    # `reasoning: yes` read as a fraction of 1.0, `format: off` as a reward weight of 0
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert named in str(caught.value)
    assert "give each a number" in str(caught.value)


def test_numbers_and_booleans_still_read_where_they_belong() -> None:
    recipe = _parse(
        "seed: 7\nsft: {learning_rate: 1e-4, max_steps: 3, epochs: 2, enabled: true, packing: false,"
        " datasets: {reasoning: 1, multilingual: 0.5}}\neval: {limit: 4}"
    )
    assert recipe.seed == 7 and recipe.eval.limit == 4
    assert recipe.sft.learning_rate == 1e-4 and recipe.sft.max_steps == 3 and recipe.sft.epochs == 2.0
    assert recipe.sft.enabled is True and recipe.sft.packing is False
    assert recipe.sft.datasets == {"reasoning": 1.0, "multilingual": 0.5}


def _sections(cls: type[Section], seen: set) -> None:
    seen.add(cls)
    for field in cls.model_fields.values():
        for kind in (field.annotation, *get_args(field.annotation)):
            if isinstance(kind, type) and issubclass(kind, Section) and kind not in seen:
                _sections(kind, seen)


def test_no_recipe_field_takes_both_a_boolean_and_a_number() -> None:
    # Section refuses a boolean wherever an int or float goes; a field meant to take either would need its own rule
    from safealign.config import Recipe

    seen: set = set()
    _sections(Recipe, seen)
    for cls in seen:
        for name, field in cls.model_fields.items():
            annotation = field.annotation
            if get_origin(annotation) is dict:
                annotation = get_args(annotation)[1]
            kinds = (
                get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
            )
            assert not (bool in kinds and {int, float} & set(kinds)), f"{cls.__name__}.{name}"


@pytest.mark.parametrize(
    "key",
    [
        "runs/run/sample/traces.jsonl",  # as the stage spells it: its fraction replaced the traces' 1.0 (0 dropped them)
        "./runs/run/sample/traces.jsonl",  # another spelling: every trace trained on twice
        "{tmp}/runs/run/sample/traces.jsonl",
    ],
)
@pytest.mark.parametrize("fraction", [0, 0.5, 1.0])
def test_transfer_data_naming_the_teachers_traces_is_refused(tmp_path, monkeypatch, key, fraction) -> None:
    monkeypatch.chdir(tmp_path)
    key = key.format(tmp=tmp_path)
    with pytest.raises(RecipeError, match="is the teacher's traces .*remove it from transfer_data"):
        parse_recipe({"distill": {"transfer_data": {key: fraction, "reasoning": 0.5}}})


def test_transfer_data_naming_another_runs_traces_still_validates(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    recipe = parse_recipe(
        {"name": "student", "distill": {"transfer_data": {"runs/teacher/sample/traces.jsonl": 1.0}}}
    )
    assert recipe.distill.transfer_data == {"runs/teacher/sample/traces.jsonl": 1.0}
    with pytest.raises(RecipeError, match="teacher's traces"):
        parse_recipe(
            {"name": "student", "distill": {"transfer_data": {"runs/student/sample/traces.jsonl": 1.0}}}
        )


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("sft: false", "write `sft: {enabled: false}` to turn it off"),
        ("rl: {gates: off}", "write `gates: {enabled: false}` to turn it off"),
        (
            "distill: yes",
            "write `distill: {}` (or `distill:` with nothing after it) to run it with its defaults",
        ),
    ],
)
def test_a_section_written_as_a_boolean_is_told_its_enabled_field(text: str, fix: str) -> None:
    # `sft: false` was told to write `sft: {FIELD: VALUE, ...}`, not how to turn the stage off
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert fix in str(caught.value)


def test_a_section_without_an_enabled_field_keeps_the_general_advice() -> None:
    with pytest.raises(RecipeError, match=r"write `lora: \{FIELD: VALUE, \.\.\.\}`"):
        _parse("sft: {lora: true}")


def test_the_distill_command_refuses_transfer_data_naming_its_traces(tmp_path) -> None:
    # the recipe check sees only the pipeline's traces; `safealign distill --traces FILE` distilled on FILE with
    # transfer_data naming FILE again (0 dropped every trace), before anything loaded
    from safealign.config import DistillConfig
    from safealign.errors import DataError
    from safealign.stages.distill import run_distill

    traces = tmp_path / "mine.jsonl"
    traces.write_text('{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n')
    cfg = DistillConfig(transfer_data={str(traces): 0.0})
    with pytest.raises(DataError, match="teacher's traces"):
        run_distill(cfg, "tiny", traces, tmp_path / "distill")
    assert not (tmp_path / "distill").exists(), "nothing written before the check"


def test_a_mixture_path_under_an_unknown_users_home_validates() -> None:
    # Path.expanduser raised RuntimeError "Could not determine home directory" for ~nosuchuser/, failing the recipe
    recipe = parse_recipe(
        {"name": "x", "sft": {"datasets": {"~nosuchuser_safealign/rows.jsonl": 1.0, "reasoning": 1.0}}}
    )
    assert "~nosuchuser_safealign/rows.jsonl" in recipe.sft.datasets


@pytest.mark.parametrize(
    "monitor",
    [
        {"db": "postgres://bob:hunter2@db.example/monitor"},
        {"upstream": "htp://bob:hunter2@127.0.0.1:8000"},
        {"upstream": "bob:hunter2@127.0.0.1:8000"},
    ],
)
def test_a_refused_monitor_url_is_quoted_without_its_password(monitor: dict) -> None:
    # `safealign validate` / `run` printed the refused URL whole, password included
    with pytest.raises(RecipeError) as caught:
        parse_recipe({"name": "x", "monitor": monitor})
    assert "hunter2" not in str(caught.value) and "bob:***@" in str(caught.value)
