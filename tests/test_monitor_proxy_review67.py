"""Review of the monitor's guard proxy: each test reproduces one defect found."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from test_monitor import chat, gateway, rows, serve_in_thread


def chunk(text: str) -> bytes:
    event = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}
    return f"data: {json.dumps(event)}\n\n".encode()


def breaking_upstream() -> FastAPI:
    """A model server that crashes three words into a streamed answer: its connection closes mid-body."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions():
        async def events():
            for word in ("Step", " 1:", " mix"):
                yield chunk(word)
                await asyncio.sleep(0.01)
            raise RuntimeError("the model server crashed mid-answer")

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def test_a_stream_the_upstream_broke_off_is_cut_off_for_the_client_too(tmp_path):
    """The gateway ended the client's stream cleanly: an OpenAI client, which stops at the end of a stream whether or
    not [DONE] came, read the first words of a crashed answer as the whole answer."""
    post = {"method": "POST", "json": chat("hi", stream=True)}
    with (
        serve_in_thread(breaking_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app),
    ):
        with pytest.raises(httpx.RemoteProtocolError):  # what a direct client sees
            httpx.request(url=f"{upstream}/v1/chat/completions", **post)
        got = []
        with (
            pytest.raises(httpx.RemoteProtocolError),
            httpx.stream(url=f"{url}/v1/chat/completions", **post) as response,
        ):
            got.extend(response.iter_bytes())
        # what came was relayed as it came, and stored as the upstream's failure
        assert b"".join(got) == chunk("Step") + chunk(" 1:") + chunk(" mix")
        assert [(r["status"], r["response"]) for r in rows(app)] == [("upstream_error", "Step 1: mix")]


def header_echo_upstream() -> FastAPI:
    """Answers with the x- headers it received, as (name, hex of the value's bytes)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        seen = [[k.decode(), v.hex()] for k, v in request.scope["headers"] if k.startswith(b"x-")]
        message = {"role": "assistant", "content": json.dumps(seen)}
        return {
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }

    return app


def test_the_clients_headers_reach_the_upstream_as_sent(tmp_path):
    """A repeated header reached the upstream once (its last value), and a UTF-8 value as mojibake ("Jürgen" as
    "JÃ¼rgen"): the proxy read Starlette's latin-1 view of the headers into a dict, which aiohttp encodes as UTF-8."""
    headers = [(b"x-user", "Jürgen".encode()), (b"x-tag", b"a"), (b"x-tag", b"b")]
    with (
        serve_in_thread(header_echo_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, _),
    ):
        answers = [
            httpx.post(f"{base}/v1/chat/completions", json=chat("hi"), headers=headers).json()
            for base in (upstream, url)
        ]
    seen = [json.loads(answer["choices"][0]["message"]["content"]) for answer in answers]
    assert seen[0] == [["x-user", "Jürgen".encode().hex()], ["x-tag", "61"], ["x-tag", "62"]]
    assert seen[1] == seen[0]


def test_a_stream_that_broke_in_blocking_mode_counts_as_a_broken_stream(tmp_path):
    """docs/monitoring.md: kind `stream` is "a stream that broke ... in both modes"; blocking mode, which reads the stream
    whole, counted it as `connect` and told the client "(connect: ClientPayloadError)", sending it to check the network."""
    with (
        serve_in_thread(breaking_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db", blocking=True) as (url, app),
    ):
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hi", stream=True))
        metrics = httpx.get(f"{url}/metrics").text
    assert answer.status_code == 502 and "(stream: ClientPayloadError)" in answer.json()["error"]["message"]
    assert 'safealign_monitor_upstream_errors_total{kind="stream"} 1.0' in metrics
    assert "Step" not in answer.text and [r["status"] for r in rows(app)] == ["upstream_error"]
