"""Build a training mixture from dataset names/paths and fractions, with provenance (sha256, counts)."""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safealign.corpus.registry import dataset_path, read_rows_and_problems
from safealign.corpus.validate import validate_rows
from safealign.errors import DataError


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Mixture:
    """The rows a stage trains on, and where each came from."""

    rows: list[dict[str, Any]]
    sources: list[dict[str, Any]] = field(default_factory=list)
    decontamination: dict[str, Any] | None = None  # the check's report, once a stage has run it

    @property
    def sha256(self) -> str:
        """Digest of the exact rows in their training order."""
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update(json.dumps(row["messages"], sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()

    def manifest(self) -> dict[str, Any]:
        kinds = Counter(row.get("kind", "unknown") for row in self.rows)
        manifest = {
            "rows": len(self.rows),
            "sha256": self.sha256,
            "by_kind": dict(kinds),
            "sources": self.sources,
        }
        if self.decontamination is not None:
            manifest["decontamination"] = self.decontamination
        return manifest

    def write_manifest(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.manifest(), indent=2))


def build_mixture(weights: dict[str, float], seed: int) -> Mixture:
    """Take ``fraction`` of each dataset's rows (seeded; >1 repeats rows), shuffle, and validate them.

    Raises :class:`DataError` naming file, line and field for the first problems, a fraction that is no number >= 0, one
    file named twice, or an empty mixture.
    """
    # A recipe's fractions are checked when it is read (check_mixture); a caller's here: a negative one was skipped as a 0
    # (its file left out without a word), and NaN failed with "cannot convert float NaN to integer".
    bad = {
        name: fraction
        for name, fraction in weights.items()
        if not isinstance(fraction, int | float) or not math.isfinite(fraction) or fraction < 0
    }
    if bad:
        raise DataError(
            f"mixture fractions must be finite numbers >= 0 (0 leaves a dataset out; 1.0 uses every row once, above 1 "
            f"repeats rows), got {bad}"
        )
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    sources = []
    named: dict[Path, str] = {}
    for name, fraction in weights.items():
        if fraction <= 0:
            continue
        path = dataset_path(name)
        # one file under two names ("reasoning" and its path, a relative and an absolute path): 0.5 + 0.5 drew two
        # samples that shared rows, so some rows came twice and others not at all, where 1.0 takes each row once
        if (same := named.setdefault(path.resolve(), name)) != name:
            raise DataError(
                f"datasets {same!r} and {name!r} are one file ({path.resolve()}): give it once, with their fractions "
                f"summed ({weights[same]:g} + {fraction:g} = {weights[same] + fraction:g}; 1.0 takes each row once, "
                "above 1 repeats rows)"
            )
        numbered, unreadable = read_rows_and_problems(path)
        problems = sorted([*unreadable, *validate_rows(path, numbered)], key=lambda problem: problem.line)
        if problems:
            shown = "\n  ".join(str(p) for p in problems[:10])
            more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise DataError(
                f"{len(problems)} problem(s) in {path}:\n  {shown}{more}\nFix the rows or drop the file from the mixture."
            )
        # ``line``: where the row is in its file, which the shuffle below loses and the decontamination error names
        file_rows = [
            row | {"source": row.get("source", name), "dataset": name, "line": line} for line, row in numbered
        ]
        whole, part = divmod(fraction, 1)
        taken = file_rows * int(whole) + rng.sample(file_rows, round(part * len(file_rows)))
        if not taken:  # a weight the recipe gives must not drop the file without a word
            raise DataError(
                f"{path} adds no rows to the mixture: "
                + (
                    "the file has no rows; add some or drop it from the datasets"
                    if not file_rows
                    else f"{fraction} of its {len(file_rows)} rows rounds to 0; give it at least {1 / len(file_rows):.3g} (one row), or drop it"
                )
            )
        rows.extend(taken)
        sources.append(
            {
                "name": name,
                "path": str(path),
                "sha256": sha256_file(path),
                "rows_in_file": len(file_rows),
                "fraction": fraction,
                "rows_used": len(taken),
            }
        )
    if not rows:
        raise DataError(
            f"the training mixture is empty (datasets: {weights}); give at least one dataset with rows and a fraction > 0"
        )
    rng.shuffle(rows)
    return Mixture(rows=rows, sources=sources)


def check_mixture_files(
    weights: dict[str, float], field: str, seed: int = 0, suites: Sequence[str] = ()
) -> None:
    """Read and validate every file a recipe's mixture takes rows from (``field``: where the recipe gives it, e.g.
    ``sft.datasets``), and check the rows its stage takes with ``seed`` against the eval suites (the built-in ones and
    ``suites``, the recipe's own: see :func:`safealign.corpus.eval_texts.recipe_eval_suites`), raising
    :class:`DataError` as :func:`build_mixture` and the stage would. A run calls this before its first stage, so that
    a missing, broken or contaminated file fails at once, not when its stage starts after the evals and stages before it."""
    from safealign.corpus.eval_texts import check_disjoint_from_evals

    if not any(fraction > 0 for fraction in weights.values()):
        return
    try:
        check_disjoint_from_evals(build_mixture(weights, seed=seed).rows, suites=suites)
    except DataError as error:
        raise DataError(
            f"{field} (checked before the run's first stage; fix the file, or its path in the recipe): {error}"
        ) from None
