"""Run eval suites through an already-loaded generator: one generation call, one judge call per suite.

Called by ``safealign eval``, by the SFT/RL stages and by the cross-validation gates, so it never
loads a model: it takes anything with ``generate(prompts, params, show_progress=...)`` (the
:class:`~safealign.generation.GenerationEngine` or an
:class:`~safealign.evals.endpoint.EndpointGenerator`). All suites' prompts go to the generator at
once, so the engine batches them by length across suites.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from safealign.corpus.mixture import sha256_file
from safealign.corpus.validate import LANGUAGE_CODES, _language_problem
from safealign.errors import DataError, SafealignError
from safealign.evals import metrics as m
from safealign.evals.loaders import EvalItem
from safealign.evals.suites import Suite, as_problem, expand_suite_names, get_suite, select_items, split_hint
from safealign.generation import Completion, GenerationEngine, SamplingParams, check_prompts
from safealign.judges import shown_judge_spec
from safealign.judges.base import checked_verdicts
from safealign.tasks import check_answer, format_score, is_mixed, language_share
from safealign.tasks.problems import EASY_CONFIGS, OWN_FAMILIES, unknown_name, valid_families

log = logging.getLogger(__name__)

SPLIT_ORDER = ("in_distribution", "held_out", "dev", "external", "all")


class Generator(Protocol):
    def generate(
        self, prompts: Sequence[Any], params: SamplingParams | None = None, show_progress: bool = False
    ) -> list[Completion]: ...


@dataclass
class SuiteResult:
    """One suite's metrics per split (``all`` included), each a :class:`~safealign.evals.metrics.Rate`."""

    name: str
    kind: str
    n_items: int
    metrics: dict[str, dict[str, m.Rate]]
    file: dict[str, str] | None = None  # a file suite's path and the sha256 of the file as the eval read it

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "n_items": self.n_items,
            "metrics": {
                split: {k: r.to_dict() for k, r in rates.items()} for split, rates in self.metrics.items()
            },
        } | ({"file": self.file} if self.file else {})


@dataclass
class EvalReport:
    """Per-suite metrics, every sample, and what the run cost."""

    suites: dict[str, SuiteResult]
    samples: list[dict[str, Any]] = field(repr=False)
    wall_time_s: float
    generation_time_s: float
    judge_time_s: float
    tokens_generated: (
        int  # of the answers generated in this run: an answer reused from a stopped run's file counts 0
    )
    prompt_tokens: int  # of the same answers (reused ones count 0 here too)
    config: dict[str, Any] = field(default_factory=dict)
    # what the answers reused from a stopped run's file cost that run: the tokens it generated for them and the seconds
    # its generation took (None: unknown, a file written before it was recorded). summary.json's costs stay this run's;
    # it names these apart (kept_*, only when answers were kept), and the eval stage adds them to its record, as a
    # resumed stage counts every session.
    kept_tokens: int = 0
    kept_generation_s: float | None = None
    kept_answers: int = 0  # how many of the answers were reused from that file (0: all generated in this run)

    def metric(self, suite: str, name: str, split: str = "all") -> m.Rate:
        """One metric, e.g. ``report.metric("harmful", "refusal_rate", "held_out").value``."""
        return self.suites[suite].metrics[split][name]

    def rows(self) -> list[tuple[str, str, str, m.Rate]]:
        """(suite, split, metric, rate) in display order: each metric's splits side by side."""
        out = []
        for name, result in self.suites.items():
            splits = [s for s in SPLIT_ORDER if s in result.metrics]
            if len(splits) == 2:  # one split only: one row, named by its split (external items: "all")
                splits = ["all"] if splits[0] == "external" else splits[:1]
            for metric in result.metrics["all"]:
                out.extend((name, split, metric, result.metrics[split][metric]) for split in splits)
        return out

    def summary(self) -> dict[str, dict[str, float]]:
        """suite -> metric -> value over all splits (what dashboards and regression checks read)."""
        return {
            name: {k: r.value for k, r in result.metrics["all"].items()}
            for name, result in self.suites.items()
        }

    def to_dict(self, include_samples: bool = False) -> dict[str, Any]:
        data = {
            "summary": self.summary(),
            "suites": {name: result.to_dict() for name, result in self.suites.items()},
            "wall_time_s": round(self.wall_time_s, 2),
            "generation_time_s": round(self.generation_time_s, 2),
            "judge_time_s": round(self.judge_time_s, 2),
            "tokens_generated": self.tokens_generated,
            "prompt_tokens": self.prompt_tokens,
            "n_samples": len(self.samples),
            "config": self.config,
        }
        if self.kept_answers:  # else a script reading the file saw answers that cost nothing
            data |= {
                "kept_answers": self.kept_answers,
                "kept_tokens": self.kept_tokens,
                "kept_generation_time_s": None
                if self.kept_generation_s is None
                else round(self.kept_generation_s, 2),
            }
        return data | ({"samples": self.samples} if include_samples else {})

    def write(self, out_dir: str | Path) -> None:
        """``samples.jsonl`` (one line per answer) and ``summary.json`` (metrics and costs).

        Both are written whole under temporary names first: an interrupt while writing leaves an earlier eval's pair
        in ``out_dir`` as it was. The earlier summary goes before the renames, so a stop between them leaves no
        summary (an eval that did not finish) rather than one run's summary beside another's samples."""
        from safealign.runs import write_json, write_jsonl

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        samples, summary = out / "samples.jsonl", out / "summary.json"
        new_samples, new_summary = (out / f".{path.name}.new-{os.getpid()}" for path in (samples, summary))
        try:
            write_jsonl(new_samples, self.samples)
            write_json(new_summary, self.to_dict())
            summary.unlink(missing_ok=True)
            new_samples.replace(samples)
            new_summary.replace(summary)
        finally:
            new_samples.unlink(missing_ok=True)
            new_summary.unlink(missing_ok=True)


def _judge_set(judges: Any) -> Any:
    if judges is None or isinstance(judges, str):
        from safealign.judges import build_judges

        return build_judges(judges or "default")
    return judges


def _judged(role: str, judges: Any, prompts: list[str], texts: list[str]) -> list[Any]:
    """The ``role`` judge's verdicts, checked as the monitor checks them (one Verdict per answer, each labelled from
    the role's labels): another label (a custom judge's "refused") was counted as neither refused nor harmful, a 0%
    refusal rate without a word, and too few verdicts a bare zip error."""
    judge = getattr(judges, role)
    return checked_verdicts(role, judge, judge.judge(prompts, texts), len(texts))


def _score(kind: str, items: list[EvalItem], texts: list[str], judges: Any) -> tuple[list[dict], list[dict]]:
    """Per-sample verdicts and scores for one suite, with one batched call per judge."""
    prompts = [item.prompt for item in items]
    verdicts: list[dict] = [{} for _ in items]
    scores: list[dict] = [{} for _ in items]
    if kind in ("harmful", "borderline"):
        for v, verdict in zip(verdicts, _judged("refusal", judges, prompts, texts), strict=True):
            v["refusal"] = verdict.to_dict()
    if kind == "harmful":
        for v, verdict in zip(verdicts, _judged("harm", judges, prompts, texts), strict=True):
            v["harm"] = verdict.to_dict()
    if kind in ("reasoning", "format"):
        for s, item, text in zip(scores, items, texts, strict=True):
            s["correct"] = check_answer(as_problem(item), text)
            s["format"] = format_score(text)
    if kind == "language":
        for s, item, text in zip(scores, items, texts, strict=True):
            s["language_share"] = language_share(text, item.language)
            s["mixed"] = is_mixed(text, item.language)
    return verdicts, scores


def suite_metrics(kind: str, samples: list[dict[str, Any]]) -> dict[str, m.Rate]:
    """The metrics of one suite kind over its samples (see :mod:`safealign.evals.metrics`); with several answers per
    prompt (``--samples``), each rate is over all answers and its ``n`` and interval over the prompts."""
    metrics = _answer_metrics(kind, samples)
    if any(s.get("sample_index", 0) > 0 for s in samples):
        prompts = len({s["id"] for s in samples})
        metrics = {
            name: rate if name in m.PER_PROMPT_METRICS else m.over_prompts(rate, prompts)
            for name, rate in metrics.items()
        }
    return metrics


def _answer_metrics(kind: str, samples: list[dict[str, Any]]) -> dict[str, m.Rate]:
    if kind == "harmful":
        metrics = m.refusal_metrics(
            [s["verdicts"]["refusal"]["label"] for s in samples]
        ) | m.harmful_content_metrics([s["verdicts"]["harm"]["label"] for s in samples])
        if any(s.get("sample_index", 0) > 0 for s in samples):  # several answers per prompt (--samples)
            by_prompt: dict[str, list[str]] = {}
            for s in samples:
                by_prompt.setdefault(s["id"], []).append(s["verdicts"]["refusal"]["label"])
            metrics |= m.every_sample_refusal_metrics(list(by_prompt.values()))
        return metrics
    if kind == "borderline":
        return m.over_refusal_metrics([s["verdicts"]["refusal"]["label"] for s in samples])
    if kind == "reasoning":
        accuracy = m.accuracy_metrics([s["scores"]["correct"] for s in samples])
        return accuracy | {
            "format_compliance": m.format_metrics([s["scores"]["format"] for s in samples])[
                "format_compliance"
            ]
        }
    if kind == "format":
        return m.format_metrics([s["scores"]["format"] for s in samples]) | {
            "accuracy": m.accuracy_metrics([s["scores"]["correct"] for s in samples])["accuracy"]
        }
    if kind == "language":
        return m.language_metrics(
            [s["scores"]["language_share"] for s in samples], [s["scores"]["mixed"] for s in samples]
        )
    raise ValueError(f"no metrics for suite kind {kind!r}")


def _identity(spec: Suite) -> tuple[str, str]:
    """What makes two suites one: the kind and the file (however its path is written), or the description."""
    return spec.kind, str(spec.file.resolve()) if spec.file is not None else spec.description


def distinct_suites(specs: list[Suite]) -> list[Suite]:
    """Each suite once (a suite named twice, or by a group too, or a file by two paths, runs once); two different suites
    that share a name (a file suite is named after its file) would share their scores' keys, so one would silently replace
    the other."""
    by_name: dict[str, Suite] = {}
    for spec in specs:
        seen = by_name.setdefault(spec.name, spec)
        if _identity(seen) != _identity(spec):
            if seen.file is not None and spec.file is not None and _identity(seen)[1] == _identity(spec)[1]:
                # `harmful:x.csv` and `borderline:x.csv`: "rename one of the files" when there is one file
                raise DataError(
                    f"{seen.kind}:{seen.file} and {spec.kind}:{spec.file} are one file given as two kinds of suite; "
                    "a file suite is scored as one kind: keep one of them (to score its prompts both ways, copy the "
                    "file to one of another name)"
                )
            raise DataError(
                f"two suites are named {spec.name!r} ({seen.description}, {seen.kind}; and {spec.description}, "
                f"{spec.kind}): a file suite takes its file's name, so rename one of the files"
            )
    return list(by_name.values())


def _suite_specs(suites: Sequence[str | Suite]) -> list[Suite]:
    """Each suite's spec, a group (``dev``) by its members: every caller (the eval stage, the monitor, the CLI) may name
    a group, as a recipe that validation accepted does."""
    specs: list[Suite] = []
    for suite in suites:
        if isinstance(suite, Suite):
            specs.append(suite)
        else:
            specs.extend(get_suite(name) for name in expand_suite_names([suite]))
    return distinct_suites(specs)


def _engine(generator: Any) -> GenerationEngine | None:
    """The local engine under any wrappers (the refusal vote, the probe routing); None for an endpoint or a test's generator."""
    while hasattr(generator, "inner"):
        generator = generator.inner
    return generator if isinstance(generator, GenerationEngine) else None


def _generation_key(
    generator: Any, prompts: list[str], params: SamplingParams, model: dict[str, Any] | None
) -> str:
    """What kept answers must have been generated for to be reused: the model, how it was asked, and every prompt."""
    vote = getattr(generator, "vote", None)
    request = {
        "model": _model_key(model),
        "system_prompt": getattr(generator, "system_prompt", None),
        "precision": getattr(generator, "precision", None),
        "params": vars(params),
        "vote": dataclasses.asdict(vote) if vote is not None else None,
        "routing": getattr(generator, "routing", None),
        "prompts": prompts,
    }
    return hashlib.sha256(
        json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _model_key(model: dict[str, Any] | None) -> dict[str, Any] | None:
    """The model a local spec names (an absolute path, ``tiny:SEED``), not the spec as typed: ``model`` is another folder
    in another working folder. Answers an older version kept under the typed spec are not taken, but generated anew."""
    if model is None or "spec" not in model:
        return model
    from safealign.probing import model_identity

    return model | {"spec": model_identity(str(model["spec"]))}


def _answer_lines(answers_file: Path) -> list[str]:
    if not answers_file.is_file():
        return []
    return [
        line
        for line in answers_file.read_text(encoding="utf-8", errors="replace").split("\n")
        if line.strip()
    ]


def _kept_completions(answers_file: Path | None, key: str) -> list[Completion]:
    """The answers an earlier eval of the same request kept in ``answers_file`` before its judges ran, marked as costing
    nothing in this run (``meta`` ``tokens_spent`` and ``prompt_tokens_spent`` 0); none when there are none."""
    kept = []
    for line in _answer_lines(answers_file) if answers_file is not None else []:
        try:
            record = json.loads(line)
            if record["key"] == key:
                completion = Completion(**record["completion"])
                kept.append(
                    dataclasses.replace(
                        completion, meta=completion.meta | {"tokens_spent": 0, "prompt_tokens_spent": 0}
                    )
                )
        except (ValueError, KeyError, TypeError):
            continue  # not a record (a line edited by hand); another request's records are skipped by their key
    return kept


def _kept_cost(answers_file: Path, key: str) -> tuple[int, float | None]:
    """What the answers kept in ``answers_file`` for ``key`` cost the eval that generated them: the tokens it generated
    (a refusal vote's every sample: ``meta["tokens_spent"]``) and the seconds its generation took, None when a record
    lacks them (a file an older version wrote: it still resumes, its time unknown)."""
    tokens, seconds = 0, []
    for line in _answer_lines(answers_file):
        try:
            record = json.loads(line)
            if record["key"] != key:
                continue
            completion = Completion(**record["completion"])
            spent = completion.meta.get("tokens_spent", completion.completion_tokens)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # skipped by _kept_completions too
        tokens += spent if isinstance(spent, int) and not isinstance(spent, bool) else 0
        seconds.append(record.get("generation_s"))
    time_s = seconds[0] if seconds and all(s == seconds[0] for s in seconds) else None
    known = isinstance(time_s, int | float) and not isinstance(time_s, bool) and 0 <= time_s < float("inf")
    return tokens, float(time_s) if known else None


def _keep_completions(
    answers_file: Path, key: str, completions: list[Completion], generation_s: float | None = None
) -> None:
    """Write the answers before any judge runs, so that a judge that fails (a grader that is down) costs a rerun the
    judging only. Written whole and then renamed: a file a crash cut short is never taken for all the answers. Each
    record carries the seconds the generation took (``generation_s``), which a rerun that reuses them counts as the
    stopped session's (an extra field: older versions read the file as before)."""
    others = [line for line in _answer_lines(answers_file) if f'"key": "{key}"' not in line]
    spent = {} if generation_s is None else {"generation_s": round(generation_s, 1)}
    records = [
        json.dumps(
            {"key": key, "completion": dataclasses.asdict(c) | {"token_ids": []}} | spent, ensure_ascii=False
        )
        for c in completions
    ]
    answers_file.parent.mkdir(parents=True, exist_ok=True)
    partial = answers_file.with_name(f".{answers_file.name}.tmp-{os.getpid()}")
    try:
        partial.write_text("".join(f"{line}\n" for line in [*others, *records]), encoding="utf-8")
        partial.replace(answers_file)
    except BaseException:  # a full disk, a folder of that name, Ctrl-C: no stray temporary file in the eval's folder
        partial.unlink(missing_ok=True)
        raise


def _check_ids(spec: Suite, items: list[EvalItem]) -> None:
    """A suite's items must each have their own id: samples.jsonl, ``--samples``' per-prompt counts and the paired
    comparison key answers by it. Two items of one id were both scored (a limit that drew one drew both), the prompts
    of a sampled eval undercounted, and eval diff refused the eval's own samples.jsonl as edited."""
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            where = f"suite {spec.name}" + (f" ({spec.file})" if spec.file is not None else "")
            raise DataError(f"{where}: two items have the id {item.id!r}; give each item its own id")
        seen.add(item.id)


def _check_languages(spec: Suite, items: list[EvalItem]) -> None:
    """A language suite's items must name their language by a code the mixing check knows: "EN", "french" or "en-US"
    matched no detected language, so every answer was scored as mixed."""
    bad = [item for item in items if item.language not in LANGUAGE_CODES]
    if bad:
        where = f"suite {spec.name}" + (f" ({spec.file})" if spec.file is not None else "")
        more = f" ({len(bad) - 1} more item(s) too)" if len(bad) > 1 else ""
        raise DataError(
            f"{where}, item {bad[0].id}: field 'language' {_language_problem(bad[0].language)}{more}"
        )


def _check_problems(spec: Suite, items: list[EvalItem]) -> None:
    """A reasoning or format suite's items must each name a known task family (``metadata["family"]``, a file's
    ``family`` column), whose checker scores the answer, and hold a reference answer: a user's file without them failed
    only after every answer was generated, with a bare KeyError 'family', and one without answers scored every answer
    wrong."""
    valid: list[str] | None = None
    for item in items:
        family = item.metadata.get("family")
        if not isinstance(family, str) or not family.strip():
            what = "no 'family'" if family is None else f"'family' is {family!r}, not a task family's name"
            problem = f"{what} (whose checker scores the answer): give each row one, e.g. arithmetic or gcd"
        elif family not in (valid := valid if valid is not None else valid_families()):
            problem = str(unknown_name("task family", family, valid, shown=[*OWN_FAMILIES, *EASY_CONFIGS]))
        elif not (item.answer or "").strip():
            problem = (
                "no reference answer to score against: give each row one (load_suite_file's answer_field)"
            )
        else:
            continue
        where = f"suite {spec.name}" + (f" ({spec.file})" if spec.file is not None else "")
        raise DataError(f"{where}, item {item.id}: {problem}")


def _answers_problem(completions: list[Completion], labels: list[str], num_samples: int) -> str | None:
    """What is wrong with the answers to the prompts ``labels`` name, or None when each prompt has each sample once.
    Samples past ``num_samples`` are taken (a generator may sample more), as long as every prompt has the same ones."""
    for c in completions:
        if not isinstance(c, Completion):
            return f"one is a {type(c).__name__} ({str(c)[:80]!r}), not a Completion"
        if not isinstance(c.text, str):
            return f"prompt {c.prompt_index}, sample {c.sample_index} has the text {c.text!r}, not a str"
    per_prompt = max([num_samples, *(c.sample_index + 1 for c in completions)])
    seen: set[tuple[int, int]] = set()
    for c in completions:
        if not (0 <= c.prompt_index < len(labels) and c.sample_index >= 0):
            return (
                f"one is for prompt_index {c.prompt_index}, sample_index {c.sample_index}, but the prompts are "
                f"0 to {len(labels) - 1}"
            )
        if (c.prompt_index, c.sample_index) in seen:
            return f"prompt {c.prompt_index} ({labels[c.prompt_index]}), sample {c.sample_index} is answered twice"
        seen.add((c.prompt_index, c.sample_index))
    asked = len(labels) * per_prompt
    for index, label in enumerate(labels):
        for sample in range(per_prompt):
            if (index, sample) not in seen:
                return (
                    f"{asked - len(seen)} of the {asked} asked are missing, the first prompt {index} ({label}), "
                    f"sample {sample}"
                )
    return None


def run_eval(
    generator: Generator,
    suites: Sequence[str | Suite],
    split: str = "all",
    limit: int | None = None,
    judges: Any = None,
    params: SamplingParams | None = None,
    out_dir: str | Path | None = None,
    show_progress: bool = False,
    seed: int = 0,
    model: dict[str, Any] | None = None,
    answers_file: str | Path | None = None,
    max_new_tokens_setting: str = "--max-new-tokens",
) -> EvalReport:
    """Generate answers for every suite's items, judge and score them, and compute the metrics.

    A group name (``dev``) stands for its member suites. ``limit`` caps items per suite and split (``None``: each
    suite's default); ``judges`` is a judge set (``.refusal``, ``.harm``), a judge spec string, or ``None`` for the
    default judges,
    built only when a safety suite runs. ``model`` says what was evaluated (a spec, or an endpoint and its
    model name), for ``summary.json``. With ``answers_file``, the answers are written there before any judge runs and
    the file is removed once the results are written; an earlier run's answers there for the same model, settings
    and prompts are judged again instead of being generated again. A local engine's prompts are checked against its
    context window before any is generated (``max_new_tokens_setting``: the setting the error tells to lower).
    """
    started = time.perf_counter()
    specs = _suite_specs(suites)
    selected = [(spec, select_items(spec, split=split, limit=limit, seed=seed)) for spec in specs]
    files = {
        spec.name: {"path": str(spec.file.resolve()), "sha256": sha256_file(spec.file)}
        for spec in specs
        if spec.file is not None
    }
    empty = [spec.name for spec, chosen in selected if not chosen]
    if empty:  # a suite that contributes nothing would vanish from the scores without a word
        raise DataError(
            f"no eval items in suite(s) {', '.join(empty)} for split {split!r}: {split_hint(empty, split)}"
        )
    for spec, chosen in selected:
        _check_ids(spec, chosen)
        if spec.kind == "language":
            _check_languages(spec, chosen)
        if spec.kind in ("reasoning", "format"):
            _check_problems(spec, chosen)
    items = [item for _, chosen in selected for item in chosen]
    params = params or SamplingParams(max_new_tokens=128)
    if any(spec.kind in ("harmful", "borderline") for spec in specs):
        judges = _judge_set(judges)

    log.info(
        "evaluating %d prompts from %s", len(items), ", ".join(f"{s.name} ({len(c)})" for s, c in selected)
    )
    prompts = [item.prompt for item in items]
    answers_file = Path(answers_file) if answers_file is not None else None
    key = _generation_key(generator, prompts, params, model) if answers_file is not None else ""
    gen_start = time.perf_counter()
    # what each prompt is, for an error about its answer
    labels = [f"suite {spec.name}, item {item.id}" for spec, chosen in selected for item in chosen]
    completions = _kept_completions(answers_file, key)
    if completions and (problem := _answers_problem(completions, labels, params.num_samples)):
        # a line edited by hand is skipped: judging the rest would score fewer items than were asked
        log.warning(
            "%s holds an incomplete set of answers (%s): generating them all again", answers_file, problem
        )
        completions = []
    kept_answers = len(completions)
    kept_tokens, kept_generation_s = (
        _kept_cost(answers_file, key) if completions and answers_file is not None else (0, None)
    )
    if completions:
        log.warning(
            "%d answers taken from %s, which an earlier eval of the same model, settings and prompts wrote before "
            "it stopped: judging them without generating again (delete the file to generate them anew)",
            len(completions),
            answers_file,
        )
    else:
        if (
            engine := _engine(generator)
        ) is not None:  # a prompt past the context window fails now, not mid-run
            check_prompts(
                engine,
                [
                    (f"suite {spec.name}, item {item.id}", item.prompt)
                    for spec, chosen in selected
                    for item in chosen
                ],
                params.max_new_tokens,
                max_new_tokens_setting,
            )
        completions = generator.generate(prompts, params, show_progress=show_progress)
        if not isinstance(completions, (list, tuple)):
            raise SafealignError(
                f"{type(generator).__name__}.generate returned {repr(completions)[:80]} (a "
                f"{type(completions).__name__}), not a list of Completion, one per prompt and sample "
                f"({len(prompts)} prompts x {params.num_samples} sample(s))"
            )
        completions = list(completions)
        if problem := _answers_problem(completions, labels, params.num_samples):
            raise SafealignError(
                f"{type(generator).__name__} returned {len(completions)} answers for {len(prompts)} prompts x "
                f"{params.num_samples} sample(s): {problem}. Scored as they came back, the rates would miss items "
                "or count one twice without a word: a generator returns one Completion per prompt and sample, with "
                "prompt_index the prompt's place in the list and sample_index 0 to num_samples - 1"
            )
        if answers_file is not None:
            _keep_completions(answers_file, key, completions, time.perf_counter() - gen_start)
    generation_time = time.perf_counter() - gen_start
    # An endpoint's answers ended by its own content filter, or by a tool call, hold no text of the model's to judge:
    # they are scored as the text they have (an empty answer: evasive, not a refusal), and said so.
    unusual = Counter(
        reason for c in completions if (reason := c.meta.get("finish_reason")) not in (None, "stop", "length")
    )
    # a prompt the endpoint's filter refused with a 400 (Azure's content_filter) was never answered, not "ended":
    # EndpointGenerator says how many it refused
    ended = unusual - Counter({"content_filter": sum(1 for c in completions if c.meta.get("blocked"))})
    if ended:
        log.warning(
            "the endpoint ended %s answer(s) with finish_reason %s: they are scored as the text they hold (an "
            "empty one counts as evasive, not as a refusal); samples.jsonl has each one's under decoding.finish_reason",
            sum(ended.values()),
            ", ".join(f"{reason} ({count})" for reason, count in ended.most_common()),
        )

    by_prompt: dict[int, list[Completion]] = {}
    for completion in completions:
        by_prompt.setdefault(completion.prompt_index, []).append(completion)
    judge_time, results, samples, offset = 0.0, {}, [], 0
    for spec, chosen in selected:
        pairs = [(item, c) for k, item in enumerate(chosen) for c in by_prompt.get(offset + k, [])]
        offset += len(chosen)
        judge_start = time.perf_counter()
        verdicts, scores = _score(spec.kind, [i for i, _ in pairs], [c.text for _, c in pairs], judges)
        judge_time += time.perf_counter() - judge_start
        suite_samples = [
            {
                "suite": spec.name,
                "id": item.id,
                "split": item.split,
                "category": item.category,
                "language": item.language,
                "prompt": item.prompt,
                "completion": c.text,
                "reference": item.answer,
                "sample_index": c.sample_index,
                "completion_tokens": c.completion_tokens,
                "truncated": c.truncated,
                "verdicts": v,
                "scores": s,
            }
            | ({"decoding": c.meta} if c.meta else {})
            for (item, c), v, s in zip(pairs, verdicts, scores, strict=True)
        ]
        splits = [p for p in SPLIT_ORDER[:-1] if any(s["split"] == p for s in suite_samples)]
        per_split = {
            p: suite_metrics(spec.kind, [s for s in suite_samples if s["split"] == p]) for p in splits
        }
        per_split["all"] = suite_metrics(spec.kind, suite_samples)
        results[spec.name] = SuiteResult(spec.name, spec.kind, len(chosen), per_split, files.get(spec.name))
        samples.extend(suite_samples)

    report = EvalReport(
        suites=results,
        samples=samples,
        wall_time_s=time.perf_counter() - started,
        generation_time_s=generation_time,
        judge_time_s=judge_time,
        tokens_generated=sum(c.meta.get("tokens_spent", c.completion_tokens) for c in completions),
        prompt_tokens=sum(c.meta.get("prompt_tokens_spent", c.prompt_tokens) for c in completions),
        kept_tokens=kept_tokens,
        kept_generation_s=kept_generation_s,
        kept_answers=kept_answers,
        config=({"model": model} if model else {})
        | {
            "suites": [s.name for s in specs],
            "split": split,
            "limit": limit,
            "seed": seed,
            "params": vars(params).copy(),
            "judges": shown_judge_spec(judges.spec) if getattr(judges, "spec", None) else None,
            "system_prompt": getattr(generator, "system_prompt", None),
            "precision": getattr(generator, "precision", None),
        }
        | (
            {"refusal_vote": dataclasses.asdict(vote)}
            if (vote := getattr(generator, "vote", None)) is not None
            else {}
        )
        | ({"refusal_probe": routing} if (routing := getattr(generator, "routing", None)) is not None else {})
        | ({"finish_reasons": dict(unusual)} if unusual else {}),
    )
    if out_dir is not None:
        report.write(out_dir)
    if answers_file is not None:
        answers_file.unlink(missing_ok=True)  # samples.jsonl holds them all now
    return report


# An endpoint eval's answers as they arrive, a local model's once generated (before the judges run); removed once
# samples.jsonl holds them all.
ANSWERS_SO_FAR = "answers.partial.jsonl"


def drop_answers_older_than_the_model(kept: Path, model: str) -> None:
    """The answers a stopped eval kept are reused only for the model that gave them: a model folder or file written
    since (trained again, at the same path) makes them another model's, so they are removed and generated anew."""
    from safealign.errors import SafealignError
    from safealign.models.specs import resolve_spec

    try:
        path = resolve_spec(model).path
    except SafealignError:
        return
    if path is None or not kept.is_file():
        return
    files = [path] if path.is_file() else [file for file in path.rglob("*") if file.is_file()]
    # an eval written into the model's folder (--out MODEL/eval): the kept file is one of its files, as new as itself
    files = [file for file in files if file.resolve() != kept.resolve()]
    if any(file.stat().st_mtime >= kept.stat().st_mtime for file in files):
        kept.unlink()
        log.warning(
            "%s holds answers of an earlier eval, but %s was written since: generating the answers again",
            kept,
            path,
        )
