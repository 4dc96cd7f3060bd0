"""The eval stage: run the recipe's suites on one model and record it like any other stage."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safealign.config import EvalConfig
from safealign.generation import GenerationEngine, SamplingParams
from safealign.models import generation_device, load_model
from safealign.runs import (
    STAGE_FILE,
    StageRecord,
    StageResult,
    changed_settings,
    check_stage_output_there,
    describe_changes,
    finished_stage,
    read_json,
    stage_done,
)

log = logging.getLogger(__name__)

# The numbers every stage table and the ablation show: (suite, metric, higher is better, column title). A suite of
# another name (a user's file suite, an ``rg:`` family) gets its kind's metric, in a column titled with its name.
HEADLINE = [
    ("harmful", "refusal_rate", True, "harmful refused"),
    ("borderline", "over_refusal_rate", False, "borderline over-refused"),
    ("reasoning", "accuracy", True, "reasoning acc."),
    ("language", "mixing_rate", False, "language mixing"),
    ("format", "format_compliance", True, "format"),
]
KIND_HEADLINE = {kind: (metric, higher, title) for kind, metric, higher, title in HEADLINE}


def run_eval_stage(
    cfg: EvalConfig,
    model_spec: str,
    stage_dir: Path,
    seed: int = 42,
    label: str = "",
    show_progress: bool = True,
    system_prompt: str | None = None,
    trust_remote_code: bool = False,
) -> StageResult:
    """Evaluate ``model_spec`` on ``cfg``'s suites, asking with the system prompt it was trained with (None: the chat template's).

    ``trust_remote_code`` (the recipe's ``model.trust_remote_code``) lets a model folder's own code build the model.

    Generation runs in ``cfg.precision`` (fp32 by default), not the training precision: see EVAL_PRECISION_HELP.
    """
    from safealign.distributed import is_main_process, wait_for_everyone
    from safealign.evals.runner import ANSWERS_SO_FAR, drop_answers_older_than_the_model, run_eval

    if earlier := scored_earlier_model(stage_dir, model_spec):
        log.warning("eval: %s scored an earlier model: %s; scoring %s again", stage_dir, earlier, model_spec)
        (stage_dir / STAGE_FILE).unlink(missing_ok=True)  # every rank runs this; one removes it
    if stage_done(stage_dir) is not None and not (stage_dir / "summary.json").is_file():
        # the scores are gone (deleted, or lost with a disk): a record of them would keep the stage "done" for good,
        # with every score shown as missing and no rerun bringing them back; checked before the settings, whose warning
        # would say the scores are kept
        log.warning("eval: %s/summary.json is missing: scoring the model again", stage_dir)
        (stage_dir / STAGE_FILE).unlink(missing_ok=True)  # every rank runs this; one removes it
    # batch_size changes speed, not the scores (fp32: the same answers at any batch size); the record's parent is the
    # model it scored, which a changed recipe model (or a stage trained anew) makes another one; the seed picks the items
    scored = {"the model it scored": ("parent", model_spec), "seed": ("seed", seed)}
    changed = {
        k: v
        for k, v in changed_settings(
            stage_dir, cfg.model_dump() | {"system_prompt": system_prompt}, scored
        ).items()
        if k != "batch_size"
    } | edited_suite_files(stage_dir)
    if changed:
        log.warning(
            "eval: %s was scored with other settings than the recipe's (%s); keeping those scores. Delete the folder "
            "to score it again with the recipe's settings.",
            stage_dir,
            describe_changes(changed),
        )
    if done := finished_stage(stage_dir, "eval", stage_dir / "summary.json"):
        return done
    if not is_main_process():  # under accelerate launch, rank 0 evaluates; the others wait for its summary
        wait_for_everyone()
        return StageResult(stage_dir / "summary.json", stage_done(stage_dir))
    check_stage_output_there(model_spec)
    record = StageRecord(
        stage=f"eval:{label or model_spec}",
        parent=model_spec,
        output=str(stage_dir / "summary.json"),
        config=cfg.model_dump() | {"system_prompt": system_prompt},
        seed=seed,
        started_at=time.time(),
    )
    # the answers are kept before the judges run, as `safealign eval` keeps them: a judge that fails (a grader that is
    # down) costs the rerun the judging only; answers kept for an earlier model at this path are generated anew
    drop_answers_older_than_the_model(stage_dir / ANSWERS_SO_FAR, model_spec)
    if cfg.suites:
        loaded = load_model(model_spec, trust_remote_code=trust_remote_code, device=generation_device())
        engine: GenerationEngine | NothingAsked = GenerationEngine(
            loaded.model,
            loaded.tokenizer,
            batch_size=cfg.batch_size,
            precision=cfg.precision,
            system_prompt=system_prompt,
        )
        parameters: int | None = loaded.num_parameters
    else:  # loading the model (minutes for a large one) would be for no answer at all
        log.info("eval: eval.suites is [], so %s scores no suite and %s is not loaded", stage_dir, model_spec)
        engine, parameters = NothingAsked(system_prompt), None
    report = run_eval(
        engine,
        cfg.suites,
        split=cfg.split,
        limit=cfg.limit,
        judges=cfg.judge,
        params=SamplingParams(max_new_tokens=cfg.max_new_tokens),
        out_dir=stage_dir,
        show_progress=show_progress,
        seed=seed,
        model={"spec": model_spec},
        answers_file=stage_dir / ANSWERS_SO_FAR,
        max_new_tokens_setting="eval.max_new_tokens",
    )
    # answers kept by a session that stopped while judging were generated by it: its generation time is an earlier
    # session of the stage and their tokens the stage's, as the sample stage counts its kept completions (README: a
    # resumed stage's wall time is every session's). A file an older version kept has no time: that session is unknown.
    if report.kept_generation_s is not None:
        record.earlier_sessions_s.append(report.kept_generation_s)
    tokens = report.tokens_generated + report.kept_tokens
    known_time = report.kept_generation_s is not None or not report.kept_tokens
    record.metrics = {
        "precision": engine.precision,
        "parameters": parameters,
        "tokens": tokens,
        "generation_tokens_per_s": (
            tokens / max(report.generation_time_s + (report.kept_generation_s or 0.0), 1e-9)
            if known_time
            else None
        ),
        "headline": headline(report.to_dict()),
    }
    record.finish(stage_dir)
    wait_for_everyone()
    return StageResult(stage_dir / "summary.json", stage_done(stage_dir))


@dataclass
class NothingAsked:
    """The generator of an eval stage that scores no suite (``eval.suites: []``): run_eval asks it no prompt, so the
    model is not loaded for it; nothing was generated, in no precision."""

    system_prompt: str | None
    precision: str | None = None

    def generate(self, prompts: list[str], params: SamplingParams, show_progress: bool = False) -> list[Any]:
        return []


def scored_earlier_model(stage_dir: Path, model_spec: str) -> str:
    """Why the finished eval in ``stage_dir`` scored an earlier model than ``model_spec`` is now ('' when it did not): it
    started before the stage that wrote ``model_spec`` (``STAGE_DIR/model``) last finished, so that stage was redone
    since (its folder deleted and trained again): the same path, other weights, and the kept scores are the old ones'."""
    done = stage_done(stage_dir)
    model = Path(model_spec)
    trained = stage_done(model.parent) if done and model.is_dir() and model.parent != stage_dir else None
    started, finished = (done or {}).get("started_at"), (trained or {}).get("finished_at")
    if not isinstance(started, int | float) or not isinstance(finished, int | float) or started >= finished:
        return ""
    when = lambda timestamp: dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
    return f"it started {when(started)}, before {model.parent / STAGE_FILE} says that stage finished ({when(finished)})"


def edited_suite_files(stage_dir: Path) -> dict[str, tuple[str, str]]:
    """The file suites of a finished eval whose file changed since it was scored (``suite file NAME``: the sha256 then
    and now, shortened): the same suite name in the recipe would keep scores of other prompts without a word."""
    from safealign.corpus.mixture import sha256_file

    path = stage_dir / "summary.json"
    if stage_done(stage_dir) is None or not path.is_file():
        return {}
    suites = read_json(path, dict).get("suites")
    edited = {}
    for name, suite in (suites if isinstance(suites, dict) else {}).items():
        file = suite.get("file") if isinstance(suite, dict) else None
        if (
            not isinstance(file, dict)
            or not isinstance(file.get("path"), str)
            or not Path(file["path"]).is_file()
        ):
            continue
        now = sha256_file(Path(file["path"]))
        if now != file.get("sha256"):
            edited[f"suite file {name}"] = (str(file.get("sha256"))[:12], now[:12])
    return edited


def headline(
    summary: dict[str, Any], split: str = "held_out", source: str | Path = "summary.json"
) -> dict[str, dict[str, Any]]:
    """The headline metric of each suite in a summary.json (``source``, for the error naming a damaged one), keyed
    ``suite.metric``: the built-in suites first, in HEADLINE's order, then any other in the summary's. On ``split``
    where the suite has it, else over all items."""
    check_object(summary, str(source))
    suites = summary.get("suites", {})
    check_object(suites, f"{source}: suites")
    builtin = [kind for kind, *_ in HEADLINE]
    out = {}
    for suite in sorted(suites, key=lambda name: builtin.index(name) if name in builtin else len(builtin)):
        check_object(suites[suite], f"{source}: suite {suite}")
        kind = suites[suite].get("kind", suite)
        if kind not in KIND_HEADLINE:
            continue
        metric, higher, title = KIND_HEADLINE[kind]
        metrics = suites[suite].get("metrics", {})
        check_object(metrics, f"{source}: suite {suite}'s metrics")
        chosen = split if split in metrics else "all"
        check_object(metrics.get(chosen, {}), f"{source}: suite {suite}'s {chosen} metrics")
        if metric in metrics.get(chosen, {}):
            check_rate(metrics[chosen][metric], f"{source}: suite {suite}, metric {metric} ({chosen})")
            out[f"{suite}.{metric}"] = metrics[chosen][metric] | {
                "split": chosen,
                "higher_is_better": higher,
                "title": title if suite == kind else f"{suite}: {title}",
            }
    return out


def check_object(entry: Any, where: str) -> None:
    """A summary.json entry the headline reads into must be an object: a damaged one is named, not an AttributeError."""
    from safealign.errors import DataError

    if not isinstance(entry, dict):
        raise DataError(
            f"{where} is a {type(entry).__name__}, not an object: was the file edited or cut short? Rerun "
            "`safealign eval` into a fresh --out (for a run's eval stage: delete its folder and rerun the run)"
        )


def check_rate(entry: Any, where: str) -> None:
    """A rate entry must hold the numbers its table cell shows (``rate_cell``): a cut-short one is named, not a
    KeyError."""
    from safealign.errors import DataError

    missing = [
        key
        for key in ("value", "low", "high")
        if not isinstance(entry, dict) or not isinstance(entry.get(key), int | float)
    ]
    if missing:
        raise DataError(
            f"{where} lacks {', '.join(missing)} (a number each): was the file edited or cut short? Rerun "
            "`safealign eval` into a fresh --out (for a run's eval stage: delete its folder and rerun the run)"
        )


def headline_columns(
    headlines: list[dict[str, dict[str, Any]]], order: list[str] | None = None
) -> list[tuple[str, str, bool]]:
    """``(key, title, higher is better)`` of each column a table of these headlines needs: the built-in suites' always
    (in ``order``, suite names; HEADLINE's by default), then every other suite's that a row has, in first-seen order."""
    columns = {
        f"{kind}.{KIND_HEADLINE[kind][0]}": (KIND_HEADLINE[kind][2], KIND_HEADLINE[kind][1])
        for kind in order or KIND_HEADLINE
    }
    for row in headlines:
        for key, entry in row.items():
            columns.setdefault(key, (entry.get("title", key), bool(entry.get("higher_is_better", True))))
    return [(key, title, higher) for key, (title, higher) in columns.items()]


def rate_cell(entry: dict[str, Any] | None) -> str:
    """A headline entry as a table cell: ``80% ±12%`` (half the 95% Wilson interval), ``-`` when the eval lacks it.
    A rate that is neither none nor all gets the digits it needs not to read as either (the card's ``pct``): 2,499 of
    2,500 refused was "100% ±0%", 1 of 250 harmful requests answered "0% ±1%".

    >>> rate_cell({"value": 0.8, "low": 0.56, "high": 0.8}), rate_cell({"value": 2499 / 2500, "low": 0.9978, "high": 1})
    ('80% ±12%', '99.96% ±0.1%')
    """
    from safealign.card.run_folder import pct

    if not entry:
        return "-"
    return f"{pct(entry['value'], digits=0)} ±{pct((entry['high'] - entry['low']) / 2, digits=0)}"


def load_headline(stage_dir: Path, split: str = "held_out") -> dict[str, dict[str, Any]]:
    return headline(read_json(stage_dir / "summary.json"), split, stage_dir / "summary.json")
