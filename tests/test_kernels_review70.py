"""Review 70 of the training kernels: the packed paths equal the plain forward for every model they accept."""

from __future__ import annotations

import pytest
import torch

from safealign.training.packed_attention import PACKED_SDPA, register_packed_attention, use_packed_attention

SHAPE = dict(
    vocab_size=300,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=8,
    layer_types=["full_attention"] * 2,  # no window: nothing else keeps them off the packed attention
)


def scored_beyond_sdpa(name: str, monkeypatch):
    """A tiny Gemma 2 (attention logit soft-capping) or GPT-OSS (attention sinks) that declares SDPA support, as a
    remote-code model may: transformers' own classes refuse ``sdpa`` and any implementation named so."""
    from transformers import Gemma2Config, GptOssConfig
    from transformers.models.gemma2 import modeling_gemma2
    from transformers.models.gpt_oss import modeling_gpt_oss

    if name == "gemma2":
        base, model = modeling_gemma2.Gemma2PreTrainedModel, modeling_gemma2.Gemma2ForCausalLM
        config = Gemma2Config(**SHAPE, attn_logit_softcapping=0.01)
    else:
        base, model = modeling_gpt_oss.GptOssPreTrainedModel, modeling_gpt_oss.GptOssForCausalLM
        config = GptOssConfig(**SHAPE, num_local_experts=2, num_experts_per_tok=1)
    monkeypatch.setattr(base, "_supports_sdpa", True)
    torch.manual_seed(0)
    return model._from_config(config, attn_implementation="sdpa").eval()


@pytest.mark.parametrize("name", ["gemma2", "gptoss"])
def test_softcapped_or_sink_attention_is_not_packed(name, monkeypatch):
    """Per-sequence SDPA dropped Gemma 2's soft-cap and GPT-OSS's sinks: a packed row's logits were not the model's."""
    model = scored_beyond_sdpa(name, monkeypatch)
    torch.manual_seed(1)
    sequences = [torch.randint(5, 300, (n,)) for n in (7, 3, 6)]
    ids = torch.cat(sequences)[None]
    positions = torch.cat([torch.arange(n) for n in (7, 3, 6)])[None]

    assert use_packed_attention(model) is None and model.config._attn_implementation == "sdpa"
    # set by hand, the packed attention refuses rather than drop what it cannot compute
    register_packed_attention()
    model.set_attn_implementation(PACKED_SDPA)
    with torch.no_grad(), pytest.raises(ValueError, match="soft-capping or attention sinks"):
        model(input_ids=ids, position_ids=positions, use_cache=False)
