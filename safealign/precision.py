"""Precision as a setting: ``auto`` picks bf16 only where this device measurably runs it faster."""

from __future__ import annotations

import functools
import logging
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Literal

log = logging.getLogger(__name__)

Precision = Literal["auto", "bf16", "fp32"]


@functools.lru_cache(maxsize=4)
def bf16_is_fast(device_type: str = "cpu") -> bool:
    """Time a 1024^2 matmul in bf16 and fp32 (a few ms each); bf16 counts as fast at >= 1.3x."""
    import torch

    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type != "cpu":
        return False
    a = torch.randn(1024, 1024)

    def best_of(dtype) -> float:
        x = a.to(dtype)
        x @ x  # warm-up
        times = []
        for _ in range(5):
            start = time.perf_counter()
            x @ x
            times.append(time.perf_counter() - start)
        return min(times)

    fp32, bf16 = best_of(torch.float32), best_of(torch.bfloat16)
    fast = bf16 * 1.3 <= fp32
    log.info("bf16 matmul %.1f ms vs fp32 %.1f ms: bf16 %s", bf16 * 1e3, fp32 * 1e3, "on" if fast else "off")
    return fast


def resolve_precision(precision: Precision, device_type: str = "cpu") -> Literal["bf16", "fp32"]:
    if precision == "auto":
        return "bf16" if bf16_is_fast(device_type) else "fp32"
    if precision not in ("bf16", "fp32"):
        raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {precision!r}")
    return precision


def autocast(precision: Literal["bf16", "fp32"], device_type: str = "cpu") -> AbstractContextManager:
    """Mixed-precision compute with float32 master weights (so the same model can still be trained)."""
    import torch

    if precision == "bf16":
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)
    return nullcontext()
