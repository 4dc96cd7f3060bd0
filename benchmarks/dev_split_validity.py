"""Does a dev suite predict the held-out split? Rank agreement over models, and paired flips for lever pairs.

One side of safety at a time (`--side harmful`, the default: refusal of harmful requests; `--side borderline`:
over-refusal of benign ones), or reasoning (`--side reasoning`: accuracy of the reasoning suites; `--only
rg:lcm,rg:count_primes` keeps the dev suites whose names start so, and `dev (mean)` pools the dev suites kept).

A dev split is only worth choosing recipes on if what moves on it moves on the held-out split too. Given
models scored on the dev suites and (separately) on every held-out item, this prints each model's refusal
rate per dev suite next to its held-out one, the Spearman rank correlation of each dev suite with the
held-out split over the models, and for each lever pair (reference -> variant) the paired flips on every
suite (exact McNemar p), so a dev suite's verdict on a known lever can be checked against the held-out one.

    python benchmarks/dev_split_validity.py \\
        --model sft=runs/val/sft,runs/val2/sft:runs/ho-sft --model sft_b3=runs/val/sft_b3,runs/val2/sft_b3:runs/ho-sft_b3 ... \\
        --pair sft:sft_b3 --name dev_split_validity

Each DEV_DIR (comma-separated, as many as were scored) and HELDOUT_DIR is a `safealign eval --out DIR`
folder; the dev folders hold harmful dev suites (`--suites harmful_dev,harmful_dev_unseen`), the held-out
one the `harmful` suite scored with `--split held_out`. The rule deciding what the numbers mean belongs in writing before they are computed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd
from _common import make_console, report
from rich.table import Table

from safealign.evals.paired import paired_diff

# the side of safety checked -> (the rate compared, the held-out suite that has it)
SIDES = {
    "harmful": ("refusal_rate", "harmful"),
    "borderline": ("over_refusal_rate", "borderline"),
    "reasoning": ("accuracy", "reasoning"),
}
POOLED = "dev (mean)"


def side_rates(folder: Path, kind: str, only: tuple[str, ...] = (), split: str = "all") -> dict[str, float]:
    """suite -> the side's rate (refused, over-refused, or solved) over the ``split`` items ("all": every item) of
    each ``kind`` suite in an eval folder; with ``only``, just the suites whose names start with one of its prefixes."""
    metric, _ = SIDES[kind]
    suites = json.loads((folder / "summary.json").read_text())["suites"]
    rates = {}
    for name, suite in suites.items():
        if suite.get("kind", name) != kind or (only and not name.startswith(only)):
            continue
        if split not in suite["metrics"]:
            raise SystemExit(
                f"{folder}: the {name} suite has no {split} items (scored: {', '.join(suite['metrics'])}); "
                f"score it with `safealign eval MODEL --suites {name} --split {split} --out {folder}`"
            )
        rates[name] = suite["metrics"][split][metric]["value"]
    return rates


def spearman(frame: pd.DataFrame, target: str) -> dict[str, float]:
    # DataFrame.corr ranks with ties averaged and needs no scipy (not a declared dependency)
    corr = frame.corr(method="spearman")[target]
    return {column: round(float(corr[column]), 3) for column in frame.columns if column != target}


def pair_flips(before: tuple[list[Path], Path], after: tuple[list[Path], Path], kind: str) -> dict[str, Any]:
    flips = {}
    folders = [("dev", a, b) for a, b in zip(before[0], after[0], strict=True)] + [
        ("held_out", before[1], after[1])
    ]
    for which, a, b in folders:
        for diff in paired_diff(a, b, show=0, split=None if which == "dev" else "held_out"):
            if diff.kind == kind:
                flips[f"{diff.suite} ({which})"] = {
                    "before": diff.before,
                    "after": diff.after,
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
    parser.add_argument(
        "--model", action="append", required=True, metavar="NAME=DEV_DIR[,DEV_DIR...]:HELDOUT_DIR"
    )
    parser.add_argument("--pair", action="append", default=[], metavar="REFERENCE:VARIANT")
    parser.add_argument(
        "--side",
        choices=sorted(SIDES),
        default="harmful",
        help="harmful: refusal of harmful suites; borderline: over-refusal of borderline suites; reasoning: accuracy",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated prefixes: keep only the dev suites whose names start so"
    )
    parser.add_argument(
        "--name", default="dev_split_validity", help="results file benchmarks/results/NAME.json"
    )
    args = parser.parse_args()

    folders: dict[str, tuple[list[Path], Path]] = {}
    for spec in args.model:
        name, _, dirs = spec.partition("=")
        dev, _, held_out = dirs.partition(":")
        if not (name and dev and held_out):
            parser.error(f"--model {spec!r}: write NAME=DEV_DIR[,DEV_DIR...]:HELDOUT_DIR")
        folders[name] = ([Path(d) for d in dev.split(",")], Path(held_out))
    rows = {}
    for name, (devs, held_out) in folders.items():
        only = tuple(prefix for prefix in args.only.split(",") if prefix)
        rates = {suite: rate for dev in devs for suite, rate in side_rates(dev, args.side, only).items()}
        if len(rates) > 1:
            rates[POOLED] = sum(rates.values()) / len(rates)
        # the held-out items only: a folder scored with `--split all` has in-distribution ones in its "all" too
        rates["held_out"] = side_rates(held_out, args.side, split="held_out")[SIDES[args.side][1]]
        rows[name] = rates
    frame = pd.DataFrame.from_dict(rows, orient="index")
    correlations = spearman(frame, "held_out")
    pairs = {}
    for spec in args.pair:
        reference, _, variant = spec.partition(":")
        if reference not in folders or variant not in folders:
            parser.error(f"--pair {spec!r}: both names must be given with --model")
        pairs[spec] = pair_flips(folders[reference], folders[variant], args.side)

    if pairs:
        flips_table = Table(
            title=f"Paired {SIDES[args.side][0]}, reference -> variant (exact McNemar p)",
            title_justify="left",
        )
        for column in ("pair", "suite", "items with it", "gained", "lost", "p"):
            flips_table.add_column(column)
        for spec, flips in pairs.items():
            for suite, f in flips.items():
                flips_table.add_row(
                    spec,
                    suite,
                    f"{f['before']} -> {f['after']} of {f['items']}",
                    str(f["gained"]),
                    str(f["lost"]),
                    f"{f['p_value']:.3g}",
                )
        make_console().print(flips_table)
    columns = ["model", *frame.columns]
    table = [[name, *(f"{100 * value:.1f}" for value in frame.loc[name])] for name in frame.index]
    table.append(["Spearman with held_out", *(str(correlations.get(c, "")) for c in frame.columns)])
    report(
        args.name,
        f"{SIDES[args.side][0]} (%) on each dev suite vs every held-out item",
        columns,
        table,
        {
            "side": args.side,
            "metric": SIDES[args.side][0],
            "only": args.only,
            "rates": rows,
            "spearman_with_held_out": correlations,
            "pairs": pairs,
        },
    )


if __name__ == "__main__":
    main()
