"""`safealign sft | rl | sample | distill`: run one stage of a recipe."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from safealign.cli.common import console, friendly_errors, given_path, given_recipe, given_spec, table
from safealign.corpus.eval_texts import checking_recipe_suites, recipe_eval_suites, unread_monitor_suites

if TYPE_CHECKING:
    from safealign.config import Recipe


def _stage_table(stage: str, record: dict) -> None:
    from safealign.distributed import is_main_process
    from safealign.machine_load import describe

    if not is_main_process():  # under accelerate launch every rank finishes the stage; one prints it
        return
    rows = [[key, _cell(value)] for key, value in _flat(record.get("metrics", {}))]
    rows.append(["wall_time_s", f"{record.get('wall_time_s', 0):.1f}"])
    if load := describe(record.get("machine_load")):
        rows.append(["CPU time not this stage's", load])
    console.print(table(f"{stage}: {record.get('output')}", ["metric", "value"], rows))


def _flat(metrics: dict, prefix: str = "") -> list[tuple[str, object]]:
    """One row per metric, a nested mapping (the sample stage's ``by_family``) one row per inner key: it printed as
    one cell holding the whole dict."""
    rows: list[tuple[str, object]] = []
    for key, value in metrics.items():
        inner = all(isinstance(v, int | float) for v in value.values()) if isinstance(value, dict) else False
        if isinstance(value, dict) and value and not inner:
            rows += _flat(value, f"{prefix}{key} ")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def _cell(value: object) -> str:
    """A metric as the table shows it: floats to 4 significant digits, a mapping of numbers as ``key value`` pairs."""
    if isinstance(value, dict):
        return ", ".join(f"{key} {_cell(inner)}" for key, inner in value.items())
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _check_finished(
    name: str,
    stage_dir: Path,
    section: object,
    resume: bool,
    parsed: Recipe,
    parent: str,
    traces: Path | None = None,
) -> None:
    """Before a stand-alone stage command: a finished stage is kept, so say when its settings differ from the recipe's
    (its section, the seed, the system prompt, the model it starts from, distill's ``traces`` file), and refuse
    --no-resume rather than overwrite (or silently keep) the finished model."""
    from safealign.errors import SafealignError
    from safealign.pipeline import recorded_traces
    from safealign.runs import changed_settings, describe_changes, retrained_input, run_settings, stage_done

    record = stage_done(stage_dir)
    if record is None:
        if (started := _started_stage(stage_dir)) not in (None, name):
            # taken over, its logs and sessions were set aside and its config.json replaced; with a checkpoint, the
            # resume was refused as "other settings", offering --no-resume, which sets the other stage's checkpoints aside
            raise SafealignError(
                f"{stage_dir} holds an unfinished `{started}` stage ({_STARTED_BY.get(started, 'its config.json')}), "
                f"not `{name}`: `safealign "
                f"{started}` resumes it there. Give this stage its own folder (--out), or delete that one"
            )
        return
    if (recorded := str(record.get("stage", name))).split(":", 1)[
        0
    ] != name:  # said before, not after, a warning
        raise SafealignError(
            f"{stage_dir} holds a finished `{recorded}` stage, not `{name}`: give this stage its own "
            "folder (--out), or delete that one"
        )
    if retrained_input(stage_dir, record) is not None:
        return  # made from an output made again since: the stage sets it aside and trains again, and says so
    if not resume:
        raise SafealignError(
            f"{stage_dir} holds a finished {name} stage (stage.json); --no-resume does not overwrite it. "
            f"Delete the folder, or give another --out, to train again"
        )
    run = run_settings(parsed.seed, parsed.model.system_prompt, parent)
    changed = changed_settings(stage_dir, section.model_dump() if hasattr(section, "model_dump") else {}, run)
    # distill --traces FILE over a stage finished on other traces: kept without a word, its table shown as FILE's
    then = recorded_traces(record, stage_dir) if traces is not None else None
    if then is not None and Path(then).resolve() != traces.resolve():
        changed["traces"] = (then, str(traces))
    if changed:
        console.print(
            f"[yellow]warning:[/] {name}: {escape(str(stage_dir))} finished with other settings than the recipe's ({describe_changes(changed)}); "
            f"keeping it. Delete the folder (or give another --out) to train with the recipe's settings.",
            highlight=False,
        )


def _started_stage(stage_dir: Path) -> str | None:
    """The training stage whose settings ``stage_dir/config.json`` holds (sft, rl and distill write theirs first, before
    their first step), ``sample`` for a sample stage's completions so far (it writes no config.json), or None: no such
    file, or one that is not a stage's (a model's own config.json, a broken file)."""
    import json

    from safealign.stages.sample import COMPLETIONS_SO_FAR

    if (stage_dir / COMPLETIONS_SO_FAR).is_file():
        return "sample"
    try:
        config = json.loads((stage_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    first = next(iter(config), None) if isinstance(config, dict) else None
    return first if first in STAGE_FILES else None


# The file that shows a stage started in a folder, where it is not its config.json
_STARTED_BY = {"sample": "its completions so far"}


def _section(parsed: object, name: str, default: object) -> object:
    """The recipe's section for a stand-alone stage command: defaults when the recipe has none, an error when it turns
    the stage off (``enabled: false``, as `safealign run` reads it)."""
    from safealign.errors import SafealignError

    section = getattr(parsed, name)
    if section is not None and not section.enabled:
        raise SafealignError(
            f"the recipe's {name} section has enabled: false; set it to true (or remove the line) to run `safealign {name}`"
        )
    if (
        section is None
    ):  # `safealign run` would skip the stage: a stand-alone command says what it trains with
        console.print(
            f"[yellow]note:[/] the recipe has no {name}: section, so `safealign {name}` {'samples' if name == 'sample' else 'trains'} with its defaults "
            f"(docs/recipe.md); add a {name}: section to choose them",
            highlight=False,
        )
    return section or default


# What each stage writes in its folder besides its logs and checkpoints (which a resumed stage trims and reads)
STAGE_FILES = {
    "sft": ("README.md", "config.json", "data_mixture.json", "model", "adapter"),
    "rl": ("README.md", "config.json", "alerts.json", "model", "adapter", "reference_model"),
    "distill": ("README.md", "config.json", "data_mixture.json", "model", "adapter"),
}


def _check_out(out: Path | None, name: str, files: tuple[str, ...], overwrite: bool, run_dir: Path) -> None:
    """Refuse an --out folder holding files of the names the stage writes when no run of the stage left them there (no
    stage.json, no sessions.jsonl from a start): they are the user's own, and the stage replaced them without a word.
    eval --out refuses the same way. The run's own stage folders (``run_dir``/``name``, given as --out or not) are the
    pipeline's, and are not checked."""
    from safealign.errors import DataError
    from safealign.runs import SESSIONS_FILE, stage_done

    if out is None or overwrite or stage_done(out) is not None or (out / SESSIONS_FILE).is_file():
        return
    if out.resolve() == (run_dir / name).resolve():
        return
    if earlier := [file for file in files if (out / file).exists()]:
        raise DataError(
            f"--out {out} already holds {', '.join(earlier)} that no {name} stage wrote; give a new "
            "folder, or add --overwrite to replace them"
        )


def _run_folder(folder: Path) -> bool:
    """Whether ``folder`` is a run folder a safealign process held: its lock file (empty, or the pid run_lock wrote;
    another tool's ``.lock`` is not taken and overwritten) beside the run's recipe.yaml or a stage's folder."""
    from safealign.runs import LOCK_FILE

    try:
        held = (folder / LOCK_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):  # none, or unreadable: not one run_lock wrote
        return False
    marks = ("recipe.yaml", "sft", "rl", "sample", "distill")  # `safealign run` writes the first as it starts
    return (not held or held.isdigit()) and any((folder / mark).exists() for mark in marks)


@contextmanager
def _holding(parsed: Recipe, stage_dir: Path) -> Iterator[None]:
    """The stage's run folder held as `safealign run` holds it (see safealign.runs.run_lock): RUN_DIR, or the --out
    folder itself when it lies outside RUN_DIR (two stages in two such folders do not share a run), and then also every
    folder above it that a safealign process held (it holds the lock file): --out runs/x/sft of another recipe lies in
    the run folder runs/x, which `safealign run` of runs/x holds, not its sft/, and both wrote runs/x/sft at once."""
    from safealign.runs import check_outside_stage_folders, run_lock

    if stage_dir.resolve().is_relative_to(parsed.run_dir.resolve()):
        # a recipe named after a stage of another run's folder (name: sft, output_dir: runs/x) trained inside that
        # live stage's folder, which `safealign run` refuses (pipeline.check_recipe)
        check_outside_stage_folders(parsed.run_dir)
        with run_lock(parsed.run_dir, f"give this stage another --out (outside {parsed.run_dir})"):
            yield
        return
    with ExitStack() as held:
        for folder in reversed(stage_dir.resolve().parents):  # the outermost first
            if _run_folder(folder):
                held.enter_context(run_lock(folder, f"give this stage an --out outside {folder}"))
        held.enter_context(run_lock(stage_dir, "give this stage another --out"))
        yield


def _run_model(parsed: Recipe, recipe: str, stages: tuple[str, ...], what: str, option: str) -> str:
    """The model of the newest of ``stages`` the run finished, else the recipe's; said in a note. A stage the recipe
    trains that started and did not finish is an error: its model is not there yet, and no other one is it."""
    from safealign.errors import SafealignError
    from safealign.runs import stage_done

    for stage in stages:
        stage_dir = parsed.run_dir / stage
        if stage_done(stage_dir) is not None:
            model, why = str(stage_dir / "model"), f"the run's finished {stage} stage"
            break
        section = getattr(parsed, stage)
        if stage_dir.exists() and section is not None and section.enabled:
            raise SafealignError(
                f"{stage_dir} is unfinished: `safealign {stage} {shlex.quote(str(recipe))}` resumes it; or pass {option} "
                "MODEL to use another model"
            )
    else:
        model, why = (
            parsed.model.name,
            f"the recipe's model: the run has no finished {' or '.join(stages)} stage",
        )
    console.print(f"note: {what} {model} ({why}); {option} chooses another", highlight=False, markup=False)
    return model


@friendly_errors
def sft(
    recipe: str = typer.Argument(
        ...,
        parser=given_recipe,
        metavar="recipe",
        help="Recipe YAML; its sft: section (the defaults, said, when it has none).",
    ),
    model: str | None = typer.Option(
        None, parser=given_spec, metavar="<str>", help="Override the recipe's model spec."
    ),
    out: Path | None = typer.Option(
        None, parser=given_path, metavar="<path>", help="Stage folder (default: RUN_DIR/sft)."
    ),
    resume: bool = typer.Option(True, help="Continue from the last checkpoint in the stage folder."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace files of the stage's names in --out that no sft stage wrote (refused by default).",
    ),
) -> None:
    """Supervised fine-tuning ("cold start") on the recipe's safety + reasoning mixture."""
    from safealign.config import SFTConfig, load_recipe
    from safealign.stages.sft import run_sft

    parsed = load_recipe(recipe, runs_rl=False)
    _check_out(out, "sft", STAGE_FILES["sft"], overwrite, parsed.run_dir)
    cfg = _section(parsed, "sft", SFTConfig())
    stage_dir = out or parsed.run_dir / "sft"
    _check_finished("sft", stage_dir, cfg, resume, parsed, model or parsed.model.name)
    # the recipe's own eval suites count too
    with (
        _holding(parsed, stage_dir),
        checking_recipe_suites(recipe_eval_suites(parsed), unread_monitor_suites(parsed)),
    ):
        result = run_sft(
            cfg,
            model or parsed.model.name,
            stage_dir,
            seed=parsed.seed,
            precision=parsed.precision,
            system_prompt=parsed.model.system_prompt,
            resume=resume,
            trust_remote_code=parsed.model.trust_remote_code,
        )
    _stage_table("sft", result.record)


@friendly_errors
def rl(
    recipe: str = typer.Argument(
        ...,
        parser=given_recipe,
        metavar="recipe",
        help="Recipe YAML; its rl: section (the defaults, said, when it has none).",
    ),
    model: str | None = typer.Option(
        None,
        parser=given_spec,
        metavar="<str>",
        help="Start from this model spec (default: RUN_DIR/sft/model when that stage finished, else the recipe's model; an unfinished sft the recipe trains is refused).",
    ),
    out: Path | None = typer.Option(
        None, parser=given_path, metavar="<path>", help="Stage folder (default: RUN_DIR/rl)."
    ),
    resume: bool = typer.Option(True, help="Continue from the last checkpoint in the stage folder."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace files of the stage's names in --out that no rl stage wrote (refused by default).",
    ),
) -> None:
    """GRPO reasoning RL with safety rewards, cross-validation gates and reward-hacking detectors."""
    from safealign.config import RLConfig, load_recipe
    from safealign.stages.rl import run_rl

    parsed = load_recipe(recipe)
    _check_out(out, "rl", STAGE_FILES["rl"], overwrite, parsed.run_dir)
    cfg = _section(parsed, "rl", RLConfig())
    if parsed.rl is None:  # the defaults' warnings, which a recipe's own rl: section gets as it is read
        cfg.warn_if_detectors_cannot_fire()
        cfg.warn_if_gates_cannot_check()
    start = model or _run_model(parsed, recipe, ("sft",), "rl starts from", "--model")
    _check_finished("rl", out or parsed.run_dir / "rl", cfg, resume, parsed, start)
    if cfg.use_vllm:  # before the run folder's lock is made, as `safealign run` checks before it makes anything
        from safealign.distributed import require_gpu_for_vllm

        require_gpu_for_vllm()
    # the recipe's own eval suites count too
    with (
        _holding(parsed, out or parsed.run_dir / "rl"),
        checking_recipe_suites(recipe_eval_suites(parsed), unread_monitor_suites(parsed)),
    ):
        result = run_rl(
            cfg,
            start,
            out or parsed.run_dir / "rl",
            seed=parsed.seed,
            precision=parsed.precision,
            system_prompt=parsed.model.system_prompt,
            resume=resume,
            trust_remote_code=parsed.model.trust_remote_code,
        )
    _stage_table("rl", result.record)


def _sampling_teacher(trace_file: Path) -> str | None:
    """The model that sampled a traces file: the parent in the stage.json of a finished sample stage beside it (where
    that model is now, when the run folder moved), else None."""
    from safealign.runs import as_moved, recorded_move, stage_done

    record = stage_done(trace_file.parent)
    if (
        record is None
        or str(record.get("stage", "")).split(":", 1)[0] != "sample"
        or not isinstance(record.get("parent"), str)
    ):
        return None
    return as_moved(record["parent"], recorded_move(record, trace_file.parent))


@friendly_errors
def sample(
    recipe: str = typer.Argument(
        ...,
        parser=given_recipe,
        metavar="recipe",
        help="Recipe YAML (its sample: section; defaults otherwise).",
    ),
    teacher: str | None = typer.Option(
        None,
        parser=given_spec,
        metavar="<str>",
        help="Teacher model spec (default: the run's finished RL model, else SFT model, else the recipe's; an unfinished stage the recipe trains is refused).",
    ),
    out: Path | None = typer.Option(
        None, parser=given_path, metavar="<path>", help="Stage folder (default: RUN_DIR/sample)."
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace the files an unfinished sample left in --out (refused by default).",
    ),
) -> None:
    """Rejection sampling: k teacher completions per prompt, kept only when correct (reasoning) or safe.

    Each drop is written to rejected.jsonl with its reasons (the list: README, "Architecture").
    """
    from safealign.config import SampleConfig, load_recipe
    from safealign.stages.sample import OUTPUT_FILES, recipe_inputs, run_sample

    parsed = load_recipe(recipe, runs_rl=False)
    # (The run's own sample/ folder is redone after a crash; a finished stage there or here is kept, see _check_finished.)
    _check_out(out, "sample", OUTPUT_FILES, overwrite, parsed.run_dir)
    start = teacher or _run_model(parsed, recipe, ("rl", "sft"), "sample: teacher", "--teacher")
    cfg = _section(parsed, "sample", SampleConfig())
    _check_finished("sample", out or parsed.run_dir / "sample", cfg, True, parsed, start)
    # the recipe's own eval suites count too
    with (
        _holding(parsed, out or parsed.run_dir / "sample"),
        checking_recipe_suites(recipe_eval_suites(parsed), unread_monitor_suites(parsed)),
    ):
        result = run_sample(cfg, start, out or parsed.run_dir / "sample", **recipe_inputs(parsed))
    _stage_table("sample", result.record)


@friendly_errors
def distill(
    recipe: str = typer.Argument(
        ...,
        parser=given_recipe,
        metavar="recipe",
        help="Recipe YAML; its distill: section (the defaults, said, when it has none).",
    ),
    teacher: str | None = typer.Option(
        None,
        parser=given_spec,
        metavar="<str>",
        help="Teacher model spec (default: the model that sampled the traces, as their "
        "stage.json names it; else the run's finished RL model, else SFT model, else the recipe's).",
    ),
    traces: Path | None = typer.Option(
        None,
        parser=given_path,
        metavar="<path>",
        help="Accepted traces JSONL (default: RUN_DIR/sample/traces.jsonl).",
    ),
    out: Path | None = typer.Option(
        None, parser=given_path, metavar="<path>", help="Stage folder (default: RUN_DIR/distill)."
    ),
    resume: bool = typer.Option(True, help="Continue from the last checkpoint in the stage folder."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace files of the stage's names in --out that no distill stage wrote (refused by default).",
    ),
) -> None:
    """Distil the teacher into a smaller student (prune:<fraction> or any model spec) on the sampled traces."""
    from safealign.config import DistillConfig, load_recipe
    from safealign.errors import SafealignError
    from safealign.stages.distill import run_distill

    parsed = load_recipe(recipe, runs_rl=False)
    _check_out(out, "distill", STAGE_FILES["distill"], overwrite, parsed.run_dir)
    cfg = _section(parsed, "distill", DistillConfig())
    trace_file = traces or parsed.run_dir / "sample" / "traces.jsonl"
    # a sample stage's folder, say: "no traces at" it read as "run sample first"
    if traces is not None and traces.is_dir():
        raise SafealignError(
            f"--traces {trace_file} is a folder; give the traces file in it, e.g. --traces {trace_file / 'traces.jsonl'}"
        )
    if not trace_file.is_file():
        raise SafealignError(
            f"no traces at {trace_file}: run `safealign sample {shlex.quote(str(recipe))}` first, or pass --traces FILE.jsonl"
        )
    if not trace_file.read_text(encoding="utf-8", errors="replace").strip():
        raise SafealignError(
            f"{trace_file} is empty: rejection sampling kept no teacher answer. Raise sample.num_prompts or "
            f"sample.k (or sample from a stronger teacher) and run `safealign sample` again"
        )
    sampled_by = _sampling_teacher(trace_file)
    if teacher is None and sampled_by is not None:
        console.print(
            f"distill: teacher {sampled_by}, the model that sampled {trace_file} (its stage.json); "
            "--teacher chooses another",
            highlight=False,
            markup=False,
        )
    elif teacher is not None and sampled_by is not None and teacher != sampled_by:
        console.print(
            f"[yellow]warning:[/] distill: --teacher {escape(teacher)} is not the model that sampled {escape(str(trace_file))} "
            f"({escape(sampled_by)}); logit KD would follow a model that never wrote those traces",
            highlight=False,
        )
    start = (
        teacher or sampled_by or _run_model(parsed, recipe, ("rl", "sft"), "distill: teacher", "--teacher")
    )
    _check_finished("distill", out or parsed.run_dir / "distill", cfg, resume, parsed, start, trace_file)
    # the recipe's own eval suites count too
    with (
        _holding(parsed, out or parsed.run_dir / "distill"),
        checking_recipe_suites(recipe_eval_suites(parsed), unread_monitor_suites(parsed)),
    ):
        result = run_distill(
            cfg,
            start,
            trace_file,
            out or parsed.run_dir / "distill",
            seed=parsed.seed,
            precision=parsed.precision,
            resume=resume,
            system_prompt=parsed.model.system_prompt,
            trust_remote_code=parsed.model.trust_remote_code,
        )
    _stage_table("distill", result.record)


def _skipped(path: Path, count: int, what: str) -> None:
    if count:
        console.print(
            f"[yellow]warning:[/] {escape(str(path))}: skipped {count} row(s) without {what}", highlight=False
        )


def _gate_records(path: Path, logged: set[int | None]) -> list[dict]:
    """The gate checks as history records (``gate/<metric>`` keys), for the detectors that compare the gates' scores:
    those of steps with no ``gate/*`` record in metrics.jsonl (``logged``; stages before the gates logged their checks
    there). Added again, each check counted twice: one baseline check read as two, and fired a critical alert. Each
    carries ``gate/passed`` as the live log does: the detectors skip a failed check, whose weights were rolled back."""
    from safealign.hacking import step_of
    from safealign.runs import read_jsonl

    records = [
        {
            "step": event.get("step", 0),
            **{f"gate/{k}": v for k, v in event["metrics"].items()},
            **({"gate/passed": float(event["passed"])} if isinstance(event.get("passed"), bool) else {}),
        }
        for event in read_jsonl(path)
        if isinstance(event.get("metrics"), dict)
    ]
    return [record for record in records if step_of(record) not in logged]


def _rollout_examples(path: Path, limit: int = 3) -> Callable[[int, tuple[str, ...] | None], list[dict]]:
    """The audit's example completions: up to ``limit`` rollouts to the prompts an alert is about, of the logged step
    nearest its own. The file is read once (not once an alert, each read warning again of a half-written line); rows
    without a completion are skipped."""
    from safealign.hacking import nearest_examples
    from safealign.runs import read_jsonl

    rows = read_jsonl(path)
    usable = [r for r in rows if isinstance(r.get("step"), int) and isinstance(r.get("completion"), str)]
    _skipped(path, len(rows) - len(usable), "a step or a completion")
    return lambda step, kinds: nearest_examples(usable, step, kinds, limit)


@friendly_errors
def audit(run_dir: Path = typer.Argument(..., help="A run folder or an rl stage folder.")) -> None:
    """Run the reward-hacking detectors offline over a finished (or crashed) RL stage, step by step as the live stream saw it.

    Prints the alerts (each with an example's prompt, completion and rewards), and the detectors that had too few logged
    steps to judge.
    Writes both to audit.json in the stage folder (the latter with severity "info"); `safealign card` reads it. A stage
    still training (a safealign process holds its folder) is audited and shown, not written: the file would outlive it.
    A stage that logged no training step (only its baseline gate check, or nothing) has nothing to audit: an error.
    """
    import json
    import sys

    from pydantic import ValidationError

    from safealign.config import HackingConfig
    from safealign.config.base import format_validation_error
    from safealign.errors import DataError, SafealignError
    from safealign.hacking import replay_detectors, step_of, too_little_data
    from safealign.runs import AUDIT_FILE, read_json, read_jsonl, write_json

    stage = run_dir if (run_dir / "metrics.jsonl").is_file() else run_dir / "rl"
    metrics = stage / "metrics.jsonl"
    if not metrics.is_file():
        raise SafealignError(f"no metrics.jsonl in {run_dir} or {run_dir / 'rl'}: give an RL stage folder")
    config_file = stage / "config.json"
    config = read_json(config_file, dict) if config_file.is_file() else {"rl": {}}
    if not isinstance(config.get("rl"), dict):
        raise SafealignError(
            f"{stage} is not an RL stage (its config.json has no rl section): give a run folder or its rl/ folder"
        )
    try:
        thresholds = HackingConfig.model_validate(config["rl"].get("hacking") or {})
    except ValidationError as error:
        raise format_validation_error(error, HackingConfig, f"{config_file} (rl.hacking)") from None
    # The stage appends these logs line by line: after a crash the last line can be half written, and is skipped.
    # A row the detectors cannot place (a hand-merged log, another tool's) is skipped and counted, as read_jsonl does.
    logged = read_jsonl(metrics)
    gated = {step_of(r) for r in logged if any(str(key).startswith("gate/") for key in r)}
    history = []
    # a gate check comes before its step's training record, as the live stream had it
    for path, records in (
        (stage / "gates.jsonl", _gate_records(stage / "gates.jsonl", gated)),
        (metrics, logged),
    ):
        placed = [r for r in records if step_of(r) is not None]
        _skipped(path, len(records) - len(placed), "a step number (missing, null, NaN or not a number)")
        history += placed
    history.sort(key=step_of)
    trained = [record for record in history if not any(str(key).startswith("gate/") for key in record)]
    if not trained:
        # an empty log, or the baseline gate check alone: "no alerts" read as a stage checked and found clean
        raise SafealignError(
            f"no training step was logged in {metrics}: nothing to audit (the stage stopped or crashed before its "
            "first log; audit it once it has trained and logged steps)"
        )
    def line_past_float_range(said: str) -> str | None:
        """The file and line of the integer past a float's range that the detectors named by key and step: by the key
        alone, an earlier line of another step (a row without one, which the detectors skip; a log out of step order)
        was named."""
        for path, prefix in ((metrics, ""), (stage / "gates.jsonl", "gate/")):
            lines = path.read_text(encoding="utf-8", errors="replace").split("\n") if path.is_file() else []
            for number, line in enumerate(lines, 1):
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if not isinstance(row, dict):
                    continue
                values = row.get("metrics") if prefix else row
                step = step_of({"step": row.get("step", 0)} if prefix else row)  # as _gate_records reads a check
                for key, value in values.items() if isinstance(values, dict) else ():
                    past = isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max
                    if past and f"the record of step {step} logs {prefix + str(key)!r}" in said:
                        return f"{path}:{number}"
        return None

    # prefix by prefix, as the live callback and the stage's final pass saw it: one pass over the whole log misses
    # what passed (a KL spike the live stream alerted on)
    try:
        alerts = replay_detectors(history, thresholds, examples=_rollout_examples(stage / "rollouts.jsonl"))
        notes = too_little_data(history, thresholds)
    except DataError as error:
        if (at := line_past_float_range(str(error))) is None:
            raise
        raise DataError(f"{at}: {error}") from None
    rows = [[a.severity, a.detector, a.step, a.message] for a in alerts]
    console.print(
        table(
            f"Reward-hacking audit of {stage} ({len(history)} records)",
            ["severity", "detector", "step", "evidence"],
            rows or [["-", "none", "-", "no alerts"]],
        )
    )
    for alert in alerts:
        for example in alert.evidence.get("examples", [])[:1]:
            console.print(f"[dim]{escape(audit_example_line(alert.detector, example))}[/]", highlight=False)
    for note in notes:
        console.print(
            f"[yellow]could not judge:[/] {note.detector}: {escape(note.message)} (rl.hacking.window {thresholds.window})",
            highlight=False,
        )
    if (holder := _training_in(stage)) is not None:
        # written now, it stayed after the stage trained on: the card read its "too few steps" notes of detectors the
        # finished stage judged as this model's (a resume moves it aside, training on did not)
        console.print(
            f"not written: {stage / AUDIT_FILE}: the stage is still training ({holder} holds it); run "
            "`safealign audit` again once it finishes or stops",
            highlight=False,
            markup=False,
        )
        return
    # numbers as numbers (default=float: numpy scalars), written whole (write_json: temp file + rename)
    write_json(
        stage / AUDIT_FILE, json.loads(json.dumps([a.to_dict() for a in [*alerts, *notes]], default=float))
    )
    console.print(f"written: {stage / AUDIT_FILE}", highlight=False, markup=False)


def _training_in(stage: Path) -> str | None:
    """Who holds an unfinished stage's folder (``pid N``, from run_lock's lock file): the stage itself or a run folder
    above it that a running safealign process has locked; None when the stage finished or nothing holds it (crashed)."""
    import fcntl

    from safealign.runs import LOCK_FILE, STAGE_FILE

    if (stage / STAGE_FILE).is_file():
        return None
    resolved = stage.resolve()
    for folder in (resolved, *resolved.parents):
        if folder != resolved and not _run_folder(folder):
            continue
        try:
            with (folder / LOCK_FILE).open(encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # released as the file closes
                except BlockingIOError:
                    return f"pid {handle.read().strip() or '?'}"
        except OSError:  # no lock file there
            continue
    return None


def audit_example_line(detector: str, example: dict) -> str:
    """One alert example as `audit` prints it: the prompt, the completion and the rewards it got. The completion alone
    proves nothing ("The answer is 842." shows format without accuracy only beside "Compute 767 + 733." and accuracy
    0)."""
    from safealign.card.report import reward_text

    rewards = example.get("rewards") if isinstance(example.get("rewards"), dict) else {}
    scored = ", ".join(f"{name} {reward_text(value)}" for name, value in rewards.items())
    return (
        f"{detector} example (step {example.get('step')}): prompt {str(example.get('prompt') or '')[:120]!r} -> "
        f"{str(example.get('completion', ''))[:160]!r}" + (f"; rewards: {scored}" if scored else "")
    )


def rewards_list() -> None:
    """List the built-in rewards (names usable in a recipe's rl.rewards)."""
    from safealign.rewards import describe_rewards

    console.print(table("Rewards", ["name", "what it scores"], [list(row) for row in describe_rewards()]))
