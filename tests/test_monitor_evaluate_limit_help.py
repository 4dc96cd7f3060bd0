"""`monitor evaluate --limit` said it drew its items "as in `safealign eval`", which draws with seed 42; the monitor's
runs draw with run_eval's seed 0 (the same items every run, so that runs compare)."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.evals import run_eval


def test_the_limit_help_names_the_seed_its_items_are_drawn_with() -> None:
    assert inspect.signature(run_eval).parameters["seed"].default == 0  # what monitor evaluate's runner leaves it at
    shown = " ".join(CliRunner().invoke(app, ["monitor", "evaluate", "--help"], env={"COLUMNS": "400"}).output.split())
    assert "drawn with seed 0" in shown and "as in `safealign eval`" not in shown
