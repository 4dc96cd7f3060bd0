"""The GPU recipes and accelerate launcher configs are valid for the installed TRL and accelerate.

Nothing here needs a GPU: the recipes are validated and turned into TRL configs on CPU, and the
launcher configs go through accelerate's own parsing up to the environment it would hand each
process. A key that a newer TRL/accelerate renamed or dropped fails here, not on the cluster.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.machinery
import importlib.util
import inspect
import json
import os
from pathlib import Path

import pytest
import yaml

from safealign.config import load_recipe
from safealign.distributed import check_stage_launch, sharded_training
from safealign.errors import SafealignError

ROOT = Path(__file__).resolve().parents[1]
GPU_RECIPES = sorted((ROOT / "recipes" / "gpu").glob("*.yaml"))
LAUNCH_CONFIGS = {p.stem: p for p in (ROOT / "recipes" / "accelerate").glob("*.yaml")}


@pytest.fixture()
def vllm_installed(monkeypatch):
    """Recipe validation asks whether vLLM is importable; on this CPU machine it is not (the gpu extra)."""
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return importlib.machinery.ModuleSpec("vllm", None) if name == "vllm" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_both_gpu_recipes_exist():
    assert {p.name for p in GPU_RECIPES} == {
        "qwen2.5-1.5b-instruct.yaml",
        "deepseek-r1-distill-qwen-1.5b.yaml",
    }
    assert set(LAUNCH_CONFIGS) == {"ddp", "zero2", "zero3", "fsdp", "cpu_2proc"}


@pytest.mark.parametrize("path", GPU_RECIPES, ids=lambda p: p.stem)
def test_gpu_recipe_validates(path, vllm_installed):
    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.tasks import valid_families

    recipe = load_recipe(path)
    assert recipe.model.name.startswith("/models/"), "GPU recipes load a local folder"
    assert recipe.precision == "bf16"
    assert recipe.rl.use_vllm and recipe.rl.vllm_mode == "colocate"
    assert recipe.rl.gates.enabled and recipe.rl.beta > 0
    unknown = set(recipe.rl.tasks) - set(valid_families()) - {"safety"}
    assert not unknown, f"rl.tasks not known to the prompt builder: {unknown}"
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def _call_keywords(function, callee: str) -> set[str]:
    """Keyword names that ``function`` passes to ``callee(...)``, plus keys of dict literals it splats in."""
    tree = ast.parse(inspect.getsource(function))
    names: set[str] = set()
    splatted: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == callee:
            for keyword in node.keywords:
                if keyword.arg is not None:
                    names.add(keyword.arg)
                elif isinstance(keyword.value, ast.Name):
                    splatted.add(keyword.value.id)
    for node in ast.walk(tree):  # e.g. vllm = {"use_vllm": True, ...} if ... else {}
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in splatted
        ):
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Dict):
                    names |= {k.value for k in sub.keys if isinstance(k, ast.Constant)}
    return names


def test_every_key_we_forward_is_a_trl_field():
    """Read from the source, so keys on paths the recipes don't take (vLLM off, fp32) are checked too."""
    from trl import GRPOConfig, SFTConfig

    from safealign.stages.rl import trl_grpo_config
    from safealign.stages.sft import trl_sft_config
    from safealign.training.common import precision_args

    precision_keys = set(precision_args("fp32"))
    for function, callee, trl_class in (
        (trl_sft_config, "TRLSFTConfig", SFTConfig),
        (trl_grpo_config, "GRPOConfig", GRPOConfig),
    ):
        fields = {f.name for f in dataclasses.fields(trl_class)}
        forwarded = _call_keywords(function, callee) | precision_keys
        assert len(forwarded) > 10, forwarded
        assert forwarded <= fields, f"{trl_class.__name__} has no field(s) {sorted(forwarded - fields)}"
    assert {"use_vllm", "vllm_mode"} <= _call_keywords(trl_grpo_config, "GRPOConfig")


@pytest.mark.parametrize("path", GPU_RECIPES, ids=lambda p: p.stem)
def test_gpu_recipe_builds_trl_configs_with_its_values(path, vllm_installed, tmp_path):
    from safealign.stages.rl import trl_grpo_config
    from safealign.stages.sft import trl_sft_config

    recipe = load_recipe(path)
    sft = trl_sft_config(recipe.sft, tmp_path / "sft", recipe.seed, recipe.precision)
    assert sft.bf16 and sft.per_device_train_batch_size == recipe.sft.batch_size
    assert sft.max_length == recipe.sft.max_length and sft.learning_rate == recipe.sft.learning_rate
    assert sft.gradient_checkpointing, "TRL's default; 1.5B activations at 1-2k tokens need it"

    rl, grpo = recipe.rl, trl_grpo_config(recipe.rl, tmp_path / "rl", recipe.seed, recipe.precision)
    assert grpo.use_vllm and grpo.vllm_mode == rl.vllm_mode
    assert grpo.bf16 and grpo.gradient_checkpointing
    assert (
        grpo.num_generations == rl.num_generations and grpo.max_completion_length == rl.max_completion_length
    )
    assert grpo.beta == rl.beta and grpo.loss_type == rl.loss_type and grpo.temperature == rl.temperature
    assert grpo.per_device_train_batch_size == rl.prompts_per_step * rl.num_generations
    # On 8 GPUs every GRPO group must fit in the global batch: TRL checks divisibility at trainer start.
    assert (grpo.per_device_train_batch_size * 8) % grpo.num_generations == 0
    assert rl.num_prompts >= rl.max_steps * rl.prompts_per_step * 8, (
        "a prompt pool shorter than the run repeats prompts"
    )


def _launch_env(name: str | Path) -> dict[str, str]:
    """What ``accelerate launch --config_file NAME.yaml`` (or a config file's path) would put in each process's
    environment."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_deepspeed_cmd_env, prepare_multi_gpu_env

    path = name if isinstance(name, Path) else LAUNCH_CONFIGS[name]
    args = launch_command_parser().parse_args(["--config_file", str(path), "train.py"])
    args, defaults, _ = _validate_launch_command(args)
    if args.use_deepspeed:
        args.deepspeed_fields_from_accelerate_config = ",".join(defaults.deepspeed_config)
        return prepare_deepspeed_cmd_env(args)[1]
    assert args.multi_gpu or args.use_fsdp, f"{name} would start one process (simple launcher)"
    return prepare_multi_gpu_env(args)


@pytest.mark.parametrize("name", sorted(LAUNCH_CONFIGS))
def test_launch_config_keys_exist_in_accelerate(name):
    from accelerate.commands.config.config_args import ClusterConfig
    from accelerate.commands.launch import launch_command_parser
    from accelerate.utils import DeepSpeedPlugin

    path = LAUNCH_CONFIGS[name]
    data = yaml.safe_load(path.read_text())
    cluster = ClusterConfig.from_yaml_file(
        path
    )  # raises on keys ClusterConfig lacks, and on a bad distributed_type
    assert set(data) <= {f.name for f in dataclasses.fields(ClusterConfig)}
    # Plugin keys become `accelerate launch` options (fsdp_config.x -> --fsdp_x); accelerate copies
    # unknown ones onto its arguments without a word, so check them against the parser.
    options = {action.dest for action in launch_command_parser()._actions}
    for key in data.get("deepspeed_config", {}):
        assert key in options, f"{name}: deepspeed_config.{key} is not an accelerate launch option"
        launcher_only = key.startswith("deepspeed_")
        assert launcher_only or key in DeepSpeedPlugin.__dataclass_fields__, (
            f"{name}: {key} is not a DeepSpeedPlugin field"
        )
    for key in data.get("fsdp_config", {}):
        assert (key if key.startswith("fsdp") else f"fsdp_{key}") in options, (
            f"{name}: fsdp_config.{key} unknown"
        )
    assert cluster.mixed_precision == "no", f"{name}: the recipe's precision: decides (see precision_args)"
    if name == "cpu_2proc":
        assert cluster.num_processes == 2
    else:
        assert (cluster.num_machines, cluster.num_processes) == (1, 8)


@pytest.mark.parametrize(
    ("name", "backend", "env_expected"),
    [
        ("ddp", None, {"ACCELERATE_MIXED_PRECISION": "no"}),
        ("cpu_2proc", None, {"ACCELERATE_MIXED_PRECISION": "no"}),
        ("zero2", "deepspeed", {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2"}),
        (
            "zero3",
            "zero3",
            {"ACCELERATE_DEEPSPEED_ZERO_STAGE": "3", "ACCELERATE_DEEPSPEED_ZERO3_SAVE_16BIT_MODEL": "true"},
        ),
        (
            "fsdp",
            "fsdp",
            {"ACCELERATE_USE_FSDP": "true", "FSDP_VERSION": "2", "FSDP_STATE_DICT_TYPE": "FULL_STATE_DICT"},
        ),
    ],
)
def test_launch_env_is_what_the_stage_checks_read(name, backend, env_expected, monkeypatch):
    env = _launch_env(name)
    assert {k: env.get(k) for k in env_expected} == env_expected
    for key in [k for k in os.environ if k.startswith(("ACCELERATE_", "FSDP_"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith(("ACCELERATE_", "FSDP_")):
            monkeypatch.setenv(key, value)
    assert sharded_training() == backend
    if name == "fsdp":
        from accelerate.utils import FullyShardedDataParallelPlugin

        plugin = FullyShardedDataParallelPlugin()  # reads the FSDP_* variables the launcher set
        assert plugin.fsdp_version == 2 and plugin.reshard_after_forward is True
    if backend is None:
        check_stage_launch("lora", gates_enabled=True)
    else:
        with pytest.raises(SafealignError, match="gates need DDP"):
            check_stage_launch("full", gates_enabled=True)


def _use_launch_env(monkeypatch, env: dict[str, str]) -> None:
    """This process's environment as the launcher would set it up (accelerate's and FSDP's variables only)."""
    for key in [k for k in os.environ if k.startswith(("ACCELERATE_", "FSDP_"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith(("ACCELERATE_", "FSDP_")):
            monkeypatch.setenv(key, value)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize(
    "launcher", [*sorted(LAUNCH_CONFIGS), "a user's bf16 config", "a user's fp16 config"]
)
def test_the_recipe_precision_decides_under_every_launcher(
    launcher, precision, vllm_installed, monkeypatch, tmp_path
):
    """A launcher's mixed_precision: bf16 made an fp32 recipe train in bf16 (transformers takes
    ACCELERATE_MIXED_PRECISION when bf16 is off) while stage.json recorded fp32."""
    from safealign.stages.rl import trl_grpo_config
    from safealign.stages.sft import trl_sft_config

    if launcher in LAUNCH_CONFIGS:
        env = _launch_env(launcher)
        # building DeepSpeed's plugin needs deepspeed (the gpu extra), not installed here
        if env.get("ACCELERATE_USE_DEEPSPEED") == "true":
            env = {"ACCELERATE_MIXED_PRECISION": env["ACCELERATE_MIXED_PRECISION"]}
    else:
        env = {"ACCELERATE_MIXED_PRECISION": launcher.split()[2]}
    _use_launch_env(monkeypatch, env)
    recipe = load_recipe(GPU_RECIPES[0])
    sft = trl_sft_config(recipe.sft, tmp_path / "sft", recipe.seed, precision)
    grpo = trl_grpo_config(
        recipe.rl.model_copy(update={"use_vllm": False}), tmp_path / "rl", recipe.seed, precision
    )
    expected = "bf16" if precision == "bf16" else "no"
    assert (sft.mixed_precision, grpo.mixed_precision) == (expected, expected)
    assert sft.bf16 == grpo.bf16 == (precision == "bf16"), "what stage.json records"


def test_a_launcher_precision_the_recipe_overrides_is_named_in_a_warning(monkeypatch, caplog):
    from safealign.training.common import precision_args

    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    with caplog.at_level("WARNING", logger="safealign.training.common"):
        assert precision_args("fp32")["bf16"] is False
    assert os.environ["ACCELERATE_MIXED_PRECISION"] == "no"
    assert "mixed_precision: bf16 (ACCELERATE_MIXED_PRECISION) is overridden" in caplog.text
    caplog.clear()
    # the shipped launchers: the recipe decides, no warning
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "no")
    with caplog.at_level("WARNING", logger="safealign.training.common"):
        precision_args("fp32")
    assert caplog.text == ""


def _deepspeed_file_launcher(tmp_path: Path, stage: int) -> Path:
    """A launcher config whose ZeRO stage is in a DeepSpeed JSON file (accelerate's deepspeed_config_file)."""
    ds_file = tmp_path / f"ds_zero{stage}.json"
    ds_file.write_text(
        json.dumps(
            {
                "zero_optimization": {"stage": stage},
                "bf16": {"enabled": "auto"},
                "train_micro_batch_size_per_gpu": "auto",
                "gradient_accumulation_steps": "auto",
            }
        )
    )
    # mixed precision is the file's bf16 section
    launcher = {
        key: value
        for key, value in yaml.safe_load(LAUNCH_CONFIGS["zero3"].read_text()).items()
        if key not in ("mixed_precision", "downcast_bf16")
    }
    launcher["deepspeed_config"] = {
        "deepspeed_config_file": str(ds_file),
        "zero3_init_flag": False,
        "deepspeed_multinode_launcher": "standard",
    }
    path = tmp_path / f"zero{stage}_file.yaml"
    path.write_text(yaml.safe_dump(launcher))
    return path


@pytest.mark.parametrize(("stage", "backend"), [(2, "deepspeed"), (3, "zero3")])
def test_the_zero_stage_of_a_deepspeed_config_file_is_read(stage, backend, monkeypatch, tmp_path):
    """ZeRO-3 set in a DeepSpeed JSON file was taken for ZeRO-2 (only ACCELERATE_DEEPSPEED_ZERO_STAGE was read), so
    LoRA was not refused where its merge meets sharded weights."""
    env = _launch_env(_deepspeed_file_launcher(tmp_path, stage))
    assert "ACCELERATE_DEEPSPEED_ZERO_STAGE" not in env and env["ACCELERATE_DEEPSPEED_CONFIG_FILE"]
    _use_launch_env(monkeypatch, env)
    assert sharded_training() == backend
    if backend == "zero3":
        with pytest.raises(SafealignError, match="method: lora cannot be merged into zero3-sharded weights"):
            check_stage_launch("lora")
    else:
        check_stage_launch("lora")


@pytest.mark.parametrize("content", [None, "{not json", "[3]"], ids=["missing", "not-json", "not-an-object"])
def test_an_unreadable_deepspeed_config_file_fails_with_the_fix(content, monkeypatch, tmp_path):
    ds_file = tmp_path / "ds.json"
    if content is not None:
        ds_file.write_text(content)
    _use_launch_env(
        monkeypatch, {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_CONFIG_FILE": str(ds_file)}
    )
    with pytest.raises(
        SafealignError,
        match=r"cannot read the ZeRO stage from the DeepSpeed config file .*deepspeed_config_file",
    ):
        check_stage_launch("full")
