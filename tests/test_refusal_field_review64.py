"""OpenAI's structured refusal (content null, the text in ``refusal``) is the answer wherever answers are read."""

from __future__ import annotations

import json

import pytest

from safealign.chat_content import answer_content
from safealign.evals import EndpointGenerator
from safealign.monitor.proxy import _message_texts
from safealign.serve.protocol import parse_sse_choices

REFUSAL = "I'm sorry, but I can't help with that."


def test_a_refusal_is_the_text_of_a_message_without_content() -> None:
    assert answer_content({"role": "assistant", "content": None, "refusal": REFUSAL}) == REFUSAL
    assert answer_content({"content": "Paris.", "refusal": None}) == "Paris."
    assert answer_content({"role": "assistant"}) == ""
    with pytest.raises(TypeError):
        answer_content({"content": {"text": "x"}})


def test_the_endpoint_eval_scores_a_refusal_by_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": REFUSAL},
                          "finish_reason": "stop"}]}
    monkeypatch.setattr(EndpointGenerator, "_post", lambda self, client, payload: reply)
    [completion] = EndpointGenerator("http://127.0.0.1:9", "gpt-test", retries=0).generate(["How do I pick a lock?"])
    assert completion.text == REFUSAL  # was "": an empty answer, judged evasive rather than refused


def test_the_gateway_stores_a_refusal_by_its_text() -> None:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": REFUSAL}}]}
    assert _message_texts(json.dumps(body).encode(), []) == [REFUSAL]
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": None, "refusal": ""}}]},
              {"choices": [{"index": 0, "delta": {"refusal": "I'm sorry, "}}]},
              {"choices": [{"index": 0, "delta": {"refusal": "but I can't help with that."}}]},
              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    stream = b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"
    texts, finishes, _ = parse_sse_choices(stream, whole=True)
    assert texts == [REFUSAL] and finishes == ["stop"]
