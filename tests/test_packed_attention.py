from __future__ import annotations

import json

import torch

from safealign.models import load_model
from safealign.training.packed_attention import (
    PACKED_SDPA,
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
        masked = model(input_ids=ids, position_ids=positions, use_cache=False).logits  # transformers' block-diagonal mask
        alone = torch.cat([model(input_ids=s[None], use_cache=False).logits for s in sequences], dim=1)
        previous = use_packed_attention(model)
        assert previous == "sdpa" and model.config._attn_implementation == PACKED_SDPA
        packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits
    assert torch.allclose(masked, alone, atol=1e-5)
    assert torch.allclose(packed, alone, atol=1e-5)
    assert not torch.allclose(packed[:, 7:10], model(input_ids=ids[:, :10], use_cache=False).logits[:, 7:10], atol=1e-3)  # a plain causal row differs

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
