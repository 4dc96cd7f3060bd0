"""The benchmark scripts compare like with like: both arms train the same weights, load a LoRA adapter as the
stages do, and the monitor load test counts all of the judge's CPU. Results go to a temporary folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from safealign.config import RLConfig
from safealign.stages.rl import run_rl

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture()
def benchmarks(monkeypatch, tmp_path):
    """Import benchmark scripts as modules, with ``benchmarks/results`` pointed at a temporary folder."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in (
        "_common",
        "generation",
        "grpo_throughput",
        "sft_throughput",
        "student_speed",
        "monitor_load",
    ):
        sys.modules.pop(name, None)
    import _common

    monkeypatch.setattr(_common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the scripts' work folders
    return tmp_path


class _Stop(Exception):
    """Raised by the patched ``train``: the trainable parameters are counted, no step need run."""


def test_grpo_arms_train_the_same_parameters_with_frozen_embeddings(benchmarks, monkeypatch):
    """Bare TRL trained the embeddings (792,656 parameters of tiny) where `run_rl` froze them (6,224)."""
    import grpo_throughput
    from trl import GRPOTrainer

    trainable: list[int] = []

    def train(self, *args, **kwargs):
        trainable.append(sum(p.numel() for p in self.model.parameters() if p.requires_grad))
        raise _Stop

    monkeypatch.setattr(GRPOTrainer, "train", train)
    cfg = RLConfig(
        tasks={"safety": 1.0},
        num_prompts=8,
        rewards={"repetition": 1.0},
        method="full",
        max_steps=1,
        prompts_per_step=2,
        num_generations=2,
        max_completion_length=8,
        gates={"enabled": False},
        beta=0.0,
        train_embeddings=False,
    )  # beta 0 (the quickstart's): no reference model
    with pytest.raises(_Stop):
        run_rl(cfg, "tiny", benchmarks / "ours", resume=False)
    with pytest.raises(_Stop):
        grpo_throughput.bare_trl(cfg, "tiny", benchmarks / "bare", 42, "auto")
    ours, bare = trainable
    assert ours == bare and 0 < ours < grpo_throughput.load_model("tiny").num_parameters


@pytest.fixture()
def tiny_adapter(tmp_path) -> Path:
    """A LoRA adapter on ``tiny`` with non-zero weights, saved with its tokenizer."""
    import torch
    from peft import LoraConfig, get_peft_model

    from safealign.models import load_model

    loaded = load_model("tiny")
    peft = get_peft_model(loaded.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "gate_proj"]))
    with torch.no_grad():
        for name, parameter in peft.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)
    folder = tmp_path / "adapter"
    peft.save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)
    return folder


def test_student_speed_finishes_on_a_lora_adapter(benchmarks, tiny_adapter, monkeypatch):
    """It loaded the adapter as a PeftModel, and failed after timing it (a PeftModel has no `.model.layers`)."""
    import student_speed

    monkeypatch.setattr(
        sys,
        "argv",
        [
            "student_speed.py",
            "--teacher",
            str(tiny_adapter),
            "--student",
            "tiny",
            "--prompts",
            "2",
            "--new-tokens",
            "2",
            "--batch-size",
            "2",
            "--repeats",
            "1",
        ],
    )
    student_speed.main()
    assert (
        json.loads((benchmarks / "results" / "student_speed.json").read_text())["models"]["teacher"][
            "parameters"
        ]
        > 0
    )


def test_sft_throughput_finishes_on_a_lora_adapter(benchmarks, tiny_adapter, monkeypatch):
    """Bare TRL's arm loaded the adapter as a PeftModel and failed at its first backward (peft had frozen the base)."""
    import sft_throughput

    monkeypatch.setattr(
        sys,
        "argv",
        ["sft_throughput.py", "--model", str(tiny_adapter), "--steps", "1", "--rows", "8", "--repeats", "1"],
    )
    sft_throughput.main()
    assert (
        json.loads((benchmarks / "results" / "sft_throughput.json").read_text())["bare_tokens_per_s"][0] > 0
    )


def test_the_monitor_table_counts_the_judges_cpu_in_both_windows(benchmarks):
    """The judge worker drained a gateway block's backlog during the next direct block: that CPU never reached the table."""
    import monitor_load

    latency = {"throughput_rps": 100.0, "p50_ms": 1.0, "p99_ms": 2.0}
    scenario = {
        "delay_ms": 0.0,
        "direct": latency,
        "gateway": latency,
        "added_p99_ms": 0.5,
        "added_server_side": {"p99_le_ms": 1.0},
        "cpu_ms_per_request": {
            "direct:upstream": 0.1,
            "direct:gateway": 0.0,
            "direct:worker": 0.3,
            "gateway:upstream": 0.1,
            "gateway:gateway": 0.4,
            "gateway:worker": 0.5,
        },
    }
    direct, gateway = monitor_load.table_rows([scenario])
    assert gateway[-1] == pytest.approx(0.8) and direct[-1] == ""


@pytest.mark.parametrize("flag", ["--requests", "--concurrency", "--blocks", "--upstream-connections"])
def test_monitor_load_refuses_zero_before_any_process_starts(benchmarks, monkeypatch, capsys, flag):
    """0 ended in a ZeroDivisionError, or in a table of NaNs that replaced the stored result."""
    import monitor_load

    def started(*args, **kwargs):
        raise AssertionError("a process started")

    monkeypatch.setattr(monitor_load, "start_upstream", started)
    monkeypatch.setattr(monitor_load, "start_gateway", started)
    monkeypatch.setattr(sys, "argv", ["monitor_load.py", flag, "0"])
    with pytest.raises(SystemExit) as exit_info:
        monitor_load.main()
    assert exit_info.value.code == 2 and "must be at least 1" in capsys.readouterr().err
