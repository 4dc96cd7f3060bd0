"""README.md of a finished training stage's folder (``sft/``, ``rl/``, ``distill/``).

TRL's trainers write a draft Hub card into their output folder on every save. Ours are stage folders, not
Hub repositories, so that draft names the base model and the quick-start model as ``None`` (our models are
built from a config, and nothing is pushed). When the stage finishes it is replaced by this page: what
the folder holds, which model it started from, the stage's own numbers, and how to use the model.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from safealign.card.run_folder import RunFolder, cell, code, md, number, pct, templates, wall_time
from safealign.machine_load import describe
from safealign.runs import read_jsonl

TITLES = {
    "sft": "Supervised fine-tuning (SFT)",
    "rl": "GRPO reinforcement learning",
    "distill": "Distillation",
}
WHAT = {
    "sft": "fine-tuned on its data mixture (`data_mixture.json` lists the files and their sha256)",
    "rl": "trained with GRPO on the recipe's task mixture and rewards; cross-validation gate events are in "
    "`gates.jsonl`, reward-hacking alerts in `alerts.json`, sampled rollouts in `rollouts.jsonl`",
    "distill": "trained on the teacher's accepted traces (and its logits, when they share a tokenizer)",
}
# An RL stage run with rl.gates.enabled: false wrote no gates.jsonl, and its 0 gate checks are no passed gates.
RL_GATES_OFF = (
    "trained with GRPO on the recipe's task mixture and rewards, with its cross-validation gates off "
    "(`rl.gates.enabled: false`: no gate evaluated the model during training, and there is no `gates.jsonl`); reward-hacking alerts are in "
    "`alerts.json`, sampled rollouts in `rollouts.jsonl`"
)
# The same, of a stage resumed with its gates off after a session that ran them: their checks up to its checkpoint are
# in gates.jsonl, and the steps after it no gate checked.
RL_GATES_OFF_ON_RESUME = (
    "trained with GRPO on the recipe's task mixture and rewards; it was resumed from {checkpoint} with its "
    "cross-validation gates off (`rl.gates.enabled: false`), so no gate evaluated the model after that checkpoint "
    "(`gates.jsonl` holds the checks of the sessions before it); reward-hacking alerts are in `alerts.json`, sampled "
    "rollouts in `rollouts.jsonl`"
)
# What a distillation trained on, by the mode it ran in (its metrics' ``mode``: ``both`` falls back to ``sequence``
# when the tokenizers differ), as the model card's method line says it: a ``sequence`` run never read the logits.
DISTILL_MODES = {
    "sequence": "distilled in mode sequence: cross-entropy on {data}; the teacher's logits were not used",
    "logit": "distilled in mode logit: trained to match the teacher's token distributions (its logits) on {data}, with "
    "no cross-entropy on their tokens",
    "both": "distilled in mode both: cross-entropy on {data}, mixed with the KL to the teacher's logits on them (by "
    "distill.alpha)",
}
# The stage metrics worth a row, in this order, with their labels and formats; stage.json keeps all of them.
SHOWN = (
    ("steps", "optimizer steps", number),
    ("tokens", "training tokens", number),
    ("tokens_per_s", "training tokens/s", number),
    ("first_loss", "first logged loss", number),
    ("last_loss", "last logged loss", number),
    ("train_loss", "mean training loss", number),
    ("method", "method", str),
    ("precision", "precision", str),
    ("mode", "distillation mode", str),
    ("gate_events", "gate checks", number),
    ("rollbacks", "gate rollbacks", number),
    ("alerts", "reward-hacking alerts", number),
    ("prompts_screened", "reasoning prompts screened (difficulty filter)", number),
    ("prompts_in_band", "screened prompts in the pass-rate band", number),
    ("screening_s", "screening seconds", number),
    ("teacher_parameters", "teacher parameters", number),
    ("student_parameters", "student parameters", number),
    ("parameter_ratio", "student / teacher parameters", pct),
    ("student_vocab_size", "student vocabulary (tokens; distill.vocab_keep)", number),
    ("teacher_tokens_per_s", "teacher generation tokens/s (fp32, best round)", number),
    ("student_tokens_per_s", "student generation tokens/s (same prompts, engine, batch)", number),
    ("generation_speedup", "student / teacher generation speed", lambda x: f"{x:.2f}x"),
)
MODEL_STAGES = tuple(TITLES)
# What an RL stage's token counts are: its rollouts (prompts and completions of every step run), not tokens trained on
RL_LABELS = {
    "training tokens": "rollout tokens (prompts and completions of every step run, rolled-back ones too)",
    "training tokens/s": "rollout tokens/s",
}


def stage_readme(
    record: dict[str, Any],
    gates: list[dict[str, Any]] | None = None,
    unjudged: list[dict[str, Any]] | None = None,
) -> str:
    """The page for one ``stage.json`` record of a training stage; ``gates``: the rows of its ``gates.jsonl`` (RL);
    ``unjudged``: the notes of the reward-hacking detectors that could not judge (RL, :func:`unjudged_detectors`)."""
    from safealign.card.summary import ended_on_rollback, rolled_back_at_end

    metrics = record.get("metrics", {})
    ended_on = ended_on_rollback(gates or [], metrics.get("steps"))
    gates_off = record.get("stage") == "rl" and not rl_gates_enabled(record)
    # resumed with the gates off: the checks of the sessions before are in gates.jsonl
    off = "off (`rl.gates.enabled: false`)" + (
        f"; {len(gates)} in `gates.jsonl` from before the resume" if gates_off and gates else ""
    )
    rows = [
        (label, off if gates_off and key == "gate_events" else shown(metrics[key]))
        for key, label, shown in SHOWN
        if metrics.get(key) is not None and not (gates_off and key == "rollbacks")
    ]
    if (
        record.get("stage") == "rl"
    ):  # TRL's num_tokens: every rollout's prompt and completion, rolled-back steps too
        rows = [(RL_LABELS.get(label, label), value) for label, value in rows]
    if unjudged:  # beside the alert count: "0 alerts" of a detector that never judged is no evidence
        after = next(
            (i + 1 for i, (label, _) in enumerate(rows) if label == "reward-hacking alerts"), len(rows)
        )
        rows.insert(
            after,
            ("detectors that could not judge (their silence is no evidence)", could_not_judge(unjudged)),
        )
    # beside the method: what model/ is, and what the adapter/ beside it is
    # distill records its method in its config only
    if (metrics.get("method") or (record.get("config") or {}).get("method")) == "lora":
        after = next((i + 1 for i, (label, _) in enumerate(rows) if label == "method"), len(rows))
        rows.insert(after, ("`adapter/`", lora_adapter(record)))
    if load := describe(record.get("machine_load")):
        rows.append(("CPU time that was not this stage's", load))
    if record.get("git_commit") and record.get("git_dirty") is not None:  # older records lack it
        rows.append(("uncommitted changes to `safealign/`", uncommitted(record)))
    env = templates()
    env.filters["shell"] = (
        shlex.quote
    )  # the commands it shows: a path with a space or a quote stays one argument
    return env.get_template("stage_readme.md.j2").render(
        record=record,
        title=TITLES[record["stage"]],
        what=stage_what(record, gates),
        rows=rows,
        model=record["output"],
        wall_time=wall_time(record),
        # the model is an earlier step's: the last gate check rolled back and training ended
        rolled_back=rolled_back_at_end(ended_on, "`model/`") if ended_on else "",
    )


def stage_what(record: dict[str, Any], gates: list[dict[str, Any]] | None = None) -> str:
    """What the stage trained its model on: SFT's mixture, distillation's by its mode, RL's general sentence (``gates``:
    the RL stage's gate checks, which one resumed with its gates off has from before)."""
    if record["stage"] == "sft":
        return sft_mixture(record)
    if record["stage"] == "distill":
        mode = DISTILL_MODES.get((record.get("metrics") or {}).get("mode"))
        transfer = len(((record.get("inputs") or {}).get("traces") or {}).get("sources") or []) > 1
        data = "the teacher's accepted traces" + (
            " and distill.transfer_data's rows (`data_mixture.json` lists the files)" if transfer else ""
        )
        return mode.format(data=data) if mode else WHAT["distill"]
    if record["stage"] == "rl" and not rl_gates_enabled(record):
        resumed = (record.get("inputs") or {}).get("resumed_from")
        if gates and resumed:
            return RL_GATES_OFF_ON_RESUME.format(checkpoint=code(Path(str(resumed)).name, table=False))
        return RL_GATES_OFF
    return WHAT[record["stage"]]


def rl_gates_enabled(record: dict[str, Any]) -> bool:
    """Whether an RL stage ran its cross-validation gates (its recorded ``config.gates.enabled``; on when unrecorded)."""
    config = record.get("config")
    gates = config.get("gates") if isinstance(config, dict) else None
    return bool(gates.get("enabled", True)) if isinstance(gates, dict) else True


def sft_mixture(record: dict[str, Any]) -> str:
    """What the SFT stage trained on, from the mixture its ``stage.json`` records: each file with its rows, and the
    rows by kind. A record without it (older than that field) gets the general sentence."""
    data = record.get("inputs", {}).get("data") or {}
    if not data.get("sources"):
        return WHAT["sft"]
    files = ", ".join(
        f"{code(source['name'], table=False)}: {number(source['rows_used'])}" for source in data["sources"]
    )
    kinds = ", ".join(
        f"{number(count)} {'with no kind' if kind == 'unknown' else md(kind)}"
        for kind, count in sorted(data.get("by_kind", {}).items(), key=lambda item: -item[1])
    )
    return (
        f"fine-tuned on {number(data['rows'])} rows ({files}; by kind: {kinds}; `data_mixture.json` lists the files "
        "and their sha256)"
    )


def lora_adapter(record: dict[str, Any]) -> str:
    """The table cell of a LoRA stage: `model/` is the adapter merged into the parent; `adapter/` beside it is the
    adapter alone, and how to put it on the parent with peft. Its adapter_config.json names the parent as
    :func:`safealign.training.common.absolute_adapter_base` left it. Distillation's adapter is on its student, not on
    the teacher (its parent); a ``prune:`` student's has no base on disk, so distill writes none."""
    student = str((record.get("config") or {}).get("student"))
    if record["stage"] == "distill" and student.startswith("prune:"):
        return (
            "none: the LoRA adapter is merged into `model/` only. Its base, the pruned student, was built in memory "
            "from the teacher and no folder holds it; an adapter saved alone would name the teacher as its base"
        )
    parent, role = (
        (student, "student") if record["stage"] == "distill" else (str(record.get("parent")), "parent")
    )
    adapter = str(Path(record["output"]).parent / "adapter")
    if parent == "tiny" or parent.startswith(("tiny:", "embedded:")):
        base = f"load_model({parent!r}).model"
        load = "from safealign.models import load_model; "
        named = (
            "the folder safealign converted it into"
            if parent.startswith("embedded:")
            else "that safealign spec: it is built in memory, and no folder holds it"
        )
    else:
        base, load = f"AutoModelForCausalLM.from_pretrained({parent!r})", ""
        named = "its absolute path at training time"
    return (
        f"the LoRA adapter alone; `model/` is this adapter merged into the {role} {code(parent)}. To put it on the "
        f"{role} yourself: {code(f'{load}PeftModel.from_pretrained({base}, {adapter!r})')} (its "
        f"`adapter_config.json` names the {role} by {named})"
    )


def could_not_judge(unjudged: list[dict[str, Any]]) -> str:
    """The table cell naming each detector that could not judge and why, as the model card names them."""
    named = "; ".join(
        f"**{md(note.get('detector'))}** ({cell(note['message'])})"
        if note.get("message")
        else f"**{md(note.get('detector'))}**"
        for note in unjudged
    )
    return f"{len(unjudged)}: {named}"


class _StageFolder(RunFolder):
    """An RL stage folder read as a run folder's ``rl/`` (the stage may run in any folder: `safealign rl --out`), so
    that :func:`safealign.card.summary.alerts` reads its alert files as it does for the model card."""

    def json(self, relative: str, default: Any = None) -> Any:
        return super().json(relative.removeprefix("rl/"), default)

    def jsonl(self, relative: str) -> list[dict[str, Any]]:
        return super().jsonl(relative.removeprefix("rl/"))


def unjudged_detectors(stage_dir: Path) -> list[dict[str, Any]]:
    """The notes of the RL stage's detectors that could not judge (too few logged steps, nothing logged), picked as the
    model card picks them: a detector that also raised an alert, or judged part of its data, is not one."""
    from safealign.card.summary import alerts

    found = alerts(_StageFolder(stage_dir, recipe={}, pipeline={}))
    return [a for a in found if a.get("severity") == "info" and not a.get("judged_in_part")]


def uncommitted(record: dict[str, Any]) -> str:
    """Whether the code a stage ran was its recorded commit's (``git_dirty`` in ``stage.json``)."""
    if record.get("git_dirty"):
        return (
            f"**yes**: the code that ran is commit `{record['git_commit'][:12]}` with changes no commit holds"
        )
    return "none: the code that ran is the commit below"


def write_stage_readme(stage_dir: Path, record: dict[str, Any]) -> None:
    """Replace the trainer's draft card in ``stage_dir`` with :func:`stage_readme`; other stages are left alone."""
    if record.get("stage") in MODEL_STAGES:
        stage_dir.mkdir(parents=True, exist_ok=True)
        from safealign.card.summary import gate_history

        gates = gate_history(read_jsonl(stage_dir / "gates.jsonl"), record)
        unjudged = unjudged_detectors(stage_dir) if record["stage"] == "rl" else []
        (stage_dir / "README.md").write_text(stage_readme(record, gates, unjudged), encoding="utf-8")
