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
through the same autocast).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import positive, report  # noqa: E402

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


def loop_generate(loaded, items: list[str], new_tokens: int, precision: str) -> tuple[int, float]:
    import torch

    tokenizer, model = loaded.tokenizer, loaded.model
    start = time.perf_counter()
    tokens = 0
    for prompt in items:
        ids = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True, return_tensors="pt", return_dict=True)
        with torch.inference_mode(), autocast(precision):
            out = model.generate(**ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        tokens += out.shape[1] - ids["input_ids"].shape[1]
    return tokens, time.perf_counter() - start


def batched_generate(engine: GenerationEngine, items: list, new_tokens: int, batch_size: int) -> tuple[list[str], int, float]:
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
            ids[r, width - len(encoded[i]) :], mask[r, width - len(encoded[i]) :] = torch.tensor(encoded[i]), 1
        with torch.inference_mode(), autocast(engine.precision):
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens, do_sample=False, eos_token_id=engine.stop_token_ids, pad_token_id=tokenizer.pad_token_id)
        for r, i in enumerate(rows):
            new = out[r, width:].tolist()
            end = next((k for k, t in enumerate(new) if t in engine.stop_token_ids), None)
            kept = new if end is None else new[:end]
            tokens += len(kept) + (end is not None)
            texts[i] = tokenizer.decode(kept, skip_special_tokens=True).strip()
    return texts, tokens, time.perf_counter() - start


def natural_length(loaded, args) -> tuple[list[list], dict]:
    from safealign.evals.suites import select_items

    items = [it.prompt for suite in ("harmful", "borderline", "reasoning") for it in select_items(suite, "in_distribution")]
    engine = GenerationEngine(loaded.model, loaded.tokenizer, batch_size=args.eval_batch_size, precision=args.precision)
    start = time.perf_counter()
    completions = engine.generate(items, SamplingParams(max_new_tokens=args.eval_new_tokens))
    engine_s = time.perf_counter() - start
    engine_tokens = sum(c.completion_tokens for c in completions)
    texts, base_tokens, base_s = batched_generate(engine, items, args.eval_new_tokens, args.baseline_batch_size)
    same = sum(c.text == t for c, t in zip(completions, texts, strict=True))
    rows = [
        ["engine, finished rows leave", engine.precision, args.eval_batch_size, engine_tokens, engine_s, engine_tokens / engine_s],
        ["batched model.generate", engine.precision, args.baseline_batch_size, base_tokens, base_s, base_tokens / base_s],
    ]
    payload = {
        "prompts": len(items),
        "engine_s": engine_s,
        "baseline_s": base_s,
        "speedup": base_s / engine_s,
        "identical_answers": same,
    }
    return rows, payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded:smollm2-135m-instruct")
    parser.add_argument("--prompts", type=positive, default=32)
    parser.add_argument("--new-tokens", type=positive, default=64)
    parser.add_argument("--batch-size", type=positive, default=32)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--eval-new-tokens", type=positive, default=128)
    parser.add_argument("--eval-batch-size", type=positive, default=256)
    parser.add_argument("--baseline-batch-size", type=positive, default=32)
    parser.add_argument("--skip-natural", action="store_true", help="Only the fixed-length comparison.")
    args = parser.parse_args()

    loaded = load_model(args.model)
    items = prompts(args.prompts)
    engine = GenerationEngine(loaded.model, loaded.tokenizer, batch_size=args.batch_size, precision=args.precision)
    # Same work on both sides: exactly new_tokens per prompt, end-of-turn ignored.
    params = SamplingParams(max_new_tokens=args.new_tokens, ignore_eos=True)
    engine.generate(items[:2], SamplingParams(max_new_tokens=4))  # warm-up

    start = time.perf_counter()
    completions = engine.generate(items, params)
    engine_s = time.perf_counter() - start
    engine_tokens = sum(c.completion_tokens for c in completions)
    loop_tokens, loop_s = loop_generate(loaded, items, args.new_tokens, engine.precision)

    engine_tps, loop_tps = engine_tokens / engine_s, loop_tokens / loop_s
    rows = [
        ["fixed length: safealign engine", engine.precision, args.batch_size, engine_tokens, engine_s, engine_tps],
        ["fixed length: per-prompt model.generate", engine.precision, 1, loop_tokens, loop_s, loop_tps],
    ]
    payload = {"args": vars(args), "engine_tokens_per_s": engine_tps, "loop_tokens_per_s": loop_tps, "speedup": engine_tps / loop_tps}
    title = f"Generation, {args.model}: fixed length ({args.prompts} prompts x {args.new_tokens} tokens) {engine_tps / loop_tps:.1f}x"
    if not args.skip_natural:
        natural_rows, natural = natural_length(loaded, args)
        rows += [[f"ending on their own ({natural['prompts']} eval prompts): {r[0]}", *r[1:]] for r in natural_rows]
        payload["natural_length"] = natural
        title += f"; answers ending on their own {natural['speedup']:.2f}x, {natural['identical_answers']}/{natural['prompts']} identical"
    report("generation", title, ["method", "precision", "batch", "tokens", "seconds", "tokens/s"], rows, payload)


if __name__ == "__main__":
    main()
