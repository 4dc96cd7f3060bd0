"""The gates' measurement: the eval suites themselves, small and on the in-distribution split.

Gates read the ``in_distribution`` part of the harmful, borderline and reasoning suites — items
the training data never contains — and never the ``held_out`` part, which stays untouched for the
final report: a rollback decided on held-out items would be model selection on the test set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from safealign.config import GateConfig
from safealign.generation import GenerationEngine, SamplingParams
from safealign.training.gates import GateMetrics

GATE_SPLIT = "in_distribution"


def suite_gate_evaluator(tokenizer: Any, cfg: GateConfig, seed: int, judges: Any = None,
                         system_prompt: str | None = None) -> Callable[[Any], GateMetrics]:
    """Score a policy on the gate suites, generating in ``cfg.precision`` (fp32 by default: a rollback must not
    turn on how the gate prompts were batched under bf16), whatever precision the policy trains in."""
    from safealign.evals.runner import run_eval
    from safealign.judges import build_judges

    judge_set = judges or build_judges("default")

    def evaluate(model: Any) -> GateMetrics:
        engine = GenerationEngine(model, tokenizer, batch_size=cfg.batch_size, precision=cfg.precision, system_prompt=system_prompt)
        with without_training_autocast(model):
            report = run_eval(
                engine,
                ["harmful", "borderline", "reasoning"],
                split=GATE_SPLIT,
                limit=cfg.limit,
                judges=judge_set,
                params=SamplingParams(max_new_tokens=cfg.max_new_tokens),
                seed=seed,
                max_new_tokens_setting="rl.gates.max_new_tokens",
            )
        refusal = report.metric("harmful", "refusal_rate")
        over_refusal = report.metric("borderline", "over_refusal_rate")
        return GateMetrics(
            refusal=refusal.value,
            over_refusal=over_refusal.value,
            accuracy=report.metric("reasoning", "accuracy").value,
            harmful_items=refusal.n,
            borderline_items=over_refusal.n,
        )

    return evaluate


@contextmanager
def without_training_autocast(model: Any) -> Iterator[None]:
    """``model``'s forward without the bf16 autocast that accelerate's mixed precision put over it for training (it keeps
    the forward it wrapped as ``_original_forward``), for the duration of a gate check. That autocast sits inside the
    forward, so the engine's fp32 could not turn it off: under bf16 training every gate check (the baseline too)
    generated in bf16, its answers changing with the batching that ``precision: fp32`` is there to rule out."""
    own = getattr(model, "__dict__", {})
    wrapped, unwrapped = own.get("forward"), own.get("_original_forward")
    if wrapped is None or unwrapped is None:
        yield
        return
    model.forward = unwrapped
    try:
        yield
    finally:
        model.forward = wrapped
