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
one the `harmful` suite scored with `--split held_out`. A pair's dev suites are paired by name, from whichever of each
model's folders scored them; every model needs the same dev suites (the script names any that one lacks). The rule deciding what the numbers mean belongs in writing before they are computed.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pandas as pd
from _common import make_console, report, result_name
from rich.table import Table

from safealign.errors import DataError
from safealign.evals.paired import paired_diff
from safealign.runs import read_json

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
    summary = folder / "summary.json"
    if not summary.is_file():  # was a FileNotFoundError's traceback
        found = "is not an eval folder (no summary.json)" if folder.is_dir() else "not found"
        raise SystemExit(f"{folder} {found}: give a folder written by `safealign eval --out DIR` in --model")
    try:
        suites = read_json(summary, dict).get("suites")
    except DataError as error:
        raise SystemExit(str(error)) from None
    if not isinstance(suites, dict):
        raise SystemExit(
            f"{summary} is not an eval summary (no 'suites' mapping): rerun `safealign eval` into it"
        )
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


def dev_suites(devs: list[Path], kind: str, only: tuple[str, ...]) -> dict[str, tuple[Path, float]]:
    """suite -> (the dev folder that scored it, its rate), over a model's dev folders; a suite scored in two of them
    is refused (which of its two rates would be the model's?)."""
    suites: dict[str, tuple[Path, float]] = {}
    for dev in devs:
        for suite, rate in side_rates(dev, kind, only).items():
            if suite in suites:
                raise SystemExit(
                    f"the {suite} suite is scored in both {suites[suite][0]} and {dev}: give each dev suite once "
                    "(one of the two folders, or --only to keep the other suites)"
                )
            suites[suite] = (dev, rate)
    if not suites:  # a typo in --only, or dev folders of another side, gave a table with no dev suite in it
        kept = f" whose names start with {', '.join(only)}" if only else ""
        raise SystemExit(
            f"{', '.join(map(str, devs))}: no {kind} dev suite{kept}; give dev folders scored on {kind} dev suites "
            "(e.g. `safealign eval MODEL --suites dev --split dev --out DEV_DIR`), or the --side or --only they hold"
        )
    return suites


def same_dev_suites(suites: dict[str, dict[str, tuple[Path, float]]]) -> None:
    """Refuse models scored on different dev suites: a suite's rank correlation needs every model's rate, and the
    pooled dev rate would average other suites for each."""
    union = {suite for scored in suites.values() for suite in scored}
    missing = {name: sorted(union - set(scored)) for name, scored in suites.items() if union - set(scored)}
    if missing:
        lacking = "; ".join(f"{name} has no {', '.join(names)}" for name, names in missing.items())
        raise SystemExit(
            f"the models were scored on different dev suites ({lacking}): give every model the same dev suites "
            "(score the missing ones with `safealign eval MODEL --suites ... --out DEV_DIR` and add the folder to its "
            "--model, or leave the other models' extra folders out; --only keeps suites by name prefix)"
        )


def spearman(frame: pd.DataFrame, target: str) -> dict[str, float | None]:
    """Each column's Spearman correlation with ``target`` over the models; None where it is undefined (a column,
    or the target, with the same rate for every model)."""
    # DataFrame.corr ranks with ties averaged and needs no scipy (not a declared dependency)
    corr = frame.corr(method="spearman")[target]
    return {
        column: round(float(corr[column]), 3) if math.isfinite(corr[column]) else None
        for column in frame.columns
        if column != target
    }


def pair_flips(
    before: tuple[dict[str, tuple[Path, float]], Path],
    after: tuple[dict[str, tuple[Path, float]], Path],
    kind: str,
) -> dict[str, Any]:
    """Paired flips of each dev suite (from whichever dev folder of each model scored it) and the held-out suite."""
    flips = {}
    folders = [("dev", [suite], before[0][suite][0], after[0][suite][0]) for suite in before[0]] + [
        ("held_out", None, before[1], after[1])
    ]
    for which, suites, a, b in folders:
        try:
            diffs = paired_diff(a, b, show=0, split=None if which == "dev" else "held_out", suites=suites)
        except DataError as error:
            raise SystemExit(f"cannot pair {a} with {b}: {error}") from None
        for diff in diffs:
            if diff.kind == kind:
                flips[f"{diff.suite} ({which})"] = {
                    "before": diff.before,
                    "after": diff.after,
                    "gained": diff.gained,
                    "lost": diff.lost,
                    "items": diff.paired,
                    # items one folder scored and the other did not (another --limit or seed): left out of the pairing
                    "unpaired": {"reference": diff.only_before, "variant": diff.only_after},
                    "p_value": round(diff.p_value, 4),
                }
    return flips


def unpaired(counts: dict[str, int]) -> str:
    """The table's note on the items of a suite that only one model of a pair was scored on; '' when there are none."""
    notes = [f"{count} only in the {side}" for side, count in counts.items() if count]
    return f" ({', '.join(notes)})" if notes else ""


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
        "--name",
        type=result_name,
        default="dev_split_validity",
        help="results file benchmarks/results/NAME.json",
    )
    args = parser.parse_args()

    folders: dict[str, tuple[list[Path], Path]] = {}
    for spec in args.model:
        name, _, dirs = spec.partition("=")
        dev, _, held_out = dirs.partition(":")
        if not (name and dev and held_out):
            parser.error(f"--model {spec!r}: write NAME=DEV_DIR[,DEV_DIR...]:HELDOUT_DIR")
        if name in folders:  # the second replaced the first: one model fewer in every correlation, without a word
            parser.error(f"--model {name} given twice: give each model once, under a name of its own")
        folders[name] = ([Path(d) for d in dev.split(",")], Path(held_out))
    only = tuple(prefix for prefix in args.only.split(",") if prefix)
    suites = {name: dev_suites(devs, args.side, only) for name, (devs, _) in folders.items()}
    same_dev_suites(suites)
    rows = {}
    for name, (_, held_out) in folders.items():
        rates = {suite: rate for suite, (_, rate) in suites[name].items()}
        if len(rates) > 1:
            rates[POOLED] = sum(rates.values()) / len(rates)
        # the held-out items only: a folder scored with `--split all` has in-distribution ones in its "all" too
        held_suite = SIDES[args.side][1]
        held = side_rates(held_out, args.side, split="held_out")
        if held_suite not in held:  # was a KeyError's traceback
            raise SystemExit(
                f"{held_out} holds no {held_suite} suite: give as HELDOUT_DIR the folder of `safealign eval MODEL "
                f"--suites {held_suite} --split held_out --limit 1000 --out HELDOUT_DIR`"
            )
        rates["held_out"] = held[held_suite]
        rows[name] = rates
    frame = pd.DataFrame.from_dict(rows, orient="index")
    correlations = spearman(frame, "held_out")
    pairs = {}
    for spec in args.pair:
        reference, _, variant = spec.partition(":")
        if reference not in folders or variant not in folders:
            parser.error(f"--pair {spec!r}: both names must be given with --model")
        pairs[spec] = pair_flips(
            (suites[reference], folders[reference][1]), (suites[variant], folders[variant][1]), args.side
        )

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
                    f"{f['before']} -> {f['after']} of {f['items']}{unpaired(f['unpaired'])}",
                    str(f["gained"]),
                    str(f["lost"]),
                    f"{f['p_value']:.3g}",
                )
        make_console().print(flips_table)
    columns = ["model", *frame.columns]
    table = [[name, *(f"{100 * value:.1f}" for value in frame.loc[name])] for name in frame.index]
    cells = {column: "n/a" if value is None else str(value) for column, value in correlations.items()}
    table.append(["Spearman with held_out", *(cells.get(c, "") for c in frame.columns)])
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
