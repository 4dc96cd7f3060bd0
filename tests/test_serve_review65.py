"""`safealign serve` found in review: a request naming a model the server does not serve."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from safealign.generation import Completion
from safealign.serve import create_app


class OkEngine:
    batch_size = 4
    model = None
    precision = "fp32"

    def generate(self, prompts, params, cancelled=None):
        return [Completion(i, 0, "ok", 1, 1, False) for i in range(len(prompts))]


def chat(model: str | None = None, **extra) -> dict:
    named = {} if model is None else {"model": model}
    return named | {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, **extra}


@pytest.fixture(scope="module")
def cli_app(tiny):
    """The app `safealign serve tiny --served-model-name prod` runs (the tiny model loads once for the module)."""
    import safealign.models
    import safealign.serve
    from safealign.cli.main import app as cli

    apps: list = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: apps.append(app))
        patch.setattr(safealign.models, "load_model", lambda *args, **kwargs: tiny)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["serve", "tiny", "--port", str(port), "--served-model-name", "prod"]
        )
    assert result.exit_code == 0, result.output
    with TestClient(apps[0]) as client:
        yield client


def test_a_request_for_another_model_is_a_404_as_at_vllm(cli_app):
    """Any name was answered: a client (or `monitor evaluate --model`) that named the wrong model got this checkpoint's
    answers, recorded under the name it asked for."""
    assert [m["id"] for m in cli_app.get("/v1/models").json()["data"]] == ["prod"]
    for stream in (False, True):
        answer = cli_app.post("/v1/chat/completions", json=chat("gpt-4o", stream=stream))
        assert answer.status_code == 404, answer.text
        error = answer.json()["error"]
        assert error["type"] == "NotFoundError" and error["param"] == "model", error
        assert (
            error["message"].startswith("The model `gpt-4o` does not exist.") and "`prod`" in error["message"]
        )


@pytest.mark.parametrize("model", ["prod", "tiny", "./tiny/", None, ""])
def test_the_served_name_the_spec_and_no_name_are_answered(cli_app, model):
    """The spec as well: `safealign eval tiny --endpoint URL` sends it; and no model, as vLLM answers it."""
    answer = cli_app.post("/v1/chat/completions", json=chat(model))
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"] == "prod"


def test_create_app_checks_only_when_told_which_names_it_answers():
    strict = create_app(OkEngine(), "m", max_wait_ms=1, accepted_models=())
    lenient = create_app(OkEngine(), "m", max_wait_ms=1)
    with TestClient(strict) as client:
        assert client.post("/v1/chat/completions", json=chat("other")).status_code == 404
        assert client.post("/v1/chat/completions", json=chat("m")).status_code == 200
    with TestClient(lenient) as client:
        assert client.post("/v1/chat/completions", json=chat("other")).status_code == 200
