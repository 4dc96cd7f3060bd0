"""`safealign serve` found in review (session 70): vLLM's and SGLang's ``chat_template_kwargs`` (Qwen3's
``{"enable_thinking": false}``) was ignored, whatever it held: the model got the prompt rendered without it."""

from __future__ import annotations

import asyncio
import copy

import httpx
import pytest
from fastapi.testclient import TestClient
from test_batcher_death_review65 import ScriptedEngine
from test_monitor import serve_in_thread

from safealign.generation import GenerationEngine, SamplingParams
from safealign.serve import create_app

HI = [{"role": "user", "content": "hi"}]
# Qwen3's switch, in a ChatML template: a closed, empty think block opens the answer when thinking is off.
THINKING_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)
NO_THINKING = {"enable_thinking": False}


def engine_with(tiny, template: str) -> GenerationEngine:
    tokenizer = copy.deepcopy(tiny.tokenizer)  # the session's tiny tokenizer keeps its own template
    tokenizer.chat_template = template
    return GenerationEngine(tiny.model, tokenizer, batch_size=4)


@pytest.fixture()
def engine(tiny) -> GenerationEngine:
    return engine_with(tiny, THINKING_TEMPLATE)


def prompt_tokens(engine: GenerationEngine, **variables) -> int:
    return len(engine.tokenizer.apply_chat_template(HI, add_generation_prompt=True, **variables)["input_ids"])


def ask(**extra) -> dict:
    return {"messages": HI, "temperature": 0, "max_tokens": 4, **extra}


def test_chat_template_kwargs_reach_the_chat_template(tiny, engine):
    plain, thinking_off = prompt_tokens(engine), prompt_tokens(engine, **NO_THINKING)
    assert thinking_off > plain  # the empty think block is in the prompt
    with TestClient(create_app(engine, "tiny", max_wait_ms=1)) as client:
        answered = client.post("/v1/chat/completions", json=ask(chat_template_kwargs=NO_THINKING))
        without = client.post("/v1/chat/completions", json=ask())
    assert answered.status_code == 200, answered.text
    assert answered.json()["usage"]["prompt_tokens"] == thinking_off
    assert without.json()["usage"]["prompt_tokens"] == plain
    # the greedy answer to the prompt with the empty think block, as a template that always writes it renders it
    always_off = engine_with(
        tiny, THINKING_TEMPLATE.replace("enable_thinking is defined and enable_thinking is false", "true")
    )
    expected = always_off.generate([HI], SamplingParams(max_new_tokens=4))
    assert answered.json()["choices"][0]["message"]["content"] == expected[0].text


def test_requests_with_other_chat_template_kwargs_batched_together_each_get_their_own(engine):
    """Collected in one batch, each is rendered with its own variables (and the engine's own tokenizer is unchanged)."""

    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            bodies = [
                ask(chat_template_kwargs=NO_THINKING),
                ask(),
                ask(chat_template_kwargs={"enable_thinking": True}),
                ask(chat_template_kwargs=NO_THINKING),
            ]
            return await asyncio.gather(*[client.post("/v1/chat/completions", json=body) for body in bodies])

    app = create_app(engine, "tiny", max_wait_ms=5000)  # the four fill a batch (batch_size 4): no wait
    with serve_in_thread(app) as url:
        answers = asyncio.run(burst(url))
    assert all(answer.status_code == 200 for answer in answers), [answer.text for answer in answers]
    off, plain, on, off_again = (answer.json()["usage"]["prompt_tokens"] for answer in answers)
    assert off == off_again == prompt_tokens(engine, **NO_THINKING)
    assert plain == on == prompt_tokens(engine)
    # three sets of variables: three calls (the two alike share one), not one call rendered one way
    assert app.state.batcher.stats.to_dict()["engine_calls"] == 3
    assert prompt_tokens(engine) == plain  # the engine's own tokenizer renders as before


@pytest.mark.parametrize(
    ("value", "said"),
    [([NO_THINKING], "an array"), ("enable_thinking=false", "a string"), (False, "a boolean")],
)
def test_chat_template_kwargs_that_is_not_an_object_is_a_400_naming_it(engine, value, said):
    with TestClient(create_app(engine, "tiny", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json=ask(chat_template_kwargs=value))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == "chat_template_kwargs" and "must be an object" in error["message"], error
    assert error["message"].endswith(f"got {said}"), error


@pytest.mark.parametrize("value", [None, {}])
def test_chat_template_kwargs_null_or_empty_is_answered_as_absent(engine, value):
    with TestClient(create_app(engine, "tiny", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json=ask(chat_template_kwargs=value))
    assert answer.status_code == 200 and answer.json()["usage"]["prompt_tokens"] == prompt_tokens(engine)


@pytest.mark.parametrize(
    "variables",
    [
        {"tokenize": False},  # the engine would get text for token ids
        {"return_tensors": "pt"},
        {"messages": []},  # the conversation, passed twice (a TypeError: a 500)
        {"add_generation_prompt": False},  # refused at the top level, as these three
        {"continue_final_message": True},
        {"chat_template": "{{ messages[0]['content'] }}"},
    ],
    ids=lambda variables: next(iter(variables)),
)
def test_a_key_that_is_no_template_variable_is_a_400_naming_it(engine, variables):
    with TestClient(create_app(engine, "tiny", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json=ask(chat_template_kwargs=variables))
    name = next(iter(variables))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == f"chat_template_kwargs.{name}", answer.text


def test_prompt_rendering_fields_at_their_defaults_in_chat_template_kwargs_are_answered(engine):
    variables = {
        "add_generation_prompt": True,
        "continue_final_message": False,
        "tools": [],
        "documents": None,
    }
    with TestClient(create_app(engine, "tiny", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json=ask(chat_template_kwargs=variables))
    assert answer.status_code == 200 and answer.json()["usage"]["prompt_tokens"] == prompt_tokens(engine)


def test_a_variable_the_template_cannot_use_is_a_400_saying_so_not_a_500(engine):
    engine.tokenizer.chat_template = THINKING_TEMPLATE.replace(
        "{% endif %}{% endif %}", "{% endif %}{{ 'effort: ' + reasoning_effort }}{% endif %}"
    )
    with TestClient(create_app(engine, "tiny", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json=ask(chat_template_kwargs={"reasoning_effort": 5}))
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    assert "chat_template_kwargs" in message and "reasoning_effort" in message, message


@pytest.mark.parametrize("path", ["/v1/completions", "/v1/embeddings", "/v1/responses"])
def test_a_path_serve_does_not_answer_is_a_404_naming_the_ones_it_does(path):
    """A client of vLLM's legacy completions got "POST /v1/completions: Not Found", and nothing about what to call."""
    with TestClient(create_app(ScriptedEngine(), "scripted", max_wait_ms=1)) as client:
        answer = client.post(path, json={"model": "scripted", "prompt": "hi"})
    assert answer.status_code == 404, answer.text
    message = answer.json()["error"]["message"]
    assert message.startswith(f"POST {path}: Not Found") and "POST /v1/chat/completions" in message, message
