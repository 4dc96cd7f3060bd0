"""Review of the monitor's store, judge worker and scheduled evals: each test reproduces one defect found."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import event
from test_monitor import FakeJudges

from safealign.judges.base import SAFE, Verdict
from safealign.monitor import queries
from safealign.monitor import store as store_module
from safealign.monitor.reevaluate import summarize
from safealign.monitor.store import Store, utcnow
from safealign.monitor.worker import JudgeWorker


@pytest.mark.sqlite_only
def test_a_closed_request_path_connection_leaves_no_zero_busy_timeout_in_the_pool(tmp_path):
    """The writer closes its connection after a failed batch; the pool then handed it, busy_timeout=0, to the next
    user: a judge worker thread's claim failed at once ("database is locked") on a write lock held for a moment."""
    path = tmp_path / "m.db"
    store = Store(f"sqlite:///{path}")
    writer = store.request_path_connection()
    store.insert_exchanges([{"prompt": "hi", "response": "hello", "status": "queued", "queue": True}], writer)
    writer.close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for 0.2 s
    release = threading.Timer(0.2, holder.execute, ("COMMIT",))
    release.start()
    try:
        with store.engine.connect() as conn:
            assert [row["id"] for row in store.claim(8, conn=conn)] == [1]
    finally:
        release.join()
        holder.close()
    # and the connection that goes on being a request-path one keeps its own short waits
    writer = store.request_path_connection()
    assert writer.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0
    writer.close()


def test_the_purge_deletes_in_short_transactions(tmp_path, monkeypatch):
    """The retention purge deleted every old exchange in one transaction: on SQLite the gateway's writer waited for
    the write lock all along (1.7 s for 200,000 exchanges, past its 30 s and a 503 for millions)."""
    monkeypatch.setattr(store_module, "PURGE_CHUNK", 2, raising=False)
    store = Store(f"sqlite:///{tmp_path}/m.db")
    old = utcnow() - dt.timedelta(days=40)
    store.insert_exchanges(
        [
            {"prompt": f"old{i}", "response": "ok", "status": "queued", "queue": True, "created_at": old}
            for i in range(5)
        ]
        + [{"prompt": "new", "response": "ok", "status": "queued", "queue": True}]
    )
    assert JudgeWorker(store, FakeJudges()).drain() == 6
    store.insert_exchanges([{"prompt": "old", "status": "queued", "queue": True, "created_at": old}])
    deleted_per_statement: list[int] = []

    @event.listens_for(store.engine, "after_cursor_execute")
    def count(conn, cursor, statement, *_):
        if statement.lstrip().upper().startswith("DELETE FROM EXCHANGES"):
            deleted_per_statement.append(cursor.rowcount)

    assert store.purge(retention_days=30) == 6
    assert max(deleted_per_statement) <= 2 and sum(deleted_per_statement) == 6
    with store.engine.connect() as conn:
        left = {
            table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
            for table in ("exchanges", "verdicts", "judge_queue")
        }
    # the new exchange and its three verdicts
    assert left == {"exchanges": 1, "verdicts": 3, "judge_queue": 0}
    assert store.purge(retention_days=30) == 0


def test_the_over_refusal_headline_prefers_over_refusal_rate_wherever_the_dict_has_it():
    """HEADLINES reads a borderline suite's over_refusal_rate, else its refusal_rate; summarize() took whichever came
    first in the runner's dict, so a suite listing refusal_rate first was watched on the wrong rate."""
    summary = summarize(
        {"borderline": {"refusal_rate": 0.4, "over_refusal_rate": 0.1}, "harmful": {"refusal_rate": 0.9}}
    )
    assert summary["over_refusal_rate"] == 0.1 and summary["harmful_refusal_rate"] == 0.9
    # the fallback still works
    assert summarize({"borderline": {"refusal_rate": 0.4}})["over_refusal_rate"] == 0.4


class LabelOnlyHarm:
    """A guard that gives a label and no confidence: its verdicts' score is None."""

    name = "label-only-guard"

    def judge(self, prompts, responses):
        return [Verdict(SAFE, None, "safe", self.name, {"hazard": 0.0}) for _ in responses]


def test_a_verdict_without_a_score_is_stored_not_a_judge_failure(tmp_path):
    """_verdict_row's float(None) raised a TypeError on every batch and every row: each exchange the guard judged was
    marked judge_failed, with a traceback that did not name the judge, though its labels were all the worker needs."""
    judges = FakeJudges()
    judges.harm = LabelOnlyHarm()
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges([{"prompt": "hi", "response": "hello", "status": "queued", "queue": True}] * 2)
    worker = JudgeWorker(store, judges, max_attempts=1)
    assert worker.drain() == 2 and worker.failed == 0
    exported = list(queries.export_exchanges(store))
    assert [row["status"] for row in exported] == ["judged", "judged"]
    assert {v["role"]: v["score"] for v in exported[0]["verdicts"]}["harm"] is None
