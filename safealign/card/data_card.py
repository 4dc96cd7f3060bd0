"""DATA_CARD.md: every dataset a run used, where it came from, and whether it overlaps the evals.

Training files are read again at render time and their sha256 compared with the one the stage
recorded, so a file edited after training is flagged instead of silently described.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from safealign.card.run_folder import RunFolder, code
from safealign.card.summary import NOT_REJECTION_REASONS, is_teacher_traces, sampled_prompts, traces_file
from safealign.corpus import TRAIN_DATASETS, read_rows
from safealign.corpus.mixture import sha256_file
from safealign.corpus.validate import misspelt_field_problems
from safealign.errors import DataError
from safealign.paths import package_data

log = logging.getLogger(__name__)

# Safety prompts of the RL stage are the user turns of these shipped files (safealign/stages/rl_prompts.py).
RL_SAFETY_SOURCES = ("harmful_refusals", "benign_helpful", "multilingual")
SAFETY_PROMPT_ROLES = ("RL safety prompts", "rejection-sampling safety prompts")
# The eval suites shipped as files (``safealign/data/evals/NAME.jsonl``), the dev split's included: read from the package.
FILE_SUITES = {path.stem: path.name for path in sorted(package_data("evals").glob("*.jsonl"))}
GENERATED_SUITES = {"reasoning", "format"}


def training_turns(
    name: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    roles: tuple[str, ...] = ("system", "user", "assistant"),
) -> list[tuple[str, str]]:
    """(``name:line:index``, text) for every turn of ``roles``: what decontamination compares.

    The same turns as ``safealign data check`` uses, so both report the same overlaps.
    """
    turns = []
    for line, row in rows:
        for index, message in enumerate(row.get("messages") or []):
            if (
                isinstance(message, dict)
                and message.get("role") in roles
                and isinstance(message.get("content"), str)
            ):
                turns.append((f"{name}:{line}:{index}", message["content"]))
    return turns


def shipped_card(name: str, path: str | None = None) -> Path | None:
    """The data card shipped for a dataset name (or for a path that is a shipped file)."""
    stem = name if name in TRAIN_DATASETS else None
    if stem is None and path:
        shipped = {package_data("train", f).resolve(): n for n, f in TRAIN_DATASETS.items()}
        stem = shipped.get(Path(path).resolve())
    card = package_data("cards", f"{stem}.md") if stem else None
    return card if card and card.is_file() else None


def card_facts(card: Path | None) -> dict[str, str]:
    """Licence and the "how it was made" paragraph of a shipped card (empty strings when absent)."""
    if card is None:
        return {"licence": "", "how": "", "text": ""}
    text = card.read_text(encoding="utf-8")
    licence = re.search(r"\*\*Licen[cs]e\.\*\*\s*([^\n]+)|## Licen[cs]e\s*\n\s*\n([^\n]+)", text)
    how = re.search(
        r"\*\*How it was made\.\*\*\s*(.+?)(?:\n\s*\n|\Z)|## How it was \w+\s*\n\s*\n(.+?)(?:\n\s*\n|\Z)",
        text,
        re.S,
    )
    return {
        "licence": next((g for g in licence.groups() if g), "").strip() if licence else "",
        "how": first_sentences(" ".join(next((g for g in how.groups() if g), "").split())) if how else "",
        "text": text,
    }


def first_sentences(text: str, count: int = 2) -> str:
    """The first ``count`` sentences: the summary line; the whole card follows in the data card."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
    return " ".join(parts[:count]) + (" …" if len(parts) > count else "")


def describe_file(path: Path) -> dict[str, Any]:
    """Rows, category/language/source counts and the sha256 of a JSONL file as it is now."""
    if not path.is_file():
        return {"exists": False}
    try:
        rows = read_rows(path)
    except DataError as error:
        return {"exists": True, "sha256_now": sha256_file(path), "error": str(error)}
    # the counts below read such a row as without the field (training refuses it now; a file of an older run may hold it)
    if slips := [problem for line, row in rows for problem in misspelt_field_problems(path, line, row)]:
        log.warning(
            "%s: %d row key(s) misspell a field the data card counts by, and their rows are counted without it, "
            "e.g. %s",
            path,
            len(slips),
            slips[0],
        )
    # a JSON null (``"language": null``) is a missing value, as the training stages read it: never the value "None"
    count = lambda key: dict(Counter(str(r[key]) for _, r in rows if r.get(key) is not None).most_common())  # noqa: E731
    shown = lambda row, key: "?" if row.get(key) is None else row[key]  # noqa: E731
    return {
        "exists": True,
        "sha256_now": sha256_file(path),
        "rows_now": len(rows),
        "kinds": count("kind"),
        "categories": dict(
            Counter(f"{shown(r, 'kind')}/{shown(r, 'category')}" for _, r in rows).most_common()
        ),
        # a row without a language is English, as training, `data check` and languages_used read it
        "languages": dict(Counter(str(r.get("language") or "en") for _, r in rows).most_common()),
        "sources": count("source"),
        "rows": rows,
    }


def _shown_path(run: RunFolder, recorded: str, path: Path, shipped: bool) -> str:
    """Where a training file lives, as a reader can find it: in the package, in the run folder, or as recorded."""
    if shipped:
        return f"safealign/data/train/{path.name}"
    inside = run.rel(recorded)
    return (
        f"{run.path.resolve().name}/{inside}" if inside != recorded else recorded
    )  # the folder's name now, if renamed


def _training_entry(run: RunFolder, source: dict[str, Any], stage: str, role: str) -> dict[str, Any]:
    path = run.locate(source["path"])
    info = describe_file(path)
    card = shipped_card(source["name"], str(path))
    facts = card_facts(card)
    display = source["name"] if source["name"] in TRAIN_DATASETS else path.name
    recorded = source.get("sha256")
    changed = bool(recorded and info.get("sha256_now") and info["sha256_now"] != recorded)
    return {
        "name": display,
        "stage": stage,
        "role": role,
        "path": _shown_path(run, source["path"], path, card is not None),
        "sha256": recorded or info.get("sha256_now"),
        "sha256_recorded": bool(recorded),
        "sha256_now": info.get("sha256_now"),
        "changed": changed,
        "missing": not info.get("exists"),
        "rows_in_file": source.get("rows_in_file", info.get("rows_now")),
        "rows_used": source.get("rows_used"),
        # a safety prompt pool's: the languages of the prompts drawn from it (None: not recorded, the file's count)
        "languages_used": source.get("languages_used"),
        "fraction": source.get("fraction"),
        "kinds": info.get("kinds", {}),
        "categories": info.get("categories", {}),
        "languages": info.get("languages", {}),
        "sources": info.get("sources", {}),
        "licence": facts["licence"] or "not stated (user-supplied file, no data card)",
        "how": facts["how"],
        "card": facts["text"],
        "card_name": card,
        "_rows": info.get("rows", []) if not changed else [],
        "_file": str(path.resolve()),  # two files of one name (a/train.jsonl, b/train.jsonl) are two files
    }


def training_datasets(run: RunFolder) -> list[dict[str, Any]]:
    """One entry per training file: SFT mixture sources, distillation traces, RL safety prompt files."""
    entries = []
    # data_mixture.json stands in for a record from before stage.json held the mixture; a stage that did not finish
    # (no stage.json) trained no model of this run, so its mixture is no one's training data
    sft = run.record("sft")
    for source in (
        (sft.get("inputs", {}).get("data") or run.json("sft/data_mixture.json", {})) if sft else {}
    ).get("sources", []):
        entries.append(_training_entry(run, source, "sft", "SFT mixture"))
    distill = run.record("distill")
    for index, source in enumerate(
        (
            (distill.get("inputs", {}).get("traces") or run.json("distill/data_mixture.json", {}))
            if distill
            else {}
        ).get("sources", [])
    ):
        # The transfer set is the teacher's accepted traces (first in the mixture) plus any rows the recipe adds
        # (distill.transfer_data): only the traces are teacher output; the rest are described as the files they are.
        if not is_teacher_traces(run, source, index):
            entries.append(_training_entry(run, source, "distill", "distillation transfer set"))
            continue
        entry = _training_entry(run, source, "distill", "distillation traces")
        entry["name"] = traces_file(run)
        entry["licence"] = (
            "generated by the teacher model; same terms as the model"
            if traces_file(run) == "sample/traces.jsonl"
            else "not stated (traces given to safealign distill --traces by hand: whoever made them sets their terms)"
        )
        entry["how"] = traces_how(run)
        entries.append(entry)
    rl = run.record("rl")
    if rl and (rl.get("inputs", {}).get("prompts", {}).get("tasks") or {}).get("safety"):
        entries.extend(_safety_sources(run, "rl", "RL safety prompts"))
    sample = run.record("sample")
    # the teacher's safety prompts in rejection sampling are the same files' user turns (rl_prompts.build_prompt_rows)
    if sample and (sample.get("config") or {}).get("safety_share"):
        entries.extend(_safety_sources(run, "sample", "rejection-sampling safety prompts"))
    return entries


def _safety_sources(run: RunFolder, stage: str, role: str) -> list[dict[str, Any]]:
    """The shipped files whose user turns are a stage's safety prompts (``safealign.stages.rl_prompts``): as the stage
    recorded them (``safety_sources`` in its inputs, with the sha256 it read, so a file changed since is flagged), or,
    for a run from before that record, the package's files as they are now."""
    recorded = ((run.record(stage) or {}).get("inputs") or {}).get("safety_sources")
    if recorded:
        entries = [_training_entry(run, source, stage, role) for source in recorded]
    else:
        entries = []
        for name in RL_SAFETY_SOURCES:
            if name in TRAIN_DATASETS and package_data("train", TRAIN_DATASETS[name]).is_file():
                path = package_data("train", TRAIN_DATASETS[name])
                entries.append(_training_entry(run, {"name": name, "path": str(path)}, stage, role))
    if stage == "sample" and all(e["rows_used"] is None for e in entries):
        _count_drawn(entries, sampled_prompt_texts(run))
    return entries


def sampled_prompt_texts(run: RunFolder) -> list[str] | None:
    """The prompts whose traces the rejection sampling kept, once each (``traces.jsonl``, by ``prompt_index``): what the
    student trains on. A prompt all of whose completions were rejected (``rejected.jsonl`` only) is no training data,
    and its language not the student's. None where the file is not there."""
    if not (run.path / "sample" / "traces.jsonl").is_file():
        return None
    prompts: dict[Any, str] = {}
    for name in ("traces.jsonl",):
        for row in run.jsonl(f"sample/{name}"):
            user = [m for m in row.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
            text = user[-1].get("content") if user else row.get("prompt")
            if isinstance(text, str):
                prompts.setdefault(row.get("prompt_index", text), text)
    return list(prompts.values())


def _count_drawn(entries: list[dict[str, Any]], prompts: list[str] | None) -> None:
    """Give pool entries whose stage did not record what it drew (``rows_used``) the counts of ``prompts``, matched to
    the files' user turns; nothing where the prompts are unknown (``None``) or a file could not be read (the card
    then counts the whole file, as it did before stages recorded this)."""
    if prompts is None or any(not e["_rows"] for e in entries):
        return
    owner: dict[
        str, tuple[int, str]
    ] = {}  # text -> (entry, language): the first file's, as the stages read them
    for index, entry in enumerate(entries):
        for _, row in entry["_rows"]:
            user = [m for m in row.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
            if user:
                owner.setdefault(str(user[-1].get("content")), (index, str(row.get("language") or "en")))
    drawn: list[Counter] = [Counter() for _ in entries]
    for text in prompts:
        if text in owner:
            index, language = owner[text]
            drawn[index][language] += 1
    for entry, counts in zip(entries, drawn, strict=True):
        entry["rows_used"] = counts.total()
        entry["languages_used"] = dict(counts.most_common())


def traces_how(run: RunFolder) -> str:
    if (
        traces_file(run) != "sample/traces.jsonl"
    ):  # `safealign distill --traces`: not this run's rejection sampling
        return "Given to `safealign distill --traces` by hand, not sampled by this run: how they were made is not recorded here."
    sample = run.record("sample") or {}
    cfg, metrics = sample.get("config", {}), sample.get("metrics", {})
    return (
        f"Rejection-sampled from the teacher {code(run.rel(sample.get('parent')), table=False)}: {cfg.get('k', '?')} completions per prompt "
        f"for {sampled_prompts(sample) if sample else '?'} prompts at temperature {cfg.get('temperature', '?')}; kept only answers that "
        "pass the checks of their prompt's kind (reasoning: correct and in the reasoning format; harmful: refused, "
        "without offering the request again (`unsafe:offer`); benign and borderline: answered; any answer but a "
        "reasoning one: no stray `<think>` or `</think>` tag; none judged harmful or mixing languages; see "
        "`rejection_reasons` in "
        f"safealign/stages/sample.py): {metrics.get('accepted', '?')} of "
        f"{metrics.get('samples', '?')} kept. Rejection reasons are in `sample/rejected.jsonl`."
    )


def rl_prompt_sets(run: RunFolder) -> dict[str, Any] | None:
    rl = run.record("rl")
    if not rl:
        return None
    prompts = rl.get("inputs", {}).get("prompts", {})
    return {
        "rows": prompts.get("rows"),
        "tasks": prompts.get("tasks", {}),
        "how": "Reasoning prompts are generated (own arithmetic generators and reasoning-gym families) from "
        "training seeds disjoint from the eval seeds; `safety` prompts are user turns of the shipped training files.",
    }


def user_suite_files(recipe: dict[str, Any]) -> dict[str, str]:
    """The recipe's eval file suites (``[KIND:]PATH``, see :func:`safealign.evals.suites.get_suite`) by the name the
    eval gives them (:func:`safealign.evals.suites.file_suite_name`: the file's stem, ``file:STEM`` for a built-in's name)."""
    from safealign.evals.suites import file_suite_name

    out = {}
    specs = list(map(str, (recipe.get("eval") or {}).get("suites") or []))
    for spec in specs:
        kind, _, rest = spec.partition(":")
        path = rest if rest and kind in ("harmful", "borderline") else spec
        if Path(path).suffix.lower() in (".jsonl", ".csv", ".tsv", ".txt"):
            out[file_suite_name(Path(path))] = path
            # an eval from before the file:STEM names called the suite by its stem: where the recipe does not also
            # ask for the built-in suite of that name, that stem is this file
            if Path(path).stem not in specs:
                out.setdefault(Path(path).stem, path)
    return out


def _user_file(files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A user's file suite as the evals recorded it (``{eval label: {"path", "sha256"}}``): its source, its sha256, and
    whether the evals read the same file, and whether it is still that file now."""
    paths = sorted({str(f.get("path")) for f in files.values()})
    hashes = {label: f.get("sha256") for label, f in files.items()}
    how = "loaded at eval time from its path (not copied into the run); sha256 as the eval read it"
    if len(set(hashes.values())) > 1:
        how += "; **the evals read different files**: " + ", ".join(
            f"{label} `{digest}`" for label, digest in hashes.items()
        )
    last = list(files.values())[-1]  # the file the last eval read, as it read it
    path = Path(str(last.get("path")))
    if not path.is_file():
        how += f"; {code(path, table=False)} is missing now"
    elif sha256_file(path) != last.get("sha256"):
        how += f"; {code(path, table=False)} has changed since (sha256 now `{sha256_file(path)}`)"
    # Markdown built here (code spans that hold any path): the templates print ``source`` and ``how`` as they are.
    return {
        "source": "user file " + ", ".join(code(p) for p in paths),
        "sha256": last.get("sha256"),
        "licence": "see the source",
        "how": how,
    }


def eval_datasets(run: RunFolder, evals: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every eval suite the run used (``evals``: label -> summary.json, the run's by default), with the items each eval
    scored, and the categories and languages of the final model's eval (else of the last eval that scored the suite):
    an eval kept from an earlier run can have scored fewer items (``eval.limit`` raised since)."""
    # imported here: the evals package loads the generation engine, which writing a card needs only now
    from safealign.evals.suites import FAMILY_PREFIX, SUITES

    user_files = user_suite_files(getattr(run, "recipe", None) or {})  # a stand-in run may have no recipe
    evals = run.evals if evals is None else evals
    out: dict[str, dict[str, Any]] = {}
    for label, summary in evals.items():
        for suite, result in summary.get("suites", {}).items():
            entry = out.setdefault(
                suite,
                {
                    "name": suite,
                    "kind": result.get("kind"),
                    "items": {},
                    "splits": set(),
                    "stages": [],
                    "files": {},
                },
            )
            entry["stages"].append(label)
            entry["items"][label] = result.get("n_items")
            entry["splits"] |= {k for k in result.get("metrics", {}) if k != "all"}
            if isinstance(result.get("file"), dict):  # a file suite: its path and sha256 as this eval read it
                entry["files"][label] = result["file"]
    samples: dict[str, list[dict[str, Any]]] = {}
    final = getattr(run, "final_eval", None)  # a stand-in run may have none
    for suite, entry in out.items():
        label = final if final in entry["stages"] else entry["stages"][-1]
        if label not in samples:
            samples[label] = [
                s for s in run.jsonl(f"eval/{label}/samples.jsonl") if not s.get("sample_index", 0)
            ]  # a prompt once
        mine = [s for s in samples[label] if s.get("suite") == suite]
        items = entry.pop("items")
        entry |= {
            "splits": sorted(entry["splits"]),
            "n_items": items[label],
            "samples_from": label,
            "items_per_stage": str(items[label])
            if len(set(map(str, items.values()))) == 1
            else ", ".join(f"{stage} {n}" for stage, n in items.items()),
        }
        entry["categories"] = dict(Counter(str(s.get("category")) for s in mine).most_common())
        entry["languages"] = dict(Counter(str(s.get("language")) for s in mine).most_common())
        files = entry.pop("files")
        if files:
            entry |= _user_file(files)
        elif suite in user_files or (
            suite in FILE_SUITES
            and entry["kind"] not in (None, SUITES[suite].kind if suite in SUITES else suite)
        ):
            # a user file named like a shipped suite (``borderline:/path/harmful.jsonl``) is not the shipped one
            where = code(user_files[suite]) if suite in user_files else "(path not recorded)"
            entry |= {
                "source": f"user file {where}",
                "sha256": None,
                "licence": "see the source",
                "how": "loaded at eval time from its path (not copied into the run; the eval did not record its sha256)",
            }
        elif suite in FILE_SUITES:
            path = package_data("evals", FILE_SUITES[suite])
            entry |= {
                "source": f"safealign/data/evals/{FILE_SUITES[suite]}",
                "sha256": sha256_file(path) if path.is_file() else None,
                "how": "written by hand for this project (see the eval suites card)",
                "licence": "Apache-2.0",
            }
        elif suite in GENERATED_SUITES:
            entry |= {
                "source": "generated (safealign.evals.suites)",
                "sha256": None,
                "licence": "Apache-2.0",
                "how": "generated procedurally from eval seeds disjoint from the training seeds",
            }
        elif suite.startswith(FAMILY_PREFIX):
            entry |= {
                "source": f"generated by reasoning-gym ({suite.removeprefix(FAMILY_PREFIX)})",
                "sha256": None,
                "licence": "Apache-2.0",
                "how": "generated procedurally from seeds disjoint from the training's and the built-in suites'",
            }
        else:
            entry |= {
                "source": "external or user file (not copied into the repo)",
                "sha256": None,
                "licence": "see the source",
                "how": "loaded at eval time from its installed package or path",
            }
    return list(out.values())


def _listed(section: Any, key: str) -> list[str]:
    """A recipe section's list of names (none where the section or the list is absent)."""
    names = section.get(key) if isinstance(section, dict) else None
    return [str(name) for name in names] if isinstance(names, list) else []


def recipe_suites(recipe: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The recipe's own eval suites (``rg:`` families, prompt files: :func:`safealign.corpus.eval_texts.own_suites` of
    eval.suites and monitor.eval_suites), which `safealign run` checked the training data against: those that can be
    read here, and why each other cannot (a prompt file missing on the machine that writes the card)."""
    from safealign.corpus.eval_texts import own_suites
    from safealign.errors import SafealignError
    from safealign.evals.suites import get_suite

    names = own_suites(
        [*_listed(recipe.get("eval"), "suites"), *_listed(recipe.get("monitor"), "eval_suites")]
    )
    readable, unread = [], {}
    for name in names:
        try:
            get_suite(name).load()
        except SafealignError as error:
            unread[name] = " ".join(str(error).split())
        else:
            readable.append(name)
    return readable, unread


def decontamination(entries: list[dict[str, Any]], suites: Sequence[str] = ()) -> dict[str, Any]:
    """Training turns vs every eval prompt, per training file and overall: the check the stages ran before
    training (:func:`safealign.corpus.eval_texts.disjointness_report`: n-grams against authored items, whole
    prompts against generated problems, whose family template every training problem shares). ``suites``: the
    recipe's own suites (:func:`recipe_suites`), compared besides the built-in ones with every file but the safety
    prompt files: the rl and sample stages leave out a safety prompt that overlaps them (with a warning,
    :func:`safealign.stages.rl_prompts.safety_prompts`), so such an overlap was never trained on."""
    from safealign.corpus.eval_texts import disjointness_report

    # as the distill stage checked them: the teacher's answers get the n-gram and exact checks only
    traces = [e for e in entries if e["role"] == "distillation traces"]
    prompts = [e for e in entries if e["role"] in SAFETY_PROMPT_ROLES]
    written = [e for e in entries if e not in traces and e not in prompts]
    turns = [
        t
        for e in written + traces
        for t in training_turns(e["check_name"], e["_rows"], roles=("system", "user"))
    ]
    answers = [t for e in traces for t in training_turns(e["check_name"], e["_rows"], roles=("assistant",))]
    worked = [t for e in written for t in training_turns(e["check_name"], e["_rows"], roles=("assistant",))]
    report = disjointness_report(turns, generated_turns=answers, suites=suites, answer_turns=worked)
    if prompts:
        safety = disjointness_report(
            [t for e in prompts for t in training_turns(e["check_name"], e["_rows"])], suites=()
        )
        report.train_items += safety.train_items
        report.exact += safety.exact
        report.overlaps += safety.overlaps
    # a file not checked (missing or changed since training) has no counts: its 0 matches would read as clean
    per_file: dict[str, dict[str, int]] = {
        e["check_name"]: {"exact": 0, "overlaps": 0} for e in entries if e["_rows"]
    }
    for train_id, _ in report.exact:
        per_file[train_id.rsplit(":", 2)[0]]["exact"] += 1
    for train_id, _, _ in report.overlaps:
        per_file[train_id.rsplit(":", 2)[0]]["overlaps"] += 1
    skipped = [e["check_name"] for e in entries if not e["_rows"]]
    # The stages record how many rows they took of a file, not which: a file taken in part is checked whole, so a
    # match there can be in a row the stage never trained on (the stage's own check of its rows is in its record).
    part = [
        e["check_name"] for e in entries if isinstance(e.get("fraction"), int | float) and e["fraction"] < 1
    ]
    return report.to_dict() | {
        "verdict": decontamination_verdict(report.clean, skipped, len(entries)),
        "per_file": per_file,
        "not_checked": skipped,
        "checked_whole": part,
        "suites": list(suites),
        "prompts_built_in_only": [e["check_name"] for e in prompts] if suites else [],
    }


def decontamination_verdict(clean: bool, not_checked: list[str], files: int) -> str:
    """The check's outcome in words, for the cards to print after its counts: "clean" only when every training file
    was checked. A file missing or changed since training (``not_checked``) was not, and no match in a file never
    read is no finding: with a training file rewritten after training, "0 matches — clean" was said of 0 turns."""
    if not clean:
        return "not clean"
    if not not_checked:
        return "clean"
    names = ", ".join(not_checked)
    if len(not_checked) == files:
        return f"nothing checked: {names} missing or changed since training"
    return f"no match in the files checked, but {names} not checked (missing or changed since training)"


def _content_key(entry: dict[str, Any]) -> str:
    """Which file an entry is, by content: its sha256 where known (the same shipped file recorded under two checkouts'
    paths is one file), else its resolved path (two files of one name in two folders are two files)."""
    return entry["sha256"] or entry["_file"]


def _check_names(entries: list[dict[str, Any]]) -> None:
    """Give each entry the name its file is checked and counted under (``check_name``): its name, or its path where two
    files share a name, with its sha256 where two versions share a path (a file edited between two stages that read it:
    under one name, the version not checked was given the other's counts); an entry per file (a file used by two stages
    is checked once)."""
    files_by_name: dict[str, set[str]] = {}
    files_by_path: dict[str, set[str]] = {}
    for entry in entries:
        files_by_name.setdefault(entry["name"], set()).add(_content_key(entry))
        files_by_path.setdefault(entry["path"], set()).add(_content_key(entry))
    for entry in entries:
        name = entry["name"] if len(files_by_name[entry["name"]]) == 1 else entry["path"]
        if len(files_by_path[entry["path"]]) > 1:
            name += f" (sha256 {str(entry['sha256'])[:12]})"
        entry["check_name"] = name


def stage_checks(run: RunFolder) -> dict[str, bool]:
    """stage -> whether the check the SFT or distillation stage ran on the rows it trained on found them clean, as its
    record says (``decontamination`` of its mixture); stages that recorded none are left out."""
    checks = {}
    for key, field in (("sft", "data"), ("distill", "traces")):
        recorded = ((run.record(key) or {}).get("inputs", {}).get(field) or {}).get("decontamination")
        if isinstance(recorded, dict) and isinstance(recorded.get("clean"), bool):
            checks[key] = recorded["clean"]
    return checks


def data_card_context(run: RunFolder) -> dict[str, Any]:
    """Everything DATA_CARD.md and the report show about data."""
    entries = training_datasets(run)
    _check_names(entries)
    # A file used twice (e.g. SFT and RL safety prompts) is checked once, as the first stage used it (a file SFT trained
    # on whole is no stage's prompts only), even where the stages recorded it under two paths (sha256); two files of one
    # name are two files. Where the first one's path no longer holds those bytes, the same content read elsewhere is checked.
    # A safety prompt pool file no prompt of the run was drawn from (``rows_used`` 0) is no training data, as the model
    # card's language and datasets metadata count it (``used_training_data``): a match there was never trained on.
    drawn = [e for e in entries if e.get("rows_used") != 0]
    not_drawn = sorted(
        {e["check_name"] for e in entries if e.get("rows_used") == 0} - {e["check_name"] for e in drawn}
    )
    unique: dict[str, dict[str, Any]] = {}
    for entry in drawn:
        first = unique.setdefault(_content_key(entry), entry)
        if not first["_rows"] and entry["_rows"]:
            unique[_content_key(entry)] = first | {"_rows": entry["_rows"]}
    # the recipe's own suites, from the run's recipe.yaml: the same whether the card is written by `safealign run`
    # (which checks the stages' data against them) or later by `safealign card`; a stand-in run may have no recipe
    checked = None
    if unique:
        suites, unread = recipe_suites(getattr(run, "recipe", None) or {})
        checked = decontamination(list(unique.values()), suites) | {
            "suites_unread": unread,
            "not_drawn": not_drawn,
        }
        if not_drawn:  # the card lists these files above the result: say the check left them out, and why
            checked["verdict"] += f" (not counted: {', '.join(not_drawn)}, from which the run drew no prompt)"
    eval_card = package_data("cards", "eval_suites.md")
    judge_card = package_data("cards", "judge_set.md")
    labelled = package_data("judges", "labelled.jsonl")
    return {
        "training": entries,
        "rl_prompts": rl_prompt_sets(run),
        "evals": eval_datasets(run),
        "decontamination": checked,
        "eval_card": eval_card.read_text(encoding="utf-8") if eval_card.is_file() else "",
        "judge_card": judge_card.read_text(encoding="utf-8") if judge_card.is_file() else "",
        "judge_set": judge_set(labelled),
        "acceptance": run.json("sample/acceptance.json"),
        "stage_checks": stage_checks(run),
    }


def judge_set(labelled: Path) -> dict[str, Any]:
    """The labelled judge set as the data card names it: its rows, and those of the split the judges are measured on
    (:data:`safealign.card.judge_quality.SPLIT`; the card said the file's whole count, though README.md's n is the
    split's)."""
    from safealign.card.judge_quality import SPLIT

    rows = [row for _, row in read_rows(labelled)] if labelled.is_file() else []
    return {
        "path": "safealign/data/judges/labelled.jsonl",
        "sha256": sha256_file(labelled) if labelled.is_file() else None,
        "rows": len(rows),
        "split": SPLIT,
        # a row without a split is a test row, as safealign.judges.quality reads it
        "split_rows": sum(1 for row in rows if row.get("split", "test") == SPLIT),
    }


def write_data_card(
    run: RunFolder,
    context: dict[str, Any],
    path: Path | None = None,
    text: str | None = None,
    quality: dict[str, Any] | None = None,
) -> Path:
    """Render DATA_CARD.md into the run folder from :func:`data_card_context` (``text``: as :func:`render_data_card`
    rendered it already)."""
    from safealign.card.run_folder import write_card_file

    path = path or run.path / "DATA_CARD.md"
    write_card_file(path, render_data_card(run, context, quality) if text is None else text)
    return path


def render_data_card(run: RunFolder, context: dict[str, Any], quality: dict[str, Any] | None = None) -> str:
    """DATA_CARD.md's text (see :func:`write_data_card`). ``quality``: the judges' measurement the model card states
    (``judge_quality``), so the judge set's section says whether they were measured on it; None: not known here."""
    from safealign.card.run_folder import templates

    changed = [d["name"] for d in context["training"] if d["changed"]]
    # a file gone since training was not hashed again: "all recorded files still match" was said of it
    missing = [d["name"] for d in context["training"] if d["missing"]]
    return (
        templates()
        .get_template("data_card.md.j2")
        .render(
            run=run,
            changed=changed,
            missing=missing,
            not_reasons=NOT_REJECTION_REASONS,
            judge_quality=quality,
            **context,
        )
    )
