"""`safealign serve` request handling found in review: requests that were answered as if they said something else."""

from __future__ import annotations

import httpx
import pytest
from test_serve import ask, served  # noqa: F401 - served is a fixture

from safealign.serve.protocol import UNSUPPORTED_FIELDS


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ({"role": "user", "content": []}, "messages.0.content: the message's content is an empty list"),
        (
            {"role": "assistant", "content": None, "refusal": 5},
            "messages.0.refusal: 'refusal' must be a string",
        ),
        (
            {"role": "assistant", "content": None, "refusal": {"text": "no"}},
            "messages.0.refusal: 'refusal' must be a string",
        ),
    ],
)
def test_a_turn_without_text_is_a_400_not_a_blank_turn(served, message, named):  # noqa: F811
    """An empty content list, and a refusal that is not text, were a 200: the model answered a blank turn (OpenAI
    refuses both with a 400)."""
    url, _ = served
    body = ask("hi") | {"messages": [message, {"role": "user", "content": "go on"}]}
    answer = httpx.post(f"{url}/v1/chat/completions", json=body)
    assert answer.status_code == 400 and named in answer.json()["error"]["message"], answer.text
    assert answer.json()["error"]["param"] == named.split(":")[0]


@pytest.mark.parametrize(
    "extra",
    [
        {"guided_json": {"type": "object", "properties": {"a": {"type": "string"}}}},
        {"guided_choice": ["yes", "no"]},
        {"guided_regex": "[0-9]+"},
        {"guided_grammar": 'root ::= "yes"'},
        {"structured_outputs": {"choice": ["yes", "no"]}},
        {"stop_token_ids": [2]},
        {"allowed_token_ids": [5, 6]},
        {"bad_words": ["the"]},
        {"include_stop_str_in_output": True},
        {"echo": True},
        {"prompt_logprobs": 0},
    ],
)
def test_a_vllm_extra_that_changes_the_answer_is_a_400_naming_it(served, extra):  # noqa: F811
    """vLLM's guided decoding, stop_token_ids... were a 200 that ignored them: free text where the client asked for one
    of ["yes", "no"], an answer running past the token it asked to stop at."""
    url, _ = served
    (field,) = extra
    answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi") | extra)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == field, answer.text
    assert "not supported" in answer.json()["error"]["message"]


def test_a_vllm_extra_at_its_default_is_accepted(served):  # noqa: F811
    url, _ = served
    post = f"{url}/v1/chat/completions"
    plain = httpx.post(post, json=ask("hi")).json()["choices"][0]["message"]["content"]
    defaults = {
        "guided_json": None,
        "guided_choice": None,
        "stop_token_ids": [],
        "bad_words": [],
        "include_stop_str_in_output": False,
        "echo": False,
        "prompt_logprobs": None,
    }
    assert set(defaults) <= set(UNSUPPORTED_FIELDS)
    answer = httpx.post(post, json=ask("hi") | defaults)
    assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == plain, (
        answer.text
    )


def test_a_prompts_text_parts_reach_the_model_one_per_line():
    """serve joined a turn's text parts with "" ("Translate to French:Good morning"); vLLM shows a text-only template
    one part a line."""
    from safealign.serve.protocol import ChatRequest

    parts = [{"type": "text", "text": "Translate to French:"}, {"type": "text", "text": "Good morning"}]
    request = ChatRequest.model_validate(ask("x") | {"messages": [{"role": "user", "content": parts}]})
    assert request.chat()[0]["content"] == "Translate to French:\nGood morning"
