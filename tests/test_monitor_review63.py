"""Review of the monitor's alerts, queries, metrics, dashboard and key check: each test reproduces one defect found."""

from __future__ import annotations

import logging
import sqlite3

import httpx
import pytest
from sqlalchemy import event
from test_monitor import KEY, gateway

from safealign.monitor import alerts as alerts_module
from safealign.monitor import queries
from safealign.monitor.alerts import AlertConfig, AlertManager, AlertRule, Notifier
from safealign.monitor.reevaluate import evaluate_once
from safealign.monitor.store import Store, utcnow, verdicts

# Passes check_http_url (urlsplit takes any host), but httpx cannot send to it: an empty host label fails IDNA encoding.
UNSENDABLE_WEBHOOK = "http://hooks..example.com/services/T0/B0/SECRET-TOKEN"


def test_a_webhook_httpx_cannot_send_to_is_logged_not_raised(tmp_path, caplog, monkeypatch):
    """send() raised a UnicodeError (a regression's alert was then never stored), and send_later()'s thread lost the
    page without a log line."""
    monkeypatch.setattr(alerts_module, "time", type("NoSleep", (), {"sleep": staticmethod(lambda s: None)}))
    caplog.set_level(logging.ERROR, logger="safealign.monitor.alerts")
    assert AlertConfig(webhook=UNSENDABLE_WEBHOOK).webhook == UNSENDABLE_WEBHOOK  # validation takes it
    assert Notifier(UNSENDABLE_WEBHOOK).send({"rule": "r", "message": "m"}) is False
    assert "alert webhook http://hooks..example.com/… failed" in caplog.text
    assert "SECRET-TOKEN" not in caplog.text

    caplog.clear()
    monkeypatch.setattr(alerts_module, "metric_rate", lambda store, metric, window: (0.9, 5))
    store = Store(f"sqlite:///{tmp_path}/m.db")
    rule = AlertRule(name="harm", metric="harmful_rate", window=5, threshold=0.5, min_samples=1)
    manager = AlertManager(store, AlertConfig(webhook=UNSENDABLE_WEBHOOK, rules=[rule]))
    assert [alert["rule"] for alert in manager.evaluate()] == ["harm"]
    assert manager.flush(30)
    # the delivery thread's failure is logged too
    assert "alert webhook http://hooks..example.com/… failed" in caplog.text
    assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("fired", False)]


def test_a_regression_is_stored_when_its_webhook_cannot_be_sent_to(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    for rate in (0.9, 0.5):
        evaluate_once(
            store,
            "http://u",
            "m",
            ["harmful"],
            None,
            0.05,
            notifier=Notifier(UNSENDABLE_WEBHOOK),
            runner=lambda *_, rate=rate: {"harmful_refusal_rate": rate, "harmful_items": 100.0},
        )
    assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("regression", False)]


def hold_to_999_parameters(dbapi_connection) -> None:
    """SQLite held to the 999 parameters a statement of SQLite before 3.32; under -p postgres_plugin the store is
    PostgreSQL's, and the page still reads in several statements."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)


@pytest.mark.parametrize("flagged", [False, True])
def test_an_export_page_larger_than_the_databases_parameter_limit_is_exported_with_its_verdicts(
    tmp_path, flagged
):
    """One bound parameter per exported id: a page of up to 100,000 ids was over PostgreSQL's 65,535 parameters and
    SQLite's default 32,766. Here SQLite is held to 999, the limit of SQLite before 3.32, with a 1,500-row page."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    row = {"status": "judged", "harmful": True, "refused": False, "request_harmful": True}
    ids = store.insert_exchanges([row] * 1500)
    with store.engine.begin() as conn:
        conn.execute(
            verdicts.insert(),
            [{"exchange_id": i, "role": "harm", "label": "harmful", "created_at": utcnow()} for i in ids],
        )
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _old_sqlite_limit(dbapi_connection, _record) -> None:
        hold_to_999_parameters(dbapi_connection)

    exported = list(queries.export_exchanges(store, 0, 100000, flagged_only=flagged))
    assert [r["id"] for r in exported] == ids
    assert all([v["label"] for v in r["verdicts"]] == ["harmful"] for r in exported)


def test_the_export_endpoint_streams_a_page_over_the_parameter_limit(tmp_path):
    """Through /admin/exchanges.jsonl the failure came after the 200: a cut body, no error."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = store.insert_exchanges([{"status": "judged", "harmful": False, "refused": False}] * 1200)
    with store.engine.begin() as conn:
        conn.execute(
            verdicts.insert(),
            [{"exchange_id": i, "role": "harm", "label": "safe", "created_at": utcnow()} for i in ids],
        )
    store.close()
    with gateway("http://127.0.0.1:9", f"sqlite:///{tmp_path}/m.db") as (url, app):
        app.state.store.engine.dispose()
        event.listen(
            app.state.store.engine,
            "connect",
            lambda dbapi_connection, _record: hold_to_999_parameters(dbapi_connection),
        )
        response = httpx.get(
            f"{url}/admin/exchanges.jsonl?limit=100000",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=60,
        )
    assert response.status_code == 200
    assert len(response.text.splitlines()) == 1200
