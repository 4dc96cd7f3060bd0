"""Shared helpers for benchmark scripts: a results table on stdout and JSON on disk."""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path
from typing import Any, get_args

from safealign.cli.common import make_console, table
from safealign.precision import Precision
from safealign.runs import read_json, write_text

RESULTS = Path(__file__).parent / "results"
# the lever scripts' default recipe, found from the repository root wherever they are run from
QUICKSTART = Path(__file__).resolve().parents[1] / "recipes" / "quickstart.yaml"
PRECISIONS = get_args(Precision)  # `--precision` choices, as for `safealign eval`


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1 (0 repeats or prompts would end in a division by zero)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0 (a rate or a duration: 0 divides by zero, inf or nan never ends)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number of at least 0 (a share or a weight, where 0 turns it off)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, got {text}")
    return value


def model_spec(text: str) -> str:
    """An argparse type for a model option: the spec as given, once it points at a model (nothing loads). A missing
    folder was a ModelNotFoundError's traceback after the script had built its data or loaded another model."""
    from safealign.errors import ModelNotFoundError
    from safealign.models import resolve_spec

    try:
        resolve_spec(text)
    except ModelNotFoundError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


SERVE_MODULES = ("uvicorn", "fastapi", "aiohttp", "sqlalchemy", "prometheus_client")  # what the monitor's processes import


def require_modules(parser: argparse.ArgumentParser, modules: tuple[str, ...] = SERVE_MODULES) -> None:
    """Stop (exit 2) naming the extra to install when a module the script or its servers import is missing: the
    monitor scripts started servers that died importing it, then waited a minute for them (a RuntimeError's
    traceback), or (monitor_worker) ended in the import's traceback."""
    import importlib

    from safealign.errors import missing_extra_message

    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            parser.error(missing_extra_message(error) or str(error))


def result_name(text: str) -> str:
    """An argparse type for ``--name``: the results file's name, ``benchmarks/results/NAME.json``. Checked before the
    run: a name with a folder in it failed only when the result was written, after the whole run."""
    if not text.strip() or text.startswith(".") or any(sep in text for sep in ("/", "\\")):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a file name: give a name without a folder or a leading dot, e.g. student_speed_run2 "
            "(the result is written as benchmarks/results/NAME.json)"
        )
    if text.endswith(".json"):
        raise argparse.ArgumentTypeError(f"give the name without .json: {text.removesuffix('.json')}")
    return text


def recipe_system_prompt(parser: argparse.ArgumentParser, path: Path, trains: str | None = None) -> str | None:
    """The recipe's ``model.system_prompt`` (None: the chat template's); a recipe that does not load, or has no
    ``trains`` section (the stage the script runs from it), ends the script with its error (exit code 2) before any
    process or model starts: without the section it was a CalledProcessError's traceback from that stage, after the
    evals before it."""
    from safealign.config import load_recipe
    from safealign.errors import RecipeError

    try:
        recipe = load_recipe(path)
    except RecipeError as error:
        parser.error(f"--recipe: {error}")
    if trains is not None and getattr(recipe, trains) is None:
        parser.error(f"--recipe {path} has no {trains}: section, and this script trains with it: give one that has")
    return recipe.model.system_prompt


def system_prompt_flag(system_prompt: str | None) -> list[str]:
    """``safealign eval``'s flag for asking with exactly this system prompt: never the default, which is the one a
    model folder's stage.json records, so two arms (one without a stage.json) are asked alike; '' is the template's."""
    return ["--system-prompt", system_prompt or ""]


def reuse_eval(out: Path, model: str, system_prompt: str | None) -> bool:
    """Whether ``out`` holds a finished ``safealign eval`` of ``model`` asked with ``system_prompt``, to reuse; one of
    another model or another system prompt (a rerun with another --sft, --model or --recipe and the same --out) ends
    the script naming it: it was reused, and its counts reported as this model's."""
    from safealign.probing import model_identity

    summary = out / "summary.json"
    if not summary.is_file():
        return False
    config = read_json(summary, dict).get("config") or {}
    scored, wanted = config.get("model"), model_identity(model)
    differs = []
    if isinstance(scored, dict) and scored.get("identity") not in (None, wanted):
        differs.append(f"of {scored['identity']}, not {wanted}")
    if "system_prompt" in config and (config["system_prompt"] or None) != (system_prompt or None):
        differs.append(f"asked with the system prompt {config['system_prompt']!r}, not {system_prompt!r}")
    if differs:
        raise SystemExit(
            f"{out} holds an eval {' and '.join(differs)}: give another --out, or delete {out} to score it again"
        )
    return True


def machine() -> dict[str, Any]:
    import os
    from importlib.metadata import PackageNotFoundError, version

    import torch

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        # the "bare" arms are these libraries: a ratio against them means nothing without their versions
        **{name: installed(name) for name in ("transformers", "trl", "safealign")},
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def resolved_precision(precision: str) -> str:
    """What ``--precision`` ran as (bf16 or fp32), as the stages resolve it: "auto" alone does not say."""
    import torch

    from safealign.precision import resolve_precision

    return resolve_precision(precision, "cuda" if torch.cuda.is_available() else "cpu")


def target_check(ratio: float, target: float) -> tuple[str, dict[str, Any]]:
    """A ratio against the README's target for it: the verdict's words for the table, and its JSON fields."""
    met = ratio >= target
    return f"{'met' if met else 'MISSED'} (target >= {target}x)", {"target_ratio": target, "target_met": met}


def report(name: str, title: str, columns: list[str], rows: list[list[Any]], payload: dict[str, Any]) -> Path:
    """Print a table and write ``benchmarks/results/<name>.json``."""
    # the CLI's table and console: row labels (model specs, arms) stay whole, and a log gets 120 columns, not Rich's 80
    console = make_console()
    console.print(
        table(title, columns, [[f"{c:.3g}" if isinstance(c, float) else c for c in row] for row in rows])
    )
    # serialised before the earlier result moves: a payload that does not serialise ended the run after the earlier
    # result had left results/ and wrote nothing; a Path (a script's vars(args)) is written as its text
    text = json.dumps({"machine": machine(), **payload}, indent=2, default=str)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    if (
        path.is_file()
    ):  # the README and docs quote earlier results: keep them, named by the date they were measured
        kept = keep_earlier(path)
        console.print(f"kept the earlier result as {kept}")
    write_text(path, text)  # temp file + rename: a kill mid-write leaves no half result
    console.print(f"wrote {path}")
    return path


def keep_earlier(path: Path) -> Path:
    """Move an earlier result to ``results/history/<name>-<its date>.json`` (a number after it if that exists too)."""
    try:
        date = json.loads(path.read_text())["machine"]["date"]
        stamp = time.strftime("%Y%m%d-%H%M%S", time.strptime(date, "%Y-%m-%d %H:%M:%S"))
    except (ValueError, KeyError, TypeError):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(path.stat().st_mtime))
    history = path.parent / "history"
    history.mkdir(exist_ok=True)
    kept = history / f"{path.stem}-{stamp}.json"
    number = 1
    while kept.exists():
        number += 1
        kept = history / f"{path.stem}-{stamp}-{number}.json"
    path.replace(kept)
    return kept
