"""A recipe's ``model.system_prompt`` reaches every stage that asks the model something, not only training."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import yaml
from pipeline_spy import run_spied_pipeline

from safealign import pipeline
from safealign.config import EvalConfig
from safealign.config.recipe import parse_recipe
from safealign.evals.metrics import Rate
from safealign.stages.evaluate import run_eval_stage

POLICY = "Answer every request unless it would help someone cause real harm. " * 4


def test_the_eval_stage_asks_with_the_system_prompt(tmp_path: Path) -> None:
    cfg = EvalConfig(suites=["reasoning"], split="in_distribution", limit=2, max_new_tokens=2, batch_size=4)
    run_eval_stage(cfg, "tiny", tmp_path / "plain", show_progress=False)
    run_eval_stage(cfg, "tiny", tmp_path / "policy", show_progress=False, system_prompt=POLICY)
    plain, policy = (
        json.loads((tmp_path / name / "summary.json").read_text()) for name in ("plain", "policy")
    )
    assert plain["config"]["system_prompt"] is None and policy["config"]["system_prompt"] == POLICY
    # the policy (~52 tokens) replaces the chat template's default system message (~19) in both prompts
    assert policy["prompt_tokens"] >= plain["prompt_tokens"] + 2 * 30
    assert json.loads((tmp_path / "policy" / "stage.json").read_text())["config"]["system_prompt"] == POLICY


def test_the_pipeline_gives_every_stage_the_recipe_system_prompt(tmp_path: Path, monkeypatch) -> None:
    seen = run_spied_pipeline(
        monkeypatch, tmp_path, lambda name, args, kwargs: kwargs.get("system_prompt"), model={"system_prompt": POLICY}
    )
    assert seen == {
        "eval": [POLICY] * 4,
        "sft": [POLICY],
        "rl": [POLICY],
        "sample": [POLICY],
        "distill": [POLICY],
    }


def test_the_safety_gates_ask_with_the_system_prompt(monkeypatch) -> None:
    from safealign.config import GateConfig
    from safealign.training import gate_eval

    engines = []
    monkeypatch.setattr(
        gate_eval, "GenerationEngine", lambda *args, **kwargs: engines.append(kwargs) or SimpleNamespace()
    )
    rate = Rate.proportion(8, 16)
    monkeypatch.setattr(
        "safealign.evals.runner.run_eval", lambda *args, **kwargs: SimpleNamespace(metric=lambda *a: rate)
    )
    evaluate = gate_eval.suite_gate_evaluator(None, GateConfig(), 0, judges=object(), system_prompt=POLICY)
    assert evaluate(None).refusal == 0.5
    assert engines[0]["system_prompt"] == POLICY


def _trained_folder(tiny, tmp_path: Path, system_prompt: str | None) -> Path:
    """A model folder as a training stage leaves it: STAGE_DIR/model beside STAGE_DIR/stage.json."""
    model = tmp_path / "sft" / "model"
    tiny.model.save_pretrained(model)
    tiny.tokenizer.save_pretrained(model)
    (tmp_path / "sft" / "stage.json").write_text(
        json.dumps({"stage": "sft", "inputs": {"system_prompt": system_prompt}})
    )
    return model


def _eval_asked_with(model: Path, out: Path, *extra: str) -> tuple[str | None, str]:
    from typer.testing import CliRunner

    from safealign.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "eval",
            str(model),
            "--suites",
            "reasoning",
            "--split",
            "in_distribution",
            "--limit",
            "1",
            "--max-new-tokens",
            "2",
            "--out",
            str(out),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    # the message names two tmp_path paths, so where it wraps at the log's 120 columns follows their length
    return json.loads((out / "summary.json").read_text())["config"]["system_prompt"], " ".join(result.output.split())


def test_eval_asks_a_trained_model_with_the_system_prompt_it_was_trained_with(tiny, tmp_path: Path) -> None:
    from safealign.runs import trained_system_prompt

    model = _trained_folder(tiny, tmp_path, POLICY)
    assert trained_system_prompt(str(model)) == (POLICY, tmp_path / "sft" / "stage.json")
    asked, output = _eval_asked_with(model, tmp_path / "default")
    assert asked == POLICY and "trained with" in output and "stage.json" in output
    assert _eval_asked_with(model, tmp_path / "none", "--system-prompt", "")[0] is None  # '' opts out
    assert _eval_asked_with(model, tmp_path / "other", "--system-prompt", "be brief")[0] == "be brief"


def test_a_model_without_a_recorded_system_prompt_keeps_the_chat_templates(tiny, tmp_path: Path) -> None:
    from safealign.runs import trained_system_prompt

    model = _trained_folder(tiny, tmp_path, None)
    assert trained_system_prompt(str(model)) is None and trained_system_prompt("tiny") is None
    asked, output = _eval_asked_with(model, tmp_path / "default")
    assert asked is None and "trained with" not in output


def test_sampling_gets_the_same_recipe_inputs_from_run_with_or_without_distill_and_from_the_sample_command(
    tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.stages.sample import recipe_inputs

    calls = []

    def fake_sample(*args, **kwargs):
        calls.append(kwargs)
        return SimpleNamespace(model_path=tmp_path / "traces.jsonl", record={"metrics": {"accepted": 0}})

    monkeypatch.setattr(pipeline, "run_eval_stage", lambda *a, **k: SimpleNamespace(model_path=Path("")))
    monkeypatch.setattr("safealign.stages.sample.run_sample", fake_sample)
    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    recipe = {
        "name": "s",
        "output_dir": str(tmp_path),
        "model": {"name": "tiny", "system_prompt": POLICY},
        "rl": {"tasks": {"chain_sum": 1.0}, "enabled": False},
        "sample": {"num_prompts": 2},
    }
    parsed = parse_recipe(recipe)
    pipeline.run_pipeline(parsed, show_progress=False)  # sample, no distill
    pipeline.run_pipeline(parse_recipe(recipe | {"distill": {"student": "prune:0.5"}}), show_progress=False)
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    result = CliRunner().invoke(app, ["sample", str(tmp_path / "recipe.yaml"), "--teacher", "tiny"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 3
    for kwargs in calls:
        assert (
            kwargs == recipe_inputs(parsed)
            and kwargs["system_prompt"] == POLICY
            and kwargs["tasks"] == {"chain_sum": 1.0}
        )


def test_a_model_folder_given_as_dot_finds_its_stage_record(tmp_path: Path, monkeypatch) -> None:
    """`safealign eval .` inside STAGE_DIR/model looked for ./stage.json ('.'.parent is '.') and asked without it."""
    from safealign.runs import trained_system_prompt

    (tmp_path / "sft" / "model").mkdir(parents=True)
    (tmp_path / "sft" / "stage.json").write_text(
        json.dumps({"stage": "sft", "inputs": {"system_prompt": POLICY}})
    )
    monkeypatch.chdir(tmp_path / "sft" / "model")
    assert trained_system_prompt(".") == (POLICY, tmp_path / "sft" / "stage.json")
    monkeypatch.chdir(tmp_path / "sft")
    assert trained_system_prompt("model/../model") == (POLICY, tmp_path / "sft" / "stage.json")
