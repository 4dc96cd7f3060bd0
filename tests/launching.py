"""What the multi-process tests share: the CPU launcher config and a free port for its rendezvous."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_CONFIG = ROOT / "recipes" / "accelerate" / "cpu_2proc.yaml"


def free_port() -> int:
    """Engineers share this machine: the default 29500 may be taken by someone else's run."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
