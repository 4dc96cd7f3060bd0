"""Run the app under uvicorn with a graceful stop that answers every request it will not finish.

uvicorn's own graceful stop waits ``timeout_graceful_shutdown`` seconds for open requests, then cancels
their tasks: each client of a long generation got a plain-text ``500 Internal Server Error`` and the log a
traceback. Here the first SIGTERM/SIGINT also schedules :meth:`Batcher.close` shortly before that deadline,
so answers that finish in time are sent, and the rest get an OpenAI-style 503 with ``Retry-After`` that
client libraries retry. (uvicorn has no hook for "shutdown began" besides its signal handler, hence the
subclass.)
"""

from __future__ import annotations

import asyncio
import logging
import socket
from types import FrameType

from fastapi import FastAPI

log = logging.getLogger(__name__)

STOP_REASON = "it received a stop signal before this answer was generated"


def close_batcher_later(app: FastAPI, delay_s: float) -> None:
    """From a signal handler: close the app's batcher ``delay_s`` seconds from now, on its event loop."""
    loop: asyncio.AbstractEventLoop | None = getattr(app.state, "loop", None)
    if loop is None or loop.is_closed():
        return
    loop.call_soon_threadsafe(loop.call_later, delay_s, app.state.batcher.close, STOP_REASON)


def run_server(app: FastAPI, host: str, port: int, grace_s: float | None = 5.0) -> None:
    """Serve ``app`` until SIGTERM/SIGINT; answers still generating ``grace_s - 1`` seconds after it get a 503.

    "ready" is logged once the port is bound: a port taken after the CLI's check (while the model loaded) is uvicorn's
    one-line bind error and exit 3, with no line before it saying the server runs."""
    import uvicorn  # only `safealign serve` needs it

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                log.info("ready: listening on port %d (Ctrl-C or SIGTERM stops it)", port)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if not self.should_exit and grace_s is not None:
                close_batcher_later(app, max(0.0, grace_s - 1.0))
            super().handle_exit(sig, frame)

    Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=grace_s)).run()
