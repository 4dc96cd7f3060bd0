"""The monitor's stop and start leftovers: a write after the writer stopped, a worker stopped before its alert pages
went out, a refused start's new database, two monitors opening one database at once, a failed open's connections."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa

import safealign.monitor.store as store_module
import safealign.monitor.worker as worker_module
from safealign.config.sections import MonitorConfig
from safealign.errors import SafealignError
from safealign.monitor import create_gateway
from safealign.monitor.store import Store, exchanges
from safealign.monitor.worker import JudgeWorker, stop_worker_process
from safealign.monitor.writer import ExchangeWriter


def a_row(prompt: str) -> dict:
    return {"prompt": prompt, "response": "r", "status": "queued", "queue": True}


# ---------------------------------------------------------------- the writer


def test_a_write_once_the_writer_stopped_fails_at_once_instead_of_waiting_forever(tmp_path):
    # the thread had exited: the row sat in its queue, and the request (a disconnected client's store task, a request
    # still in flight as the gateway shut down) waited forever
    store = Store(f"sqlite:///{tmp_path}/m.db")
    writer = ExchangeWriter(store)
    writer.start()

    async def write_around_the_stop() -> list:
        stored = await writer.write(a_row("before"))
        handed_over = asyncio.ensure_future(writer.write(a_row("same tick")))
        await asyncio.sleep(
            0
        )  # it waits on its row: the hand-over to the thread comes at the end of the tick
        writer.stop()  # the gateway's shutdown, synchronous on the loop
        outcomes = [stored]
        for pending in (handed_over, writer.write(a_row("after"))):
            try:
                outcomes.append(await asyncio.wait_for(pending, 2))
            except SafealignError as error:
                outcomes.append(str(error))
        return outcomes

    outcomes = asyncio.run(write_around_the_stop())
    assert outcomes[0] == 1
    assert all("exchange writer has stopped" in outcome for outcome in outcomes[1:]), outcomes
    with store.engine.connect() as conn:
        assert list(conn.execute(sa.select(exchanges.c.prompt)).scalars()) == ["before"]
    store.close()


# ---------------------------------------------------------------- the judge worker's stop


class SlowToExit:
    """A worker process that exits ``needs_s`` after SIGTERM (its batch, then its alert flush), without sleeping."""

    def __init__(self, needs_s: float) -> None:
        self.needs_s, self.killed, self.waits = needs_s, False, []

    def terminate(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        self.waits.append(timeout)
        if not self.killed and (timeout is None or timeout < self.needs_s):
            raise subprocess.TimeoutExpired("safealign monitor judge", timeout)
        return 0

    def kill(self) -> None:
        self.killed = True


def test_the_gateway_waits_for_its_worker_process_to_send_the_alerts_it_fired(caplog):
    # it killed the worker 15 s after SIGTERM while the worker's end-of-run flush (up to 30 s) was still delivering an
    # incident's pages to a slow webhook: the rest were lost (stored delivered=False) without a word
    process = SlowToExit(
        needs_s=1.0 + worker_module.ALERT_FLUSH_S
    )  # a short batch, then the flush's whole wait
    with caplog.at_level(logging.WARNING, logger="safealign.monitor.worker"):
        stop_worker_process(process)
    assert not process.killed and caplog.text == ""


def test_a_worker_process_killed_at_the_stop_is_said_and_reaped(caplog):
    process = SlowToExit(needs_s=float("inf"))
    with caplog.at_level(logging.WARNING, logger="safealign.monitor.worker"):
        stop_worker_process(process, timeout_s=0.1)
    assert process.killed and len(process.waits) == 2  # waited for after the kill: no zombie
    assert "did not stop within 0 s of SIGTERM: killed" in caplog.text
    assert "alert webhook deliveries still under way are lost" in caplog.text


class SlowFlushAlerts:
    """Alerts whose webhook deliveries take ``flush_s`` to go out at the worker's end."""

    def __init__(self, flush_s: float) -> None:
        self.flush_s, self.flushed = flush_s, threading.Event()

    def evaluate(self) -> list:
        return []

    def flush(self, timeout_s: float | None = None) -> bool:
        time.sleep(min(self.flush_s, timeout_s or self.flush_s))
        self.flushed.set()
        return timeout_s is None or timeout_s >= self.flush_s


def test_a_judge_worker_thread_stop_waits_for_its_alert_flush(tmp_path, monkeypatch):
    # stop(timeout) joined for the same time the thread's own flush could take after its last batch: the stop returned
    # (and the store closed) with deliveries under way, and the flush's "still under way" warning never came
    monkeypatch.setattr(worker_module, "ALERT_FLUSH_S", 2.0, raising=False)
    store = Store(f"sqlite:///{tmp_path}/m.db")
    alerts = SlowFlushAlerts(flush_s=0.6)
    worker = JudgeWorker(store, judges=None, alerts=alerts, idle_s=0.05, linger_s=0.01)
    worker.start()
    time.sleep(0.1)
    worker.stop(timeout=0.3)
    assert alerts.flushed.is_set() and not worker._thread.is_alive()
    store.close()


# ---------------------------------------------------------------- a refused start


def raising_judges():
    raise RuntimeError("OPENAI_API_KEY is not set")


def no_judges():
    return object()


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "factory, says", [("raising_judges", "the factory raised"), ("no_judges", "no .refusal")]
)
def test_a_start_refused_for_its_judge_factory_leaves_no_database_behind(tmp_path, factory, says):
    # the store opens before the judges load (a bad --db fails before a model loads): a factory that raised, or returned
    # no judges, left runs/m.db (with its -wal and -shm files and its folder), which the next start took for the real one
    judge = f"import:test_monitor_shutdown_review66:{factory}"
    config = MonitorConfig(
        upstream="http://127.0.0.1:9",
        db=f"sqlite:///{tmp_path}/runs/m.db",
        api_key="k",
        worker="thread",
        judge=judge,
    )
    with pytest.raises(SafealignError, match=says):
        create_gateway(config)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.sqlite_only
def test_a_start_refused_for_its_judge_factory_keeps_a_database_that_was_there(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    store = Store(db)
    store.insert_exchanges([a_row("kept")])
    store.close()
    config = MonitorConfig(
        upstream="http://127.0.0.1:9",
        db=db,
        api_key="k",
        worker="thread",
        judge="import:test_monitor_shutdown_review66:raising_judges",
    )
    with pytest.raises(SafealignError, match="the factory raised"):
        create_gateway(config)
    store = Store(db)
    assert store.backlog() == 1
    store.close()


# ---------------------------------------------------------------- two monitors opening one database


def open_together(url: str, count: int = 2) -> list[str]:
    """Open ``count`` stores on ``url`` at the same moment; the errors of those that failed."""
    barrier, errors = threading.Barrier(count), []

    def open_store() -> None:
        barrier.wait()
        try:
            Store(url).close()
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=open_store) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_monitors_creating_one_new_database_at_once_both_start(tmp_path):
    # a gateway and a `monitor judge` started together (two gateway replicas on one new PostgreSQL database): both saw
    # the tables missing, and the second's CREATE TABLE failed its start ("table exchanges already exists")
    errors = [error for i in range(20) for error in open_together(f"sqlite:///{tmp_path}/m{i}.db")]
    assert errors == []


@pytest.mark.sqlite_only
def test_two_monitors_upgrading_an_older_database_at_once_both_start(tmp_path, monkeypatch):
    # both read the columns, both saw the new one missing, and the second's ALTER TABLE failed its start ("duplicate
    # column name: choices", on PostgreSQL "column ... already exists")
    db = tmp_path / "m.db"
    Store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "ALTER TABLE exchanges DROP COLUMN choices"
        )  # a database made before n > 1 answers were stored
    barrier, seen = threading.Barrier(2), threading.local()
    get_columns = sa.engine.reflection.Inspector.get_columns

    def read_together(
        self, *args, **kwargs
    ):  # each thread's first read of the columns is before either changes them
        columns = get_columns(self, *args, **kwargs)
        if not getattr(seen, "once", False):
            seen.once = True
            barrier.wait(5)
        return columns

    monkeypatch.setattr(sa.engine.reflection.Inspector, "get_columns", read_together)
    assert open_together(f"sqlite:///{db}") == []
    monkeypatch.undo()
    with sqlite3.connect(db) as conn:
        assert "choices" in {row[1] for row in conn.execute("PRAGMA table_info(exchanges)")}


@pytest.mark.sqlite_only
def test_a_store_that_fails_to_open_closes_its_connections(tmp_path, monkeypatch):
    # another tool's database given as --db, whose `exchanges` is a view: the schema step failed and the engine's
    # pooled connection kept the file open (until the cyclic GC collected the engine: never after the gateway's freeze)
    db = tmp_path / "m.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE VIEW exchanges AS SELECT 1 AS x")
    engines = []
    create = store_module.create_db_engine
    monkeypatch.setattr(
        store_module, "create_db_engine", lambda url: engines.append(create(url)) or engines[-1]
    )
    with pytest.raises(SafealignError, match="Cannot add a column to a view"):
        Store(f"sqlite:///{db}")
    assert engines[0].pool.checkedin() == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", ["judge", "evaluate"])
def test_monitor_judge_and_evaluate_refused_for_their_judge_factory_leave_no_database_behind(
    tmp_path, command
):
    """`monitor judge` and `monitor evaluate` open the store before the judges load, as the gateway does: a factory
    that raised left a new, empty database (and its folder) behind."""
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    db = f"sqlite:///{tmp_path}/runs/m.db"
    judge = "import:test_monitor_shutdown_review66:raising_judges"
    extra = ["--upstream", "http://127.0.0.1:9", "--model", "m"] if command == "evaluate" else []
    result = CliRunner().invoke(cli, ["monitor", command, "--once", "--db", db, "--judge", judge, *extra])
    assert result.exit_code != 0 and "the factory raised" in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []
