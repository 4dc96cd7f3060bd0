"""Group commit: one thread writes every pending exchange in one transaction, then releases the requests.

A commit per request would cost the gateway a transaction per answer and, on SQLite, serialise all
requests on the write lock. Here requests hand their row to a queue and await; the writer thread
takes whatever is waiting (up to ``max_batch``), commits it at once and resolves each request's future.
Under load the batches grow by themselves, so the cost per exchange falls as traffic rises, and no
request is answered before its row is committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

from safealign.monitor.store import Store

log = logging.getLogger(__name__)

_STOP = object()


class ExchangeWriter:
    """``await writer.write(row)`` returns the exchange id once the row (and its queue row) is committed."""

    def __init__(self, store: Store, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="exchange-writer", daemon=True)
        self.commits = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Flush what is pending, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    async def write(self, row: dict[str, Any]) -> int:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((row, future, loop))
        return await future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            stopping = item is _STOP
            batch = [] if stopping else [item]
            while len(batch) < self.max_batch:
                try:
                    extra = self._queue.get_nowait()
                except queue.Empty:
                    break
                if extra is _STOP:
                    stopping = True
                    continue
                batch.append(extra)
            if batch:
                self._commit(batch)
            if stopping:
                return

    def _commit(self, batch: list[tuple[dict[str, Any], asyncio.Future, asyncio.AbstractEventLoop]]) -> None:
        try:
            ids = self.store.insert_exchanges([row for row, _, _ in batch])
            self.commits += 1
        except Exception as error:  # the requests answer 503: nothing unstored is acknowledged
            log.exception("could not store %d exchanges", len(batch))
            for _, future, loop in batch:
                loop.call_soon_threadsafe(_settle, future, None, error)
            return
        for (_, future, loop), exchange_id in zip(batch, ids, strict=True):
            loop.call_soon_threadsafe(_settle, future, exchange_id, None)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
