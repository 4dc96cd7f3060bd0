"""Score only the labelled positions in TRL's fused LM head on the CPU.

TRL's SFT and GRPO trainers compute the loss through ``add_fused_lm_head``: the hidden states go
through the output projection in tiles, without materialising the ``(tokens, vocabulary)`` logits.
On Triton devices it projects only the positions with a label; everywhere else it projects every
position and zeroes the unlabelled ones afterwards, because a varying number of positions would
change the tile shapes and make a graph compiler (Neuron) recompile on every batch. Eager PyTorch
on the CPU does not compile, so there that choice only costs time: the prompts, the system message
and GRPO's padding go through the 49k-word projection (and its backward) for nothing. In the
quickstart SFT mixture 40% of the tokens are prompt tokens.

:func:`compact_lm_head` makes TRL take its own compact path on the CPU, for the duration of a
``with`` block: the same kernel on ``hidden[mask]`` and ``labels[mask]``, scattered back to the
full shape, so the loss, the metrics and the gradients are those of the full path (equal to float
rounding; ``tests/test_compact_lm_head.py``). The switch TRL reads is a private function
(``trl.trainer.utils._use_triton``, consulted for nothing else in that module); when a TRL release
renames it, the block runs TRL's default path and logs that it did.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


@contextlib.contextmanager
def compact_lm_head() -> Iterator[bool]:
    """Within the block, TRL's fused LM head projects only labelled positions on CPU tensors too.

    Yields whether the switch was found (False: TRL's default path, logged once).
    """
    try:
        from trl.trainer import utils as trl_utils
    except ImportError:  # pragma: no cover - trl is a core dependency
        yield False
        return
    original = getattr(trl_utils, "_use_triton", None)
    if original is None:
        log.info("compact LM head: this TRL has no trl.trainer.utils._use_triton; every position is projected (TRL's default)")
        yield False
        return

    def compact_on_cpu(device: Any) -> bool:
        return getattr(device, "type", None) == "cpu" or original(device)

    trl_utils._use_triton = compact_on_cpu
    try:
        yield True
    finally:
        trl_utils._use_triton = original
