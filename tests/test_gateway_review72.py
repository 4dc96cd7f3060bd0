"""Review 72 of the monitor gateway and its proxy: each test reproduces one defect found."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from test_monitor import chat, gateway, rows, serve_in_thread
from test_monitor_proxy_review67 import chunk


def echo_upstream() -> FastAPI:
    """Answers with the raw query string and headers it received (chat: as the answer's text; models: as the list)."""
    app = FastAPI()

    def seen(request: Request) -> dict:
        headers = [[k.decode(), v.decode("latin-1")] for k, v in request.scope["headers"]]
        return {"query": request.scope["query_string"].decode("latin-1"), "headers": headers}

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        message = {"role": "assistant", "content": json.dumps(seen(request))}
        return {
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }

    @app.get("/v1/models")
    async def models(request: Request):
        return seen(request)

    @app.get("/v1/models/{model_id:path}")
    async def model(request: Request, model_id: str):
        return seen(request)

    return app


def seen_by_upstream(answer: httpx.Response) -> dict:
    assert answer.status_code == 200, answer.text
    return json.loads(answer.json()["choices"][0]["message"]["content"])


def test_the_clients_query_string_reaches_the_upstream_as_sent(tmp_path):
    """The gateway posted to the upstream's bare chat URL: a query parameter the upstream needs (Azure OpenAI's
    ?api-version=, sent by the SDK's default_query) was dropped, so a server that answered the client directly refused
    it through the gateway. An escape stays as the client wrote it (not escaped twice)."""
    query = "api-version=2024-10-21&tag=a%20b+c%2B"
    with (
        serve_in_thread(echo_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app),
    ):
        relayed = seen_by_upstream(httpx.post(f"{url}/v1/chat/completions?{query}", json=chat("hi")))
        listed = httpx.get(f"{url}/v1/models?{query}").json()
        retrieved = httpx.get(f"{url}/v1/models/org%2Fmodel?{query}").json()
        plain = seen_by_upstream(httpx.post(f"{url}/v1/chat/completions", json=chat("hi")))
        stored = [r["status"] for r in rows(app)]
    assert relayed["query"] == listed["query"] == retrieved["query"] == query
    assert plain["query"] == ""
    assert stored == ["queued", "queued"]


def hop_header_upstream() -> FastAPI:
    """``echo_upstream``, whose answer names a header of its own hop in ``Connection`` (and sends it)."""
    app = echo_upstream()

    @app.middleware("http")
    async def hop_header(request: Request, call_next):
        response = await call_next(request)
        response.headers["Connection"] = "x-upstream-hop"
        response.headers["X-Upstream-Hop"] = "for the gateway only"
        response.headers["X-Model-Note"] = "end to end"
        return response

    return app


def test_headers_a_connection_header_names_stay_on_their_hop(tmp_path):
    """A header the Connection header lists belongs to that one connection and must not be forwarded (RFC 9110,
    7.6.1): the gateway dropped only the fixed hop-by-hop names, so the client's went on to the upstream and the
    upstream's on to the client. The other headers still go through both ways."""
    headers = {"Connection": "keep-alive, X-Client-Hop", "X-Client-Hop": "for the gateway only", "X-Tag": "a"}
    with (
        serve_in_thread(hop_header_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, _),
    ):
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hi"), headers=headers)
    sent = [name for name, _ in seen_by_upstream(answer)["headers"]]
    assert "x-tag" in sent and "x-client-hop" not in sent
    assert answer.headers["x-model-note"] == "end to end" and "x-upstream-hop" not in answer.headers


@pytest.mark.parametrize("method, path", [("POST", "/chat/completions"), ("GET", "/models")])
def test_a_client_given_the_address_without_v1_is_told_to_add_it(tmp_path, method, path):
    """OpenAI(base_url='http://HOST:PORT') calls /chat/completions: the gateway answered FastAPI's bare
    {"detail": "Not Found"}, which an OpenAI client shows as is, with no word of the /v1 it lacks (serve names it)."""
    never_called = "http://127.0.0.1:9"
    with gateway(never_called, f"sqlite:///{tmp_path}/m.db") as (url, app):
        answer = httpx.request(method, f"{url}{path}", json=chat("hi"))
        other = httpx.get(f"{url}/admin/nothing")
    assert answer.status_code == 404 and answer.json()["error"]["type"] == "not_found"
    message = answer.json()["error"]["message"]
    assert message.startswith(f"{method} {path}: Not Found") and "base_url='http://HOST:PORT/v1'" in message
    assert other.json() == {"detail": "Not Found"} and rows(app) == []


def long_stream_upstream() -> FastAPI:
    """Streams a chunk every 50 ms for 0.75 s: a long answer that keeps its connection to the gateway busy."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions():
        async def events():
            for _ in range(15):
                yield chunk("word ")
                await asyncio.sleep(0.05)
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def test_a_request_that_found_every_upstream_connection_busy_says_so(tmp_path, caplog):
    """With every pooled connection busy, a request that waited upstream_timeout_s for one failed with aiohttp's own
    words, 'Connection timeout to host', in the log and '(timeout: ConnectionTimeoutError)' for the client: both read
    as an upstream the network could not reach, though it was answering; they name the pool and its settings now."""
    with (
        serve_in_thread(long_stream_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db", upstream_timeout_s=0.3, upstream_connections=1) as (
            url,
            app,
        ),
        httpx.stream("POST", f"{url}/v1/chat/completions", json=chat("long", stream=True)) as holder,
    ):
        held = holder.iter_bytes()  # kept: a dropped iterator closes the stream
        next(held)  # the only connection is taken
        waited = httpx.post(f"{url}/v1/chat/completions", json=chat("hi"))
        statuses = [r["status"] for r in rows(app)]
    message = waited.json()["error"]["message"]
    assert waited.status_code == 502 and "(timeout: ConnectionTimeoutError: no connection to it" in message
    assert "1 connections to it (monitor.upstream_connections) stayed busy" in message
    assert "0.3 s (monitor.upstream_timeout_s)" in message
    assert "Connection timeout to host" not in caplog.text and "monitor.upstream_connections" in caplog.text
    assert statuses == ["upstream_error"]  # the holder's is stored when it ends


def test_metrics_go_on_serving_the_request_counters_while_the_database_is_down(tmp_path, caplog):
    """/metrics read its judge-side gauges from the database first, so a database that did not answer (a PostgreSQL
    restart) made it a 500: the scrape lost the request counters too, among them the 503 of every exchange that could
    not be stored. They are served now, the database's gauges NaN ("no data") until it answers again."""

    def down(*args, **kwargs):
        raise sa.exc.OperationalError(
            "SELECT", {}, Exception("could not connect to server: Connection refused")
        )

    with gateway("http://127.0.0.1:9", f"sqlite:///{tmp_path}/m.db") as (url, app):
        assert httpx.post(f"{url}/v1/chat/completions", content=b"not json").status_code == 400
        app.state.store.backlog = down
        scraped = httpx.get(f"{url}/metrics")
    assert scraped.status_code == 200
    assert 'safealign_monitor_requests_total{status="400"} 1.0' in scraped.text
    assert "safealign_monitor_judge_backlog NaN" in scraped.text
    assert "safealign_monitor_harmful_rate NaN" in scraped.text
    assert "the database did not answer (OperationalError" in caplog.text


def test_health_is_degraded_while_the_database_refuses_the_exchanges(tmp_path):
    """/health read only the SQLite file and the worker: with the database refusing every write (a PostgreSQL server
    down, a full disk) each chat request answered 503 while /health said "ok". It says why now, until one is stored."""
    with (
        serve_in_thread(echo_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app),
    ):
        store = app.state.store
        working = store.insert_exchanges

        def refuse(*args, **kwargs):
            raise sa.exc.OperationalError("INSERT", {}, Exception("could not connect to server"))

        store.insert_exchanges = refuse
        refused = httpx.post(f"{url}/v1/chat/completions", json=chat("hi"))
        down = httpx.get(f"{url}/health").json()
        store.insert_exchanges = working
        stored = httpx.post(f"{url}/v1/chat/completions", json=chat("hi"))
        back = httpx.get(f"{url}/health").json()
    assert refused.status_code == 503 and down["status"] == "degraded"
    assert down["reason"].startswith("the last exchange could not be stored (OperationalError)")
    assert stored.status_code == 200 and back["status"] == "ok"
