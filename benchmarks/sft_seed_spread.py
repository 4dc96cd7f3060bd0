"""How far does the recipe's SFT model move with its seed alone? The noise floor of every lever comparison.

For each seed, the recipe's SFT stage with nothing changed but ``seed`` (it picks which rows of a partly used
file enter the mixture, e.g. 247 of the 330 harmful refusals at 0.75, and the data order), then the dev split
(``--suites dev``) and every held-out item of harmful, borderline, reasoning and format, in fp32, asked with the
recipe's system prompt. Prints per seed the count of each outcome, the spread (max - min) over the seeds, and
each seed's paired flips against the first one (exact McNemar p); writes benchmarks/results/NAME.json.

    python benchmarks/sft_seed_spread.py --recipe recipes/quickstart.yaml --seeds 42,1,2,3 --out runs/seed_spread

About 20 minutes a seed on 2 cores (SFT ~13, the dev split ~6, held-out ~2). A step whose output is already
in OUT/seed<N>/ (sft/model, dev/summary.json, held_out/summary.json) is skipped, so a rerun continues, and
models trained elsewhere can be linked in to be scored and compared.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from _common import (
    QUICKSTART,
    make_console,
    recipe_system_prompt,
    report,
    result_name,
    reuse_eval,
    system_prompt_flag,
)
from rich.table import Table

from safealign.evals.paired import OUTCOMES, outcome, paired_diff, read_eval_dir

HELD_OUT_SUITES = "harmful,borderline,reasoning,format"
EVALS = {  # folder -> the eval's arguments
    "dev": ["--suites", "dev"],
    "held_out": [
        "--suites",
        HELD_OUT_SUITES,
        "--split",
        "held_out",
        "--limit",
        "1000",
        "--batch-size",
        "128",
    ],
}


def safealign(*args: str) -> None:
    command = [str(Path(sys.executable).with_name("safealign")), *args]
    make_console().print(f"[dim]$ {' '.join(command)}[/dim]")
    subprocess.run(command, check=True)


def train_and_score(recipe_path: Path, seed: int, out: Path, system_prompt: str | None) -> Path:
    """The seed's SFT model and its two evals (asked with the recipe's ``system_prompt``) under ``out/seed<N>``, each
    made only if missing."""
    folder = out / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(recipe_path.read_text())
    data["seed"] = seed
    seeded = folder / "recipe.yaml"
    if not (folder / "sft" / "model").is_dir():
        seeded.write_text(yaml.safe_dump(data, sort_keys=False))
        safealign("sft", str(seeded), "--out", str(folder / "sft"))
    elif seeded.is_file() and yaml.safe_load(seeded.read_text()) != data:
        # a rerun with another --recipe and the same --out reported the first recipe's models as this one's
        raise SystemExit(
            f"{folder / 'sft' / 'model'} was trained from {seeded}, not {recipe_path} with seed {seed}: give another "
            f"--out, or delete {folder} to train it again"
        )
    prompt_args = system_prompt_flag(system_prompt)
    for name, args in EVALS.items():
        if not reuse_eval(folder / name, str(folder / "sft" / "model"), system_prompt):
            safealign(
                "eval",
                str(folder / "sft" / "model"),
                *args,
                *prompt_args,
                "--precision",
                "fp32",
                "--out",
                str(folder / name),
            )
    return folder


def counts(folder: Path) -> dict[str, list[int]]:
    """'<split>:<kind>' -> [items with the outcome, items], the dev suites of one kind summed (e.g. both harmful dev suites)."""
    totals: dict[str, list[int]] = {}
    for split in EVALS:
        kinds, samples = read_eval_dir(folder / split)
        for sample in samples:
            kind = kinds[sample["suite"]]
            if kind in OUTCOMES:
                total = totals.setdefault(f"{split}:{kind}", [0, 0])
                total[0] += outcome(kind, sample)
                total[1] += 1
    return totals


def flips_against(reference: Path, other: Path) -> dict[str, dict[str, Any]]:
    flips = {}
    for split in EVALS:
        for diff in paired_diff(reference / split, other / split, show=0):
            key = f"{split}:{diff.suite}"
            flips[key] = {
                "gained": diff.gained,
                "lost": diff.lost,
                "items": diff.paired,
                "p_value": round(diff.p_value, 4),
            }
    return flips


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipe", type=Path, default=QUICKSTART)
    parser.add_argument(
        "--seeds", default="42,1,2,3", help="comma-separated; the first is the reference of the paired flips"
    )
    parser.add_argument("--out", type=Path, default=Path("runs/seed_spread"))
    parser.add_argument(
        "--name",
        type=result_name,
        default="sft_seed_spread",
        help="results file benchmarks/results/NAME.json",
    )
    args = parser.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds takes comma-separated integers, e.g. 42,1,2,3; got {args.seeds!r}")
    if len(seeds) < 2:
        parser.error("--seeds: give at least two seeds to measure a spread")
    if len(set(seeds)) < len(seeds):
        parser.error(f"--seeds {args.seeds}: a seed given twice is one model; give each seed once")
    # a recipe that does not load, or has no sft: section, fails before any training
    system_prompt = recipe_system_prompt(parser, args.recipe, trains="sft")

    folders = {seed: train_and_score(args.recipe, seed, args.out, system_prompt) for seed in seeds}
    per_seed = {seed: counts(folder) for seed, folder in folders.items()}
    columns = sorted({key for c in per_seed.values() for key in c})
    spread = {
        key: max(c[key][0] for c in per_seed.values()) - min(c[key][0] for c in per_seed.values())
        for key in columns
    }
    flips = {seed: flips_against(folders[seeds[0]], folders[seed]) for seed in seeds[1:]}

    flip_table = Table(
        title=f"Paired flips against seed {seeds[0]} (gained / lost, exact McNemar p)", title_justify="left"
    )
    flip_table.add_column("suite")
    for seed in seeds[1:]:
        flip_table.add_column(f"seed {seed}")
    for key in flips[seeds[1]]:
        flip_table.add_row(
            key,
            *(f"+{f[key]['gained']} / -{f[key]['lost']} (p {f[key]['p_value']:.2g})" for f in flips.values()),
        )
    make_console().print(flip_table)
    rows = [
        [f"seed {seed}", *(f"{c[key][0]}/{c[key][1]}" for key in columns)] for seed, c in per_seed.items()
    ]
    rows.append(["spread (max - min)", *(str(spread[key]) for key in columns)])
    report(
        args.name,
        f"The recipe's SFT model per seed: items with each outcome ({', '.join(f'{k}: {v[0]}' for k, v in OUTCOMES.items())})",
        ["model", *columns],
        rows,
        {
            "recipe": str(args.recipe),
            "seeds": seeds,
            "counts": {str(s): c for s, c in per_seed.items()},
            "spread": spread,
            "flips_against_first": {str(s): f for s, f in flips.items()},
        },
    )


if __name__ == "__main__":
    main()
