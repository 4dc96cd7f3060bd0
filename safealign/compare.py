"""`safealign compare RECIPE.yaml`: the seed's ablation — base, SFT only, RL only, hybrid, student.

The recipe's own pipeline already holds four of the five arms (base eval, SFT eval, SFT→RL eval,
student eval), so comparing reruns nothing that is done: the pipeline resumes as usual, and one
extra branch trains RL straight from the base model (R1-Zero style) with the recipe's RL settings — unless the
recipe has no SFT, when its own RL already starts from the base model and is that arm. Each arm's description comes
from the stages that ran on its path, and each arm the run does not hold is listed with the reason.
Each arm lists the wall time and tokens spent to reach it from the base model (every training stage on its path, so
a stage two arms share counts in each: SFT in sft_only and hybrid, the teacher's stages and its rejection sampling in
the student; evals excluded; unknown where one of them is gone) next to its held-out scores. An arm whose eval is not
of its model now (a stage on its path unfinished or redone since) is listed with the reason, not tabled. Each stage
counts its own tokens (``TOKENS_COUNTED``: prompt and answer, trained on or generated, which cost differently), so an
arm's sum adds different units; the table says which, and each row's JSON keeps the count per stage. Results go to ``<run>/ablation.md`` and ``ablation.json``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safealign.config import Recipe
from safealign.runs import (
    as_moved,
    read_json,
    read_jsonl,
    recorded_move,
    retrained_input,
    run_lock,
    stage_done,
    write_json,
    write_text,
)

log = logging.getLogger(__name__)

# the built-in suites' columns, in the README's order; any other suite an arm's eval scored follows them
COLUMN_ORDER = ["harmful", "borderline", "reasoning", "format", "language"]

# What each stage's recorded `metrics.tokens` counts: an arm's tokens add these up, so they are not one unit.
TOKENS_COUNTED = {
    "sft": "training input tokens, prompt + answer",
    "rl": "rollout tokens, prompt + completion",
    "sample": "sampled tokens, prompt + completion",
    "distill": "training input tokens, prompt + trace",
}


# (arm A, arm B, suites, the claim the pair checks): the seed's claims, tested item by item on the same prompts.
PAIRED_CHECKS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("sft_only", "hybrid", ("harmful", "borderline"), "hybrid as safe as SFT only"),
    ("rl_only", "hybrid", ("reasoning",), "hybrid as accurate as RL only"),
    ("hybrid", "student", ("harmful", "borderline", "reasoning"), "student keeps its teacher's behaviour"),
)


@dataclass
class Arm:
    """One ablation arm: the eval that scores it and the training stages on its path."""

    name: str
    description: str
    eval_dir: Path
    training_dirs: list[Path] = field(default_factory=list)
    teacher: str | None = None  # the arm whose model a student was distilled from

    def row(self, split: str) -> dict[str, Any] | None:
        from safealign.stages.evaluate import load_headline

        if not (self.eval_dir / "summary.json").is_file():
            return None
        records = {path: stage_done(path) for path in self.training_dirs}
        # a stage on the path without its record (unfinished, being redone, deleted) cost an unknown amount: None, not 0
        walls = [(record or {}).get("wall_time_s") for record in records.values()]
        tokens = {path.name: _counted(record) for path, record in records.items()}
        return {
            "arm": self.name,
            "description": self.description,
            "wall_time_s": None if None in walls else sum(walls),
            "tokens": None if None in tokens.values() else sum(tokens.values()),
            "tokens_by_stage": tokens,  # each in its stage's unit: TOKENS_COUNTED; None: not recorded
            "no_record": [str(path) for path, record in records.items() if record is None],
            "metrics": load_headline(self.eval_dir, split),
        }


def _counted(record: dict[str, Any] | None) -> int | None:
    """The tokens a finished stage's record counts, or None when there is no record or it has no count."""
    tokens = (record or {}).get("metrics", {}).get("tokens")
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None


def _sampled_for(run_dir: Path) -> list[Path]:
    """The run's sample stage when the distillation trained on its traces (or its record does not say), else none:
    a student distilled from the user's own traces (``safealign distill RECIPE --traces FILE``) owes nothing to a
    sampling that ran beside it, as the card's ancestry says."""
    from safealign.pipeline import recorded_traces

    record = stage_done(run_dir / "distill") or {}
    traces = recorded_traces(record, run_dir / "distill")
    if traces is not None and Path(traces).resolve().parent != (run_dir / "sample").resolve():
        return []
    return [run_dir / "sample"]


def _ran(stage_dir: Path, eval_dir: Path | None = None) -> bool:
    """Whether a stage ran in this run: its ``stage.json`` says done, or the eval after it scored a model."""
    return stage_done(stage_dir) is not None or (
        eval_dir is not None and (eval_dir / "summary.json").is_file()
    )


def _not_ran(stage_dir: Path, stage: str) -> str:
    """Why a stage's arm is not in the table when the stage has no record: it started and did not finish (its folder is
    there: stopped, failed, or being made again), or it never ran."""
    if stage_dir.is_dir():
        return f"the {stage} has not finished (no {stage_dir / 'stage.json'})"
    return f"no {stage} ran in this run"


def _branch_not_trained(rl_only: Path) -> dict[str, str]:
    """The rl_only arm of compare's branch (RL from the base model beside a run whose RL starts from SFT) before its RL
    started: compare trains it after the run's own stages."""
    return {"arm": "rl_only", "reason": f"not trained yet ({rl_only} is trained after the run's own stages)"}


def _not_tabled(arm: Arm) -> str | None:
    """Why an arm's eval does not score the model the arm stands for now, or None when it does: a training stage on its
    path was started again and has not finished (its folder is there without ``stage.json``: the model it held is
    being replaced), the stage whose model the eval scored finished again after the eval started, or a stage on the
    path was made from an output made again since (:func:`~safealign.runs.retrained_input`); or the arm has no eval
    yet. A stage whose folder is gone (deleted) leaves the arm tabled, its cost unknown."""
    summary = arm.eval_dir / "summary.json"
    unfinished = next(
        (path for path in arm.training_dirs if path.is_dir() and stage_done(path) is None), None
    )
    if unfinished is not None:
        return f"{unfinished} has not finished (no stage.json)" + (
            f", so {summary} scored an earlier model" if summary.is_file() else ""
        )
    if not summary.is_file():
        return f"not evaluated yet (no {summary})"
    if arm.training_dirs:
        # when the eval started: its record's time; an eval being redone has no record, and its old summary.json
        # stays until it ends
        started = (stage_done(arm.eval_dir) or {}).get("started_at")
        scored = started if _number(started) else summary.stat().st_mtime
        finished = (stage_done(arm.training_dirs[-1]) or {}).get("finished_at")
        if _number(finished) and finished > scored:
            return f"{summary} scored an earlier model: {arm.training_dirs[-1]} finished again after it was scored"
    for path in arm.training_dirs:
        if (upstream := retrained_input(path)) is not None:
            return f"{path} was made from an earlier model: {upstream} finished again after it started"
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _started_from(run_dir: Path, stage: str) -> str | None:
    """Which of this run's stages (``sft``, ``rl``) the stage's recorded parent model came out of; ``base`` for any
    other model; None when the stage recorded no parent."""
    record = stage_done(run_dir / stage) or {}
    parent = as_moved(
        record.get("parent"), recorded_move(record, run_dir / stage)
    )  # the run folder may have moved since
    if not parent:
        return None
    for name in ("rl", "sft"):
        if Path(parent).is_relative_to(run_dir / name):
            return name
    return "base"


def _gate_note(rl_dir: Path, starting_model: str) -> str:
    """What the RL stage's gate did to it, for the arm's description: a stop, or a rollback its training ended on (the
    stage's model holds the weights rolled back to, as the card says), and whether it left the starting model. Read
    from the rows of ``gates.jsonl`` that are the stage's history, as the card reads them (``gate_history``): a stop a
    crash undid, kept by an older safealign's resume or by one with the gates off, is no stop of its model."""
    from safealign.card.summary import ended_on_rollback, gate_history
    from safealign.training.gates import gate_stop

    record = stage_done(rl_dir)
    events = gate_history(read_jsonl(rl_dir / "gates.jsonl"), record)
    stop, unchanged = gate_stop(events)
    if stop is not None:
        if unchanged:
            return (
                f" (a gate stopped GRPO and rolled it back to its start: this is {starting_model}, unchanged)"
            )
        return f" (a gate stopped GRPO at step {stop.get('step')}, rolled back to step {stop.get('rolled_back_to')})"
    ended_on = ended_on_rollback(events, ((record or {}).get("metrics") or {}).get("steps"))
    if ended_on is None:
        return ""
    start = next((event.get("step") for event in events if event.get("action") == "baseline"), None)
    if ended_on["rolled_back_to"] == start:
        return (
            f" (the last gate check rolled GRPO back to its start and training ended: this is {starting_model}, "
            "unchanged)"
        )
    return (
        f" (the last gate check, at step {ended_on['step']}, rolled GRPO back to step {ended_on['rolled_back_to']} "
        "and training ended)"
    )


def ablation_plan(run_dir: Path) -> tuple[list[Arm], list[dict[str, str]]]:
    """The arms this run holds, each described by the stages that actually ran on its path, and the arms it does not
    hold, each with the reason."""
    rl_only = run_dir / "ablation" / "rl_only"
    sft_ran = _ran(run_dir / "sft", run_dir / "eval" / "sft")
    rl_ran = _ran(run_dir / "rl", run_dir / "eval" / "rl")
    rl_parent = _started_from(run_dir, "rl")
    sft_then_rl = rl_ran and (rl_parent == "sft" if rl_parent else sft_ran)
    arms = [Arm("base", "the model as given", run_dir / "eval" / "base")]
    skipped: list[dict[str, str]] = []
    # arm name of each model a later stage can start from
    source_arm = {"base": "base", "sft": "sft_only", "rl": "hybrid" if sft_then_rl else "rl_only"}
    paths = {
        "base": [],
        "sft": [run_dir / "sft"],
        "rl": [run_dir / "sft", run_dir / "rl"] if sft_then_rl else [run_dir / "rl"],
    }

    if sft_ran:
        arms.append(Arm("sft_only", "SFT", run_dir / "eval" / "sft", [run_dir / "sft"]))
    else:
        skipped.append({"arm": "sft_only", "reason": _not_ran(run_dir / "sft", "SFT stage")})
    rl_from_base = "GRPO from the base model (no SFT, like R1-Zero)"
    # compare's branch: RL from the base model beside a run whose own RL starts from SFT
    branch = Arm(
        "rl_only",
        rl_from_base + _gate_note(rl_only / "rl", "the base model"),
        rl_only / "eval",
        [rl_only / "rl"],
    )
    if not rl_ran:
        if _ran(rl_only / "rl", rl_only / "eval"):  # the branch holds the arm without the run's own RL
            arms.append(branch)
        elif (rl_only / "rl").is_dir():
            skipped.append({"arm": "rl_only", "reason": _not_ran(rl_only / "rl", "RL from the base model")})
        elif sft_ran and (run_dir / "rl").is_dir():  # RL after SFT started: compare trains this arm after it
            skipped.append(_branch_not_trained(rl_only))
        else:
            skipped.append({"arm": "rl_only", "reason": _not_ran(run_dir / "rl", "RL stage")})
        skipped.append({"arm": "hybrid", "reason": _not_ran(run_dir / "rl", "RL stage")})
    elif sft_then_rl:
        # a branch that never started is no eval still to make: compare stopped (an error, Ctrl-C) before it trained
        if (rl_only / "rl").is_dir() or _ran(rl_only / "rl", rl_only / "eval"):
            arms.append(branch)
        else:
            skipped.append(_branch_not_trained(rl_only))
        arms.append(
            Arm(
                "hybrid",
                "SFT then GRPO" + _gate_note(run_dir / "rl", "the SFT model"),
                run_dir / "eval" / "rl",
                paths["rl"],
            )
        )
    else:  # the run's own RL started from the base model: it is the RL-only arm, and there is no hybrid
        arms.append(
            Arm(
                "rl_only",
                rl_from_base + _gate_note(run_dir / "rl", "the base model"),
                run_dir / "eval" / "rl",
                paths["rl"],
            )
        )
        skipped.append(
            {
                "arm": "hybrid",
                "reason": "no SFT ran before RL; the run's RL from the base model is the rl_only arm",
            }
        )

    sample = stage_done(run_dir / "sample")
    teacher = _started_from(run_dir, "sample") or ("rl" if rl_ran else "sft" if sft_ran else "base")
    if _ran(run_dir / "distill", run_dir / "eval" / "student"):
        from safealign.card.summary import student_weights

        # a distill.student that is no prune: of the teacher is a model of its own (unknown without a record: pruned)
        student = student_weights(stage_done(run_dir / "distill"))
        described = {
            "base": "the base model",
            "sft": "SFT-only teacher",
            "rl": "hybrid teacher" if sft_then_rl else "RL-only teacher",
        }[teacher]
        arms.append(
            Arm(
                "student",
                f"{described} distilled into "
                + (f"the student {student}" if student else "the pruned student"),
                run_dir / "eval" / "student",
                paths[teacher] + [*_sampled_for(run_dir), run_dir / "distill"],
                teacher=source_arm[teacher],
            )
        )
    elif sample is not None and not sample.get("metrics", {}).get("accepted", 0):
        skipped.append(
            {
                "arm": "student",
                "reason": "rejection sampling kept no trace from the teacher, so distillation was skipped",
            }
        )
    elif sample is None and (run_dir / "sample").is_dir() and not (run_dir / "distill").is_dir():
        skipped.append({"arm": "student", "reason": _not_ran(run_dir / "sample", "rejection sampling stage")})
    else:
        skipped.append({"arm": "student", "reason": _not_ran(run_dir / "distill", "distill stage")})
    # an arm without scores of its model now is neither tabled nor paired nor compared
    for arm in list(arms):
        if reason := _not_tabled(arm):
            arms.remove(arm)
            skipped.append({"arm": arm.name, "reason": reason})
    order = ["base", "sft_only", "rl_only", "hybrid", "student"]
    return arms, sorted(skipped, key=lambda entry: order.index(entry["arm"]))


def ablation_arms(run_dir: Path) -> list[Arm]:
    return ablation_plan(run_dir)[0]


def run_compare(
    recipe: Recipe, recipe_path: Path | None = None, show_progress: bool = True
) -> dict[str, Any]:
    """Run (or resume) every arm the recipe allows, then write and return the ablation table. A line of the prompt
    draw is said once, as under run_pipeline (the check below and each arm's pipeline draw the prompts again)."""
    from safealign.cli.common import said_once
    from safealign.pipeline import PROMPT_DRAW_LOGGERS

    with said_once(PROMPT_DRAW_LOGGERS):
        return _compare(recipe, recipe_path, show_progress)


def _compare(recipe: Recipe, recipe_path: Path | None, show_progress: bool) -> dict[str, Any]:
    from safealign.pipeline import ANOTHER_RUN, check_recipe

    split = "held_out" if recipe.eval.split != "in_distribution" else "in_distribution"
    # before the lock makes the run folder: a recipe that fails a check leaves none behind, as under `safealign run`
    # (the pipeline makes the same checks again under compare's lock: a few seconds)
    check_recipe(recipe)
    check_rl_only_branch(recipe)
    # held before the try: refused, compare must not table the arms of a run another process is writing
    with run_lock(recipe.run_dir, ANOTHER_RUN):
        try:
            _run_arms(recipe, recipe_path, show_progress)
        except BaseException as error:  # Ctrl-C too: the table says it is incomplete
            # the arms already scored are still tabled (an earlier table would otherwise stay, stale), then the error
            failure = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            try:
                write_ablation(recipe.run_dir, split=split, failure=failure)
            except Exception as table_error:  # never hide the error that stopped compare behind this one
                log.warning(
                    "compare: could not write the ablation table of the arms already scored (%s: %s)",
                    type(table_error).__name__,
                    table_error,
                )
            raise
        return write_ablation(recipe.run_dir, split=split)


def check_rl_only_branch(recipe: Recipe) -> None:
    """check_recipe's checks for the rl_only branch still to train (RL from the base model in ``ablation/rl_only/``),
    made as for a recipe of that RL alone: rl.use_vllm on a CPU machine, a launch it cannot make, too few RL prompts,
    or a tracker not installed failed only when the branch started, after the run's remaining stages (sampling,
    distillation) had run, where the run's own RL was finished and so not checked."""
    from safealign.pipeline import (
        check_dataset_files,
        check_launch,
        check_trackers,
        check_vllm_usable,
        stages_to_make,
    )

    rl = recipe.rl
    if rl is None or not rl.enabled or not (recipe.sft and recipe.sft.enabled):
        return  # no branch: without SFT the run's own RL is the rl_only arm
    if "rl" in stages_to_make(recipe):
        return  # the run's own RL is still to make: checked already, with the same settings and prompts
    branch = recipe.model_copy(
        update={
            "output_dir": recipe.run_dir / "ablation",
            "name": "rl_only",
            "sft": None,
            "sample": None,
            "distill": None,
        }
    )
    if "rl" not in stages_to_make(branch):
        return  # finished: kept
    check_vllm_usable(branch)
    check_launch(branch)
    check_trackers(branch)
    check_dataset_files(branch)


def _run_arms(recipe: Recipe, recipe_path: Path | None, show_progress: bool) -> None:
    from safealign.pipeline import run_pipeline
    from safealign.stages.evaluate import run_eval_stage

    run_pipeline(recipe, recipe_path=recipe_path, show_progress=show_progress)
    if recipe.rl and recipe.rl.enabled and not (recipe.sft and recipe.sft.enabled):
        log.info(
            "compare: the recipe has no SFT, so its own RL run starts from the base model and is the rl_only arm"
        )
    elif recipe.rl and recipe.rl.enabled:
        from safealign.pipeline import warn_if_settings_changed
        from safealign.runs import run_settings
        from safealign.stages.rl import run_rl

        branch = recipe.run_dir / "ablation" / "rl_only"
        asked = {
            "seed": recipe.seed,
            "system_prompt": recipe.model.system_prompt,
            "trust_remote_code": recipe.model.trust_remote_code,
        }
        # as the pipeline does for its own stages: a finished branch is kept, but a recipe changed since is said
        warn_if_settings_changed(
            "rl_only",
            branch / "rl",
            recipe.rl,
            run_settings(recipe.seed, recipe.model.system_prompt, recipe.model.name),
        )
        model = str(
            run_rl(
                recipe.rl, recipe.model.name, branch / "rl", precision=recipe.precision, **asked
            ).model_path
        )
        run_eval_stage(
            recipe.eval, model, branch / "eval", label="rl_only", show_progress=show_progress, **asked
        )
    else:
        log.info(
            "compare: the recipe has no enabled rl section; no RL arm is trained (RL arms a run folder already holds "
            "are still listed)"
        )


def write_ablation(run_dir: Path, split: str = "held_out", failure: str | None = None) -> dict[str, Any]:
    """Table the arms the run holds; ``failure`` (the error that stopped ``compare``) is said above the table."""
    arms, skipped = ablation_plan(run_dir)
    rows = [row for arm in arms if (row := arm.row(split)) is not None]
    paired = paired_checks(arms, split)
    differences = scoring_differences([arm for arm in arms if arm.row(split) is not None]) | item_counts(rows)
    trained = training_differences([arm for arm in arms if arm.row(split) is not None])
    result = {
        "run_dir": str(run_dir),
        "split": split,
        "arms": rows,
        "skipped": skipped,
        "paired": paired,
        "scored_differently": differences,
        "trained_differently": trained,
        "tokens_counted": tokens_counted(rows),
    } | ({"failure": failure} if failure else {})
    write_json(run_dir / "ablation.json", result)
    stopped = f"**Incomplete:** compare stopped with {failure}; rerun it to resume.\n\n" if failure else ""
    write_text(  # atomic, as ablation.json: a Ctrl-C mid-write (compare writes it as it stops) keeps the old table
        run_dir / "ablation.md",
        stopped
        + ablation_markdown(rows, split)
        + differences_markdown(differences)
        + trained_markdown(trained)
        + skipped_markdown(skipped)
        + paired_markdown(paired),
    )
    return result


# What an arm's eval was asked with: arms are comparable only when these agree (the stage's label does not count).
# The eval stage records EvalConfig's fields; precision counts: bf16 answers differ from fp32's (EVAL_PRECISION_HELP).
SCORING_KEYS = ("suites", "split", "limit", "max_new_tokens", "seed", "system_prompt", "judge", "precision")


def scoring_differences(arms: list[Arm]) -> dict[str, dict[str, Any]]:
    """The eval settings that differ between the arms (a kept eval made under an earlier ``eval:`` section, another
    version of a user's suite file: ``suite file NAME``, its sha256), per setting the value each arm was scored with;
    empty when every arm was scored alike. The judge set counts only where every arm scored a judged suite."""
    from safealign.evals.paired import JUDGED_KINDS, scored_differently, suite_files, suite_kinds

    asked: dict[str, dict[str, Any]] = {}
    for arm in arms:
        record = stage_done(arm.eval_dir) or {}
        config = (record.get("config") or {}) | {"seed": record.get("seed")}
        # "auto" is bf16 on one machine and fp32 on another (an arm evaluated on resume elsewhere): what counts is the
        # precision the answers were generated in, which the stage records in its metrics
        metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
        if "precision" in config and metrics.get("precision") in ("bf16", "fp32"):
            config["precision"] = metrics["precision"]
        if isinstance(config.get("suites"), list) and config.get("precision", "fp32") == "fp32":
            # the suites' order only orders the batches, and fp32 answers do not depend on their batch (bf16's do)
            config["suites"] = sorted(config["suites"], key=str)
        asked[arm.name] = {key: config.get(key) for key in SCORING_KEYS if key in config}
        # one file suite name can be two versions of the file: other items (an eval without its summary has none)
        files = suite_files(arm.eval_dir) if (Path(arm.eval_dir) / "summary.json").is_file() else {}
        asked[arm.name] |= {f"suite file {name}": sha256[:12] for name, sha256 in files.items()}
    # the judge set scores only the judged suites: no difference where the arms share none (config_differences' rule)
    kinds = [suite_kinds(arm.eval_dir) for arm in arms if (Path(arm.eval_dir) / "summary.json").is_file()]
    if not JUDGED_KINDS.intersection(set.intersection(*kinds) if kinds else set()):
        for settings in asked.values():
            settings.pop("judge", None)
    return scored_differently(asked)


def item_counts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``items COLUMN`` -> the items each arm's rate of that column is over (its ``n``), for each column the arms that
    scored it did not score over as many items: the same eval settings can select other items (a built-in suite that
    grew between a kept eval and a new one), and two such rates side by side read as one comparison."""
    out: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys(key for row in rows for key in row["metrics"]):
        counts = {row["arm"]: row["metrics"][key].get("n") for row in rows if key in row["metrics"]}
        counts = {arm: n for arm, n in counts.items() if isinstance(n, int)}  # an older summary may not say
        if len(set(counts.values())) > 1:
            out[f"items {key}"] = counts
    return out


def training_differences(arms: list[Arm]) -> dict[str, dict[str, str]]:
    """What the arms were trained from and with where it is not alike, setting -> arm -> value; empty when alike.

    ``training precision``: the precision each arm's training stages resolved (``metrics.precision``) when the arms
    were not all trained in one: ``precision: auto`` is bf16 on one machine and fp32 on another, so an arm trained on
    resume elsewhere (compare's rl_only branch, a stage redone) is another model than the recipe makes there.
    ``starting model``: the model each arm's path started from (its first stage's ``parent``, the base eval's), when
    not one: a finished stage or eval is kept when the recipe's model changes, and stages made since start from the new
    one. ``RL settings``: the settings the hybrid's RL and the rl_only arm's RL (compare's branch) differ in (their
    ``rl:`` section, seed or system prompt): each is kept when the recipe changes, so one redone under a changed recipe
    was tabled next to the other as if the arms differed by SFT alone."""
    by_arm: dict[str, dict[str, str]] = {}
    for arm in arms:
        for path in arm.training_dirs:
            metrics = (stage_done(path) or {}).get("metrics")
            precision = metrics.get("precision") if isinstance(metrics, dict) else None
            if precision in ("bf16", "fp32"):
                by_arm.setdefault(arm.name, {})[path.name] = precision
    out: dict[str, dict[str, str]] = {}
    if len({precision for stages in by_arm.values() for precision in stages.values()}) >= 2:
        out["training precision"] = {
            name: next(iter(set(stages.values())))
            if len(set(stages.values())) == 1
            else ", ".join(f"{stage} {precision}" for stage, precision in stages.items())
            for name, stages in by_arm.items()
        }
    if started := _starting_models(arms):
        out["starting model"] = started
    if rl := _rl_differences(arms):
        out["RL settings"] = rl
    return out


def _starting_models(arms: list[Arm]) -> dict[str, str]:
    """The model each arm's path started from, per arm, when the arms did not all start from one (else empty); an arm
    whose first record is gone or has no ``parent`` is left out."""
    from safealign.probing import model_identity

    started: dict[str, str] = {}
    for arm in arms:
        first = arm.training_dirs[0] if arm.training_dirs else arm.eval_dir
        parent = (stage_done(first) or {}).get("parent")
        if isinstance(parent, str) and parent.strip():
            started[arm.name] = parent
    if len({model_identity(parent) for parent in started.values()}) < 2:
        return {}
    return started


# RL settings that do not change the model RL trains: how often it saves and logs, where its metrics go
UNTRAINED_RL_SETTINGS = frozenset(
    {"save_steps", "keep_checkpoints", "logging_steps", "report_to", "gradient_checkpointing"}
)


def _rl_differences(arms: list[Arm]) -> dict[str, str]:
    """``{"rl_only": ..., "hybrid": ...}``: the settings their RL stages differ in, each arm's values; empty when the
    two are not both tabled, or trained alike. A setting a record does not hold (an older stage.json) is no
    difference."""
    stages = {arm.name: arm.training_dirs[-1] for arm in arms if arm.name in ("rl_only", "hybrid")}
    if len(stages) < 2:
        return {}
    settings = {name: _rl_settings(stage_done(path) or {}) for name, path in stages.items()}
    first, second = settings["rl_only"], settings["hybrid"]
    differ = sorted(key for key in first.keys() & second.keys() if first[key] != second[key])
    if not differ:
        return {}
    return {name: ", ".join(f"{key} {values[key]!r}" for key in differ) for name, values in settings.items()}


def _rl_settings(record: dict[str, Any]) -> dict[str, Any]:
    """An RL stage record's settings that decide its model: its config (a nested section by its dotted keys), seed and
    system prompt."""
    config = record.get("config") if isinstance(record.get("config"), dict) else {}
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if key in UNTRAINED_RL_SETTINGS:
            continue
        if isinstance(value, dict) and key not in ("tasks", "rewards"):  # a mixture is one setting
            flat |= {f"{key}.{name}": inner for name, inner in value.items()}
        else:
            flat[key] = value
    if "seed" in record:
        flat["seed"] = record["seed"]
    inputs = record.get("inputs")
    if isinstance(inputs, dict) and "system_prompt" in inputs:
        flat["system prompt"] = inputs["system_prompt"]
    return flat


# what each difference in training means, and how to train the arms alike
TRAINED_ADVICE = {
    "training precision": (
        "`precision: auto` resolves per machine, or the recipe's precision changed since a stage ran; bf16 and fp32 "
        "train other models from the same recipe and seed",
        "Set `precision` to one of them and delete the folders of the stages trained in the other, then rerun compare "
        "to train the arms alike.",
    ),
    "starting model": (
        "the recipe's model changed since a stage or eval ran, and it was kept; the arms are not one base model's",
        "Delete the folders of the stages and evals made from the other model, then rerun compare.",
    ),
    "RL settings": (
        "the recipe's `rl:` section, seed or system prompt changed between the run's RL and compare's rl_only branch, "
        "and each was kept; the two arms differ by more than SFT",
        "Delete the RL folder made under the other settings (`rl/` or `ablation/rl_only/rl/`, with the stages and "
        "evals after it), then rerun compare.",
    ),
}


def trained_markdown(trained: dict[str, dict[str, str]]) -> str:
    lines = []
    for key, values in trained.items():
        # an arm's value can list several stages or settings ("sft bf16, rl fp32"): then arms are set apart by "; "
        between = "; " if any(", " in value for value in values.values()) else ", "
        said = f"{key}: " + between.join(f"{arm} {value}" for arm, value in values.items())
        why, fix = TRAINED_ADVICE[key]
        lines.append(f"\n**Trained differently** ({why}): {cell(said)}. {fix}\n")
    return "".join(lines)


def differences_markdown(differences: dict[str, dict[str, Any]]) -> str:
    if not differences:
        return ""
    said = "; ".join(
        f"{key}: " + ", ".join(f"{arm} {value!r}" for arm, value in values.items())
        for key, values in differences.items()
    )
    return (
        f"\n**Scored differently** (an eval kept from an earlier `eval:` section or safealign version; the rates are "
        f"over different items or settings): {cell(said)}. Delete those arms' eval folders and rerun compare to score them alike.\n"
    )


def paired_checks(arms: list[Arm], split: str) -> list[dict[str, Any]]:
    """Each PAIRED_CHECKS pair whose evals kept their answers: flips both ways and the exact McNemar p-value, on
    ``split`` (all its items for a suite without one, as the table's headline), over the check's own suites only. A
    pair whose items cannot be paired (a suite's prompt changed between the evals), whose eval lost its answers
    (samples.jsonl), or a check's suite one arm did not score, is a row with ``not_checked``: the reason."""
    from safealign.errors import DataError
    from safealign.evals.paired import paired_diff

    dirs = {arm.name: arm.eval_dir for arm in arms}
    teacher = next((arm.teacher for arm in arms if arm.name == "student" and arm.teacher), "hybrid")
    out: list[dict[str, Any]] = []
    for first, b, suites, claim in PAIRED_CHECKS:
        a = (
            teacher if b == "student" else first
        )  # the student is checked against the teacher it was distilled from
        if not all(name in dirs and (dirs[name] / "summary.json").is_file() for name in (a, b)):
            continue  # an arm not in this run, or not evaluated yet: "Not in the table" says it
        try:
            scored = _scored_suites(dirs[a]) | _scored_suites(dirs[b])
            # a check's suite neither eval scored was not asked for; one that only one arm scored is said below
            asked = [suite for suite in suites if suite in scored]
            if not asked:
                continue
            lost = next((dirs[name] for name in (a, b) if not (dirs[name] / "samples.jsonl").is_file()), None)
            # scored, but its answers are gone: a not-checked row, not a check that vanishes
            if lost is not None:
                raise DataError(
                    f"{lost / 'samples.jsonl'} not found (the eval's scores are there, its answers are not): "
                    f"evaluate the arm again (delete {lost} and rerun compare)"
                )
            diffs = paired_diff(dirs[a], dirs[b], show=0, split=split, whole_without_split=True, suites=asked)
        except DataError as error:  # one pair that cannot be checked must not cost the whole table
            out.append({"check": claim, "a": a, "b": b, "not_checked": str(error)})
            continue
        out += [{"check": claim, "a": a, "b": b, "not_checked": f"suite {entry}"} for entry in diffs.dropped]
        for diff in diffs:
            if diff.paired:
                out.append(
                    {
                        "check": claim,
                        "a": a,
                        "b": b,
                        "suite": diff.suite,
                        "outcome": diff.outcome,
                        "paired": diff.paired,
                        "a_count": diff.before,
                        "b_count": diff.after,
                        "gained": diff.gained,
                        "lost": diff.lost,
                        "p_value": diff.p_value,
                        "better": diff.better,
                    }
                )
    return out


def _scored_suites(eval_dir: Path) -> set[str]:
    """The suites an eval's summary.json scored."""
    from safealign.errors import DataError

    path = eval_dir / "summary.json"
    if not path.is_file():
        raise DataError(f"{path} not found: evaluate the arm again (delete {eval_dir} and rerun compare)")
    suites = read_json(path, dict).get("suites")
    return set(suites) if isinstance(suites, dict) else set()


def skipped_markdown(skipped: list[dict[str, Any]]) -> str:
    if not skipped:
        return ""
    return (
        "\nNot in the table: " + "; ".join(f"{entry['arm']} ({entry['reason']})" for entry in skipped) + ".\n"
    )


def paired_markdown(paired: list[dict[str, Any]]) -> str:
    checked = [row for row in paired if "not_checked" not in row]
    unchecked = [row for row in paired if "not_checked" in row]
    lines = []
    if checked:
        lines += [
            "",
            "The seed's claims item by item, on the same prompts (flips: +items with the outcome in B only / −in A only; "
            "p: the exact McNemar test on those flips; `safealign eval-diff A_DIR B_DIR` lists them). The test treats "
            "the items as the only randomness, and each arm is one training run (one random seed): two trainings of one recipe "
            "that differ only in their seed differ by more (the quickstart SFT: up to 18 of 88 held-out refusals; "
            "benchmarks/sft_seed_spread.py), so a small p says these two models differ, not that the stages do, and a "
            "large one does not show the claim holds. To judge a stage, train several seeds per arm.",
            "",
            "| check | A → B | suite | per item | A | B | flips | p |",
            "|---|---|---|---|---|---|---|---|",
        ]
    for row in checked:
        lines.append(
            f"| {row['check']} | {row['a']} → {row['b']} | {cell(row['suite'])} | {row['outcome']} | "
            f"{row['a_count']}/{row['paired']} | {row['b_count']}/{row['paired']} | +{row['gained']} / −{row['lost']} | "
            f"{row['p_value']:.2g} |"
        )
    if unchecked:
        lines += [
            "",
            "Not checked item by item: "
            + "; ".join(
                f"{row['check']} ({row['a']} → {row['b']}: {cell(row['not_checked'])})" for row in unchecked
            )
            + ".",
        ]
    return "\n".join(lines) + "\n" if lines else ""


def cell(text: Any) -> str:
    """Text that stays in its Markdown table cell (the card's rule: no pipe, no HTML, no stray code span)."""
    from safealign.card.run_folder import cell as card_cell

    return card_cell(text)


def ablation_markdown(rows: list[dict[str, Any]], split: str) -> str:
    from safealign.stages.evaluate import headline_columns, rate_cell

    columns = headline_columns([row["metrics"] for row in rows], COLUMN_ORDER)
    titles = [
        cell(title) + (" ↑" if higher else " ↓") for _, title, higher in columns
    ]  # a user's suite name can hold a "|"
    lines = [
        f"Scores on the {split.replace('_', '-')} split of each suite, all its items for a suite without one (a prompt file, "
        "an rg: family) (± is half the 95% Wilson interval); "
        "wall time and tokens add up every stage that made the arm's model from the base model, evals excluded, so a "
        "stage two arms share counts in each: the hybrid's include SFT's, the student's its teacher's training and "
        "rejection sampling.",
        "",
        "| arm | path | " + " | ".join(titles) + " | wall time | tokens |",
        "|---|---|" + "---|" * len(titles) + "---|---|",
    ]
    for row in rows:
        cells = [rate_cell(row["metrics"].get(key)) for key, _, _ in columns]
        lines.append(
            f"| {row['arm']} | {cell(row['description'])} | "  # a student's path can hold a "|"
            + " | ".join(cells)
            + " | "
            + ("unknown" if row["wall_time_s"] is None else f"{row['wall_time_s'] / 60:.1f} min")
            + " | "
            + ("unknown" if row["tokens"] is None else f"{row['tokens']:,}")
            + " |"
        )
    if unrecorded := [row for row in rows if row["no_record"]]:
        lines += [
            "",
            "Wall time and tokens unknown where a training stage on the arm's path is gone (its folder deleted; the "
            "arm's scores are of the model it held, which a rerun makes again): "
            + "; ".join(f"{row['arm']} ({', '.join(row['no_record'])})" for row in unrecorded)
            + ".",
        ]
    if counted := tokens_counted(rows):
        lines += [
            "",
            "Tokens add up what each stage on the arm's path counts, not one unit: "
            + "; ".join(f"{stage}: {said}" for stage, said in counted.items())
            + ".",
        ]
    return "\n".join(lines) + "\n"


def tokens_counted(rows: list[dict[str, Any]]) -> dict[str, str]:
    """What the tokens of each stage on the tabled arms' paths count, in the order of TOKENS_COUNTED."""
    stages = {stage for row in rows for stage in row["tokens_by_stage"]}
    return {stage: said for stage, said in TOKENS_COUNTED.items() if stage in stages}


def load_ablation(run_dir: Path) -> dict[str, Any]:
    return read_json(run_dir / "ablation.json")
