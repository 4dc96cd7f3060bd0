"""`safealign compare RECIPE.yaml`: the seed's ablation — base, SFT only, RL only, hybrid, student.

The recipe's own pipeline already holds four of the five arms (base eval, SFT eval, SFT→RL eval,
student eval), so comparing reruns nothing that is done: the pipeline resumes as usual, and one
extra branch trains RL straight from the base model (R1-Zero style) with the recipe's RL settings.
Each arm lists the wall time and tokens spent to reach it (training stages on its path, evals
excluded) next to its held-out scores. Results go to ``<run>/ablation.md`` and ``ablation.json``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safealign.config import Recipe
from safealign.runs import read_json, stage_done, write_json

log = logging.getLogger(__name__)

# metric key in an eval headline -> (column title, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "harmful.refusal_rate": ("harmful refused", True),
    "borderline.over_refusal_rate": ("borderline over-refused", False),
    "reasoning.accuracy": ("reasoning acc.", True),
    "format.format_compliance": ("format", True),
    "language.mixing_rate": ("language mixing", False),
}


# (arm A, arm B, suites, the claim the pair checks): the seed's claims, tested item by item on the same prompts.
PAIRED_CHECKS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("sft_only", "hybrid", ("harmful", "borderline"), "hybrid as safe as SFT only"),
    ("rl_only", "hybrid", ("reasoning",), "hybrid as accurate as RL only"),
    ("hybrid", "student", ("harmful", "borderline", "reasoning"), "student keeps its teacher's behaviour"),
)


@dataclass
class Arm:
    """One ablation arm: the eval that scores it and the training stages on its path."""

    name: str
    description: str
    eval_dir: Path
    training_dirs: list[Path] = field(default_factory=list)

    def row(self, split: str) -> dict[str, Any] | None:
        from safealign.stages.evaluate import load_headline

        if not (self.eval_dir / "summary.json").is_file():
            return None
        records = [stage_done(path) or {} for path in self.training_dirs]
        return {
            "arm": self.name,
            "description": self.description,
            "wall_time_s": sum(r.get("wall_time_s") or 0.0 for r in records),
            "train_tokens": sum(r.get("metrics", {}).get("tokens") or 0 for r in records),
            "metrics": load_headline(self.eval_dir, split),
        }


def ablation_arms(run_dir: Path) -> list[Arm]:
    rl_only = run_dir / "ablation" / "rl_only"
    return [
        Arm("base", "the model as given", run_dir / "eval" / "base"),
        Arm("sft_only", "SFT", run_dir / "eval" / "sft", [run_dir / "sft"]),
        Arm("rl_only", "GRPO from the base model (no SFT, like R1-Zero)", rl_only / "eval", [rl_only / "rl"]),
        Arm("hybrid", "SFT then GRPO", run_dir / "eval" / "rl", [run_dir / "sft", run_dir / "rl"]),
        Arm("student", "hybrid teacher distilled into the pruned student", run_dir / "eval" / "student",
            [run_dir / "sft", run_dir / "rl", run_dir / "sample", run_dir / "distill"]),
    ]


def run_compare(recipe: Recipe, recipe_path: Path | None = None, show_progress: bool = True) -> dict[str, Any]:
    """Run (or resume) every arm the recipe allows, then write and return the ablation table."""
    from safealign.pipeline import run_pipeline
    from safealign.stages.evaluate import run_eval_stage

    run_pipeline(recipe, recipe_path=recipe_path, show_progress=show_progress)
    if recipe.rl and recipe.rl.enabled:
        from safealign.stages.rl import run_rl

        branch = recipe.run_dir / "ablation" / "rl_only"
        asked = {"seed": recipe.seed, "system_prompt": recipe.model.system_prompt}
        model = str(run_rl(recipe.rl, recipe.model.name, branch / "rl", precision=recipe.precision, **asked).model_path)
        run_eval_stage(recipe.eval, model, branch / "eval", label="rl_only", show_progress=show_progress, **asked)
    else:
        log.info("compare: the recipe has no rl section; the rl_only and hybrid arms are left out")
    return write_ablation(recipe.run_dir, split="held_out" if recipe.eval.split != "in_distribution" else "in_distribution")


def write_ablation(run_dir: Path, split: str = "held_out") -> dict[str, Any]:
    arms = ablation_arms(run_dir)
    rows = [row for arm in arms if (row := arm.row(split)) is not None]
    paired = paired_checks(arms, split)
    result = {"run_dir": str(run_dir), "split": split, "arms": rows, "paired": paired}
    write_json(run_dir / "ablation.json", result)
    (run_dir / "ablation.md").write_text(ablation_markdown(rows, split) + paired_markdown(paired))
    return result


def paired_checks(arms: list[Arm], split: str) -> list[dict[str, Any]]:
    """Each PAIRED_CHECKS pair whose evals kept their answers: flips both ways and the exact McNemar p-value."""
    from safealign.evals.paired import paired_diff

    dirs = {arm.name: arm.eval_dir for arm in arms}
    out = []
    for a, b, suites, claim in PAIRED_CHECKS:
        if not all((dirs[name] / "samples.jsonl").is_file() for name in (a, b)):
            continue
        for diff in paired_diff(dirs[a], dirs[b], show=0, split=split):
            if diff.suite in suites and diff.paired:
                out.append({"check": claim, "a": a, "b": b, "suite": diff.suite, "outcome": diff.outcome, "paired": diff.paired,
                            "a_count": diff.before, "b_count": diff.after, "gained": diff.gained, "lost": diff.lost,
                            "p_value": diff.p_value, "better": diff.better})
    return out


def paired_markdown(paired: list[dict[str, Any]]) -> str:
    if not paired:
        return ""
    lines = [
        "",
        "The seed's claims item by item, on the same prompts (flips: +items with the outcome in B only / −in A only; "
        "p: the exact McNemar test on those flips; `safealign eval-diff A_DIR B_DIR` lists them):",
        "",
        "| check | A → B | suite | per item | A | B | flips | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in paired:
        lines.append(f"| {row['check']} | {row['a']} → {row['b']} | {row['suite']} | {row['outcome']} | "
                     f"{row['a_count']}/{row['paired']} | {row['b_count']}/{row['paired']} | +{row['gained']} / −{row['lost']} | "
                     f"{row['p_value']:.2g} |")
    return "\n".join(lines) + "\n"


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-"
    return f"{entry['value']:.0%} ±{(entry['high'] - entry['low']) / 2:.0%}"


def ablation_markdown(rows: list[dict[str, Any]], split: str) -> str:
    titles = [title + (" ↑" if higher else " ↓") for title, higher in METRICS.values()]
    lines = [
        f"Scores on the {split.replace('_', '-')} split of each suite (± is half the 95% Wilson interval); "
        "wall time and tokens are the training stages on the arm's path (evals excluded).",
        "",
        "| arm | path | " + " | ".join(titles) + " | train wall | train tokens |",
        "|---|---|" + "---|" * len(titles) + "---|---|",
    ]
    for row in rows:
        cells = [_cell(row["metrics"].get(key)) for key in METRICS]
        lines.append(f"| {row['arm']} | {row['description']} | " + " | ".join(cells)
                     + f" | {row['wall_time_s'] / 60:.1f} min | {row['train_tokens']:,} |")
    return "\n".join(lines) + "\n"


def load_ablation(run_dir: Path) -> dict[str, Any]:
    return read_json(run_dir / "ablation.json")
