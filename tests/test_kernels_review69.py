"""Review 69 of the fast training kernels: where they must do what the plain transformers/TRL path does."""

from __future__ import annotations

import pytest
import torch
from transformers import GenerationConfig

import safealign.training.evicting_rollouts as evicting

IDS = torch.tensor([[5, 6, 7], [0, 8, 9]])
MASK = torch.tensor([[1, 1, 1], [0, 1, 1]])


def rollout_config(**settings) -> GenerationConfig:
    return GenerationConfig(do_sample=True, max_new_tokens=2, eos_token_id=2, pad_token_id=2, **settings)


def test_unset_top_k_samples_from_generates_default_top_50(tiny, monkeypatch):
    """generate fills an unset top_k with its global default (50); the decode loop read it as 0, no top-k at all, so
    rollouts sampled from the whole vocabulary."""
    seen = {}
    real = evicting.decode_batch

    def spy(model, input_ids, attention_mask, **settings):
        seen.update(settings)
        return real(model, input_ids, attention_mask, **settings)

    monkeypatch.setattr(evicting, "decode_batch", spy)
    with evicting.evicting_rollouts(tiny.model) as calls, torch.no_grad():
        tiny.model.generate(input_ids=IDS, attention_mask=MASK, generation_config=rollout_config())
        assert calls == {"decode_loop": 1, "generate": 0} and seen["top_k"] == 50
        # TRL's explicit 0 (the quickstart's) stays "no top-k"
        tiny.model.generate(input_ids=IDS, attention_mask=MASK, generation_config=rollout_config(top_k=0))
        assert calls["decode_loop"] == 2 and seen["top_k"] == 0


@pytest.mark.parametrize("setting", [{"temperature": 0.0}, {"repetition_penalty": 0.0}])
def test_settings_generate_refuses_are_refused_not_read_as_one(tiny, setting):
    """A sampling temperature or repetition penalty of 0 makes generate raise; the decode loop read 0 as unset and
    sampled at temperature 1 (no penalty) without a word."""
    assert evicting.unhandled_settings(rollout_config(**setting)) == [f"{next(iter(setting))}=0.0"]
    with (
        evicting.evicting_rollouts(tiny.model) as calls,
        torch.no_grad(),
        pytest.raises(ValueError, match="strictly positive"),
    ):
        tiny.model.generate(input_ids=IDS, attention_mask=MASK, generation_config=rollout_config(**setting))
    assert calls == {"decode_loop": 0, "generate": 1}
    # greedy decoding has no temperature to refuse
    assert (
        evicting.unhandled_settings(GenerationConfig(do_sample=False, temperature=0.0, max_new_tokens=2))
        == []
    )
