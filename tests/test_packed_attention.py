from __future__ import annotations

import json

import torch

from safealign.models import load_model
from safealign.training.packed_attention import (
    PACKED_SDPA,
    attention_window,
    restore_attention,
    use_packed_attention,
)


def packed_row(lengths: list[int], vocab: int) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    torch.manual_seed(0)
    sequences = [torch.randint(5, vocab, (n,)) for n in lengths]
    ids = torch.cat(sequences)[None]
    positions = torch.cat([torch.arange(n) for n in lengths])[None]
    return ids, positions, sequences


def test_packed_attention_equals_each_sequence_alone_and_the_masked_path():
    model = load_model("tiny:2").model.eval()
    assert model.config._attn_implementation == "sdpa"
    ids, positions, sequences = packed_row([7, 3, 11, 1, 5], model.config.vocab_size)
    with torch.no_grad():
        # transformers' block-diagonal mask
        masked = model(input_ids=ids, position_ids=positions, use_cache=False).logits
        alone = torch.cat([model(input_ids=s[None], use_cache=False).logits for s in sequences], dim=1)
        previous = use_packed_attention(model)
        assert previous == "sdpa" and model.config._attn_implementation == PACKED_SDPA
        packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits
    assert torch.allclose(masked, alone, atol=1e-5)
    assert torch.allclose(packed, alone, atol=1e-5)
    # a plain causal row differs
    plain = model(input_ids=ids[:, :10], use_cache=False).logits
    assert not torch.allclose(packed[:, 7:10], plain[:, 7:10], atol=1e-3)

    # gradients match the masked path too
    model.train()
    model.zero_grad()
    model(input_ids=ids, position_ids=positions, labels=ids, use_cache=False).loss.backward()
    packed_grad = model.model.layers[0].self_attn.q_proj.weight.grad.clone()
    restore_attention(model, previous)
    assert model.config._attn_implementation == "sdpa"
    model.zero_grad()
    model(input_ids=ids, position_ids=positions, labels=ids, use_cache=False).loss.backward()
    assert torch.allclose(packed_grad, model.model.layers[0].self_attn.q_proj.weight.grad, atol=1e-5)


def test_padded_batches_and_generation_keep_their_masks():
    loaded = load_model("tiny:2")
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    tokenizer.padding_side = "left"
    batch = tokenizer(["Hello there, how are you today?", "Hi"], return_tensors="pt", padding=True)
    with torch.no_grad():
        before = model(**batch).logits
        expected = model.generate(**batch, max_new_tokens=5, do_sample=False)
        use_packed_attention(model)
        assert torch.allclose(model(**batch).logits, before, atol=1e-5)
        assert torch.equal(model.generate(**batch, max_new_tokens=5, do_sample=False), expected)


def test_other_implementations_are_left_alone():
    model = load_model("tiny:2").model
    model.set_attn_implementation("eager")
    assert use_packed_attention(model) is None and model.config._attn_implementation == "eager"


def test_saved_config_names_a_standard_implementation(tmp_path):
    model = load_model("tiny:2").model
    restore_attention(model, use_packed_attention(model))
    model.save_pretrained(tmp_path)
    assert PACKED_SDPA not in json.dumps(json.loads((tmp_path / "config.json").read_text()))


def windowed_models() -> list:
    """Tiny Mistral (every layer slides) and Gemma 3 (one sliding layer, one full) with a window of 4 tokens."""
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, MistralConfig, MistralForCausalLM

    shape = dict(
        vocab_size=300,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    torch.manual_seed(0)
    mistral = MistralForCausalLM(MistralConfig(**shape, sliding_window=4))
    gemma = Gemma3ForCausalLM(
        Gemma3TextConfig(
            **shape, head_dim=8, sliding_window=4, layer_types=["sliding_attention", "full_attention"]
        )
    )
    return [model.eval() for model in (mistral, gemma)]


def test_sliding_window_models_keep_sdpa_and_its_window():
    """Per-sequence causal SDPA dropped the window: sequences longer than 4 tokens attended to all earlier ones."""
    for model in windowed_models():
        model.set_attn_implementation("sdpa")
        ids, positions, sequences = packed_row([12, 9], model.config.vocab_size)
        assert use_packed_attention(model) is None and model.config._attn_implementation == "sdpa"
        with torch.no_grad():
            alone = torch.cat([model(input_ids=s[None], use_cache=False).logits for s in sequences], dim=1)
            # sdpa's mask, the window kept
            packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits
        assert torch.allclose(packed, alone, atol=1e-5), type(model).__name__


def test_attention_window_reads_layer_types_then_sliding_window():
    from transformers import MistralConfig, Qwen2Config

    assert attention_window(load_model("tiny:2").model.config) is None
    assert attention_window(MistralConfig(sliding_window=4)) == "a sliding window of 4 tokens"
    assert attention_window(MistralConfig(sliding_window=None)) is None
    assert attention_window(Qwen2Config(use_sliding_window=False, sliding_window=4)) is None
    assert (
        attention_window(Qwen2Config(use_sliding_window=True, max_window_layers=0))
        == "sliding_attention layers"
    )
