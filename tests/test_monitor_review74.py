"""Review 74: the monitor's CLI, dashboard, queries and re-evaluation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from typer.testing import CliRunner

from safealign.monitor.store import exchanges


def said(result) -> str:
    return " ".join(result.output.split())


# ---------------------------------------------------------------- the judge worker's options with --worker none


@pytest.fixture
def gateway_cli(tmp_path, monkeypatch):
    """`safealign monitor ...` up to the start of the server, which is not run."""
    import safealign.cli.monitor_cmd as monitor_cmd
    import safealign.monitor
    import safealign.serve
    from safealign.cli.main import app as cli

    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: None)
    monkeypatch.setattr(safealign.monitor, "create_gateway", lambda config: FastAPI())
    monkeypatch.setattr(monitor_cmd, "check_can_listen", lambda host, port: None)
    monkeypatch.delenv("SAFEALIGN_MONITOR_JUDGE", raising=False)
    base = ["monitor", "--upstream", "http://127.0.0.1:9", "--db", f"sqlite:///{tmp_path}/m.db"]

    def run(*options: str, env: dict[str, str] | None = None):
        result = CliRunner().invoke(cli, [*base, *options], env={"COLUMNS": "300", **(env or {})})
        assert result.exit_code == 0, result.output
        return said(result)

    return run


def test_the_gateway_says_its_alerts_webhook_and_judge_reach_no_worker_with_worker_none(gateway_cli) -> None:
    """The alert rules, their webhook and the judge set are the judge worker's: `monitor --worker none --alerts
    rules.yaml --webhook URL --judge J` evaluated no rule, sent nothing and judged nothing with J, without a word (the
    dashboard even listed the rules as if they were watched), while the `monitor judge` run beside it judged with the
    default judges and no rules. The gateway says so at start, with the options to give that worker."""
    out = gateway_cli(
        "--worker", "none", "--alerts", "recipes/monitor_alerts.yaml", "--webhook", "https://hooks.example.com/s3cret",
        "--judge", "import:my.mod:judges",
    )
    assert "--judge, --alerts, --webhook with --worker none" in out, out
    assert (
        "safealign monitor judge --judge import:my.mod:judges --alerts recipes/monitor_alerts.yaml --webhook URL`"
        in out
    ), out
    assert "s3cret" not in out  # a webhook's URL is its secret (Slack's): not printed
    # one option alone is named alone
    out = gateway_cli("--worker", "none", "--alerts", "recipes/monitor_alerts.yaml")
    assert "--alerts with --worker none" in out and "monitor judge --alerts recipes/monitor_alerts.yaml`" in out, out
    # a path the shell would split is quoted, so that the command can be pasted
    out = gateway_cli("--worker", "none", "--alerts", "my rules.yaml")
    assert "monitor judge --alerts 'my rules.yaml'`" in out, out
    # the retention days, said as before
    out = gateway_cli("--worker", "none", "--retention-days", "7")
    assert "start it as `safealign monitor judge --retention-days 7`" in out, out


def test_the_gateway_says_nothing_of_worker_options_it_passes_on_or_that_reach_the_worker_anyway(
    gateway_cli,
) -> None:
    # a worker the gateway starts is given them
    out = gateway_cli("--worker", "thread", "--alerts", "recipes/monitor_alerts.yaml", "--judge", "import:m:f")
    assert "--worker none" not in out, out
    # defaults given none
    assert "--worker none" not in gateway_cli("--worker", "none")
    # $SAFEALIGN_MONITOR_JUDGE reaches a `monitor judge` run in the same environment too
    out = gateway_cli("--worker", "none", env={"SAFEALIGN_MONITOR_JUDGE": "import:m:f"})
    assert "--worker none" not in out, out


# ---------------------------------------------------------------- monitor evaluate and the alerts file's webhook


@pytest.mark.parametrize("given", ["recipe", "option"])
def test_monitor_evaluate_posts_a_regression_to_the_webhook_of_the_recipes_alerts_file(
    tmp_path, monkeypatch, given
) -> None:
    """A recipe's monitor.alerts file says where alerts are POSTed (its webhook:), and the gateway and its worker send
    there; `monitor evaluate --recipe` with that recipe stored its regressions and sent them nowhere, without a word.
    It sends them there too; a --webhook (or monitor.webhook) still wins, as it does over the file in the gateway."""
    from test_monitor import _report

    import safealign.monitor.alerts as alerts
    import safealign.monitor.reevaluate as reevaluate
    from safealign.cli.main import app as cli

    reports = iter([_report(16, 0), _report(4, 0)])
    monkeypatch.setattr(reevaluate, "default_runner", lambda *args, **kwargs: next(reports))
    sent: list[tuple[str | None, str]] = []
    monkeypatch.setattr(alerts.Notifier, "send", lambda self, payload: sent.append((self.webhook, payload["rule"])))
    rules = tmp_path / "alerts.yaml"
    rules.write_text("webhook: https://hooks.example.com/from-file\nrules: []\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"monitor:\n  upstream: http://127.0.0.1:9\n  alerts: {rules}\n")
    command = ["monitor", "evaluate", "--once", "--recipe", str(recipe), "--model", "m"]
    command += ["--db", f"sqlite:///{tmp_path}/m.db"]
    command += ["--webhook", "https://hooks.example.com/given"] if given == "option" else []
    for expected_exit in (0, 1):
        result = CliRunner().invoke(cli, command, env={"COLUMNS": "300"})
        assert result.exit_code == expected_exit, result.output
    webhook = "https://hooks.example.com/given" if given == "option" else "https://hooks.example.com/from-file"
    assert sent == [(webhook, "eval_regression")]


# ---------------------------------------------------------------- the dashboard's eval trend


def test_the_eval_trend_plots_the_runs_of_one_schedule_not_a_line_through_every_schedule(tmp_path) -> None:
    """Two `monitor evaluate` schedules on one database (an hourly smoke run with --limit 4 and a full run; or two
    models) were drawn as one line: it zig-zagged between their rates (0.9, 0.5, 0.9, 0.5) as if the model's refusals
    swung every hour, and its 'latest' was whichever schedule ran last. The chart plots the newest run's schedule and
    names it; the table still lists every run."""
    import re

    from safealign.config.sections import MonitorConfig
    from safealign.monitor.dashboard import render_dashboard
    from safealign.monitor.store import Store

    store = Store(f"sqlite:///{tmp_path}/m.db")
    for rate, limit in ((0.9, None), (0.5, 4), (0.88, None), (0.5, 4), (0.86, None)):
        store.add_eval_run(
            upstream="http://u:8000",
            model="m",
            suites=["harmful", "borderline"],
            item_limit=limit,
            summary={"harmful_refusal_rate": rate, "over_refusal_rate": 0.1},
            regression=False,
            notes="",
        )
    page = render_dashboard(store, MonitorConfig(upstream="http://u:8000"))
    chart = page[page.index('id="eval-chart"') : page.index("</svg>", page.index('id="eval-chart"'))]
    harmful_line = re.search(r'stroke="#1f77b4" stroke-width="2" points="([^"]*)"', chart).group(1)
    assert len(harmful_line.split()) == 3, harmful_line  # runs 1, 3 and 5: the full schedule's
    assert "model m, suites harmful,borderline, no --limit" in page
    assert "(2 runs of other schedules not plotted)" in page
    assert page.count("<td>#") == 5  # the table: every run


def test_the_eval_trend_keeps_the_runs_stored_before_the_upstreams_password_was_masked(tmp_path) -> None:
    """Runs stored with the upstream's password and those stored since with it masked are one schedule, as
    ``previous_eval_run`` matches them."""
    from safealign.monitor import queries
    from safealign.monitor.dashboard import schedule_runs
    from safealign.monitor.store import Store

    store = Store(f"sqlite:///{tmp_path}/m.db")
    for upstream in ("http://bob:pw@u:8000", "http://bob:***@u:8000"):
        store.add_eval_run(upstream=upstream, model="m", suites=["harmful"], item_limit=None, summary={})
    assert len(schedule_runs(queries.recent_eval_runs(store))) == 2


# ---------------------------------------------------------------- monitor judge --once --retention-days


@pytest.mark.parametrize("given", ["option", "recipe", "none"])
def test_judge_once_applies_a_retention_given_to_it(tmp_path, given) -> None:
    """`monitor judge --once --retention-days 7` (a cron job beside a gateway run with --worker none, as that gateway
    tells) deleted nothing: the purge runs hourly in the long-running worker alone, so the option was taken and the
    database kept every exchange for ever, without a word. A retention given to --once (the option, or the recipe's
    monitor.retention_days) is applied as it ends and said; none given deletes nothing, as before."""
    import datetime as dt

    from safealign.cli.main import app as cli
    from safealign.monitor.store import Store, utcnow

    db = f"sqlite:///{tmp_path}/m.db"
    store = Store(db)
    old = utcnow() - dt.timedelta(days=40)
    store.insert_exchanges(
        [
            {"created_at": old, "prompt": "p", "response": "r", "status": "upstream_error"},
            {"prompt": "hello", "response": "hi", "status": "queued", "queue": True},
        ]
    )
    command = ["monitor", "judge", "--once", "--db", db, "--judge", "import:test_monitor:FakeJudges"]
    if given == "option":
        command += ["--retention-days", "7"]
    elif given == "recipe":
        recipe = tmp_path / "r.yaml"
        recipe.write_text("monitor:\n  retention_days: 7\n")
        command += ["--recipe", str(recipe)]
    result = CliRunner().invoke(cli, command, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "judged 1 exchanges" in said(result)
    with store.engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(exchanges)).scalar_one()
    assert left == (2 if given == "none" else 1)
    assert ("deleted 1 exchanges older than 7 days (--retention-days)" in said(result)) is (given != "none")


def test_judge_once_says_a_failed_retention_purge_and_exits_1(tmp_path, monkeypatch) -> None:
    from safealign.cli.main import app as cli
    from safealign.monitor.store import Store

    def locked(self, retention_days: int) -> int:
        raise sa.exc.OperationalError("DELETE", {}, Exception("database is locked"))

    monkeypatch.setattr(Store, "purge", locked)
    db = f"sqlite:///{tmp_path}/m.db"
    Store(db).insert_exchanges([{"prompt": "hello", "response": "hi", "status": "queued", "queue": True}])
    command = ["monitor", "judge", "--once", "--db", db, "--judge", "import:test_monitor:FakeJudges"]
    result = CliRunner().invoke(cli, [*command, "--retention-days", "7"], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "judged 1 exchanges" in said(result)
    assert "--retention-days 7: the purge of older exchanges failed (Exception: database is locked)" in said(result)
