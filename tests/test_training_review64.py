"""Regression tests for the training fast paths (review 64)."""

from __future__ import annotations

import torch
from transformers import GenerationConfig

from safealign.training.evicting_rollouts import evicting_rollouts


def _left_padded(tokenizer):
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        enc = tokenizer(
            ["Hello there, how", "Hi", "What is the answer to life and"], return_tensors="pt", padding=True
        )
    finally:
        tokenizer.padding_side = side
    return enc.input_ids, enc.attention_mask


def test_rollouts_honour_the_models_own_generation_config(fresh_tiny):
    """A setting of the checkpoint's generation_config.json that TRL's config leaves unset applies through generate;
    the decode loop dropped it silently (no_repeat_ngram_size here: greedy rollouts repeated tokens)."""
    model, tokenizer = fresh_tiny.model.eval(), fresh_tiny.tokenizer
    ids, mask = _left_padded(tokenizer)
    model.generation_config.no_repeat_ngram_size = 1
    # as GRPOTrainer builds it: every sampling setting it knows of, explicitly
    config = GenerationConfig(
        max_new_tokens=12,
        do_sample=False,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        repetition_penalty=1.0,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=[tokenizer.convert_tokens_to_ids("<|im_end|>")],
        disable_compile=True,
    )
    with torch.no_grad():
        expected = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        with evicting_rollouts(model) as calls:
            ours = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
    assert calls == {"decode_loop": 0, "generate": 1}
    assert torch.equal(ours, expected)
    # the saved checkpoint's usual generation_config (ids, cache and output flags) keeps the decode loop
    model.generation_config.no_repeat_ngram_size = None
    with torch.no_grad(), evicting_rollouts(model) as calls:
        model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
    assert calls == {"decode_loop": 1, "generate": 0}
