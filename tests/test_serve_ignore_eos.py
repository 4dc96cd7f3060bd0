"""vLLM's ``ignore_eos`` (generate max_tokens whatever the end token says): `eval --endpoint` sends it when asked, and
`safealign serve` answered it with a 400 though its engine does it."""

from __future__ import annotations

import httpx
from test_serve import ask, served  # noqa: F401 - served is a fixture

from safealign.evals import EndpointGenerator
from safealign.generation import SamplingParams
from safealign.serve.app import sampling_params
from safealign.serve.protocol import ChatRequest, ForwardedChatRequest


def test_ignore_eos_reaches_the_engine() -> None:
    assert sampling_params(ChatRequest.model_validate(ask("hi", ignore_eos=True)), 16).ignore_eos is True
    assert sampling_params(ChatRequest.model_validate(ask("hi")), 16).ignore_eos is False
    assert ForwardedChatRequest.model_validate(ask("hi", ignore_eos="true")).ignore_eos is True  # as vLLM reads it


def test_an_endpoint_eval_asking_for_ignore_eos_is_answered_with_every_token(served) -> None:  # noqa: F811
    url, _ = served
    (completion,) = EndpointGenerator(url, "tiny").generate(
        ["hi"], SamplingParams(max_new_tokens=6, temperature=0.0, ignore_eos=True)
    )
    assert completion.completion_tokens == 6 and completion.truncated
    answer = httpx.post(f"{url}/v1/chat/completions", json=ask("hi", ignore_eos="yes"))
    assert answer.status_code == 400  # serve's schema is strict: a string is not a boolean
