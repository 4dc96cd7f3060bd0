"""Review 69: the monitor's dashboard, metrics, security and queries, and `safealign serve`'s start-up."""

from __future__ import annotations

import logging
import socket

from fastapi import FastAPI
from typer.testing import CliRunner


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_does_not_say_serving_when_the_port_was_taken_while_the_model_loaded(tiny, monkeypatch):
    """'serving tiny at URL' was printed before uvicorn bound the port: taken meanwhile, the line claimed a server that
    never ran, followed by uvicorn's bind error and exit 3."""
    import safealign.models
    from safealign.cli.main import app as cli

    port = free_port()
    taker = socket.socket()

    def load_and_lose_the_port(*args, **kwargs):
        taker.bind(("127.0.0.1", port))  # another process takes it while the model loads
        taker.listen()
        return tiny

    monkeypatch.setattr(safealign.models, "load_model", load_and_lose_the_port)
    with taker:
        result = CliRunner().invoke(cli, ["serve", "tiny", "--port", str(port)])
    shown = " ".join(result.output.split())
    assert result.exit_code == 3, result.output
    assert "serving" not in shown and f"starting tiny at http://127.0.0.1:{port}/v1" in shown, result.output


def test_run_server_says_ready_once_the_port_accepts_connections(monkeypatch, caplog):
    import uvicorn

    from safealign.serve import run_server

    async def stop_at_once(self) -> None:  # started, then straight to the shutdown
        return None

    monkeypatch.setattr(uvicorn.Server, "main_loop", stop_at_once)
    port = free_port()
    connected: list[bool] = []

    class Connect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "ready" in record.getMessage():
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    connected.append(True)

    handler = Connect()
    logging.getLogger("safealign.serve.server").addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="safealign.serve.server"):
            run_server(FastAPI(), "127.0.0.1", port, grace_s=0.1)
    finally:
        logging.getLogger("safealign.serve.server").removeHandler(handler)
    assert connected == [True], caplog.text
