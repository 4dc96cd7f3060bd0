"""Review 63 of the recipe schema: values that were accepted and then silently meant something else."""

from __future__ import annotations

import pytest

from safealign.config import DistillConfig, SFTConfig, parse_recipe
from safealign.errors import RecipeError


@pytest.mark.parametrize("section", ["sft", "distill"])
def test_max_steps_zero_is_refused_not_trained_as_one_step(section: str) -> None:
    # ge=-1 let `max_steps: 0` through: transformers stops only after its first optimizer step (global_step 1 >= 0),
    # so the stage trained one step, while the card read 0 as "use epochs" and printed "1.0 epoch(s)"
    with pytest.raises(RecipeError) as error:
        parse_recipe({section: {"max_steps": 0}})
    message = str(error.value)
    assert f"{section}.max_steps = 0" in message
    assert "-1" in message and "enabled: false" in message


@pytest.mark.parametrize("section", [SFTConfig, DistillConfig])
def test_max_steps_minus_one_and_positive_still_validate(section: type) -> None:
    assert section(max_steps=-1).max_steps == -1
    assert section(max_steps=3).max_steps == 3


@pytest.mark.parametrize(
    "setting, named",
    [({"temperature": 2.0}, "temperature: 2.0"), ({"alpha": 0.9}, "alpha: 0.9")],
)
def test_sequence_distillation_refuses_the_logit_settings_it_ignores(setting: dict, named: str) -> None:
    # mode: sequence trains a plain SFTTrainer: the KD temperature and the KD/CE weight alpha were dropped without a
    # word, where divergence_beta and hidden_weight at mode: sequence were already errors
    with pytest.raises(RecipeError) as error:
        parse_recipe({"distill": {"mode": "sequence", **setting}})
    message = str(error.value)
    assert named in message and "mode: sequence" in message and "mode: both" in message


def test_sequence_distillation_with_the_logit_defaults_validates() -> None:
    # the resolved recipe.yaml a run writes holds every field at its default: it must read back
    cfg = parse_recipe({"distill": {"mode": "sequence", "temperature": 1.0, "alpha": 0.5}}).distill
    assert (cfg.mode, cfg.temperature, cfg.alpha) == ("sequence", 1.0, 0.5)
    assert DistillConfig(mode="both", temperature=2.0, alpha=0.9).alpha == 0.9


def test_packing_refuses_padding_free_false_which_trl_overrides() -> None:
    # TRL's bfd packing turns padding-free on whatever padding_free says (SFTTrainer: padding_free or packing), and the
    # stage recorded padding_free: true: the recipe's `padding_free: false` was dropped without a word
    with pytest.raises(RecipeError) as error:
        parse_recipe({"sft": {"packing": True, "padding_free": False}})
    message = str(error.value)
    assert "padding_free: false" in message and "packing: false" in message
    assert parse_recipe({"sft": {"packing": True}}).sft.padding_free is True
    assert parse_recipe({"sft": {"packing": False, "padding_free": False}}).sft.padding_free is False


@pytest.mark.parametrize("section", ["sft", "rl", "distill"])
@pytest.mark.parametrize("alone", ["none", "all"])
def test_report_to_none_or_all_beside_a_tracker_is_refused(section: str, alone: str) -> None:
    # transformers reads "none" and "all" only as the whole list: beside a tracker they validated here and the
    # Trainer's constructor raised "none is not supported", after the model had loaded (and the baseline eval ran)
    with pytest.raises(RecipeError) as error:
        parse_recipe({section: {"report_to": [alone, "tensorboard"]}})
    message = str(error.value)
    assert f"{section}.report_to" in message and f"[{alone}]" in message
    assert parse_recipe({section: {"report_to": [alone]}}).model_dump()[section]["report_to"] == [alone]


def test_a_runs_resolved_recipe_validates_when_read_back():
    """A recipe with the default task mix at a smoke test's few prompts passed, but its resolved copy (the run folder's
    recipe.yaml, which writes the default tasks out) was refused: "tasks chain_sum get 0 of the 4 prompts"."""
    import yaml

    from safealign.config.recipe import Recipe

    recipe = Recipe.model_validate({"rl": {"num_prompts": 4, "prompts_per_step": 2}})
    resolved = yaml.safe_load(yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False))
    assert Recipe.model_validate(resolved).rl.tasks == recipe.rl.tasks
    with pytest.raises(
        ValueError, match="chain_sum get 0 of the 4 prompts"
    ):  # a mix the recipe chose is still checked
        Recipe.model_validate(
            {"rl": {"num_prompts": 4, "prompts_per_step": 2, "tasks": {**recipe.rl.tasks, "safety": 0.3}}}
        )


def test_logit_distillation_refuses_an_alpha_it_ignores():
    """mode: logit trains on the KD loss alone (weight 1): an alpha of 0.3 was accepted and dropped without a word."""
    with pytest.raises(ValueError, match="alpha: 0.3 would be ignored: mode: logit"):
        DistillConfig(mode="logit", alpha=0.3)
    assert DistillConfig(mode="logit").alpha == 0.5 and DistillConfig(mode="both", alpha=0.3).alpha == 0.3
