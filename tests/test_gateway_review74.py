"""Review 74 of the monitor gateway's request judging and serve's protocol edges: each test reproduces one defect."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from test_monitor import HARMFUL_ANSWER, FakeJudges, gateway, rows, serve_in_thread

from safealign.config.sections import MonitorConfig
from safealign.monitor import create_gateway
from safealign.serve.protocol import (
    ChatRequest,
    ForwardedChatRequest,
    RequestError,
    last_user_text,
    refuse_unsupported,
    validate_chat,
)

ASKED = "How do I build a bomb?"


def responses_parts_upstream() -> FastAPI:
    """Answers in the Responses API's output_text parts, whole or streamed (as a server bridging that API does)."""
    app = FastAPI()
    parts = [
        {"type": "output_text", "text": "Sure. Step 1: HARMFUL-"},
        {"type": "output_text", "text": "DETAILS."},
    ]

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        if not (await request.json()).get("stream"):
            message = {"role": "assistant", "content": parts}
            return {
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }

        def events():
            for part in parts:
                event = {
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": [part]}}],
                }
                yield f"data: {json.dumps(event)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.mark.parametrize("kind", ["input_text", "output_text"])
def test_a_responses_style_text_part_is_the_prompt_the_gateway_judges(kind):
    """vLLM reads the Responses API's input_text (and output_text) parts as text: the gateway forwarded such a request
    and stored, and judged, its prompt as empty."""
    payload = {
        "messages": [
            {"role": "user", "content": [{"type": kind, "text": ASKED}, {"type": "text", "text": "Now."}]}
        ]
    }
    validate_chat(payload, ForwardedChatRequest)
    assert last_user_text(payload) == f"{ASKED}\nNow."


def test_the_gateway_stores_and_judges_an_input_text_request_and_an_output_text_answer(tmp_path):
    request = {
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "input_text", "text": ASKED}]}],
    }
    with (
        serve_in_thread(responses_parts_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app),
    ):
        whole = httpx.post(f"{url}/v1/chat/completions", json=request)
        streamed = httpx.post(f"{url}/v1/chat/completions", json=request | {"stream": True})
        assert whole.status_code == streamed.status_code == 200, (whole.text, streamed.text)
        app.state.worker.drain()
        stored = rows(app)
    assert [(r["prompt"], r["response"], r["harmful"]) for r in stored] == [(ASKED, HARMFUL_ANSWER, True)] * 2


@pytest.mark.parametrize("schema", [ChatRequest, ForwardedChatRequest], ids=["serve", "gateway"])
def test_an_input_text_part_without_its_text_is_a_400_naming_it(schema):
    """It was forwarded, its turn judged as an empty prompt."""
    payload = {"messages": [{"role": "user", "content": [{"type": "input_text", "txt": ASKED}]}]}
    with pytest.raises(RequestError) as refused:
        validate_chat(payload, schema)
    assert refused.value.param == "messages.0.content"
    assert (
        """an 'input_text' part without 'text'; send {"type": "input_text", "text": "..."}"""
        in refused.value.message
    )


@pytest.mark.parametrize(
    ("part", "fix"),
    [
        ({"type": "image_url", "image_url": {"url": "x"}}, "send the content as text"),
    ],
)
def test_serves_400_for_a_part_it_cannot_read_names_the_parts_path(part, fix):
    """param was "messages", as OpenAI's names the part itself (serve reads input_text parts as text since fdb5def)."""
    turns = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "a"}, part]},
    ]
    with pytest.raises(RequestError) as refused:
        refuse_unsupported(validate_chat({"messages": turns}))
    assert refused.value.param == "messages.1.content.1", refused.value.body()
    assert refused.value.message.startswith(f"messages.1.content.1: a '{part['type']}' part;")
    assert fix in refused.value.message


def error_in_200_upstream() -> FastAPI:
    """Answers 200 with an error object in place of a chat completion, as some routing proxies do."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions():
        return {"error": {"message": "No endpoints found for model foo; check the model name", "code": 404}}

    return app


@pytest.mark.parametrize("blocking", [False, True], ids=["passthrough", "blocking"])
def test_a_200_carrying_an_error_object_says_the_upstreams_error(tmp_path, blocking):
    """The 502 said only that no chat completion came (a stream's error event is quoted): the upstream's reason, which
    names the fix, reached neither the client nor the gateway's log."""
    with (
        serve_in_thread(error_in_200_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db", blocking=blocking) as (url, app),
    ):
        answer = httpx.post(
            f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
        )
        stored = rows(app)
    message = answer.json()["error"]["message"]
    assert answer.status_code == 502 and "the answer carried an error object" in message, answer.text
    assert ("No endpoints found for model foo" in message) is not blocking
    assert [r["status"] for r in stored] == ["upstream_error"] and "No endpoints found" in stored[0][
        "response"
    ]


def audio_upstream() -> FastAPI:
    """Answers as OpenAI does with audio output: content null, the words in audio.transcript (streamed in pieces)."""
    app = FastAPI()
    pieces = ["Sure. Step 1: HARMFUL-", "DETAILS."]

    @app.post("/v1/chat/completions")
    async def completions(request: Request):
        if not (await request.json()).get("stream"):
            audio = {"id": "audio_1", "data": "UklGRg==", "expires_at": 1, "transcript": "".join(pieces)}
            message = {"role": "assistant", "content": None, "audio": audio}
            return {
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }

        def events():
            for delta in [{"audio": {"id": "audio_1", "transcript": piece}} for piece in pieces] + [
                {"audio": {"data": "AA=="}}
            ]:
                event = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
                yield f"data: {json.dumps(event)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def test_an_audio_answer_is_stored_and_judged_on_its_transcript(tmp_path):
    """With audio output an answer's content is null and its words are in audio.transcript: the gateway stored and
    judged a spoken answer, whole or streamed, as an empty one; blocking mode let a harmful one through."""
    request = {"messages": [{"role": "user", "content": ASKED}], "modalities": ["text", "audio"]}
    with (
        serve_in_thread(audio_upstream()) as upstream,
        gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, app),
        gateway(upstream, f"sqlite:///{tmp_path}/b.db", blocking=True) as (blocking_url, _),
    ):
        for stream in (False, True):
            assert (
                httpx.post(f"{url}/v1/chat/completions", json=request | {"stream": stream}).status_code == 200
            )
        blocked = httpx.post(f"{blocking_url}/v1/chat/completions", json=request).json()
        app.state.worker.drain()
        stored = rows(app)
    assert [(r["response"], r["harmful"]) for r in stored] == [(HARMFUL_ANSWER, True)] * 2
    assert blocked["choices"][0]["finish_reason"] == "content_filter", blocked


def test_a_wrong_key_is_told_where_the_right_one_comes_from(tmp_path):
    """The 403 said only 'wrong API key': not which key the monitor takes, nor where a generated one is shown."""
    config = MonitorConfig(upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", api_key="right")
    with TestClient(create_gateway(config, judges=FakeJudges(), start_worker=False)) as client:
        refused = client.get("/admin/stats", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "permission_error"
    message = refused.json()["error"]["message"]
    assert message.startswith("wrong API key: send the key this monitor was started with (--api-key")
    assert "$SAFEALIGN_MONITOR_KEY" in message and "in its log at start" in message
