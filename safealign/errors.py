"""Errors safealign raises for bad input: each message names the problem and the fix."""

from __future__ import annotations

import difflib
import errno
import re
from collections.abc import Iterable


class SafealignError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class ModelNotFoundError(SafealignError):
    """A model spec that resolves to nothing loadable."""


class DataError(SafealignError):
    """A malformed dataset row or file (the message names file, line and field)."""


class RecipeError(SafealignError):
    """A recipe that fails validation (the message names the field, the value and what is allowed)."""


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the valid name closest to a mistyped one, or ``""`` when none is close.

    >>> did_you_mean("reasonin", ["reasoning", "harmful"])
    " (did you mean 'reasoning'?)"
    """
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class SettingError(SafealignError, ValueError):
    """A bad generation or precision setting (a command-line option or a request field); a ValueError too, so
    callers that map ValueError to a client error (the servers' 422) keep doing so."""


# What torch.save's writer says when a write fails part way (a full disk): a bare RuntimeError, with no errno or path
TORCH_WRITE_FAILURES = ("unexpected pos", "PytorchStreamWriter failed")
# How safetensors (model.safetensors: the Trainer's checkpoints, save_pretrained) says which write failed: a
# SafetensorError, neither an OSError nor a RuntimeError, ending in Rust's "(os error 28)"
SAFETENSORS_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def disk_full_message(error: BaseException) -> str | None:
    """A clear message when ``error`` is a full disk or an exceeded disk quota, else None.

    A full disk surfaces as ``OSError(ENOSPC)`` from Python writes, as a bare ``RuntimeError`` ("unexpected pos
    ...") from ``torch.save`` in the middle of a checkpoint, and as a ``SafetensorError`` ("... (os error 28)") from
    a model.safetensors write; a user's quota on a shared cluster's disk as EDQUOT ("Disk quota exceeded") the same
    ways. Nothing else is taken for one: a permission error, an out-of-memory or a shape mismatch keeps its own
    message. The free space shown is that where the error's file was (its nearest existing folder), when it names
    one; not for a quota, which the disk's free space does not measure. Checkpoints are only taken as complete with
    their trainer_state.json, which the Trainer writes last, so a rerun resumes from the last complete one.
    """
    import shutil

    if isinstance(error, OSError):
        code = error.errno
    elif type(error).__name__ == "SafetensorError" and (found := SAFETENSORS_OS_ERROR.search(str(error))):
        code = int(found.group(1))
    elif isinstance(error, RuntimeError) and any(text in str(error) for text in TORCH_WRITE_FAILURES):
        code = errno.ENOSPC
    else:
        return None
    what = f"{type(error).__name__}: {str(error).strip()[:120]}"
    if code == errno.EDQUOT:
        return (
            f"your disk quota is exceeded ({what}). Free space within it (old runs' checkpoint-* folders are the "
            "largest) or ask for a larger quota, and rerun the same command: finished stages are skipped and an "
            "unfinished stage resumes from its last complete checkpoint."
        )
    if code != errno.ENOSPC:
        return None
    where = _existing_folder(getattr(error, "filename", None))
    try:
        free = f"{shutil.disk_usage(where).free / 1024**2:.0f} MiB free under {where}; " if where else ""
    except OSError:
        free = ""
    return (
        f"the disk is full ({free}{what}). "
        "Free space (old runs' checkpoint-* folders are the largest) and rerun the same command: finished stages are "
        "skipped and an unfinished stage resumes from its last complete checkpoint."
    )


def _existing_folder(filename: object) -> str | None:
    """The nearest existing folder at or above ``filename`` (an OSError's path), or None when it names none."""
    import os
    from pathlib import Path

    if not isinstance(filename, str | bytes) or not filename:
        return None
    path = Path(os.fsdecode(filename)).absolute()
    return str(next((folder for folder in (path, *path.parents) if folder.is_dir()), path.anchor))


# Top-level modules of the optional extras in pyproject.toml -> the extra that installs them.
OPTIONAL_MODULES = {
    "fastapi": "serve",
    "uvicorn": "serve",
    "aiohttp": "serve",
    "sqlalchemy": "serve",
    "prometheus_client": "serve",
    "httptools": "serve",
    "uvloop": "serve",
    "psycopg": "postgres",
    "tensorboard": "tracking",
    "vllm": "gpu",
    "deepspeed": "gpu",
    "garak": "garak",
}


def missing_extra_message(error: BaseException) -> str | None:
    """A message naming the extra to install when ``error`` is a missing optional dependency, else None."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    extra = OPTIONAL_MODULES.get(error.name.split(".")[0])
    if extra is None:
        return None
    return (
        f"this command needs the optional '{extra}' dependencies (no module named '{error.name}'): "
        f"pip install 'safealign[{extra}]' (`make install-dev` installs 'serve' with the test tools)."
    )
