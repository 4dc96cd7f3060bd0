"""Review 64 of safealign/models: regressions for the defects it found."""

from __future__ import annotations

import pytest
import torch

from safealign.errors import ModelNotFoundError
from safealign.models import load_model
from safealign.models.prune import mlp_neuron_importance


def _save_with_tokenizer(model, tokenizer, folder):
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_a_sequence_classifier_folder_is_named_as_such_not_as_damaged(tiny, tmp_path):
    """A reward model (LlamaForSequenceClassification) loaded as a LlamaForCausalLM short of its head, and was refused
    as "a save cut short ... save or copy it again": copying it again gives the same classifier."""
    from transformers import LlamaForSequenceClassification

    config = type(tiny.model.config).from_dict(tiny.model.config.to_dict())
    config.num_labels = 1  # a reward model's one score
    folder = _save_with_tokenizer(LlamaForSequenceClassification(config), tiny.tokenizer, tmp_path / "rm")
    with pytest.raises(ModelNotFoundError, match="LlamaForSequenceClassification") as refused:
        load_model(folder)
    assert "not a causal language model" in str(refused.value)
    assert "save or copy it again" not in str(refused.value)


def test_a_seq2seq_folder_is_not_told_to_upgrade_transformers(tiny, tmp_path):
    """A T5 folder: AutoModelForCausalLM has no class for its config, and the fix given was "upgrade transformers"."""
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(vocab_size=64, d_model=8, d_ff=16, num_layers=1, num_heads=2, d_kv=4)
    folder = _save_with_tokenizer(T5ForConditionalGeneration(config), tiny.tokenizer, tmp_path / "t5")
    with pytest.raises(
        ModelNotFoundError, match="T5ForConditionalGeneration .*not a causal language model"
    ) as refused:
        load_model(folder)
    assert "upgrade transformers" not in str(refused.value)


def test_a_causal_lm_with_a_dropped_tensor_is_still_called_damaged(tiny, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "m"
    _save_with_tokenizer(tiny.model, tiny.tokenizer, folder)
    weights = load_file(folder / "model.safetensors")
    del weights["model.layers.1.mlp.down_proj.weight"]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ModelNotFoundError, match="save or copy it again"):
        load_model(str(folder))


def _phi3():
    from transformers import Phi3Config, Phi3ForCausalLM

    config = Phi3Config(
        vocab_size=64,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    return Phi3ForCausalLM(config).eval()


def test_width_pruning_refuses_a_fused_gate_up_mlp_before_slicing_it():
    """Phi-3's MLP has down_proj but a fused gate_up_proj: the check passed on down_proj, the calibration passes ran, and
    prune_mlp_width failed in "AttributeError: 'Phi3MLP' object has no attribute 'gate_proj'"."""
    teacher = _phi3()
    with pytest.raises(
        ModelNotFoundError, match=r"layer 0 of Phi3ForCausalLM has no gate_proj, up_proj"
    ) as refused:
        mlp_neuron_importance(teacher, [torch.tensor([[1, 5, 7]])])
    assert "prune_by: depth" in str(refused.value)
    assert not any(layer.mlp.down_proj._forward_pre_hooks for layer in teacher.model.layers)


@pytest.mark.parametrize("spec", ["gpt2", "distilgpt2"])
def test_a_hub_id_without_an_owner_is_told_hub_ids_are_not_downloaded(spec, tmp_path, monkeypatch):
    """``owner/name`` was told to download it first; ``gpt2`` got "no such file or folder" and a list of spec kinds."""
    from safealign.models.specs import resolve_spec

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError, match="no such file or folder") as refused:
        resolve_spec(spec)
    assert f"huggingface-cli download {spec} --local-dir DIR" in str(refused.value)


@pytest.mark.parametrize("spec", ["model.gguf", "./model", "runs/x/sft/model"])
def test_a_missing_path_is_not_told_to_download_from_the_hub(spec, tmp_path, monkeypatch):
    from safealign.models.specs import resolve_spec

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError, match="no such file or folder") as refused:
        resolve_spec(spec)
    assert "huggingface-cli" not in str(refused.value)
