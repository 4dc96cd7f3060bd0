"""`safealign serve` over real HTTP with the tiny model: plain, streamed, batched, and client errors."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from test_monitor import serve_in_thread

from safealign.generation import Completion, GenerationEngine
from safealign.serve import create_app
from safealign.serve.protocol import parse_sse_choices, parse_sse_text, stream_events


@pytest.fixture(scope="module")
def served(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="fp32")
    app = create_app(engine, "tiny", max_wait_ms=50)
    with serve_in_thread(app) as url:
        yield url, app


def ask(content: str, **extra) -> dict:
    return {
        "model": "tiny",
        "messages": [{"role": "user", "content": content}],
        "temperature": 0,
        "max_tokens": 8,
        **extra,
    }


def test_models_and_plain_completion(served):
    url, _ = served
    assert httpx.get(f"{url}/v1/models").json()["data"][0]["id"] == "tiny"
    body = httpx.post(f"{url}/v1/chat/completions", json=ask("Hello there")).json()
    choice = body["choices"][0]
    assert body["object"] == "chat.completion" and choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str) and choice["finish_reason"] in ("stop", "length")
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and 0 < usage["completion_tokens"] <= 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_streaming_matches_the_plain_answer(served):
    url, _ = served
    plain = httpx.post(f"{url}/v1/chat/completions", json=ask("Tell me a story")).json()
    streamed = httpx.post(
        f"{url}/v1/chat/completions",
        json=ask("Tell me a story", stream=True, stream_options={"include_usage": True}),
    )
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text, finish = parse_sse_text(streamed.content)
    assert text == plain["choices"][0]["message"]["content"]
    assert finish == plain["choices"][0]["finish_reason"]
    assert chunks[-1]["usage"] == plain["usage"]


def test_concurrent_requests_share_engine_calls(served):
    url, app = served
    stats = app.state.batcher.stats
    before_calls, before_requests = stats.engine_calls, stats.requests

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return await asyncio.gather(
                *[client.post("/v1/chat/completions", json=ask(f"Question number {i}")) for i in range(8)]
            )

    answers = asyncio.run(burst())
    assert all(a.status_code == 200 for a in answers)
    calls, requests = stats.engine_calls - before_calls, stats.requests - before_requests
    assert requests == 8 and calls < requests, f"{calls} engine calls for {requests} requests"


def test_sampling_fields_are_validated(served):
    url, _ = served
    post = f"{url}/v1/chat/completions"
    bad_json = httpx.post(post, content=b'{"messages": [', headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]["message"]
    assert httpx.post(post, json={"model": "tiny"}).status_code == 400
    for field, value in (
        ("temperature", -1),
        ("top_p", 0),
        ("max_tokens", 0),
        ("messages", []),
        ("stream", "yes"),
        ("seed", 2**70),
        ("top_k", -2),
        ("top_k", 1.5),
        ("repetition_penalty", 0),
        ("stream_options", {"include_usage": "no"}),
    ):
        answer = httpx.post(post, json=ask("hi", stream=True) | {field: value})
        assert answer.status_code == 400 and field in answer.json()["error"]["message"], (field, answer.text)
    # stream_options without stream was ignored; OpenAI and vLLM refuse it
    answer = httpx.post(post, json=ask("hi", stream_options={"include_usage": True}))
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "stream_options", answer.text
    seeded = [
        httpx.post(post, json=ask("hi", temperature=1.0, seed=7, top_p=0.9)).json()["choices"][0]["message"][
            "content"
        ]
        for _ in range(2)
    ]
    assert seeded[0] == seeded[1]
    stopped = httpx.post(post, json=ask("hi", stop=["\n"])).json()
    assert "\n" not in stopped["choices"][0]["message"]["content"]


def test_unencodable_text_is_a_400_not_a_500(served):
    url, _ = served
    body = b'{"model": "tiny", "max_tokens": 4, "messages": [{"role": "user", "content": "hi \\ud800"}]}'
    answer = httpx.post(
        f"{url}/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400 and "messages.0.content" in answer.json()["error"]["message"]
    assert answer.json()["error"]["param"] == "messages"


def test_operator_default_temperature_applies_only_when_the_request_gives_none():
    from safealign.serve.app import sampling_params
    from safealign.serve.protocol import validate_chat

    bare = validate_chat({"model": "tiny", "messages": [{"role": "user", "content": "hi"}]})
    assert sampling_params(bare, 16).temperature == 1.0  # OpenAI's default
    assert sampling_params(bare, 16, default_temperature=0.0).temperature == 0.0
    hot = validate_chat(
        {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.8}
    )
    assert sampling_params(hot, 16, default_temperature=0.0).temperature == 0.8


def test_max_tokens_above_the_context_window_is_a_400(served):
    url, _ = served
    for field in ("max_tokens", "max_completion_tokens"):
        answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi") | {field: 1_000_000})
        assert answer.status_code == 400 and answer.json()["error"]["param"] == field
        assert "2048" in answer.json()["error"]["message"]  # the tiny model's context window
    prompt_tokens = httpx.post(f"{url}/v1/chat/completions", json=ask("hi", max_tokens=1)).json()["usage"][
        "prompt_tokens"
    ]
    room = 2048 - prompt_tokens
    assert (
        httpx.post(
            f"{url}/v1/chat/completions", json=ask("hi", max_tokens=room, stop=["a", "e", " "])
        ).status_code
        == 200
    )
    over = httpx.post(f"{url}/v1/chat/completions", json=ask("hi", max_tokens=room + 1)).json()["error"]
    assert over["param"] == "max_tokens" and f"ask for at most {room}" in over["message"]
    # max_completion_tokens wins over max_tokens: a max_tokens over the limit beside it was a 400
    both = httpx.post(
        f"{url}/v1/chat/completions", json=ask("hi", max_tokens=1_000_000, max_completion_tokens=2)
    )
    assert both.status_code == 200 and both.json()["usage"]["completion_tokens"] <= 2, both.text


def test_a_prompt_that_fills_the_context_window_is_a_400_and_a_long_one_gets_the_room_left(served):
    url, _ = served
    long = " ".join(["word"] * 1900)  # about 1,900 tokens of the tiny model's 2,048
    full = httpx.post(f"{url}/v1/chat/completions", json=ask(long + long))
    assert full.status_code == 400 and full.json()["error"]["param"] == "messages"
    assert "context window of 2048" in full.json()["error"]["message"]
    body = ask(long, stop=None) | {
        "max_tokens": None
    }  # no max_tokens: the server's default of 256 does not fit
    fitted = httpx.post(f"{url}/v1/chat/completions", json=body).json()["usage"]
    assert fitted["prompt_tokens"] + fitted["completion_tokens"] <= 2048


def test_malformed_requests_are_4xx_not_500(served):
    url, _ = served
    post = f"{url}/v1/chat/completions"
    headers = {"content-type": "application/json"}
    for body, status, named in (
        (
            ask("hi") | {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
            400,
            "messages.0.content",
        ),
        (
            ask("hi") | {"messages": [{"role": "user", "content": [{"type": "text", "text": None}]}]},
            400,
            "messages.0.content",
        ),
        (ask("hi") | {"messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages.0.role"),
        (ask("hi", stop=""), 400, "stop"),
        (ask("hi", stop=["\n", ""]), 400, "stop"),
        # A misspelt content key was a 200 answering a blank turn
        (
            ask("hi") | {"messages": [{"role": "user", "text": "hi"}]},
            400,
            "messages.0.content: the message has no 'content' (found 'text')",
        ),
        (
            ask("hi") | {"messages": [{"role": "user", "content": None}]},
            400,
            "messages.0.content: the message has no 'content'",
        ),
    ):
        answer = httpx.post(post, json=body)
        assert answer.status_code == status and named in answer.json()["error"]["message"], (
            body,
            answer.text,
        )
    for raw, named in (
        (b'{"messages": [{"role": "user", "content": "hi"}], "x": NaN}', "NaN is not a JSON value"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "x": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], "x": ' + b"[" * 100000 + b"]" * 100000 + b"}",
            "nested too deeply",
        ),
    ):
        answer = httpx.post(post, content=raw, headers=headers)
        assert answer.status_code == 400 and named in answer.json()["error"]["message"], answer.text
    parts = ask("hi") | {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "!"}]}
        ]
    }
    assert httpx.post(post, json=parts).status_code == 200
    refused = {
        "role": "assistant",
        "content": None,
        "refusal": "I can't help with that.",
    }  # the official client's message
    answer = httpx.post(
        post,
        json=ask("hi")
        | {"messages": [{"role": "user", "content": "hi"}, refused, {"role": "user", "content": "go on"}]},
    )
    assert answer.status_code == 200, answer.text  # an assistant turn that refused may have no content
    said = {"role": "assistant", "content": "I can't help with that."}  # the refusal is that turn's text
    same = httpx.post(
        post,
        json=ask("hi")
        | {"messages": [{"role": "user", "content": "hi"}, said, {"role": "user", "content": "go on"}]},
    )
    assert same.json()["usage"] == answer.json()["usage"]
    no_text = ask("hi") | {"messages": [{"role": "user", "content": [{"type": "text"}]}]}
    answer = httpx.post(post, json=no_text)
    assert answer.status_code == 400 and "text part without 'text'" in answer.json()["error"]["message"]
    # Raw UTF-8-encoded surrogate bytes (json.loads(bytes) lets them through) crashed the tokenizer: a 500.
    raw = b'{"max_tokens": 3, "messages": [{"role": "user", "content": "hi \xed\xa0\x80 there"}]}'
    answer = httpx.post(post, content=raw, headers=headers)
    assert answer.status_code == 400 and "lone UTF-16 surrogate" in answer.json()["error"]["message"], (
        answer.text
    )


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"}, "tools"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"logprobs": True, "top_logprobs": 3}, "logprobs"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"min_p": 0.1}, "min_p"),
        ({"min_tokens": 4}, "min_tokens"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
        ({"best_of": 4}, "best_of"),
        ({"use_beam_search": True}, "use_beam_search"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "what is this?"},
                            {"type": "image_url", "image_url": {"url": "x"}},
                        ],
                    }
                ]
            },
            "messages.0.content.1",
        ),
    ],
)
def test_a_feature_the_server_cannot_honour_is_a_400_naming_it(served, extra, param):
    """Answered 200 before: a forced tool call in prose, JSON mode in free text, logprobs null, the image dropped."""
    url, _ = served
    answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi") | extra)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == param, answer.text
    assert (
        "not supported" in answer.json()["error"]["message"]
        or "text parts only" in answer.json()["error"]["message"]
    )


def test_openai_defaults_and_nulls_are_accepted(served):
    url, _ = served
    post = f"{url}/v1/chat/completions"
    plain = httpx.post(post, json=ask("hi")).json()["choices"][0]["message"]["content"]
    for extra in (
        {"n": None, "stream": None},
        {
            "tool_choice": "none",
            "response_format": {"type": "text"},
            "logprobs": False,
            "presence_penalty": 0,
            "frequency_penalty": None,
            "tools": [],
        },
        {"min_p": 0, "min_tokens": 0, "top_k": -1, "repetition_penalty": 1.0},
        {"modalities": ["text"], "audio": None, "best_of": 1, "use_beam_search": False},
    ):
        answer = httpx.post(post, json=ask("hi") | extra)
        assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == plain, (
            extra,
            answer.text,
        )


def test_vllms_top_k_and_repetition_penalty_are_honoured(served):
    """Both were accepted and silently ignored: top_k 1 sampled freely, repetition_penalty changed nothing."""
    url, app = served
    post = f"{url}/v1/chat/completions"
    greedy = httpx.post(post, json=ask("hi")).json()["choices"][0]["message"]["content"]
    for seed in (1, 2):
        answer = httpx.post(post, json=ask("hi", temperature=1.0, top_k=1, seed=seed)).json()
        assert answer["choices"][0]["message"]["content"] == greedy
    from safealign.generation import SamplingParams

    engine = app.state.batcher.engine
    penalized = engine.generate(
        [[{"role": "user", "content": "hi"}]], SamplingParams(max_new_tokens=8, repetition_penalty=5.0)
    )[0].text
    assert penalized != greedy  # the tiny model repeats itself: the penalty changes its answer
    answer = httpx.post(post, json=ask("hi", repetition_penalty=5.0)).json()
    assert answer["choices"][0]["message"]["content"] == penalized


def test_an_integer_field_takes_a_whole_float_and_refuses_a_fraction(served):
    """top_k 40.0 was a 422 in serve while the monitor's proxy and vLLM take it; 40.5 must stay a refusal (now a 400) naming it."""
    url, _ = served
    post = f"{url}/v1/chat/completions"
    whole = {"top_k": 1.0, "n": 2.0, "max_tokens": 8.0, "max_completion_tokens": 8.0, "seed": 7.0}
    exact = {"top_k": 1, "n": 2, "max_tokens": 8, "max_completion_tokens": 8, "seed": 7}
    answers = [httpx.post(post, json=ask("hi", temperature=1.0, **fields)) for fields in (whole, exact)]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert [c["message"]["content"] for c in answers[0].json()["choices"]] == [
        c["message"]["content"] for c in answers[1].json()["choices"]
    ]
    for field, value in [(field, 2.5) for field in whole] + [("top_k", "40"), ("n", True)]:
        answer = httpx.post(post, json=ask("hi") | {field: value})
        error = answer.json()["error"]
        assert answer.status_code == 400 and error["param"] == field, (field, value, answer.text)
        assert isinstance(value, str | bool) or "2.5 is not a whole number" in error["message"], error


def test_a_fraction_or_a_huge_float_in_an_integer_field_gets_a_short_true_message():
    """The message suggested "such as 0" for n 0.5 (n must be at least 1), quoted max_tokens 1e300 back as a 301-digit
    integer, showed 12345678.5 as 1.23457e+07, said "below 2**63" of an n of 1e18 the field limits to 16, and refused a seed of
    -2.0**63 that the integer -2**63 passes."""
    from pydantic import ValidationError

    from safealign.serve.protocol import ChatRequest

    chat = {"messages": [{"role": "user", "content": "hi"}]}
    for fields, expected in [
        ({"n": 0.5}, "0.5 is not a whole number; send an integer"),
        ({"max_tokens": 12345678.5}, "12345678.5 is not a whole number"),
        ({"max_tokens": 1e300}, "1e+300 is out of range"),
        ({"n": 1e18}, "less than or equal to 16"),
    ]:
        with pytest.raises(ValidationError) as error:
            ChatRequest.model_validate(chat | fields)
        message = str(error.value)
        assert expected in message and "such as" not in message and "0" * 40 not in message, message
    assert ChatRequest.model_validate(chat | {"seed": -(2.0**63)}).seed == -(2**63)


def test_an_out_of_range_seed_is_told_the_bound_as_an_integer():
    """A seed of 2**63 was told "Input should be less than 9223372036854776000": the bound printed as a float."""
    from pydantic import ValidationError

    from safealign.serve.protocol import ChatRequest

    chat = {"messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(ValidationError) as error:
        ChatRequest.model_validate(chat | {"seed": 2**63})
    assert "less than or equal to 9223372036854775807" in str(error.value), error.value
    assert ChatRequest.model_validate(chat | {"seed": 2**63 - 1}).seed == 2**63 - 1


def test_the_developer_role_is_the_system_message(served):
    """A template knows no developer turn: it added its default system prompt before one (42 prompt tokens against 20)."""
    url, _ = served
    usage = {
        role: httpx.post(
            f"{url}/v1/chat/completions",
            json=ask("hi")
            | {
                "messages": [
                    {"role": role, "content": "Answer in French."},
                    {"role": "user", "content": "hi"},
                ]
            },
        ).json()
        for role in ("system", "developer")
    }
    assert usage["developer"]["usage"] == usage["system"]["usage"]
    assert usage["developer"]["choices"][0]["message"] == usage["system"]["choices"][0]["message"]


def test_a_seeded_answer_does_not_depend_on_the_requests_batched_with_it_and_an_unseeded_one_varies(served):
    """The rows of a batch draw from one generator: a seeded request gave another answer when an identical one arrived
    with it, and a request without a seed always got seed 0's answer."""
    url, app = served
    seeded = ask("Tell me a story", temperature=1.0, seed=123, max_tokens=8)

    async def burst(bodies: list[dict]) -> list[str]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            answers = await asyncio.gather(
                *[client.post("/v1/chat/completions", json=body) for body in bodies]
            )
        return [a.json()["choices"][0]["message"]["content"] for a in answers]

    alone = asyncio.run(burst([seeded]))[0]
    assert asyncio.run(burst([seeded, seeded, seeded])) == [alone] * 3
    unseeded = asyncio.run(burst([ask("Tell me a story", temperature=1.0, max_tokens=8)] * 1))
    unseeded += asyncio.run(burst([ask("Tell me a story", temperature=1.0, max_tokens=8)] * 1))
    unseeded += asyncio.run(burst([ask("Tell me a story", temperature=1.0, max_tokens=8)] * 1))
    assert len(set(unseeded)) > 1, unseeded
    stats = app.state.batcher.stats
    before = stats.engine_calls
    asyncio.run(burst([ask(f"Question {i}", seed=i) for i in range(6)]))  # greedy: seeds do not split a batch
    assert stats.engine_calls - before < 6


def test_a_wrong_path_or_method_is_answered_in_openais_error_envelope(served):
    url, _ = served
    missing = httpx.get(f"{url}/v1/engines")
    assert missing.status_code == 404 and "/v1/engines" in missing.json()["error"]["message"]
    wrong = httpx.get(f"{url}/v1/chat/completions")
    assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "invalid_request_error"


def test_answers_holding_unicode_line_separators_stream_whole():
    """str.splitlines() cut a data line at U+2028, U+2029 or U+0085 (JSON leaves them raw): the halves did not parse and
    were dropped silently, so a gateway judged "Step one the two" of "Step one\u2028mix the two"."""
    text = "Step one\u2028mix the two\u2029then\x85heat it"
    events = b"".join(stream_events("m", [text], ["stop"]))
    assert parse_sse_choices(events)[0] == [text]
    assert "\u2028".encode() not in events  # escaped, so a client that splits with splitlines() reads it too
    raw = (
        'data: {"choices": [{"index": 0, "delta": {"content": "' + text + '"}}]}\r\n\r\ndata: [DONE]\r\n\r\n'
    ).encode()
    problems: list[str] = []
    assert parse_sse_choices(raw, problems)[0] == [text] and problems == []  # as vLLM sends it, unescaped
    assert parse_sse_choices(b"data: {not json\n\n" + raw, problems)[0] == [text]
    assert problems == ["a data line that is not JSON: {not json"]


class SlowEngine:
    """Takes a second per generate call and records the prompts it was given."""

    batch_size = 4
    model = None

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, prompts, params, cancelled=None):
        self.prompts += [p[-1]["content"] for p in prompts]
        time.sleep(1.0)
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


class GatedEngine(SlowEngine):
    """Records each prompt as its generation starts, then holds the batch until ``release`` is set (or 20 s pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def generate(self, prompts, params, cancelled=None):
        self.prompts += [p[-1]["content"] for p in prompts]
        self.release.wait(20)
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


def wait_for(condition, what: str, within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_a_request_whose_client_left_is_not_generated(caplog):
    """Ordered by events, not sleeps: "gone" queues while "first" generates, its client leaves, the server notices,
    and only then does "first" finish (a fixed 1 s generation left ~0.4 s of slack under a loaded machine)."""
    caplog.set_level(logging.INFO, logger="safealign.serve.app")
    engine = GatedEngine()
    with serve_in_thread(create_app(engine, "slow", max_wait_ms=1)) as url:
        first = threading.Thread(
            target=lambda: httpx.post(f"{url}/v1/chat/completions", json=ask("first"), timeout=30)
        )
        first.start()
        wait_for(lambda: engine.prompts == ["first"], '"first" to be generating')
        with pytest.raises(httpx.ReadTimeout):  # other params: "gone" waits for its own batch
            httpx.post(f"{url}/v1/chat/completions", json=ask("gone", temperature=0.5), timeout=0.3)
        wait_for(
            lambda: any("client left" in r.getMessage() for r in caplog.records), "the server to see it left"
        )
        engine.release.set()
        first.join(30)
        assert httpx.post(f"{url}/v1/chat/completions", json=ask("after")).status_code == 200
    assert engine.prompts == ["first", "after"]


def test_a_batcher_closed_while_it_collects_a_batch_generates_none_of_it():
    """close() missed the requests _collect held during its max-wait window: they were generated, and under SIGTERM
    their clients got uvicorn's plain 500."""
    from safealign.generation import SamplingParams
    from safealign.serve import Batcher, ServerStopping

    async def scenario() -> tuple[object, list[str]]:
        engine = SlowEngine()
        batcher = Batcher(engine, max_batch=4, max_wait_ms=500)
        await batcher.start()
        asked = asyncio.ensure_future(batcher.submit([{"role": "user", "content": "q"}], SamplingParams()))
        await asyncio.sleep(0.1)  # taken off the queue; the batcher waits up to 500 ms for more
        batcher.close("test stop")
        outcome = (await asyncio.gather(asked, return_exceptions=True))[0]
        await asyncio.sleep(0.6)  # past the collecting window
        await batcher.stop()
        return outcome, engine.prompts

    outcome, generated = asyncio.run(scenario())
    assert isinstance(outcome, ServerStopping) and "test stop" in str(outcome)
    assert generated == []


class UntilCancelledEngine(SlowEngine):
    """Generates until every row of its batch is cancelled (or 10 s pass)."""

    def generate(self, prompts, params, cancelled=None):
        self.prompts += [p[-1]["content"] for p in prompts]
        deadline = time.monotonic() + 10
        while not all(cancelled(i) for i in range(len(prompts))) and time.monotonic() < deadline:
            time.sleep(0.01)
        return [Completion(i, 0, "late", 1, 1, False) for i in range(len(prompts))]


def test_a_closed_batcher_fails_generating_collected_and_later_requests():
    """close() (a stopping server) fails the request generating, those collected with it and every later one."""
    from safealign.generation import SamplingParams
    from safealign.serve import Batcher, ServerStopping

    async def scenario() -> tuple[list[object], list[str]]:
        engine = UntilCancelledEngine()
        batcher = Batcher(engine, max_batch=4, max_wait_ms=50)
        await batcher.start()
        # Three sampling settings: three groups collected in one batch, generated one after the other.
        asks = [
            asyncio.ensure_future(
                batcher.submit([{"role": "user", "content": f"q{t}"}], SamplingParams(temperature=t))
            )
            for t in (0.0, 0.5, 1.0)
        ]
        while not engine.prompts:
            await asyncio.sleep(0.01)
        batcher.close("test stop")
        outcomes = await asyncio.gather(*asks, return_exceptions=True)
        with pytest.raises(ServerStopping, match="test stop"):
            await batcher.submit([{"role": "user", "content": "later"}], SamplingParams())
        await asyncio.sleep(0.05)  # the generate thread sees its rows cancelled and returns
        await batcher.stop()
        return outcomes, engine.prompts

    outcomes, generated = asyncio.run(scenario())
    assert [type(o).__name__ for o in outcomes] == ["ServerStopping"] * 3
    assert generated == ["q0.0"]  # the other two groups were never generated


def test_a_client_that_leaves_mid_answer_stops_its_rows(tiny):
    """Rows of a request given up while generating leave the batch at the next step; the others run to their end."""
    from safealign.generation import GenerationEngine, SamplingParams

    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    asked: list[int] = []

    def cancelled(index: int) -> bool:
        asked.append(index)
        return index == 1 and asked.count(1) > 3  # prompt 1's client leaves after its fourth step

    params = SamplingParams(max_new_tokens=12, ignore_eos=True, num_samples=2)
    answers = engine.generate(["one", "two", "three"], params, cancelled=cancelled)
    lengths = {(c.prompt_index, c.sample_index): c.completion_tokens for c in answers}
    assert lengths[(0, 0)] == lengths[(2, 1)] == 12
    assert lengths[(1, 0)] < 12 and lengths[(1, 1)] < 12


def test_sigterm_stops_the_server_while_it_generates_and_answers_503(tmp_path):
    """A long generation must not keep a stopping server alive (the generate thread was joined at exit), and its
    clients get a 503 to retry, not uvicorn's plain-text 500 with a traceback in the log."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "safealign.cli.main",
            "serve",
            "tiny",
            "--port",
            str(port),
            "--precision",
            "fp32",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"),
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            time.sleep(0.2)
        # Four groups (seeds differ) of 16 x 2000 tokens: tens of seconds of decoding queued up. Had the server
        # waited for them before exiting, every request would have been answered.
        answers: list[object] = []
        clients = [
            threading.Thread(
                target=lambda s=seed: answers.append(
                    _status_or_error(
                        lambda: httpx.post(
                            f"http://127.0.0.1:{port}/v1/chat/completions",
                            json=ask("go", max_tokens=2000, n=16, seed=s, temperature=1.0),
                            timeout=120,
                        )
                    )
                )
            )
            for seed in range(4)
        ]
        for client in clients:
            client.start()
        wait_for(  # all four are in: a client still connecting at SIGTERM would get a connect error, not a 503
            lambda: (
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).json()["batching"]["requests"] == 4
            ),
            "the server to have the four requests",
        )
        time.sleep(0.2)  # decoding under way (not needed for the 503s: queued requests get them too)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        for client in clients:
            client.join(timeout=120)
        assert answers == [(503, "server_error")] * 4, answers
        log = (tmp_path / "server.log").read_text()
        assert "4 requests not answered" in log and "Traceback" not in log, log
    finally:
        if server.poll() is None:
            server.kill()


def _status_or_error(call) -> object:
    """The response's status code and error type, or the name of the error that ended the request."""
    try:
        response = call()
        return response.status_code, response.json().get("error", {}).get("type")
    except (httpx.HTTPError, ValueError) as error:
        return type(error).__name__


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--batch-size", "0"),
        ("--max-tokens", "0"),
        ("--max-tokens-limit", "0"),
        ("--max-wait-ms", "inf"),
        ("--temperature", "nan"),
        ("--temperature", "inf"),
    ],
)
def test_serve_refuses_an_option_out_of_range_at_start(option, value):
    from typer.testing import CliRunner

    from safealign.cli.main import app as cli

    result = CliRunner().invoke(cli, ["serve", "tiny", option, value])
    assert result.exit_code == 2 and option in result.output and "Traceback" not in result.output


def test_python_dash_m_safealign_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "safealign", "serve", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "--max-tokens-limit" in result.stdout


@pytest.mark.parametrize("command", ["serve", "monitor"])
def test_a_port_in_use_is_named_before_anything_loads(command, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import safealign.models
    import safealign.monitor
    from safealign.cli.main import app as cli

    def must_not_run(*args, **kwargs):
        raise AssertionError("loaded before the port was checked")

    monkeypatch.setattr(safealign.models, "load_model", must_not_run)
    monkeypatch.setattr(safealign.monitor, "create_gateway", must_not_run)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = (
            ["serve", "tiny", "--port", port]
            if command == "serve"
            else [
                "monitor",
                "--upstream",
                "http://127.0.0.1:1",
                "--port",
                port,
                "--db",
                f"sqlite:///{tmp_path}/m.db",
            ]
        )
        result = CliRunner().invoke(cli, args)
    said = " ".join(result.output.split())
    assert (
        result.exit_code == 2
        and f"cannot listen on 127.0.0.1:{port}" in said
        and "choose another --port" in said
    ), said


def test_a_long_prompt_is_tokenized_off_the_event_loop(tiny):
    """fit_context tokenized on the event loop: a body near the 1 MiB limit took ~4 s, and /health and every other
    request waited for it. Here tokenizing holds until /health has answered: on the event loop it never would."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    encode = engine.encode
    tokenizing, health_answered = threading.Event(), threading.Event()

    def slow_encode(prompt):
        tokenizing.set()
        health_answered.wait(15)  # as long as a megabyte of text takes, and longer
        return encode(prompt)

    engine.encode = slow_encode
    with serve_in_thread(create_app(engine, "tiny", max_wait_ms=1)) as url:
        slow = threading.Thread(
            target=lambda: httpx.post(f"{url}/v1/chat/completions", json=ask("hi", max_tokens=2), timeout=30)
        )
        slow.start()
        assert tokenizing.wait(20)
        try:
            health = httpx.get(f"{url}/health", timeout=5)
        except httpx.ReadTimeout:
            health = None
        health_answered.set()
        slow.join()
    assert health is not None and health.status_code == 200, "/health waited for a prompt being tokenized"


def test_a_prompt_longer_than_the_window_can_hold_is_refused_before_it_is_tokenized(tiny):
    from safealign.serve.app import max_prompt_chars

    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    most = max_prompt_chars(engine, 2048)
    # Safe: no token of the vocabulary is longer than the characters it is allowed, so a prompt that fits is never refused.
    assert most >= 2048 * max(len(token) for token in tiny.tokenizer.get_vocab())
    encoded: list[object] = []
    encode = engine.encode
    engine.encode = lambda prompt: encoded.append(prompt) or encode(prompt)
    with serve_in_thread(create_app(engine, "tiny", max_wait_ms=1)) as url:
        huge = httpx.post(f"{url}/v1/chat/completions", json=ask("word, " * (most // 6 + 1)), timeout=60)
        assert huge.status_code == 400 and huge.json()["error"]["param"] == "messages", huge.text
        assert f"at most {most} characters" in huge.json()["error"]["message"]
        assert encoded == [], "the prompt was tokenized"
        assert (
            httpx.post(f"{url}/v1/chat/completions", json=ask("hi", max_tokens=2), timeout=60).status_code
            == 200
        )


def test_a_conversation_the_chat_template_refuses_is_a_400_naming_messages(tiny):
    """It was a 500 "internal error: TemplateError"."""
    from test_generation import strict_template_engine

    with serve_in_thread(create_app(strict_template_engine(tiny), "strict", max_wait_ms=1)) as url:
        refused = httpx.post(
            f"{url}/v1/chat/completions",
            json=ask("hi")
            | {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]},
        )
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "messages", refused.text
        assert "System role not supported" in refused.json()["error"]["message"]
        assert httpx.post(f"{url}/v1/chat/completions", json=ask("hi")).status_code == 200


class SystemRefusingEngine(SlowEngine):
    """Refuses a batch holding a system message while encoding it, as a strict chat template does; no context window."""

    def generate(self, prompts, params, cancelled=None):
        from safealign.errors import DataError

        if any(p[0]["role"] == "system" for p in prompts):
            raise DataError("the model's chat template refuses this conversation: System role not supported")
        self.prompts += [p[-1]["content"] for p in prompts]
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


def test_a_refused_conversation_fails_only_its_own_request_in_a_batch():
    """Without a context window the template is first applied in the batch: one refused request failed every request
    batched with it (500s)."""
    engine = SystemRefusingEngine()

    async def burst(url: str) -> list[httpx.Response]:
        bodies = [
            ask("good one"),
            ask("hi")
            | {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "bad"}]},
            ask("good two"),
        ]
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            return await asyncio.gather(*[client.post("/v1/chat/completions", json=body) for body in bodies])

    app = create_app(engine, "refusing", max_wait_ms=300)  # all three in one batch
    with serve_in_thread(app) as url:
        good, bad, other = asyncio.run(burst(url))
    assert good.status_code == other.status_code == 200, (good.text, other.text)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "messages", bad.text
    assert sorted(engine.prompts) == ["good one", "good two"]


def test_batch_statistics_stay_the_same_size_however_many_batches_run():
    """BatcherStats kept every batch's size in a list, summed on each /health: unbounded memory and /health time."""
    import pickle

    from safealign.generation import SamplingParams
    from safealign.serve import Batcher

    class InstantEngine:
        batch_size = 16

        def generate(self, prompts, params, cancelled=None):
            return [Completion(i, 0, "x", 1, 1, False) for i in range(len(prompts))]

    async def run(requests: int) -> tuple[int, dict]:
        batcher = Batcher(InstantEngine(), max_wait_ms=0)
        await batcher.start()
        for i in range(requests):
            await batcher.submit([{"role": "user", "content": "x"}], SamplingParams(max_new_tokens=1 + i % 2))
        await batcher.stop()
        return len(pickle.dumps(batcher.stats)), batcher.stats.to_dict()

    small, _ = asyncio.run(run(10))
    large, stats = asyncio.run(run(2000))
    assert large - small < 16, (
        small,
        large,
    )  # bigger numbers, not more of them (the list grew by 2 bytes a batch)
    assert stats == {"requests": 2000, "engine_calls": 2000, "mean_batch_size": 1.0}


def test_an_earlier_tool_call_is_a_400_naming_it_not_an_empty_turn(served):
    """The call was rendered as an empty assistant turn: the model answered the tool's result without the question."""
    url, _ = served
    called = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    for turn, param in (
        (called, "messages.1.tool_calls"),
        ({"role": "assistant", "audio": {"id": "audio_abc"}}, "messages.1.audio"),
    ):
        conversation = [
            {"role": "user", "content": "What's the weather in Paris?"},
            turn,
            {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        ]
        answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi") | {"messages": conversation})
        assert answer.status_code == 400 and answer.json()["error"]["param"] == param, answer.text
        assert (
            param in answer.json()["error"]["message"]
            and "reach it empty" in answer.json()["error"]["message"]
        )
    # a call beside text: the model would see the text alone, and the message says so (not "empty")
    with_text = {**called, "content": "Let me check the forecast for you."}
    conversation = [
        {"role": "user", "content": "Weather?"},
        with_text,
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
    ]
    answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi") | {"messages": conversation})
    message = answer.json()["error"]["message"]
    assert answer.status_code == 400 and "only as its text" in message and "empty" not in message, answer.text
    no_content = httpx.post(
        f"{url}/v1/chat/completions", json=ask("hi") | {"messages": [{"role": "user", "content": None}]}
    )
    assert no_content.status_code == 400 and "has no 'content'" in no_content.json()["error"]["message"]


def test_a_repetition_penalty_near_zero_is_a_400_naming_it(served):
    """1e-40 passed validation, then divided the logits into inf: NaN probabilities, and a 500."""
    url, _ = served
    answer = httpx.post(
        f"{url}/v1/chat/completions", json=ask("hi", temperature=1.0, repetition_penalty=1e-40)
    )
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "repetition_penalty", answer.text
    assert (
        httpx.post(f"{url}/v1/chat/completions", json=ask("hi", repetition_penalty=0.01)).status_code == 200
    )


def test_a_temperature_below_1e_5_is_greedy_not_a_500(served):
    url, _ = served
    greedy = httpx.post(f"{url}/v1/chat/completions", json=ask("hi")).json()["choices"][0]["message"][
        "content"
    ]
    for temperature in (1e-40, 1e-8):
        answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi", temperature=temperature, seed=5))
        assert answer.status_code == 200, answer.text
        assert answer.json()["choices"][0]["message"]["content"] == greedy


def test_serve_prints_the_served_name_as_text_not_markup(monkeypatch):
    """'[/]' in a served name or a model path raised MarkupError once the model had loaded."""
    from typer.testing import CliRunner

    import safealign.serve
    from safealign.cli.main import app as cli

    served: list[str] = []
    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: served.append(port))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "tiny",
            "--port",
            str(port),
            "--served-model-name",
            "team[/]model[i]",
            "--precision",
            "fp32",
        ],
    )
    assert result.exit_code == 0 and served == [port], result.output
    assert "team[/]model[i]" in " ".join(result.output.split())


def test_serve_defaults_to_the_precision_eval_scores_in_and_names_it(monkeypatch):
    """The default was auto: bf16 where it runs faster, whose greedy answers differ from eval's fp32 ones and change
    with the requests batched beside them."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    import safealign.precision
    import safealign.serve
    from safealign.cli.main import app as cli

    monkeypatch.setattr(
        safealign.precision, "bf16_is_fast", lambda device_type="cpu": True
    )  # where auto picks bf16
    apps: list = []
    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: apps.append(app))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["serve", "tiny", "--port", str(port)])
    assert result.exit_code == 0 and "(precision fp32," in " ".join(result.output.split()), result.output
    assert TestClient(apps[0]).get("/health").json()["precision"] == "fp32"
