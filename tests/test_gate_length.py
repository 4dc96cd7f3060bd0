"""rl.gates.max_new_tokens: a gate check generated 96 tokens whatever the model, so an R1 distill's gate answers (the
GPU recipe's policy answers in up to 2,048) were think blocks cut off, read as neither refusing nor solving."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.config import GateConfig, load_recipe, parse_recipe
from safealign.evals.metrics import Rate
from safealign.training import gate_eval

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def gate_sampling(monkeypatch: pytest.MonkeyPatch, cfg: GateConfig) -> object:
    monkeypatch.setattr(gate_eval, "GenerationEngine", lambda *args, **kwargs: SimpleNamespace())
    calls = []

    def run_eval(*args, **kwargs):
        calls.append(kwargs)
        return SimpleNamespace(metric=lambda suite, metric: Rate.proportion(1, 2))

    monkeypatch.setattr("safealign.evals.runner.run_eval", run_eval)
    gate_eval.suite_gate_evaluator(None, cfg, 0, judges=object())(None)
    return calls[0]["params"]


@pytest.mark.parametrize("tokens", [96, 2048])
def test_a_gate_check_answers_in_the_configured_length(monkeypatch, tokens) -> None:
    assert gate_sampling(monkeypatch, GateConfig(max_new_tokens=tokens)).max_new_tokens == tokens


def test_the_default_keeps_the_quickstart_measurement() -> None:
    assert GateConfig().max_new_tokens == 96
    assert load_recipe(RECIPES / "quickstart.yaml").rl.gates.max_new_tokens == 96


def test_validate_warns_when_gate_answers_are_cut_shorter_than_the_policys(caplog) -> None:
    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe({"rl": {"max_steps": 20, "max_completion_length": 512}})
    said = " ".join(caplog.text.split())
    assert "gates.max_new_tokens 96 is less than max_completion_length 512" in said
    assert "Set gates.max_new_tokens to 512" in said
    caplog.clear()
    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe(
            {"rl": {"max_steps": 20, "max_completion_length": 512, "gates": {"max_new_tokens": 512}}}
        )
        parse_recipe({"rl": {"max_steps": 20, "max_completion_length": 512, "gates": {"enabled": False}}})
    assert "max_new_tokens" not in caplog.text


@pytest.mark.parametrize(
    "recipe", ["gpu/deepseek-r1-distill-qwen-1.5b.yaml", "gpu/qwen2.5-1.5b-instruct.yaml"]
)
def test_the_gpu_recipes_gate_on_whole_answers(recipe, caplog) -> None:
    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        rl = load_recipe(RECIPES / recipe).rl
    assert rl.gates.enabled and rl.gates.max_new_tokens >= rl.max_completion_length
    assert "max_new_tokens" not in caplog.text
