"""`safealign run RECIPE.yaml`: order the stages; hold no stage logic.

baseline eval → SFT → eval → RL → eval → rejection sampling → distillation → eval of the student
→ transparency bundle. Each stage is skipped when the recipe leaves it out, and skipped when its
``stage.json`` says it is done; an unfinished stage resumes from its last checkpoint.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from safealign.config import Recipe, RLConfig, SampleConfig
from safealign.runs import (
    as_moved,
    changed_settings,
    check_outside_stage_folders,
    check_stage_output_there,
    describe_changes,
    recorded_move,
    retrained_input,
    run_lock,
    run_settings,
    stage_done,
    stage_inputs,
    write_json,
    write_text,
)
from safealign.stages.evaluate import load_headline, run_eval_stage

log = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    run_dir: Path
    stages: list[dict[str, Any]] = field(default_factory=list)
    final_model: str = ""

    def add(self, name: str, stage_dir: Path, model: str | None = None) -> None:
        record = stage_done(stage_dir) or {}
        row = {
            "stage": name,
            "dir": str(stage_dir),
            "wall_time_s": record.get("wall_time_s"),
            "tokens": record.get("metrics", {}).get("tokens"),
            "model": model,
            "machine_load": record.get("machine_load"),
            "sessions": record.get("sessions", 1),
        }
        # an eval's or the sample stage's model is the one it read (its record's parent): one kept from an earlier run
        # of another model (the recipe's model changed since; the stage warned) scored or sampled that model, not the
        # one asked for now
        read = model_read(record, stage_dir) if name.startswith("eval:") or name == "sample" else None
        if read is not None and model is not None and Path(read) != Path(model):
            row |= {"model": read, "asked": model}
        if (stage_dir / "summary.json").is_file():
            row["headline"] = load_headline(stage_dir)
        self.stages.append(row)

    def skip(self, name: str, stage_dir: Path, why: str, detail: str | None = None) -> None:
        """A row for a stage the recipe asks for but the run skipped, so the stage table says why it is missing. The
        table's stage column does not wrap: ``why`` stays short there (a long one left every score column zero wide at
        120-150 columns), ``detail`` goes to pipeline.json's ``skipped`` after it and to the log."""
        self.stages.append(
            {
                "stage": f"{name} (skipped: {why})",
                "dir": str(stage_dir),
                "skipped": f"{why}; {detail}" if detail else why,
                "wall_time_s": None,
                "tokens": None,
                "model": None,
                "machine_load": None,
                "sessions": 1,
            }
        )


def model_read(record: dict[str, Any], stage_dir: Path) -> str | None:
    """The model a finished eval scored or the sample stage sampled (its record's ``parent``), where it is now when the
    run folder moved; None when the record does not say."""
    parent = record.get("parent")
    return as_moved(parent, recorded_move(record, stage_dir)) if isinstance(parent, str) else None


def starting_models(recipe: Recipe) -> dict[str, str]:
    """The model each stage starts from, as run_pipeline chooses it: the first training stage from the recipe's model,
    RL after SFT from SFT's (a path under run_dir); rejection sampling and distillation from the last trained one."""
    model = recipe.model.name
    starts = {}
    for name, section in (("sft", recipe.sft), ("rl", recipe.rl)):
        if section is not None and section.enabled:
            starts[name] = model
            model = str(recipe.run_dir / name / "model")
    return starts | {"sample": model, "distill": model}


def warn_if_settings_changed(
    name: str,
    stage_dir: Path,
    section: Any,
    run: dict[str, tuple[str, Any]] | None = None,
    traces: Path | None = None,
) -> None:
    """A finished stage is kept even when the recipe changed since (its section, or ``run``: the seed, the system
    prompt, the model it starts from) or, for distillation, when it was made from other ``traces`` than these; say so,
    and how to redo it."""
    changed = changed_settings(stage_dir, section.model_dump(), run)
    # a distill/ made by `safealign distill RECIPE --traces FILE` (the user's own traces, another run's sample stage's)
    # was kept as the run's student, evaluated and carded as distilled on this run's traces, without a word
    record = stage_done(stage_dir) if traces is not None else None
    then = recorded_traces(record, stage_dir) if record is not None else None
    if then is not None and Path(then).resolve() != traces.resolve():
        changed["traces"] = (then, str(traces))
    if changed:
        log.warning(
            "%s: %s finished with other settings than the recipe's (%s); keeping it. Delete that folder "
            "(and the stages after it) to rerun it with the recipe's settings.",
            name,
            stage_dir,
            describe_changes(changed),
        )


# The eval folder (under eval/) of each training stage's model, as _run_held_stages names it
EVAL_OF = {"sft": "sft", "rl": "rl", "distill": "student"}


def warn_of_left_out_stages(recipe: Recipe, sample: SampleConfig | None) -> None:
    """A stage the recipe leaves out (or turns off) whose folder holds a finished stage of an earlier run is neither
    run nor read by this run, which said nothing of it (an SFT left out of a rerun was even carded as the final model
    before the card learnt to set such a stage aside). Say so, and how to card this run's stages alone. ``sample``: as
    _run_held_stages runs it."""
    for name, section in (
        ("sft", recipe.sft),
        ("rl", recipe.rl),
        ("sample", sample),
        ("distill", recipe.distill),
    ):
        stage_dir = recipe.run_dir / name
        if (section is not None and section.enabled) or stage_done(stage_dir) is None:
            continue
        evaluated = recipe.run_dir / "eval" / EVAL_OF[name] if name in EVAL_OF else None
        folders = (
            f"{stage_dir} and {evaluated}" if evaluated is not None and evaluated.is_dir() else str(stage_dir)
        )
        # the card sets such a stage aside as an earlier run's (RunFolder.left_out), a sampling too
        log.warning(
            "%s: the recipe %s, but %s holds a finished %s stage of an earlier run: this run neither runs nor reads it, "
            "and the card (README.md, report.html) lists it beside this run's stages as an earlier run's. Move %s out "
            "of the run folder to card this run's stages alone, or give the recipe another name: a run of its own in "
            "another folder",
            name,
            "leaves it out" if section is None else "turns it off",
            stage_dir,
            name,
            folders,
        )


def trained_precision(precision: str, name: str) -> dict[str, tuple[str, Any]]:
    """The recipe's ``precision`` as :func:`~safealign.runs.changed_settings` compares it with the one a finished
    training stage trained in (``metrics.precision``: bf16 or fp32): a finished SFT trained in fp32 was kept without a
    word under a recipe now set to bf16. ``auto`` picks one per machine, so it names no change."""
    if precision == "auto" or name not in ("sft", "rl", "distill"):
        return {}
    return {"precision": ("metrics.precision", precision)}


def recorded_traces(record: dict, stage_dir: Path) -> str | None:
    """The traces file a finished distill stage trained on: the first source of its transfer set (run_distill puts the
    traces before transfer_data), where it is now when the run folder moved; None when the record does not say."""
    inputs = record.get("inputs")
    manifest = inputs.get("traces") if isinstance(inputs, dict) else None
    sources = manifest.get("sources") if isinstance(manifest, dict) else None
    first = sources[0] if isinstance(sources, list) and sources else None
    path = first.get("path") if isinstance(first, dict) else None
    return as_moved(path, recorded_move(record, stage_dir)) if isinstance(path, str) else None


def made_again(stage_dir: Path, remade: set[Path]) -> bool:
    """Whether this run makes the stage in ``stage_dir`` (again) rather than keep it: it is not finished, or it was made
    from the output of a stage made again since (:func:`~safealign.runs.retrained_input`) or of one in ``remade`` (the
    resolved folders of earlier stages this run makes), which its own start then finds made again since."""
    record = stage_done(stage_dir)
    if record is None or retrained_input(stage_dir, record) is not None:
        return True
    moved = recorded_move(record, stage_dir)
    return any(Path(as_moved(name, moved)).parent.resolve() in remade for name in stage_inputs(record))


def stages_to_make(recipe: Recipe) -> set[str]:
    """The training and sampling stages (``sft``, ``rl``, ``sample``, ``distill``) the recipe turns on that this run
    makes (again): not finished, or made from an output this run makes again first (:func:`made_again`). The up-front
    checks look at these: one that looked only at unfinished stages passed a finished RL whose SFT was deleted for a
    rerun, and its problem (rl.use_vllm on a CPU machine, a tracker not installed) stopped it after SFT."""
    distills = recipe.distill is not None and recipe.distill.enabled
    sample = recipe.sample or (SampleConfig() if distills else None)  # as _run_held_stages runs it
    made: set[str] = set()
    remade: set[Path] = set()
    for name, section in (
        ("sft", recipe.sft),
        ("rl", recipe.rl),
        ("sample", sample),
        ("distill", recipe.distill),
    ):
        if section is not None and section.enabled and made_again(recipe.run_dir / name, remade):
            remade.add((recipe.run_dir / name).resolve())
            made.add(name)
    return made


def keep_earlier_recipe(run_dir: Path, resolved: str) -> Path | None:
    """Before a rerun under a changed recipe writes its own, move the run's ``recipe.yaml`` and ``recipe.source.yaml``
    to ``recipe.<time>.yaml`` / ``recipe.source.<time>.yaml``: the finished stages it keeps were made under that recipe,
    which was otherwise lost from the folder. Returns the kept copy of recipe.yaml, or None when nothing changed."""
    current = run_dir / "recipe.yaml"
    if not current.is_file() or current.read_text(encoding="utf-8", errors="replace") == resolved:
        return None
    written = time.strftime(
        "%Y%m%d-%H%M%S", time.localtime(current.stat().st_mtime)
    )  # when that recipe was written
    # -2, -3, ... when a recipe kept before was written in the same second: replaced, the earlier one was lost
    stamp, n = written, 1
    while (run_dir / f"recipe.{stamp}.yaml").exists() or (run_dir / f"recipe.source.{stamp}.yaml").exists():
        n += 1
        stamp = f"{written}-{n}"
    kept = run_dir / f"recipe.{stamp}.yaml"
    current.replace(kept)
    if (source := run_dir / "recipe.source.yaml").is_file():
        shutil.copy(
            source, run_dir / f"recipe.source.{stamp}.yaml"
        )  # copied: a rerun may read it as its recipe
    log.info("%s: the recipe changed since the last run; the earlier one is kept as %s", run_dir, kept.name)
    return kept


def check_student_found(recipe: Recipe) -> None:
    """A distill.student that is not there fails now, not after the baseline eval, SFT, its eval and sampling (the
    recipe's validation leaves paths alone, so that a recipe for another machine validates). Resolving reads no weights."""
    from safealign.errors import ModelNotFoundError
    from safealign.models.specs import resolve_spec

    distill = recipe.distill
    if (
        distill is None
        or not distill.enabled
        or distill.student.startswith("prune:")
        or "distill" not in stages_to_make(recipe)
    ):
        return
    try:
        resolve_spec(distill.student)
    except ModelNotFoundError as error:
        raise ModelNotFoundError(f"distill.student: {error}") from None


def check_starting_models(recipe: Recipe) -> None:
    """The model each stage still to make starts from, when a finished stage of the run wrote it, must be there: a
    finished SFT whose model was deleted (to free the disk) was skipped, and RL failed on its model after the baseline
    eval, naming no way to get it back (see :func:`~safealign.runs.check_stage_output_there`)."""
    to_make = stages_to_make(recipe)
    # the models of these are made (again) before the stages after them start
    remade = {(recipe.run_dir / name).resolve() for name in to_make}
    for name, model in starting_models(recipe).items():
        if name in to_make and Path(model).parent.resolve() not in remade:
            check_stage_output_there(model)


def check_judge_found(recipe: Recipe) -> None:
    """The eval judge's Llama Guard folder is looked for now: `validate` leaves paths alone (a recipe for another
    machine validates), and the sample stage builds its judges only after the teacher has generated."""
    from safealign.judges import parse_judge_spec

    parse_judge_spec(recipe.eval.judge)


def check_vllm_usable(recipe: Recipe) -> None:
    """rl.use_vllm without a CUDA GPU (or without vLLM) fails now, not when the RL stage starts after the baseline eval,
    SFT and its eval: the recipe's validation leaves it alone, so that a GPU recipe validates on a laptop."""
    from safealign.distributed import require_gpu_for_vllm

    rl = recipe.rl
    if rl is not None and rl.enabled and rl.use_vllm and "rl" in stages_to_make(recipe):
        require_gpu_for_vllm()


def check_launch(recipe: Recipe) -> None:
    """A launch the training stages still to run cannot honour (gates under DeepSpeed or FSDP, LoRA under ZeRO-3 or
    FSDP) fails now, not when its stage starts after the baseline eval, SFT and its eval; each stage checks it again."""
    from safealign.distributed import check_stage_launch

    to_make = stages_to_make(recipe)
    for name, section in (("sft", recipe.sft), ("rl", recipe.rl), ("distill", recipe.distill)):
        if section is not None and section.enabled and name in to_make:
            check_stage_launch(
                section.method, gates_enabled=isinstance(section, RLConfig) and section.gates.enabled
            )


def check_dataset_files(recipe: Recipe) -> None:
    """Dataset files of the training stages still to run (sft.datasets, distill.transfer_data) are read, validated and
    checked against the eval suites now: a missing, broken or contaminated one fails before the baseline eval, not when
    its stage starts (distill's after SFT, RL and sampling; its traces are checked then, once sampled). The recipe's
    validation leaves paths alone, so that a recipe for another machine validates. The eval suites checked against are
    the built-in ones and the recipe's own (``rg:`` families, prompt files: eval.suites and monitor.eval_suites, but
    for a monitor's prompt file that cannot be read here, see :func:`safealign.corpus.eval_texts.unread_monitor_suites`).
    The RL and sampling stages' prompts are drawn here too, as those stages draw them (no model: under a second on the
    quickstart): a task with too few distinct questions failed only when its stage started, after the evals and SFT."""
    from safealign.corpus.eval_texts import recipe_eval_suites, suite_prompts
    from safealign.corpus.mixture import check_mixture_files
    from safealign.stages.rl_prompts import build_prompt_rows, sample_mixture

    suites = recipe_eval_suites(recipe)
    suite_prompts(suites)  # a missing suite file fails as itself, not as the first dataset checked against it
    to_make = stages_to_make(recipe)
    for name, section, mixture in (
        ("sft", recipe.sft, "datasets"),
        ("distill", recipe.distill, "transfer_data"),
    ):
        if section is not None and section.enabled and name in to_make:
            check_mixture_files(getattr(section, mixture), f"{name}.{mixture}", recipe.seed, suites)
    rl, distills = recipe.rl, recipe.distill is not None and recipe.distill.enabled
    if rl is not None and rl.enabled and "rl" in to_make:
        # as run_rl
        build_prompt_rows(rl.tasks, rl.num_prompts, recipe.seed, recipe.model.system_prompt, suites=suites)
    sample = recipe.sample or (SampleConfig() if distills else None)  # as _run_stages runs it
    if sample is not None and sample.enabled and "sample" in to_make:
        # as run_sample, from recipe_inputs
        mixture = sample_mixture(rl.tasks if rl else None, sample.safety_share)
        build_prompt_rows(mixture, sample.num_prompts, recipe.seed + 7919, stage="sample", suites=suites)


def run_pipeline(
    recipe: Recipe, recipe_path: Path | None = None, show_progress: bool = True
) -> PipelineResult:
    """Run the recipe's stages in order. Every stage's decontamination (SFT's and distillation's data, the RL and
    sampling prompts) compares with the recipe's own eval suites too, not only the built-in ones. A line of the prompt
    draw is said once (see PROMPT_DRAW_LOGGERS)."""
    from safealign.cli.common import said_once
    from safealign.corpus.eval_texts import (
        checking_recipe_suites,
        recipe_eval_suites,
        unread_monitor_suites,
    )

    with (
        said_once(PROMPT_DRAW_LOGGERS),
        checking_recipe_suites(recipe_eval_suites(recipe), unread_monitor_suites(recipe)),
    ):
        return _run_stages(recipe, recipe_path, show_progress)


# The run's checks draw the RL and sampling prompts before the baseline eval (a task too small for its share fails then,
# not hours in), and each stage draws them again: a line of the draw ("sample: task safety gets 1000 of the 1000
# prompts, but there are 988 distinct safety prompts ...") was said at both, from Python as from the CLI.
PROMPT_DRAW_LOGGERS = ("safealign.stages.rl_prompts",)


# What a run refused because another process holds its folder can do besides waiting (see safealign.runs.run_lock)
ANOTHER_RUN = "give the recipe another name: a run of its own in another folder"


def check_recipe(recipe: Recipe) -> None:
    """What a run checks before it takes its folder's lock, so that a recipe it would stop on hours in (a missing data
    file or student, vLLM without a GPU, a launch it cannot make) fails now and leaves no folder behind; ``safealign
    compare`` makes the same checks before its own lock."""
    # a run folder in (or as) another run's stage folder is refused before the checks (run_lock checks its parents)
    check_outside_stage_folders(recipe.run_dir)
    check_student_found(recipe)
    check_starting_models(recipe)
    check_judge_found(recipe)
    check_vllm_usable(recipe)
    check_launch(recipe)
    check_trackers(recipe)
    check_dataset_files(recipe)


def check_trackers(recipe: Recipe) -> None:
    """A ``report_to`` tracker not installed fails before the run starts, not at its stage's start after the baseline
    eval and the stages before it (checked after the run folder was made, it left a folder behind)."""
    from safealign.training.common import check_trackers_installed

    to_make = stages_to_make(recipe)
    for name, section in (("sft", recipe.sft), ("rl", recipe.rl), ("distill", recipe.distill)):
        if section is not None and section.enabled and section.report_to and name in to_make:
            check_trackers_installed(section.report_to)


def _run_stages(recipe: Recipe, recipe_path: Path | None, show_progress: bool) -> PipelineResult:
    check_recipe(recipe)
    with run_lock(recipe.run_dir, ANOTHER_RUN):  # after the checks: one that fails leaves no folder behind
        return _run_held_stages(recipe, recipe_path, show_progress)


def write_run_recipe(recipe: Recipe, recipe_path: Path | None) -> None:
    """The run folder's ``recipe.yaml`` (resolved) and ``recipe.source.yaml`` (as written; none for a recipe given
    without its file), an earlier run's moved aside (:func:`keep_earlier_recipe`). Rank 0 alone under ``accelerate launch``: two ranks moving one earlier
    ``recipe.yaml`` aside at once, one of them failed; the others wait until the files are there."""
    from safealign.distributed import is_main_process, wait_for_everyone

    if is_main_process():
        run_dir = recipe.run_dir
        resolved = yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False)
        source_copy = run_dir / "recipe.source.yaml"
        # read before keep_earlier_recipe: the recipe given may be the run's own recipe.yaml, which it moves aside
        written = Path(recipe_path).read_bytes() if recipe_path else None
        own = {
            name for name in ("recipe.yaml", "recipe.source.yaml") if same_file(run_dir / name, recipe_path)
        }
        kept = keep_earlier_recipe(run_dir, resolved)
        # atomic: a Ctrl-C mid-write left half a recipe.yaml, which the next run of the same recipe kept as an
        # earlier recipe ("the recipe changed") and the card read as this run's
        write_text(run_dir / "recipe.yaml", resolved)
        # a rerun from the run's own recipe.source.yaml, or from its unchanged recipe.yaml, keeps the source as it is:
        # the resolved recipe.yaml copied over it lost the recipe as the user wrote it (comments, defaults left out)
        keeps_source = "recipe.source.yaml" in own or (
            "recipe.yaml" in own and kept is None and source_copy.is_file()
        )
        if written is not None and not keeps_source:
            write_text(source_copy, written)
        elif written is None and kept is not None:
            # run from Python without a file: the earlier recipe's source (copied aside with it) stayed beside this
            # recipe.yaml as if it were this run's recipe as written
            source_copy.unlink(missing_ok=True)
    wait_for_everyone()


def same_file(path: Path, other: str | Path | None) -> bool:
    """Whether ``path`` exists and is the file ``other`` names (a link or another spelling of it included)."""
    return other is not None and path.is_file() and Path(other).is_file() and path.samefile(other)


def _run_held_stages(recipe: Recipe, recipe_path: Path | None, show_progress: bool) -> PipelineResult:
    distills = (
        recipe.distill is not None and recipe.distill.enabled
    )  # with sample.enabled: the recipe refuses it otherwise
    run_dir = recipe.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    write_run_recipe(recipe, recipe_path)
    result = PipelineResult(run_dir)
    # every stage asks the model with the system prompt it is trained with, and loads it as the recipe allows
    asked = {
        "seed": recipe.seed,
        "system_prompt": recipe.model.system_prompt,
        "trust_remote_code": recipe.model.trust_remote_code,
    }
    common = asked | {"precision": recipe.precision}  # training and sampling; evals use recipe.eval.precision
    model = recipe.model.name

    # A finished stage that started from another model than it would now (the recipe's model changed, or an RL
    # section was added after sampling) is kept: say so. Distillation samples with defaults when sample is left out.
    # Not of a stage the recipe turns off (it is neither run nor read: "keeping it" was untrue), nor of one this run
    # makes again (its input is made again first, see made_again: it said "keeping it", then redid the stage).
    starts = starting_models(recipe)
    sample = recipe.sample or (SampleConfig() if distills else None)
    to_make = stages_to_make(recipe)
    for name, section in (
        ("sft", recipe.sft),
        ("rl", recipe.rl),
        ("sample", sample),
        ("distill", recipe.distill),
    ):
        if section is None or not section.enabled or name in to_make:
            continue
        warn_if_settings_changed(
            name,
            run_dir / name,
            section,
            run_settings(recipe.seed, recipe.model.system_prompt, starts[name])
            | trained_precision(recipe.precision, name),
            traces=run_dir / "sample" / "traces.jsonl" if name == "distill" else None,  # where run_sample writes them
        )
    warn_of_left_out_stages(recipe, sample)
    run_eval_stage(
        recipe.eval, model, run_dir / "eval" / "base", label="base", show_progress=show_progress, **asked
    )
    result.add("eval:base", run_dir / "eval" / "base", model)

    if recipe.sft and recipe.sft.enabled:
        from safealign.stages.sft import run_sft

        model = str(run_sft(recipe.sft, model, run_dir / "sft", **common).model_path)
        result.add("sft", run_dir / "sft", model)
        run_eval_stage(
            recipe.eval, model, run_dir / "eval" / "sft", label="sft", show_progress=show_progress, **asked
        )
        result.add("eval:sft", run_dir / "eval" / "sft", model)

    if recipe.rl and recipe.rl.enabled:
        from safealign.stages.rl import run_rl

        model = str(run_rl(recipe.rl, model, run_dir / "rl", **common).model_path)
        result.add("rl", run_dir / "rl", model)
        run_eval_stage(
            recipe.eval, model, run_dir / "eval" / "rl", label="rl", show_progress=show_progress, **asked
        )
        result.add("eval:rl", run_dir / "eval" / "rl", model)
    teacher = model

    if distills:
        from safealign.stages.distill import run_distill
        from safealign.stages.sample import recipe_inputs, run_sample

        sampled = run_sample(sample, teacher, run_dir / "sample", **recipe_inputs(recipe))
        result.add("sample", run_dir / "sample", teacher)
        accepted = (sampled.record or {}).get("metrics", {}).get("accepted", 0)
        # a finished distill/ is kept even so: the user distilled from traces of their own
        # (`safealign distill RECIPE --traces FILE`), and its student is the final model
        if not accepted and stage_done(run_dir / "distill") is None:
            # A finished sample stage is kept on a rerun: new sample settings take effect only once it is deleted.
            why, detail = "rejection sampling kept no trace", None
            if recipe.distill.transfer_data:
                # rows added to the traces, as run_distill and `safealign distill` take them: a student trained on them
                # alone would have seen no answer of the teacher's
                detail = f"distill.transfer_data ({', '.join(recipe.distill.transfer_data)}) is not distilled on alone"
            log.warning(
                "distill: skipped — %s (teacher %s; see %s/rejected.jsonl); delete %s, then raise sample.num_prompts "
                "or sample.k (or distil a stronger teacher) and rerun",
                f"{why}; {detail}" if detail else why,
                teacher,
                run_dir / "sample",
                run_dir / "sample",
            )
            result.skip("distill", run_dir / "distill", why, detail)
        else:
            model = str(
                run_distill(
                    recipe.distill, teacher, sampled.model_path, run_dir / "distill", **common
                ).model_path
            )
            result.add("distill", run_dir / "distill", model)
            run_eval_stage(
                recipe.eval,
                model,
                run_dir / "eval" / "student",
                label="student",
                show_progress=show_progress,
                **asked,
            )
            result.add("eval:student", run_dir / "eval" / "student", model)
    elif recipe.sample and recipe.sample.enabled:
        from safealign.stages.sample import recipe_inputs, run_sample

        run_sample(recipe.sample, teacher, run_dir / "sample", **recipe_inputs(recipe))
        result.add("sample", run_dir / "sample", teacher)

    result.final_model = model
    from safealign.distributed import is_main_process

    if not is_main_process():  # under accelerate launch, rank 0 writes the run's summary and card
        return result
    write_json(run_dir / "pipeline.json", {"stages": result.stages, "final_model": model, "teacher": teacher})
    try:
        from safealign.card import write_bundle
    except ImportError:  # the transparency bundle is optional until its package is present
        log.info("card: safealign.card not available; skipping the transparency bundle")
    else:
        try:
            write_bundle(run_dir)
        except Exception:  # the models and evals are done and on disk; a report failure must not hide them
            log.exception(
                "card: writing the transparency bundle failed; rerun it with `safealign card %s`", run_dir
            )
    return result
