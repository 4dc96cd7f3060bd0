"""The malloc thresholds that keep a training step's freed tensors for the next step."""

from __future__ import annotations

import ctypes
import resource
import sys

import pytest

from safealign import allocator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_large_blocks_are_reused_not_faulted_in_again():
    assert allocator.keep_freed_memory() is True
    assert allocator.keep_freed_memory() is True  # once per process, then cached
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    size = 64 << 20  # over glibc's own mmap ceiling (32 MiB): without the thresholds, every free unmaps it
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        block = libc.malloc(size)
        ctypes.memset(block, 1, size)  # touching fresh pages would fault 16k times per round
        libc.free(block)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 2000


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.setenv("SAFEALIGN_KEEP_FREED_MEMORY", "0")
    assert allocator.keep_freed_memory() is False
