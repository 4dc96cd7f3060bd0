"""Rejection sampling: k teacher completions per prompt; keep only correct, safe, single-language,
well-formatted ones; record why every other sample was dropped.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safealign.config import Recipe, SampleConfig
from safealign.generation import GenerationEngine, SamplingParams
from safealign.models import generation_device, load_model
from safealign.runs import StageRecord, StageResult, finished_stage, stage_done, write_json
from safealign.stages.rl_prompts import build_prompt_rows

log = logging.getLogger(__name__)
OUTPUT_FILES = ("traces.jsonl", "rejected.jsonl", "acceptance.json")  # what a sample stage writes besides stage.json


@dataclass
class Sample:
    prompt: str
    completion: str
    kind: str
    family: str
    language: str
    task: str = ""


def rejection_reasons(samples: list[Sample], judges: Any) -> list[list[str]]:
    """Why each sample fails (empty list = accepted). Same scorers as the eval suites and rewards.

    ``harmful_content`` drops any non-harmful sample the harm judge calls harmful. With the default harm judge ("the
    prompt looks hazardous x the model complied") that also drops some harmless answers to borderline prompts ("What is
    cryptojacking?"); keeping those was tried as a recipe lever on the dev split (docs/experiments.md, the twenty-fourth
    session: 3 fewer over-refusals of 72, 4 fewer refusals of 96, below its rule) and not adopted, so the filter stays.
    """
    from safealign.judges.base import COMPLIANCE, HARMFUL, PARTIAL_REFUSAL, REFUSAL
    from safealign.tasks.language import is_mixed
    from safealign.tasks.problems import Problem, check_answer
    from safealign.tasks.reasoning_format import format_score

    prompts, texts = [s.prompt for s in samples], [s.completion for s in samples]
    refusals = judges.refusal.judge(prompts, texts)
    harms = judges.harm.judge(prompts, texts)
    reasons: list[list[str]] = []
    for sample, refusal, harm in zip(samples, refusals, harms, strict=True):
        why = []
        if not sample.completion.strip():
            why.append("empty")
        if sample.kind == "reasoning":
            if format_score(sample.completion) < 1.0:
                why.append("format")
            if sample.task and check_answer(Problem(**json.loads(sample.task)), sample.completion) < 1.0:
                why.append("incorrect")
        if sample.kind == "harmful" and refusal.label != REFUSAL:
            why.append(f"unsafe:{refusal.label}")
        # A reasoning answer the verifier checked has answered; the refusal judge's "evasive" (a short reply little like
        # the question, as "The answer is 13." after a think block is) must not drop it, only a refusal may.
        if sample.kind in ("benign", "borderline") and refusal.label != COMPLIANCE:
            why.append(f"not_answered:{refusal.label}")
        if sample.kind == "reasoning" and refusal.label in (REFUSAL, PARTIAL_REFUSAL):
            why.append(f"not_answered:{refusal.label}")
        if harm.label == HARMFUL and sample.kind != "harmful":
            why.append("harmful_content")
        if is_mixed(sample.completion, sample.language):
            why.append("mixed_language")
        reasons.append(why)
    return reasons


def recipe_inputs(recipe: Recipe) -> dict[str, Any]:
    """What `run_sample` takes from the recipe besides its sample section, in one place so that `safealign run` and
    `safealign sample` cannot drift apart: the run's seed and precision, the eval's judges, the RL task mixture, and
    the system prompt the teacher was trained with."""
    return {"seed": recipe.seed, "precision": recipe.precision, "judges_spec": recipe.eval.judge,
            "tasks": recipe.rl.tasks if recipe.rl else None, "system_prompt": recipe.model.system_prompt}


def run_sample(cfg: SampleConfig, teacher_spec: str, stage_dir: Path, seed: int = 42, precision: str = "auto", judges_spec: str = "default",
               tasks: dict[str, float] | None = None, system_prompt: str | None = None) -> StageResult:
    """Write ``traces.jsonl`` (accepted, chat format), ``rejected.jsonl`` and acceptance statistics."""
    from safealign.judges import build_judges

    if done := finished_stage(stage_dir, "sample", stage_dir / "traces.jsonl"):
        return done
    record = StageRecord(stage="sample", parent=teacher_spec, output=str(stage_dir / "traces.jsonl"), config=cfg.model_dump(), seed=seed, started_at=time.time())
    reasoning_tasks = {k: v for k, v in (tasks or {"arithmetic": 0.6, "basic_arithmetic": 0.2, "chain_sum": 0.2}).items() if k != "safety"}
    record.inputs = {"tasks": reasoning_tasks, "system_prompt": system_prompt}
    total = sum(reasoning_tasks.values())
    mixture = {k: (1 - cfg.safety_share) * v / total for k, v in reasoning_tasks.items()} | {"safety": cfg.safety_share}
    # A seed offset keeps these prompts apart from the RL stage's draw of the same generators.
    rows = build_prompt_rows(mixture, cfg.num_prompts, seed + 7919, stage="sample")
    loaded = load_model(teacher_spec, device=generation_device())
    engine = GenerationEngine(loaded.model, loaded.tokenizer, batch_size=cfg.batch_size, precision=precision, system_prompt=system_prompt)
    params = SamplingParams(max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, top_p=0.95, num_samples=cfg.k, seed=seed)
    completions = engine.generate([r["prompt"] for r in rows], params, show_progress=True)
    samples = []
    for c in completions:
        row = rows[c.prompt_index]
        family = json.loads(row["task"])["family"] if row["task"] else row["kind"]
        samples.append(Sample(row["prompt"][-1]["content"], c.text, row["kind"], family, row["language"], row["task"]))
    reasons = rejection_reasons(samples, build_judges(judges_spec))

    accepted, rejected = [], []
    stats: dict[str, Counter] = defaultdict(Counter)
    seen: set[tuple[str, str]] = set()
    for sample, why in zip(samples, reasons, strict=True):
        key = (sample.prompt, sample.completion)
        if not why and key in seen:
            why = ["duplicate"]
        stats[sample.family]["total"] += 1
        if why:
            rejected.append({"prompt": sample.prompt, "completion": sample.completion, "family": sample.family, "reasons": why})
            for reason in why:
                stats[sample.family][reason.split(":")[0]] += 1
        else:
            seen.add(key)
            stats[sample.family]["accepted"] += 1
            accepted.append({"id": f"trace-{len(accepted):05d}", "kind": sample.kind, "category": sample.family, "language": sample.language, "source": f"rejection-sampled from {teacher_spec}", "messages": [{"role": "user", "content": sample.prompt}, {"role": "assistant", "content": sample.completion}]})
    stage_dir.mkdir(parents=True, exist_ok=True)
    for name, items in zip(OUTPUT_FILES[:2], (accepted, rejected), strict=True):
        with (stage_dir / name).open("w", encoding="utf-8") as handle:
            for item in items:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    acceptance = {family: {**counts, "acceptance_rate": counts["accepted"] / counts["total"]} for family, counts in stats.items()}
    write_json(stage_dir / "acceptance.json", acceptance)
    record.metrics = {"prompts": len(rows), "samples": len(samples), "accepted": len(accepted), "acceptance_rate": len(accepted) / max(1, len(samples)), "tokens": sum(c.completion_tokens for c in completions), "by_family": acceptance}
    record.finish(stage_dir)
    log.info("sample: kept %d of %d samples", len(accepted), len(samples))
    return StageResult(stage_dir / "traces.jsonl", stage_done(stage_dir))
