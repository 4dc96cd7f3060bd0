from __future__ import annotations

import logging
import math

import pytest
import torch
from pydantic import ValidationError
from test_sft import config, write_memorisation_set
from transformers import TrainerCallback

from safealign.config import SFTConfig
from safealign.runs import read_json
from safealign.stages.sft import run_sft
from safealign.training.neftune import NoisyEmbeddings
from safealign.training.packed_attention import PACKED_SDPA


def embeddings_seen(model, **inputs):
    """The input embeddings the decoder layers receive (after every hook on the embedding module)."""
    seen = []
    handle = model.get_input_embeddings().register_forward_hook(lambda module, args, output: seen.append(output.detach().clone()))
    try:
        with torch.no_grad():
            model(**inputs)
    finally:
        handle.remove()
    return seen[0]


def test_noise_is_scaled_per_packed_sequence(fresh_tiny):
    model, alpha = fresh_tiny.model, 5.0
    hidden = model.config.hidden_size
    ids = torch.randint(10, 1000, (1, 25))
    positions = torch.cat([torch.arange(20), torch.arange(5)])[None]  # a 20-token and a 5-token example in one row
    model.train()
    clean = embeddings_seen(model, input_ids=ids, position_ids=positions)
    noise = NoisyEmbeddings(model, alpha)
    noisy = embeddings_seen(model, input_ids=ids, position_ids=positions)
    delta = (noisy - clean)[0].abs()
    for (begin, end), length in (((0, 20), 20), ((20, 25), 5)):
        bound = alpha / math.sqrt(length * hidden)
        assert delta[begin:end].max() <= bound * (1 + 1e-5)
        assert delta[begin:end].max() > 0.9 * bound  # uniform noise over thousands of values reaches near its bound
    # transformers' hook would have used the whole row (25 tokens) for both: the short example's noise 2.2x too weak
    model.eval()
    assert torch.equal(embeddings_seen(model, input_ids=ids, position_ids=positions), clean)  # no noise when not training
    model.train()
    noise.remove()
    assert torch.equal(embeddings_seen(model, input_ids=ids, position_ids=positions), clean)


def test_padded_batches_get_the_padded_length_scale(fresh_tiny):
    model, alpha = fresh_tiny.model, 5.0
    ids = torch.randint(10, 1000, (2, 16))
    model.train()
    clean = embeddings_seen(model, input_ids=ids)
    noise = NoisyEmbeddings(model, alpha)
    delta = (embeddings_seen(model, input_ids=ids) - clean).abs()
    noise.remove()
    bound = alpha / math.sqrt(16 * model.config.hidden_size)
    assert delta.max() <= bound * (1 + 1e-5) and delta.max() > 0.9 * bound


def test_sft_trains_with_noise_and_saves_without_it(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="safealign.stages.sft")
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    hooked, models = [], []

    class SeeHooks(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            hooked.append(len(model.get_input_embeddings()._forward_hooks))
            models.append(model)

    result = run_sft(config(data, max_steps=4, neftune_noise_alpha=5.0), "tiny", tmp_path / "sft", precision="fp32", callbacks=[SeeHooks()])
    assert hooked and all(count == 1 for count in hooked)
    # and none left once training ends: the model in memory, and any later use of it, embeds without noise
    assert len(models[-1].get_input_embeddings()._forward_hooks) == 0
    assert len(models[-1].get_decoder()._forward_pre_hooks) == 0
    metrics = read_json(tmp_path / "sft" / "stage.json")["metrics"]
    assert metrics["neftune_noise_alpha"] == 5.0
    # Padding-free rows on the packed attention, but each example keeps its prompt prefix: a prefix kept once would
    # carry the first example's noise (sample and length scale) into the examples after it.
    assert metrics["padding_free"] and metrics["attention"] == PACKED_SDPA and metrics["shared_prefix_tokens"] == 0
    assert "NEFTune is on, so every packed example keeps its own copy" in caplog.text
    assert result.model_path.is_dir()
    with pytest.raises(ValidationError, match="neftune_noise_alpha"):
        SFTConfig(neftune_noise_alpha=0)
