"""`safealign serve` protocol follow-ups found in review 71."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from safealign.generation import GenerationEngine
from safealign.serve.app import create_app


@pytest.fixture(scope="module")
def client(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="fp32")
    with TestClient(create_app(engine, "tiny", max_wait_ms=5)) as test_client:
        yield test_client


def ask(**extra) -> dict:
    return {
        "model": "tiny",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0,
        "max_tokens": 4,
    } | extra


@pytest.mark.parametrize("value", [True, "yes"])
def test_continuous_usage_stats_is_refused_not_ignored(client, value):
    """vLLM's stream_options.continuous_usage_stats puts a usage object in every chunk; serve streamed chunks without
    one (a 200 that silently lacked what was asked)."""
    answer = client.post(
        "/v1/chat/completions", json=ask(stream=True, stream_options={"continuous_usage_stats": value})
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (
        error["param"] == "stream_options.continuous_usage_stats" and error["type"] == "invalid_request_error"
    )
    assert "include_usage" in error["message"], error["message"]


@pytest.mark.parametrize(
    "options", [{"continuous_usage_stats": False}, {"include_usage": True, "continuous_usage_stats": None}]
)
def test_continuous_usage_stats_off_streams_as_before(client, options):
    answer = client.post("/v1/chat/completions", json=ask(stream=True, stream_options=options))
    assert answer.status_code == 200 and answer.text.endswith("data: [DONE]\n\n"), answer.text
    assert ('"usage": {' in answer.text) == bool(options.get("include_usage")), answer.text


def test_a_client_that_leaves_while_sending_its_body_is_no_server_error(tiny, caplog):
    """A client that closed its connection halfway through its body raised Starlette's ClientDisconnect out of the
    route: the 500 handler logged 'unexpected error' with a traceback, and the error went on up to uvicorn, which
    logged a second one. It is the client's leaving, logged at INFO, as the gateway does."""
    import asyncio
    import logging

    app = create_app(GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32"), "tiny")
    events = [{"type": "http.request", "body": b'{"messages": [', "more_body": True}]
    sent: list[dict] = []

    async def receive() -> dict:
        return events.pop(0) if events else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "client left while sending its request" in caplog.text
