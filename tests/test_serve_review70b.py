"""`safealign serve` found in review (session 70): OpenAI's model retrieve was a 404 for the served model itself."""

from __future__ import annotations

import httpx
import pytest
from test_batcher_death_review65 import ScriptedEngine
from test_monitor import serve_in_thread

from safealign.serve import create_app


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
