"""`model.trust_remote_code` and `--trust-remote-code`: a model folder whose config.json asks for its own code (auto_map)
loads only when allowed, and the recipe field reaches every stage's load (it was validated, and used by none)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from pipeline_spy import run_spied_pipeline
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.config import DistillConfig, EvalConfig, RLConfig, SampleConfig, SFTConfig, parse_recipe
from safealign.errors import ModelNotFoundError

# One file: transformers runs it from its modules cache without importing a package of it.
MODELING = """from transformers import LlamaConfig, LlamaForCausalLM


class CustomConfig(LlamaConfig):
    model_type = "custom_llama"


class CustomForCausalLM(LlamaForCausalLM):
    config_class = CustomConfig
"""


@pytest.fixture()
def modules_cache(tmp_path, monkeypatch) -> Path:
    """transformers copies a folder's code into its modules cache (~/.cache/huggingface/modules): here, a test's own."""
    import transformers.dynamic_module_utils as dynamic

    cache = tmp_path / "hf_modules"
    monkeypatch.setattr(dynamic, "HF_MODULES_CACHE", str(cache))
    return cache


@pytest.fixture()
def custom_code_model(tiny, tmp_path, modules_cache) -> Path:
    """The tiny model saved as a folder whose config.json builds it from the folder's own modeling_custom.py."""
    folder = tmp_path / "custom_model"
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    (folder / "modeling_custom.py").write_text(MODELING)
    config = json.loads((folder / "config.json").read_text())
    config |= {
        "model_type": "custom_llama",
        "architectures": ["CustomForCausalLM"],
        "auto_map": {
            "AutoConfig": "modeling_custom.CustomConfig",
            "AutoModelForCausalLM": "modeling_custom.CustomForCausalLM",
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


class Loaded(Exception):
    """A stage reached its load_model: what it was asked with is recorded."""


def recording(calls: list[dict]):
    def load_model(spec, *args, **kwargs):
        calls.append({"spec": spec, **kwargs})
        raise Loaded(spec)

    return load_model


def test_a_custom_code_folder_loads_only_when_allowed_and_the_refusal_names_both_ways(custom_code_model):
    from safealign.models import load_model

    with pytest.raises(ModelNotFoundError) as refused:
        load_model(str(custom_code_model))
    said = " ".join(str(refused.value).split())
    assert "custom code" in said
    assert "`model.trust_remote_code: true` in the recipe" in said and "--trust-remote-code" in said
    loaded = load_model(str(custom_code_model), trust_remote_code=True)
    assert type(loaded.model).__name__ == "CustomForCausalLM"


def _eval_only_recipe(tmp_path: Path, model: dict) -> dict:
    return {
        "name": "custom",
        "output_dir": str(tmp_path / "runs"),
        "precision": "fp32",
        "model": model,
        "eval": {"suites": ["format"], "limit": 1, "max_new_tokens": 4},
    }


def test_a_recipe_that_allows_custom_code_evaluates_a_custom_code_folder(
    custom_code_model, tmp_path, monkeypatch
):
    """`model: {name: FOLDER, trust_remote_code: true}` failed with the error that told the user to set it."""
    from safealign import pipeline

    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    refused = parse_recipe(_eval_only_recipe(tmp_path, {"name": str(custom_code_model)}))
    with pytest.raises(ModelNotFoundError, match="model.trust_remote_code: true"):
        pipeline.run_pipeline(refused, show_progress=False)
    shutil.rmtree(tmp_path / "runs")

    allowed = _eval_only_recipe(tmp_path, {"name": str(custom_code_model), "trust_remote_code": True})
    result = pipeline.run_pipeline(parse_recipe(allowed), show_progress=False)
    record = json.loads((result.run_dir / "eval" / "base" / "stage.json").read_text())
    assert record["parent"] == str(custom_code_model) and record["metrics"]["tokens"] > 0


def test_the_pipeline_gives_every_stage_the_recipe_trust_remote_code(tmp_path, monkeypatch):
    def read(name, args, kwargs):
        return kwargs.get("trust_remote_code")

    seen = run_spied_pipeline(monkeypatch, tmp_path, read, model={"trust_remote_code": True})
    assert seen == {"eval": [True] * 4, "sft": [True], "rl": [True], "sample": [True], "distill": [True]}


def test_the_compare_rl_only_arm_gets_the_recipe_trust_remote_code(tmp_path, monkeypatch):
    from safealign import compare

    seen: list = []

    def stage(*args, **kwargs):
        seen.append(kwargs.get("trust_remote_code"))
        return SimpleNamespace(model_path="rl_only/model")

    monkeypatch.setattr("safealign.pipeline.run_pipeline", lambda *args, **kwargs: None)
    monkeypatch.setattr("safealign.stages.rl.run_rl", stage)
    monkeypatch.setattr("safealign.stages.evaluate.run_eval_stage", stage)
    recipe = parse_recipe(
        {
            "name": "c",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny", "trust_remote_code": True},
            "sft": {"max_steps": 1},
            "rl": {"num_prompts": 4, "prompts_per_step": 2},
        }
    )
    compare._run_arms(recipe, None, show_progress=False)
    assert seen == [True, True]


def _memorisation_set(path: Path) -> Path:
    rows = [
        {
            "kind": "benign",
            "messages": [
                {"role": "user", "content": f"Say {i}."},
                {"role": "assistant", "content": f"I say {i}."},
            ],
        }
        for i in range(4)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_the_stage_commands_give_their_stage_the_recipe_trust_remote_code(tmp_path, monkeypatch):
    seen: dict[str, object] = {}

    def fake(name: str):
        def stage(*args, **kwargs):
            seen[name] = kwargs.get("trust_remote_code")
            return SimpleNamespace(model_path=tmp_path / name, record={"metrics": {}, "output": name})

        return stage

    for name in ("sft", "rl", "sample", "distill"):
        monkeypatch.setattr(f"safealign.stages.{name}.run_{name}", fake(name))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "name": "r",
                "output_dir": str(tmp_path / "runs"),
                "model": {"name": "tiny", "trust_remote_code": True},
            }
        )
    )
    traces = _memorisation_set(tmp_path / "traces.jsonl")
    for argv in (
        ["sft", str(recipe)],
        ["rl", str(recipe), "--model", "tiny"],
        ["sample", str(recipe), "--teacher", "tiny"],
        ["distill", str(recipe), "--teacher", "tiny", "--traces", str(traces)],
    ):
        result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
    assert seen == {"sft": True, "rl": True, "sample": True, "distill": True}


def test_every_stage_loads_its_model_with_trust_remote_code(tmp_path, monkeypatch, tiny):
    """Each stage's own load_model call (monkeypatched where the stage imports it) is asked with the flag."""
    from safealign.stages import distill, evaluate, rl, sample, sft

    calls: list[dict] = []
    for module in (evaluate, sft, rl, sample, distill):
        monkeypatch.setattr(module, "load_model", recording(calls))
    data = _memorisation_set(tmp_path / "mem.jsonl")
    with pytest.raises(Loaded):
        evaluate.run_eval_stage(
            EvalConfig(suites=["format"], limit=1), "tiny", tmp_path / "eval", trust_remote_code=True
        )
    with pytest.raises(Loaded):
        sft.run_sft(
            SFTConfig(datasets={str(data): 1.0}, max_steps=1),
            "tiny",
            tmp_path / "sft",
            trust_remote_code=True,
        )
    with pytest.raises(Loaded):
        rl.run_rl(
            RLConfig(num_prompts=4, prompts_per_step=2), "tiny", tmp_path / "rl", trust_remote_code=True
        )
    with pytest.raises(Loaded):
        sample.run_sample(
            SampleConfig(num_prompts=1, k=1), "tiny", tmp_path / "sample", trust_remote_code=True
        )
    with pytest.raises(Loaded):  # the teacher
        distill.run_distill(
            DistillConfig(student="tiny:1", max_steps=1),
            "tiny",
            data,
            tmp_path / "distill",
            trust_remote_code=True,
        )
    with pytest.raises(Loaded):  # a student given as a model spec
        distill.build_student(DistillConfig(student="tiny:1"), tiny, [], trust_remote_code=True)
    with pytest.raises(Loaded):  # the speed check's load of the saved student
        distill.generation_speed(
            DistillConfig(student="tiny:1"), tiny, tmp_path / "student", ["Hi"], trust_remote_code=True
        )
    assert [call["spec"] for call in calls] == ["tiny"] * 5 + ["tiny:1", str(tmp_path / "student")]
    assert all(call["trust_remote_code"] is True for call in calls), calls
    # TRL's vLLM engine builds its own copy of the policy from its folder
    assert rl.trl_grpo_config(
        RLConfig(), tmp_path / "rl", 0, "fp32", trust_remote_code=True
    ).trust_remote_code


def test_eval_trust_remote_code_flag_loads_a_custom_code_folder(custom_code_model, tmp_path):
    base = ["eval", str(custom_code_model), "--suites", "format", "--limit", "1", "--max-new-tokens", "2"]
    refused = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "refused")], env={"COLUMNS": "300"})
    said = " ".join(refused.output.split())
    assert refused.exit_code != 0 and "--trust-remote-code" in said, refused.output
    allowed = CliRunner().invoke(
        app, [*base, "--out", str(tmp_path / "allowed"), "--trust-remote-code"], env={"COLUMNS": "300"}
    )
    assert allowed.exit_code == 0, allowed.output
    assert (tmp_path / "allowed" / "summary.json").is_file()


def test_eval_refuses_trust_remote_code_with_an_endpoint(tmp_path):
    argv = [
        "eval",
        "m",
        "--endpoint",
        "http://127.0.0.1:9",
        "--trust-remote-code",
        "--out",
        str(tmp_path / "e"),
    ]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "give the flag to the server" in " ".join(result.output.split()), (
        result.output
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "tiny", "--prompt", "hi"],
        ["serve", "tiny"],
        ["probe", "tiny"],
    ],
    ids=["generate", "serve", "probe"],
)
@pytest.mark.parametrize("flag", [True, False], ids=["flag", "no-flag"])
def test_the_trust_remote_code_flag_reaches_load_model(argv, flag, tmp_path, monkeypatch):
    import safealign.models

    calls: list[dict] = []
    monkeypatch.setattr(safealign.models, "load_model", recording(calls))
    monkeypatch.setattr("safealign.cli.serve_cmd.check_can_listen", lambda host, port: None)
    out = ["--out", str(tmp_path / "probe.json")] if argv[0] == "probe" else []
    CliRunner().invoke(app, [*argv, *out, *(["--trust-remote-code"] if flag else [])], env={"COLUMNS": "300"})
    assert [call.get("trust_remote_code") for call in calls] == [flag]
