"""Review 70 of padding-free training: a packed row's examples attend only to themselves, or the stage pads.

A padding-free batch is one row of examples with restarting ``position_ids``. On a model whose attention builds its own
mask from the row (GPT-OSS and Bloom on ``eager``), the later examples attended to the earlier ones, and SFT and
distillation trained on that without a word.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from test_sft import config, write_memorisation_set

from safealign.config import DistillConfig
from safealign.errors import RecipeError
from safealign.models import load_model
from safealign.stages.distill import run_distill
from safealign.stages.sft import run_sft
from safealign.training.packed_attention import PACKED_SDPA, packed_rows_leak, use_packed_attention

SHAPE = dict(
    vocab_size=300,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=8,
)


def tiny_model(name: str, attention: str, vocab_size: int = 300):
    """A tiny random model of one family on one attention implementation."""
    from transformers import AutoModelForCausalLM, BloomConfig, GptOssConfig, LlamaConfig

    if name == "gptoss":
        config = GptOssConfig(
            **SHAPE | {"vocab_size": vocab_size},
            layer_types=["full_attention"] * 2,
            num_local_experts=2,
            num_experts_per_tok=1,
        )
    elif name == "bloom":
        config = BloomConfig(vocab_size=vocab_size, hidden_size=32, n_layer=2, n_head=4)
    else:
        config = LlamaConfig(**SHAPE | {"vocab_size": vocab_size})
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config, attn_implementation=attention)


@pytest.mark.parametrize("name", ["gptoss", "bloom"])
def test_eager_attention_that_lets_packed_examples_see_each_other_is_found(name):
    model = tiny_model(name, "eager")
    assert use_packed_attention(model) is None  # not sdpa: left as it is
    leak = packed_rows_leak(model)
    assert leak and "attend to each other" in leak and "eager" in leak
    assert model.training  # the check puts the model back in its mode


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_llama_keeps_packed_examples_apart(attention):
    model = tiny_model("llama", attention)
    use_packed_attention(model)
    assert model.config._attn_implementation == (PACKED_SDPA if attention == "sdpa" else "eager")
    assert packed_rows_leak(model) is None


def test_the_quickstart_model_keeps_the_packed_attention():
    """SmolLM2's family (Llama on sdpa) trains padding-free on the per-sequence attention, as before."""
    model = load_model("tiny:7").model
    assert use_packed_attention(model) == "sdpa" and packed_rows_leak(model) is None
    assert model.config._attn_implementation == PACKED_SDPA


@pytest.fixture()
def bloom_folder(tiny, tmp_path: Path) -> Path:
    """A tiny random Bloom (eager attention, ALiBi) with the SmolLM2 tokenizer, saved as a model folder."""
    folder = tmp_path / "bloom"
    tiny_model("bloom", "eager", vocab_size=len(tiny.tokenizer)).save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    return folder


def test_sft_pads_the_batches_of_a_model_whose_packed_examples_see_each_other(bloom_folder, tmp_path, caplog):
    data = write_memorisation_set(tmp_path / "data.jsonl")
    with caplog.at_level(logging.WARNING, logger="safealign.stages.sft"):
        run_sft(
            config(data, max_steps=2, save_steps=10), str(bloom_folder), tmp_path / "sft", precision="fp32"
        )
    metrics = json.loads((tmp_path / "sft" / "stage.json").read_text())["metrics"]
    assert metrics["padding_free"] is False and metrics["attention"] == "eager"
    assert "attend to each other" in metrics["padding_free_refused"]
    assert "padded batches, not padding-free ones" in caplog.text and str(bloom_folder) in caplog.text


def test_sft_packing_on_such_a_model_is_refused_naming_the_fix(bloom_folder, tmp_path):
    data = write_memorisation_set(tmp_path / "data.jsonl")
    with pytest.raises(RecipeError, match="attend to each other.*set packing: false"):
        run_sft(
            config(data, max_steps=2, packing=True), str(bloom_folder), tmp_path / "sft", precision="fp32"
        )


def test_sft_on_the_tiny_llama_stays_padding_free(tmp_path):
    data = write_memorisation_set(tmp_path / "data.jsonl")
    run_sft(config(data, max_steps=1, save_steps=10), "tiny", tmp_path / "sft", precision="fp32")
    metrics = json.loads((tmp_path / "sft" / "stage.json").read_text())["metrics"]
    assert metrics["padding_free"] is True and metrics["attention"] == PACKED_SDPA
    assert metrics["padding_free_refused"] is None


def test_distill_pads_when_the_student_lets_packed_examples_see_each_other(
    bloom_folder, tiny, tmp_path, caplog
):
    teacher = tmp_path / "teacher"
    tiny.model.save_pretrained(teacher)
    tiny.tokenizer.save_pretrained(teacher)
    data = write_memorisation_set(tmp_path / "traces.jsonl")
    cfg = DistillConfig(student=str(bloom_folder), mode="logit", max_steps=1, batch_size=3, save_steps=50)
    with caplog.at_level(logging.WARNING, logger="safealign.stages.distill"):
        run_distill(cfg, str(teacher), data, tmp_path / "distill", precision="fp32")
    metrics = json.loads((tmp_path / "distill" / "stage.json").read_text())["metrics"]
    assert metrics["padding_free"] is False
    assert (
        metrics["padding_free_refused"].startswith("student: ")
        and "teacher" not in metrics["padding_free_refused"]
    )
    assert "padded batches, not padding-free ones" in caplog.text


@pytest.mark.parametrize("attention", ["eager", PACKED_SDPA])
def test_a_model_the_check_cannot_run_is_trusted_only_on_an_attention_that_cuts_rows(attention, monkeypatch):
    model = tiny_model("llama", "sdpa")
    if attention == PACKED_SDPA:
        use_packed_attention(model)
    else:
        model.set_attn_implementation("eager")

    def unrunnable(*args, **kwargs):
        raise RuntimeError("parameters are placeholders")

    monkeypatch.setattr(model, "forward", unrunnable)
    leak = packed_rows_leak(model)
    if attention == PACKED_SDPA:
        assert leak is None
    else:
        assert "could not run (parameters are placeholders)" in leak
