"""Session 73 review of model loading and specs."""

from __future__ import annotations

import json

import pytest

from safealign.errors import ModelNotFoundError


def test_an_adapter_without_weights_is_named_before_its_base_loads(tmp_path, monkeypatch):
    import safealign.models.loading as loading

    def no_base(*args, **kwargs):
        raise AssertionError("the base model loaded before the adapter's missing weights were named")

    monkeypatch.setattr(loading, "build_tiny_model", no_base)
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "tiny", "peft_type": "LORA", "target_modules": ["q_proj"]})
    )
    with pytest.raises(ModelNotFoundError, match="has no adapter_model.safetensors"):
        loading.load_model(str(folder))


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ("smollm2", "embedded:smollm2-135m-instruct"),
        ("SmolLM2-135M-Instruct", "embedded:smollm2-135m-instruct"),
        ("hf:smollm2-135m-instruct", "embedded:smollm2-135m-instruct"),
        ("embedded", "embedded:smollm2-135m-instruct"),
        ("Tiny", "tiny"),
    ],
)
def test_the_built_in_models_written_as_a_name_are_suggested_not_a_download(
    tmp_path, monkeypatch, spec, meant
):
    """'smollm2' was told to run `huggingface-cli download smollm2`, a Hub id that names no model."""
    from safealign.models.specs import resolve_spec

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError, match=f"did you mean '{meant}'") as error:
        resolve_spec(spec)
    assert "huggingface-cli download" not in str(error.value)


def test_the_embedded_models_hub_id_and_a_misspelt_embedded_name_name_the_built_in_copy(
    tmp_path, monkeypatch
):
    from safealign.models.specs import resolve_spec

    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ModelNotFoundError, match="huggingface-cli download HuggingFaceTB/SmolLM2-135M-Instruct"
    ) as error:
        resolve_spec("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert "or give 'embedded:smollm2-135m-instruct'" in str(error.value)
    with pytest.raises(
        ModelNotFoundError, match=r"did you mean 'embedded:smollm2-135m-instruct'\?\); available"
    ):
        resolve_spec("embedded:SmolLM2-135M-Instruct")
    with pytest.raises(
        ModelNotFoundError
    ) as error:  # a Hub id of another model is told only how to download it
        resolve_spec("gpt2")
    assert "did you mean" not in str(error.value)


def _custom_tokenizer(folder):
    """Make the tokenizer saved in ``folder`` one of its own code (auto_map in tokenizer_config.json)."""
    (folder / "tokenization_custom.py").write_text(
        "from transformers import PreTrainedTokenizerFast\n\n\nclass CustomTokenizer(PreTrainedTokenizerFast):\n    pass\n"
    )
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config |= {
        "tokenizer_class": "CustomTokenizer",
        "auto_map": {"AutoTokenizer": [None, "tokenization_custom.CustomTokenizer"]},
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config))


def test_a_tokenizer_of_its_own_code_names_trust_remote_code_not_missing_files(tiny, tmp_path, monkeypatch):
    """It was 'no usable tokenizer ... copy them from the model it was trained from', files that were all there."""
    import transformers.dynamic_module_utils as dynamic

    from safealign.models import load_model

    monkeypatch.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path / "hf_modules"))
    folder = tmp_path / "custom_tokenizer"
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    _custom_tokenizer(folder)
    with pytest.raises(ModelNotFoundError) as refused:
        load_model(str(folder))
    said = " ".join(str(refused.value).split())
    assert "tokenizer_config.json asks for custom code" in said and "model.trust_remote_code: true" in said
    assert "copy them" not in said
    assert type(load_model(str(folder), trust_remote_code=True).tokenizer).__name__ == "CustomTokenizer"


def test_an_adapter_on_another_machines_embedded_cache_is_told_to_name_the_embedded_model(tmp_path):
    """A LoRA SFT of the embedded model records its cache folder as the base; copied to another machine (or read under
    another SAFEALIGN_HOME) it was told to point the field 'at a local copy of the base model', not which one."""
    from safetensors.torch import save_file

    from safealign.models import load_model

    folder = tmp_path / "adapter"
    folder.mkdir()
    base = tmp_path / "elsewhere" / ".cache" / "safealign" / "models" / "smollm2-135m-instruct"
    (folder / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": str(base), "peft_type": "LORA"})
    )
    save_file({}, str(folder / "adapter_model.safetensors"))
    with pytest.raises(ModelNotFoundError, match="set that field to 'embedded:smollm2-135m-instruct'"):
        load_model(str(folder))


def test_a_part_of_a_split_gguf_is_refused_before_it_converts_half_random(tmp_path):
    """transformers reads one file of a split GGUF: the other parts' tensors were left random, with a warning only,
    and the model converted and loaded (checked by hand on the embedded GGUF's first half, written as part 1 of 2)."""
    from safealign.models import load_model

    part = tmp_path / "my model-00002-of-00003.gguf"
    part.write_bytes(b"GGUF" + bytes(20))
    with pytest.raises(ModelNotFoundError, match=r"part 2 of 3 of a GGUF model split into files") as refused:
        load_model(str(part))
    assert f"llama-gguf-split --merge '{tmp_path / 'my model-00001-of-00003.gguf'}' merged.gguf" in str(
        refused.value
    )


def test_a_shard_index_whose_shards_are_all_missing_names_them_not_another_format(tiny, tmp_path):
    """A download of the *.json files only (or a copy still under way) was 'safealign reads safetensors only (convert
    with save_pretrained)': the model is safetensors, its shards are not there."""
    from safealign.models import load_model

    folder = tmp_path / "model"
    tiny.model.save_pretrained(folder, max_shard_size="1MB")
    tiny.tokenizer.save_pretrained(folder)
    for shard in folder.glob("*.safetensors"):
        shard.unlink()
    with pytest.raises(
        ModelNotFoundError, match=r"the shards model-00001-of-00002\.safetensors, .* are missing"
    ) as refused:
        load_model(str(folder))
    assert "convert with" not in str(refused.value)


def test_an_adapters_tokenizer_of_its_own_code_names_trust_remote_code_not_damage(
    tiny, tmp_path, monkeypatch
):
    """An adapter folder's own tokenizer of custom code was 'its tokenizer does not load ... a save cut short'."""
    import transformers.dynamic_module_utils as dynamic
    from peft import LoraConfig, get_peft_model

    from safealign.models import load_model

    monkeypatch.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path / "hf_modules"))
    base = load_model("tiny:2")
    folder = tmp_path / "adapter"
    get_peft_model(base.model, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    _custom_tokenizer(folder)
    with pytest.raises(ModelNotFoundError) as refused:
        load_model(str(folder))
    said = " ".join(str(refused.value).split())
    assert "tokenizer_config.json asks for custom code" in said and "cut short" not in said
