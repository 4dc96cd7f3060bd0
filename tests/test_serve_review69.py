"""`safealign serve` found in review: vLLM's prompt-rendering extras (continue the assistant prefill, no generation
prompt, another chat template, documents) and ``skip_special_tokens: false`` were answered as if absent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from test_batcher_death_review65 import ScriptedEngine

from safealign.serve import create_app

HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "extra",
    [
        {"continue_final_message": True},
        {"add_generation_prompt": False},
        {"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"},
        {"documents": [{"title": "notes", "text": "the code is 42"}]},
        {"skip_special_tokens": False},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_vllms_prompt_rendering_extras_are_a_400_naming_them_not_ignored(extra):
    """Answered as if absent: a prefill the client asked to continue got a new assistant turn, a client's template and
    documents never reached the model, and special tokens asked for were stripped; each gave the plain answer."""
    engine = ScriptedEngine()
    prefill = [*HI, {"role": "assistant", "content": "Roses are"}]
    with TestClient(create_app(engine, "scripted", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json={"messages": prefill, **extra})
    assert answer.status_code == 400, answer.text
    name = next(iter(extra))
    error = answer.json()["error"]
    assert error["param"] == name and error["message"].startswith(f"'{name}' is not supported"), error
    assert not engine.calls


def test_vllms_prompt_rendering_extras_at_their_defaults_are_answered():
    engine = ScriptedEngine()
    defaults = {
        "continue_final_message": False,
        "add_generation_prompt": True,
        "chat_template": None,
        "documents": None,
        "skip_special_tokens": True,
    }
    with TestClient(create_app(engine, "scripted", max_wait_ms=1)) as client:
        answer = client.post("/v1/chat/completions", json={"messages": HI, **defaults})
    assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == "ok:hi", (
        answer.text
    )
