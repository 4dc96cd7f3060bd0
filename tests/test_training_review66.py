"""Regression tests for the training fast paths (review 66)."""

from __future__ import annotations

import warnings

import pytest
import torch

from safealign.training.packed_attention import PACKED_SDPA, use_packed_attention
from safealign.training.shared_prefix import share_prefix

IDS = torch.tensor([[5, 6, 7, 8, 20, 21, 5, 6, 7, 9, 22]])
POSITIONS = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4]])
BOUNDS = [(0, 6), (6, 11)]


def _tiny(family: str):
    import transformers

    settings = {
        "Falcon": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "alibi": True},
        "GPTBigCode": {"n_embd": 32, "n_layer": 2, "n_head": 4},
        "Persimmon": {
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
        },
        "Llama": {
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 64,
        },
    }[family]
    config = getattr(transformers, f"{family}Config")(vocab_size=100, **settings)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(transformers, f"{family}ForCausalLM")(config)


def test_alibi_falcon_keeps_sdpa_whose_mask_carries_its_position_bias():
    """ALiBi Falcon adds its position bias to the attention mask, which the per-sequence attention runs without: a packed
    row's logits were off by 7e-3 on a tiny random model (the model lost its only position information)."""
    model = _tiny("Falcon").eval()
    with torch.no_grad():
        alone = torch.cat([model(input_ids=IDS[:, b:e], use_cache=False).logits for b, e in BOUNDS], dim=1)
        assert use_packed_attention(model) is None
        packed = model(input_ids=IDS, position_ids=POSITIONS, use_cache=False).logits
    assert model.config._attn_implementation == "sdpa"
    torch.testing.assert_close(packed, alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", ["GPTBigCode", "Persimmon"])
def test_a_model_whose_attention_gets_no_positions_keeps_sdpa_and_shares_no_prefix(family):
    """GPTBigCode and Persimmon keep position_ids in their own layers: the packed attention could not find the row's
    sequences, and SFT's shared prompt prefixes (switched on with it) left each continuing example without its prompt
    (logits at scored positions off by 0.05 and 0.24). Such a model keeps sdpa, and the collator is left alone."""
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    model = _tiny(family).train()
    attention = use_packed_attention(model)
    assert attention is None and model.config._attn_implementation == "sdpa"
    assert model.training  # the probe's eval mode is undone

    class Trainer:
        data_collator = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)

    assert share_prefix(Trainer(), attention) is None


def test_llama_still_runs_the_packed_attention():
    """The probe passes the families that hand position_ids on (SmolLM2's Llama: the quickstart's path)."""
    model = _tiny("Llama").train()
    assert use_packed_attention(model) == "sdpa"
    assert model.config._attn_implementation == PACKED_SDPA and model.training


class _Collator:
    """A padding-free collator as TRL's: one row, restarting positions, no label on each sequence's first token."""

    padding_free = True
    pad_token_id = 0

    def __call__(self, examples):
        ids = torch.tensor([t for e in examples for t in e["input_ids"]])[None]
        labels = torch.tensor([t for e in examples for t in e["labels"]])[None]
        positions = torch.cat([torch.arange(len(e["input_ids"])) for e in examples])[None]
        return {"input_ids": ids, "labels": labels, "position_ids": positions}


def _example(prompt, answer):
    return {"input_ids": [*prompt, *answer], "labels": [-100] * len(prompt) + answer}


def test_shared_tokens_are_counted_over_every_process(monkeypatch):
    """The Trainer sums num_input_tokens_seen over the processes; the shared-prefix tokens it missed were added back for
    this process only, so under DDP the count fell short (558 -> 486 tokens after 3 steps on 2 CPU ranks under torchrun)
    and ranks disagreed. Each process adds every process's now (the other rank's 4 tokens, as its all-reduce brings them)."""
    import torch.distributed as dist

    reduced = []

    def all_reduce(tensor, op=None):
        reduced.append(int(tensor))
        tensor += 4  # the other rank's shared tokens

    monkeypatch.setattr(dist, "is_available", lambda: True)
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 2)
    monkeypatch.setattr(dist, "all_reduce", all_reduce)

    class Trainer:
        data_collator = _Collator()
        callbacks: list = []

        def add_callback(self, callback):
            self.callbacks.append(callback)

    trainer = Trainer()
    collator = share_prefix(trainer, "sdpa")
    collator([_example([11, 12, 13], [30]), _example([11, 12, 14], [31])])  # 2 prompt tokens kept once

    class Args:
        device = torch.device("cpu")

    class State:
        num_input_tokens_seen = 0

    state = State()
    trainer.callbacks[0].on_step_end(Args(), state, None)
    assert reduced == [2] and state.num_input_tokens_seen == 6
