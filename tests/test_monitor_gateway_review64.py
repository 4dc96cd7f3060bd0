"""Review of the monitor gateway's request path (proxy, gateway, writer): each test reproduces one defect found."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from test_monitor import chat, fake_upstream, gateway, rows, serve_in_thread


@pytest.fixture()
def upstream() -> Iterator[str]:
    with serve_in_thread(fake_upstream()) as url:
        yield url


ANSWER = b'{"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}]}'
EVENTS = b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\ndata: [DONE]\n\n'
# Header bytes as an upstream may send them: UTF-8 outside latin-1, a raw latin-1 byte, and a repeated header.
ODD_HEADERS = [
    (b"x-model-name", "模型".encode()),
    (b"x-note", b"caf\xe9"),
    (b"set-cookie", b"AWSALB=a; Path=/"),
    (b"set-cookie", b"AWSALBCORS=b; Path=/; Secure"),
]


def upstream_with_headers() -> FastAPI:
    app = FastAPI()

    async def answer(request: Request) -> Response:
        stream = request.method == "POST" and (await request.json()).get("stream")
        response = Response(
            EVENTS if stream else ANSWER, media_type="text/event-stream" if stream else "application/json"
        )
        response.raw_headers.extend(ODD_HEADERS)
        return response

    app.post("/v1/chat/completions")(answer)
    app.get("/v1/models")(answer)
    return app


def test_upstream_headers_are_relayed_as_their_bytes(tmp_path):
    """A header value outside latin-1 failed the answer with a 500 (a stream's exchange was not stored at all, a whole
    answer's was stored as answered); a UTF-8 'é' reached the client as latin-1; of two Set-Cookie headers one was lost."""
    with (
        serve_in_thread(upstream_with_headers()) as up,
        gateway(up, f"sqlite:///{tmp_path}/m.db") as (url, app),
    ):
        for stream in (False, True):
            answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hi", stream=stream))
            assert answer.status_code == 200, answer.text
            assert [h for h in answer.headers.raw if h in ODD_HEADERS] == ODD_HEADERS, stream
            assert answer.content == (EVENTS if stream else ANSWER)
        models = httpx.get(f"{url}/v1/models")
        assert (
            models.status_code == 200 and [h for h in models.headers.raw if h in ODD_HEADERS] == ODD_HEADERS
        )
        assert [(r["stream"], r["status"]) for r in rows(app)] == [(False, "queued"), (True, "queued")]


def surrogate_upstream() -> FastAPI:
    """Answers whose JSON escapes UTF-16 halves: a stream that cuts an emoji's pair between two chunks, an answer with
    a lone half."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def answer(request: Request) -> Response:
        if (await request.json()).get("stream"):
            events = (
                b'data: {"choices": [{"index": 0, "delta": {"content": "smile \\ud83d"}}]}\n\n'
                b'data: {"choices": [{"index": 0, "delta": {"content": "\\ude00 ok"}}]}\n\n'
                b"data: [DONE]\n\n"
            )
            return Response(events, media_type="text/event-stream")
        body = (
            b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "half \\ud800 done"}}]}'
        )
        return Response(body, media_type="application/json")

    return app


def test_an_answer_with_utf16_halves_is_stored_and_acknowledged(tmp_path):
    """Python decodes each escaped half as a lone surrogate, which the database refused: the exchange was lost, the
    stream's client never got [DONE] and the whole answer's got a 503 'try again' (which fails the same way)."""
    for blocking in (False, True):
        with (
            serve_in_thread(surrogate_upstream()) as up,
            gateway(up, f"sqlite:///{tmp_path}/m{blocking}.db", blocking=blocking) as (url, app),
        ):
            streamed = httpx.post(f"{url}/v1/chat/completions", json=chat("hi", stream=True))
            assert streamed.status_code == 200 and streamed.content.endswith(b"data: [DONE]\n\n"), blocking
            whole = httpx.post(f"{url}/v1/chat/completions", json=chat("hi"))
            assert whole.status_code == 200 and b"\\ud800" in whole.content, whole.text  # relayed as it came
            assert [(r["status"], r["response"]) for r in rows(app)] == [
                ("queued", "smile \U0001f600 ok"),
                ("queued", "half \ufffd done"),
            ]
            assert app.state.worker.drain() == 2


def test_an_upstream_redirecting_the_post_to_a_get_is_a_502_naming_where(upstream, tmp_path):
    """aiohttp follows a 301/302/303 with a GET without the body: the client got the upstream's 405 'Method Not
    Allowed' for its POST (while /v1/models worked), stored as the upstream rejecting the request. A 307 keeps the POST
    and its body, and is still followed."""
    moved = FastAPI()

    @moved.api_route("/{path:path}", methods=["GET", "POST"])
    async def redirect(path: str, request: Request) -> Response:
        kept = path.startswith("keep/")  # a 307 under /keep, a 301 elsewhere
        return Response(
            status_code=307 if kept else 301, headers={"location": f"{upstream}/{path.removeprefix('keep/')}"}
        )

    with (
        serve_in_thread(moved) as old,
        gateway(old, f"sqlite:///{tmp_path}/m.db") as (url, app),
        gateway(old + "/keep", f"sqlite:///{tmp_path}/keep.db") as (kept_url, kept_app),
    ):
        answer = httpx.post(f"{url}/v1/chat/completions", json=chat("hello"))
        error = answer.json()["error"]
        assert answer.status_code == 502 and error["type"] == "upstream_error", answer.text
        assert (
            f"(301 to {upstream}/v1/chat/completions)" in error["message"]
            and "--upstream" in error["message"]
        )
        assert [(r["status"], r["upstream_status"]) for r in rows(app)] == [("upstream_error", 301)]
        assert (
            'safealign_monitor_upstream_errors_total{kind="redirect"} 1.0' in httpx.get(f"{url}/metrics").text
        )
        assert httpx.get(f"{url}/v1/models").status_code == 200  # a GET may follow it
        followed = httpx.post(f"{kept_url}/v1/chat/completions", json=chat("hello"))
        assert followed.status_code == 200 and "helpful answer" in followed.text
        assert [r["status"] for r in rows(kept_app)] == ["queued"]
