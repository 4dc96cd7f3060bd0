"""Keep freed memory in the process, so that each training step does not pay the kernel for fresh pages.

Training on CPU allocates and frees the same large tensors every step: the quickstart SFT's logits
alone are batch x length x 49k vocabulary floats, ~400 MB. glibc's malloc hands every block over its
mmap threshold (at most 32 MiB when left to itself) back to the kernel on free, and returns the top of
the heap past 128 KiB, so the next step faults those pages in again and the kernel zeroes them. On
this project's 2-core VM that was over half of the SFT stage's time in the kernel: in
benchmarks/sft_throughput.py (5 steps), 67 s of 117 s were system time, and raising both thresholds
took safealign sft from 79 to 113 tokens/s and bare TRL from 88 to 141 (2026-11-28).

The same effect is what jemalloc or tcmalloc give through LD_PRELOAD; two ``mallopt`` calls do it
without a system package or an environment set before Python starts. The cost: the process keeps its
peak heap until it exits (training processes do anyway). ``SAFEALIGN_KEEP_FREED_MEMORY=0`` (or false, no,
off) turns it off.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
MMAP_THRESHOLD = 1 << 30  # blocks up to 1 GiB come from the heap and are reused
# Older glibc (2.33 and before at least: RHEL 8, Ubuntu 20.04) refuses one over HEAP_MAX_SIZE / 2 (32 MiB on
# 64-bit): its largest then, so that blocks up to it are still reused
OLDER_GLIBC_MMAP_THRESHOLD = 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long)
TRIM_THRESHOLD = 2**31 - 1  # the heap's top is not returned below 2 GiB of slack (mallopt takes an int)

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; False where that does not apply (not glibc, or off)."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    setting = os.environ.get("SAFEALIGN_KEEP_FREED_MEMORY", "1").strip().lower()
    if setting in ("0", "false", "no", "off") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        thresholds = (MMAP_THRESHOLD, OLDER_GLIBC_MMAP_THRESHOLD)  # the first that this glibc takes
        mmap = any(libc.mallopt(M_MMAP_THRESHOLD, value) for value in thresholds)
        # only with a fixed mmap threshold: setting the trim threshold alone also pins that one at its 128 KiB start
        _applied = mmap and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):  # another C library (musl): its allocator, its defaults
        return False
    log.debug("malloc keeps freed memory for reuse: %s", _applied)
    return _applied
