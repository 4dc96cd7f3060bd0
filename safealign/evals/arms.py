"""Two arms of training runs compared on the same eval items: is a change more than the spread between seeds?

`safealign eval-diff` pairs two models item by item, so its McNemar test treats the items as the only
randomness. A training run is a draw too: the quickstart SFT stage trained with four seeds refused
71.6-92.0% of the held-out harmful prompts (``benchmarks/sft_seed_spread.py``), so two runs of one recipe
"differ" at p < 0.0001 item by item. To judge a training change, train each arm with several seeds and
compare the runs' rates: this module gives each arm's per-run counts, mean and spread, the difference
of the means, and an exact permutation test over the runs (every way of splitting the pooled runs into
two arms of these sizes). With few runs the smallest p the test can reach is large (1 against 4: 0.2;
3 against 3: 0.1; 3 against 5: 0.018), and it says so rather than calling a difference real.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from safealign.errors import DataError
from safealign.evals.paired import (
    OUTCOMES,
    config_differences,
    in_split,
    item_key,
    outcome,
    prompt_changed,
    read_eval_dir,
    same_suites,
)


@dataclass
class ArmComparison:
    suite: str  # a suite's name, or "all <kind> suites" when several suites of one kind are pooled
    kind: str
    outcome: str
    higher_is_better: bool
    items: int  # items every run scored
    counts_a: list[int]  # per run of arm A: items with the outcome
    counts_b: list[int]
    p_value: float  # exact two-sided permutation test over the runs' rates
    smallest_p: float  # the smallest p these arm sizes allow (``smallest_p``); ties between runs can raise it

    @property
    def mean_a(self) -> float:
        return 100 * statistics.fmean(self.counts_a) / self.items

    @property
    def mean_b(self) -> float:
        return 100 * statistics.fmean(self.counts_b) / self.items

    @property
    def better(self) -> float:
        """Points B's mean is better than A's (negative: worse)."""
        return (self.mean_b - self.mean_a) * (1 if self.higher_is_better else -1)

    @property
    def verdict(self) -> str:
        if abs(self.better) < 1e-9:
            return "no difference"
        if self.smallest_p >= 0.05:
            return "too few runs"
        if self.p_value >= 0.05:
            return "within spread"
        return "better" if self.better > 0 else "worse"


def spread(counts: list[int], items: int) -> float:
    """The sample standard deviation of the runs' rates, in points (0 for a single run)."""
    return 100 * statistics.stdev(counts) / items if len(counts) > 1 else 0.0


def smallest_p(runs_a: int, runs_b: int) -> float:
    """The smallest p the permutation test can give arms of these sizes: only the observed split itself (and, for arms
    of equal size, its mirror) is as extreme, among C(runs_a + runs_b, runs_a) splits."""
    return (2 if runs_a == runs_b else 1) / math.comb(runs_a + runs_b, runs_a)


class Comparisons(list[ArmComparison]):
    """The rows ``compare_arms`` compared; ``dropped``: suites and items it left out, each with why;
    ``scored_differently``: the eval settings the runs' folders differ in (``config_differences``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.dropped: list[str] = []
        self.scored_differently: dict[str, dict[str, Any]] = {}


def permutation_p(a: list[float], b: list[float]) -> tuple[float, float]:
    """(p, smallest p these values allow) of the exact two-sided permutation test of mean(a) == mean(b).

    Every split of the pooled values into groups of len(a) and len(b) is enumerated: with a handful of
    runs an arm (C(10, 5) = 252 splits) that is the test itself, exact and without a normality assumption
    that a Welch t-test on three runs would lean on.
    """
    pooled = [*a, *b]
    k = len(a)
    total = math.comb(len(pooled), k)
    if total > 200_000:
        raise DataError(f"{len(pooled)} runs make {total} splits to enumerate; compare at most about 20 runs")
    observed = abs(statistics.fmean(a) - statistics.fmean(b))
    differences = []
    for chosen in itertools.combinations(range(len(pooled)), k):
        picked = set(chosen)
        mean_a = statistics.fmean(pooled[i] for i in picked)
        mean_b = statistics.fmean(pooled[i] for i in range(len(pooled)) if i not in picked)
        differences.append(abs(mean_a - mean_b))
    tolerance = 1e-9
    p = sum(d >= observed - tolerance for d in differences) / total
    largest = max(differences)
    smallest = sum(d >= largest - tolerance for d in differences) / total
    return p, smallest


# suite -> item -> (whether the answer has the suite's outcome, the prompt it answered)
Answers = dict[str, dict[tuple[str, int], tuple[bool, str]]]


def _outcomes_by_suite(folder: Path, split: str | None) -> tuple[dict[str, str], set[str], Answers]:
    """(suite -> kind, the paired suites the eval scored, their answers on ``split``) of one eval folder."""
    kinds, samples = read_eval_dir(folder)
    scored = {s["suite"] for s in samples if kinds.get(s["suite"]) in OUTCOMES}
    if split not in (None, "all"):
        samples = [s for s in samples if in_split(s, split)]
    by_suite: Answers = {}
    for sample in samples:
        kind = kinds.get(sample["suite"])
        if kind in OUTCOMES:
            by_suite.setdefault(sample["suite"], {})[item_key(sample)] = (
                outcome(kind, sample),
                sample["prompt"],
            )
    return kinds, scored, by_suite


def refuse_copies(folders: list[Path]) -> None:
    """Two folders that hold one eval run (a ``cp -r`` of it) would count it twice, narrowing the spread and the p.
    A run's summary.json records the times it measured (``wall_time_s`` to the microsecond), so two runs' summaries
    differ even for one model; summaries without times cannot be told apart this way and are left alone."""
    seen: dict[bytes, Path] = {}
    for folder in folders:
        raw = (folder / "summary.json").read_bytes() if (folder / "summary.json").is_file() else b""
        if b'"wall_time_s"' not in raw:
            continue
        if raw in seen:
            raise DataError(
                f"{seen[raw]} and {folder} hold one eval run (their summary.json match byte for byte, measured "
                "times included: one is a copy): give each run once, and eval every seed's model into a folder of "
                "its own"
            )
        seen[raw] = folder


def compare_arms(arm_a: list[Path], arm_b: list[Path], split: str | None = None) -> Comparisons:
    """Per suite every run scored (and per kind, pooled, when a kind has several suites): both arms' counts and the test.

    Only the items every run of both arms scored are counted, so the runs' rates are over the same items; the result's
    ``dropped`` names the suites not every run scored and the items each run lost that way.
    """
    if not arm_a or not arm_b:
        raise DataError("give at least one eval folder per arm (-a DIR for arm A, -b DIR for arm B)")
    if len(arm_a) + len(arm_b) < 3:
        raise DataError(
            "one run against one run has no spread to compare with: use `safealign eval-diff A B` "
            "for two models, or train more seeds per arm"
        )
    folders = [*arm_a, *arm_b]
    refuse_copies(folders)
    runs = [_outcomes_by_suite(folder, split) for folder in folders]
    kinds = runs[0][0]
    suites = [name for name in runs[0][2] if all(name in by_suite for _, _, by_suite in runs)]
    if not suites:
        listed = dict.fromkeys(
            name for run_kinds, _, _ in runs for name, kind in run_kinds.items() if kind in OUTCOMES
        )
        raise DataError(
            f"the {len(runs)} eval folders share no suite with a per-item outcome ({', '.join(OUTCOMES)})"
            + (f" on the {split} split" if split not in (None, "all") else "")
            + (
                ": "
                + "; ".join(
                    f"suite {name}: {', '.join(_lacking(name, folders, runs, split))}" for name in listed
                )
                + ". Compare runs evaluated on the same suites, or leave those folders out"
                if listed
                else ""
            )
        )
    for folder, (run_kinds, _, _) in zip(folders[1:], runs[1:], strict=True):
        same_suites(folders[0], kinds, folder, run_kinds, suites)
    comparisons = Comparisons()
    every = sorted(
        {name for _, scored, _ in runs for name in scored}
    )  # before the split: a suite it empties is named
    for name in (name for name in every if name not in suites):
        held = sum(name in scored for _, scored, _ in runs)
        lacking = sum(name not in by_suite for *_, by_suite in runs)
        comparisons.dropped.append(
            f"{name} (scored by {held} of the {len(runs)} runs)"
            if held < len(runs)
            else f"{name} (no {split} item in {lacking} of the {len(runs)} runs)"
        )
    per_suite: dict[str, tuple[int, list[int]]] = {}
    for name in suites:
        shared = sorted(set.intersection(*(set(by_suite[name]) for *_, by_suite in runs)))
        if not shared:
            raise _no_shared_item(name, folders, [by_suite[name] for *_, by_suite in runs])
        first = runs[0][2][name]
        for folder, (*_, by_suite) in zip(folders[1:], runs[1:], strict=True):
            differ = next((key[0] for key in shared if by_suite[name][key][1] != first[key][1]), None)
            if differ is not None:
                raise prompt_changed(name, differ, folders[0], folder)
        lost = {
            str(folder): len(by_suite[name]) - len(shared)
            for folder, (*_, by_suite) in zip(folders, runs, strict=True)
            if len(by_suite[name]) > len(shared)
        }
        if lost:
            comparisons.dropped.append(
                f"{name}: {len(shared)} items every run scored; left out "
                + ", ".join(f"{count} of {folder}" for folder, count in lost.items())
            )
        per_suite[name] = (
            len(shared),
            [sum(by_suite[name][key][0] for key in shared) for *_, by_suite in runs],
        )
    groups: dict[str, list[str]] = {}
    for name in suites:
        groups.setdefault(kinds[name], []).append(name)
    rows = [(name, kinds[name], *per_suite[name]) for name in suites]
    for kind, names in groups.items():
        if len(names) > 1:
            counts = [sum(per_suite[name][1][i] for name in names) for i in range(len(runs))]
            rows.append((f"all {kind} suites", kind, sum(per_suite[name][0] for name in names), counts))
    for name, kind, items, counts in rows:
        counts_a, counts_b = counts[: len(arm_a)], counts[len(arm_a) :]
        p, _ = permutation_p([c / items for c in counts_a], [c / items for c in counts_b])
        label, higher_is_better = OUTCOMES[kind]
        comparisons.append(
            ArmComparison(
                name,
                kind,
                label,
                higher_is_better,
                items,
                counts_a,
                counts_b,
                p,
                smallest_p(len(arm_a), len(arm_b)),
            )
        )
    comparisons.scored_differently = config_differences(folders, {kinds[name] for name in suites})
    return comparisons


def _lacking(
    name: str, folders: list[Path], runs: list[tuple[dict[str, str], set[str], Answers]], split: str | None
) -> list[str]:
    """Why each folder that holds no answer of suite ``name`` to compare lacks it, naming the folder."""
    reasons = []
    for folder, (kinds, scored, by_suite) in zip(folders, runs, strict=True):
        if name not in kinds:
            reasons.append(f"{folder} did not score it")
        elif name not in scored:
            reasons.append(f"{folder} lists it in summary.json but holds no answer of it in samples.jsonl")
        elif name not in by_suite:
            reasons.append(f"{folder} holds no {split} item of it")
    return reasons


def _no_shared_item(name: str, folders: list[Path], items: list[dict[tuple[str, int], Any]]) -> DataError:
    """The error for a suite every folder answered without an item they all scored: each folder's item count, and the
    first two folders whose items share none (as eval-diff names the two it pairs)."""
    apart = next(
        (
            (folders[i], folders[j])
            for i, j in itertools.combinations(range(len(folders)), 2)
            if not items[i].keys() & items[j].keys()
        ),
        None,
    )
    return DataError(
        f"suite {name}: no item is scored by every run (different --limit, --seed or --split): "
        + ", ".join(
            f"{len(answers)} items in {folder}" for folder, answers in zip(folders, items, strict=True)
        )
        + (f", and {apart[0]} and {apart[1]} share none" if apart else "")
        + "; evaluate every run with the same --limit, --seed and --split"
    )


def to_json(comparisons: list[ArmComparison]) -> list[dict[str, Any]]:
    return [
        asdict(c)
        | {
            "mean_a": c.mean_a,
            "mean_b": c.mean_b,
            "sd_a": spread(c.counts_a, c.items),
            "sd_b": spread(c.counts_b, c.items),
            "better": c.better,
            "verdict": c.verdict,
        }
        for c in comparisons
    ]
