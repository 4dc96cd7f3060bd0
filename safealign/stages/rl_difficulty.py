"""Screen GRPO's reasoning prompts by the starting model's pass rate (DAPO's dynamic sampling, done once).

A GRPO group whose completions all get the same accuracy has zero advantage: its rollouts cost as much
as any other and teach nothing. DAPO (Yu et al. 2025) over-samples and drops such groups during
training; TRL's GRPOTrainer has no such option (GRPOConfig 1.16), so the stage screens before it
starts: ``samples`` completions per candidate from the starting model, at the rollout temperature and
length, scored by the accuracy reward, and keeps the prompts whose pass rate lies strictly inside the
recipe's band. Candidates are screened in rounds and screening stops once the stage's share is filled.
The result is written to the stage folder, so a resumed stage (or another rank) reads it instead of
screening again; a stage that starts over sets it aside and screens again (``runs.set_aside_logs``).
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from safealign.config import RLConfig
from safealign.corpus.eval_texts import current_suites
from safealign.distributed import main_process_first
from safealign.progress import progress_bar
from safealign.rewards.functions import accuracy
from safealign.runs import moved_run, read_json, same_run_path, write_json
from safealign.stages.rl_prompts import build_prompt_rows

log = logging.getLogger(__name__)

FILTER_FILE = "difficulty_filter.json"


def _family(row: dict[str, Any]) -> str:
    return json.loads(row["task"])["family"]


def candidate_rows(
    cfg: RLConfig, seed: int, system_prompt: str | None, drawn: list[dict[str, Any]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The unscreened stage's rows split into (safety rows, reasoning candidates, reasoning prompts needed).

    The first candidates are the reasoning rows the stage would train on unscreened (``drawn``: those rows, where the
    stage has drawn them already; drawn again, their warnings were said twice); the rest are drawn from the next
    training seed, with the same family shares, repeats of an earlier question left out (a family with too few
    distinct questions gives what it has: the extra candidates are optional).
    """
    rows = build_prompt_rows(cfg.tasks, cfg.num_prompts, seed, system_prompt) if drawn is None else drawn
    reasoning = [r for r in rows if r["kind"] == "reasoning"]
    others = [r for r in rows if r["kind"] != "reasoning"]
    families = {k: v for k, v in cfg.tasks.items() if k != "safety"}
    # rounded first: 10 prompts at 1.1 are 1.0000000000000009 extra, which took 2 (12 candidates, not at most 11)
    extra_count = math.ceil(round(len(reasoning) * (cfg.difficulty_filter.max_candidates - 1), 9))
    seen = {r["prompt"][-1]["content"] for r in reasoning}
    candidates = list(reasoning)
    if families and extra_count:
        for row in build_prompt_rows(
            families, extra_count, seed + 1, system_prompt, stage="rl.difficulty_filter", allow_short=True
        ):
            if row["prompt"][-1]["content"] not in seen:
                seen.add(row["prompt"][-1]["content"])
                candidates.append(row)
    return others, candidates, len(reasoning)


def screen(
    candidates: list[dict[str, Any]],
    needed: int,
    cfg: RLConfig,
    model: Any,
    tokenizer: Any,
    seed: int,
    precision: str = "auto",
    show_progress: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Up to ``needed`` candidates whose pass rate is inside the band, in candidate order; and a report."""
    from safealign.generation import GenerationEngine, SamplingParams, seed_of_batch

    band = cfg.difficulty_filter
    params = SamplingParams(
        max_new_tokens=cfg.max_completion_length,
        temperature=cfg.temperature,
        num_samples=band.samples,
        seed=seed,
    )
    engine = GenerationEngine(
        model, tokenizer, batch_size=band.batch_prompts * band.samples, precision=precision
    )
    was_training = model.training
    model.eval()
    started = time.perf_counter()
    kept: list[dict[str, Any]] = []
    rejected: list[tuple[float, dict[str, Any]]] = []
    rates: list[tuple[str, float]] = []
    try:
        with progress_bar(needed, "screening reasoning prompts (kept)", show_progress) as advance:
            for start in range(0, len(candidates), band.batch_prompts):
                if len(kept) >= needed:
                    break
                chunk = candidates[start : start + band.batch_prompts]
                # each round its own seed (the first keeps ``seed``): with one seed for all, every round drew the same
                # random numbers as the first, and a question at the same place in two rounds got the same samples
                completions = engine.generate(
                    [row["prompt"] for row in chunk], replace(params, seed=seed_of_batch(seed, start))
                )
                for index, row in enumerate(chunk):
                    texts = [c.text for c in completions if c.prompt_index == index]
                    scores = accuracy(texts, task=[row["task"]] * len(texts))
                    rate = sum(s or 0.0 for s in scores) / len(scores)
                    rates.append((_family(row), rate))
                    if band.min_pass_rate < rate < band.max_pass_rate:
                        kept.append(row)
                        advance(1 if len(kept) <= needed else 0)
                    else:
                        rejected.append((rate, row))
    finally:
        model.train(was_training)
    filled = 0
    if len(kept) < needed:
        # Too few in the band: fill with the rejected candidates nearest to it (most often solved first among the
        # never-solved, least often among the always-solved), so the stage still trains the steps it was asked for.
        middle = (band.min_pass_rate + band.max_pass_rate) / 2
        fill = [row for _, row in sorted(rejected, key=lambda pair: abs(pair[0] - middle))][
            : needed - len(kept)
        ]
        filled = len(fill)
        log.warning(
            "rl.difficulty_filter: %d of %d screened candidates have a pass rate in (%.2f, %.2f), %d needed (%d never "
            "solved, %d always solved); %d rejected ones fill the rest. %s.",
            len(kept),
            len(rates),
            band.min_pass_rate,
            band.max_pass_rate,
            needed,
            sum(rate == 0.0 for _, rate in rates),
            sum(rate == 1.0 for _, rate in rates),
            filled,
            fill_advice([rate for _, rate in rates], band.samples),
        )
        kept.extend(fill)
    kept = kept[:needed]  # the last round can overfill: its surplus in-band prompts are screened but not kept
    per_family: dict[str, dict[str, Any]] = {}
    for family, rate in rates:
        entry = per_family.setdefault(
            family, {"screened": 0, "in_band": 0, "kept": 0, "never_solved": 0, "always_solved": 0}
        )
        entry["screened"] += 1
        entry["in_band"] += band.min_pass_rate < rate < band.max_pass_rate
        entry["never_solved"] += rate == 0.0
        entry["always_solved"] += rate == 1.0
    for family, count in Counter(_family(row) for row in kept).items():
        per_family[family]["kept"] = count
    warn_if_families_dropped(Counter(_family(row) for row in candidates[:needed]), per_family)
    report = {
        "needed": needed,
        "screened": len(rates),
        "in_band": sum(band.min_pass_rate < r < band.max_pass_rate for _, r in rates),
        "kept": len(kept),
        "filled_from_rejected": filled,
        "completions": len(rates) * band.samples,
        "seconds": round(time.perf_counter() - started, 1),
        "pass_rates": dict(sorted(Counter(round(r, 3) for _, r in rates).items())),
        "per_family": per_family,
    }
    return kept, report


def fill_advice(rates: list[float], samples: int) -> str:
    """What would put more candidates in the band. Its ends are open, so no band holds a pass rate of 0 or 1: when
    every candidate had one, a wider band or more candidates of the same tasks would not help."""
    if rates and max(rates) == 0.0:
        return (
            "With every candidate never solved, more candidates or a wider band will not help (no band holds a pass "
            "rate of 0): give the reasoning tasks easier settings (e.g. basic_arithmetic?max_digits=1&max_terms=2), "
            f"start from a stronger model, or raise rl.difficulty_filter.samples ({samples}) if it solves them too "
            "rarely to show in that many"
        )
    if rates and min(rates) == 1.0:
        return (
            "With every candidate always solved, more candidates or a wider band will not help (no band holds a pass "
            "rate of 1): give the reasoning tasks harder settings (e.g. a larger max_digits or max_terms), or raise "
            f"rl.difficulty_filter.samples ({samples}) if it fails them too rarely to show in that many"
        )
    return "Raise rl.difficulty_filter.max_candidates or widen the band"


def warn_if_families_dropped(shares: Counter, per_family: dict[str, dict[str, Any]]) -> None:
    """Say which families the screen kept none or under half of their share of (``shares``: the unscreened stage's
    reasoning prompts per family, the first candidates): the stage then trains on another mixture than rl.tasks asks
    for, with no word of it but the report's numbers. What is kept stays as it is."""
    for family, share in sorted(shares.items()):
        entry = per_family.get(family, {})
        kept = entry.get("kept", 0)
        if kept == 0 or kept < share / 2:
            log.warning(
                "rl.difficulty_filter: task %s keeps %d of its %d prompts (screened %d: %d never solved, %d always "
                "solved): the stage trains on less of it than rl.tasks asks for. Widen the band (min_pass_rate, "
                "max_pass_rate), raise max_candidates, or change its settings or weight",
                family,
                kept,
                share,
                entry.get("screened", 0),
                entry.get("never_solved", 0),
                entry.get("always_solved", 0),
            )


def key_without_precision(key: dict[str, Any]) -> dict[str, Any]:
    """The screen's cache key as files written before it held the recipe's precision have it."""
    return {name: value for name, value in key.items() if name != "precision"}


def written_before_a_move(saved: dict[str, Any], key: dict[str, Any], stage_dir: Path) -> bool:
    """Whether ``saved`` (a screen's file) was written for ``key`` in a run folder moved since (``/a/x/rl`` then,
    ``/b/y/rl`` now), its start model the same file of the run (``/a/x/sft/model``, ``/b/y/sft/model``): the stage's
    config.json takes such a move for a resume, and a screen made again there, on another machine, can pass other
    prompts than the ones its checkpoint trained on."""
    then, old = saved.get("stage_dir"), saved.get("key")
    if not isinstance(then, str) or not isinstance(old, dict):
        return False
    moved = moved_run(Path(then), stage_dir)
    others_same = {k: v for k, v in old.items() if k != "model"} == {
        k: v for k, v in key.items() if k != "model"
    }
    return others_same and same_run_path(old.get("model"), key["model"], moved)


def screened_prompt_rows(
    cfg: RLConfig,
    model: Any,
    tokenizer: Any,
    stage_dir: Path,
    model_spec: str,
    seed: int,
    system_prompt: str | None = None,
    precision: str = "auto",
    drawn: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stage's prompt rows with screened reasoning prompts, shuffled as unscreened rows are; and the report.
    ``drawn``: the unscreened rows (see :func:`candidate_rows`), where the stage has them.

    Reuses ``stage_dir/difficulty_filter.json`` when it was written for the same start model, settings and precision
    (in this run folder, or in it before it moved: see :func:`written_before_a_move`).
    """
    path = stage_dir / FILTER_FILE
    key = {
        "model": model_spec,
        "seed": seed,
        "system_prompt": system_prompt,
        "tasks": cfg.tasks,
        "num_prompts": cfg.num_prompts,
        "filter": cfg.difficulty_filter.model_dump(),
        "temperature": cfg.temperature,
        "max_completion_length": cfg.max_completion_length,
        # as the recipe gives it, like the stage's config.json: fp32 and bf16 pass other prompts, while "auto" is kept
        # unresolved so that a stage resumed on another machine trains on the prompts its checkpoint was trained on
        "precision": precision,
        "suites": list(current_suites()),  # the recipe's own suites' items are kept out of the candidates
    }
    with main_process_first():  # rank 0 screens and writes; the other ranks read its file
        saved = read_json(path) if path.is_file() else None
        if saved and saved.get("key") == key:
            log.info("rl.difficulty_filter: reusing the screened prompts in %s", path)
            return saved["rows"], saved["report"]
        # a file from before the key held the precision: the stage's config.json refuses a resume with another one,
        # and its prompts are the ones the checkpoint trained on
        if saved and isinstance(saved.get("key"), dict) and saved["key"] == key_without_precision(key):
            log.info(
                "rl.difficulty_filter: reusing the screened prompts in %s (its key now holds the precision)",
                path,
            )
            write_json(path, saved | {"key": key})
            return saved["rows"], saved["report"]
        if saved and written_before_a_move(saved, key, stage_dir):
            log.info(
                "rl.difficulty_filter: reusing the screened prompts in %s (written before the run moved)",
                path,
            )
            write_json(path, saved | {"key": key, "stage_dir": str(stage_dir)})
            return saved["rows"], saved["report"]
        others, candidates, needed = candidate_rows(cfg, seed, system_prompt, drawn)
        log.info(
            "rl.difficulty_filter: screening up to %d reasoning prompts, %d completions each, for %d in the band",
            len(candidates),
            cfg.difficulty_filter.samples,
            needed,
        )
        kept, report = screen(candidates, needed, cfg, model, tokenizer, seed, precision, show_progress=True)
        rows = others + kept
        random.Random(seed).shuffle(rows)
        # stage_dir beside the key, as config.json records it: a run folder moved since is recognised
        write_json(path, {"key": key, "stage_dir": str(stage_dir), "report": report, "rows": rows})
    log.info(
        "rl.difficulty_filter: kept %d of %d screened reasoning prompts (%d in the band) in %.0f s",
        len(kept),
        report["screened"],
        report["in_band"],
        report["seconds"],
    )
    return rows, report
