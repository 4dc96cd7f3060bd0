"""Every eval prompt the training data must not overlap: built-in suites (both splits) and the judge set."""

from __future__ import annotations

import json

from safealign.paths import package_data


def eval_prompts() -> list[tuple[str, str]]:
    """(id, prompt) for every built-in eval item, generated reasoning problems included."""
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
    try:
        from safealign.evals.suites import generated_suite_items
    except ImportError:  # the evals package adds generated (reasoning, format) items when present
        return items
    items.extend((f"{item.suite}:{item.id}", item.prompt) for item in generated_suite_items())
    return items
