"""Model specs and loading: review 66's fixes."""

from __future__ import annotations

import json
import uuid

import pytest

from safealign.errors import ModelNotFoundError
from safealign.models import load_model, resolve_spec


def test_a_home_folder_of_a_user_this_machine_lacks_is_named_not_a_traceback():
    """``~models/x`` (for ``~/models/x``) raised pathlib's RuntimeError "Could not determine home directory", with a
    traceback from every command and from a LoRA adapter whose base was written so."""
    user = f"nosuchuser{uuid.uuid4().hex[:8]}"
    with pytest.raises(
        ModelNotFoundError, match=rf"~{user} is the home folder of a user .* write ~/{user}/model"
    ):
        resolve_spec(f"~{user}/model")


def test_a_model_folder_whose_chat_template_does_not_compile_is_refused_when_it_loads(tiny, tmp_path):
    """A hand-edited template with a Jinja syntax error loaded without a word; every prompt then failed in
    apply_chat_template with a TemplateSyntaxError traceback (generate, eval, SFT)."""
    folder = tmp_path / "model"
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    template = folder / "chat_template.jinja"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% endfor %}", ""), encoding="utf-8")  # an edit that lost a tag
    with pytest.raises(
        ModelNotFoundError, match=r"chat_template\.jinja does not compile \(TemplateSyntaxError: line"
    ):
        load_model(str(folder))
    # transformers' own tags and filters compile: {% generation %} (assistant masks), tojson
    template.write_text("{% generation %}{{ messages | tojson }}{% endgeneration %}", encoding="utf-8")
    assert load_model(str(folder)).tokenizer.chat_template.startswith("{% generation %}")


def _adapter(tiny, folder):
    from peft import LoraConfig, get_peft_model

    model = load_model("tiny").model
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained(folder)
    return folder


def _set_base(folder, base):
    config = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(json.dumps(config | {"base_model_name_or_path": str(base)}))


def test_an_adapter_whose_bases_go_round_in_a_circle_is_named_not_a_recursion_error(tiny, tmp_path):
    """An adapter saved over its own base (or two naming each other) loaded its base, which loaded its base... until
    Python's RecursionError, with a traceback thousands of lines long."""
    one, two = _adapter(tiny, tmp_path / "one"), _adapter(tiny, tmp_path / "two")
    _set_base(one, one)
    with pytest.raises(ModelNotFoundError, match=r"go round in a circle .*one -> .*one\)"):
        load_model(str(one))
    _set_base(one, two)
    _set_base(two, one)
    with pytest.raises(ModelNotFoundError, match=r"go round in a circle .*one -> .*two -> .*one\)"):
        load_model(str(one))
    _set_base(two, "tiny")  # a chain that ends at a model still loads
    assert load_model(str(one)).info["base"] == "tiny"


def test_a_gguf_file_with_an_upper_case_suffix_is_a_gguf_model(tmp_path):
    """``Model.GGUF`` was "a file but not a .gguf model"."""
    file = tmp_path / "Model.GGUF"
    file.write_bytes(b"GGUF" + bytes(60))
    assert resolve_spec(str(file)).kind == "gguf_file"


def test_a_folder_holding_gguf_files_or_a_model_names_them(tiny, tmp_path):
    """A GGUF repository downloaded with --local-dir (as the Hub id error says), the folder above a model, or a file
    of a model folder was refused with no word of the model inside or around it."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "model-Q4_K_M.gguf").write_bytes(b"GGUF")
    with pytest.raises(ModelNotFoundError, match=r"it holds .*repo/model-Q4_K_M\.gguf: give one of them"):
        resolve_spec(str(tmp_path / "repo"))
    tiny.model.save_pretrained(tmp_path / "above" / "checkpoint-20")
    with pytest.raises(ModelNotFoundError, match=r"it holds .*above/checkpoint-20: give one of them"):
        resolve_spec(str(tmp_path / "above"))
    with pytest.raises(ModelNotFoundError, match=r"inside the model folder .*above/checkpoint-20: give that"):
        resolve_spec(str(tmp_path / "above" / "checkpoint-20" / "model.safetensors"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"nor adapter_config\.json \(a LoRA adapter\)$"):
        resolve_spec(str(tmp_path / "empty"))


@pytest.mark.parametrize("spec", ["hf:HuggingFaceTB/SmolLM2-135M", "hf://HuggingFaceTB/SmolLM2-135M"])
def test_an_hf_prefixed_hub_id_is_told_hub_ids_are_not_downloaded(spec: str) -> None:
    """hf:owner/name was "no such file or folder", without the download command a bare owner/name gets."""
    with pytest.raises(
        ModelNotFoundError, match="huggingface-cli download HuggingFaceTB/SmolLM2-135M --local-dir"
    ):
        resolve_spec(spec)
