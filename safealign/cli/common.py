"""Shared CLI plumbing: one console, logging through rich, errors as one line and exit code 2."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from safealign.distributed import setup_rank_logging
from safealign.errors import SafealignError, disk_full_message, missing_extra_message

console = Console()
err_console = Console(stderr=True)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=True)],
        force=True,
    )
    setup_rank_logging()  # under accelerate launch: INFO from rank 0 only, the others' warnings marked
    # Third-party chatter (weight-loading bars, hub hints) would bury our own progress bars.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("transformers", "httpx", "sentence_transformers", "urllib3", "datasets"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print safealign's own errors, a full disk and a missing optional extra as a red line (no traceback); exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SafealignError as error:
            err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True)  # "[gpu]" is text
            raise typer.Exit(2) from None
        except ModuleNotFoundError as error:
            message = missing_extra_message(error)
            if message is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
            raise typer.Exit(2) from None
        except (OSError, RuntimeError) as error:
            message = None if type(error).__module__.startswith("click") else disk_full_message(error)  # typer.Exit is a RuntimeError
            if message is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
            raise typer.Exit(2) from None

    return wrapper


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*[str(cell) for cell in row])
    return out
