"""README.md: a Hugging Face model card whose ``model-index`` carries the final model's eval results.

The YAML front matter is written by ``huggingface_hub.ModelCardData`` itself, so the Hub (and
``ModelCard.load``) reads back exactly the numbers in ``eval/<stage>/summary.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safealign.card.judge_quality import eval_judges, judge_quality, judge_spec
from safealign.card.run_folder import RunFolder, code, md, templates, write_card_file
from safealign.card.summary import (
    alerts,
    differences_text,
    eval_coverage,
    eval_rows,
    evaluated,
    gate_events,
    overview,
    regressions,
    scored_differently,
    stage_details,
    stage_tokens,
    student_weights,
    undone_gate_rows,
)

TAGS_BY_STAGE = {
    "sft": ["sft", "trl"],
    "rl": ["grpo", "reinforcement-learning", "trl"],
    "distill": ["distillation"],
}


def embedded_name(spec: str) -> str | None:
    """The embedded model ``spec`` names: ``embedded:NAME``, or a local path to its packaged copy, the GGUF file in its
    package or the float32 folder safealign converted it to (``$SAFEALIGN_HOME/models/NAME``): the same weights as
    ``embedded:NAME``, whose Hub model the card can then name. None for anything else."""
    import os

    from safealign.errors import ModelNotFoundError
    from safealign.models.embedded import EMBEDDED_MODELS, gguf_path
    from safealign.paths import safealign_home

    if spec.startswith("embedded:"):
        name = spec.split(":", 1)[1]
        return name if name in EMBEDDED_MODELS else None
    if spec == "tiny" or spec.startswith("tiny:") or not spec.strip():
        return None
    try:
        where = os.path.realpath(Path(spec).expanduser())
        for name in EMBEDDED_MODELS:
            try:
                packaged = [os.path.realpath(gguf_path(name))]
            except ModelNotFoundError:  # the package is not installed where the card is written
                packaged = []
            if where in [*packaged, os.path.realpath(safealign_home() / "models" / name)]:
                return name
    except (OSError, RuntimeError, ValueError):  # ~user of no such user, a name the file system refuses
        return None
    return None


def base_model_facts(spec: str) -> dict[str, str]:
    """The Hub id and licence of the base model where the spec names one (the embedded models do, given by name or by
    the path of their packaged copy: :func:`embedded_name`)."""
    from safealign.models.embedded import EMBEDDED_MODELS

    if name := embedded_name(spec):
        model = EMBEDDED_MODELS[name]
        quantisation = model.gguf_file.rsplit(".", 2)[-2] if model.gguf_file.count(".") >= 2 else "quantised"
        # no code spans: the card shows this in a table cell, whose escaping showed their backticks as written
        weights = (
            f"the {quantisation} GGUF copy {model.gguf_file} from the {model.package} package, dequantised to float32; "
            f"every stage, the base model's scores included, starts from that copy, not from the Hub's full-precision weights"
        )
        return {"id": model.base_model, "license": model.license, "weights": weights}
    if spec == "tiny" or spec.startswith("tiny:"):  # random weights, SmolLM2's Apache-2.0 tokenizer
        return {
            "id": spec,
            "license": "apache-2.0",
            "weights": "random weights with SmolLM2's tokenizer (a test model)",
        }
    return {"id": hub_cache_id(spec) or spec, "license": "other", "weights": ""}


def hub_base_model(spec: str) -> str | None:
    """``spec`` (:func:`base_model_facts`' ``id``) as the front matter's ``base_model``, which the Hub reads as a model
    id; None for a local model, the builder's folder in a card meant for the Hub, where it names no model. The card's
    body names the local base instead.

    safealign downloads no model, so every spec but the built-in ones is a local path; the Hub's id is named only where
    the path says which Hub model it holds: an ``owner/name`` folder downloaded as that model (``huggingface-cli
    download ID --local-dir ID``, which leaves ``.cache/huggingface`` in it), or one the card cannot look at (a card
    written away from the run's working folder), or a snapshot of the Hugging Face cache
    (``.../models--owner--name/snapshots/REV``). ``models/my-base``, a folder of the user's own, is shaped like a Hub id
    too: it named the Hub's (nonexistent or unrelated) model ``models/my-base``."""
    from safealign.models.specs import looks_like_hub_id

    if spec == "tiny" or spec.startswith("tiny:"):
        return spec
    if hub := hub_cache_id(spec):
        return hub
    if not looks_like_hub_id(spec):
        return None
    try:
        here = Path(spec)
        local = here.exists() and not (here / ".cache" / "huggingface").is_dir()
    except OSError:  # a name the file system refuses is no folder here
        local = False
    return None if local else spec


def hub_cache_id(spec: str) -> str | None:
    """The Hub id of a model in the Hugging Face cache (``~/.cache/huggingface/hub/models--owner--name/snapshots/REV``:
    ``owner/name``; the Hub allows no ``--`` in an id), else None."""
    from safealign.models.specs import looks_like_hub_id

    cached = next((part for part in Path(spec).parts if part.startswith("models--")), "")
    hub = cached.removeprefix("models--").replace("--", "/")
    return hub if cached.count("--") == 2 and looks_like_hub_id(hub) else None


def refusal_training(run: RunFolder) -> dict[str, Any]:
    """Whether the final model was trained to refuse harmful requests, as the records of the stages whose training is in
    its weights (:func:`trained_into`) say: ``trained`` True where one trained on harmful-request rows (the SFT or
    distillation mixture's ``by_kind``: a refusal is a harmful row's answer) or on safety prompts (RL's ``safety``
    task, with a prompt drawn from its pool); False where each recorded its data and none did (a user's own maths
    mixture); None where one did not (rows that name no ``kind``, a record without the counts), ``why`` saying which."""
    from safealign.corpus.validate import KINDS

    found: list[bool | None] = []
    why = []
    for key in trained_into(run):
        inputs = (run.record(key) or {}).get("inputs") or {}
        if key in ("sft", "distill"):
            field = "data" if key == "sft" else "traces"
            mixture = inputs.get(field) or run.json(f"{key}/data_mixture.json") or {}
            kinds = mixture.get("by_kind") if isinstance(mixture, dict) else None
            if not isinstance(kinds, dict) or not kinds:
                found.append(None)
                why.append(f"`{key}/stage.json` does not count its rows by kind")
            elif (kinds.get("harmful") or 0) > 0:
                found.append(True)
            elif unnamed := sum(n for kind, n in kinds.items() if kind not in KINDS and isinstance(n, int)):
                # a row without a kind counts as "unknown", one of "kind": null as "null" (JSON's None)
                found.append(None)
                why.append(f"`{key}/stage.json` counts {unnamed} training rows that name no `kind`")
            else:
                found.append(False)
        elif key == "rl":
            tasks = (inputs.get("prompts") or {}).get("tasks")
            pools = inputs.get("safety_sources")
            drawn = (
                [s.get("rows_used") for s in pools if isinstance(s, dict)] if isinstance(pools, list) else []
            )
            if not isinstance(tasks, dict):
                found.append(None)
                why.append("`rl/stage.json` does not record its prompts' tasks")
            else:
                # a safety task whose share rounded to no prompt (recorded since the pools' counts were) trained none
                none_drawn = bool(drawn) and all(n == 0 for n in drawn)
                found.append(bool(tasks.get("safety")) and not none_drawn)
    trained = True if True in found else (None if None in found else False)
    # a student of its own weights: the stages of its teacher that are left out, whose training is not in its weights
    teacher = [key for key in run.ancestry if key not in trained_into(run) and key != "sample"]
    return {"trained": trained, "why": "; ".join(why), "teacher_stages": teacher}


def trained_into(run: RunFolder) -> list[str]:
    """The training stages whose training is in the final model's weights, in pipeline order: :attr:`RunFolder.ancestry`,
    less the teacher's stages where the final model is a distillation student of its own weights (``distill.student``
    not ``prune:``): it learns from the teacher's traces only, which its own record counts by kind (an RL teacher trained
    on safety prompts taught such a student nothing of them when its traces hold none). A student that is one of this
    run's models brings the stages that made it."""
    record = run.record("distill") if run.final_stage == "distill" else None
    student = student_weights(record)
    if not student:
        return run.ancestry
    keys, parent = ["distill"], student
    while parent:  # the student's own stage (a model of this run), then the one it started from, and on
        folder = run.rel(parent).split("/", 1)[0] if run.rel(parent) != str(parent) else ""
        key = next((s.key for s in run.done if s.spec.folder == folder and s.key in ("sft", "rl", "distill")), None)
        if key is None or key in keys:
            break
        keys.append(key)
        parent = (run.record(key) or {}).get("parent")
    return [key for key in run.ancestry if key in keys] + [key for key in keys if key not in run.ancestry]


def harm_judge_limits() -> str:
    """The harm judge's own "What this judge can and cannot catch" section, as Markdown."""
    from safealign.judges import harm

    doc = harm.__doc__ or ""
    marker = "What this judge can and cannot catch"
    if marker not in doc:
        return ""
    body = doc.split(marker, 1)[1].lstrip("\n-").strip()
    return body.replace("``", "`")


# The built-in lexicon judges' names: the judge set card's caveat (their lexicons and thresholds, its test split
# looked at twice) is about them, not about a Llama Guard or rubric judge that scored a run instead.
BUILT_IN_JUDGES = ("refusal", "harm")


def judge_set_caveat(quality: dict[str, Any]) -> str:
    """The shipped judge set card's own paragraph on how its test split was used, as Markdown, when a built-in judge
    scored the run (``quality``: :func:`judge_quality`'s measurement names the judges); else empty."""
    from safealign.paths import package_data

    if not {quality.get("refusal_judge"), quality.get("harm_judge")} & set(BUILT_IN_JUDGES):
        return ""

    card = package_data("cards", "judge_set.md")
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    marker = "**How the test split was used"
    if marker not in text:
        return ""
    return marker + text.split(marker, 1)[1].split("\n\n", 1)[0]


def judge_failure(quality: dict[str, Any], spec: str) -> dict[str, str]:
    """Why the judges (``spec``, as shown) could not be measured, as the card says it: ``reason``, the error's own
    message where it is one of safealign's (written for the user), else the error as raised, named unexpected; and
    ``command``, the `safealign judges check` that measures the same judges (a masked password is the user's to put
    back). ``quality``: :func:`judge_quality`'s ``{"measured": False, "error": "Name: message"}``."""
    import shlex

    from safealign.errors import SafealignError

    def subclasses(cls: type) -> set[str]:
        return {cls.__name__} | {name for sub in cls.__subclasses__() for name in subclasses(sub)}

    # one line: a traceback's lines joined
    error = " ".join(str(quality.get("error") or "unknown error").split())
    name, _, message = error.partition(": ")
    if name in subclasses(SafealignError) and message:
        reason = md(message) + ("" if message.endswith((".", "?", "!")) else ".")
    else:
        reason = f"an unexpected error, {code(error, table=False)}."
    command = "safealign judges check" + ("" if spec == "default" else f" --judge {shlex.quote(spec)}")
    return {"spec": spec, "reason": reason, "command": command, "masked": "***" in spec}


def judge_scores(quality: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``quality``'s scores as the card shows them: a rate over 0 rows None, shown "n/a" as `safealign judges check`
    shows it, not 0.0% (precision of a judge that flagged nothing; recall on a split with no row labelled yes; F1 only
    when it is 0 / 0 too: with a false positive on such a split F1 = 2tp / (2tp + fp + fn) is 0). A score without its
    confusion counts is shown as cached."""
    shown = {}
    for name, score in (quality.get("scores") or {}).items():
        counts = [score.get(k) for k in ("tp", "fp", "fn")]
        if all(isinstance(c, int) for c in counts):
            tp, fp, fn = counts
            score = (
                score
                | ({} if tp + fp else {"precision": None})
                | ({} if tp + fn else {"recall": None})
                | ({} if tp + fp + fn else {"f1": None})
            )
        shown[name] = score
    return shown


def failed_judges(run: RunFolder, quality: dict[str, Any]) -> dict[str, str] | None:
    """:func:`judge_failure` for the judges the run's card measures, or None when they were measured."""
    from safealign.judges import shown_judge_spec

    if quality.get("measured"):
        return None
    return judge_failure(quality, str(quality.get("judge_spec") or shown_judge_spec(judge_spec(run))))


def eval_results(run: RunFolder) -> list[Any]:
    """``EvalResult`` per (suite, metric, split) of the final model's eval, values as in summary.json."""
    from huggingface_hub import EvalResult

    label = run.final_eval
    if label is None:
        return []
    results = []
    for row in eval_rows(run):
        entry = row["values"].get(label)
        if not entry:
            continue
        results.append(
            EvalResult(
                task_type="text-generation",
                task_name="Text Generation",
                dataset_type=f"safealign/{row['suite']}",
                dataset_name=f"safealign {row['suite']} suite",
                dataset_split=row["split"],
                metric_type=row["metric"],
                metric_name=f"{row['name']} ({row['split_name']}, n={entry['n']})",
                metric_value=entry["value"],
            )
        )
    return results


def weights_from(run: RunFolder) -> str:
    """The model whose weights the final model is made of, for the Hub's ``base_model``: the run's base model, or the
    distillation student's own starting weights where it did not start from the teacher (a student of another
    family is that family's model, taught by the teacher; see :func:`safealign.card.summary.student_weights`)."""
    student = student_weights(run.record("distill")) if run.final_stage == "distill" else None
    # a student trained in this run (a stage's output) was itself made from the run's base model
    return student if student and run.rel(student) == student else run.base_model


def front_matter(run: RunFolder, context: dict[str, Any]) -> str:
    from huggingface_hub import ModelCardData

    base = base_model_facts(weights_from(run))
    tags = ["safealign", "safety", "reasoning"]
    for info in run.done:
        if info.key not in run.left_out:  # an earlier run's stage did not make this model
            tags += [t for t in TAGS_BY_STAGE.get(info.key, []) if t not in tags]
    training = used_training_data(run, context["data"])
    languages = trained_languages(run, context["data"]) or ["en"]
    data = ModelCardData(
        model_name=run.name,
        base_model=hub_base_model(base["id"]),
        license=base["license"],
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=tags,
        language=languages,
        # the distillation traces, by a path (sample/traces.jsonl, or one given to `safealign distill --traces`): by
        # the file's name, not a path (DATA_CARD.md gives it), which the Hub reads as a dataset id (owner/name)
        datasets=list(dict.fromkeys(_hub_dataset_name(d["name"]) for d in training)) or None,
        eval_results=eval_results(run) or None,
    )
    return data.to_yaml()


def _hub_dataset_name(name: str) -> str:
    """A training file's name as the front matter lists it: a shipped dataset's name, or a file's own name; never a path,
    absolute (the builder's folder) or relative (``sample/traces.jsonl`` read as the Hub dataset ``traces.jsonl`` of a
    user ``sample``)."""
    return Path(name).name or name


def used_training_data(run: RunFolder, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The training files of the stages the final model was made from (a rejection sampling with no distillation after
    it is not one), less a safety prompt pool file the stage drew no prompt from (``rows_used`` 0)."""
    return [d for d in data["training"] if d.get("stage") in run.ancestry and d.get("rows_used") != 0]


def trained_languages(run: RunFolder, data: dict[str, Any]) -> list[str]:
    """The languages (two-letter codes) of the data the final model was made from: the front matter's ``language``.
    A mixture file counts whole; a safety prompt pool counts the prompts its stage's dataset took from it (RL,
    ``languages_used``) or whose traces the student trains on (sample), or the whole
    file where its stage did not record them (a run from before it did)."""
    used = [
        d["languages"] if d.get("languages_used") is None else d["languages_used"]
        for d in used_training_data(run, data)
    ]
    return sorted({lang for languages in used for lang in languages if len(lang) == 2})


def languages_held_back(regressed: list[dict[str, Any]], coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """Per language suite on which the final model does worse than the base model beyond noise (``regressed``:
    :func:`regressions`, the card's noise rule): the suite, the languages of the items of the splits that regressed
    (an "all" row: all of the suite's) and those rows. The card offers the model in none of these languages in that
    suite (it mixes languages there more than the base model did). The shipped suite's splits hold different
    languages (fr/de/es/zh in-distribution, it/pt held-out): a held-out regression says nothing of fr."""
    held: dict[str, dict[str, Any]] = {}
    for row in regressed:
        if row["kind"] == "language" and row["beyond_noise"]:
            suite = coverage["suites"].get(row["suite"], {})
            items = (
                suite.get("languages", {})
                if row["split"] == "all"
                else suite.get("split_languages", {}).get(row["split"], {})
            )
            entry = held.setdefault(row["suite"], {"suite": row["suite"], "languages": [], "rows": []})
            entry["languages"] += [lang for lang in items if lang != "?" and lang not in entry["languages"]]
            entry["rows"].append(row)
    for entry in held.values():
        entry["languages"] = entry["languages"] or [f"the {entry['suite']} suite's languages"]
    return list(held.values())


def intended_languages(coverage: dict[str, Any], held_back: list[dict[str, Any]]) -> dict[str, list[str]]:
    """suite -> the languages of its items the card offers the model in: those :func:`languages_held_back` holds back
    in that suite left out (a language held back in one suite is still offered in the others)."""
    dropped = {entry["suite"]: set(entry["languages"]) for entry in held_back}
    offered = {
        suite: [lang for lang in c["languages"] if lang not in dropped.get(suite, set())]
        for suite, c in coverage["suites"].items()
    }
    return {suite: languages for suite, languages in offered.items() if languages}


def model_card_context(run: RunFolder, data: dict[str, Any], quality: dict[str, Any]) -> dict[str, Any]:
    from safealign.judges import shown_judge_spec

    rows = eval_rows(run)
    summary = overview(run)
    final = summary["final_eval"]  # None where the final model's eval scored no suite
    # over the final model's scores the card shows (the table's rows), named: summary.json holds more (evasive answers,
    # a mean score), which no reader of the card compares, and "the widest interval in the final evaluation" was then
    # not the widest of it
    widest = max(
        (r for r in rows if final and r["values"].get(final)),
        key=lambda r: r["values"][final]["high"] - r["values"][final]["low"],
        default=None,
    )
    judges = {label: shown_judge_spec(spec) for label, spec in eval_judges(run).items()}
    coverage = eval_coverage(run)
    held_back = languages_held_back(regressions(run), coverage)
    return {
        "run": run,
        "base": base_model_facts(run.base_model),
        # a distillation student with weights of its own: the final model is made of them, not of the base model's
        "student": base_model_facts(weights_from(run))["id"] if weights_from(run) != run.base_model else None,
        # the front matter's base_model: none for a local folder, which the Base model row then names as local
        "hub_base": hub_base_model(base_model_facts(weights_from(run))["id"]),
        "refusals": refusal_training(run),
        "overview": summary,
        "stages": stage_details(run),
        "stage_tokens": {info.key: stage_tokens(info.key, info.record) for info in run.stages},
        "missing": run.missing,
        "rows": rows,
        "labels": list(run.evals),
        "quality": quality,
        "data": data,
        # alerts.jsonl is written only when an alert fires during training: cite it only when it is there
        "alerts": alerts(run),
        "live_alerts": (run.path / "rl" / "alerts.jsonl").is_file(),
        "gates": gate_events(run),
        "undone_gates": undone_gate_rows(run),
        "harm_limits": harm_judge_limits(),
        "widest": {"row": widest, "entry": widest["values"][final]} if widest else None,
        # the judges that scored the final model's eval, shown: an openai: judge URL may carry a password
        "judge_spec": shown_judge_spec(judge_spec(run)),
        "eval_judges": judges,
        "judges_differ": len(set(judges.values())) > 1,
        "judge_caveat": judge_set_caveat(quality),
        "judge_failure": failed_judges(run, quality),
        "judge_scores": judge_scores(quality),
        "regressions": regressions(run),
        "scored_differently": differences_text(scored_differently(run)),
        "coverage": coverage,
        "languages_held_back": held_back,
        "intended_languages": intended_languages(coverage, held_back),
        # trained on, not evaluated: out of scope, though the front matter's `language` lists them (the training data's)
        "unevaluated_languages": [
            lang
            for lang in trained_languages(run, data)
            if coverage["suites"] and not any(lang in c["languages"] for c in coverage["suites"].values())
        ],
        "arithmetic": arithmetic(
            rows,
            final,
            regressions(run),
            summary["base_eval"] if summary["base_scored_differently"] else None,
        ),
        # the settings the final model was scored with (a resumed run's evals can differ); none when it was not scored
        "eval_config": (run.evals[final] if final else {}).get("config", {}),
        "system_prompt": system_prompts(run, final),
        "measured": measured_kinds(run, final),
    }


def arithmetic(
    rows: list[dict[str, Any]],
    final: str | None,
    regressed: list[dict[str, Any]],
    scored_differently_base: str | None = None,
) -> dict[str, Any] | None:
    """The final model's accuracy on the built-in reasoning suite (held-out split first), and whether the card may offer
    the model for arithmetic: only when the accuracy's 95% interval is above 0 and it is not below the base model's on
    that same split at all (``regressed``: :func:`regressions`; ``drop``: that row, noise or not; ``worse``: the drop is
    beyond noise). ``scored_differently_base``: the base model's eval where it was asked with other settings, which
    :func:`regressions` does not compare: a higher base score there blocks the offer too (``uncomparable``: that
    score), as nothing shows the final model does as well. None when the final eval did not score the suite."""
    found = [
        r
        for r in rows
        if r["suite"] == "reasoning" and r["metric"] == "accuracy" and final and r["values"].get(final)
    ]
    row = next(
        (r for split in ("held_out", "in_distribution") for r in found if r["split"] == split),
        found[0] if found else None,
    )
    if row is None:
        return None
    entry = row["values"][final]
    # any drop blocks the offer: a model that answers fewer problems than its base (even within noise) has not shown
    # it does arithmetic; "worse ... beyond noise" is said only when the intervals do not overlap
    drop = next(
        (
            r
            for r in regressed
            if r["suite"] == "reasoning" and r["name"] == row["name"] and r["split_name"] == row["split_name"]
        ),
        None,
    )
    base = row["values"].get(scored_differently_base) if scored_differently_base else None
    uncomparable = base if base and base["value"] > entry["value"] else None
    return {
        "entry": entry,
        "split_name": row["split_name"],
        "offered": entry["low"] > 0 and drop is None and uncomparable is None,
        "drop": drop,
        "worse": bool(drop and drop["beyond_noise"]),
        "uncomparable": uncomparable,
    }


def system_prompts(run: RunFolder, final: str | None) -> dict[str, Any]:
    """The system prompt the final model's eval asked with (``asked``) and the one its training stage recorded training
    with (``trained``; ``recorded``: whether that stage's ``stage.json`` says, as ``inputs.system_prompt``): the card
    says the model was trained with the eval's prompt only when they match, and says nothing of the prompts when the
    final model was not evaluated (``evaluated``; an eval that scored no suite is none): it was asked nothing, with no
    prompt or another."""
    scored = evaluated(run, final)
    asked = ((run.evals.get(final) or {}).get("config") or {}).get("system_prompt") if scored else None
    inputs = ((run.record(run.final_stage) or {}).get("inputs") or {}) if run.final_stage else {}
    return {
        "asked": asked or None,
        "trained": inputs.get("system_prompt") or None,
        "recorded": "system_prompt" in inputs,
        "stage": run.final_stage,
        "evaluated": scored,
    }


def measured_kinds(run: RunFolder, final: str | None) -> set[str]:
    """The suite kinds the final model's eval scored: a safety side it did not score is a limitation the card states."""
    suites = (run.evals.get(final) or {}).get("suites", {}) if final else {}
    return {str(result.get("kind", name)) for name, result in suites.items() if isinstance(result, dict)}


def write_model_card(
    run: RunFolder,
    data: dict[str, Any],
    path: Path | None = None,
    quality: dict[str, Any] | None = None,
    text: str | None = None,
) -> Path:
    """Render README.md into the run folder (``data`` is the data card context, for the dataset list; ``quality``: the
    bundle's :func:`judge_quality`, measured here when not given: a failed measurement is not cached, so measuring
    again retries the judges, a rubric endpoint's attempts and waits included; ``text``: the card as
    :func:`render_model_card` rendered it, for a bundle that renders every file before it writes one)."""
    if text is None:
        text = render_model_card(run, data, judge_quality(run) if quality is None else quality)
    path = path or run.path / "README.md"
    write_card_file(path, text)
    return path


def render_model_card(run: RunFolder, data: dict[str, Any], quality: dict[str, Any]) -> str:
    """README.md's text: the front matter and the card (see :func:`write_model_card`)."""
    context = model_card_context(run, data, quality)
    body = templates().get_template("model_card.md.j2").render(**context)
    return f"---\n{front_matter(run, context)}\n---\n\n{body}"
