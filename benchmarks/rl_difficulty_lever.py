"""Experiment: GRPO on prompts the SFT model sometimes solves (``rl.difficulty_filter``) against the recipe's GRPO.

    python benchmarks/rl_difficulty_lever.py --sft runs/quickstart/sft/model --out runs/exp-difficulty \
        --runs recipe:42 filter:42 filter_full_pool:42 recipe:1 filter_full_pool:1

A GRPO group whose completions all get the same accuracy has zero advantage. The recipe's stage logs
that share per step (``accuracy/flat_group_share``); the lever screens the reasoning prompts with the
starting model first and keeps those it solves sometimes but not always. Arms, each from the same SFT
model and trained with ``safealign rl`` on a recipe that differs from the given one only as named:

- ``recipe``: the recipe's rl section as it is;
- ``filter``: ``num_prompts`` = the prompts 20 steps train (80), ``difficulty_filter`` on at its defaults;
- ``filter_full_pool``: ``filter`` with ``max_candidates: 8``, so the pass-rate band fills;
- ``lr_2e-5``, ``lr_5e-5``: the recipe with only ``learning_rate`` changed (exp38b; the recipe's is 5e-6).

Every model (the SFT model too) is scored with ``safealign eval`` in fp32 at batch 128 with the
recipe's system prompt: in-distribution reasoning (every item), the dev split, and the held-out split
(every item; the rule in docs/rules/exp36 reads it only after the other two). Finished stages and
evals in ``--out`` are reused, so a rerun only scores. ~15 min per arm and seed on the AMX-BF16 VM.
Results: a printed table and ``benchmarks/results/rl_difficulty_lever.json`` (``--name`` renames it: exp38b's learning
rates are ``--runs recipe:1 lr_2e-5:1 lr_5e-5:1 --name rl_lr_lever_seed1``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from statistics import fmean
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))

from _common import (  # noqa: E402
    QUICKSTART,
    model_spec,
    recipe_system_prompt,
    report,
    result_name,
    reuse_eval,
    system_prompt_flag,
)

ARMS: dict[str, dict[str, Any]] = {
    "recipe": {},
    "filter": {"num_prompts": 80, "difficulty_filter": {"enabled": True}},
    "filter_full_pool": {"num_prompts": 80, "difficulty_filter": {"enabled": True, "max_candidates": 8.0}},
    # exp38b (docs/rules/exp38/RULE_rl_learning_rate.txt): a larger GRPO step instead of more steps
    "lr_2e-5": {"learning_rate": 2.0e-5},
    "lr_5e-5": {"learning_rate": 5.0e-5},
}
EVALS = {
    "ind": ["--suites", "reasoning", "--split", "in_distribution", "--limit", "1000"],
    "dev": ["--suites", "dev", "--split", "dev"],
    "held": [
        "--suites",
        "harmful,borderline,reasoning,language,format",
        "--split",
        "held_out",
        "--limit",
        "1000",
    ],
}
CLI = [sys.executable, "-m", "safealign"]


def arm_recipe(recipe: dict[str, Any], arm: str, seed: int, path: Path) -> Path:
    changed = json.loads(json.dumps(recipe))
    changed["seed"] = seed
    for key, value in ARMS[arm].items():
        changed["rl"][key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(changed, sort_keys=False))
    return path


def evaluate(model: str, out: Path, system_prompt: str | None) -> None:
    for part, flags in EVALS.items():
        if reuse_eval(out / part, model, system_prompt):
            continue
        subprocess.run(
            [
                *CLI,
                "eval",
                model,
                *flags,
                "--precision",
                "fp32",
                "--batch-size",
                "128",
                *system_prompt_flag(system_prompt),
                "--out",
                str(out / part),
                "--overwrite",
            ],
            check=True,
        )


def counts(out: Path) -> dict[str, Any]:
    """Item counts per measure, and held-out reasoning per family."""
    row: dict[str, Any] = {}
    for part in EVALS:
        suites = json.loads((out / part / "summary.json").read_text())["suites"]
        for suite in suites.values():
            metrics = suite["metrics"].get("all") or next(iter(suite["metrics"].values()))
            for key, name in (
                ("refusal_rate", "refused"),
                ("over_refusal_rate", "over_refused"),
                ("format_compliance", "format"),
                ("mixing_rate", "mixing"),
            ):
                if key in metrics and (name != "format" or suite["kind"] == "format"):
                    row[f"{part}_{name}"] = row.get(f"{part}_{name}", 0) + metrics[key]["count"]
            if "accuracy" in metrics and suite["kind"] == "reasoning":
                row[f"{part}_reasoning"] = row.get(f"{part}_reasoning", 0) + metrics["accuracy"]["count"]
    families: Counter[str] = Counter()
    for line in (out / "held" / "samples.jsonl").read_text().splitlines():
        sample = json.loads(line)
        if sample["suite"] == "reasoning":
            families[sample["category"]] += int(sample["scores"].get("correct") or 0)
    return row | {"held_reasoning_by_family": dict(sorted(families.items()))}


def training(stage: Path) -> dict[str, Any]:
    logs = [json.loads(line) for line in (stage / "metrics.jsonl").read_text().splitlines() if line.strip()]
    flat = [r["accuracy/flat_group_share"] for r in logs if "accuracy/flat_group_share" in r]
    record = json.loads((stage / "stage.json").read_text())
    screen = (record.get("inputs") or {}).get("difficulty_filter")
    return {
        "flat_group_share": fmean(flat) if flat else None,
        "stage_s": record.get("wall_time_s"),
        "screen": {k: screen[k] for k in ("screened", "in_band", "filled_from_rejected", "seconds")}
        if screen
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipe", type=Path, default=QUICKSTART)
    parser.add_argument(
        "--sft",
        type=model_spec,
        required=True,
        help="the SFT model every arm starts from (the recipe's sft/model)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/exp-difficulty"))
    parser.add_argument(
        "--name",
        type=result_name,
        default="rl_difficulty_lever",
        help="results file: benchmarks/results/NAME.json",
    )
    parser.add_argument(
        "--runs",
        nargs="+",
        default=[f"{arm}:42" for arm in ARMS],
        help=f"ARM:SEED, ARM one of {', '.join(ARMS)}",
    )
    args = parser.parse_args()
    malformed = [spec for spec in args.runs if not re.fullmatch(r"[\w.-]+:-?\d+", spec)]
    if malformed:
        parser.error(f"--runs takes ARM:SEED (e.g. recipe:42), got {' '.join(malformed)}")
    runs = [(arm, int(seed)) for arm, _, seed in (spec.partition(":") for spec in args.runs)]
    if unknown := sorted({arm for arm, _ in runs} - set(ARMS)):
        parser.error(f"unknown arm {unknown}: choose from {', '.join(ARMS)}")

    system_prompt = recipe_system_prompt(parser, args.recipe, trains="rl")  # one that does not load fails here
    recipe = yaml.safe_load(args.recipe.read_text())
    evaluate(args.sft, args.out / "sft" / "eval", system_prompt)
    results: dict[str, Any] = {"sft": counts(args.out / "sft" / "eval")}
    for arm, seed in runs:
        name = f"{arm}-s{seed}"
        run = args.out / name
        path = arm_recipe(recipe, arm, seed, run / "recipe.yaml")
        subprocess.run([*CLI, "rl", str(path), "--model", args.sft, "--out", str(run / "rl")], check=True)
        evaluate(str(run / "rl" / "model"), run / "eval", system_prompt)
        results[name] = counts(run / "eval") | training(run / "rl")

    def cell(row: dict[str, Any], *keys: str) -> str:
        return " / ".join(str(row.get(k, "—")) for k in keys)

    table = []
    for name, row in results.items():
        family = " / ".join(str(v) for v in row["held_reasoning_by_family"].values())
        flat = row.get("flat_group_share")
        screen = row.get("screen")
        table.append(
            [
                name,
                f"{flat:.0%}" if flat is not None else "—",
                cell(row, "ind_reasoning"),
                cell(row, "dev_refused", "dev_over_refused", "dev_reasoning"),
                f"{row['held_reasoning']} ({family})",
                cell(row, "held_refused", "held_over_refused", "held_format", "held_mixing"),
                f"{row['stage_s']:.0f}" + (f" ({screen['seconds']:.0f})" if screen else "")
                if row.get("stage_s")
                else "—",
            ]
        )
    report(
        args.name,
        "GRPO with and without the difficulty filter, from one SFT model",
        [
            "model",
            "flat groups",
            "in-dist. reasoning /240",
            "dev refused /96, over /72, reasoning /180",
            "held-out reasoning /180 (per family)",
            "held-out refused /88, over /72, format /120, mixing /24",
            "stage s (screen)",
        ],
        table,
        {"args": {k: str(v) for k, v in vars(args).items()}, "arms": ARMS, "results": results},
    )


if __name__ == "__main__":
    main()
