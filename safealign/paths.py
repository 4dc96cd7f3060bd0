"""Where safealign keeps caches and run outputs."""

from __future__ import annotations

import os
from pathlib import Path

from safealign.errors import SafealignError


def safealign_home() -> Path:
    """The cache folder: ``$SAFEALIGN_HOME``, default ``~/.cache/safealign``.

    A ``~`` that names no home (``~name`` for a user this machine does not have, or no HOME and no passwd entry: a
    container run as an arbitrary uid) raised pathlib's RuntimeError "Could not determine home directory", naming
    neither the setting nor the fix, with a traceback."""
    home = os.environ.get("SAFEALIGN_HOME")
    try:
        path = Path(home).expanduser() if home else Path.home() / ".cache" / "safealign"
    except RuntimeError:
        given = (
            f"SAFEALIGN_HOME={home!r} starts with" if home else "the default cache, ~/.cache/safealign, is in"
        )
        raise SafealignError(
            f"{given} a home folder this machine cannot find (no such user, or HOME unset and this user unknown): "
            "set SAFEALIGN_HOME to a folder you can write to (~/ for your own home folder)"
        ) from None
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_cache() -> Path:
    path = safealign_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_data(*parts: str) -> Path:
    """A file or folder shipped inside ``safealign/data``."""
    return Path(__file__).parent.joinpath("data", *parts)
