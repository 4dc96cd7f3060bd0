"""Keep a padding-free batch's shared prompt prefix once instead of once per example.

Every SFT and distillation row starts with the same tokens: the chat template's system message
(SmolLM2's template adds its default one when a row has none) and the opening of the user turn,
24 of the quickstart mixture's ~114 tokens a row. In a padding-free batch those tokens go through
the forward and backward pass once per example, eight times per batch, although they carry no
loss and — attention being causal — their hidden states do not depend on what follows them.

:class:`SharedPrefixCollator` wraps the trainer's collator: it keeps the longest prefix that every
example of the batch shares *inside its prompt* in the first example only, and drops it from the
others, whose positions then start where the prefix ends. The packed attention
(:mod:`safealign.training.packed_attention`) lets such an example attend to the first example's
prefix keys and values, so each example sees exactly the tokens and positions it would see with
its own copy: the same logits for every kept token, the same loss, and the same gradients (the
prefix's share summed over the examples instead of computed once per copy; equal to float
rounding, ``tests/test_shared_prefix.py``).

The token after a dropped prefix is still a prompt token, so no labelled prediction moves to
another example's context. Only rows for that attention are rewritten: with flash attention or
plain SDPA the batch stays as TRL built it (:func:`share_prefix` is a no-op there).
"""

from __future__ import annotations

import logging
from typing import Any

from safealign.training.packed_attention import packed_spans

log = logging.getLogger(__name__)

IGNORE = -100


def prompt_length(labels: Any) -> int:
    """How many leading tokens of one example carry no label (its prompt)."""
    labelled = (labels != IGNORE).nonzero()
    return int(labelled[0]) if labelled.numel() else int(labels.shape[0])


def common_prefix(a: Any, b: Any) -> int:
    """Length of the longest common prefix of two 1-D token tensors."""
    n = min(a.shape[0], b.shape[0])
    differ = (a[:n] != b[:n]).nonzero()
    return int(differ[0]) if differ.numel() else n


def shared_prefix_length(input_ids: Any, labels: Any, spans: list[tuple[int, int, int]]) -> int:
    """The longest prefix every example shares with the first one, ending before each one's last prompt token."""
    first_begin, first_end, _ = spans[0]
    first = input_ids[first_begin:first_end]
    length = prompt_length(labels[first_begin:first_end]) - 1
    for begin, end, _ in spans[1:]:
        length = min(length, prompt_length(labels[begin:end]) - 1, common_prefix(input_ids[begin:end], first))
        if length <= 0:
            return 0
    return length


def strip_shared_prefix(batch: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``batch`` with the shared prefix kept in its first example only; and how many tokens were dropped.

    ``batch`` is one padding-free row as TRL's collator builds it (``input_ids``, ``labels`` and
    ``position_ids`` of shape ``(1, tokens)``). Anything else, or a row whose examples share no
    prompt prefix, comes back unchanged with 0.
    """
    import torch

    position_ids, labels = batch.get("position_ids"), batch.get("labels")
    spans = packed_spans(position_ids)
    if spans is None or labels is None or any(shared for _, _, shared in spans):
        return batch, 0
    ids, row_labels = batch["input_ids"][0], labels[0]
    length = shared_prefix_length(ids, row_labels, spans)
    if length <= 0:
        return batch, 0
    keep = torch.ones(ids.shape[0], dtype=torch.bool)
    for begin, _, _ in spans[1:]:
        keep[begin:begin + length] = False
    out = dict(batch)
    for name in ("input_ids", "labels", "position_ids", "seq_idx"):
        if name in batch:
            out[name] = batch[name][:, keep]
    if "cu_seq_lens_q" in batch:  # the new sequence boundaries (consistent, though only flash attention reads them)
        lengths = [end - begin - (length if index else 0) for index, (begin, end, _) in enumerate(spans)]
        cu = torch.tensor([0, *lengths], dtype=batch["cu_seq_lens_q"].dtype).cumsum(0)
        out["cu_seq_lens_q"] = out["cu_seq_lens_k"] = cu
        out["max_length_q"] = out["max_length_k"] = max(lengths)
    return out, int((~keep).sum())


class SharedPrefixCollator:
    """Wraps a padding-free collator; counts the prefix tokens it kept once (``shared_tokens``)."""

    def __init__(self, collator: Any) -> None:
        self.collator = collator
        self.shared_tokens = 0
        self.uncounted = 0  # shared tokens not yet added to the Trainer's num_input_tokens_seen

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        batch, dropped = strip_shared_prefix(self.collator(examples))
        self.shared_tokens += dropped
        self.uncounted += dropped
        return batch

    def __getattr__(self, name: str) -> Any:  # the Trainer may read the wrapped collator's settings
        if name == "collator":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.collator, name)


def share_prefix(trainer: Any, attention: str | None) -> SharedPrefixCollator | None:
    """Wrap ``trainer``'s collator when its model runs the packed attention; None (nothing changed) otherwise.

    ``attention`` is what :func:`~safealign.training.packed_attention.use_packed_attention`
    returned: not None when the model was switched to it. The Trainer's ``num_input_tokens_seen``
    keeps counting the examples' tokens (the shared ones too, as without this), so tokens/s stay
    comparable with a plain TRL run and survive a resume in its checkpoints.
    """
    if attention is None or not getattr(getattr(trainer, "data_collator", None), "padding_free", False):
        return None
    from transformers import TrainerCallback

    collator = SharedPrefixCollator(trainer.data_collator)

    class CountSharedTokens(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            state.num_input_tokens_seen += collator.uncounted
            collator.uncounted = 0

    trainer.data_collator = collator
    trainer.add_callback(CountSharedTokens())
    log.info("padding-free batches: the prompt prefix the examples share is computed once per batch")
    return collator
