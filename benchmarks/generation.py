"""Generation engine vs. plain ``model.generate``, same model, same settings, one run.

    python benchmarks/generation.py [--model embedded:smollm2-135m-instruct] [--prompts 32] [--new-tokens 64]

Two workloads:

1. Fixed length: both sides decode greedily for exactly ``--new-tokens`` tokens (end-of-turn
   ignored: min_new_tokens), so they do the same work; the engine (batched) against a per-prompt
   ``model.generate`` loop.
2. Answers that end on their own: the in-distribution prompts of the harmful, borderline and
   reasoning suites, greedy, up to ``--eval-new-tokens``, end-of-turn honoured (what evaluation,
   sampling and gate checks do). The engine, where finished answers leave the batch, at
   ``--eval-batch-size`` against batched ``model.generate`` at ``--baseline-batch-size`` (the engine
   before 2026-11-30 and the quickstart's old setting) — and the count of identical answers.

Both sides run in the same precision (the engine's resolved setting, applied to the baseline
through the same autocast). Each workload runs ``--repeats`` rounds, the arms alternating who goes
first; each arm's speed is its best round and the speed-up the ratio of best rounds, with the range
of the rounds' paired ratios beside it (why: safealign/speed.py). Until the fifty-first session each
workload ran once, the engine always first: three identical runs gave 10.6x, 11.9x and 8.7x.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import PRECISIONS, model_spec, positive, report  # noqa: E402

from safealign.generation import GenerationEngine, SamplingParams  # noqa: E402
from safealign.models import load_model  # noqa: E402
from safealign.precision import autocast  # noqa: E402

TOPICS = [
    "What is 17 + 25?",
    "Explain photosynthesis to a ten-year-old in two sentences.",
    "Write a haiku about autumn leaves falling on a quiet river near an old mill.",
    "How do I reverse a list in Python?",
    "Give me three tips for a job interview at a small software company that builds accounting tools.",
    "What is the capital of Australia?",
    "Summarise the plot of Romeo and Juliet.",
    "Why is the sky blue? Please explain the physics of Rayleigh scattering simply and mention sunsets.",
]


def prompts(n: int) -> list[str]:
    return [f"{TOPICS[i % len(TOPICS)]}" + (" Be detailed." * (i % 4)) for i in range(n)]


def loop_generate(engine: GenerationEngine, items: list[str], new_tokens: int) -> tuple[int, float]:
    """One ``model.generate`` per prompt, from the token ids the engine generates from (a base model's plain-text
    prompt where it has no chat template), in the engine's precision."""
    import torch

    tokenizer, model = engine.tokenizer, engine.model
    start = time.perf_counter()
    tokens = 0
    for prompt in items:
        input_ids = torch.tensor([engine.encode(prompt)])
        ids = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
        with torch.inference_mode(), autocast(engine.precision):
            out = model.generate(
                **ids,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        tokens += out.shape[1] - ids["input_ids"].shape[1]
    return tokens, time.perf_counter() - start


def batched_generate(
    engine: GenerationEngine, items: list, new_tokens: int, batch_size: int
) -> tuple[list[str], int, float]:
    """What the engine did before rows could leave a batch: ``model.generate`` over length-sorted batches."""
    import torch

    tokenizer, model = engine.tokenizer, engine.model
    encoded = [engine.encode(p) for p in items]
    order = sorted(range(len(items)), key=lambda i: -len(encoded[i]))
    texts, tokens = [""] * len(items), 0
    start = time.perf_counter()
    for at in range(0, len(order), batch_size):
        rows = order[at : at + batch_size]
        width = max(len(encoded[i]) for i in rows)
        ids = torch.full((len(rows), width), tokenizer.pad_token_id)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, width - len(encoded[i]) :], mask[r, width - len(encoded[i]) :] = (
                torch.tensor(encoded[i]),
                1,
            )
        with torch.inference_mode(), autocast(engine.precision):
            out = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=new_tokens,
                do_sample=False,
                eos_token_id=engine.stop_token_ids,
                pad_token_id=tokenizer.pad_token_id,
            )
        for r, i in enumerate(rows):
            new = out[r, width:].tolist()
            end = next((k for k, t in enumerate(new) if t in engine.stop_token_ids), None)
            kept = new if end is None else new[:end]
            tokens += len(kept) + (end is not None)
            texts[i] = tokenizer.decode(kept, skip_special_tokens=True).strip()
    return texts, tokens, time.perf_counter() - start


def alternate(
    arms: dict[str, Callable[[], tuple[Any, int, float]]], repeats: int
) -> dict[str, list[tuple[Any, int, float]]]:
    """Each arm's (output, tokens, seconds) over ``repeats`` rounds, the arms alternating who goes first."""
    runs: dict[str, list[tuple[Any, int, float]]] = {name: [] for name in arms}
    for round_ in range(repeats):
        for name in list(arms) if round_ % 2 == 0 else list(reversed(arms)):
            runs[name].append(arms[name]())
    return runs


def best_of_rounds(
    runs: list[tuple[Any, int, float]], reference: list[tuple[Any, int, float]]
) -> dict[str, Any]:
    """An arm's best tokens/s, its speed-up over ``reference``'s best, and the rounds' paired speed-ups."""
    rates, ref_rates = [tokens / s for _, tokens, s in runs], [tokens / s for _, tokens, s in reference]
    paired = [rate / ref for rate, ref in zip(rates, ref_rates, strict=True)]
    return {
        "tokens_per_s": rates,
        "best_tokens_per_s": max(rates),
        "speedup": max(rates) / max(ref_rates),
        "round_speedups": paired,
    }


def rounds_text(rates: list[float]) -> str:
    return ", ".join(f"{rate:.1f}" for rate in rates)


def natural_length(loaded, args) -> tuple[list[list], dict]:
    from safealign.evals.suites import select_items

    items = [
        it.prompt
        for suite in ("harmful", "borderline", "reasoning")
        for it in select_items(suite, "in_distribution")
    ]
    engine = GenerationEngine(
        loaded.model, loaded.tokenizer, batch_size=args.eval_batch_size, precision=args.precision
    )

    def run_engine() -> tuple[list[str], int, float]:
        start = time.perf_counter()
        completions = engine.generate(items, SamplingParams(max_new_tokens=args.eval_new_tokens))
        return (
            [c.text for c in completions],
            sum(c.completion_tokens for c in completions),
            time.perf_counter() - start,
        )

    runs = alternate(
        {
            "engine": run_engine,
            "baseline": lambda: batched_generate(
                engine, items, args.eval_new_tokens, args.baseline_batch_size
            ),
        },
        args.repeats,
    )
    ours, base = (
        best_of_rounds(runs["engine"], runs["baseline"]),
        best_of_rounds(runs["baseline"], runs["baseline"]),
    )
    same = sum(a == b for a, b in zip(runs["engine"][0][0], runs["baseline"][0][0], strict=True))
    rows = [
        [
            "engine, finished rows leave",
            engine.precision,
            args.eval_batch_size,
            runs["engine"][0][1],
            rounds_text(ours["tokens_per_s"]),
            ours["best_tokens_per_s"],
        ],
        [
            "batched model.generate",
            engine.precision,
            args.baseline_batch_size,
            runs["baseline"][0][1],
            rounds_text(base["tokens_per_s"]),
            base["best_tokens_per_s"],
        ],
    ]
    engine_s, base_s = [s for _, _, s in runs["engine"]], [s for _, _, s in runs["baseline"]]
    payload = {  # the same prompts on both sides: the speed-up is in time taken (best round against best round)
        "prompts": len(items),
        "engine_s": engine_s,
        "baseline_s": base_s,
        "engine_tokens_per_s": ours["tokens_per_s"],
        "baseline_tokens_per_s": base["tokens_per_s"],
        "speedup": min(base_s) / min(engine_s),
        "round_speedups": [b / e for b, e in zip(base_s, engine_s, strict=True)],
        "identical_answers": same,
    }
    return rows, payload


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=model_spec, default="embedded:smollm2-135m-instruct")
    parser.add_argument("--prompts", type=positive, default=32)
    parser.add_argument("--new-tokens", type=positive, default=64)
    parser.add_argument("--batch-size", type=positive, default=32)
    parser.add_argument("--precision", choices=PRECISIONS, default="auto")
    parser.add_argument("--eval-new-tokens", type=positive, default=128)
    parser.add_argument("--eval-batch-size", type=positive, default=256)
    parser.add_argument("--baseline-batch-size", type=positive, default=32)
    parser.add_argument(
        "--repeats",
        type=positive,
        default=3,
        help="rounds of each workload; the arms alternate who goes first",
    )
    parser.add_argument("--skip-natural", action="store_true", help="Only the fixed-length comparison.")
    args = parser.parse_args()

    loaded = load_model(args.model)
    items = prompts(args.prompts)
    engine = GenerationEngine(
        loaded.model, loaded.tokenizer, batch_size=args.batch_size, precision=args.precision
    )
    # Same work on both sides: exactly new_tokens per prompt, end-of-turn ignored.
    params = SamplingParams(max_new_tokens=args.new_tokens, ignore_eos=True)
    engine.generate(items[:2], SamplingParams(max_new_tokens=4))  # warm-up, both sides
    loop_generate(engine, items[:1], 4)

    def run_engine() -> tuple[None, int, float]:
        start = time.perf_counter()
        completions = engine.generate(items, params)
        return None, sum(c.completion_tokens for c in completions), time.perf_counter() - start

    def run_loop() -> tuple[None, int, float]:
        return None, *loop_generate(engine, items, args.new_tokens)

    runs = alternate({"engine": run_engine, "loop": run_loop}, args.repeats)
    ours, loop = best_of_rounds(runs["engine"], runs["loop"]), best_of_rounds(runs["loop"], runs["loop"])
    rows = [
        [
            "fixed length: safealign engine",
            engine.precision,
            args.batch_size,
            runs["engine"][0][1],
            rounds_text(ours["tokens_per_s"]),
            ours["best_tokens_per_s"],
        ],
        [
            "fixed length: per-prompt model.generate",
            engine.precision,
            1,
            runs["loop"][0][1],
            rounds_text(loop["tokens_per_s"]),
            loop["best_tokens_per_s"],
        ],
    ]
    payload = {
        "args": vars(args),
        "precision": engine.precision,  # what --precision (auto by default) ran as, both arms
        "engine_tokens_per_s": ours["tokens_per_s"],
        "loop_tokens_per_s": loop["tokens_per_s"],
        "speedup": ours["speedup"],
        "round_speedups": ours["round_speedups"],
    }
    title = (
        f"Generation, {args.model}, best of {args.repeats} alternating rounds: fixed length ({args.prompts} prompts x {args.new_tokens} "
        f"tokens) {ours['speedup']:.1f}x (rounds {min(ours['round_speedups']):.1f}-{max(ours['round_speedups']):.1f}x)"
    )
    if not args.skip_natural:
        natural_rows, natural = natural_length(loaded, args)
        rows += [
            [f"ending on their own ({natural['prompts']} eval prompts): {r[0]}", *r[1:]] for r in natural_rows
        ]
        payload["natural_length"] = natural
        title += (
            f"; answers ending on their own {natural['speedup']:.2f}x (rounds {min(natural['round_speedups']):.2f}-"
            f"{max(natural['round_speedups']):.2f}x), {natural['identical_answers']}/{natural['prompts']} identical"
        )
    report(
        "generation",
        title,
        ["method", "precision", "batch", "tokens", "rounds (tokens/s)", "tokens/s (best)"],
        rows,
        payload,
    )


if __name__ == "__main__":
    main()
