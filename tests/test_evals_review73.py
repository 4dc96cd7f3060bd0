"""Review 73 of the evaluation library: the endpoint evaluator's errors."""

from __future__ import annotations

import json

import httpx
import pytest

from safealign.evals import EndpointError, EndpointGenerator

CONTEXT_ERROR = {"error": {"message": "This model's maximum context length is 2048 tokens.", "code": 400}}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Every httpx.Client answers without a network: HTTP 400 for a prompt holding "long", ``status["other"]`` for one
    holding "other", an answer otherwise. ``status["asked"]`` counts the requests."""
    status = {"other": 200, "asked": 0}
    real_init = httpx.Client.__init__

    def answer(request: httpx.Request) -> httpx.Response:
        status["asked"] += 1
        prompt = json.loads(request.content)["messages"][-1]["content"]
        if "long" in prompt:
            return httpx.Response(400, json=CONTEXT_ERROR)
        if "other" in prompt and status["other"] != 200:
            return httpx.Response(status["other"], json={"error": {"message": "invalid key"}})
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
        )

    def init(self: httpx.Client, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - httpx's own signature
        kwargs["transport"] = httpx.MockTransport(answer)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", init)
    return status


def test_a_prompt_the_server_refuses_is_named(server: dict[str, int]) -> None:
    """vLLM answers a prompt past its context window with HTTP 400 naming token counts, not the prompt: among hundreds
    of prompts the error said nothing of which one to shorten or drop."""
    generator = EndpointGenerator("http://127.0.0.1:8000", "m", concurrency=1)
    prompts = ["hi", "Explain how tides work, in a long essay", "bye"]
    with pytest.raises(EndpointError) as caught:
        generator.generate(prompts)
    assert caught.value.status == 400
    message = str(caught.value)
    assert "maximum context length" in message  # the server's own words stay
    assert "prompt 2 of 3, sample 0: 'Explain how tides work, in a long essay'" in message


def test_an_endpoint_wide_refusal_names_no_prompt(server: dict[str, int]) -> None:
    """A 401 is the key's, not one prompt's: naming a prompt there would send the user looking at the wrong thing."""
    server["other"] = 401
    with pytest.raises(EndpointError) as caught:
        EndpointGenerator("http://127.0.0.1:8000", "m", concurrency=1).generate(["other"])
    assert caught.value.status == 401
    assert "prompt 1 of 1" not in str(caught.value)


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://127.0.0.1:8000", "admin:s3cret@host:8000"])
def test_a_url_without_http_is_refused_before_any_request(server: dict[str, int], url: str) -> None:
    """'localhost:8000' was asked three times, with waits between, and failed as a request that "failed 3 times"."""
    with pytest.raises(EndpointError, match="must start with http:// or https://") as caught:
        EndpointGenerator(url, "m", retries=2).generate(["hi"])
    assert server["asked"] == 0
    assert "s3cret" not in str(caught.value)
