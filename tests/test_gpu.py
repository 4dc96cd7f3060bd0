"""The GPU paths on the tiny model: every stage trains or generates on CUDA, in bf16 where it trains.

Skipped where torch sees no GPU (CI, the CPU machines). On a GPU machine: ``pytest tests/test_gpu.py``.
The CPU suite runs the same stages; these tests pin what only a GPU shows: where each model lives
while it trains or generates, and that ``auto`` precision picks bf16 there.
"""

from __future__ import annotations

import json

import pytest
import torch
from test_distill import arithmetic_traces_and_teacher
from test_rl import base_config
from test_sft import config, losses, write_memorisation_set
from transformers import TrainerCallback

from safealign.config import DistillConfig, EvalConfig
from safealign.generation import GenerationEngine, SamplingParams
from safealign.models import generation_device, load_model
from safealign.runs import read_json
from safealign.stages.distill import run_distill
from safealign.stages.evaluate import run_eval_stage
from safealign.stages.rl import run_rl
from safealign.stages.sft import run_sft

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


class RecordPlacement(TrainerCallback):
    """Where the trained model's weights are at every step, and the precision the Trainer runs."""

    def __init__(self) -> None:
        self.devices: set[str] = set()
        self.bf16: bool | None = None

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        self.devices |= {p.device.type for p in model.parameters()}
        self.bf16 = args.bf16


def test_sft_trains_on_the_gpu_in_bf16(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    placement = RecordPlacement()
    run_sft(config(data), "tiny", tmp_path / "sft", precision="auto", callbacks=[placement])
    assert placement.devices == {"cuda"} and placement.bf16 is True
    logged = losses(tmp_path / "sft")
    assert logged[-1]["loss"] < 0.7 * logged[0]["loss"]
    stage = read_json(tmp_path / "sft" / "stage.json")
    assert stage["metrics"]["precision"] == "bf16" and stage["hardware"]["gpus"]


def test_grpo_trains_on_the_gpu_and_screens_there(tmp_path):
    placement = RecordPlacement()
    cfg = base_config(tasks={"basic_arithmetic": 1.0}, rewards={"accuracy": 1.0, "format": 0.5}, num_prompts=8,
                      difficulty_filter={"enabled": True, "samples": 2, "min_pass_rate": 0.0, "max_pass_rate": 1.0})
    run_rl(cfg, "tiny", tmp_path / "rl", precision="auto", callbacks=[placement])
    assert placement.devices == {"cuda"} and placement.bf16 is True
    stage = read_json(tmp_path / "rl" / "stage.json")
    assert stage["metrics"]["precision"] == "bf16" and stage["metrics"]["prompts_screened"] >= 8
    logs = [json.loads(line) for line in (tmp_path / "rl" / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert any("accuracy/flat_group_share" in row for row in logs)
    assert (tmp_path / "rl" / "model" / "model.safetensors").is_file()


def test_logit_distillation_moves_the_teacher_to_the_students_gpu(tmp_path):
    _, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    cfg = DistillConfig(student="prune:0.5", mode="logit", learning_rate=1e-2, max_steps=6, batch_size=4, save_steps=50)
    run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="auto")
    logged = [json.loads(line) for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines() if "kd_loss" in line]
    assert logged and all(row["kd_loss"] == row["kd_loss"] for row in logged)  # finite: no NaN from a device mix-up
    assert read_json(tmp_path / "distill" / "stage.json")["hardware"]["gpus"]


def test_generation_and_eval_run_on_the_gpu(tmp_path):
    assert generation_device() == "cuda"
    loaded = load_model("tiny", device=generation_device())
    engine = GenerationEngine(loaded.model, loaded.tokenizer, batch_size=4, precision="auto")
    assert engine.device.type == "cuda" and engine.precision == "bf16"
    greedy = SamplingParams(max_new_tokens=8)
    prompts = ["What is 2 + 2?", "Name a colour.", "Count to three.", "Say hello."]
    batched = [c.text for c in GenerationEngine(loaded.model, loaded.tokenizer, batch_size=4, precision="fp32").generate(prompts, greedy)]
    alone = [c.text for c in GenerationEngine(loaded.model, loaded.tokenizer, batch_size=1, precision="fp32").generate(prompts, greedy)]
    assert batched == alone  # left padding and the attention mask hold on the GPU kernels too
    result = run_eval_stage(EvalConfig(suites=["reasoning"], split="in_distribution", limit=4, max_new_tokens=8), "tiny", tmp_path / "eval",
                            show_progress=False)
    summary = json.loads(result.model_path.read_text())
    assert summary["suites"] and read_json(tmp_path / "eval" / "stage.json")["hardware"]["gpus"]
