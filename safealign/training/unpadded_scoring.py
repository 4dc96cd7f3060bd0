"""Score GRPO's padded completion batches as one packed row, without their pad tokens.

GRPOTrainer scores each group of rollouts as a padded batch: prompts padded on the left to the
longest prompt, completions on the right to the longest completion. In the quickstart a step holds
32 sequences of ~50 prompt and ~54 completion tokens, padded to ~70 + 96: about 40% of the forward
and backward is spent on pad tokens. TRL packs SFT batches (``padding_free``) but not GRPO's.

:func:`score_unpadded` wraps the forward that TRL's ``add_fused_lm_head`` installed: a call with
``fused_lm_head=True`` and a padded ``attention_mask`` runs instead on the real tokens only, back to
back in one row with ``position_ids`` restarting at 0 for each sequence, with the next-token labels
shifted before packing (``shift_labels``, so no sequence is scored on its neighbour's first token);
the per-token outputs are scattered back to the padded shape TRL expects. With attention per packed
sequence (:mod:`safealign.training.packed_attention`) each sequence attends only to itself. RoPE
depends on relative positions only, so restarting the positions at 0 instead of counting the left
padding gives the same attention (equal to float rounding; ``tests/test_unpadded_scoring.py``). A model
with learned absolute positions (GPT-2, OPT) is the exception: TRL's padded forward passes no
``position_ids``, so a left-padded sequence is scored at positions shifted by its padding (0.2 nats a
token on a tiny random GPT-2), while the packed row scores it at the positions it was sampled at and
would be scored at alone.
Any other call (generation, an unpadded batch, one row, extra inputs such as images) goes to the
wrapped forward unchanged. Keyword arguments passed as None are not inputs: a LoRA policy's
``PeftModel`` forwards ``inputs_embeds``, ``output_attentions``, ``output_hidden_states`` and
``return_dict`` as None on every call, and those calls are packed too. :func:`packed_calls` counts
the calls that ran packed.

The rollouts of one prompt share the whole prompt (8 copies a prompt in the quickstart, ~45% of
the packed row): on the packed attention each prompt's tokens are kept once, in its first rollout,
and the others continue from it (:mod:`safealign.training.shared_prefix`); only the prompt tokens
whose outputs are not scored are dropped, and their per-token outputs come back as zeros, like padding.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from safealign.training.packed_attention import PACKED_SDPA

log = logging.getLogger(__name__)

# The keyword arguments a packed call can carry over; anything else (pixel values, router logits…) is left to TRL.
_PASSED_THROUGH = {"use_cache", "num_items_in_batch"}
_PER_TOKEN = ("log_probs", "entropy", "log_sum_sq_probs", "mean_logits", "is_top1", "label_mask")


def _packable(args: tuple, input_ids: Any, attention_mask: Any, labels: Any, extra: dict[str, Any]) -> bool:
    return (
        not args
        and input_ids is not None
        and labels is not None
        and attention_mask is not None
        and attention_mask.dim() == 2
        and input_ids.shape[0] > 1
        and not bool(attention_mask.all())
        and set(extra) <= _PASSED_THROUGH
    )


def score_unpadded(model: Any) -> bool:
    """Make ``model``'s fused-LM-head forward (TRL's ``add_fused_lm_head``) score padded batches packed.

    Returns False, changing nothing, when ``model`` has no fused forward to wrap.
    """
    fused = model.__dict__.get("forward")
    if fused is None or getattr(fused, "_safealign_unpadded", False):
        return bool(fused is not None)

    @functools.wraps(fused)
    def forward(
        *args: Any,
        fused_lm_head: bool = False,
        input_ids: Any = None,
        attention_mask: Any = None,
        labels: Any = None,
        **kwargs: Any,
    ) -> Any:
        # PeftModel passes the inputs it does not use as None
        given = {key: value for key, value in kwargs.items() if value is not None}
        if not fused_lm_head or not _packable(args, input_ids, attention_mask, labels, given):
            named = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
            # positional calls stay positional
            kwargs.update({key: value for key, value in named.items() if value is not None})
            return fused(*args, fused_lm_head=fused_lm_head, **kwargs)
        # continuations need that attention
        share = getattr(model.config, "_attn_implementation", None) == PACKED_SDPA
        forward._safealign_packed_calls += 1  # type: ignore[attr-defined]
        return _packed_call(fused, input_ids, attention_mask, labels, given, share)

    forward._safealign_unpadded = True  # type: ignore[attr-defined]
    forward._safealign_packed_calls = 0  # type: ignore[attr-defined]
    model.forward = forward
    return True


def packed_calls(model: Any) -> int:
    """How many calls :func:`score_unpadded`'s forward on ``model`` (or its LoRA base) has run packed; 0 if unwrapped."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    # accelerate's mixed precision (bf16 training) puts its autocast forward over ours and keeps ours as _original_forward
    for name in ("forward", "_original_forward"):
        calls = getattr(base.__dict__.get(name), "_safealign_packed_calls", None)
        if calls is not None:
            return int(calls)
    return 0


def _packed_call(
    fused: Any, input_ids: Any, attention_mask: Any, labels: Any, kwargs: dict[str, Any], share: bool
) -> Any:
    import torch

    mask = attention_mask.bool()
    shifted = torch.full_like(labels, -100)
    shifted[:, :-1] = labels[:, 1:]
    shifted = shifted.masked_fill(~mask, -100)
    positions = mask.long().cumsum(dim=1) - 1
    row_ids, row_positions, row_targets = input_ids[mask], positions[mask], shifted[mask]
    if share:
        row_ids, row_positions, row_targets, mask = _share_prompts(row_ids, row_positions, row_targets, mask)
    out = fused(
        input_ids=row_ids[None],
        position_ids=row_positions[None],
        shift_labels=row_targets[None],
        fused_lm_head=True,
        **kwargs,
    )
    for name in _PER_TOKEN:
        packed = getattr(out, name, None)
        if packed is not None:
            # Position t of a padded row scores token t + 1, as the padded forward's (batch, seq_len - 1) outputs do
            out[name] = packed.new_zeros(mask.shape).masked_scatter(mask, packed[0])[:, :-1]
    return out


def _share_prompts(ids: Any, positions: Any, targets: Any, mask: Any) -> tuple[Any, Any, Any, Any]:
    """The packed row with the prompts its sequences share kept once; ``mask`` narrowed to the kept tokens."""
    from safealign.training.shared_prefix import share_prefixes

    starts = [0, *mask.sum(dim=1).cumsum(0).tolist()]
    spans = list(zip(starts[:-1], starts[1:], strict=True))
    # leading tokens with no scored output
    unscored = [int(((targets[b:e] != -100).cumsum(0) == 0).sum()) for b, e in spans]
    keep, kept_positions = share_prefixes(ids, unscored, spans)
    if bool(keep.all()):
        return ids, positions, targets, mask
    narrowed = mask.clone()
    narrowed[mask] = keep
    return ids[keep], kept_positions, targets[keep], narrowed


def score_grpo_unpadded(trainer: Any) -> bool:
    """Score a GRPOTrainer's padded batches packed: the policy, and the KL reference when there is one.

    Only models whose attention runs per packed sequence (:data:`PACKED_SDPA`) are wrapped: the
    policy must have been switched by :func:`use_packed_attention` before the trainer was built; the
    reference, which TRL loads itself with the policy's implementation (so usually already
    :data:`PACKED_SDPA`), is switched here when it runs on ``sdpa``. Returns whether the policy is
    wrapped; :func:`packed_calls` says whether its batches were then scored packed.
    """
    from safealign.training.packed_attention import use_packed_attention

    policy = trainer.model.get_base_model() if hasattr(trainer.model, "get_base_model") else trainer.model
    if getattr(policy.config, "_attn_implementation", None) != PACKED_SDPA or not score_unpadded(policy):
        return False
    reference = getattr(trainer, "ref_model", None)
    if reference is not None:
        packed = getattr(reference.config, "_attn_implementation", None) == PACKED_SDPA
        if packed or use_packed_attention(reference) is not None:
            score_unpadded(reference)
    log.info("rl: padded rollout batches are scored as one packed row (no pad tokens)")
    return True
