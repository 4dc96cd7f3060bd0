"""Group commit: one thread writes every pending exchange in one transaction, then releases the requests.

A commit per request would cost the gateway a transaction per answer and, on SQLite, serialise all
requests on the write lock. Here requests hand their row to a queue and await; the writer thread
takes whatever is waiting (up to ``max_batch``), commits it at once and resolves each request's future.
Under load the batches grow by themselves, so the cost per exchange falls as traffic rises, and no
request is answered before its row is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from safealign.errors import SafealignError
from safealign.monitor.store import CommitUnknownError, Store

log = logging.getLogger(__name__)

_STOP = object()
Pending = tuple[dict[str, Any], asyncio.Future, asyncio.AbstractEventLoop]


class ExchangeWriter:
    """``await writer.write(row)`` returns the exchange id once the row (and its queue row) is committed."""

    def __init__(self, store: Store, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # lists of Pending, or _STOP
        self._ticks: dict[asyncio.AbstractEventLoop, list[Pending]] = {}  # rows written in the loop's current tick
        self._thread = threading.Thread(target=self._run, name="exchange-writer", daemon=True)
        # The thread keeps one connection: a pool checkout and reset per batch cost as much as the insert.
        self._conn: sa.Connection | None = None
        self.commits = 0
        self._last_error: BaseException | None = None
        # Rows handed to the thread and not yet settled (stored, or failed with a logged error): what a stop that gives
        # up waiting leaves unwritten.
        self._unsettled = 0
        self._count_lock = threading.Lock()  # also orders a hand-over against the stop (see ``_hand_over``)
        self._stopping = False

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0, patience: float = 120.0) -> int:
        """Flush what is pending, then stop the thread; returns how many exchanges it left unwritten (0: none).

        Rows still queued when the process exits are lost (the thread is a daemon), so a slow or locked database (a
        VACUUM, another process's long write, a PostgreSQL server under load: the writer waits 30 s for a SQLite lock)
        gets ``patience`` seconds more after ``timeout``, said in the log, and what is left after that is counted there.
        """
        with self._count_lock:
            self._stopping = True
            self._queue.put(_STOP)
        if self._thread.ident is None:  # never started (a gateway whose start failed first): nothing to flush
            return 0
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning(
                "stopping: %d exchanges are still being stored after %.0f s (the database is slow or locked); "
                "waiting up to %.0f s more for them",
                self._unsettled,
                timeout,
                patience,
            )
            self._thread.join(patience)
        if not self._thread.is_alive():
            return 0
        left = self._unsettled
        log.error(
            "stopping: %d exchanges were not stored: the database did not take them within %.0f s of the stop, and they "
            "are lost when the process exits",
            left,
            timeout + patience,
        )
        return left

    async def write(self, row: dict[str, Any]) -> int:
        if self._stopping:  # the thread is gone or about to go: nobody would ever answer this write
            raise _stopped(1)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        tick = self._ticks.setdefault(loop, [])
        if not tick:  # the first row of this loop tick: hand the tick's rows over once it ends
            loop.call_soon(self._hand_over, loop)
        tick.append((row, future, loop))
        return await future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        """One queue put (one wake-up of the writer thread) per loop tick, not one per request."""
        rows = self._ticks.pop(loop)
        with self._count_lock:
            # Rows handed over after the stop would follow its marker in the queue, where the thread, gone, never reads
            # them: their requests waited forever (a write whose tick ended after the stop, a client's disconnect stored
            # by a task while the gateway shut down). They fail now, and their requests answer 503.
            if not self._stopping:
                self._unsettled += len(rows)
                self._queue.put(rows)
                return
        error = _stopped(len(rows))
        _settle([(future, error) for _, future, _ in rows])

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            stopping = item is _STOP
            batch = [] if stopping else list(item)
            while len(batch) < self.max_batch:
                try:
                    extra = self._queue.get_nowait()
                except queue.Empty:
                    break
                if extra is _STOP:
                    stopping = True
                    continue
                batch.extend(extra)
            if batch:
                self._commit(batch)
            if stopping:
                self._close_connection()
                return

    def _commit(self, batch: list[Pending]) -> None:
        rows = [row for row, _, _ in batch]
        outcomes: list[Any] | None = self._insert(rows)
        if outcomes is None:
            # A bad row must not fail its batch: the rows are tried one by one, unless the batch may be stored already.
            # A batch of one is tried again when its kept connection had been lost (a database server restarted since
            # the last batch): the retry reconnects, where the request got a 503 while the database was back up.
            lost = bool(getattr(self._last_error, "connection_invalidated", False))
            retry = (len(batch) > 1 or lost) and not isinstance(self._last_error, CommitUnknownError)
            outcomes = self._insert_each(rows) if retry else [self._last_error] * len(batch)
        with self._count_lock:
            self._unsettled -= len(batch)
        # One wake-up per event loop for the whole batch, not one per request.
        settled: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = defaultdict(list)
        for (_, future, loop), outcome in zip(batch, outcomes, strict=True):
            settled[loop].append((future, outcome))
        for loop, futures in settled.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, futures)

    def _insert_each(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The rows of a failed batch committed one by one: one bad row (text the database refuses, say) must not fail
        the requests it shared a batch with, so only the bad row's request answers 503. Once a row fails for the
        database's own reason (`_database_failure`), the rest fail with it untried: each would meet it again, on a
        SQLite file locked past the 30 s wait after another 30 s each, and a batch of 100 held its requests, and every
        request behind them, for 50 minutes."""
        outcomes: list[Any] = []
        for row in rows:
            last = outcomes[-1] if outcomes else None
            if isinstance(last, BaseException) and _database_failure(last):
                outcomes.append(last)
            else:
                outcomes.append(self._insert_one(row))
        return outcomes

    def _insert_one(self, row: dict[str, Any]) -> Any:
        ids = self._insert([row])
        return self._last_error if ids is None else ids[0]

    def _insert(self, rows: list[dict[str, Any]]) -> list[Any] | None:
        """The rows' ids once committed, or None (the error in ``_last_error``): those requests answer 503."""
        try:
            if problem := self.store.file_problem():
                raise SafealignError(problem)
            self._conn = self._conn or self.store.request_path_connection()
            ids = self.store.insert_exchanges(rows, self._conn)
            self.commits += 1
            return ids
        except Exception as failure:
            if isinstance(failure, SafealignError):  # said in full, no traceback needed
                log.error("could not store %d exchanges: %s", len(rows), failure)
            else:
                log.exception("could not store %d exchanges", len(rows))
            self._last_error = failure
            self._close_connection()  # it may be broken (a restarted database server): the next try reconnects
            return None

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def _stopped(count: int) -> SafealignError:
    log.error(
        "%d exchanges were not stored: they came after the exchange writer stopped (the gateway is stopping)",
        count,
    )
    return SafealignError(
        "the exchange writer has stopped (the gateway is stopping): the exchange was not stored"
    )


def _database_failure(error: BaseException) -> bool:
    """Whether ``error`` is the database's, not a row's: locked past the wait, unreachable, its connection lost, its
    file gone (``Store.file_problem``). A row's own is another kind (a DataError, a UnicodeEncodeError, a ValueError)."""
    return isinstance(error, sa.exc.OperationalError | sqlite3.OperationalError | SafealignError) or bool(
        getattr(error, "connection_invalidated", False)
    )


def _settle(futures: list[tuple[asyncio.Future, Any]]) -> None:
    """Resolve each future with its exchange id, or fail it with its exception."""
    for future, outcome in futures:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
