"""Generation engine vs. a plain per-prompt ``model.generate`` loop, same model, same settings.

    python benchmarks/generation.py [--model embedded:smollm2-135m-instruct] [--prompts 32] [--new-tokens 64]

Both sides decode greedily for exactly ``--new-tokens`` tokens (end-of-turn ignored: min_new_tokens),
so they do the same amount of work and tokens/s compare like for like. Both run in the same
precision (the engine's resolved setting, applied to the loop through the same autocast).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import report  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded:smollm2-135m-instruct")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", default="auto")
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
        ["safealign engine", engine.precision, args.batch_size, engine_tokens, engine_s, engine_tps],
        ["per-prompt model.generate", engine.precision, 1, loop_tokens, loop_s, loop_tps],
    ]
    report(
        "generation",
        f"Generation: {args.prompts} prompts x {args.new_tokens} new tokens, {args.model} — speed-up {engine_tps / loop_tps:.1f}x",
        ["method", "precision", "batch", "tokens", "seconds", "tokens/s"],
        rows,
        {"args": vars(args), "engine_tokens_per_s": engine_tps, "loop_tokens_per_s": loop_tps, "speedup": engine_tps / loop_tps},
    )


if __name__ == "__main__":
    main()
