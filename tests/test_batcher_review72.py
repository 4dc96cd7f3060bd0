"""Review 72 of serving and generation: the context window of a model whose config nests its text model's."""

from __future__ import annotations

import copy
from types import SimpleNamespace as Config

import pytest
from fastapi.testclient import TestClient

from safealign.generation import GenerationEngine, context_window
from safealign.serve import create_app


def test_a_multimodal_models_context_window_is_read_from_its_text_config():
    """Gemma-3 4B and larger load as Gemma3ForConditionalGeneration, whose Gemma3Config keeps max_position_embeddings
    in its text_config alone: the window was None, so `serve` took any max_tokens (one request held its batch for as
    long as it asked) and sent prompts past the window, and `eval`/`generate` checked none. (Shaped as transformers'
    config, without importing it: torch's import alone takes seconds.)"""
    gemma3 = Config(text_config=Config(max_position_embeddings=4096), vision_config=Config(image_size=896))
    assert context_window(Config(config=gemma3)) == 4096


def test_a_flat_config_still_gives_its_own_window_first():
    llama = Config(max_position_embeddings=2048, text_config=Config(max_position_embeddings=4096))
    assert context_window(Config(config=llama)) == 2048
    assert context_window(Config(config=Config(n_positions=1024))) == 1024
    assert context_window(Config(config=Config(text_config=None))) is None
    assert context_window(Config()) is None


# A template that refuses one variable's value, as gpt-oss's refuses a reasoning_effort it does not know, and a system
# turn, as Gemma's does.
STRICT_EFFORT = (
    "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% if reasoning_effort is defined and reasoning_effort not in ['low', 'high'] %}"
    "{{ raise_exception('reasoning_effort must be low or high') }}{% endif %}"
    "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


@pytest.mark.parametrize("window_known", [True, False], ids=["refused-before-the-batch", "refused-in-the-batch"])
def test_a_refused_template_variable_is_a_400_naming_chat_template_kwargs_not_messages(
    tiny, monkeypatch, window_known
):
    """The 400 said param 'messages', which the client need not change, where its message named chat_template_kwargs;
    a conversation the template refuses still names 'messages'."""
    import safealign.serve.app as app_module

    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.chat_template = STRICT_EFFORT
    if not window_known:  # a model whose config gives no window: the template is first rendered in the batch
        monkeypatch.setattr(app_module, "context_window", lambda model: None)
    app = create_app(GenerationEngine(tiny.model, tokenizer, batch_size=2, precision="fp32"), "tiny", max_wait_ms=1)
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    with TestClient(app) as client:
        refused = client.post(
            "/v1/chat/completions", json=body | {"chat_template_kwargs": {"reasoning_effort": "max"}}
        )
        system = client.post(
            "/v1/chat/completions", json=body | {"messages": [{"role": "system", "content": "x"}, *body["messages"]]}
        )
    error = refused.json()["error"]
    assert refused.status_code == 400 and error["param"] == "chat_template_kwargs", refused.text
    assert "reasoning_effort must be low or high" in error["message"]
    assert system.status_code == 400 and system.json()["error"]["param"] == "messages", system.text
