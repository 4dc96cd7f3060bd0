"""The RL prompt mixture: verifiable reasoning tasks and safety prompts, in the recipe's ratio.

Reasoning prompts come from generators seeded from ``TRAIN_SEED`` (eval suites use ``EVAL_SEED``);
safety prompts are the user turns of the shipped training data (harmful and benign/borderline),
never eval items: neither the built-in suites' nor those the recipe adds (``rg:`` families, prompt files).
Each row carries the columns the rewards read: ``kind``, ``task``, ``language``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import random
from collections.abc import Collection, Sequence
from dataclasses import asdict
from typing import Any

from safealign.corpus import dataset_path, read_rows
from safealign.corpus.decontaminate import decontamination_check, normalise
from safealign.corpus.eval_texts import current_suites, suite_prompts
from safealign.errors import DataError

log = logging.getLogger(__name__)


# The shipped training files whose user turns are the safety prompts.
SAFETY_SOURCES = ("harmful_refusals", "benign_helpful", "multilingual")


def safety_prompts(seed: int, suites: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The shipped files' last user turns, shuffled; those that overlap an item of ``suites`` (a recipe's own eval
    suites, checked as training data is: :func:`safealign.corpus.eval_texts.disjointness_report`) left out."""
    rows = []
    for name in SAFETY_SOURCES:
        for _, row in read_rows(dataset_path(name)):
            user = [m for m in row["messages"] if m["role"] == "user"]
            rows.append(
                {
                    "prompt": user[-1]["content"],
                    "kind": row.get("kind", "benign"),
                    "language": row.get("language", "en"),
                    "task": "",
                }
            )
    if suites:
        authored, generated = suite_prompts(suites)
        report = decontamination_check(
            [(str(index), row["prompt"]) for index, row in enumerate(rows)], authored, exact_only=generated
        )
        flagged = {int(train_id) for train_id, *_ in [*report.exact, *report.overlaps]}
        if flagged:
            log.warning(
                "%d safety prompt(s) of the shipped training files overlap the eval suites %s: left out of the prompts",
                len(flagged),
                ", ".join(suites),
            )
        rows = [row for index, row in enumerate(rows) if index not in flagged]
        if not rows:
            raise DataError(
                f"every safety prompt overlaps the eval suites {', '.join(suites)}: drop the safety task or those suites"
            )
    random.Random(seed).shuffle(rows)
    return rows


def safety_prompt_categories() -> dict[str, str]:
    """Each shipped safety prompt's hazard ``category`` (``S11``: self-harm; "" for a row without one) by its text, the
    first row's where a text is in two. The sample stage's filters read it (a self-harm refusal must point to help); it
    stays out of :func:`safety_prompts`' rows, which the RL stage's dataset and the sample stage's completions key are
    made of, so that neither changes."""
    categories: dict[str, str] = {}
    for name in SAFETY_SOURCES:
        for _, row in read_rows(dataset_path(name)):
            user = [m for m in row["messages"] if m["role"] == "user"]
            categories.setdefault(user[-1]["content"], row.get("category", ""))
    return categories


def safety_source_files() -> list[dict[str, Any]]:
    """The files :func:`safety_prompts` reads, as an SFT mixture records its sources (``name``, ``path``, ``sha256``,
    ``rows_in_file``): a stage stores them in its ``stage.json`` inputs, and the data card flags a file changed since."""
    from safealign.corpus.mixture import sha256_file

    sources = []
    for name in SAFETY_SOURCES:
        path = dataset_path(name)
        sources.append(
            {
                "name": name,
                "path": str(path),
                "sha256": sha256_file(path),
                "rows_in_file": len(read_rows(path)),
            }
        )
    return sources


def problem_key(prompt: str) -> str:
    """A problem's whole-prompt key, as decontamination compares generated eval items: operators kept ("3 + 1" is not
    "3 - 1"), case, punctuation and spacing not."""
    return normalise(prompt, operators=True)


@functools.cache
def _eval_prompt_texts() -> frozenset[str]:
    from safealign.evals.suites import generated_suite_items

    return frozenset(problem_key(item.prompt) for item in generated_suite_items())


def _suite_prompt_texts(suites: Sequence[str]) -> frozenset[str]:
    """Keys of every item of ``suites`` (a recipe's ``rg:`` families and prompt files)."""
    authored, generated = suite_prompts(suites)
    return frozenset(problem_key(prompt) for _, prompt in [*authored, *generated])


def reasoning_prompts(
    spec: str,
    n: int,
    seed: int,
    stage: str = "rl",
    allow_short: bool = False,
    suites: Sequence[str] | None = None,
    taken: Collection[str] = frozenset(),
) -> list[dict[str, Any]]:
    """``n`` distinct problems of ``spec`` (``FAMILY[?KEY=VALUE&...]``: a family and its settings) from a training seed,
    none identical to an eval item: of the built-in suites, or of ``suites`` (None: those of the recipe being run,
    :func:`safealign.corpus.eval_texts.checking_recipe_suites`), where an ``rg:`` suite of the same family draws
    from the same question space; nor one of ``taken``, the questions the mixture's other tasks drew already (one
    family at two settings whose question spaces overlap).

    Families with a small problem space (``basic_arithmetic``, ``chain_sum``) redraw the same question
    from different seeds, so a training seed alone does not keep RL prompts off the eval suites. A family
    with fewer than ``n`` distinct questions is a :class:`DataError` (it would skew the mixture), unless
    ``allow_short``: then it gives what it has.
    """
    from safealign.tasks.problems import TRAIN_SEED, generate_problems, parse_family_spec

    family, config = parse_family_spec(spec)
    held = _eval_prompt_texts() | _suite_prompt_texts(current_suites(suites))
    problems: list[Any] = []
    asked: set[str] = set(taken)
    for attempt in range(4):
        for problem in generate_problems(
            family, n * (attempt + 2), seed=TRAIN_SEED + seed + 7919 * attempt, split="train", config=config
        ):
            # Eval items are kept off by decontamination's key (case and spacing folded); repeats, within a draw or
            # across draws, compare the exact question.
            if problem_key(problem.prompt) not in held and problem.prompt not in asked:
                asked.add(problem.prompt)
                problems.append(problem)
        if len(problems) >= n:
            break
    if len(problems) < n and not allow_short:
        others = " and the other tasks' questions" if taken else ""
        raise DataError(
            f"{stage}: task {spec!r} has only {len(problems)} distinct questions apart from the eval items{others}, "
            f"{n} needed: lower its weight or {stage}.num_prompts, or widen its settings (e.g. a larger max_digits or "
            "max_terms)"
        )
    return [
        {"prompt": p.prompt, "kind": "reasoning", "language": "en", "task": json.dumps(asdict(p))}
        for p in problems[:n]
    ]


def apportion(weights: dict[str, float], total: int) -> dict[str, int]:
    """``total`` split by ``weights`` into whole counts that sum to ``total`` (largest remainders first).

    Rounding each share on its own can overshoot: 96 prompts at 0.7 / 0.3 over four reasoning
    families gave 97.

    >>> apportion({"a": 0.35 / 0.8 * 0.7, "b": 0.15 / 0.8 * 0.7, "c": 0.15 / 0.8 * 0.7, "d": 0.15 / 0.8 * 0.7, "safety": 0.3}, 96)
    {'a': 29, 'b': 13, 'c': 13, 'd': 12, 'safety': 29}
    """
    weight_sum = sum(weights.values())
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    counts = {key: int(share) for key, share in exact.items()}
    # Stable: ties keep the given order. Remainders are compared rounded: float noise broke ties otherwise (15 prompts at
    # 0.05 / 0.05 / 0.35 are 1.67 / 1.67 / 11.67, and the last "largest" remainder gave 2 / 1 / 12 for 2 / 2 / 11).
    by_remainder = sorted(exact, key=lambda key: -round(exact[key] - counts[key], 9))
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def sample_reasoning_tasks(tasks: dict[str, float] | None) -> dict[str, float]:
    """The reasoning tasks the rejection-sampling stage draws from: rl.tasks less safety, or a default mix without
    an RL section."""
    return {
        k: v
        for k, v in (tasks or {"arithmetic": 0.6, "basic_arithmetic": 0.2, "chain_sum": 0.2}).items()
        if k != "safety"
    }


def sample_mixture(tasks: dict[str, float] | None, safety_share: float) -> dict[str, float]:
    """The rejection-sampling stage's prompt mixture: the RL reasoning tasks (a default mix without an RL section) at
    ``1 - safety_share`` in their RL ratio, and safety at ``safety_share``. ``run_sample`` draws it and the pipeline's
    contamination check reads it, so both see the same prompts."""
    reasoning = sample_reasoning_tasks(tasks)
    total = sum(reasoning.values())
    return {k: (1 - safety_share) * v / total for k, v in reasoning.items()} | {"safety": safety_share}


def build_prompt_rows(
    tasks: dict[str, float],
    num_prompts: int,
    seed: int,
    system_prompt: str | None = None,
    stage: str = "rl",
    allow_short: bool = False,
    suites: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """``num_prompts`` rows split across ``tasks`` by weight (:func:`apportion`), shuffled, in conversational form.

    ``stage`` names the caller in messages; ``allow_short`` lets a reasoning family give fewer rows than its share
    (:func:`reasoning_prompts`), or none (rows that are optional extras, as the difficulty filter's further candidates:
    a task without one is not left out of the stage, so no warning says it is). Safety prompts repeat when the share
    exceeds the pool, each row its own copy.
    ``suites``: the recipe's own eval suites the prompts stay off besides the built-in ones (None: the recipe being run's).
    """
    suites = current_suites(suites)
    counts = apportion(dict(sorted(tasks.items())), num_prompts)
    rows: list[dict[str, Any]] = []
    # Each task's questions stay off the earlier tasks': one family at two settings shares questions (basic_arithmetic
    # at its defaults and at max_digits=1&max_terms=2: 12 of 100 prompts), and drawn alone each gave some of the same.
    drawn: set[str] = set()
    for index, family in enumerate(sorted(tasks)):
        count = counts[family]
        if count == 0:
            if tasks[family] > 0 and not allow_short:
                log.warning(
                    "%s: task %s gets 0 of the %d prompts at weight %g: it is left out of this stage",
                    stage,
                    family,
                    num_prompts,
                    tasks[family],
                )
            continue
        if family == "safety":
            pool = safety_prompts(seed, suites)
            if count > len(pool):
                log.warning(
                    "%s: task safety gets %d of the %d prompts, but there are %d distinct safety prompts: %d of them "
                    "are asked twice or more; lower its weight or %s.num_prompts to train on each once",
                    stage,
                    count,
                    num_prompts,
                    len(pool),
                    min(count - len(pool), len(pool)),
                    stage,
                )
            rows.extend(
                dict(pool[i % len(pool)]) for i in range(count)
            )  # a copy each: a repeated row is rewritten below
        else:
            drawn_now = reasoning_prompts(
                family, count, seed * 100 + index, stage, allow_short, suites, drawn
            )
            drawn.update(row["prompt"] for row in drawn_now)
            rows.extend(drawn_now)
    random.Random(seed).shuffle(rows)
    for row in rows:
        messages = [{"role": "user", "content": row["prompt"]}]
        if system_prompt:
            messages.insert(0, {"role": "system", "content": system_prompt})
        row["prompt"] = messages
    return rows


def prompts_sha256(rows: list[dict[str, Any]]) -> str:
    """Digest of :func:`build_prompt_rows`' rows in their order, each whole (its problem and answer too), as an SFT
    mixture's ``rows_sha256`` is of its rows."""
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def check_prompts_render(rows: list[dict[str, Any]], tokenizer: Any) -> None:
    """Render each of :func:`build_prompt_rows`' prompts with the chat template, as the trainer does (with the
    generation prompt): a template that refuses one (Gemma's takes no system turn, and ``model.system_prompt`` adds one
    to every row) is SFT's DataError naming what to change (:func:`safealign.stages.sft.refused_row`) before any
    rollout, not jinja2's bare TemplateError from inside GRPO's first training step."""
    from safealign.stages.sft import refusals_named

    for row in rows:
        # a system turn in the stage's rows is model.system_prompt
        first = row["prompt"][0]
        system_prompt = first["content"] if first["role"] == "system" else None
        with refusals_named(row["prompt"], tokenizer, "rl", None, system_prompt):
            tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
