"""Run by every rank under ``accelerate launch`` (see tests/test_distributed.py): SFT, then GRPO with gates,
on the tiny model. Each rank writes what it ended with to OUT/rank<N>.json, for the test to compare.

The gate measurement here is cheap, deterministic and rank-dependent on purpose: on rank 0 its
third check reports a breach, on any other rank it never does. Only if rank 0's verdict reaches
every rank do all ranks roll back at the same step and end with the same weights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

import safealign.stages.rl as rl_stage
from safealign.config import RLConfig, SFTConfig
from safealign.distributed import num_processes, process_index, setup_rank_logging, wait_for_everyone
from safealign.machine_load import snapshot
from safealign.stages.rl import run_rl
from safealign.stages.sft import run_sft
from safealign.training.gates import GateCallback, GateMetrics


def weights_sha256(model: Any) -> str:
    """One digest over every parameter (tied weights once), independent of dtype quirks."""
    digest = hashlib.sha256()
    for name, param in model.named_parameters():
        digest.update(name.encode())
        digest.update(param.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class RecordWeights(TrainerCallback):
    """What this rank trained: weights at start and end, steps, and the world it ran in."""

    def __init__(self, stage: str, report: dict[str, Any]) -> None:
        self.stage, self.report = stage, report

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.report[self.stage] = {"start_sha256": weights_sha256(model), "world_size": args.world_size}

    def on_train_end(self, args, state, control, model=None, **kwargs):
        self.report[self.stage] |= {"end_sha256": weights_sha256(model), "steps": state.global_step}


class RecordingGate(GateCallback):
    """The stage's gate, also keeping this rank's decisions (the stage writes gates.jsonl from rank 0 only)."""

    report: dict[str, Any] = {}

    def _record(self, event, state) -> None:
        super()._record(event, state)
        row = event.to_dict()
        row.pop("seconds")
        self.report.setdefault("gate_events", []).append(row)


def make_gate_evaluate(report: dict[str, Any]):
    calls = report.setdefault("gate_evaluate_calls", [])

    def evaluate(model: Any) -> GateMetrics:
        calls.append(1)
        breach = process_index() == 0 and len(calls) == 3
        return GateMetrics(refusal=0.5 if breach else 0.9, over_refusal=0.1, accuracy=0.2)

    return evaluate


def token_sum_reward(completions: list, completion_ids: list | None = None, **_: Any) -> list[float]:
    """Arbitrary but deterministic in the sampled tokens, so it differs within a group and GRPO gets a
    gradient (the tiny model never stops early, so length-based rewards tie)."""
    return [(sum(ids) % 101) / 100 for ids in completion_ids]


def own_cpu_s() -> float:
    """This process's CPU seconds, without its children's."""
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="JSONL memorisation set for SFT")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    setup_rank_logging()

    report: dict[str, Any] = {"rank": process_index(), "num_processes": num_processes()}
    sft_cfg = SFTConfig(
        datasets={str(args.data): 1.0},
        method="full",
        learning_rate=3e-2,
        max_steps=6,
        batch_size=3,
        save_steps=4,
        logging_steps=1,
        warmup_ratio=0.0,
        lr_scheduler="constant",
        max_length=64,
    )
    # Between two barriers: this rank's own CPU time, and the launch's that a stage record counts as its own.
    wait_for_everyone()
    own_at_start, launch_at_start = own_cpu_s(), snapshot()
    sft = run_sft(
        sft_cfg, "tiny", args.out / "sft", precision="fp32", callbacks=[RecordWeights("sft", report)]
    )
    wait_for_everyone()
    report["sft_cpu"] = {
        "own_s": own_cpu_s() - own_at_start,
        "launch_s": snapshot().own - launch_at_start.own,
    }
    report["sft"]["model_path"] = str(sft.model_path)

    # From "tiny" (not a folder): rank 0 writes the KL reference model, the others wait and reuse it.
    # Gates every 2 steps with lower_lr: baseline, pass at 2, breach + rollback at 4, pass at 6.
    rl_cfg = RLConfig(
        tasks={"safety": 1.0},
        num_prompts=16,
        rewards={"repetition": 1.0},
        method="full",
        max_steps=6,
        prompts_per_step=2,
        num_generations=4,
        max_completion_length=12,
        learning_rate=1e-3,
        save_steps=3,
        beta=0.02,
        gates={"enabled": True, "every_steps": 2, "policy": "lower_lr"},
        hacking={"window": 2},
    )
    RecordingGate.report = report
    rl_stage.GateCallback = RecordingGate
    rl = run_rl(
        rl_cfg,
        "tiny",
        args.out / "rl",
        precision="fp32",
        gate_evaluate=make_gate_evaluate(report),
        extra_rewards={"token_sum": token_sum_reward},
        callbacks=[RecordWeights("rl", report)],
    )
    report["rl"]["model_path"] = str(rl.model_path)
    report["rl"]["stage_steps"] = rl.record["metrics"]["steps"]
    (args.out / f"rank{report['rank']}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
