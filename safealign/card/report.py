"""report.html: one self-contained page (inline CSS and SVG plots, no scripts, no network).

Stage table, eval bars with 95% intervals, per-reward curves, safety and accuracy over RL steps
with gate events, alerts, data and judge quality, and the same prompts answered at every stage.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from safealign.card import plots
from safealign.card.model_card import failed_judges, judge_scores, judge_set_caveat, measured_kinds
from safealign.card.run_folder import RunFolder, templates, utc, wall_time, write_card_file
from safealign.card.summary import (
    alerts,
    differences_text,
    eval_rows,
    gate_events,
    overview,
    scored_differently,
    stage_details,
    stage_tokens,
    student_weights,
    undone_gate_rows,
)

SAMPLES_PER_SUITE = 3
MAX_CHARS = 600  # long completions are cut in the page; samples.jsonl has them whole


def verdict(sample: dict[str, Any]) -> list[tuple[str, str]]:
    """Short (text, tone) chips for a sample's judge verdicts and scores; tone is good, bad or neutral."""
    v, s, suite_kind = sample.get("verdicts", {}), sample.get("scores", {}), sample.get("kind", "")
    chips = []
    if "refusal" in v:
        label = v["refusal"]["label"]
        good = (label == "refusal") if suite_kind == "harmful" else (label == "compliance")
        chips.append((f"refusal judge: {label}", "good" if good else "bad"))
    if "harm" in v:
        chips.append(
            (f"harm judge: {v['harm']['label']}", "bad" if v["harm"]["label"] == "harmful" else "good")
        )
    if "correct" in s:
        chips.append(correct_chip(s["correct"]))
    if "format" in s:
        chips.append((f"format {s['format']:.2g}", "good" if s["format"] >= 1 else "neutral"))
    if "mixed" in s:
        chips.append(
            (
                "mixed language" if s["mixed"] else f"language share {s['language_share']:.0%}",
                "bad" if s["mixed"] else "good",
            )
        )
    return chips


def correct_chip(score: float) -> tuple[str, str]:
    """An answer check's score as a chip, good where the accuracy metric counts it correct
    (:func:`~safealign.evals.metrics.fully_correct`): a checker's 0.9999999999 read "correct 1" in red though it
    counted as correct, and reasoning-gym's partial credit of 0.996 read "correct 1" though it counted as wrong (its
    digits as many as keep it from reading 1)."""
    from safealign.evals.metrics import fully_correct

    if fully_correct(score):
        return "correct 1", "good"
    digits = 2
    while float(f"{score:.{digits}g}") >= 1 and digits < 12:
        digits += 1
    return f"correct {score:.{digits}g}", "bad"


def alert_example(example: Any) -> dict[str, Any]:
    """An alert's example completion as the report shows it: the prompt, the completion and each reward it got, as
    the detector stored them (``evidence.examples`` in audit.json or alerts.json). The completion alone proves
    nothing: "The answer is 842." shows format without accuracy only beside "Compute 767 + 733." and accuracy 0.
    Older alerts stored the completion alone, as a string; anything else is a damaged file (the card names it)."""
    if isinstance(example, str):
        return {"prompt": "", "completion": _cut(example), "rewards": [], "about": ""}
    if not isinstance(example, dict):
        raise TypeError(
            f"an alert's example is {type(example).__name__}: a completion or an object was expected"
        )
    rewards = example.get("rewards") if isinstance(example.get("rewards"), dict) else {}
    about = [
        f"step {example['step']}" if example.get("step") is not None else "",
        str(example.get("kind") or ""),
    ]
    if example.get("safety_label"):
        about.append(f"safety judge: {example['safety_label']}")
    return {
        "prompt": _cut(str(example.get("prompt") or "")),
        "completion": _cut(str(example.get("completion", ""))),
        "rewards": [(name, reward_text(value)) for name, value in rewards.items()],
        "about": " · ".join(part for part in about if part),
    }


def reward_text(value: Any) -> str:
    """0.0, 1.0, 0.977 as stored (rounded); n/a where the reward does not apply (None: an arithmetic prompt's safety);
    anything else (a hand-edited "0.0", a custom reward's list) as it is, never a traceback."""
    if value is None:
        return "n/a"
    return str(round(value, 3)) if isinstance(value, int | float) else str(value)


def _cut(text: str) -> str:
    return text[:MAX_CHARS] + ("…" if len(text) > MAX_CHARS else "")


def sample_groups(run: RunFolder) -> list[dict[str, Any]]:
    """Per suite: the first few prompts, each with every eval stage's answer and verdicts."""
    by_label = {label: run.jsonl(f"eval/{label}/samples.jsonl") for label in run.evals}
    kinds = {
        suite: result.get("kind", "")
        for summary in run.evals.values()
        for suite, result in summary.get("suites", {}).items()
    }
    groups: dict[str, dict[str, Any]] = {}
    for label, samples in by_label.items():
        for sample in samples:
            if sample.get("sample_index", 0) != 0:
                continue
            suite = groups.setdefault(
                sample["suite"],
                {"suite": sample["suite"], "kind": kinds.get(sample["suite"], ""), "items": {}},
            )
            # by id and prompt: evals that read two versions of a user's suite file asked other prompts under one id
            key = (sample["id"], sample.get("prompt", ""))
            item = suite["items"].get(key)
            if item is None:
                if len(suite["items"]) >= SAMPLES_PER_SUITE:
                    continue
                item = suite["items"][key] = {
                    "id": sample["id"],
                    "prompt": sample.get("prompt", ""),
                    "split": sample.get("split"),
                    "category": sample.get("category"),
                    "reference": sample.get("reference"),
                    "answers": [],
                }
            text = sample.get("completion", "")
            item["answers"].append(
                {
                    "label": label,
                    "text": _cut(text),
                    "chips": verdict(sample | {"kind": kinds.get(sample["suite"], "")}),
                }
            )
    return [{**g, "items": list(g["items"].values())} for g in groups.values()]


def stage_table(run: RunFolder) -> list[dict[str, Any]]:
    rows = []
    for info in run.stages:
        record = info.record or {}
        metrics = record.get("metrics", {})
        issue = (
            run.eval_issues.get(info.label, "")
            if info.key.startswith("eval:")
            else run.retrained.get(info.key) or run.left_out.get(info.key, "")
        )
        rows.append(
            {
                "key": info.key,
                "title": info.spec.title,
                "done": info.done,
                "reason": info.reason,
                "issue": issue,
                "wall_time_s": record.get("wall_time_s"),
                "wall_time": wall_time(record),
                "tokens": stage_tokens(info.key, info.record),
                "steps": metrics.get("steps"),
                "parent": run.rel(record.get("parent")),
                # a distillation student with weights of its own starts from them; the parent is its teacher
                "student": run.rel(student_weights(record)) if info.key == "distill" else "",
                "output": run.rel(record.get("output")),
                "finished": utc(record.get("finished_at")),
            }
        )
    return rows


def code_versions(run: RunFolder) -> list[dict[str, Any]]:
    """The code each finished stage ran: one entry per distinct (git commit, uncommitted changes, package versions),
    with the stages that ran it, in stage order. A run resumed after a commit or an upgrade has more than one."""
    groups: dict[tuple, dict[str, Any]] = {}
    for info in run.done:
        record = info.record or {}
        commit, dirty = record.get("git_commit"), bool(record.get("git_dirty"))
        versions = record.get("versions", {})
        group = groups.setdefault(
            (commit, dirty, tuple(sorted(versions.items()))),
            {"git_commit": commit, "git_dirty": dirty, "versions": versions, "stages": []},
        )
        group["stages"].append(info.key)
    return list(groups.values())


def inline_html(markdown: str) -> Any:
    """A Markdown paragraph with only bold and code spans (the judge set card's caveat) as HTML, the rest escaped."""
    from markupsafe import Markup

    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(markdown, quote=False), flags=re.S)
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", text))


def report_context(run: RunFolder, data: dict[str, Any], quality: dict[str, Any]) -> dict[str, Any]:
    rows = eval_rows(run)
    labels = list(run.evals)
    rl_metrics = run.jsonl("rl/metrics.jsonl")
    gates = gate_events(run)
    summary = overview(run)
    return {
        "run": run,
        "overview": summary,
        # the suite kinds the final model's eval scored: a safety side it did not score is said, as the model card says it
        "measured": measured_kinds(run, summary["final_eval"]),
        # the eval settings that differ between the evals shown (a kept eval, another version of a suite file)
        "scored_differently": differences_text(scored_differently(run)),
        "stage_rows": stage_table(run),
        "details": stage_details(run),
        "missing": run.missing,
        "rows": rows,
        "labels": labels,
        "alerts": alerts(run),
        "alert_example": alert_example,
        "gates": gates,
        "undone_gates": undone_gate_rows(run),
        "has_rl": run.rl_ran,
        "run_gates_on": run.rl_gates_on,
        "rl_done": run.stage("rl").done,
        "data": data,
        "quality": quality,
        # the model card's caveat on the judge numbers: a reader of the report alone sees them too
        "judge_caveat": inline_html(judge_set_caveat(quality)),
        "judge_failure": failed_judges(run, quality),
        "judge_scores": judge_scores(quality),
        # the error on one line: a traceback's lines broke the paragraph
        "judge_error": " ".join(str(quality.get("error") or "unknown error").split()),
        "samples": sample_groups(run),
        "plots": {
            "evals": plots.eval_bars(rows, labels),
            "rewards": plots.reward_curves(rl_metrics),
            "gates": plots.gate_timeline(gates, rl_metrics) if run.rl_ran else None,
            "loss": plots.loss_curves(
                {k: run.jsonl(f"{k}/metrics.jsonl") for k in ("sft", "distill") if run.stage(k).done}
            ),
        },
        "code_versions": code_versions(run),
        # the records' own time, not the clock's: a rebuild of the same run folder gives the same page
        "as_of": utc(run.records_as_of),
    }


def write_report(
    run: RunFolder,
    data: dict[str, Any],
    quality: dict[str, Any],
    path: Path | None = None,
    text: str | None = None,
) -> Path:
    """Render report.html into the run folder (``text``: as :func:`render_report` rendered it already)."""
    path = path or run.path / "report.html"
    write_card_file(path, render_report(run, data, quality) if text is None else text)
    return path


def render_report(run: RunFolder, data: dict[str, Any], quality: dict[str, Any]) -> str:
    """report.html's text (see :func:`write_report`)."""
    return templates(html=True).get_template("report.html.j2").render(**report_context(run, data, quality))
