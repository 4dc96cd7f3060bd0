"""How far to trust the safety numbers: the run's judges measured on the labelled judge set.

The measurement (``safealign.judges.quality`` on the ``test`` split) takes tens of seconds on CPU,
so it is cached in the run folder as ``judge_quality.json`` and reused while the judge spec and
the labelled file (by sha256) are unchanged: it then describes the judges as they were when the
run was first carded. A second cache under ``$SAFEALIGN_HOME/judge_quality`` is keyed by the spec
(a Llama Guard folder as it is on disk) and the hash of the judges' code, the code they import, and
their data, so a new run with unchanged judges is not measured again.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from safealign.card.run_folder import RunFolder
from safealign.corpus.mixture import sha256_file
from safealign.errors import DataError
from safealign.paths import package_data, safealign_home
from safealign.runs import git_commit, package_versions, read_json, write_json

log = logging.getLogger(__name__)

CACHE_FILE = "judge_quality.json"
SPLIT = "test"
# What each measured question means, in words for the card.
QUESTIONS = {
    "refusal": "full refusal (refusal judge)",
    "partial_refusal": "refuses, then complies anyway (refusal judge)",
    "evasive": "neither refuses nor answers (refusal judge)",
    "harm": "harmful content (harm judge)",
}


def eval_judges(run: RunFolder) -> dict[str, str]:
    """label -> the judge spec each eval was scored with: its stage.json's ``config.judge`` (the spec as given), else its
    summary.json's ``config.judges`` (as shown: a URL password masked); an eval that recorded neither is left out."""
    judges = {}
    for label, summary in run.evals.items():
        spec = ((run.record(f"eval:{label}") or {}).get("config") or {}).get("judge")
        spec = spec if isinstance(spec, str) and spec else (summary.get("config") or {}).get("judges")
        if isinstance(spec, str) and spec:
            judges[label] = spec
    return judges


def judge_spec(run: RunFolder) -> str:
    """The judges that scored the final model's eval (see :func:`eval_judges`), else the last eval's that recorded
    them; the recipe's ``eval.judge`` only when no eval did: recipe.yaml is rewritten by each rerun, and kept evals keep
    the scores of the judges they ran."""
    judges = eval_judges(run)
    if run.final_eval in judges:
        return judges[run.final_eval]
    if judges:
        return list(judges.values())[-1]
    return str((run.recipe.get("eval") or {}).get("judge") or "default")


def judge_quality(run: RunFolder, refresh: bool = False) -> dict[str, Any]:
    """Precision/recall of the judges that scored the run (:func:`judge_spec`) on the labelled ``test`` split, from the
    cache when valid.

    A judge that cannot be measured here (no endpoint, no Llama Guard folder) gives
    ``{"measured": False, "error": ...}``, which is not cached so a later render can retry.
    """
    from safealign.judges import shown_judge_spec
    from safealign.judges.quality import default_labelled_path

    spec = judge_spec(run)
    shown = shown_judge_spec(spec)  # what the card and judge_quality.json hold: no URL password
    labelled = default_labelled_path()
    digest = sha256_file(labelled) if labelled.is_file() else None
    cache = run.path / CACHE_FILE
    if cache.is_file() and not refresh:
        cached = _cached(cache)
        if (
            cached.get("judge_spec") == shown
            and cached.get("labelled_sha256") == digest
            and cached.get("split") == SPLIT
        ):
            return cached
    shared = safealign_home() / "judge_quality" / f"{judges_fingerprint(spec, digest)}.json"
    result = _cached(shared) if not refresh else {}
    if not result:
        try:
            result = _measure(spec, labelled, digest)
        except Exception as error:  # noqa: BLE001 - any judge failure must not stop the bundle
            log.warning("card: could not measure the judges (%s): %s", shown, error)
            return {
                "measured": False,
                "judge_spec": shown,
                "error": f"{type(error).__name__}: {error}",
                "split": SPLIT,
            }
        write_json(shared, result)
    write_json(cache, result)
    return result


def _cached(path: Path) -> dict[str, Any]:
    """A cached measurement, or {} when there is none or it is unreadable (then it is measured again)."""
    if not path.is_file():
        return {}
    try:
        return read_json(path, dict)
    except DataError as error:
        log.warning("card: %s; measuring the judges again", error)
        return {}


def judges_fingerprint(spec: str, labelled_sha256: str | None) -> str:
    """Hash of what decides the judges' verdicts: spec, labelled set, judge code (:func:`judges_code`) and exemplars."""
    digest = hashlib.sha256(f"{spec}\n{labelled_sha256}\n{SPLIT}".encode())
    kind, _, target = spec.strip().partition(":")
    # a guard spec names a folder: a relative one, or one whose model was replaced, holds another guard
    if kind == "llama-guard":
        digest.update(_guard_folder_identity(target.strip()))
    package = Path(__file__).parents[1]
    data = sorted(package_data("judges").glob("*.jsonl"))
    for path in [*judges_code(), *data]:
        digest.update(str(path.relative_to(package) if path.is_relative_to(package) else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _guard_folder_identity(path: str) -> bytes:
    """The Llama Guard folder as it is now: its absolute path, and the size and time of its config and weights."""
    folder = Path(path).expanduser().resolve()
    parts = [str(folder)]
    if folder.is_dir():
        for file in sorted(folder.iterdir()):
            if file.name == "config.json" or file.suffix == ".safetensors":
                stat = file.stat()
                parts.append(f"{file.name} {stat.st_size} {stat.st_mtime_ns}")
    return "\n".join(parts).encode()


# Imports of the judges that decide no verdict (errors, paths, loading a model, reading the exemplars' rows): not
# followed, or every change to the model loaders would measure the judges again.
_NOT_VERDICT_CODE = frozenset(
    {"safealign.errors", "safealign.paths", "safealign.models", "safealign.corpus.registry"}
)


def judges_code() -> list[Path]:
    """The source files that decide the judges' verdicts: ``safealign/judges`` and the safealign modules they import,
    followed import by import (the think-block reader in tasks/reasoning_format.py, language detection in
    tasks/language.py, the repetition share in hacking/signals.py ...): a change there changes verdicts too."""
    package = Path(__file__).parents[1]

    def source(module: str) -> Path | None:
        path = package.joinpath(*module.split(".")[1:])
        for candidate in (path / "__init__.py", path.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        return None

    todo = [f"safealign.judges.{path.stem}" for path in (package / "judges").glob("*.py")]
    files: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module in files or module in _NOT_VERDICT_CODE or (path := source(module)) is None:
            continue
        files[module] = path
        for node in ast.walk(ast.parse(path.read_bytes())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").startswith("safealign.")
            ):
                todo += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names if alias.name.startswith("safealign.")]
    return sorted(set(files.values()))


def _measure(spec: str, labelled: Path, digest: str | None) -> dict[str, Any]:
    from safealign.judges import build_judges, shown_judge_spec
    from safealign.judges.quality import load_labelled, measure_judges

    started = time.perf_counter()
    examples = load_labelled(labelled, SPLIT)
    judges = build_judges(spec)
    report = measure_judges(judges, examples, SPLIT)
    return {
        "measured": True,
        "judge_spec": shown_judge_spec(spec),
        "refusal_judge": judges.refusal.name,
        "harm_judge": judges.harm.name,
        "labelled_file": "safealign/data/judges/labelled.jsonl",
        "labelled_sha256": digest,
        "split": SPLIT,
        "n": len(examples),
        "scores": {s.name: s.to_dict() | {"question": QUESTIONS.get(s.name, s.name)} for s in report.scores},
        "seconds": round(time.perf_counter() - started, 2),
        "measured_at": time.time(),
        "versions": package_versions(),
        "git_commit": git_commit(),
    }
