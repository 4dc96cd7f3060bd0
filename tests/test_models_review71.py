"""Review 71 of models, loading, specs, pruning and generation."""

from __future__ import annotations

import copy
import errno
import logging

import pytest

from safealign.generation import GenerationEngine

NO_HEADER_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


def retemplated(tiny, template: str, name: str):
    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.chat_template = template
    tokenizer.name_or_path = name  # each test its own name: the warning is given once per tokenizer a process
    return tokenizer


def test_a_chat_template_without_a_generation_prompt_is_warned_about(tiny, caplog):
    """A template that ignores add_generation_prompt ended every prompt with the user's turn, no assistant header: the
    model was asked to go on writing the user's message, without a word."""
    tokenizer = retemplated(tiny, NO_HEADER_TEMPLATE, "review71-no-header")
    with caplog.at_level(logging.WARNING, logger="safealign.generation"):
        engine = GenerationEngine(tiny.model, tokenizer)
        GenerationEngine(tiny.model, tokenizer)
    assert caplog.text.count("writes no assistant header for add_generation_prompt") == 1
    assert "review71-no-header" in caplog.text
    assert engine.prompt_text("hello") == "<|im_start|>user\nhello<|im_end|>\n"  # the prompt itself as it was


def test_a_chat_template_with_a_generation_prompt_is_not_warned_about(tiny, caplog):
    header = NO_HEADER_TEMPLATE + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    with caplog.at_level(logging.WARNING, logger="safealign.generation"):
        GenerationEngine(tiny.model, retemplated(tiny, header, "review71-header"))
        GenerationEngine(tiny.model, retemplated(tiny, tiny.tokenizer.chat_template, "review71-real"))
    assert "assistant header" not in caplog.text


@pytest.mark.parametrize("stop", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_a_conversion_stopped_while_writing_leaves_no_half_written_folder(tmp_path, monkeypatch, tiny, stop):
    """A full disk (or a Ctrl-C) while the conversion wrote its folder left NAME.tmp-<host>-<pid> behind, ~540 MB for
    the embedded model on a disk already full, until a later conversion removed it. The cache there is kept."""
    import transformers

    from safealign.models import embedded

    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path))
    folder = embedded.cache_dir("smollm2-135m-instruct")
    folder.mkdir()
    (folder / "earlier").touch()
    tokenizer = copy.deepcopy(tiny.tokenizer)

    def disk_full(*args, **kwargs):
        raise stop

    tokenizer.save_pretrained = disk_full  # after the weights are written
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: tokenizer)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", lambda *a, **k: tiny.model)
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", lambda *a, **k: tiny.model.config)
    with pytest.raises(type(stop)):
        embedded.convert_gguf(tmp_path / "model.gguf", folder, lambda message: None)
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name], "no .tmp-* left"
    assert (folder / "earlier").exists()


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("http://127.0.0.1:8000/v1", "`safealign eval MODEL_NAME --endpoint http://127.0.0.1:8000/v1`"),
        (
            "openai:https://judge:s3cret@llm.example.com/v1#grader",
            "`safealign eval grader --endpoint https://judge:***@llm.example.com/v1`",
        ),
    ],
)
def test_a_server_url_given_as_a_model_names_eval_endpoint(spec, said, tmp_path, monkeypatch):
    """A served model's URL (or the judge spec openai:URL#MODEL) given as MODEL was "no such file or folder
    (/here/http:/127.0.0.1:8000/v1)", a path nobody wrote, without a word of --endpoint; a password was echoed."""
    from safealign.errors import ModelNotFoundError
    from safealign.models.specs import resolve_spec

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError) as error:
        resolve_spec(spec)
    assert said in str(error.value) and "loads models from files only" in str(error.value)
    assert "s3cret" not in str(error.value) and "no such file" not in str(error.value)


def hub_cache(root, revisions=("0ld", "abc123"), main="abc123"):
    """A Hub cache's folder of one model as from_pretrained leaves it: blobs/, refs/main, snapshots/REV/ (links)."""
    repo = root / "models--HuggingFaceTB--SmolLM2-135M-Instruct"
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / "f00d").write_text('{"model_type": "llama"}')
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(main)
    for revision in revisions:
        (repo / "snapshots" / revision).mkdir(parents=True)
        (repo / "snapshots" / revision / "config.json").symlink_to("../../blobs/f00d")
    return repo


def test_a_hub_cache_folder_names_the_snapshot_that_holds_the_model(tmp_path):
    """~/.cache/huggingface/hub/models--OWNER--NAME (or the hub folder above it) was "a folder but not a model" with
    no word of the model in snapshots/REVISION, the folder to give."""
    from safealign.errors import ModelNotFoundError
    from safealign.models.specs import resolve_spec

    repo = hub_cache(tmp_path / "hub")
    with pytest.raises(ModelNotFoundError) as error:
        resolve_spec(str(repo))
    assert f"Hub cache folder, not a model: the model's files are in {repo}/snapshots/abc123: give that" in str(
        error.value
    ), "refs/main's revision first"
    assert f"(other revisions: {repo}/snapshots/0ld)" in str(error.value)
    with pytest.raises(ModelNotFoundError, match=f"it holds {repo}/snapshots/abc123: give one of them"):
        resolve_spec(str(tmp_path / "hub"))
    assert resolve_spec(f"{repo}/snapshots/abc123").kind == "hf_folder"


@pytest.mark.parametrize("size", [8.0, True, 0, "8"])
def test_a_batch_size_that_is_no_whole_number_is_refused_when_the_engine_is_built(tiny, size):
    """batch_size 8.0 passed the engine's >= 1 check and failed in range() with a TypeError once every prompt had been
    encoded; True was taken as a batch of one."""
    from safealign.errors import SettingError
    from safealign.generation import SamplingParams

    with pytest.raises(SettingError, match=r"batch_size must be >= 1 \(a whole number\)"):
        GenerationEngine(tiny.model, tiny.tokenizer, batch_size=size).generate(
            ["Hi", "Yo"], SamplingParams(max_new_tokens=1)
        )
