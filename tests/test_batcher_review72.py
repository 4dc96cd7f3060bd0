"""Review 72 of serving and generation: the context window of a model whose config nests its text model's."""

from __future__ import annotations

from types import SimpleNamespace as Config

from safealign.generation import context_window


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
