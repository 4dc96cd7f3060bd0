"""Where safealign keeps caches and run outputs."""

from __future__ import annotations

import os
from pathlib import Path


def safealign_home() -> Path:
    """The cache folder: ``$SAFEALIGN_HOME``, default ``~/.cache/safealign``."""
    home = os.environ.get("SAFEALIGN_HOME")
    path = Path(home).expanduser() if home else Path.home() / ".cache" / "safealign"
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_cache() -> Path:
    path = safealign_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_data(*parts: str) -> Path:
    """A file or folder shipped inside ``safealign/data``."""
    return Path(__file__).parent.joinpath("data", *parts)
