"""The transparency bundle: model card, data card, lineage and an HTML report for one run folder.

``write_bundle(run_dir)`` (also the last step of ``safealign run``) reads only the run folder's
files, so the bundle can be rebuilt at any time and every number in it traces to one of them:

- ``README.md``: Hugging Face model card, eval results in ``model-index``;
- ``DATA_CARD.md``: every dataset, licence, sha256, counts, decontamination;
- ``lineage.json``: the artefact graph, each stage's config, seed, versions, commit, times;
- ``report.html``: one self-contained page with plots and sample completions.
"""

from __future__ import annotations

import logging
from pathlib import Path

from safealign.card.data_card import data_card_context, render_data_card, write_data_card
from safealign.card.judge_quality import judge_quality
from safealign.card.lineage import render_lineage, write_lineage
from safealign.card.model_card import render_model_card, write_model_card
from safealign.card.report import render_report, write_report
from safealign.card.run_folder import RunFolder, card_run, load_run
from safealign.errors import DataError, SafealignError

log = logging.getLogger(__name__)


# The bundle's files in the run folder, by what they are.
BUNDLE_FILES = {
    "lineage": "lineage.json",
    "model_card": "README.md",
    "data_card": "DATA_CARD.md",
    "report": "report.html",
}


class RunFolderError(SafealignError):
    """The path is not a run folder."""


def write_bundle(run_dir: str | Path, refresh_judges: bool = False) -> dict[str, Path]:
    """Write README.md, DATA_CARD.md, lineage.json and report.html into ``run_dir``; return their paths."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RunFolderError(f"{path} is not a folder; give a run folder such as runs/quickstart")
    run = load_run(path)
    if not run.done and not run.recipe:
        # A run whose stages were all stopped is a run folder still: `safealign sft RECIPE` resumes it.
        unfinished = [
            name
            for name in ("sft", "rl", "sample", "distill")
            if (path / name / "sessions.jsonl").is_file() or any((path / name).glob("checkpoint-*"))
        ]
        if unfinished:
            raise RunFolderError(
                f"{path} holds no finished stage yet: {', '.join(unfinished)} is unfinished (stopped); rerun "
                f"`safealign {unfinished[0]} RECIPE` (or `safealign run RECIPE`) to resume it, then write the card"
            )
        raise RunFolderError(
            f"{path} holds no recipe.yaml and no finished stage (stage.json); is it a run folder?"
        )
    quality = judge_quality(run, refresh=refresh_judges)
    from jinja2 import UndefinedError

    try:
        # every file rendered before any is written: a file the card cannot read fails the bundle whole, not after
        # README.md was replaced beside the report.html of the card before
        data = data_card_context(run)
        texts = {
            "lineage": render_lineage(run),
            "model_card": render_model_card(run, data, quality),
            "data_card": render_data_card(run, data, quality),
            "report": render_report(run, data, quality),
        }
        # a lone surrogate (half an emoji, "\ud83d" in a hand-edited or foreign samples.jsonl) cannot be written as UTF-8:
        # it failed the bundle with a traceback; it is shown as its escape
        texts = {key: text.encode("utf-8", "backslashreplace").decode("utf-8") for key, text in texts.items()}
    except (TypeError, KeyError, ValueError, AttributeError, UndefinedError) as error:
        # a field of a record or log hand-edited into another type or shape (a number as text, a list for an object)
        # that the checks of run_folder.py do not cover: name the folder, not a traceback in a template
        raise DataError(
            f"{path}: a file of this run folder holds a value the card cannot read ({type(error).__name__}: "
            f"{' '.join(str(error).split())[:200]}); was a stage.json, summary.json or log edited by hand? Restore it, "
            "or delete that stage's folder and rerun it (`safealign run` reruns what is missing)"
        ) from error
    # each file is judged against the record as it was before this run's first write (see ``write_card_file``):
    # lineage.json, which earlier cards wrote without recording it, and a README.md the card never wrote. Every file
    # is written beside its place before any is replaced: a full disk fails the bundle whole, not after README.md
    # was replaced beside the report.html of the card before
    files = {path / name: texts[key] for key, name in BUNDLE_FILES.items()}
    with card_run(path, files):
        lineage = write_lineage(run, text=texts["lineage"])
        written = {
            "model_card": write_model_card(run, data, quality=quality, text=texts["model_card"]),
            "data_card": write_data_card(run, data, text=texts["data_card"]),
            "lineage": lineage,
            "report": write_report(run, data, quality, text=texts["report"]),
        }
    log.info("card: wrote %s", ", ".join(str(p) for p in written.values()))
    return written


__all__ = ["RunFolder", "RunFolderError", "load_run", "write_bundle"]
