"""`safealign serve` found in review (session 70): OpenAI's model retrieve was a 404 for the served model itself, and
the gateway forwarded a user message without content."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
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
        ([{"role": "user"}], "messages.0.content: the message has no 'content'; "),
        (
            [{"role": "user", "text": "hi"}],
            "messages.0.content: the message has no 'content' (found 'text')",
        ),
        (
            [{"role": "system", "content": None}, QUESTION],
            "messages.0.content: the message has no 'content'",
        ),
        ([{"role": "developer"}, QUESTION], "messages.0.content: the message has no 'content'"),
        (
            [QUESTION, CALL, {"role": "tool", "tool_call_id": "c1"}],
            "messages.2.content: the message has no",
        ),
    ],
    ids=["user", "user-misspelt", "system", "developer", "tool"],
)
def test_the_gateway_refuses_a_message_without_the_content_openai_requires(messages, named):
    """The gateway forwarded a user (system, developer, tool) message without content, which OpenAI refuses: the
    upstream answered a blank turn (vLLM renders one) and the judges read an empty prompt. It is the refusal (a 400) serve gives."""
    from safealign.monitor.gateway import parse_chat

    with pytest.raises(RequestError) as caught:
        parse_chat(json.dumps({"messages": messages}).encode())
    assert caught.value.status == 400 and named in caught.value.message, caught.value.message
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


# raise_exception on a variable's value, as templates check reasoning_effort; and on a system turn, as Gemma's does
STRICT_TEMPLATE = (
    "{% if reasoning_effort is defined and reasoning_effort not in ['low', 'high'] %}"
    "{{ raise_exception('reasoning_effort must be low or high') }}{% endif %}"
    "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:"
)


@pytest.mark.parametrize(
    ("messages", "variables", "said", "not_said"),
    [
        (
            [QUESTION],
            {"reasoning_effort": "max"},
            "the model's chat template refuses the request's chat_template_kwargs "
            '{"reasoning_effort": "max"}: reasoning_effort must be low or high; send the variables as it asks',
            "Change the messages",
        ),
        (
            [{"role": "system", "content": "Be brief."}, QUESTION],
            {"reasoning_effort": "low"},
            "refuses this conversation: System role not supported. Change the messages",
            "chat_template_kwargs",
        ),
    ],
    ids=["the-variables", "the-conversation"],
)
def test_a_template_that_refuses_a_variable_says_so_not_to_change_the_messages(
    tiny, messages, variables, said, not_said
):
    """A template's raise_exception on a chat_template_kwargs value was said as "refuses this conversation ... Change
    the messages as it asks (e.g. fold the system message into the first user turn ...)"."""
    import copy

    from safealign.generation import GenerationEngine

    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.chat_template = STRICT_TEMPLATE
    app = create_app(GenerationEngine(tiny.model, tokenizer, batch_size=4), "tiny", max_wait_ms=1)
    body = {"messages": messages, "max_tokens": 2, "chat_template_kwargs": variables}
    with TestClient(app) as client:
        answer = client.post("/v1/chat/completions", json=body)
        fine = client.post(
            "/v1/chat/completions", json=body | {"messages": [QUESTION], "chat_template_kwargs": {}}
        )
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    assert said in message and not_said not in message, message
    assert fine.status_code == 200, fine.text


def test_the_model_list_with_a_trailing_slash_is_still_the_list():
    """The retrieve route matches /v1/models/ with an empty id: it answered "The model `` does not exist", where the
    router had redirected it to the list."""
    with TestClient(create_app(ScriptedEngine(), "tiny", max_wait_ms=1)) as client:
        listed = client.get("/v1/models/")
    assert listed.status_code == 200 and listed.json()["data"][0]["id"] == "tiny", listed.text
