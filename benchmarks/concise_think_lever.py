"""Experiment: shorter reasoning traces in SFT — does the model then keep more of its own arithmetic on unseen tasks?

    python benchmarks/concise_think_lever.py --out runs/exp-concise

After the quickstart SFT the model reasons *worse* than the base model on task families the training
never shows: it applies the taught procedures ("Write both with 3 decimal places", "Split 31 into
30 + 1") to problems they do not fit. The lever: every second reasoning row of each category keeps
only the last line of its ``<think>`` section, its conclusion ("So 219 + 107 = 326."), so half the
rows teach the format without a procedure to copy.

Whether a change helps on *unseen* task families cannot be seen on the in-distribution split (its
reasoning families are the training's), and the held-out split must not choose recipes. So this
script also scores a **dev split**: reasoning-gym families in neither the training data nor any eval
suite (``DEV_SUITES``), drawn from seeds far from the eval and training seeds. Both SFT models, the
recipe's and the lever's, are trained in the same run and scored on in-distribution (``safealign
eval MODEL --split in_distribution --seed 0``) and dev; the base model on dev too. Every model is asked
with ``--recipe``'s ``model.system_prompt`` (the one both SFT models train with), and dev is scored in
fp32 as ``safealign eval`` scores (until the fifty-third session dev ran in the machine's ``auto``
precision, bf16 where fast, with the chat template's system prompt). ~25 min on 2 CPU cores with fast
bf16 training. Results: a printed table and ``benchmarks/results/concise_think_lever.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import QUICKSTART, model_spec, recipe_system_prompt, report  # noqa: E402
from dpo_lever import in_distribution_scores, training_rows  # noqa: E402
from self_distill_lever import run_sft  # noqa: E402

from safealign.evals import run_eval  # noqa: E402
from safealign.evals.suites import DEV_REASONING  # noqa: E402
from safealign.generation import GenerationEngine, SamplingParams  # noqa: E402
from safealign.models import load_model  # noqa: E402

# Families no training file and no eval suite uses, at settings a 135M model can sometimes solve
# (``safealign eval MODEL --suites SPEC`` scores any of them).
DEV_SUITES = DEV_REASONING  # the dev split's reasoning families (safealign.evals.suites)


def concise_rows() -> tuple[list[dict[str, Any]], int]:
    """The reasoning file with every second row of each category cut to its think section's last line."""
    seen: dict[str, int] = {}
    out, cut = [], 0
    for row in training_rows("reasoning"):
        index = seen.get(row["category"], 0)
        seen[row["category"]] = index + 1
        if index % 2 == 1:
            answer = row["messages"][-1]["content"]
            think, rest = answer.split("</think>", 1)
            last = think.strip().splitlines()[-1]
            row = row | {
                "id": f"{row['id']}-concise",
                "style": "concise",
                "messages": [
                    *row["messages"][:-1],
                    {"role": "assistant", "content": f"<think>\n{last}\n</think>{rest}"},
                ],
            }
            cut += 1
        out.append(row)
    return out, cut


def dev_scores(model: str, out: Path, system_prompt: str | None) -> dict[str, float]:
    """Greedy accuracy on every dev item, overall and per family, in fp32 and asked with ``system_prompt``."""
    loaded = load_model(model)
    engine = GenerationEngine(
        loaded.model, loaded.tokenizer, batch_size=128, precision="fp32", system_prompt=system_prompt
    )
    result = run_eval(
        engine,
        list(DEV_SUITES.values()),
        limit=10_000,
        params=SamplingParams(max_new_tokens=128),
        out_dir=out,
    )
    scores = {family: result.summary()[spec]["accuracy"] for family, spec in DEV_SUITES.items()}
    return {
        "dev_reasoning": sum(scores.values()) / len(scores)
    } | scores  # equal pools: the mean over every dev item


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--recipe", type=Path, default=QUICKSTART, help="its model.system_prompt is asked with in every eval"
    )
    # checked when parsed: a missing model was a traceback once the SFT models were trained (or the data mined)
    parser.add_argument("--base", type=model_spec, default="embedded:smollm2-135m-instruct")
    parser.add_argument(
        "--sft",
        type=model_spec,
        default=None,
        help="the recipe's SFT model, if already trained (else trained here)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/exp-concise"))
    args = parser.parse_args()
    system_prompt = recipe_system_prompt(parser, args.recipe, trains="sft")

    args.out.mkdir(parents=True, exist_ok=True)
    rows, cut = concise_rows()
    reasoning_file = args.out / "reasoning_concise.jsonl"
    with reasoning_file.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    timings: dict[str, float] = {}
    sft = args.sft
    if sft is None:
        timings["sft_recipe_s"] = run_sft(args.recipe, None, args.out / "sft-recipe")
        sft = str(args.out / "sft-recipe" / "model")
    timings["sft_concise_s"] = run_sft(args.recipe, reasoning_file, args.out / "sft-concise")
    concise = str(args.out / "sft-concise" / "model")
    results = {
        "base": dev_scores(args.base, args.out / "dev-base", system_prompt),
        "sft": in_distribution_scores(sft, args.out / "eval-sft", system_prompt)
        | dev_scores(sft, args.out / "dev-sft", system_prompt),
        "concise": (
            in_distribution_scores(concise, args.out / "eval-concise", system_prompt)
            | dev_scores(concise, args.out / "dev-concise", system_prompt)
        ),
    }
    names = {
        "base": "base model",
        "sft": "SFT (the recipe)",
        "concise": f"SFT, {cut} of {len(rows)} traces cut to their last line",
    }
    columns = ["refused", "over_refused", "reasoning", "format", "dev_reasoning", *DEV_SUITES]
    table = [
        [names[key], *(f"{scores[c]:.1%}" if c in scores else "—" for c in columns)]
        for key, scores in results.items()
    ]
    report(
        "concise_think_lever",
        "Concise think sections: in-distribution (seed 0) and dev families (never trained, never in a suite)",
        [
            "model",
            "harmful refused",
            "borderline over-refused",
            "reasoning",
            "format",
            "dev reasoning",
            *DEV_SUITES,
        ],
        table,
        {
            "args": {k: str(v) for k, v in vars(args).items()},
            "system_prompt": system_prompt,
            "rows_cut": cut,
            "rows": len(rows),
            "dev_suites": DEV_SUITES,
            "timings": timings,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
