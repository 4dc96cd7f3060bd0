"""A request serve or the gateway refuses on its schema is a 400 invalid_request_error, as OpenAI and vLLM answer it
(OpenAI's clients raise BadRequestError for a 400, UnprocessableEntityError for the 422 both gave), its param the
request's own field path: no pydantic union member's name (`stop.list[str].1`), no message where its content is meant."""

from __future__ import annotations

import httpx
import pytest
from test_batcher_death_review65 import ScriptedEngine
from test_monitor import gateway, serve_in_thread, upstream  # noqa: F401 - upstream is a fixture

from safealign.serve import create_app
from safealign.serve.app import sampling_params
from safealign.serve.protocol import ChatRequest, RequestError, validate_chat

HI = {"role": "user", "content": "hi"}
# (request body, the param named, what the message says of it)
REFUSED = {
    "no-content": ({"messages": [{"role": "user"}]}, "messages.0.content", "the message has no 'content'"),
    "null-content": (
        {"messages": [HI, {"role": "user", "content": None}]},
        "messages.1.content",
        "the message has no 'content'",
    ),
    "empty-content": (
        {"messages": [{"role": "user", "content": []}]},
        "messages.0.content",
        "the message's content is an empty list",
    ),
    "stop-item": ({"messages": [HI], "stop": ["\n", 1]}, "stop.1", "Input should be a valid string"),
    "stop-number": ({"messages": [HI], "stop": 5}, "stop", "Input should be a valid string or a valid list"),
    "content-number": (
        {"messages": [{"role": "user", "content": 5}]},
        "messages.0.content",
        "Input should be a valid string or a valid list",
    ),
    "content-part": (
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, 7]}]},
        "messages.0.content.1",
        "Input should be a valid dictionary",
    ),
    "message-text": ({"messages": ["hi"]}, "messages.0", "Input should be a valid dictionary"),
    "role": (
        {"messages": [{"role": "wizard", "content": "hi"}]},
        "messages.0.role",
        "Input should be 'system'",
    ),
    "no-role": ({"messages": [{"content": "hi"}]}, "messages.0.role", "Field required"),
    "include-usage": (
        {"messages": [HI], "stream": True, "stream_options": {"include_usage": "no"}},
        "stream_options.include_usage",
        "Input should be a valid boolean",
    ),
    "temperature": (
        {"messages": [HI], "temperature": 3},
        "temperature",
        "Input should be less than or equal to 2",
    ),
}


def assert_refused(answer: httpx.Response, param: str, says: str) -> None:
    error = answer.json()["error"]
    assert answer.status_code == 400, answer.text
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None), error
    assert error["message"].startswith(f"invalid request: {param}: {says}"), error["message"]
    assert "Value error" not in error["message"] and "list[" not in error["message"], error["message"]


@pytest.fixture(scope="module")
def served_url():
    with serve_in_thread(create_app(ScriptedEngine(), "tiny", max_wait_ms=1)) as url:
        yield url


@pytest.mark.parametrize(("body", "param", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_serve_answers_a_request_its_schema_refuses_400_naming_the_field(served_url, body, param, says):
    assert_refused(httpx.post(f"{served_url}/v1/chat/completions", json=body), param, says)


def test_the_gateway_answers_them_400_naming_the_same_field_as_serve(upstream, tmp_path):  # noqa: F811
    with gateway(upstream, f"sqlite:///{tmp_path}/m.db") as (url, _):
        for body, param, says in REFUSED.values():
            answer = httpx.post(f"{url}/v1/chat/completions", json=body)
            assert_refused(answer, param, says)
            assert answer.json()["error"]["message"] == validate_chat_message(body)
        metrics = httpx.get(f"{url}/metrics").text
    assert f'safealign_monitor_requests_total{{status="400"}} {len(REFUSED)}.0' in metrics, metrics


def validate_chat_message(body: dict) -> str:
    """serve's message for ``body``: the gateway's is the same."""
    with pytest.raises(RequestError) as caught:
        validate_chat(body)
    return caught.value.message


def test_a_sampling_setting_the_engine_refuses_is_a_400_too():
    # The schema's bounds are inside SamplingParams', so only a request built around the schema reaches this.
    chat = ChatRequest.model_construct(messages=[HI], temperature=float("nan"), n=1, stop=None)
    with pytest.raises(RequestError) as caught:
        sampling_params(chat, default_max_tokens=8)
    assert caught.value.status == 400 and "temperature" in caught.value.message, caught.value.message
