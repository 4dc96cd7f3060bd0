"""The monitor's durability: a stop while the database is slow, a commit whose acknowledgement was lost, a gateway
whose start fails part-way."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_monitor import FakeJudges

import safealign.monitor.gateway as gateway_module
from safealign.config.sections import MonitorConfig
from safealign.monitor import create_gateway
from safealign.monitor.store import CommitUnknownError, Store, exchanges
from safealign.monitor.writer import ExchangeWriter


def stored_prompts(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(exchanges.c.prompt).order_by(exchanges.c.id)).scalars())


def queued_rows(n: int) -> list[dict]:
    return [{"prompt": f"p{i}", "response": "r", "status": "queued", "queue": True} for i in range(n)]


@pytest.mark.sqlite_only
def test_a_stop_waits_for_rows_a_locked_database_holds_up_and_says_so(tmp_path, caplog):
    # stop() gave up after its timeout while the thread still waited for the lock: the rows (a disconnected client's,
    # stored by a task nobody awaits) were lost when the process exited, without a word
    db = tmp_path / "m.db"
    store = Store(f"sqlite:///{db}")
    lock = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    lock.execute("BEGIN IMMEDIATE")  # another process's long write (a VACUUM, a sqlite3 shell)
    threading.Timer(1.0, lambda: lock.execute("COMMIT")).start()
    writer = ExchangeWriter(store)
    writer.start()

    async def write_and_stop() -> int:
        loop = asyncio.get_running_loop()
        for row in queued_rows(5):
            loop.create_task(writer.write(row))
        await asyncio.sleep(0.05)
        return writer.stop(timeout=0.2)

    with caplog.at_level(logging.WARNING, logger="safealign.monitor.writer"):
        left = asyncio.run(write_and_stop())
    assert left == 0 and not writer._thread.is_alive()
    assert stored_prompts(store) == [f"p{i}" for i in range(5)] and store.backlog() == 5
    assert "5 exchanges are still being stored after 0 s" in caplog.text


@pytest.mark.sqlite_only
def test_a_stop_that_could_not_flush_says_how_many_exchanges_were_not_stored(tmp_path, caplog):
    db = tmp_path / "m.db"
    store = Store(f"sqlite:///{db}")
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    writer = ExchangeWriter(store)
    writer.start()

    async def write_and_stop() -> int:
        loop = asyncio.get_running_loop()
        for row in queued_rows(3):
            loop.create_task(writer.write(row))
        await asyncio.sleep(0.05)
        return writer.stop(timeout=0.1, patience=0.1)

    try:
        with caplog.at_level(logging.WARNING, logger="safealign.monitor.writer"):
            assert asyncio.run(write_and_stop()) == 3
    finally:
        lock.execute("COMMIT")
        writer._thread.join(5)
    assert "3 exchanges were not stored" in caplog.text


def test_stopping_a_writer_that_never_started_is_a_no_op(tmp_path):
    assert ExchangeWriter(Store(f"sqlite:///{tmp_path}/m.db")).stop() == 0


async def writer_round(writer: ExchangeWriter, rows: list[dict]) -> list:
    return await asyncio.gather(*(writer.write(row) for row in rows), return_exceptions=True)


def commit_then_lose_the_ack(store: Store, times: int = 1) -> None:
    """The PostgreSQL insert path (SQLite has its own), on a database whose COMMIT reaches the server and whose
    acknowledgement is lost with the connection ``times`` times."""
    store._sqlite_insert = None
    real, left = store.engine.dialect.do_commit, [times]

    def do_commit(dbapi_connection) -> None:
        real(dbapi_connection)
        if left[0]:
            left[0] -= 1
            raise store.engine.dialect.loaded_dbapi.OperationalError(
                "consuming input failed: server closed the connection unexpectedly"
            )

    store.engine.dialect.do_commit = do_commit


def test_a_batch_whose_commit_acknowledgement_was_lost_is_not_written_twice(tmp_path):
    # the batch failed, so the writer retried it row by row: three requests stored (queued, judged) six exchanges
    store = Store(f"sqlite:///{tmp_path}/m.db")
    commit_then_lose_the_ack(store)
    writer = ExchangeWriter(store)
    writer.start()
    ids = asyncio.run(writer_round(writer, queued_rows(3)))
    writer.stop()
    assert stored_prompts(store) == ["p0", "p1", "p2"] and store.backlog() == 3
    assert ids == [1, 2, 3]


def test_a_commit_that_failed_before_the_server_stored_it_is_still_retried(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store._sqlite_insert = None
    real, left = store.engine.dialect.do_commit, [1]

    def do_commit(dbapi_connection) -> None:
        if left[0]:
            left[0] -= 1
            dbapi_connection.rollback()
            raise store.engine.dialect.loaded_dbapi.OperationalError(
                "server closed the connection unexpectedly"
            )
        real(dbapi_connection)

    store.engine.dialect.do_commit = do_commit
    writer = ExchangeWriter(store)
    writer.start()
    ids = asyncio.run(writer_round(writer, queued_rows(3)))
    writer.stop()
    assert all(isinstance(i, int) for i in ids) and stored_prompts(store) == ["p0", "p1", "p2"]


def test_a_lost_commit_the_database_cannot_be_asked_about_fails_without_a_second_write(tmp_path, monkeypatch):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    writer = ExchangeWriter(store)
    writer.start()
    asyncio.run(
        writer_round(writer, queued_rows(1))
    )  # the writer's connection is open before the database goes away
    commit_then_lose_the_ack(store)
    connect = store.engine.connect

    def unreachable_once():
        monkeypatch.setattr(store.engine, "connect", connect)
        raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("connection refused"))

    monkeypatch.setattr(store.engine, "connect", unreachable_once)
    outcomes = asyncio.run(
        writer_round(writer, [{**row, "prompt": f"q{i}"} for i, row in enumerate(queued_rows(3))])
    )
    writer.stop()
    assert all(isinstance(o, CommitUnknownError) for o in outcomes), (
        outcomes
    )  # 503s: the client decides to resend
    assert "could not be checked" in str(outcomes[0])
    assert stored_prompts(store) == ["p0", "q0", "q1", "q2"]  # stored once, not again row by row
    assert store.backlog() == 4


class BrokenHarm:
    def judge(self, prompts, responses):
        raise RuntimeError("the harm judge's model did not load")


def start_failing(app) -> None:
    with pytest.raises((RuntimeError, OSError)), TestClient(app):
        pass


def test_a_gateway_whose_start_fails_closes_its_upstream_session(tmp_path, monkeypatch):
    sessions = []
    real = gateway_module.upstream_session
    monkeypatch.setattr(
        gateway_module, "upstream_session", lambda c: sessions.append(real(c)) or sessions[-1]
    )
    judges = FakeJudges()
    judges.harm = BrokenHarm()
    config = MonitorConfig(
        upstream="http://127.0.0.1:9",
        db=f"sqlite:///{tmp_path}/m.db",
        api_key="k",
        blocking=True,
        worker="none",
    )
    start_failing(create_gateway(config, judges=judges, start_worker=False))
    assert sessions and sessions[0].closed


def test_a_gateway_whose_worker_cannot_spawn_stops_its_writer_thread(tmp_path, monkeypatch):
    def no_fork(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(gateway_module, "spawn_worker_process", no_fork)
    config = MonitorConfig(
        upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", api_key="k", worker="process"
    )
    app = create_gateway(config, judges=FakeJudges(), start_worker=True)
    before = set(threading.enumerate())
    start_failing(app)
    deadline = time.monotonic() + 5
    while (
        any(t.name == "exchange-writer" for t in set(threading.enumerate()) - before)
        and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    assert not [t.name for t in set(threading.enumerate()) - before if t.name == "exchange-writer"]
