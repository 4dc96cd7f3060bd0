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
