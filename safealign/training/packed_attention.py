"""Attention for padding-free batches on PyTorch's SDPA: each packed sequence attends only to itself.

A padding-free batch is one row holding several examples back to back, with ``position_ids`` that
restart at 0 for each. transformers' ``sdpa`` path turns that into a block-diagonal causal mask
over the whole row and computes every block, the zeroed ones too: a batch of 8 rows of ~110 tokens
is a 900 x 900 attention of which an eighth is used, and an explicit mask keeps SDPA off its fused
causal kernel. ``flash_attention_2`` does this per sequence (``cu_seqlens``), but needs a CUDA GPU;
``flex_attention`` compiles, which our CPU default cannot count on. So we register an attention
function, :func:`packed_sdpa_attention`, that runs SDPA with ``is_causal=True`` on each sequence of
the row — transformers' own ``sdpa_attention_forward`` per slice, so GQA and scaling stay theirs.
On 2 CPU cores it took a forward + backward of SmolLM2-135M on 8-example rows from ~125 to ~156
tokens/s (1.24x) with logits equal to the masked path within 5e-5.

A packed sequence may also *continue an earlier one*: when examples open with the same tokens (the
chat template's system message; in GRPO the whole prompt of a group's rollouts),
:mod:`safealign.training.shared_prefix` keeps those tokens once and starts the later sequences at the
position where the shared prefix ends. Such a sequence attends to the first ``p`` keys and values of
the nearest earlier sequence that starts at 0 (its *source*) and then causally to itself — the same
attention, hence the same logits and gradients, as with its own copy of the prefix.

Anything that is not a single packed row (a padded batch, generation with a KV cache) goes to the
plain ``sdpa`` function with the mask transformers built for it, so the model stays correct
wherever it is used while the implementation is set.

Sequences attend to all their earlier tokens here, so a model with sliding-window (or chunked)
attention layers (Mistral, Gemma 2/3, Phi-3 with a window, Qwen2 with ``use_sliding_window``) keeps
plain ``sdpa``: its mask applies the window to packed rows too, which per-sequence causal SDPA would drop.
So does a model whose position bias is in its attention mask (ALiBi Falcon), and one whose attention
layers are not handed ``position_ids`` (GPTBigCode, Persimmon): without them a row's sequences cannot be
found, and a sequence continuing a shared prefix would not see it. And so does one whose attention scores are
more than SDPA computes (Gemma 2's ``attn_logit_softcapping``, GPT-OSS's attention sinks): per-sequence SDPA
would drop them, so :func:`packed_sdpa_attention` refuses such a call rather than return other logits.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

PACKED_SDPA = "safealign_packed_sdpa"
# Attention arguments that change the scores SDPA computes: Gemma 2's logit soft-capping (``softcap``) and the
# attention sinks of GPT-OSS (``s_aux``) and Inkling 2 (``sinks``). SDPA applies none of them.
SCORE_ARGUMENTS = ("softcap", "s_aux", "sinks")


def score_arguments(kwargs: dict[str, Any]) -> list[str]:
    """The :data:`SCORE_ARGUMENTS` an attention call was handed with a value."""
    return [name for name in SCORE_ARGUMENTS if kwargs.get(name) is not None]


def packed_spans(position_ids: Any) -> list[tuple[int, int, int, int]] | None:
    """``(begin, end, shared, source)`` for each packed sequence of a single row, or None for anything else.

    A sequence begins wherever the positions do not continue by one. ``shared`` is its first
    position: 0 for a sequence of its own, ``p`` for one that continues the first ``p`` tokens of
    its ``source`` — the ``begin`` of the nearest earlier sequence that starts at 0 (its own
    ``begin`` when ``shared`` is 0). None unless the row holds two or more sequences and starts at 0.

    >>> import torch
    >>> packed_spans(torch.tensor([[0, 1, 2, 0, 1, 0]]))
    [(0, 3, 0, 0), (3, 5, 0, 3), (5, 6, 0, 5)]
    >>> packed_spans(torch.tensor([[0, 1, 2, 3, 2, 3, 4, 0, 1, 1]]))  # tokens 4-6 continue 0-1; token 9 continues 7
    [(0, 4, 0, 0), (4, 7, 2, 0), (7, 9, 0, 7), (9, 10, 1, 7)]
    >>> packed_spans(torch.tensor([[0, 1, 2]])) is None
    True
    """
    if (
        position_ids is None
        or position_ids.dim() != 2
        or position_ids.shape[0] != 1
        or position_ids.shape[1] < 2
    ):
        return None
    positions = position_ids[0]
    if int(positions[0]) != 0:
        return None
    starts = [0, *((positions[1:] != positions[:-1] + 1).nonzero().flatten() + 1).tolist()]
    if len(starts) < 2:
        return None
    ends = [*starts[1:], positions.shape[0]]
    spans, source, source_length = [], 0, 0
    for begin, end, shared in zip(starts, ends, positions[starts].tolist(), strict=True):
        if not shared:
            source, source_length = begin, end - begin
        elif shared > source_length:
            return None  # continues more tokens than its source has: not a row this module understands
        spans.append((begin, end, shared, source))
    return spans


def packed_sdpa_attention(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Any, None]:
    """SDPA per packed sequence when ``query`` is one padding-free row; plain SDPA otherwise.

    Refuses a model whose scores SDPA cannot compute (:data:`SCORE_ARGUMENTS`), which :func:`use_packed_attention`
    never switches: dropping them would return other logits than the model's own attention.
    """
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if unsupported := score_arguments(kwargs):
        raise ValueError(
            f"{PACKED_SDPA} cannot apply this model's {', '.join(unsupported)} (attention logit soft-capping or "
            "attention sinks), which SDPA does not compute: run the model on its own attention implementation "
            "(eager, or flash/flex attention where installed), not the packed one"
        )
    spans = packed_spans(kwargs.get("position_ids"))
    packed = spans is not None and query.shape[0] == 1 and query.shape[2] == key.shape[2]  # no KV cache
    if not packed:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    outputs = []
    for begin, end, shared, source in spans:
        q, k, v = query[:, :, begin:end], key[:, :, begin:end], value[:, :, begin:end]
        if not shared:
            outputs.append(
                sdpa_attention_forward(
                    module, q, k, v, None, dropout=dropout, scaling=scaling, is_causal=True
                )[0]
            )
            continue
        # The shared prefix's keys and values, then causal over the sequence's own tokens
        # (SDPA's is_causal aligns the diagonal top-left, so the mask is explicit).
        prefix = slice(source, source + shared)
        k, v = torch.cat([key[:, :, prefix], k], dim=2), torch.cat([value[:, :, prefix], v], dim=2)
        mask = torch.ones(end - begin, shared + end - begin, dtype=torch.bool, device=query.device).tril(
            diagonal=shared
        )
        outputs.append(
            sdpa_attention_forward(
                module, q, k, v, mask[None, None], dropout=dropout, scaling=scaling, is_causal=False
            )[0]
        )
    return torch.cat(outputs, dim=1), None  # sdpa_attention_forward returns (batch, seq, heads, dim)


def register_packed_attention() -> None:
    """Make ``attn_implementation=PACKED_SDPA`` known to transformers (idempotent).

    Its masks are SDPA's: padded batches keep theirs; for a packed row the mask is built and ignored.
    """
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(PACKED_SDPA, packed_sdpa_attention)
    AttentionMaskInterface.register(PACKED_SDPA, sdpa_mask)


def use_packed_attention(model: Any, label: str = "") -> str | None:
    """Switch a model that runs on ``sdpa`` to :data:`PACKED_SDPA`; returns the implementation to restore. ``label``
    names the model in the log lines where a stage switches two (distillation's student and teacher).

    Returns None (and changes nothing) for other implementations: flash attention already handles
    packed rows, and eager or flex attention were chosen on purpose; for models with attention
    windows (:func:`attention_window`), which plain ``sdpa``'s mask keeps on packed rows too; and for
    models whose attention is not handed ``position_ids`` or is handed :data:`SCORE_ARGUMENTS` (:func:`probe_attention`).
    """
    said = f"padding-free batches ({label})" if label else "padding-free batches"
    config = getattr(model, "config", None)
    current = getattr(config, "_attn_implementation", None)
    if current != "sdpa":
        return None
    if window := attention_window(config) or mask_position_bias(config):
        log.info(
            "%s: attention stays on sdpa's mask (the model has %s, which the per-sequence "
            "attention would not apply)",
            said,
            window,
        )
        return None
    register_packed_attention()
    calls = probe_attention(model)
    if calls is not None and not (calls and all("position_ids" in handed for handed in calls)):
        log.info(
            "%s: attention stays on sdpa's mask (this model's attention layers are not handed "
            "position_ids, from which the per-sequence attention finds the packed sequences)",
            said,
        )
        return None
    if unsupported := sorted({name for handed in calls or [] for name in handed} & set(SCORE_ARGUMENTS)):
        log.info(
            "%s: attention stays on sdpa's mask (this model's attention is handed %s, attention "
            "logit soft-capping or sinks, which the per-sequence attention would not apply)",
            said,
            ", ".join(unsupported),
        )
        return None
    model.set_attn_implementation(PACKED_SDPA)
    log.info("%s: attention runs per packed sequence (%s)", said, PACKED_SDPA)
    return current


# Layer types whose tokens see only part of the earlier ones (transformers' ``layer_types`` values).
WINDOWED_LAYERS = ("sliding_attention", "chunked_attention")


def attention_window(config: Any) -> str | None:
    """What limits a model's attention to a window of earlier tokens, in words; None for plain causal attention.

    ``layer_types`` says which layers slide where a config has it (Gemma 2/3, Qwen2, Cohere 2…); older
    configs (Mistral, Phi-3) slide every layer when ``sliding_window`` is set, unless ``use_sliding_window`` is False.
    """
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    layer_types = getattr(text, "layer_types", None)
    if layer_types is not None:
        windowed = sorted({kind for kind in layer_types if kind in WINDOWED_LAYERS})
        return f"{'/'.join(windowed)} layers" if windowed else None
    window = getattr(text, "sliding_window", None)
    if window and getattr(text, "use_sliding_window", True) is not False:
        return f"a sliding window of {window} tokens"
    return None


def mask_position_bias(config: Any) -> str | None:
    """A position bias the model adds to its attention mask (ALiBi, as Falcon's ``alibi: true`` does), in words; the
    per-sequence attention runs without that mask, so it would drop the model's only position information."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return "ALiBi position biases in its attention mask" if getattr(text, "alibi", False) is True else None


POSITION_PROBE = "safealign_position_probe"


def probe_attention(model: Any) -> list[set[str]] | None:
    """For each call of ``model``'s attention function in one forward, the keyword arguments it was handed a value for;
    None when the forward could not run here (ZeRO-3 placeholders, an unusual forward).

    The packed attention needs ``position_ids``, from which :func:`packed_sdpa_attention` finds a row's sequences:
    GPTBigCode and Persimmon keep them in their own layers, so their packed rows went to the mask path (still correct)
    but a sequence continuing a shared prefix (:mod:`safealign.training.shared_prefix`) saw no prefix. And it must not
    be handed :data:`SCORE_ARGUMENTS`, which it cannot apply. One forward of a 2-token row in eval mode, without
    gradients; a model that cannot run it is assumed to need neither, as every shipped transformers family with a
    shared decoder layer does.
    """
    import torch
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    handed: list[set[str]] = []

    def record(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **kwargs: Any) -> Any:
        handed.append({name for name, given in kwargs.items() if given is not None})
        for name in SCORE_ARGUMENTS:  # recorded, not computed: SDPA refuses a soft-cap
            kwargs.pop(name, None)
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)

    AttentionInterface.register(POSITION_PROBE, record)
    AttentionMaskInterface.register(POSITION_PROBE, sdpa_mask)
    current, training = model.config._attn_implementation, model.training
    try:
        device = model.get_input_embeddings().weight.device
        model.set_attn_implementation(POSITION_PROBE)
        model.eval()
        with torch.no_grad():
            model(
                input_ids=torch.zeros(1, 2, dtype=torch.long, device=device),
                position_ids=torch.arange(2, device=device)[None],
                use_cache=False,
            )
    # the probe only decides a speed-up; the model's own forward reports its errors
    except Exception as error:
        log.debug("attention probe failed (%s); assuming the attention layers are handed position_ids", error)
        return None
    finally:
        model.set_attn_implementation(current)
        model.train(training)
    return handed


def restore_attention(model: Any, implementation: str | None) -> None:
    """Undo :func:`use_packed_attention` (before saving, so the checkpoint names a standard implementation)."""
    if implementation is not None:
        model.set_attn_implementation(implementation)


def packed_rows_leak(model: Any) -> str | None:
    """Why a padding-free row's sequences would see each other on ``model``'s attention as set now; None when each
    attends only to itself.

    transformers builds a per-sequence mask from a packed row's restarting ``position_ids`` for most models, flash
    attention cuts the row at them and :data:`PACKED_SDPA` runs each sequence alone; but a model whose attention builds
    its own mask (GPT-OSS and Bloom on ``eager``) lets a row's later examples attend to the earlier ones. So one forward
    of a two-sequence row, batched as TRL's padding-free collator batches it, without gradients, is compared with each
    sequence run alone: logits that differ by more than the dtype's rounding (relative to the largest logit) leak. A
    model that cannot run the check leaks unless its attention is one that cuts rows by construction (:data:`PACKED_SDPA`
    or flash attention).
    """
    import torch
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    implementation = str(getattr(model.config, "_attn_implementation", None))
    training = model.training
    try:
        device = model.get_input_embeddings().weight.device
        vocab = model.get_input_embeddings().weight.shape[0]
        sequences = [[vocab * k // 11 for k in (1, 4, 9, 2, 7)], [vocab * k // 11 for k in (5, 3, 10)]]
        batch = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(
            [{"input_ids": ids} for ids in sequences]
        )
        batch.pop("labels")
        model.eval()
        with torch.no_grad():
            inputs = {
                key: value.to(device) if torch.is_tensor(value) else value for key, value in batch.items()
            }
            packed = model(**inputs, use_cache=False).logits[0].float()
            alone = torch.cat(
                [
                    model(input_ids=torch.tensor([ids], device=device), use_cache=False).logits[0]
                    for ids in sequences
                ]
            ).float()
    # a forward this check cannot run (ZeRO-3 placeholders, an unusual model): trusted only on an attention that cuts rows
    except Exception as error:
        if implementation == PACKED_SDPA or implementation.startswith("flash_attention"):
            return None
        return f"the check that packed examples attend only to themselves could not run ({error})"
    finally:
        model.train(training)
    gap = float((packed - alone).abs().max()) / max(1.0, float(alone.abs().max()))
    # fp32: 1e-3, where the packed row's rounding is ~1e-7 and a tiny random Bloom's leak 5e-3; bf16: 0.06
    tolerance = max(1e-3, 8 * torch.finfo(model.get_input_embeddings().weight.dtype).eps)
    if gap <= tolerance:
        return None
    return (
        f"examples packed into one padding-free row attend to each other on this model's {implementation} attention "
        f"(their logits differ from each example run alone by {gap:.2g} of the largest logit)"
    )
