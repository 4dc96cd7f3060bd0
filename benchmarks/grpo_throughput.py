"""Steps/s of `safealign rl` (gates off) vs. a bare TRL GRPOTrainer: same model, prompts, rewards, settings.

    python benchmarks/grpo_throughput.py [--model embedded:smollm2-135m-instruct] [--steps 4] [--repeats 2]

Ours adds the rollout log, the reward-hacking detectors and the JSONL metrics; the gates are off
here and their cost is measured separately (one gate evaluation, timed on its own). Since
2026-11-30 ours scores the padded rollout batches as one packed row without pad tokens
(`safealign.training.unpadded_scoring`) and projects only completion positions through the LM head
on the CPU (`safealign.training.compact_lm_head`); bare TRL does neither. Since the fourth session
that day ours also samples the rollouts with finished completions leaving the batch
(`safealign.training.evicting_rollouts`); bare TRL uses `model.generate`. Since the fifth session
ours keeps each prompt once for its rollouts in the packed row (`safealign.training.shared_prefix`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).parent))

from _common import report  # noqa: E402

from safealign.config import GateConfig, RLConfig  # noqa: E402
from safealign.models import load_model  # noqa: E402
from safealign.rewards import build_rewards  # noqa: E402
from safealign.stages.rl import run_rl, trl_grpo_config  # noqa: E402
from safealign.stages.rl_prompts import build_prompt_rows  # noqa: E402


def bare_trl(cfg: RLConfig, model_spec: str, out: Path, seed: int, precision: str) -> float:
    from datasets import Dataset
    from trl import GRPOTrainer

    loaded = load_model(model_spec)
    funcs, weights = build_rewards(cfg.rewards, {"max_completion_length": cfg.max_completion_length})
    args = trl_grpo_config(cfg, out, seed, precision)
    args.reward_weights = weights
    trainer = GRPOTrainer(model=loaded.model, reward_funcs=funcs, args=args, train_dataset=Dataset.from_list(build_prompt_rows(cfg.tasks, cfg.num_prompts, seed)), processing_class=loaded.tokenizer)
    result = trainer.train()
    return trainer.state.global_step / result.metrics["train_runtime"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded:smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()

    cfg = RLConfig(max_steps=args.steps, num_prompts=64, prompts_per_step=2, num_generations=8, max_completion_length=48, method="lora", learning_rate=1e-4, save_steps=10_000, gates=GateConfig(enabled=False))
    work = Path(tempfile.mkdtemp(prefix="grpo-bench-"))
    ours, bare = [], []
    def run_ours(repeat: int) -> None:
        record = run_rl(cfg, args.model, work / f"ours-{repeat}", seed=42, precision=args.precision, resume=False).record
        ours.append(record["metrics"]["steps"] / record["metrics"]["train_runtime_s"])

    def run_bare(repeat: int) -> None:
        bare.append(bare_trl(cfg, args.model, work / f"bare-{repeat}", 42, args.precision))

    for repeat in range(args.repeats):  # alternate who goes first, so warm-up and drift hit both sides
        for run in (run_ours, run_bare) if repeat % 2 == 0 else (run_bare, run_ours):
            run(repeat)

    from safealign.training.gate_eval import suite_gate_evaluator

    loaded = load_model(args.model)
    gate = GateConfig()  # gate checks generate in gate.precision (fp32), whatever precision the policy trains in
    evaluate = suite_gate_evaluator(loaded.tokenizer, gate, 42)
    start = time.perf_counter()
    evaluate(loaded.model)
    gate_s = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)

    ratio = median(ours) / median(bare)
    step_s = 1 / median(ours)
    report(
        "grpo_throughput",
        f"GRPO steps/s, {args.model}, {cfg.prompts_per_step} prompts x {cfg.num_generations} completions x {cfg.max_completion_length} tokens, LoRA — ratio {ratio:.3f}",
        ["trainer", "runs (steps/s)", "median steps/s"],
        [["safealign rl (gates off)", ", ".join(f"{x:.4f}" for x in ours), median(ours)], ["bare TRL GRPOTrainer", ", ".join(f"{x:.4f}" for x in bare), median(bare)],
         [f"one gate check ({gate.limit} items x 3 suites)", f"{gate_s:.1f} s", f"= {gate_s / step_s:.1f} steps; every {gate.every_steps} steps adds {gate_s / (gate.every_steps * step_s):.0%}"]],
        {"args": vars(args), "ours_steps_per_s": ours, "bare_steps_per_s": bare, "ratio": ratio, "gate_check_s": gate_s, "gate_overhead_at_default_every": gate_s / (gate.every_steps * step_s)},
    )


if __name__ == "__main__":
    main()
