"""GPU settings as a user writes them in a recipe, reviewed in the seventy-first session: TRL's and transformers'
names for precision, DeepSpeed/FSDP and vLLM point at where a recipe (or the launcher) sets them."""

from __future__ import annotations

import logging

import pytest

from safealign.config import parse_recipe
from safealign.config.recipe import read_yaml
from safealign.errors import RecipeError


def _parse(text: str):
    return parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")


def _refusal(text: str) -> str:
    with pytest.raises(RecipeError) as error:
        _parse(text)
    return " ".join(str(error.value).split())


def _vllm_warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safealign.config"):
        _parse(text)
    return [record.getMessage() for record in caplog.records if "vllm_mode" in record.getMessage()]


def test_vllm_mode_server_without_use_vllm_is_named_as_unused(caplog: pytest.LogCaptureFixture) -> None:
    # taken without a word: the stage generated with transformers and no `trl vllm-serve` server was used
    (said,) = _vllm_warnings(caplog, "rl: {vllm_mode: server, max_steps: 50}")
    assert "vllm_mode: server is read only with use_vllm: true" in said
    assert "Set use_vllm: true" in said and "or remove vllm_mode" in said
    # a server recipe, and every recipe that does not ask for the server, reads as before: refused by none
    assert _vllm_warnings(caplog, "rl: {use_vllm: true, vllm_mode: server, max_steps: 50}") == []
    assert _vllm_warnings(caplog, "rl: {vllm_mode: colocate, max_steps: 50}") == []
    assert _vllm_warnings(caplog, "rl: {enabled: false, vllm_mode: server}") == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # sft's own field list holds no precision: the run's is the recipe's top-level one
        (
            "sft: {bf16: true}",
            "sft.bf16: unknown field: set the recipe's top-level precision: bf16, fp32 or auto",
        ),
        ("distill: {fp16: true}", "distill.fp16: unknown field: set the recipe's top-level precision:"),
        ("eval: {fp16: true}", "eval.fp16: unknown field: set precision here: bf16, fp32 or auto (no fp16"),
        ("rl: {gates: {bf16: true}}", "rl.gates.bf16: unknown field: set precision here:"),
        ("deepspeed: recipes/accelerate/zero2.yaml", "deepspeed: unknown field: the launcher decides it"),
        (
            "sft: {fsdp: full_shard}",
            "--config_file recipes/accelerate/zero2.yaml -m safealign.cli.main run RECIPE",
        ),
        (
            "rl: {use_vllm: true, vllm_gpu_memory_utilization: 0.1}",
            "rl.vllm_gpu_memory_utilization: unknown field: not a recipe field yet, so TRL's default applies",
        ),
    ],
)
def test_a_trainer_setting_given_as_a_field_says_where_it_is_set(text: str, said: str) -> None:
    refusal = _refusal(text)
    assert said in refusal and "allowed here: " in refusal
    assert "did you mean" not in refusal  # 'seed' for deepspeed led nowhere


def test_other_unknown_fields_read_as_before() -> None:
    assert "sft.learning_rat: unknown field (did you mean 'learning_rate'?); allowed here:" in _refusal(
        "sft: {learning_rat: 1.0e-5}"
    )


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("precision: fp16", "(no fp16: bf16 on GPUs that have it, such as A100 and H100, else fp32)"),
        (
            "rl: {gates: {precision: FP16}}",
            "(no fp16: bf16 on GPUs that have it, such as A100 and H100, else fp32)",
        ),
        ("precision: bfloat16", "(write bf16)"),
        ("eval: {precision: float32}", "(write fp32)"),
        ("precision: BF16", "(write bf16)"),
    ],
)
def test_a_precision_under_another_name_says_which_to_write(text: str, hint: str) -> None:
    refusal = _refusal(text)
    assert "Input should be" in refusal and refusal.endswith(hint)


def test_an_unknown_precision_lists_the_choices_alone() -> None:
    assert _refusal("precision: fp8").endswith("precision = 'fp8': Input should be 'auto', 'bf16' or 'fp32'")


def test_every_other_vllm_setting_of_trl_is_named_not_a_field_yet() -> None:
    # read from TRL: a vllm_* setting a newer TRL adds is named here too, or this fails
    import dataclasses

    from trl import GRPOConfig

    names = [
        f.name for f in dataclasses.fields(GRPOConfig) if f.name.startswith("vllm_") and f.name != "vllm_mode"
    ]
    assert "vllm_gpu_memory_utilization" in names and "vllm_max_model_length" in names
    for name in names:
        assert f"rl.{name}: unknown field: not a recipe field yet, so TRL's default applies" in _refusal(
            f"rl: {{use_vllm: true, {name}: 1}}"
        )


def test_a_misspelt_vllm_field_is_still_a_did_you_mean() -> None:
    assert "rl.vllm_mod: unknown field (did you mean 'vllm_mode'?)" in _refusal("rl: {vllm_mod: server}")
