"""Experiment: SFT reasoning rows in the model's own words — does SFT then keep the base model's arithmetic?

    python benchmarks/self_distill_lever.py --out runs/exp-selfdistill

After the quickstart SFT the model reasons *worse* than the base model on held-out task families
(it applies the taught procedures, "split 93 into 90 + 3", to problems they do not fit). Fine-tuning
on text the model itself would write forgets less than fine-tuning on someone else's text
(self-distillation, Yang et al. 2024, "Self-Distillation Bridges Distribution Gap in Language Model
Fine-Tuning"). So: sample the *base* model ``--k`` times on every prompt of the shipped reasoning
training file, keep a sample that ends on its own, is at most ``--max-chars`` long and reaches the
file's answer (``check_answer``), and make it the row's ``<think>`` section, followed by the answer
line of the format (``The answer is N.``). Prompts without such a sample keep the code-written row.
Then the quickstart SFT with that file in place of ``reasoning``, and both SFT models scored with
``safealign eval MODEL --split in_distribution --seed 0`` (the split recipes are chosen on), both asked
with ``--recipe``'s ``model.system_prompt``; held-out only after a decision. ~20 min on 2 CPU cores with
fast bf16. Results: a printed table and ``benchmarks/results/self_distill_lever.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))

from _common import QUICKSTART, model_spec, positive, recipe_system_prompt, report  # noqa: E402
from dpo_lever import in_distribution_scores, training_rows  # noqa: E402

from safealign.generation import GenerationEngine, SamplingParams  # noqa: E402
from safealign.models import load_model  # noqa: E402
from safealign.tasks.problems import Problem, check_answer  # noqa: E402


def own_words_rows(
    base: str, k: int, temperature: float, max_chars: int, seed: int, skip: set[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The reasoning file with each row whose prompt the base model solved rewritten around that solution."""
    rows = training_rows("reasoning")
    loaded = load_model(base)
    engine = GenerationEngine(loaded.model, loaded.tokenizer, batch_size=256, precision="auto")
    samples = engine.generate(
        [r["messages"][:-1] for r in rows],
        SamplingParams(max_new_tokens=128, temperature=temperature, num_samples=k, seed=seed),
        show_progress=True,
    )
    solved: dict[int, str] = {}
    correct_samples = 0
    for sample in samples:
        row = rows[sample.prompt_index]
        text = sample.text.strip()
        problem = Problem(row["id"], row["messages"][-2]["content"], row["answer"], "arithmetic", "train", {})
        if (
            row["category"] in skip
            or sample.truncated
            or not text
            or len(text) > max_chars
            or "<think>" in text
            or check_answer(problem, text) < 1.0
        ):
            continue
        correct_samples += 1
        if sample.prompt_index not in solved or len(text) < len(solved[sample.prompt_index]):
            solved[sample.prompt_index] = (
                text  # the shortest correct sample: the format asks for a short think
            )
    out = []
    for index, row in enumerate(rows):
        if index in solved:
            answer = f"<think>\n{solved[index]}\n</think>\nThe answer is {row['answer']}."
            row = row | {
                "id": f"{row['id']}-own",
                "style": "own_words",
                "source": "safealign-generated, base model's own words",
                "messages": [*row["messages"][:-1], {"role": "assistant", "content": answer}],
            }
        out.append(row)
    per_category: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        per_category.setdefault(row["category"], [0, 0])
        per_category[row["category"]][0] += index in solved
        per_category[row["category"]][1] += 1
    counts = {
        "rows": len(rows),
        "rewritten": len(solved),
        "correct_samples": correct_samples,
        "samples": len(samples),
        "per_category_rewritten_of": per_category,
    }
    return out, counts


def run_sft(recipe: Path, reasoning_file: Path | None, out: Path) -> float:
    config = yaml.safe_load(recipe.read_text())
    if reasoning_file is not None:
        datasets = config["sft"]["datasets"]
        config["sft"]["datasets"] = {
            (str(reasoning_file.resolve()) if name == "reasoning" else name): share
            for name, share in datasets.items()
        }
    out.mkdir(parents=True, exist_ok=True)
    variant = out / "recipe.yaml"
    variant.write_text(yaml.safe_dump(config, sort_keys=False))
    start = time.time()
    cli = str(Path(sys.executable).with_name("safealign"))
    subprocess.run([cli, "sft", str(variant), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--recipe", type=Path, default=QUICKSTART, help="its model.system_prompt is asked with in both evals"
    )
    # checked when parsed: a missing model was a traceback once the SFT models were trained (or the data mined)
    parser.add_argument("--base", type=model_spec, default="embedded:smollm2-135m-instruct")
    parser.add_argument(
        "--sft",
        type=model_spec,
        default=None,
        help="the recipe's SFT model, if already trained (else trained here)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/exp-selfdistill"))
    # positive: --k 0 was a SettingError's traceback once the base model had loaded; --max-chars 0 kept no sample
    parser.add_argument("--k", type=positive, default=4, help="base-model samples per reasoning prompt")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument(
        "--max-chars", type=positive, default=400, help="longest sample kept as a think section"
    )
    parser.add_argument("--seed", type=int, default=3, help="sampling seed")
    parser.add_argument(
        "--skip-categories",
        default="comparison",
        help="categories never rewritten: a comparison has two candidate answers, so a right answer says little about the reasoning before it",
    )
    args = parser.parse_args()
    system_prompt = recipe_system_prompt(parser, args.recipe, trains="sft")

    args.out.mkdir(parents=True, exist_ok=True)
    reasoning_file, mining = args.out / "reasoning_own_words.jsonl", args.out / "mining.json"
    key = {k: str(v) for k, v in vars(args).items() if k != "sft"}
    if mining.is_file() and reasoning_file.is_file() and json.loads(mining.read_text()).get("args") == key:
        # a rerun with the same arguments reuses the mined rows
        counts, mining_s = (json.loads(mining.read_text())[k] for k in ("counts", "seconds"))
    else:
        start = time.time()
        rows, counts = own_words_rows(
            args.base,
            args.k,
            args.temperature,
            args.max_chars,
            args.seed,
            set(filter(None, args.skip_categories.split(","))),
        )
        mining_s = time.time() - start
        with reasoning_file.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        mining.write_text(json.dumps({"counts": counts, "seconds": mining_s, "args": key}, indent=2))
    sft = args.sft
    timings = {"mining_s": mining_s}
    if sft is None:
        timings["sft_recipe_s"] = run_sft(args.recipe, None, args.out / "sft-recipe")
        sft = str(args.out / "sft-recipe" / "model")
    timings["sft_own_words_s"] = run_sft(args.recipe, reasoning_file, args.out / "sft-own-words")
    before = in_distribution_scores(sft, args.out / "eval-sft", system_prompt)
    after = in_distribution_scores(
        str(args.out / "sft-own-words" / "model"), args.out / "eval-own-words", system_prompt
    )
    rows_out = [
        [name, *(f"{v:.1%}" for v in scores.values())]
        for name, scores in (
            ("SFT (code-written reasoning rows)", before),
            ("SFT, reasoning rows in the base model's words", after),
        )
    ]
    report(
        "self_distill_lever",
        f"Own-words reasoning rows ({counts['rewritten']} of {counts['rows']} rewritten), in-distribution",
        ["model", "harmful refused", "borderline over-refused", "reasoning", "format"],
        rows_out,
        {
            "args": {k: str(v) for k, v in vars(args).items()},
            "rows": counts,
            "timings": timings,
            "sft": before,
            "own_words": after,
        },
    )


if __name__ == "__main__":
    main()
