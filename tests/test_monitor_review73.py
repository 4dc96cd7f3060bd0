"""Review 73: the monitor's store, worker and alerts."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa
from sqlalchemy import event

from safealign.monitor import queries
from safealign.monitor.store import Store, utcnow

# ---------------------------------------------------------------- the retention purge against a completing worker


def test_a_purge_racing_a_worker_that_completes_the_same_old_exchange_deletes_it_with_its_verdicts(
    tmp_path,
) -> None:
    """On PostgreSQL (tests/postgres_plugin.py) the purge deleted an old exchange's verdicts, then waited on its queue row
    while a worker completed it: the verdicts that worker wrote meanwhile failed the exchange's delete on their foreign
    key (IntegrityError), and the whole purge with it. On SQLite the write lock keeps them apart either way."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    old = utcnow() - dt.timedelta(days=40)
    [eid] = store.insert_exchanges(
        [{"created_at": old, "prompt": "p", "response": "r", "status": "queued", "queue": True}]
    )
    [row] = store.claim(10)
    verdict = {"role": "harm", "judge": "j", "label": "safe", "score": 0.0, "explanation": ""}
    result = {
        "exchange_id": eid,
        "harmful": False,
        "refused": False,
        "request_harmful": False,
        "verdicts": [verdict],
    }
    on_sqlite = store.engine.dialect.name == "sqlite"
    purging, purged, errors = threading.Event(), [], []

    @event.listens_for(store.engine, "before_cursor_execute")
    def purge_deletes(conn, cursor, statement, parameters, context, executemany) -> None:
        # the purge's delete of the queue rows is under way (on SQLite: its first delete, which waits for the lock)
        if threading.current_thread().name == "purge" and statement.startswith(
            "DELETE FROM" if on_sqlite else "DELETE FROM judge_queue"
        ):
            purging.set()

    def purge() -> None:
        try:
            purged.append(store.purge(30))
        except Exception as error:  # noqa: BLE001 - what the test reports
            errors.append(error)

    purger = threading.Thread(target=purge, name="purge")
    with store.engine.connect() as conn:

        @event.listens_for(conn, "commit")
        def purge_before_the_commit(_conn) -> None:
            purger.start()
            assert purging.wait(20), "the purge never reached its delete"

        owned, _ = store.complete([result], conn, lease=row["lease"])
    purger.join(30)
    assert owned == {eid}
    assert not errors, errors
    assert purged == [1]
    with store.engine.connect() as conn:
        for table in ("exchanges", "verdicts", "judge_queue"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    store.close()


# ---------------------------------------------------------------- the judge worker's alert check


def test_an_alert_check_that_fails_leaves_no_batch_leased_and_blames_no_batch(tmp_path, caplog) -> None:
    """The alert rules are checked after each batch, once its verdicts and the next batch's lease are committed: a check
    that failed (the database locked past its wait) left that next batch leased, unjudged until its lease ran out, and
    the log said "batch failed; its rows stay queued" of a batch whose verdicts were stored."""
    from test_monitor import FakeJudges

    from safealign.monitor.worker import JudgeWorker

    class FailingOnce:
        checks = 0

        def evaluate(self) -> list:
            self.checks += 1
            if self.checks == 1:
                raise sa.exc.OperationalError("INSERT INTO alerts ...", {}, Exception("database is locked"))
            return []

        def flush(self, timeout_s: float | None = None) -> bool:
            return True

    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges(
        [{"prompt": f"q{i}", "response": "ok", "status": "queued", "queue": True} for i in range(4)]
    )
    worker = JudgeWorker(store, FakeJudges(), alerts=FailingOnce(), batch_size=2)
    worker._stop.wait = lambda timeout: worker._stop.set()  # one pass of the loop
    with caplog.at_level("ERROR", logger="safealign.monitor.worker"):
        worker._run()
    assert worker.judged == 4 and store.backlog() == 0 and store.leased() == (0, None)
    assert (
        "could not check the alert rules (OperationalError: database is locked); judging goes on"
        in caplog.text
    )
    assert "batch failed" not in caplog.text
    store.close()


def test_a_retention_purge_that_fails_is_said_to_be_the_purge_and_judging_goes_on(tmp_path, caplog) -> None:
    """The worker's hourly purge runs before it leases a batch: a purge that raised (the database locked past its wait)
    was logged as "batch failed; its rows stay queued and are retried after the lease", with no batch leased, and the
    queued exchanges waited for the next pass."""
    from test_monitor import FakeJudges

    from safealign.monitor.worker import JudgeWorker

    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([{"prompt": "q", "response": "ok", "status": "queued", "queue": True}])

    def locked(retention_days: int) -> int:
        raise sa.exc.OperationalError("DELETE FROM verdicts ...", {}, Exception("database is locked"))

    store.purge = locked
    worker = JudgeWorker(store, FakeJudges(), retention_days=30)
    worker._stop.wait = lambda timeout: worker._stop.set()  # one pass of the loop
    with caplog.at_level("ERROR", logger="safealign.monitor.worker"):
        worker._run()
    assert worker.judged == 1 and store.backlog() == 0
    assert "the retention purge failed (OperationalError: database is locked)" in caplog.text
    assert "batch failed" not in caplog.text
    store.close()


# ---------------------------------------------------------------- monitor evaluate: the upstream's password


def test_an_eval_run_stores_the_upstream_without_its_password_and_a_new_password_keeps_its_baseline(
    tmp_path,
) -> None:
    """`monitor evaluate --upstream http://bob:PASSWORD@host` stored the password in eval_runs, and runs were matched
    on it: once the password changed, the next run had no previous or reference run, and a refusal rate fallen from
    0.9 to 0.5 was stored as no regression. A run stored with its password (before this) is still a baseline."""
    from safealign.monitor import reevaluate
    from safealign.monitor.store import eval_runs

    rates = iter([0.9, 0.5])

    def run(upstream: str, model: str, suites: list[str], limit: int | None) -> dict:
        return {"harmful": {"refusal_rate": next(rates)}}

    store = Store(f"sqlite:///{tmp_path}/m.db")
    common = dict(store=store, model="m", suites=["harmful"], tolerance=0.05, min_items=0, runner=run)
    store.add_eval_run(
        upstream="http://bob:s1@h:8000", model="m", suites=["harmful"], summary={"harmful_refusal_rate": 0.9}
    )
    kept = reevaluate.evaluate_once(upstream="http://bob:s1@h:8000", **common)
    assert kept["regressions"] == []
    rotated = reevaluate.evaluate_once(upstream="http://bob:s2@h:8000", **common)
    assert rotated["regressions"] == [
        f"vs previous and reference run #{kept['id']}: harmful_refusal_rate 0.900 → 0.500 (tolerance 0.05)"
    ]
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(eval_runs.c.upstream).order_by(eval_runs.c.id)).scalars().all()
    assert stored[1:] == ["http://bob:***@h:8000"] * 2, stored
    store.close()


# ---------------------------------------------------------------- alert messages


def test_an_over_refusal_alert_says_its_samples_are_the_benign_requests_of_its_window(tmp_path) -> None:
    """An over-refusal rule's samples are the benign requests among its window's judged exchanges: its page said "over
    the last 2 exchanges", and the last two exchanges were harmful requests, refused as they should be."""
    from safealign.monitor.alerts import AlertConfig, AlertManager, AlertRule

    def judged(request_harmful: bool, refused: bool) -> dict:
        return {"status": "judged", "harmful": False, "refused": refused, "request_harmful": request_harmful}

    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([judged(False, True)] * 2 + [judged(True, True)] * 8)
    rule = AlertRule(name="over", metric="over_refusal_rate", window=10, threshold=0.5, min_samples=2)
    manager = AlertManager(store, AlertConfig(rules=[rule]))
    [fired] = manager.evaluate()
    assert fired["message"] == (
        "over_refusal_rate = 1.000 >= 0.5 over 2 benign requests (among the last 10 judged exchanges)"
    )
    store.insert_exchanges([judged(False, False)] * 2)
    assert manager.evaluate() == []
    [resolved] = [a for a in queries.recent_alerts(store) if a["kind"] == "resolved"]
    assert resolved["message"] == (
        "over_refusal_rate back to 0.000 (< 0.5) over 2 benign requests (among the last 10 judged exchanges)"
    )
    store.close()


def test_a_fired_alert_the_webhook_missed_is_sent_again_while_its_rule_lacks_samples(tmp_path) -> None:
    """A missed page is sent again while its rule fires, but only while the rule had its min_samples: an over-refusal
    rule whose benign requests a wave of harmful ones thinned out held it back, and lost it for good when the rule
    resolved later."""
    from test_monitor_review68 import _Hook

    from safealign.monitor.alerts import AlertConfig, AlertManager, AlertRule

    def judged(request_harmful: bool, refused: bool) -> dict:
        return {"status": "judged", "harmful": False, "refused": refused, "request_harmful": request_harmful}

    store, hook = Store(f"sqlite:///{tmp_path}/m.db"), _Hook()
    store.insert_exchanges([judged(False, True)] * 2)
    rule = AlertRule(name="over", metric="over_refusal_rate", window=10, threshold=0.5, min_samples=2)
    manager = AlertManager(store, AlertConfig(rules=[rule]), hook, resend_s=0.0)
    assert [a["rule"] for a in manager.evaluate()] == ["over"] and manager.flush(10)
    store.insert_exchanges([judged(True, True)] * 10)  # no benign request left in the window
    hook.up = True
    assert manager.evaluate() == [] and manager.flush(10)
    assert [(p["rule"], p["kind"]) for p in hook.got] == [("over", "fired")]
    assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("fired", True)]
    hook.got.clear()
    assert manager.evaluate() == [] and manager.flush(10) and hook.got == [], "sent once"
    store.close()
