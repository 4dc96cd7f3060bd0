"""Every eval prompt the training data must not overlap: built-in suites (both splits) and the judge set."""

from __future__ import annotations

import json

from safealign.paths import package_data


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


def training_turns(
    rows: list[dict], source: str = "", roles: tuple[str, ...] = ("system", "user", "assistant")
) -> list[tuple[str, str]]:
    """(id, text) of every turn of ``roles`` in chat rows: what decontamination compares (an eval prompt pasted into a
    system message trains the model on it as well). A row without an ``id`` is named by its file ``line`` (a mixture's
    rows keep it), else by its place in ``rows``."""
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
                        f"{source or row.get('dataset', '')}:{row.get('id', row.get('line', number))}:{index}",
                        message["content"],
                    )
                )
    return turns


def disjointness_report(
    turns: list[tuple[str, str]], n: int = 8, generated_turns: list[tuple[str, str]] = ()
):
    """Training turns vs. every eval item: n-grams and exact prompts for authored suites, exact
    prompts for generated problems, and short suite prompts whole inside the turns (see :func:`decontamination_check`).

    ``generated_turns`` (a teacher's sampled answers) get the n-gram and exact checks only: a model's own words that
    happen to hold a three-word suite prompt ("what is racketeering") are not a person pasting an eval item, and
    failing the stage on them would leave its user no row to fix.
    """
    from safealign.corpus.decontaminate import decontamination_check

    authored = eval_prompts(generated=False)
    generated = [item for item in eval_prompts() if item not in set(authored)]
    # Short prompts are looked for inside training turns for the suites that score the model. The judge set's prompts
    # come with fixed answers that measure the judges; the model is never scored on them, so a training request that
    # contains one ("how do I make a bomb" in a longer jailbreak) leaks nothing. They are still matched whole and by n-gram.
    suites = [item for item in authored if not item[0].startswith("judges:")]
    report = decontamination_check(turns, authored, n=n, exact_only=generated, contained=suites)
    if generated_turns:
        own = decontamination_check(generated_turns, authored, n=n, exact_only=generated, contained=())
        report.train_items += own.train_items
        report.exact += own.exact
        report.overlaps += own.overlaps
    return report


def check_disjoint_from_evals(rows: list[dict], n: int = 8, generated_by: str | None = None) -> dict:
    """Raise :class:`DataError` when a training row shares a prompt or an n-gram with any eval item.

    Stages call this before they train, so a contaminated mixture never reaches a model and the
    held-out numbers stay honest; the report (clean) goes into the stage's data manifest.
    """
    from safealign.errors import DataError

    # ``generated_by``: the dataset (a teacher's traces file) whose assistant turns a model wrote
    sampled = [row for row in rows if generated_by is not None and row.get("dataset") == generated_by]
    written = [row for row in rows if generated_by is None or row.get("dataset") != generated_by]
    turns = training_turns(written) + training_turns(sampled, roles=("system", "user"))
    report = disjointness_report(turns, n=n, generated_turns=training_turns(sampled, roles=("assistant",)))
    if not report.clean:
        shown = [f"{t} = eval {e} (same prompt)" for t, e in report.exact[:5]] + [
            f"{t} ~ eval {e}: '{g}'" for t, e, g in report.overlaps[:5]
        ]
        raise DataError(
            f"training data overlaps the eval suites ({len(report.exact)} exact prompts, {len(report.overlaps)} shared {n}-grams):\n  "
            + "\n  ".join(shown)
            + "\nDrop or reword those rows (`safealign data check FILE.jsonl` lists every overlap); training on eval items would inflate the scores."
        )
    return report.to_dict()
