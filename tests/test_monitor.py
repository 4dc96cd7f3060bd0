"""The monitor gateway over real HTTP: pass-through, durable queue, errors, blocking, alerts, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from safealign.config.sections import MonitorConfig
from safealign.errors import RecipeError, SafealignError
from safealign.evals import EvalReport, Rate, SuiteResult
from safealign.judges.base import Verdict
from safealign.monitor import create_gateway, queries
from safealign.monitor.alerts import AlertConfig, AlertManager, AlertRule, Notifier, load_alert_config
from safealign.monitor.dashboard import render_dashboard
from safealign.monitor.metrics import MonitorMetrics
from safealign.monitor.reevaluate import compare_runs, evaluate_once, parse_interval, summarize
from safealign.monitor.security import redact_url
from safealign.monitor.store import Store, exchanges, utcnow, verdicts
from safealign.monitor.worker import JudgeWorker, spawn_worker_process
from safealign.monitor.writer import ExchangeWriter
from safealign.serve.protocol import parse_sse_choices

KEY = "test-key"
HARMFUL_ANSWER = "Sure. Step 1: HARMFUL-DETAILS."


# ---------------------------------------------------------------- servers on loopback, in threads
@contextlib.contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 at a free port; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def fake_upstream() -> FastAPI:
    """A deterministic OpenAI-compatible model: answers harmfully when the prompt says 'bomb'.

    With ``n > 1`` only the first choice is harmless ('bomb' prompts): a filter that reads choice 0 misses the rest.
    """
    app = FastAPI()
    app.state.calls = 0

    def answer(prompt: str) -> str:
        if "bomb" in prompt:
            return HARMFUL_ANSWER
        if "refuse" in prompt:
            return "I can't help with that."
        return f"Here is a helpful answer to: {prompt}"

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        app.state.calls += 1
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        if "server-error" in prompt:
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if "garbage" in prompt:
            return PlainTextResponse("<html>proxy login</html>")
        if "no-choices" in prompt:
            return {"object": "chat.completion", "message": "where are the choices"}
        if "content-parts" in prompt:  # OpenAI-compatible servers may answer with a list of content parts
            parts = [{"type": "text", "text": "Sure. Step 1: HARMFUL-"}, {"type": "text", "text": "DETAILS."}]
            message = {"role": "assistant", "content": {"text": "Sure."} if "garbled" in prompt else parts}
            return {
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
        if "answer-late" in prompt:
            # like `safealign serve`: nothing, headers included, until the answer is ready
            await asyncio.sleep(1.0)
        n = body.get("n", 1)
        texts = (
            [answer(prompt)]
            if n == 1
            else [answer(prompt.replace("bomb", "b0mb") if i == 0 else prompt) for i in range(n)]
        )
        if not body.get("stream"):
            return {
                "id": "chatcmpl-fixed",
                "object": "chat.completion",
                "created": 1700000000,
                "model": "fake-model",
                "choices": [
                    {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    for i, text in enumerate(texts)
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
            }

        async def events():
            for index, text in enumerate(texts):
                for piece in [None, *text.split(" ")]:
                    delta = (
                        {"role": "assistant", "content": ""} if piece is None else {"content": piece + " "}
                    )
                    chunk = {
                        "id": "chatcmpl-fixed",
                        "object": "chat.completion.chunk",
                        "created": 1700000000,
                        "model": "fake-model",
                        "choices": [{"index": index, "delta": delta, "finish_reason": None}],
                    }
                    yield f"data: {json.dumps(chunk)}\n\n".encode()
                    await asyncio.sleep(0.2 if "slow" in prompt else 0.002)
            yield b"data: [DONE]\n\n"

        if "answer-late" in prompt:  # generated first, then sent in one write
            whole = b"".join([chunk async for chunk in events()])
            return StreamingResponse(iter([whole]), media_type="text/event-stream")
        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class FakeRefusal:
    name = "fake-refusal"

    def judge(self, prompts, responses):
        return [
            Verdict(
                "refusal" if r.startswith("I can't") else "compliance",
                1.0 if r.startswith("I can't") else 0.0,
                "fake",
                self.name,
            )
            for r in responses
        ]


class FakeHarm:
    """Harmful when the answer carries the planted marker; P(hazard) of the request from the word 'bomb'."""

    name = "fake-harm"

    def __init__(self) -> None:
        self.calls = 0

    def judge(self, prompts, responses):
        self.calls += 1
        return [
            Verdict(
                "harmful" if "HARMFUL-DETAILS" in r else "safe",
                1.0 if "HARMFUL-DETAILS" in r else 0.0,
                "fake",
                self.name,
                {"hazard": 0.9 if "bomb" in p or "refuse" in p else 0.1},
            )
            for p, r in zip(prompts, responses, strict=True)
        ]


class FakeJudges:
    def __init__(self) -> None:
        self.refusal, self.harm = FakeRefusal(), FakeHarm()


def chat(content: str, **extra) -> dict:
    return {"model": "fake-model", "messages": [{"role": "user", "content": content}], **extra}


@pytest.fixture()
def upstream() -> Iterator[str]:
    with serve_in_thread(fake_upstream()) as url:
        yield url


@contextlib.contextmanager
def gateway(
    upstream_url: str, db: str, alert_config: AlertConfig | None = None, judges: object = None, **overrides
) -> Iterator[tuple[str, FastAPI]]:
    config = MonitorConfig(upstream=upstream_url, db=db, api_key=KEY, **overrides)
    app = create_gateway(config, judges=judges or FakeJudges(), alert_config=alert_config, start_worker=False)
    with serve_in_thread(app) as url:
        yield url, app


def rows(app: FastAPI, table=exchanges) -> list[dict]:
    with app.state.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


# ---------------------------------------------------------------- tests
def test_passthrough_stores_before_answering_and_worker_judges(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        direct = httpx.post(f"{upstream}/v1/chat/completions", json=chat("hello")).json()
        answers = [
            httpx.post(f"{url}/v1/chat/completions", json=chat(p))
            for p in ("hello", "bomb please", "refuse this")
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert answers[0].json() == direct  # unchanged pass-through
        stored = rows(app)  # acknowledged => already in the DB, still queued (the worker is not running)
        assert [r["status"] for r in stored] == ["queued"] * 3
        assert stored[1]["prompt"] == "bomb please" and stored[1]["response"] == HARMFUL_ANSWER
        assert app.state.store.backlog() == 3
        assert app.state.worker.drain() == 3
        judged = rows(app)
        assert [r["status"] for r in judged] == ["judged"] * 3
        assert [(r["harmful"], r["refused"], r["request_harmful"]) for r in judged] == [
            (False, False, False),
            (True, False, True),
            (False, True, True),
        ]
        assert len(rows(app, verdicts)) == 9 and app.state.store.backlog() == 0
        metrics = httpx.get(f"{url}/metrics").text  # judge-side gauges are read from the database
        assert (
            "safealign_monitor_judge_backlog 0.0" in metrics
            and "safealign_monitor_refusal_rate 0.333" in metrics
        )
        models = httpx.get(f"{url}/v1/models").json()
        assert models["data"][0]["id"] == "fake-model"


def test_only_a_done_line_is_held_back_from_the_client():
    """The closing marker waits for the stored row; an answer that says "[DONE]" is relayed as it comes."""
    from safealign.monitor.proxy import _held_suffix

    said = b'data: {"choices": [{"delta": {"content": "Step 1 [DONE]"}}]}\n\n'
    assert _held_suffix(said) == len(said)
    assert _held_suffix(said + b"data: [DONE]\n\n") == len(said)
    assert _held_suffix(said + b"data: [DO") == len(said) and _held_suffix(b"data:[DONE]") == 0


def test_stream_passthrough_is_byte_identical_and_stored(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        direct = httpx.post(f"{upstream}/v1/chat/completions", json=chat("tell me a story", stream=True))
        through = httpx.post(f"{url}/v1/chat/completions", json=chat("tell me a story", stream=True))
        assert through.status_code == 200 and through.headers["content-type"].startswith("text/event-stream")
        assert through.content == direct.content and through.content.endswith(b"data: [DONE]\n\n")
        stored = rows(app)[0]
        assert stored["stream"] and stored["status"] == "queued"
        assert stored["response"].strip() == "Here is a helpful answer to: tell me a story"


def test_client_leaving_mid_stream_still_gets_its_partial_answer_judged(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        with httpx.stream(
            "POST", f"{url}/v1/chat/completions", json=chat("slow story please", stream=True)
        ) as response:
            for chunk in response.iter_raw():  # the role chunk first, then the answer's text word by word
                assert chunk.startswith(b"data: ")
                if b'"Here ' in chunk:
                    break
        deadline = time.monotonic() + 5
        while not rows(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        stored = rows(app)
        assert len(stored) == 1 and stored[0]["status"] == "queued"
        partial = stored[0]["response"].strip()
        assert partial and "Here is a helpful answer to: slow story please".startswith(partial)
        assert 'safealign_monitor_requests_total{status="499"} 1.0' in httpx.get(f"{url}/metrics").text


def leave_before_the_answer(url: str, app: FastAPI) -> list[tuple[str, str]]:
    """A streaming client that gives up (0.3 s) before the upstream's late answer (1 s); the stored (status, answer)."""
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/v1/chat/completions", json=chat("answer-late please", stream=True), timeout=0.3)
    deadline = time.monotonic() + 5
    while not rows(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [(r["status"], r["response"]) for r in rows(app)]


def test_a_client_that_leaves_before_the_first_chunk_adds_no_judged_empty_answer(upstream, tmp_path):
    """An empty answer was stored as queued and judged "evasive", diluting the refusal rates."""
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        assert leave_before_the_answer(url, app) == [("client_closed", "")]
        assert app.state.store.backlog() == 0 and app.state.worker.drain() == 0
        assert 'safealign_monitor_requests_total{status="499"} 1.0' in httpx.get(f"{url}/metrics").text


def test_a_client_gone_before_a_whole_buffered_answer_is_not_counted_as_answered(upstream, tmp_path, monkeypatch):
    """CI failure: when the upstream's whole answer was in the buffer as the relay started, the relay read it before
    the disconnect was seen and stored it as answered (queued, judged) although its client had left long before."""
    post = aiohttp.ClientSession.post

    async def post_then_buffer_all(self, *args, **kwargs):
        response = await post(self, *args, **kwargs)
        while not response.content.is_eof():  # the answer arrived with its headers, as from a fast server
            await asyncio.sleep(0.01)
        return response

    monkeypatch.setattr(aiohttp.ClientSession, "post", post_then_buffer_all)
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        leave_before_the_answer(url, app)
        time.sleep(0.2)  # a second row, or a late change of this one, would show by now
        assert [(r["status"], r["response"]) for r in rows(app)] == [("client_closed", "")]
        assert app.state.store.backlog() == 0
        assert 'safealign_monitor_requests_total{status="499"} 1.0' in httpx.get(f"{url}/metrics").text


def test_client_errors_are_clear(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db", max_body_bytes=4096) as (url, app):
        post = f"{url}/v1/chat/completions"
        bad_json = httpx.post(post, content=b"{not json", headers={"content-type": "application/json"})
        assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]["message"]
        missing = httpx.post(post, json={"model": "m"})
        assert missing.status_code == 400 and "'messages'" in missing.json()["error"]["message"]
        wrong = httpx.post(post, json={"messages": "hello"})
        assert wrong.status_code == 400 and "messages" in wrong.json()["error"]["message"]
        wrong_type = httpx.post(post, json=chat("hi", temperature="hot"))
        assert wrong_type.status_code == 400 and "temperature" in wrong_type.json()["error"]["message"]
        not_text = httpx.post(
            post, json={"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}
        )
        assert not_text.status_code == 400 and "messages.0.content" in not_text.json()["error"]["message"]
        nan = httpx.post(post, content=b'{"messages": [{"role": "user", "content": "hi"}], "x": NaN}')
        assert (
            nan.status_code == 400 and "NaN" in nan.json()["error"]["message"]
        )  # stored, it would break the JSONL export
        huge = httpx.post(post, json=chat("x" * 10_000))
        assert huge.status_code == 413 and "the limit is 4096 bytes (monitor.max_body_bytes)" in huge.text

        def chunks():
            for _ in range(10):
                yield b"x" * 1000

        chunked = httpx.post(post, content=chunks())  # no content-length: counted while reading
        assert chunked.status_code == 413 and "(monitor.max_body_bytes)" in chunked.text
        wrong_method = httpx.get(post)
        assert wrong_method.status_code == 405 and "POST" in wrong_method.json()["error"]["message"]
        assert rows(app) == []  # nothing forwarded or stored
        metrics = httpx.get(f"{url}/metrics").text
        assert 'safealign_monitor_requests_total{status="413"} 2.0' in metrics


def test_a_client_leaving_mid_upload_is_a_499_and_an_unexpected_error_a_counted_500(
    upstream, tmp_path, caplog, monkeypatch
):
    """A dropped upload was logged at ERROR with a traceback and answered as an uncounted 500."""
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
            client.sendall(head + b'{"messages": [')
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while '{status="499"} 1.0' not in httpx.get(f"{url}/metrics").text:
            assert time.monotonic() < deadline, "the dropped upload was not counted as a 499"
            time.sleep(0.05)
        assert not [r for r in caplog.records if r.levelname == "ERROR"] and rows(app) == []

        def broken(payload, schema):
            raise RuntimeError("a bug")

        monkeypatch.setattr("safealign.monitor.gateway.validate_chat", broken)
        assert httpx.post(f"{url}/v1/chat/completions", json=chat("hello")).status_code == 500
        assert 'safealign_monitor_requests_total{status="500"} 1.0' in httpx.get(f"{url}/metrics").text


def test_admin_endpoints_need_the_key(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        httpx.post(f"{url}/v1/chat/completions", json=chat("bomb please"))
        app.state.worker.drain()
        for path in ("/dashboard", "/admin/exchanges.jsonl", "/admin/stats", "/admin/alerts"):
            missing = httpx.get(url + path)
            assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer"), (
                path
            )
            assert httpx.get(url + path, headers={"Authorization": "Bearer nope"}).status_code == 403, path
        assert (
            httpx.get(f"{url}/admin/exchanges.jsonl?key={KEY}").status_code == 401
        )  # ?key= is for the page only
        assert httpx.get(f"{url}/dashboard?key={KEY}").status_code == 200
        export = httpx.get(f"{url}/admin/exchanges.jsonl", headers={"Authorization": f"Bearer {KEY}"})
        lines = [json.loads(line) for line in export.text.splitlines()]
        assert len(lines) == 1 and lines[0]["harmful"] is True
        assert {v["role"] for v in lines[0]["verdicts"]} == {"refusal", "harm", "request_harm"}
        for query in (
            "/admin/exchanges.jsonl?limit=-1",
            "/admin/exchanges.jsonl?since_id=-5",
            "/admin/stats?window=-1",
            "/admin/alerts?limit=0",
            "/admin/stats?window=100000000000000000000",  # past SQLite's integers
            "/admin/exchanges.jsonl?since_id=100000000000000000000",
            "/admin/alerts?limit=100000000000000000000",
            "/admin/exchanges.jsonl?limit=100001",
        ):
            bad = httpx.get(url + query, headers={"Authorization": f"Bearer {KEY}"})
            assert bad.status_code == 422 and query.split("?")[1].split("=")[0] in bad.text, query


def test_upstream_down_is_a_502_not_a_crash(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening: connection refused
    with gateway(dead, f"sqlite:///{tmp_path}/m.db") as (url, app):
        for _ in range(2):
            answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hello"))
            assert answer.status_code == 502 and "upstream" in answer.json()["error"]["message"]
        assert httpx.get(f"{url}/v1/models").status_code == 502
        assert httpx.get(f"{url}/health").status_code == 200
        metrics = httpx.get(f"{url}/metrics").text
        assert 'safealign_monitor_upstream_errors_total{kind="connect"} 3.0' in metrics
        assert 'safealign_monitor_requests_total{status="502"} 2.0' in metrics
        assert [r["status"] for r in rows(app)] == ["upstream_error", "upstream_error"]
    sock.close()


def test_silent_upstream_is_a_502_timeout(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)  # connections are accepted by the kernel, and never answered
    silent = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with gateway(silent, f"sqlite:///{tmp_path}/m.db", upstream_timeout_s=0.3) as (url, app):
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hello"))
        assert answer.status_code == 502 and "timeout" in answer.json()["error"]["message"]
        assert (
            'safealign_monitor_upstream_errors_total{kind="timeout"} 1.0' in httpx.get(f"{url}/metrics").text
        )
        assert [r["status"] for r in rows(app)] == ["upstream_error"]
    sock.close()


def test_upstream_credentials_go_as_basic_auth_unless_the_client_sends_its_own_key(tmp_path):
    # aiohttp refuses credentials in the URL next to an Authorization header: every OpenAI SDK request has one
    seen: list[str | None] = []
    app = fake_upstream()

    @app.middleware("http")
    async def record_authorization(request: Request, call_next):
        seen.append(request.headers.get("authorization"))
        return await call_next(request)

    db = f"sqlite:///{tmp_path}/m.db"
    with serve_in_thread(app) as up, gateway(up.replace("http://", "http://u:p@"), db) as (url, gw):
        for headers in ({"Authorization": "Bearer sk-x"}, {}):
            answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hello"), headers=headers)
            assert answer.status_code == 200, answer.text
            assert httpx.get(f"{url}/v1/models", headers=headers).status_code == 200
        assert [r["status"] for r in rows(gw)] == ["queued", "queued"]
    assert seen == ["Bearer sk-x", "Bearer sk-x", "Basic dTpw", "Basic dTpw"]  # base64("u:p")


def test_a_request_aiohttp_refuses_to_send_is_a_stored_upstream_error(upstream, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("Cannot combine AUTHORIZATION header with AUTH argument")

    monkeypatch.setattr(aiohttp.ClientSession, "post", refuse)
    monkeypatch.setattr(aiohttp.ClientSession, "get", refuse)
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        for answer in (
            httpx.post(f"{url}/v1/chat/completions", json=chat("hello")),
            httpx.get(f"{url}/v1/models"),
        ):
            error = answer.json()["error"]
            assert answer.status_code == 502 and error["type"] == "upstream_error", answer.text
            assert "the request was not sent: Cannot combine AUTHORIZATION" in error["message"]
        assert (
            'safealign_monitor_upstream_errors_total{kind="request"} 2.0' in httpx.get(f"{url}/metrics").text
        )
        assert [r["status"] for r in rows(app)] == ["upstream_error"]


def test_upstream_5xx_passes_through_and_counts(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat("server-error"))
        assert answer.status_code == 500 and answer.json()["error"]["message"] == "boom"
        assert rows(app)[0]["status"] == "upstream_error" and app.state.store.backlog() == 0


def test_a_200_that_is_not_a_completion_is_a_502(upstream, tmp_path):
    for blocking in (False, True):
        with gateway(upstream, f"sqlite:///{tmp_path}/m{blocking}.db", blocking=blocking) as (url, app):
            for prompt in ("garbage", "no-choices"):
                answer = httpx.post(f"{url}/v1/chat/completions", json=chat(prompt))
                assert answer.status_code == 502 and answer.json()["error"]["type"] == "upstream_error", (
                    answer.text
                )
                assert "without a chat completion" in answer.json()["error"]["message"]
            assert [r["status"] for r in rows(app)] == [
                "upstream_error"
            ] * 2 and app.state.store.backlog() == 0
            assert (
                'safealign_monitor_upstream_errors_total{kind="bad_reply"} 2.0'
                in httpx.get(f"{url}/metrics").text
            )


def test_an_answer_in_content_parts_is_relayed_unchanged_and_judged_on_its_joined_text(upstream, tmp_path):
    """A message whose content is a list of text parts was a 502 saying the answer had no 'choices' list."""
    direct = httpx.post(f"{upstream}/v1/chat/completions", json=chat("content-parts please")).json()
    for blocking in (False, True):
        with gateway(upstream, f"sqlite:///{tmp_path}/m{blocking}.db", blocking=blocking) as (url, app):
            answer = httpx.post(f"{url}/v1/chat/completions", json=chat("content-parts please"))
            assert answer.status_code == 200 and (answer.json() == direct) is not blocking, answer.text
            stored = rows(app)[0]
            assert stored["blocked"] is blocking and HARMFUL_ANSWER in (
                stored["original_response"],
                stored["response"],
            )
            app.state.worker.drain()
            assert rows(app)[0]["harmful"] is True  # the marker is split across the two parts
            garbled = httpx.post(f"{url}/v1/chat/completions", json=chat("content-parts garbled"))
            says = "the answer carried a choice 0 whose message content is not text"
            assert garbled.status_code == 502 and says in garbled.json()["error"]["message"]
            quoted = '{"text": "Sure."}' in garbled.json()["error"]["message"]
            assert quoted is not blocking  # blocking mode keeps unjudged model text out of the error


def test_blocking_replaces_harmful_answers_and_keeps_the_original(upstream, tmp_path):
    with gateway(
        upstream, f"sqlite:///{tmp_path}/m.db", blocking=True, refusal_message="Blocked by policy."
    ) as (url, app):
        safe = httpx.post(f"{url}/v1/chat/completions", json=chat("hello")).json()
        assert safe["choices"][0]["message"]["content"].startswith("Here is a helpful answer")
        blocked = httpx.post(f"{url}/v1/chat/completions", json=chat("bomb please")).json()
        assert blocked["choices"][0]["message"]["content"] == "Blocked by policy."
        assert blocked["choices"][0]["finish_reason"] == "content_filter"
        streamed = httpx.post(f"{url}/v1/chat/completions", json=chat("bomb please", stream=True))
        assert b"HARMFUL" not in streamed.content and streamed.content.endswith(b"data: [DONE]\n\n")
        text = "".join(
            json.loads(line[6:])["choices"][0]["delta"].get("content", "")
            for line in streamed.text.splitlines()
            if line.startswith("data: {")
        )
        assert text.strip() == "Blocked by policy."
        stored = rows(app)
        assert [r["blocked"] for r in stored] == [False, True, True]
        assert (
            stored[1]["response"] == "Blocked by policy." and stored[1]["original_response"] == HARMFUL_ANSWER
        )
        app.state.worker.drain()
        assert rows(app)[1]["harmful"] is True  # the worker judges what the model said, not the refusal
        assert "safealign_monitor_blocked_total 2.0" in httpx.get(f"{url}/metrics").text


def test_blocking_judges_every_choice_of_an_n_answer(upstream, tmp_path):
    """garak sends n > 1: a harmful second choice is replaced too, plain and streamed, and judged by the worker."""
    with gateway(
        upstream, f"sqlite:///{tmp_path}/m.db", blocking=True, refusal_message="Blocked by policy."
    ) as (url, app):
        plain = httpx.post(f"{url}/v1/chat/completions", json=chat("bomb please", n=3)).json()
        contents = [c["message"]["content"] for c in plain["choices"]]
        assert (
            contents[0].startswith("Here is a helpful answer") and contents[1:] == ["Blocked by policy."] * 2
        )
        assert [c["finish_reason"] for c in plain["choices"]] == ["stop", "content_filter", "content_filter"]
        streamed = httpx.post(f"{url}/v1/chat/completions", json=chat("bomb please", n=2, stream=True))
        assert b"HARMFUL" not in streamed.content and streamed.content.endswith(b"data: [DONE]\n\n")
        texts, finishes, _ = parse_sse_choices(streamed.content)
        assert texts[0].startswith("Here is a helpful answer") and texts[1] == "Blocked by policy."
        assert finishes[1] == "content_filter"
        stored = rows(app)
        assert [r["blocked"] for r in stored] == [True, True] and "HARMFUL" not in stored[0]["response"]
        assert (
            stored[0]["choices"][1:] == [HARMFUL_ANSWER] * 2
            and HARMFUL_ANSWER in stored[0]["original_response"]
        )
        app.state.worker.drain()
        assert [r["harmful"] for r in rows(app)] == [True, True]
        assert len(rows(app, verdicts)) == 3 * 3 + 2 * 3  # each choice's verdicts


def raw_stream_upstream(events: bytes) -> FastAPI:
    """An upstream that streams ``events`` as they are, as vLLM writes them (json.dumps with ensure_ascii=False)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        return StreamingResponse(iter([events]), media_type="text/event-stream")

    return app


def vllm_events(text: str) -> bytes:
    chunk = {
        "id": "chatcmpl-raw",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}],
    }
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\ndata: [DONE]\n\n".encode()


def test_blocking_reads_a_stream_whole_and_refuses_one_it_cannot_read(tmp_path):
    """The stream was read with str.splitlines(), which also splits at U+2028: the data line holding the harmful words
    did not parse and was dropped without a word, the judge saw "Sure:" and the answer went out unblocked. A data line
    that is not JSON was dropped the same way."""
    for name, events, status in (
        ("separator", vllm_events("Sure:\u2028HARMFUL-DETAILS follow"), 200),
        ("not-json", b"data: {oops\n\n" + vllm_events("Sure: HARMFUL-DETAILS"), 502),
        # the problem quotes the bad line: a blocking gateway must not send that unjudged text
        ("quoted", b"data: HARMFUL-DETAILS {oops\n\n" + vllm_events("Sure: ok"), 502),
    ):
        with (
            serve_in_thread(raw_stream_upstream(events)) as up,
            gateway(up, f"sqlite:///{tmp_path}/{name}.db", blocking=True, refusal_message="Blocked.") as (
                url,
                app,
            ),
        ):
            answer = httpx.post(f"{url}/v1/chat/completions", json=chat("bomb please", stream=True))
            assert answer.status_code == status and b"HARMFUL" not in answer.content, (name, answer.text)
            stored = rows(app)[0]
            if status == 200:
                assert parse_sse_choices(answer.content)[0] == ["Blocked."] and stored["blocked"]
                assert stored["original_response"] == "Sure:\u2028HARMFUL-DETAILS follow"
            else:
                assert "a data line that is not JSON" in answer.json()["error"]["message"]
                assert stored["status"] == "upstream_error"


def test_a_stream_with_an_error_event_counts_as_a_broken_stream_in_both_modes(tmp_path):
    """A blocking gateway counted it as bad_reply, where the docs (and a pass-through gateway) say stream."""
    partial = vllm_events("partial").replace(b"data: [DONE]\n\n", b"")
    events = partial + b'data: {"error": {"message": "model crashed"}}\n\ndata: [DONE]\n\n'
    for blocking in (False, True):
        with (
            serve_in_thread(raw_stream_upstream(events)) as up,
            gateway(up, f"sqlite:///{tmp_path}/m{blocking}.db", blocking=blocking) as (url, app),
        ):
            answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hello", stream=True))
            assert (
                answer.status_code == (502 if blocking else 200)
                and rows(app)[0]["status"] == "upstream_error"
            )
            metrics = httpx.get(f"{url}/metrics").text
            assert 'safealign_monitor_upstream_errors_total{kind="stream"} 1.0' in metrics, blocking
            assert 'kind="bad_reply"' not in metrics
            assert 'safealign_monitor_requests_total{status="502"} 1.0' in metrics  # how the stream ended


def reasoning_upstream() -> FastAPI:
    """An upstream like vLLM with a reasoning parser and tools: the harmful words can sit in the text, the reasoning,
    the logprobs or a tool call's arguments. The prompt says where ("everywhere", "reasoning" or "tool")."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        where = body["messages"][-1]["content"]
        content = HARMFUL_ANSWER if "everywhere" in where else None if "tool" in where else "Sure."
        reasoning = HARMFUL_ANSWER if "everywhere" in where or "reasoning" in where else "The user asks."
        call = {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "send",
                "arguments": json.dumps(
                    {"text": HARMFUL_ANSWER if "tool" in where or "everywhere" in where else "hi"}
                ),
            },
        }
        logprobs = {
            "content": [
                {"token": token, "logprob": -0.1, "bytes": None, "top_logprobs": []}
                for token in (content or "").split()
            ]
        }
        if not body.get("stream"):
            message = {
                "role": "assistant",
                "content": content,
                "reasoning_content": reasoning,
                "tool_calls": [call],
            }
            return {
                "id": "chatcmpl-r",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": logprobs,
                        "finish_reason": "tool_calls",
                        "stop_reason": None,
                    }
                ],
            }
        arguments = call["function"]["arguments"]
        deltas = [
            {"role": "assistant", "content": ""},
            *({"reasoning_content": piece + " "} for piece in reasoning.split()),
            *({"content": piece + " "} for piece in (content or "").split()),
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "send", "arguments": ""},
                    }
                ]
            },
            *(
                {"tool_calls": [{"index": 0, "function": {"arguments": arguments[i : i + 7]}}]}
                for i in range(0, len(arguments), 7)
            ),
        ]
        chunks = [
            {
                "index": 0,
                "delta": delta,
                "logprobs": logprobs if "content" in delta else None,
                "finish_reason": None,
            }
            for delta in deltas
        ]
        chunks.append({"index": 0, "delta": {}, "finish_reason": "tool_calls"})
        events = b"".join(
            f"data: {json.dumps({'object': 'chat.completion.chunk', 'choices': [chunk]})}\n\n".encode()
            for chunk in chunks
        )
        return StreamingResponse(iter([events + b"data: [DONE]\n\n"]), media_type="text/event-stream")

    return app


def test_blocking_replaces_a_harmful_choice_whole_and_judges_its_reasoning_and_tool_calls(tmp_path):
    """A blocked choice kept the model's logprobs, reasoning_content and tool_calls, carrying the harmful text; and a
    harmful answer only in the reasoning or a tool call's arguments was never judged."""
    with (
        serve_in_thread(reasoning_upstream()) as up,
        gateway(up, f"sqlite:///{tmp_path}/m.db", blocking=True, refusal_message="Blocked.") as (url, app),
    ):
        for where in ("bomb everywhere", "bomb reasoning", "bomb tool"):
            for stream in (False, True):
                answer = httpx.post(
                    f"{url}/v1/chat/completions", json=chat(where, stream=stream, logprobs=True)
                )
                assert answer.status_code == 200 and b"HARMFUL" not in answer.content, (
                    where,
                    stream,
                    answer.text,
                )
                if stream:
                    assert parse_sse_choices(answer.content) == (["Blocked."], ["content_filter"], None)
                else:
                    assert answer.json()["choices"] == [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "Blocked."},
                            "finish_reason": "content_filter",
                            "logprobs": None,
                        }
                    ]
        assert [r["blocked"] for r in rows(app)] == [True] * 6
        assert all(HARMFUL_ANSWER in r["original_response"] for r in rows(app))
        harmless = httpx.post(f"{url}/v1/chat/completions", json=chat("hello")).json()["choices"][0]
        assert (
            harmless["message"]["tool_calls"][0]["function"]["name"] == "send"
            and harmless["logprobs"] is not None
        )


def test_passthrough_stores_and_judges_the_reasoning_and_tool_calls(tmp_path):
    with serve_in_thread(reasoning_upstream()) as up, gateway(up, f"sqlite:///{tmp_path}/m.db") as (url, app):
        for stream in (False, True):
            for where in ("bomb reasoning", "bomb tool"):
                answer = httpx.post(f"{url}/v1/chat/completions", json=chat(where, stream=stream))
                assert answer.status_code == 200  # pass-through (a streamed call comes in 7-character pieces)
        stored = rows(app)
        assert stored[0]["response"] == f"{HARMFUL_ANSWER}\n\nSure.\n\nsend({json.dumps({'text': 'hi'})})"
        joined_call = f"send({json.dumps({'text': HARMFUL_ANSWER})})"  # the streamed call's pieces, joined
        assert joined_call in stored[3]["response"]
        assert all("HARMFUL-DETAILS" in r["response"] for r in stored)
        app.state.worker.drain()
        assert [r["harmful"] for r in rows(app)] == [True] * 4


def test_passthrough_judges_every_choice(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        for stream in (False, True):
            assert (
                httpx.post(
                    f"{url}/v1/chat/completions", json=chat("bomb please", n=2, stream=stream)
                ).status_code
                == 200
            )
        assert httpx.post(f"{url}/v1/chat/completions", json=chat("hello", n=2)).status_code == 200
        stored = rows(app)
        assert [len(r["choices"]) for r in stored] == [2, 2, 2]
        assert all(r["response"].startswith("[choice 0]\n") for r in stored)
        app.state.worker.drain()
        assert [(r["harmful"], r["refused"]) for r in rows(app)] == [
            (True, False),
            (True, False),
            (False, False),
        ]


def test_alert_fires_once_per_crossing_and_rearms(upstream, tmp_path):
    hooks: list[dict] = []
    hook_app = FastAPI()

    @hook_app.post("/hook")
    async def hook(request: Request):
        hooks.append(await request.json())
        return {"ok": True}

    rule = AlertRule(name="harm-spike", metric="harmful_rate", window=10, threshold=0.5, min_samples=5)
    with serve_in_thread(hook_app) as hook_url:
        config = AlertConfig(webhook=f"{hook_url}/hook", rules=[rule])
        with gateway(upstream, f"sqlite:///{tmp_path}/m.db", alert_config=config, judge_batch_size=2) as (
            url,
            app,
        ):

            def send(prompt: str, count: int) -> None:
                for _ in range(count):
                    assert httpx.post(f"{url}/v1/chat/completions", json=chat(prompt)).status_code == 200
                app.state.worker.drain()  # batches of 2: alerts are evaluated after each one

            send("bomb please", 12)
            send("bomb again", 6)
            fired = [a for a in rows(app, sa_alerts()) if a["kind"] == "fired"]
            assert (
                len(fired) == 1
                and len(hooks) == 1
                and hooks[0]["rule"] == "harm-spike"
                and fired[0]["delivered"]
            )
            send("hello", 10)  # rate falls back below: re-armed
            assert [a["kind"] for a in rows(app, sa_alerts())] == ["fired", "resolved"]
            send("bomb please", 10)
            assert [a["kind"] for a in rows(app, sa_alerts())] == ["fired", "resolved", "fired"] and len(
                hooks
            ) == 2
            assert 'safealign_monitor_alerts_fired{rule="harm-spike"} 2.0' in httpx.get(f"{url}/metrics").text


def sa_alerts():
    from safealign.monitor.store import alerts

    return alerts


def test_webhook_delivery_is_retried_with_backoff(monkeypatch):
    import safealign.monitor.alerts as alerts_module

    calls: list[float] = []
    waits: list[
        float
    ] = []  # the waits are recorded, not timed: a loaded machine stretches any wall-clock gap
    monkeypatch.setattr(
        alerts_module, "time", SimpleNamespace(sleep=waits.append)
    )  # this module's clock only
    hook_app = FastAPI()

    @hook_app.post("/hook")
    async def hook():
        calls.append(time.monotonic())
        return JSONResponse({"busy": True}, status_code=503) if len(calls) < 3 else {"ok": True}

    @hook_app.post("/gone")
    async def gone():
        calls.append(time.monotonic())
        return JSONResponse({"error": "no such hook"}, status_code=404)

    with serve_in_thread(hook_app) as hook_url:
        assert Notifier(f"{hook_url}/hook", backoff_s=0.1).send({"rule": "r", "message": "m"}) is True
        assert len(calls) == 3 and waits == [0.1, 0.2]  # 0.1 s, then twice that
        calls.clear()
        waits.clear()
        assert Notifier(f"{hook_url}/gone", backoff_s=0.1).send({"rule": "r", "message": "m"}) is False
        assert len(calls) == 1 and waits == []  # a 404 is the request's fault: not retried


def test_a_hanging_webhook_does_not_hold_up_judging(tmp_path, monkeypatch):
    """The alert is recorded and evaluation returns while the webhook still holds the request; delivery is marked after."""
    import safealign.monitor.alerts as alerts_module

    arrived, release = threading.Event(), threading.Event()
    hook_app = FastAPI()

    @hook_app.post("/hook")
    async def hook():
        arrived.set()
        await asyncio.to_thread(release.wait, 30)
        return {"ok": True}

    monkeypatch.setattr(
        alerts_module, "metric_rate", lambda store, metric, window: (0.9, 10)
    )  # over the threshold
    store = Store(f"sqlite:///{tmp_path}/m.db")
    rule = AlertRule(name="harm-spike", metric="harmful_rate", window=10, threshold=0.5, min_samples=5)
    with serve_in_thread(hook_app) as hook_url:
        manager = AlertManager(store, AlertConfig(rules=[rule]), Notifier(f"{hook_url}/hook", timeout_s=60))
        fired = manager.evaluate()  # returns with the webhook's answer still held back by `release`
        assert [a["rule"] for a in fired] == ["harm-spike"] and not release.is_set()
        assert arrived.wait(10), "the delivery was not started"
        assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("fired", False)]
        release.set()
        assert manager.flush(30)
        assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("fired", True)]


def test_failing_webhook_is_logged_not_raised(upstream, tmp_path, caplog):
    rule = AlertRule(name="refusals", metric="refusal_rate", window=5, threshold=0.5, min_samples=2)
    config = AlertConfig(webhook="http://127.0.0.1:9/nowhere", rules=[rule])
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db", alert_config=config) as (url, app):
        for _ in range(3):
            httpx.post(f"{url}/v1/chat/completions", json=chat("refuse this"))
        app.state.worker.drain()
        assert [(a["kind"], a["delivered"]) for a in rows(app, sa_alerts())] == [("fired", False)]
        assert "webhook" in caplog.text


def test_writer_fails_only_the_failed_batch_and_reconnects(tmp_path):
    """A failed commit rejects its waiters (they answer 503); the next batches commit on a new connection."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    insert, failures = store.insert_exchanges, iter([True])

    def flaky_insert(rows, conn=None):
        if next(failures, False):
            raise sa.exc.OperationalError("INSERT INTO exchanges", {}, Exception("disk I/O error"))
        return insert(rows, conn)

    store.insert_exchanges = flaky_insert
    writer = ExchangeWriter(store)
    writer.start()

    async def write_all() -> list[int]:
        with pytest.raises(sa.exc.OperationalError):
            await writer.write({"prompt": "lost", "status": "queued", "queue": True})
        return await asyncio.gather(
            *[writer.write({"prompt": f"kept {i}", "status": "queued", "queue": True}) for i in range(20)]
        )

    ids = asyncio.run(write_all())
    writer.stop()
    assert len(set(ids)) == 20 and store.backlog() == 20
    with store.engine.connect() as conn:
        assert sorted(conn.execute(sa.select(exchanges.c.prompt)).scalars()) == sorted(
            f"kept {i}" for i in range(20)
        )


def test_one_unstorable_row_fails_only_its_own_request(tmp_path):
    """A batch whose commit fails is retried row by row: innocent requests that shared it are stored."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    writer = ExchangeWriter(store)
    writer.start()

    async def write_all() -> list:
        rows = [{"prompt": f"kept {i}", "status": "queued", "queue": True} for i in range(8)]
        rows.insert(3, {"prompt": "bad \ud800", "status": "queued", "queue": True})  # SQLite cannot encode it
        return await asyncio.gather(*[writer.write(row) for row in rows], return_exceptions=True)

    outcomes = asyncio.run(write_all())
    writer.stop()
    assert isinstance(outcomes[3], Exception) and all(
        isinstance(o, int) for i, o in enumerate(outcomes) if i != 3
    )
    assert store.backlog() == 8


def test_lone_surrogates_are_a_400_naming_the_field(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        post = f"{url}/v1/chat/completions"
        for body, field in (
            (b'{"model": "x\\ud800", "messages": [{"role": "user", "content": "hi"}]}', "model"),
            (b'{"messages": [{"role": "user", "content": "a\\udc00b"}]}', "messages.0.content"),
        ):
            answer = httpx.post(post, content=body, headers={"content-type": "application/json"})
            assert answer.status_code == 400 and answer.json()["error"]["message"].startswith(field + ":"), (
                answer.text
            )
        paired = httpx.post(post, content=b'{"messages": [{"role": "user", "content": "\\ud83d\\ude00"}]}')
        assert paired.status_code == 200  # a full pair is one character
        assert len(rows(app)) == 1


def test_a_batch_mixes_answered_and_failed_exchanges(tmp_path):
    """Rows with different fields commit together and read back as the Core types (SQLite's fast insert)."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = store.insert_exchanges(
        [
            {
                "prompt": "ok",
                "request": {"messages": [{"role": "user", "content": "é"}]},
                "status": "queued",
                "queue": True,
                "upstream_status": 200,
                "upstream_latency_ms": 3.5,
                "stream": True,
            },
            {"prompt": "down", "status": "upstream_error"},
        ]
    )
    assert store.insert_exchanges([{"prompt": "next", "status": "queued", "queue": True}]) == [ids[-1] + 1]
    got = {r["prompt"]: r for r in rows_of(store)}
    assert [got["ok"]["id"], got["down"]["id"]] == ids
    assert (
        got["ok"]["request"] == {"messages": [{"role": "user", "content": "é"}]}
        and got["ok"]["stream"] is True
    )
    assert (
        got["down"]["request"] is None
        and got["down"]["stream"] is False
        and got["down"]["upstream_status"] is None
    )
    assert isinstance(got["ok"]["created_at"], dt.datetime) and got["ok"]["blocked"] is False
    assert [r["id"] for r in store.claim(10)] == [ids[0], ids[-1] + 1]  # the failed call is not queued
    with pytest.raises(ValueError, match="respnse"):
        store.insert_exchanges([{"prompt": "typo", "status": "queued", "respnse": "x"}])


@pytest.mark.sqlite_only
def test_request_path_connection_waits_out_a_held_write_lock(tmp_path, monkeypatch):
    """The writer's connection retries a locked database in short steps: no 10-35 ms busy-handler sleeps, no error."""
    import safealign.monitor.store as store_module

    waits: list[float] = []  # recorded, not timed: a loaded machine stretches any wall-clock gap

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(store_module, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleep))
    store = Store(f"sqlite:///{tmp_path}/m.db")
    # kept referenced: a collected one goes back to the pool, rolled back
    pooled = store.engine.raw_connection()
    holder = pooled.driver_connection
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")  # what the judge worker's commit holds for a moment
    released: list[bool] = []
    threading.Timer(0.2, lambda: (released.append(True), holder.execute("COMMIT"))).start()
    conn = store.request_path_connection()
    # SQLite's own handler is off on this connection: it would sleep 1, 2, 5, 10, 15, 20, 25, 25... ms between tries.
    assert conn.connection.driver_connection.execute("PRAGMA busy_timeout").fetchone()[0] == 0
    ids = store.insert_exchanges([{"prompt": "waited", "status": "queued", "queue": True}], conn)
    assert released and store.backlog() == 1 and ids == [1]
    assert waits and set(waits) == {0.0005}  # it did wait for the lock, in half-millisecond steps of its own
    conn.close()
    pooled.close()


def rows_of(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(exchanges).order_by(exchanges.c.id))]


class PoisonJudges(FakeJudges):
    """The harm judge raises on any batch holding the prompt 'poison'."""

    def __init__(self) -> None:
        super().__init__()
        judge = self.harm.judge

        def harm(prompts, responses):
            if any("poison" in p for p in prompts):
                raise RuntimeError("the judge cannot read this")
            return judge(prompts, responses)

        self.harm.judge = harm


def test_a_row_the_judges_raise_on_does_not_block_the_others(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges(
        [{"prompt": p, "response": "ok", "status": "queued", "queue": True} for p in ("a", "poison", "b")]
    )
    worker = JudgeWorker(
        store, PoisonJudges(), lease_s=0.0
    )  # an expired lease: retried at once (3 attempts by default)
    worker.drain(timeout_s=10)
    assert [(r["prompt"], r["status"]) for r in rows_of(store)] == [
        ("a", "judged"),
        ("poison", "judge_failed"),
        ("b", "judged"),
    ]
    assert store.backlog() == 0 and worker.failed == 1
    metrics = MonitorMetrics()
    metrics.refresh(store)
    assert "safealign_monitor_judge_failed 1.0" in metrics.render().decode()
    # The operator sees it where they look first too: /admin/stats totals and a dashboard card.
    assert queries.totals(store)["judge_failed"] == 1
    page = render_dashboard(store, MonitorConfig(upstream="http://127.0.0.1:1"))
    assert '<div class="card warn"><div class="v" id="judge-failed">1</div>' in page


def test_restart_judges_what_the_last_run_left_queued(upstream, tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    with gateway(upstream, db) as (url, _):
        for _ in range(5):
            httpx.post(f"{url}/v1/chat/completions", json=chat("hello"))
    config = MonitorConfig(upstream=upstream, db=db, api_key=KEY, worker="thread")
    app = create_gateway(config, judges=FakeJudges(), start_worker=True)
    with serve_in_thread(app):
        deadline = time.monotonic() + 10
        while app.state.store.backlog() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r["status"] for r in rows(app)] == ["judged"] * 5


def test_retention_deletes_old_exchanges(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    old = utcnow() - dt.timedelta(days=40)
    store.insert_exchanges(
        [
            {"prompt": "old", "status": "queued", "queue": True, "created_at": old},
            {"prompt": "new", "status": "queued", "queue": True},
        ]
    )
    assert store.purge(retention_days=30) == 1
    with store.engine.connect() as conn:
        assert [r.prompt for r in conn.execute(sa.select(exchanges))] == ["new"]
    assert store.backlog() == 1
    if store.engine.dialect.name == "sqlite":  # (tests/postgres_plugin.py runs this on PostgreSQL too)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_alert_file_errors_name_the_field(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(
        "rules:\n  - {name: a, metric: harmful_rate, window: 50, threshold: 0.1, min_samples: 20}\n"
    )
    assert load_alert_config(path).rules[0].window == 50
    path.write_text("rules:\n  - {name: a, metric: harm_rate}\n")
    with pytest.raises(RecipeError, match="metric"):
        load_alert_config(path)
    shipped = load_alert_config("recipes/monitor_alerts.yaml")
    assert {r.metric for r in shipped.rules} == {
        "harmful_rate",
        "refusal_rate",
        "over_refusal_rate",
        "upstream_error_rate",
    }
    path.write_text(
        "rules:\n  - {name: never, metric: refusal_rate, window: 10}\n"
    )  # min_samples 20 > window: never fires
    with pytest.raises(RecipeError, match=r"min_samples \(20\) is larger than window \(10\)"):
        load_alert_config(path)
    path.write_bytes(
        "rules:\n  - {name: a, metric: harmful_rate}\n".encode("utf-16")
    )  # Notepad's, PowerShell's > default
    with pytest.raises(RecipeError, match="not UTF-8 text"):
        load_alert_config(path)


def test_two_workers_on_one_database_page_once_and_see_each_others_resolve(tmp_path, monkeypatch):
    from safealign.monitor import alerts as alerts_module

    rate = {"now": 0.9}
    monkeypatch.setattr(alerts_module, "metric_rate", lambda store, metric, window: (rate["now"], 10))
    store = Store(f"sqlite:///{tmp_path}/m.db")
    config = AlertConfig(
        rules=[AlertRule(name="harm", metric="harmful_rate", window=10, threshold=0.5, min_samples=5)]
    )
    first, second = AlertManager(store, config, Notifier(None)), AlertManager(store, config, Notifier(None))
    assert [a["rule"] for a in first.evaluate()] == ["harm"] and second.evaluate() == [], (
        "the second worker paged again"
    )
    rate["now"] = 0.1
    first.evaluate()  # resolved by one worker ...
    rate["now"] = 0.9
    assert [a["rule"] for a in second.evaluate()] == ["harm"], "... and the other missed the next incident"
    assert store.record_alert_change("harm", "fired", delivered=False) is None, "fired twice in a row"
    assert [a["kind"] for a in reversed(queries.recent_alerts(store))] == ["fired", "resolved", "fired"]


def test_scheduled_eval_flags_a_regression(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    results = iter(
        [
            {"harmful": {"refusal_rate": 0.9}, "borderline": {"refusal_rate": 0.1}},
            {"harmful": {"refusal_rate": 0.88}, "borderline": {"refusal_rate": 0.12}},
            {"harmful": {"refusal_rate": 0.6}, "borderline": {"refusal_rate": 0.3}},
        ]
    )

    def runner(upstream, model, suites, limit):
        return next(results)

    outcomes = [
        evaluate_once(store, "http://127.0.0.1:1", "m", ["harmful", "borderline"], runner=runner)
        for _ in range(3)
    ]
    assert [bool(o["regressions"]) for o in outcomes] == [False, False, True]
    assert outcomes[2]["summary"]["harmful_refusal_rate"] == 0.6
    assert [sentence.split(":")[0] for sentence in outcomes[2]["regressions"]] == [
        "vs previous run #2",
        "vs previous run #2",
        "vs reference run #1",
        "vs reference run #1",
    ]
    with store.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(sa_alerts()))]
    assert kinds == ["regression"]
    assert summarize([{"suite": "harmful", "metrics": {"refusal_rate": 0.5}}])["harmful_refusal_rate"] == 0.5
    assert parse_interval("1h") == 3600 and parse_interval("90s") == 90


def test_a_scheduled_eval_runs_a_suite_group(tmp_path, monkeypatch):
    """monitor.eval_suites: [dev] passed validation, then every scheduled run failed: the group reached run_eval."""
    import safealign.evals
    from safealign.generation import Completion

    class RefusingEndpoint:
        def __init__(self, upstream: str, model: str) -> None:
            self.upstream, self.model = upstream, model

        def generate(self, prompts, params=None, show_progress=False):
            return [Completion(i, 0, "I can't help with that.", 5, 3, False) for i in range(len(prompts))]

    monkeypatch.setattr(safealign.evals, "EndpointGenerator", RefusingEndpoint)
    store = Store(f"sqlite:///{tmp_path}/m.db")
    outcome = evaluate_once(store, "http://127.0.0.1:1", "m", ["dev"], limit=1)
    assert outcome["summary"]["harmful_dev.refusal_rate"] == 1.0
    assert outcome["summary"]["harmful_refusal_rate"] == 1.0


class AllRefused:
    name = "all-refused"

    def judge(self, prompts, responses):
        return [Verdict("refusal", 1.0, "graded a refusal whatever it says", self.name) for _ in responses]


class AllRefusedJudges:
    """A judge set no default judge agrees with: every answer is a refusal."""

    def __init__(self) -> None:
        self.refusal, self.harm = AllRefused(), FakeHarm()


@pytest.fixture()
def complying_endpoint(monkeypatch):
    """The eval runner's endpoint, answering every prompt with compliance (the default judges: no refusal)."""
    import safealign.evals
    from safealign.generation import Completion

    class ComplyingEndpoint:
        def __init__(self, upstream: str, model: str) -> None:
            self.upstream, self.model = upstream, model

        def generate(self, prompts, params=None, show_progress=False):
            text = "Sure, here are the steps you asked for."
            return [Completion(i, 0, text, 5, 8, False) for i in range(len(prompts))]

    monkeypatch.setattr(safealign.evals, "EndpointGenerator", ComplyingEndpoint)


def test_a_scheduled_eval_grades_with_the_monitors_judge(tmp_path, complying_endpoint):
    """`monitor evaluate` ignored monitor.judge: every run was graded by the default judges, with no word of it."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    suites, spec = ["harmful", "borderline"], "import:test_monitor:AllRefusedJudges"
    own = evaluate_once(store, "http://127.0.0.1:1", "m", suites, limit=1, judge=spec)
    assert own["judge"] == own["summary"]["judge"] == spec
    assert own["summary"]["harmful_refusal_rate"] == 1.0 and own["summary"]["over_refusal_rate"] == 1.0
    default = evaluate_once(store, "http://127.0.0.1:1", "m", suites, limit=1)
    assert default["summary"]["judge"] == "default" and default["summary"]["harmful_refusal_rate"] == 0.0
    assert default["regressions"][0].startswith(
        f"vs previous and reference run #1 (graded by {spec}, this run by default): harmful_refusal_rate 1.000"
    )


def test_monitor_evaluate_takes_the_judge_from_the_recipe(tmp_path, complying_endpoint):
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "monitor:\n  upstream: http://127.0.0.1:1\n  judge: import:test_monitor:AllRefusedJudges\n"
    )
    command = ["monitor", "evaluate", "--once", "--recipe", str(recipe), "--model", "m", "--limit", "1"]
    result = CliRunner().invoke(cli, [*command, "--db", f"sqlite:///{tmp_path}/m.db"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "judge import:test_monitor:AllRefusedJudges: {'harmful_refusal_rate': 1.0" in result.output


def _report(
    harmful_refused: int,
    borderline_refused: int,
    items: int = 16,
    names: tuple[str, str] = ("harmful", "borderline"),
) -> EvalReport:
    def suite(name: str, kind: str, metric: str, count: int) -> SuiteResult:
        return SuiteResult(name, kind, items, {"all": {metric: Rate.proportion(count, items)}})

    return EvalReport(
        {
            names[0]: suite(names[0], "harmful", "refusal_rate", harmful_refused),
            names[1]: suite(names[1], "borderline", "over_refusal_rate", borderline_refused),
        },
        samples=[],
        wall_time_s=1.0,
        generation_time_s=1.0,
        judge_time_s=0.0,
        tokens_generated=10,
        prompt_tokens=10,
    )


def test_a_scheduled_eval_goes_on_after_a_later_run_fails(caplog):
    """A first failure stops the schedule (likely a wrong URL or model); the model server restarting later does not."""
    from safealign.monitor.reevaluate import evaluate_every

    outcomes = iter([None, SafealignError("answered HTTP 500"), None])
    calls = []

    def run():
        calls.append(1)
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return {}

    evaluate_every(0, run, stop_after=3)
    assert len(calls) == 3 and "answered HTTP 500" in caplog.text
    with pytest.raises(SafealignError, match="wrong"):
        evaluate_every(0, lambda: (_ for _ in ()).throw(SafealignError("wrong URL")), stop_after=3)


def test_scheduled_eval_needs_two_items_to_alert(tmp_path):
    """At --limit 16 one answer is 6.25 points: one flipped answer is not a regression, two are."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    reports = iter([_report(15, 2), _report(14, 3), _report(12, 3), _report(12, 5)])
    outcomes = [
        evaluate_once(
            store, "http://127.0.0.1:1", "m", ["harmful", "borderline"], runner=lambda *_: next(reports)
        )
        for _ in range(4)
    ]
    assert (
        outcomes[1]["summary"]["harmful_items"] == 16 and outcomes[1]["summary"]["over_refusal_items"] == 16
    )
    assert [o["regressions"] for o in outcomes[:2]] == [[], []]  # one item off the previous and the first run
    assert outcomes[2]["regressions"] == [
        "vs previous run #2: harmful_refusal_rate 0.875 → 0.750 (2 of 16 items, tolerance 0.05, at least 2 items)",
        "vs reference run #1: harmful_refusal_rate 0.938 → 0.750 (3 of 16 items, tolerance 0.05, at least 2 items)",
    ]
    assert outcomes[3]["regressions"][0].startswith("vs previous run #3: over_refusal_rate 0.188 → 0.312")
    one_item = compare_runs(outcomes[0]["summary"], outcomes[1]["summary"], tolerance=0.05, min_items=1)
    assert len(one_item) == 2  # with a floor of one item the same flip alerts
    with store.engine.connect() as conn:
        assert len(list(conn.execute(sa.select(sa_alerts())))) == 2


@pytest.mark.skipif(
    not os.environ.get("SAFEALIGN_TEST_POSTGRES"),
    reason="set SAFEALIGN_TEST_POSTGRES=postgresql+psycopg://... to run",
)
def test_postgres_store(upstream):
    url = os.environ["SAFEALIGN_TEST_POSTGRES"]
    from safealign.monitor.store import metadata

    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    with gateway(upstream, url) as (gw, app):
        for prompt in ("hello", "bomb please"):
            assert httpx.post(f"{gw}/v1/chat/completions", json=chat(prompt)).status_code == 200
        assert httpx.post(f"{gw}/v1/chat/completions", json=chat("story", stream=True)).status_code == 200
        assert app.state.store.backlog() == 3 and app.state.worker.drain() == 3
        assert [r["harmful"] for r in rows(app)] == [False, True, False]
        assert len(rows(app, verdicts)) == 9


@pytest.mark.sqlite_only
def test_worker_process_judges_and_stops_with_the_gateway(upstream, tmp_path, monkeypatch):
    """The default deployment: the judge worker is a child process that reads the same database."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")])
    )
    config = MonitorConfig(
        upstream=upstream,
        db=f"sqlite:///{tmp_path}/m.db",
        api_key=KEY,
        worker="process",
        judge="import:test_monitor:FakeJudges",
    )
    app = create_gateway(config, start_worker=True)
    with serve_in_thread(app) as url:
        for prompt in ("hello", "bomb please"):
            assert httpx.post(f"{url}/v1/chat/completions", json=chat(prompt)).status_code == 200
        deadline = time.monotonic() + 30
        while app.state.store.backlog() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [r["harmful"] for r in rows(app)] == [False, True]
        assert "safealign_monitor_harmful_rate 0.5" in httpx.get(f"{url}/metrics").text


def test_judge_once_says_why_leased_exchanges_wait_and_can_free_them(upstream, tmp_path):
    """A worker that died holding a lease: `--once` judges nothing of it, says so, and `--release-leases` judges it now."""
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    db = f"sqlite:///{tmp_path}/m.db"
    with gateway(upstream, db) as (url, app):
        for prompt in ("hello", "bomb please", "refuse this"):
            assert httpx.post(f"{url}/v1/chat/completions", json=chat(prompt)).status_code == 200
        assert len(app.state.store.claim(2, lease_s=600)) == 2  # the crashed worker's batch
        assert app.state.store.leased()[0] == 2
    command = ["monitor", "judge", "--once", "--db", db, "--judge", "import:test_monitor:FakeJudges"]
    first = CliRunner().invoke(cli, command)
    said = " ".join(first.output.split())
    assert first.exit_code == 0, first.output
    assert "judged 1 exchanges" in said and "2 queued exchanges are leased by another worker" in said
    assert "--release-leases" in said
    second = CliRunner().invoke(cli, [*command, "--release-leases"])
    said = " ".join(second.output.split())
    assert second.exit_code == 0, second.output
    assert (
        "freed 2 leases" in said
        and "judged 2 exchanges" in said
        and "leased" not in said.replace("freed 2 leases", "")
    )
    store = Store(db)
    assert store.backlog() == 0 and store.leased() == (0, None)


def test_judge_once_counts_only_what_it_judged_and_names_its_own_failures(tmp_path):
    """`--once` said "judged 3 exchanges" when one of them failed, then blamed "another worker" for the lease it kept
    on that one itself."""
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    db = f"sqlite:///{tmp_path}/m.db"
    Store(db).insert_exchanges(
        [
            {"prompt": p, "response": "ok", "status": "queued", "queue": True}
            for p in ("hello", "poison", "hi")
        ]
    )
    command = ["monitor", "judge", "--once", "--db", db, "--judge", "import:test_monitor:PoisonJudges"]
    result = CliRunner().invoke(cli, command)
    said = " ".join(result.output.split())
    assert (
        "judged 2 exchanges" in said
        and "1 exchanges failed this time" in said
        and "another worker" not in said
    ), said
    assert result.exit_code == 1  # it exited 0 with exchanges left unjudged: a cron job saw success
    for _attempt in (2, 3):  # attempts 2 and 3
        result = CliRunner().invoke(cli, [*command, "--release-leases"])
        said = " ".join(result.output.split())
        assert "judged 0 exchanges" in said and result.exit_code == 1, said
    assert "1 exchanges failed 3 times and are marked judge_failed" in said and "failed this time" not in said
    assert [(r["prompt"], r["status"]) for r in rows_of(Store(db))] == [
        ("hello", "judged"),
        ("poison", "judge_failed"),
        ("hi", "judged"),
    ]


def test_a_row_judged_on_a_later_attempt_is_no_longer_counted_as_retrying(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/m.db")
    store.insert_exchanges(
        [{"prompt": p, "response": "ok", "status": "queued", "queue": True} for p in ("a", "flaky")]
    )
    judges, failures = FakeJudges(), []
    judge = judges.harm.judge

    def flaky_once(prompts, responses):
        if "flaky" in prompts and not failures:
            failures.append(1)
            raise RuntimeError("once")
        return judge(prompts, responses)

    judges.harm.judge = flaky_once
    worker = JudgeWorker(store, judges, lease_s=0.0)  # an expired lease: retried at once
    assert worker.drain(timeout_s=10) == 2 and failures == [1]
    assert worker.retrying == set() and worker.failed == 0


def test_a_bad_judge_spec_fails_at_start_and_a_dead_worker_shows_in_health(upstream, tmp_path, monkeypatch, caplog):
    db = f"sqlite:///{tmp_path}/m.db"
    for spec, says in (
        ("import:nope.mod:f", "cannot import 'nope.mod'"),
        ("import:test_monitor:NoSuchFactory", "NoSuchFactory"),
    ):
        with pytest.raises(SafealignError, match=says):
            create_gateway(
                MonitorConfig(upstream=upstream, db=db, api_key=KEY, judge=spec), start_worker=True
            )
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")])
    )
    config = MonitorConfig(
        upstream=upstream, db=db, api_key=KEY, worker="process", judge="import:test_monitor:FakeJudges"
    )
    app = create_gateway(config, start_worker=True)
    with serve_in_thread(app) as url:
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        assert "safealign_monitor_judge_worker_up 1.0" in httpx.get(f"{url}/metrics").text
        app.state.worker_process.kill()
        app.state.worker_process.wait(10)
        with caplog.at_level("WARNING", logger="safealign.monitor.gateway"):
            health = httpx.get(f"{url}/health").json()
            httpx.get(f"{url}/health")
        assert health["status"] == "degraded" and "judge worker process exited" in health["reason"]
        assert "safealign_monitor_judge_worker_up 0.0" in httpx.get(f"{url}/metrics").text
        # /health sends the operator to the gateway's log, which said nothing of a worker stopped by a signal: once now
        said = [r.getMessage() for r in caplog.records if "judge worker process exited" in r.getMessage()]
        assert len(said) == 1 and "monitor judge --once" in said[0]


def test_secrets_stay_out_of_logs_and_the_worker_command_line(upstream, tmp_path, caplog, monkeypatch):
    assert (
        redact_url("postgresql+psycopg://monitor:s3cret@db.internal:5432/mon?sslmode=require")
        == "postgresql+psycopg://monitor:***@db.internal:5432/mon?…"
    )
    assert redact_url("https://hooks.example.com/services/T0/B0/s3cret") == "https://hooks.example.com/…"
    assert redact_url("sqlite:///runs/monitor.db") == "sqlite:///runs/monitor.db"
    with serve_in_thread(FastAPI()) as hook_url:  # every path is a 404: raise_for_status quotes the URL
        for webhook in (f"{hook_url}/hook?token=s3cret", "http://127.0.0.1:9/hook?token=s3cret"):
            assert Notifier(webhook, backoff_s=0).send({"rule": "r", "message": "m"}) is False
    assert "alert webhook" in caplog.text and "HTTP 404" in caplog.text and "s3cret" not in caplog.text
    launched = {}
    monkeypatch.setattr(
        subprocess, "Popen", lambda command, **kwargs: launched.update(command=command, **kwargs)
    )
    spawn_worker_process(
        "postgresql+psycopg://u:s3cret@h/db",
        "openai:https://u:s3cret@grader.example.com/v1#m",
        None,
        "http://h/hook?token=s3cret",
        8,
        30,
    )
    assert not any("s3cret" in part for part in launched["command"])
    assert (
        launched["env"]["SAFEALIGN_MONITOR_DB"].endswith("s3cret@h/db")
        and "s3cret" in launched["env"]["SAFEALIGN_MONITOR_WEBHOOK"]
    )
    assert launched["env"]["SAFEALIGN_MONITOR_JUDGE"] == "openai:https://u:s3cret@grader.example.com/v1#m"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--db", "sqlite:"], "not a database URL"),
        pytest.param(
            ["--db", "sqlite:////proc/nope/x.db"], "cannot open or create", marks=pytest.mark.sqlite_only
        ),
        (["--judge", "import:nope.mod:f", "--worker", "thread"], "cannot import 'nope.mod'"),
    ],
)
def test_bad_gateway_options_are_one_line_errors(options, says, tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    db = ["--db", f"sqlite:///{tmp_path}/m.db"] if "--db" not in options else []
    result = CliRunner().invoke(cli, ["monitor", "--upstream", "http://127.0.0.1:9", *db, *options])
    assert result.exit_code == 2, result.exception
    assert says in " ".join(result.output.split()) and "Traceback" not in result.output


@pytest.mark.sqlite_only
def test_a_db_file_that_is_not_a_database_is_a_one_line_error_and_stays_unchanged(tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    notes = tmp_path / "notadb.txt"
    notes.write_bytes(b"my notes, not a database\n" * 200)
    with pytest.raises(
        SafealignError, match="point --db at a new file or at an existing safealign monitor database"
    ):
        Store(f"sqlite:///{notes}")
    result = CliRunner().invoke(
        cli, ["monitor", "--upstream", "http://127.0.0.1:9", "--db", f"sqlite:///{notes}", "--worker", "none"]
    )
    assert result.exit_code == 2, result.exception
    said = " ".join(result.output.split())
    assert str(notes) in said and "point --db at a new file" in said and "Traceback" not in result.output
    assert notes.read_bytes() == b"my notes, not a database\n" * 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notadb.txt"]


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://", "https:///v1", "http://h:port", "ftp://h", "localhost:8000"]
)
def test_an_upstream_or_webhook_url_without_a_usable_host_is_rejected(url, tmp_path):
    from pydantic import ValidationError

    from safealign.monitor.alerts import load_alert_config

    for field in ("upstream", "webhook"):
        with pytest.raises(ValidationError, match=rf"{field} .* give one like http://127\.0\.0\.1:8000"):
            MonitorConfig(**{field: url}, db=f"sqlite:///{tmp_path}/m.db")
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(f"webhook: '{url}'\nrules: []\n")
    with pytest.raises(RecipeError, match=r"webhook .* give one like http://127\.0\.0\.1:8000"):
        load_alert_config(alerts)


def test_a_malformed_upstream_is_a_one_line_cli_error(tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    result = CliRunner().invoke(
        cli,
        ["monitor", "--upstream", "http://[::1", "--db", f"sqlite:///{tmp_path}/m.db", "--worker", "none"],
    )
    assert result.exit_code == 2, result.exception
    assert (
        "give one like http://127.0.0.1:8000" in " ".join(result.output.split())
        and "Traceback" not in result.output
    )


def test_the_recipes_monitor_section_configures_the_gateway_and_options_override_it(tmp_path, monkeypatch):
    """A recipe's monitor: section passed `validate` and nothing read it: blocking, refusal_message, timeouts were lost."""
    from typer.testing import CliRunner

    import safealign.cli.monitor_cmd as monitor_cmd
    import safealign.monitor
    import safealign.serve
    from safealign.cli.main import app as cli

    seen = {}
    monkeypatch.setattr(safealign.monitor, "create_gateway", lambda config: seen.setdefault("config", config))
    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: seen.setdefault("run", {"port": port}))
    monkeypatch.setattr(monitor_cmd, "check_can_listen", lambda host, port: None)
    monkeypatch.delenv("SAFEALIGN_MONITOR_KEY", raising=False)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"monitor:\n  upstream: http://127.0.0.1:9000\n  db: sqlite:///{tmp_path}/m.db\n  blocking: true\n"
        "  port: 9100\n  refusal_message: Not with me.\n  upstream_timeout_s: 5\n"
    )
    result = CliRunner().invoke(cli, ["monitor", "--recipe", str(recipe), "--port", "9200"])
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert (config.upstream, config.blocking, config.refusal_message, config.upstream_timeout_s) == (
        "http://127.0.0.1:9000",
        True,
        "Not with me.",
        5,
    )
    assert config.port == 9200 and seen["run"]["port"] == 9200, "an option given on the command line wins"
    assert config.host == "127.0.0.1" and config.judge == "default", "defaults where neither says"
    seen.clear()
    assert CliRunner().invoke(cli, ["monitor", "--recipe", str(recipe), "--pass-through"]).exit_code == 0
    assert seen["config"].blocking is False and seen["config"].port == 9100

    result = CliRunner().invoke(
        cli, ["monitor", "--recipe", str(recipe), "judge", "--once"], env={"COLUMNS": "300"}
    )
    assert (
        result.exit_code == 2
        and "--recipe goes after the subcommand: safealign monitor judge --recipe"
        in " ".join(result.output.split())
    )
    # any gateway option before the subcommand: --db went unused (a new database in the current folder, the queue unjudged)
    result = CliRunner().invoke(
        cli,
        ["monitor", "--db", f"sqlite:///{tmp_path}/m.db", "--port", "9", "judge", "--once"],
        env={"COLUMNS": "300", "SAFEALIGN_MONITOR_KEY": "k"},
    )
    assert result.exit_code == 2 and "--db, --port go after the subcommand" in " ".join(result.output.split())

    bare = tmp_path / "bare.yaml"
    bare.write_text("name: x\n")
    result = CliRunner().invoke(cli, ["monitor", "--recipe", str(bare)])
    assert result.exit_code == 2 and "has no monitor: section" in " ".join(result.output.split())
    recipe.write_text("monitor:\n  port: 70000\n")
    result = CliRunner().invoke(cli, ["monitor", "--recipe", str(recipe), "--upstream", "http://127.0.0.1:9"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "port" in said and "Traceback" not in result.output, said


def wrong_type():
    """A factory that returns one judge, not a judge set (a plausible mistake)."""
    return FakeRefusal()


class StringJudges(FakeJudges):
    """The harm judge returns labels as strings, not Verdicts."""

    def __init__(self) -> None:
        super().__init__()
        self.harm.judge = lambda prompts, responses: ["safe"] * len(responses)


def test_a_judge_set_that_breaks_the_contract_is_named_not_a_traceback(tmp_path, caplog):
    """A factory returning the wrong type started fine and failed every exchange with an AttributeError traceback;
    a judge returning strings did the same ('str' object has no attribute 'details')."""
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli
    from safealign.monitor.worker import load_judges

    with pytest.raises(
        SafealignError, match=r"returned FakeRefusal, which has no \.refusal\.judge and no \.harm\.judge"
    ):
        load_judges("import:test_monitor:wrong_type")
    db = f"sqlite:///{tmp_path}/m.db"
    Store(db).insert_exchanges([{"prompt": "hi", "response": "ok", "status": "queued", "queue": True}])
    worker = JudgeWorker(Store(db), StringJudges())
    with caplog.at_level("ERROR"):
        assert worker.drain(timeout_s=10) == 0
    assert "the harm judge 'fake-harm' returned 1 results of type str for 1 responses" in caplog.text
    assert all(record.exc_info is None for record in caplog.records) and worker.retrying

    Store(db).release_leases()
    result = CliRunner().invoke(
        cli, ["monitor", "judge", "--once", "--db", db, "--judge", "import:test_monitor:wrong_type"]
    )
    assert (
        result.exit_code == 2
        and "has no .refusal.judge" in " ".join(result.output.split())
        and "Traceback" not in result.output
    )
    assert Store(db).backlog() == 1, "nothing was judged, nothing marked failed"


class GuardWordJudges(FakeJudges):
    """A plugged-in guard speaking Llama Guard's words ('unsafe'), a refusal judge saying 'refused'."""

    def __init__(self) -> None:
        super().__init__()
        self.harm.judge = lambda prompts, responses: [
            Verdict("unsafe", 0.99, "S9", "my-guard") for _ in responses
        ]


def test_a_judge_label_outside_its_set_is_named_not_counted_as_safe(tmp_path, caplog):
    """A guard's 'unsafe' was counted as not harmful (and 'refused' as not refused): every exchange looked clean."""
    from safealign.monitor.worker import JudgeOutputError, judge_exchanges

    db = f"sqlite:///{tmp_path}/m.db"
    Store(db).insert_exchanges(
        [{"prompt": "bomb", "response": "Step 1: ...", "status": "queued", "queue": True}]
    )
    worker = JudgeWorker(Store(db), GuardWordJudges(), max_attempts=1)
    with caplog.at_level("ERROR"):
        assert worker.drain(timeout_s=10) == 0
    assert (
        "the harm judge 'fake-harm' returned the label 'unsafe'" in caplog.text
        and "'harmful', 'safe'" in caplog.text
    )
    assert [r["status"] for r in rows_of(Store(db))] == ["judge_failed"]

    judges = FakeJudges()
    judges.refusal.judge = lambda prompts, responses: [
        Verdict("refused", 0.99, "declined", "my-refusal") for _ in responses
    ]
    with pytest.raises(
        JudgeOutputError,
        match=r"label 'refused'.*one of 'refusal', 'partial_refusal', 'compliance', 'evasive'",
    ):
        judge_exchanges(judges, ["q"], ["I can't."])


def raising_factory():
    raise KeyError("JUDGE_API_KEY")


def test_a_judge_factory_or_module_that_raises_is_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    (tmp_path / "broken_judges.py").write_text("raise RuntimeError('no GPU here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    db = f"sqlite:///{tmp_path}/m.db"
    for spec, says in (
        ("import:test_monitor:raising_factory", "the factory raised KeyError: 'JUDGE_API_KEY'"),
        ("import:broken_judges:f", "cannot import 'broken_judges' (RuntimeError: no GPU here)"),
    ):
        result = CliRunner().invoke(cli, ["monitor", "judge", "--once", "--db", db, "--judge", spec])
        said = " ".join(result.output.split())
        assert result.exit_code == 2 and says in said and "Traceback" not in result.output, result.output


def test_two_workers_on_one_postgresql_database_judge_each_exchange_once(tmp_path):
    """docs/monitoring.md: on PostgreSQL concurrent workers skip each other's rows. Runs under tests/postgres_plugin.py
    (SQLite has one worker per file: skipped there)."""
    import threading

    store = Store(f"sqlite:///{tmp_path}/m.db")
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: run with -p postgres_plugin (see tests/postgres_plugin.py)")
    store.insert_exchanges(
        [{"prompt": f"p{i}", "response": "ok", "status": "queued", "queue": True} for i in range(120)]
    )
    judges = FakeJudges()
    slow = judges.harm.judge
    judges.harm.judge = lambda prompts, responses: time.sleep(0.01) or slow(prompts, responses)
    workers = [JudgeWorker(Store(store.url), judges, batch_size=8) for _ in range(2)]
    threads = [threading.Thread(target=worker.drain, kwargs={"timeout_s": 60}) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(worker.judged for worker in workers) == 120 and all(worker.judged for worker in workers), [
        w.judged for w in workers
    ]
    with store.engine.connect() as conn:
        per_exchange = conn.execute(
            sa.select(verdicts.c.exchange_id, sa.func.count()).group_by(verdicts.c.exchange_id)
        ).all()
    assert len(per_exchange) == 120 and {count for _, count in per_exchange} == {3}


def test_the_gateway_checks_openai_ranges_not_serves_and_takes_a_v1_upstream(upstream, tmp_path):
    """`serve` answers at most 16 a request; vLLM behind the gateway takes 128, and top_p 0. `serve` prints URLs that end
    in /v1, which the gateway turned into /v1/v1/chat/completions (a 404 for every request)."""
    with gateway(upstream + "/v1/", f"sqlite:///{tmp_path}/m.db") as (url, app):
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hello") | {"n": 20, "top_p": 0})
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["choices"]) == 20
        assert httpx.post(f"{url}/v1/chat/completions", json=chat("hello") | {"n": 129}).status_code == 400


def test_the_gateway_forwards_openai_turns_that_serve_refuses(upstream, tmp_path):
    """serve's rules reached the gateway: an assistant turn with only an audio answer's id, an SDK message that refused
    (content null), a tool call (serve has no tools), and vLLM's top_k 40.0 were refused before the upstream saw them."""
    question = {"role": "user", "content": "What's the weather?"}
    called = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        for body in (
            {"messages": [question, {"role": "assistant", "audio": {"id": "audio_abc"}}, question]},
            {
                "messages": [
                    question,
                    {"role": "assistant", "content": None, "refusal": "I can't help."},
                    question,
                ]
            },
            {"messages": [question, called, {"role": "tool", "tool_call_id": "c1", "content": "18C"}]},
            {"messages": [question], "top_k": 40.0},
        ):
            answer = httpx.post(f"{url}/v1/chat/completions", json=body)
            assert answer.status_code == 200, (body, answer.text)
        assert (
            httpx.post(f"{url}/v1/chat/completions", json={"messages": [question], "top_k": 40.5}).status_code
            == 400
        )
        assert [r["status"] for r in rows(app)] == ["queued"] * 4


def test_monitor_settings_refuse_what_would_fail_later():
    from pydantic import ValidationError

    for db in ("sqlite://", "sqlite:///:memory:"):  # each pooled connection would get its own empty database
        with pytest.raises(ValidationError, match="in-memory SQLite"):
            MonitorConfig(db=db)
    with pytest.raises(
        ValidationError, match="retention_days"
    ):  # a date before year 1: purging crashed hourly
        MonitorConfig(retention_days=1_000_000)
    assert MonitorConfig(upstream="http://127.0.0.1:8000/v1").upstream == "http://127.0.0.1:8000"
    with pytest.raises(
        ValidationError, match="eval_suites"
    ):  # `--suites ,` stored an empty run that hid the next comparison
        MonitorConfig(eval_suites=[])
    with pytest.raises(
        ValidationError, match="did you mean 'harmful'"
    ):  # validate passed it; evaluate failed on first run
        MonitorConfig(eval_suites=["harmfull"])
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    result = CliRunner().invoke(
        cli,
        ["monitor", "evaluate", "--upstream", "http://127.0.0.1:9", "--every", "0"],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 2 and "leaves no pause between eval runs" in result.output


@pytest.mark.sqlite_only
def test_a_database_file_deleted_while_the_gateway_runs_is_a_503_and_degraded_health(upstream, tmp_path):
    """Open connections wrote on into the unlinked file: clients got 200 for exchanges nobody could read again."""
    db = tmp_path / "m.db"
    with gateway(upstream, f"sqlite:///{db}") as (url, app):
        assert httpx.post(f"{url}/v1/chat/completions", json=chat("hello")).status_code == 200
        for path in tmp_path.glob("m.db*"):
            path.unlink()
        lost = httpx.post(f"{url}/v1/chat/completions", json=chat("hello again"))
        assert lost.status_code == 503, lost.text
        health = httpx.get(f"{url}/health").json()
        assert health["status"] == "degraded" and "was deleted, moved or replaced" in health["reason"]


def test_a_wrong_openai_path_through_the_gateway_gets_openais_error_envelope(upstream, tmp_path):
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app):
        answer = httpx.post(f"{url}/v1/completions", json={"prompt": "hi"})
        assert (
            answer.status_code == 404
            and answer.json()["error"]["message"]
            == "POST /v1/completions: Not Found; this server answers POST /v1/chat/completions, GET /v1/models and"
            " GET /v1/models/{id}, and forwards no other"
        )
        assert httpx.get(f"{url}/admin/nothing").json() == {"detail": "Not Found"}, (
            "other paths keep FastAPI's answer"
        )
