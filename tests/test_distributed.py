"""Two processes under `accelerate launch` on CPU (gloo): SFT and GRPO with gates end identical on both
ranks, the gates take one decision everywhere, and the run's files are written once. Plus the
launch checks (vLLM without a GPU, gates under DeepSpeed/FSDP) and rank-aware logging."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from launching import LAUNCH_CONFIG, ROOT, free_port

from safealign.distributed import (
    check_stage_launch,
    is_main_process,
    main_process_value,
    require_gpu_for_vllm,
    setup_rank_logging,
    wait_for_everyone,
)
from safealign.errors import SafealignError


def write_memorisation_set(path: Path, n: int = 6) -> Path:
    rows = [
        {
            "id": f"m{i}",
            "kind": "benign",
            "messages": [
                {"role": "user", "content": f"Say the code word number {i}."},
                {"role": "assistant", "content": f"The code word is banana {i}."},
            ],
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory, tiny) -> tuple[Path, str]:
    """Launch the driver once (about 40 s on 2 cores); the tests below read what it left.

    ``tiny`` makes sure the tokenizer folder exists before two ranks would race to create it.
    """
    out = tmp_path_factory.mktemp("two-ranks")
    data = write_memorisation_set(out / "mem.jsonl")
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(LAUNCH_CONFIG),
        "--main_process_port",
        str(free_port()),
        str(ROOT / "tests" / "distributed_driver.py"),
        "--out",
        str(out),
        "--data",
        str(data),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    try:
        done = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as error:  # a rank waiting for another that took a different path
        pytest.fail(
            f"2-process run hung for {error.timeout}s (ranks out of step?)\n{(error.stderr or b'')[-3000:]!s}"
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    return out, output


def rank_reports(out: Path) -> list[dict]:
    return [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


def saved_weights_sha256(folder: Path) -> str:
    from distributed_driver import weights_sha256
    from transformers import AutoModelForCausalLM

    return weights_sha256(AutoModelForCausalLM.from_pretrained(folder))


def test_two_ranks_train_in_one_world_and_end_identical(two_rank_run):
    out, _ = two_rank_run
    rank0, rank1 = rank_reports(out)
    assert (rank0["rank"], rank1["rank"]) == (0, 1) and rank0["num_processes"] == rank1["num_processes"] == 2
    for stage in ("sft", "rl"):
        assert rank0[stage]["world_size"] == rank1[stage]["world_size"] == 2, stage
        assert rank0[stage]["end_sha256"] == rank1[stage]["end_sha256"], (
            f"{stage}: ranks ended with different weights"
        )
        assert rank0[stage]["end_sha256"] != rank0[stage]["start_sha256"], f"{stage}: nothing was trained"
        assert rank0[stage]["steps"] == rank1[stage]["steps"] == 6
        # What rank 0 saved is what every rank trained.
        assert saved_weights_sha256(out / stage / "model") == rank0[stage]["end_sha256"], stage


def test_gates_take_rank_zeros_decision_on_every_rank(two_rank_run):
    out, _ = two_rank_run
    rank0, rank1 = rank_reports(out)
    actions = [e["action"] for e in rank0["gate_events"]]
    assert actions == ["baseline", "pass", "rollback+lower_lr", "pass"], rank0["gate_events"]
    # Rank 1's own measurement never reports a breach; it rolled back at step 4 because rank 0 did.
    assert rank1["gate_events"] == rank0["gate_events"]
    assert (
        rank1["gate_events"][2]["metrics"]["refusal"] == 0.5
        and rank1["gate_events"][2]["rolled_back_to"] == 2
    )
    assert len(rank0["gate_evaluate_calls"]) == 4
    lrs = [
        json.loads(line).get("learning_rate")
        for line in (out / "rl" / "metrics.jsonl").read_text().splitlines()
    ]
    assert 0.0005 in lrs, "lower_lr halved the learning rate after the rollback"


def test_run_files_are_written_once_by_the_main_process(two_rank_run):
    out, output = two_rank_run
    for stage in ("sft", "rl"):
        record = json.loads((out / stage / "stage.json").read_text())
        assert record["metrics"]["steps"] == 6
        assert not (out / stage / "model.tmp").exists()
        leftovers = [p.name for p in (out / stage).iterdir() if ".tmp" in p.name]
        assert not leftovers, leftovers
    assert {p.name for p in (out / "sft").glob("checkpoint-*")} == {"checkpoint-4", "checkpoint-6"}
    assert (out / "rl" / "reference_model" / "config.json").is_file()
    assert len((out / "rl" / "gates.jsonl").read_text().splitlines()) == 4
    assert json.loads((out / "rl" / "stage.json").read_text())["metrics"]["rollbacks"] == 1
    # Rank-aware logging: INFO once (rank 0); a gate breach, decided alike on every rank, is warned by rank 0 alone
    # (06a2821: rank 1 said it too, "[rank 1] gate breach at step 4").
    assert output.count("sft: 6 rows") == 1, output[-3000:]
    assert output.count("gate breach at step 4") == 1, output[-3000:]
    assert "[rank 1] gate breach" not in output


def test_a_stage_counts_every_rank_of_its_launch_as_its_own_cpu_time(two_rank_run):
    """Rank 0 records the stage, and counted only its own CPU time: rank 1's training showed as other processes
    (80% of the CPU time), so a launch alone on the machine was reported as sharing it."""
    out, _ = two_rank_run
    rank0, rank1 = (report["sft_cpu"] for report in rank_reports(out))
    assert rank0["launch_s"] >= 0.9 * (rank0["own_s"] + rank1["own_s"]), (rank0, rank1)


def test_safealign_sft_cli_runs_unchanged_under_accelerate_launch(tmp_path, tiny):
    """The user's command, not a driver: `accelerate launch ... -m safealign.cli.main sft RECIPE`."""
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(
        json.dumps(
            {
                "name": "cli",
                "output_dir": str(tmp_path / "runs"),
                "precision": "fp32",
                "model": {"name": "tiny"},
                "sft": {
                    "datasets": {str(data): 1.0},
                    "method": "full",
                    "learning_rate": 3e-2,
                    "max_steps": 4,
                    "batch_size": 3,
                    "save_steps": 2,
                    "logging_steps": 1,
                    "warmup_ratio": 0.0,
                    "lr_scheduler": "constant",
                    "max_length": 64,
                },
            }
        )
    )  # JSON is YAML
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(LAUNCH_CONFIG),
        "--main_process_port",
        str(free_port()),
        "-m",
        "safealign.cli.main",
        "sft",
        str(recipe),
    ]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    assert json.loads((tmp_path / "runs" / "cli" / "sft" / "stage.json").read_text())["metrics"]["steps"] == 4
    assert output.count("sft: 6 rows") == 1, "INFO from rank 0 only"
    assert output.count("┃ metric") == 1, "the stage table from rank 0 only"


def test_single_process_helpers_are_no_ops():
    assert is_main_process()
    wait_for_everyone()
    assert main_process_value({"a": 1}) == {"a": 1}


def test_vllm_without_a_gpu_fails_with_the_fix(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SafealignError, match="rl.use_vllm: false"):
        require_gpu_for_vllm()
    with pytest.raises(SafealignError, match="no CUDA GPU"):
        check_stage_launch("full", use_vllm=True)


def test_vllm_missing_on_a_gpu_machine_names_the_extra(monkeypatch):
    import importlib.util

    import torch

    real = importlib.util.find_spec
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a, **k: None if name == "vllm" else real(name, *a, **k)
    )
    with pytest.raises(SafealignError, match=r"safealign\[gpu\]"):
        require_gpu_for_vllm()


@pytest.mark.parametrize(
    ("env", "method", "gates", "fails"),
    [
        ({}, "lora", True, None),
        (
            {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2"},
            "full",
            True,
            "rl.gates need DDP",
        ),
        ({"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2"}, "lora", False, None),
        ({"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3"}, "full", False, None),
        (
            {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3"},
            "lora",
            False,
            "method: lora",
        ),
        ({"ACCELERATE_USE_FSDP": "true"}, "full", True, "rl.gates need DDP"),
        ({"ACCELERATE_USE_FSDP": "true"}, "lora", False, "method: lora"),
    ],
)
def test_launch_checks_refuse_what_the_stage_cannot_honour(monkeypatch, env, method, gates, fails):
    for name in ("ACCELERATE_USE_DEEPSPEED", "ACCELERATE_DEEPSPEED_ZERO_STAGE", "ACCELERATE_USE_FSDP"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if fails:
        with pytest.raises(SafealignError, match=fails):
            check_stage_launch(method, gates_enabled=gates)
    else:
        check_stage_launch(method, gates_enabled=gates)


def test_rank_logging_quiets_other_ranks(monkeypatch):
    logger = logging.getLogger("safealign.test_rank_logging")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler())
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    setup_rank_logging(logger)
    assert logger.level == logging.WARNING
    assert logger.handlers[0].formatter.format(logging.makeLogRecord({"msg": "hi"})) == "[rank 3] hi"
    quiet = logging.getLogger("safealign.test_rank_logging.zero")
    quiet.setLevel(logging.INFO)
    monkeypatch.setenv("RANK", "0")
    setup_rank_logging(quiet)
    assert quiet.level == logging.INFO


def test_distill_refuses_lora_under_zero3_before_anything_loads(monkeypatch, tmp_path):
    from safealign.config import DistillConfig
    from safealign.stages.distill import run_distill

    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "3")
    with pytest.raises(SafealignError, match="method: lora cannot be merged into zero3-sharded weights"):
        run_distill(
            DistillConfig(method="lora", student="tiny:1", max_steps=1),
            "tiny",
            tmp_path / "no-traces.jsonl",
            tmp_path / "distill",
        )
    assert not (tmp_path / "distill").exists()


def test_distill_run_files_are_written_by_the_main_process_only(monkeypatch, tmp_path):
    """A rank other than 0 reads the traces but writes nothing of the run's (rank 0 does; see the SFT and RL stages)."""
    import safealign.stages.distill as distill
    from safealign.config import DistillConfig

    traces = write_memorisation_set(tmp_path / "traces.jsonl")

    def stop(*args, **kwargs):
        raise RuntimeError("stopped before the teacher loads")

    monkeypatch.setattr(distill, "is_main_process", lambda: False)
    monkeypatch.setattr(distill, "load_model", stop)
    with pytest.raises(RuntimeError, match="stopped before the teacher loads"):
        distill.run_distill(
            DistillConfig(student="tiny:1", max_steps=1), "tiny", traces, tmp_path / "distill"
        )
    written = (
        sorted(p.name for p in (tmp_path / "distill").iterdir()) if (tmp_path / "distill").exists() else []
    )
    assert written == [], written


# Run by each of two ranks (torchrun, gloo): FSDP2-style parameters (DTensors sharded on dim 0), a NaN in rank 1's
# shard only, through the NaN guard's weight check.
SHARDED_NAN_SCRIPT = """
import json, sys
import torch, torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Shard, distribute_tensor
from transformers import TrainerControl, TrainerState
from safealign.training.callbacks import NanGuardCallback

dist.init_process_group("gloo")
mesh = init_device_mesh("cpu", (2,))
model = torch.nn.Module()
model.first = torch.nn.Parameter(distribute_tensor(torch.zeros(4, 3), mesh, [Shard(0)]))
model.second = torch.nn.Parameter(distribute_tensor(torch.zeros(6), mesh, [Shard(0)]))
if dist.get_rank() == 1:
    model.second.data.to_local()[0] = float("nan")
guard, control = NanGuardCallback(), TrainerControl(should_save=True)
guard._check_weights(TrainerState(global_step=3), control, model)
report = {"bad_step": guard.bad_step, "bad_value": guard.bad_value, "should_save": control.should_save}
with open(f"{sys.argv[1]}/rank{dist.get_rank()}.json", "w") as handle:
    json.dump(report, handle)
dist.destroy_process_group()
"""


def test_the_nan_guard_sees_a_nan_in_any_ranks_shard_of_fsdp2_weights(tmp_path):
    """FSDP2's parameters are DTensors: the weight check raised ``.tolist() is not supported for tensor subclasses``
    at the first save, so no FSDP run could finish; a NaN in one rank's shard must stop every rank alike."""
    script = tmp_path / "sharded_nan.py"
    script.write_text(SHARDED_NAN_SCRIPT)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(free_port()),
        str(script),
        str(tmp_path),
    ]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    for rank in (0, 1):
        report = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert report == {
            "bad_step": 3,
            "bad_value": "non-finite weights (1 tensors, e.g. second)",
            "should_save": False,
        }, rank
