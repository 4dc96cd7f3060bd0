"""`safealign card RUN_DIR`: write (or rewrite) the transparency bundle of a run folder."""

from __future__ import annotations

from pathlib import Path

import typer

from safealign.cli.common import console, friendly_errors, table


@friendly_errors
def card(
    run_dir: Path = typer.Argument(..., help="Run folder, e.g. runs/quickstart."),
    refresh_judges: bool = typer.Option(False, "--refresh-judges", help="Measure the judges again instead of reading judge_quality.json."),
) -> None:
    """Write README.md (model card), DATA_CARD.md, lineage.json and report.html into the run folder."""
    import logging

    from safealign.card import load_run, write_bundle

    written = write_bundle(run_dir, refresh_judges=refresh_judges)
    logging.disable(logging.WARNING)  # read again for the summary below: its warnings were said while writing
    try:
        run = load_run(run_dir)
    finally:
        logging.disable(logging.NOTSET)
    console.print(table(f"Transparency bundle of {run_dir}", ["file", "what", "bytes"], [
        [str(p), what.replace("_", " "), p.stat().st_size] for what, p in written.items()]))
    if run.missing:
        console.print("stages not in this run: " + ", ".join(f"{s.key} ({s.reason})" for s in run.missing), highlight=False, markup=False)
    console.print(f"open {written['report'].resolve().as_uri()} in a browser", markup=False)
