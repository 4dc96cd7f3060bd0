"""`safealign serve` found in review (session 70): OpenAI's model retrieve was a 404 for the served model itself, and
the gateway forwarded a user message without content."""

from __future__ import annotations

import json

import httpx
import pytest
from test_batcher_death_review65 import ScriptedEngine
from test_monitor import serve_in_thread

from safealign.serve import create_app
from safealign.serve.protocol import ForwardedChatRequest, RequestError, validate_chat


@pytest.mark.parametrize("name", ["tiny", "Qwen/Qwen3-0.6B"])
def test_the_served_model_is_retrieved_as_openai_answers_it_and_another_is_a_404(name):
    """GET /v1/models/{id} (openai-python's client.models.retrieve, which sends a Hub id's slash as %2F) was a 404
    "Not Found" for the model the server serves."""
    app = create_app(ScriptedEngine(), name, max_wait_ms=1, accepted_models=())
    with serve_in_thread(app) as url:
        found = httpx.get(f"{url}/v1/models/{name.replace('/', '%2F')}")
        assert found.status_code == 200, found.text
        assert found.json() == httpx.get(f"{url}/v1/models").json()["data"][0]
        assert found.json()["id"] == name and found.json()["object"] == "model"
        other = httpx.get(f"{url}/v1/models/gpt-4o")
    assert other.status_code == 404, other.text
    error = other.json()["error"]
    assert error["param"] == "model" and error["message"].startswith("The model `gpt-4o` does not exist"), (
        error
    )
    assert f"This server serves `{name}`" in error["message"]


def test_the_model_spec_serve_also_answers_is_retrieved_too():
    """A chat naming the spec serve was started with is answered, so its retrieve is no 'does not exist'."""
    app = create_app(ScriptedEngine(), "tiny", max_wait_ms=1, accepted_models=("./runs/x",))
    with serve_in_thread(app) as url:
        found = httpx.get(f"{url}/v1/models/runs/x/")
    assert found.status_code == 200 and found.json()["id"] == "tiny", found.text


QUESTION = {"role": "user", "content": "What's the weather?"}
CALL = {
    "role": "assistant",
    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
}


@pytest.mark.parametrize(
    ("messages", "named"),
    [
        ([{"role": "user"}], "messages.0: Value error, the message has no 'content'; "),
        (
            [{"role": "user", "text": "hi"}],
            "messages.0: Value error, the message has no 'content' (found 'text')",
        ),
        (
            [{"role": "system", "content": None}, QUESTION],
            "messages.0: Value error, the message has no 'content'",
        ),
        ([{"role": "developer"}, QUESTION], "messages.0: Value error, the message has no 'content'"),
        (
            [QUESTION, CALL, {"role": "tool", "tool_call_id": "c1"}],
            "messages.2: Value error, the message has no",
        ),
    ],
    ids=["user", "user-misspelt", "system", "developer", "tool"],
)
def test_the_gateway_refuses_a_message_without_the_content_openai_requires(messages, named):
    """The gateway forwarded a user (system, developer, tool) message without content, which OpenAI refuses: the
    upstream answered a blank turn (vLLM renders one) and the judges read an empty prompt. It is the 422 serve gives."""
    from safealign.monitor.gateway import parse_chat

    with pytest.raises(RequestError) as caught:
        parse_chat(json.dumps({"messages": messages}).encode())
    assert caught.value.status == 422 and named in caught.value.message, caught.value.message
    with pytest.raises(RequestError) as served:
        validate_chat({"messages": messages})
    assert served.value.message == caught.value.message


def test_the_gateway_still_forwards_the_turns_openai_lets_go_without_content():
    conversation = [
        QUESTION,
        CALL,
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "assistant"},
        {"role": "function", "name": "f", "content": None},
    ]
    assert validate_chat({"messages": conversation}, ForwardedChatRequest).messages[1].content is None
