"""Generation speed of models side by side: one engine setting, the same prompts, a fixed token count, best of rounds.

Each model decodes greedily for exactly ``new_tokens`` tokens per prompt (end-of-turn ignored), so a model that
rambles is not faster for it. Models alternate over rounds, the order reversed every other round. On a shared VM
the hypervisor hands a third of the CPU to other guests for stretches shorter than a round (steal, kept
per measurement; see machine_load.py), and one model's tokens/s moves by 2x between rounds; interference only slows a
measurement down, so a model's speed is its best round (what ``timeit`` advises: the fastest repeat is the
code's speed, the slower ones measure the machine). The median of the rounds' paired ratios is kept beside it.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from safealign.generation import GenerationEngine, Prompt, SamplingParams
from safealign.machine_load import machine_load, snapshot


@dataclass(frozen=True)
class Measurement:
    """One model's pass over the prompts: tokens per wall second (the speed), per CPU second of this process, and
    the share of the machine's CPU time stolen by other guests meanwhile (None off Linux)."""

    tokens_per_s: float
    tokens_per_cpu_s: float | None
    steal: float | None


def measure(engine: GenerationEngine, prompts: Sequence[Prompt], new_tokens: int) -> Measurement:
    """Generate exactly ``new_tokens`` tokens for every prompt and time it."""
    params = SamplingParams(max_new_tokens=new_tokens, ignore_eos=True)
    before, cpu, start = snapshot(), os.times(), time.perf_counter()
    completions = engine.generate(list(prompts), params)
    wall = time.perf_counter() - start
    cpu_s = sum(os.times()[:2]) - sum(cpu[:2])
    load = machine_load(before, snapshot())
    tokens = sum(c.completion_tokens for c in completions)
    return Measurement(tokens / wall, tokens / cpu_s if cpu_s > 0 else None, load["steal"] if load else None)


def compare_speed(engines: dict[str, GenerationEngine], prompts: Sequence[Prompt], new_tokens: int = 64,
                  rounds: int = 7) -> dict[str, list[Measurement]]:
    """Every engine's measurements, ``rounds`` each, alternating (after a short warm-up of each)."""
    if rounds < 1 or new_tokens < 1 or not prompts:
        raise ValueError(f"a speed comparison needs prompts, new_tokens >= 1 and rounds >= 1 (got {len(prompts)}, {new_tokens}, {rounds})")
    for engine in engines.values():
        engine.generate(list(prompts[:2]), SamplingParams(max_new_tokens=4))
    runs: dict[str, list[Measurement]] = {name: [] for name in engines}
    for round_ in range(rounds):
        for name in list(engines) if round_ % 2 == 0 else list(reversed(engines)):
            runs[name].append(measure(engines[name], prompts, new_tokens))
    return runs


def speed_summary(runs: dict[str, list[Measurement]], reference: str) -> dict[str, dict[str, Any]]:
    """Per model: its best tokens/s and the speed-up over ``reference``'s best, with the paired and CPU-time ratios."""
    ref = runs[reference]
    summary = {}
    for name, measured in runs.items():
        paired = [m.tokens_per_s / r.tokens_per_s for m, r in zip(measured, ref, strict=True)]
        cpu = [m.tokens_per_cpu_s / r.tokens_per_cpu_s for m, r in zip(measured, ref, strict=True) if m.tokens_per_cpu_s and r.tokens_per_cpu_s]
        best = max(m.tokens_per_s for m in measured)
        steals = [m.steal for m in measured if m.steal is not None]
        summary[name] = {
            "best_tokens_per_s": best,
            "median_tokens_per_s": statistics.median(m.tokens_per_s for m in measured),
            "speedup": best / max(r.tokens_per_s for r in ref),
            "paired_median_speedup": statistics.median(paired),
            "round_speedups": paired,
            "cpu_speedup": statistics.median(cpu) if len(cpu) == len(paired) else None,
            "most_stolen": max(steals) if steals else None,
            "measurements": [asdict(m) for m in measured],
        }
    return summary
