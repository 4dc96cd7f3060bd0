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


# ---------------------------------------------------------------- monitor judge --once on a failing database


def test_judge_once_on_a_database_locked_past_its_wait_says_so_without_a_traceback(
    tmp_path, monkeypatch
) -> None:
    """A SQLite file another process held its write lock on for 30 s (a backup, a sqlite3 shell in a transaction) ended
    `monitor judge --once` in SQLAlchemy's traceback; it says the database was locked, what to do, and that the
    exchanges stay queued."""
    import sqlite3

    import sqlalchemy as sa
    from test_monitor import FakeJudges

    from safealign.cli.main import app as cli
    from safealign.monitor.store import Store

    db = f"sqlite:///{tmp_path}/m.db"
    store = Store(db)
    store.insert_exchanges([{"prompt": "hi", "response": "hello", "status": "queued", "queue": True}])
    store.close()

    def locked(self, *args, **kwargs):
        raise sa.exc.OperationalError(
            "UPDATE judge_queue ...", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(Store, "claim", locked)
    monkeypatch.setattr("safealign.monitor.worker.load_judges", lambda spec: FakeJudges())
    result = CliRunner().invoke(cli, ["monitor", "judge", "--once", "--db", db], env={"COLUMNS": "300"})
    assert result.exit_code == 2, (result.output, result.exception)
    assert "the database failed after 0 exchanges were judged (OperationalError: database is locked)" in said(
        result
    )
    assert "another process held its write lock for 30 s" in said(
        result
    ) and "The others stay queued" in said(result)
    assert Store(db).backlog() == 1


# ---------------------------------------------------------------- the alert webhook


def test_a_webhook_that_redirects_is_named_with_its_target_in_the_log(monkeypatch, caplog) -> None:
    """A webhook given as http:// that answers 308 to https:// (or a moved receiver) lost every page, each try and each
    re-send logged as only "HTTP 308"; the log names where it redirects (its password masked) and what to give."""
    import httpx

    from safealign.monitor import alerts

    posted: list[str] = []

    def redirecting(url, **kwargs):
        posted.append(url)
        location = "https://bob:secret@hooks.example/alert?x=1"
        return httpx.Response(308, headers={"location": location}, request=httpx.Request("POST", url))

    monkeypatch.setattr(alerts.httpx, "post", redirecting)
    with caplog.at_level("ERROR", logger="safealign.monitor.alerts"):
        delivered = alerts.Notifier("http://hooks.example/alert").send({"rule": "r", "message": "m"})
    assert not delivered and posted == ["http://hooks.example/alert"], "a redirect is not retried"
    logged = caplog.text
    redirect = "HTTP 308, a redirect to https://bob:***@hooks.example/…?… (not followed): give the URL it redirects to"
    assert redirect in logged, logged
    assert "secret" not in logged


# ---------------------------------------------------------------- the dashboard's times


def test_the_dashboard_says_its_times_are_utc(tmp_path) -> None:
    """The page's header said "generated ... UTC", but its flagged exchanges, alerts and eval runs showed the stored
    UTC times under a bare "time": an operator east or west of Greenwich read them as local times."""
    import datetime as dt
    import re

    from safealign.config.sections import MonitorConfig
    from safealign.monitor.dashboard import render_dashboard
    from safealign.monitor.store import Store

    store = Store(f"sqlite:///{tmp_path}/m.db")
    at = dt.datetime(2026, 12, 7, 12, 30, 5)
    store.insert_exchanges(
        [{"created_at": at, "prompt": "p", "response": "r", "status": "judged", "harmful": True}]
    )
    store.add_alert(rule="r", kind="fired", message="m")
    store.add_eval_run(
        upstream="http://u", model="m", suites=["harmful"], summary={"harmful_refusal_rate": 0.5}
    )
    page = render_dashboard(store, MonitorConfig(upstream="http://u"))
    assert "2026-12-07 12:30:05" in page
    headers = re.findall(r"<th>(time[^<]*)</th>", page)
    assert headers == ["time (UTC)"] * 3, headers


# ---------------------------------------------------------------- monitor judge --once while the judges are down


def test_judge_once_stops_at_an_outage_of_the_judges_and_says_so(tmp_path, monkeypatch) -> None:
    """`--once` with the grader down went on through the whole backlog, each batch failing twice (itself and the plain
    exchange that tells an outage): a grader that times out took the run's hour, which then said it had stopped for
    want of time ("the judges are slower than this backlog needs"). It stops at the outage and says the judges are
    down; the backlog stays queued, unleased but for the batch tried, and is judged once they are back."""
    from test_monitor_review68 import DownJudges

    from safealign.cli.main import app as cli
    from safealign.monitor.store import Store

    db = f"sqlite:///{tmp_path}/m.db"
    store = Store(db)
    store.insert_exchanges(
        [{"prompt": f"q{i}", "response": "ok", "status": "queued", "queue": True} for i in range(40)]
    )
    judges, calls = DownJudges(), []
    down = judges.harm.judge
    judges.harm.judge = lambda prompts, responses: calls.append(len(prompts)) or down(prompts, responses)
    monkeypatch.setattr("safealign.monitor.worker.load_judges", lambda spec: judges)
    command = ["monitor", "judge", "--once", "--db", db, "--batch-size", "10"]
    result = CliRunner().invoke(cli, command, env={"COLUMNS": "300"})
    assert result.exit_code == 1, (result.output, result.exception)
    assert calls == [10, 1], "the batch, then the plain exchange: no other batch"
    assert "the judges are down" in said(result) and "stopped with 30 exchanges still queued" in said(result)
    assert "slower than this backlog" not in said(result)
    assert store.backlog() == 40 and store.waiting() == 30
    judges.down = False
    result = CliRunner().invoke(cli, [*command, "--release-leases"], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and "judged 40 exchanges" in said(result), said(result)


# ---------------------------------------------------------------- an alerts file without rules


@pytest.mark.parametrize("text", ["", "webhook: https://hooks.example.com/x\n", "rules: []\n"])
def test_an_alerts_file_without_rules_is_said_to_watch_nothing(tmp_path, caplog, text) -> None:
    """`--alerts FILE` whose rules were empty (a blank file, a webhook alone, `rules: []`) was taken without a word:
    the monitor ran with no rule, and the operator believed it watched the rates."""
    from safealign.monitor.alerts import load_alert_config

    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level("WARNING", logger="safealign.monitor.alerts"):
        assert load_alert_config(path).rules == []
    assert f"{path} has no alert rules: nothing is alerted on" in caplog.text
    caplog.clear()
    path.write_text("rules:\n  - {name: a, metric: harmful_rate}\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="safealign.monitor.alerts"):
        assert len(load_alert_config(path).rules) == 1
    assert "no alert rules" not in caplog.text


# ---------------------------------------------------------------- a purge racing the judge worker


def test_a_batch_whose_exchange_the_purge_deleted_meanwhile_says_so(tmp_path, caplog) -> None:
    """An old exchange a retention purge deleted while a worker judged it (POST /admin/purge, another worker's hourly
    purge) was logged as "claimed by another worker after the lease ran out, or freed by --release-leases": an operator
    went looking for a second worker. The purge is named; the rest of the batch is judged as before."""
    import datetime as dt

    import sqlalchemy as sa
    from test_monitor import FakeJudges

    from safealign.monitor.store import Store, exchanges
    from safealign.monitor.worker import judge_rows

    store = Store(f"sqlite:///{tmp_path}/m.db")
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=60)
    store.insert_exchanges(
        [
            {"created_at": old, "prompt": "p", "response": "r", "status": "queued", "queue": True},
            {"prompt": "p", "response": "r", "status": "queued", "queue": True},
        ]
    )
    rows = store.claim(10)
    assert store.purge(retention_days=30) == 1  # while the batch is being judged
    with caplog.at_level("WARNING", logger="safealign.monitor.store"):
        written, _ = store.complete(judge_rows(FakeJudges(), rows), lease=rows[0]["lease"])
    assert written == {2}
    assert (
        "1 exchanges of this batch were deleted by the retention purge while they were judged" in caplog.text
    )
    assert "claimed by another worker" not in caplog.text
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(exchanges.c.id, exchanges.c.status)).all() == [(2, "judged")]


@pytest.mark.parametrize("name", ["", "  "])
def test_an_alert_rule_without_a_name_is_refused(tmp_path, name) -> None:
    """A rule named "" (or blanks) was taken: its alerts were logged as "ALERT : ..." and reached the webhook and the
    dashboard with no rule to tell which had fired."""
    from safealign.errors import RecipeError
    from safealign.monitor.alerts import load_alert_config

    path = tmp_path / "alerts.yaml"
    path.write_text(f"rules:\n  - {{name: '{name}', metric: harmful_rate}}\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"rules\.0\.name = .*a rule needs a name"):
        load_alert_config(path)


# ---------------------------------------------------------------- times given to the store


def test_an_exchange_given_an_aware_time_is_stored_in_utc(tmp_path) -> None:
    """Store.insert_exchanges took a timezone-aware created_at as given: SQLite kept "12:00:00+09:00", the purge compared
    its wall time with UTC (nine hours off), the export wrote "...+09:00Z", and the dashboard, subtracting it from the
    naive times of the other exchanges, failed. It is stored as the store keeps every time: naive UTC."""
    import datetime as dt

    import sqlalchemy as sa

    from safealign.config.sections import MonitorConfig
    from safealign.monitor.dashboard import render_dashboard
    from safealign.monitor.queries import export_exchanges
    from safealign.monitor.store import Store, exchanges

    store = Store(f"sqlite:///{tmp_path}/m.db")
    tokyo = dt.timezone(dt.timedelta(hours=9))
    judged = {"prompt": "p", "response": "r", "status": "judged", "harmful": False, "refused": False}
    store.insert_exchanges([judged | {"created_at": dt.datetime(2026, 1, 1, 12, tzinfo=tokyo)}, judged])
    with store.engine.connect() as conn:
        first = conn.execute(sa.select(exchanges.c.created_at).order_by(exchanges.c.id)).scalars().first()
    assert first == dt.datetime(2026, 1, 1, 3, 0)
    assert next(export_exchanges(store))["created_at"] == "2026-01-01T03:00:00Z"
    assert "exchanges stored" in render_dashboard(store, MonitorConfig(upstream="http://u"))
