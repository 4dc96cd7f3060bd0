"""Review 71: the monitor's CLI (--retention-days with --worker none, --every), its dashboard's times and its alerts."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner


def said(result) -> str:
    return " ".join(result.output.split())


# ---------------------------------------------------------------- --retention-days with --worker none


@pytest.mark.parametrize("days, warned", [("7", True), ("30", False)])
def test_the_gateway_says_its_retention_reaches_no_worker_with_worker_none(
    tmp_path, monkeypatch, days, warned
) -> None:
    """The retention purge is the judge worker's: `monitor --worker none --retention-days 7` deleted nothing by itself,
    and the `monitor judge` run beside it kept exchanges for its default 30 days, without a word."""
    import safealign.cli.monitor_cmd as monitor_cmd
    import safealign.monitor
    import safealign.serve
    from safealign.cli.main import app as cli

    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: None)
    monkeypatch.setattr(safealign.monitor, "create_gateway", lambda config: FastAPI())
    monkeypatch.setattr(monitor_cmd, "check_can_listen", lambda host, port: None)
    command = ["monitor", "--upstream", "http://127.0.0.1:9", "--db", f"sqlite:///{tmp_path}/m.db"]
    result = CliRunner().invoke(
        cli, [*command, "--worker", "none", "--retention-days", days], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    hint = f"start it as `safealign monitor judge --retention-days {days}`"
    assert (hint in said(result)) is warned, said(result)
    # a worker the gateway starts is given the gateway's --retention-days: nothing to say
    result = CliRunner().invoke(
        cli, [*command, "--worker", "thread", "--retention-days", "7"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0 and "--worker none" not in said(result), said(result)


# ---------------------------------------------------------------- monitor evaluate --every


def test_monitor_evaluate_refuses_an_every_past_a_year_before_its_first_run(tmp_path, monkeypatch) -> None:
    """`--every 99999999999d` ran a whole eval run, stored it, and then ended in an OverflowError traceback from the
    pause (past what time.sleep takes); an interval over a year is refused at once, --once needs none."""
    import safealign.monitor.reevaluate as reevaluate
    from safealign.cli.main import app as cli

    runs: list[str] = []
    monkeypatch.setattr(
        reevaluate, "default_runner", lambda upstream, model, *a, **k: runs.append(model) or {}
    )
    command = [
        "monitor",
        "evaluate",
        "--upstream",
        "http://127.0.0.1:9",
        "--model",
        "m",
        "--db",
        f"sqlite:///{tmp_path}/m.db",
    ]
    result = CliRunner().invoke(cli, [*command, "--every", "99999999999d"], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and runs == [], (result.output, result.exception)
    assert "--every '99999999999d' is more than a year between eval runs; give at most 365d" in said(result)
    assert not (tmp_path / "m.db").exists(), "a refused start makes no database"
    result = CliRunner().invoke(cli, [*command, "--every", "-5m"], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "--every '-5m' is not an interval like 90s" in said(result), said(result)
    result = CliRunner().invoke(cli, [*command, "--every", "99999999999d", "--once"], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and runs == ["m"], (result.output, result.exception)
