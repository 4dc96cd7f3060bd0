"""Every eval prompt the training data must not overlap: built-in suites (both splits), the judge set, and the suites a
recipe adds (``rg:`` families, prompt files)."""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from safealign.paths import package_data

if TYPE_CHECKING:
    from safealign.config import Recipe

log = logging.getLogger(__name__)

# The recipe's own suites while `safealign run` runs it: the stages (sft, rl, sample, distill) check against them
# without each taking the recipe (see :func:`checking_recipe_suites`), and name those of its monitor they cannot read.
_RECIPE_SUITES: ContextVar[tuple[str, ...]] = ContextVar("recipe_eval_suites", default=())
_UNREAD_SUITES: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("unread_monitor_suites", default=())


def eval_prompts(generated: bool = True) -> list[tuple[str, str]]:
    """(id, prompt) for every built-in eval item; ``generated`` adds the generated reasoning problems."""
    items: list[tuple[str, str]] = []
    for path in sorted(package_data("evals").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append((f"{path.stem}:{row['id']}", row["prompt"]))
    judge_set = package_data("judges", "labelled.jsonl")
    if judge_set.is_file():
        for line in judge_set.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append((f"judges:{row['id']}", row["prompt"]))
    if not generated:
        return items
    try:
        from safealign.evals.suites import generated_suite_items
    except ImportError:  # the evals package adds generated (reasoning, format) items when present
        return items
    # an rg: suite's item ids (the dev split's reasoning families) already start with the suite's name and settings
    items.extend(
        (item.id if item.suite.startswith("rg:") else f"{item.suite}:{item.id}", item.prompt)
        for item in generated_suite_items()
    )
    return items


def own_suites(names: Sequence[str]) -> list[str]:
    """The suites of ``names`` (groups expanded) that :func:`eval_prompts` does not already hold: ``rg:`` families and
    prompt files."""
    from safealign.evals.suites import DEV_REASONING, SUITES, expand_suite_names

    return [
        name
        for name in expand_suite_names(list(names))
        if name not in SUITES and name not in DEV_REASONING.values()
    ]


def recipe_eval_suites(recipe: Recipe) -> list[str]:
    """The recipe's own suites (:func:`own_suites`) in eval.suites, and in monitor.eval_suites where it has a monitor
    section, less the monitor's that cannot be read here (:func:`unread_monitor_suites`)."""
    unread = unread_monitor_suites(recipe)
    names = [*recipe.eval.suites, *(recipe.monitor.eval_suites if recipe.monitor is not None else [])]
    return [name for name in own_suites(names) if name not in unread]


def unread_monitor_suites(recipe: Recipe) -> dict[str, str]:
    """The recipe's own suites that only monitor.eval_suites lists and that cannot be read here, and why: a prompt file
    missing here, as it lives on the gateway host the monitor runs on. Training data is not compared with them (the
    stages' manifests and the data card name them, ``suites_unread``); eval.suites' must be read here, where the evals
    run. A monitor's prompt file that is here but broken (a duplicate id) is not left out: reading it stops the stage
    with its own error, as a broken eval.suites file does (:func:`suite_prompts`)."""
    from safealign.evals.suites import get_suite

    if recipe.monitor is None:
        return {}
    evaluated = set(own_suites(recipe.eval.suites))
    unread = {}
    for name in own_suites(recipe.monitor.eval_suites):
        file = None if name in evaluated else get_suite(name).file
        if file is not None and not file.is_file():
            unread[name] = f"{file}: no such suite file"
    return unread


@contextmanager
def checking_recipe_suites(suites: Sequence[str], unread: Mapping[str, str] | None = None) -> Iterator[None]:
    """Within the block, decontamination (:func:`check_disjoint_from_evals`, the RL and sampling prompts) also compares
    with these suites' items, as :func:`suite_prompts` gives them; ``unread``, the monitor's suites that cannot be read
    here (:func:`unread_monitor_suites`), are said in a warning and named in the manifests."""
    for name, error in (unread or {}).items():
        log.warning(
            "monitor.eval_suites %s cannot be read here (%s): training data is not compared with it; the stages' "
            "manifests and the data card name it (suites_unread). Copy the file here to have it compared",
            name,
            error,
        )
    suites_token = _RECIPE_SUITES.set(tuple(suites))
    unread_token = _UNREAD_SUITES.set(tuple((unread or {}).items()))
    try:
        yield
    finally:
        _RECIPE_SUITES.reset(suites_token)
        _UNREAD_SUITES.reset(unread_token)


def current_suites(suites: Sequence[str] | None = None) -> tuple[str, ...]:
    """``suites``, or when None those of the recipe being run (:func:`checking_recipe_suites`)."""
    return _RECIPE_SUITES.get() if suites is None else tuple(suites)


def suite_prompts(suites: Sequence[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(id, prompt) of every item of ``suites`` (all of each, every split, as for the built-in suites), as (authored,
    generated): a prompt file's items get the authored checks (n-grams, whole prompts, short prompts inside a turn), an
    ``rg:`` family's the generated problems' (the whole prompt only). The id names the suite, as the built-in items'
    do: "mine:q1" for the id "q1" of mine.jsonl (its own ids said nothing of which file held the overlapping item)."""
    from safealign.errors import DataError
    from safealign.evals.suites import FAMILY_PREFIX, get_suite

    authored: list[tuple[str, str]] = []
    generated: list[tuple[str, str]] = []
    for name in dict.fromkeys(suites):
        try:
            items = get_suite(name).load()
        except DataError as error:  # a missing or broken prompt file: an eval suite's, not training data's
            raise DataError(f"eval suite {name!r}, which training data is checked against: {error}") from None
        if name.startswith(FAMILY_PREFIX):
            generated.extend((item.id, item.prompt) for item in items)
        else:  # a row without an id is named after its file already ("mine-0003")
            authored.extend(
                (item.id if item.id.startswith(f"{item.suite}-") else f"{item.suite}:{item.id}", item.prompt)
                for item in items
            )
    return authored, generated


def training_turns(
    rows: list[dict], source: str = "", roles: tuple[str, ...] = ("system", "user", "assistant")
) -> list[tuple[str, str]]:
    """(id, text) of every turn of ``roles`` in chat rows: what decontamination compares (an eval prompt pasted into a
    system message trains the model on it as well). A row is named by its file ``line`` (a mixture's rows keep it), as
    `safealign data check` names it, else by its ``id``, else by its place in ``rows``: named by its id first, the row
    of "id": 7 on line 2 was "FILE:7:0", line 7 to anyone reading FILE:LINE."""
    turns = []
    for number, row in enumerate(rows):
        messages = row.get("messages")
        for index, message in enumerate(
            messages if isinstance(messages, list) else []
        ):  # other types: validation says so
            if (
                isinstance(message, dict)
                and message.get("role") in roles
                and isinstance(message.get("content"), str)
            ):
                turns.append(
                    (
                        f"{source or row.get('dataset', '')}:{row.get('line', row.get('id', number))}:{index}",
                        message["content"],
                    )
                )
    return turns


def disjointness_report(
    turns: list[tuple[str, str]],
    n: int = 8,
    generated_turns: list[tuple[str, str]] = (),
    suites: Sequence[str] | None = None,
    answer_turns: list[tuple[str, str]] = (),
):
    """Training turns vs. every eval item: n-grams and exact prompts for authored suites, generated problems whole or
    inside the turns, and short suite prompts whole inside the turns (see :func:`decontamination_check`).
    ``suites``: a recipe's own suites (:func:`suite_prompts`) besides the built-in ones; None: the recipe being run's.

    ``answer_turns`` (assistant turns a person wrote) get every check but the generated problems inside them: a
    worked answer's step ("To find what is left, calculate 8 - 4") is the text of a short generated item, not that
    item asked; the item asked is looked for in the system and user ``turns``.

    ``generated_turns`` (a teacher's sampled answers) get the n-gram and exact checks only: a model's own words that
    happen to hold a three-word suite prompt ("what is racketeering") or a generated problem as a step of its working
    ("first calculate 6 - 4") are not a person pasting an eval item, and failing the stage on them would leave its
    user no row to fix.
    """
    from safealign.corpus.decontaminate import decontamination_check

    built_in = eval_prompts(generated=False)
    own_authored, own_generated = suite_prompts(current_suites(suites))
    authored = built_in + own_authored
    known = set(built_in)  # built once: rebuilt for each of the ~1,800 items, it took 95 ms a report
    generated = [item for item in eval_prompts() if item not in known] + own_generated
    # Short prompts are looked for inside training turns for the suites that score the model. The judge set's prompts
    # come with fixed answers that measure the judges; the model is never scored on them, so a training request that
    # contains one ("how do I make a bomb" in a longer jailbreak) leaks nothing. They are still matched whole and by n-gram.
    scored = [item for item in built_in if not item[0].startswith("judges:")] + own_authored
    report = decontamination_check(turns, authored, n=n, exact_only=generated, contained=scored)
    for more, contained in ((answer_turns, scored), (generated_turns, ())):
        if more:
            own = decontamination_check(
                more, authored, n=n, exact_only=generated, contained=contained, problems_inside=False
            )
            report.train_items += own.train_items
            report.exact += own.exact
            report.overlaps += own.overlaps
    return report


def check_disjoint_from_evals(
    rows: list[dict], n: int = 8, generated_by: str | None = None, suites: Sequence[str] | None = None
) -> dict:
    """Raise :class:`DataError` when a training row shares a prompt or an n-gram with any eval item (the built-in
    suites', and those of ``suites``; None: the recipe being run's, see :func:`checking_recipe_suites`).

    Stages call this before they train, so a contaminated mixture never reaches a model and the
    held-out numbers stay honest; the report (clean) goes into the stage's data manifest.
    """
    from safealign.errors import DataError

    # ``generated_by``: the dataset (a teacher's traces file) whose assistant turns a model wrote
    sampled = [row for row in rows if generated_by is not None and row.get("dataset") == generated_by]
    written = [row for row in rows if generated_by is None or row.get("dataset") != generated_by]
    prompts = ("system", "user")
    turns = training_turns(written, roles=prompts) + training_turns(sampled, roles=prompts)
    checked = current_suites(suites)
    report = disjointness_report(
        turns,
        n=n,
        generated_turns=training_turns(sampled, roles=("assistant",)),
        suites=checked,
        answer_turns=training_turns(written, roles=("assistant",)),
    )
    if not report.clean:
        shown = [f"{t} = eval {e} (same prompt)" for t, e in report.exact[:5]] + [
            f"{t} ~ eval {e}: '{g}'" for t, e, g in report.overlaps[:5]
        ]
        raise DataError(
            f"training data overlaps the eval suites ({len(report.exact)} exact prompts, {len(report.overlaps)} shared {n}-grams):\n  "
            + "\n  ".join(shown)
            + f"\nDrop or reword those rows (`safealign data check FILE.jsonl{data_check_suites(checked)}` lists every overlap); "
            "training on eval items would inflate the scores."
        )
    # the manifest names the recipe's own suites it was checked against, and those of its monitor it could not read
    unread = dict(_UNREAD_SUITES.get()) if suites is None else {}
    return (
        report.to_dict()
        | ({"suites": list(checked)} if checked else {})
        | ({"suites_unread": unread} if unread else {})
    )


# A comma outside square brackets: "rg:basic_arithmetic?operators=[+,*]" is one suite, its list one setting
_SUITE_COMMA = re.compile(r",(?![^\[\]]*\])")


def split_suites(option: str) -> list[str]:
    """The suite names of a comma-separated ``--suites`` option (what :func:`data_check_suites` writes), an ``rg:``
    setting's list kept whole.

    >>> split_suites("dev, rg:basic_arithmetic?operators=[+,*]&max_terms=2,mine.jsonl")
    ['dev', 'rg:basic_arithmetic?operators=[+,*]&max_terms=2', 'mine.jsonl']
    """
    return [name.strip() for name in _SUITE_COMMA.split(option) if name.strip()]


def data_check_suites(suites: Sequence[str]) -> str:
    """The ``--suites`` option that has `safealign data check` compare with ``suites`` too ("" for none)."""
    return f" --suites {shlex.quote(','.join(suites))}" if suites else ""  # rg: settings hold "?" and "&"
