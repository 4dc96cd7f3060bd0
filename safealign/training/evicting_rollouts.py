"""GRPO rollouts through safealign's decode loop, where finished completions leave the batch.

TRL's GRPOTrainer (its transformers generation path, the one used without vLLM) samples each step's
rollouts with ``unwrapped_model.generate(input_ids=..., attention_mask=..., generation_config=...)``.
``generate`` keeps a completion that has ended in every forward pass until the longest one of the
batch ends; in the quickstart (32 rollouts of up to 96 tokens, ~55 tokens on average) that is about
a third of the rollout compute. For the duration of ``trainer.train()`` the policy's ``generate``
is routed to :func:`safealign.decoding.decode_batch`, which drops finished rows and returns what
``generate`` returns (prompt + completion ids, padded after the end token), so TRL's masking and
scoring see the same layout. Rollouts are samples from the same distribution (transformers'
logits processors, the global torch RNG that TRL seeds), not the same samples as ``generate`` would
draw: the random stream advances per active row. One deliberate difference: a repetition penalty reads a row's own
tokens, not its left padding (see :mod:`safealign.decoding`); SmolLM2 pads with <|im_end|>, already in
every prompt, so nothing changes there. Measured on the quickstart SFT model, 32 rollouts:
16.6 s vs 19.8 s and 16.7 s vs 20.9 s (2026-11-30).

Anything beyond plain sampling (beams, min-p, suppressed tokens, extra model inputs, ...) is left to
``generate`` itself, also when it comes from the model's own ``generation_config`` (its
generation_config.json): ``generate`` fills each setting TRL's config leaves unset from there.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from safealign.decoding import decode_batch

log = logging.getLogger(__name__)

# Generation settings the decode loop honours; any other non-default one sends the call to generate.
HANDLED = {
    "max_new_tokens",
    "do_sample",
    "temperature",
    "top_k",
    "top_p",
    "repetition_penalty",
    "pad_token_id",
    "bos_token_id",
    "eos_token_id",
    "disable_compile",
    "transformers_version",
    "use_cache",
}


# Settings a model's own generation_config may hold that change no sampled token (max_new_tokens overrides max_length).
INERT = {
    "use_cache",
    "cache_implementation",
    "output_attentions",
    "output_hidden_states",
    "output_scores",
    "output_logits",
    "return_dict_in_generate",
    "max_length",
    "_from_model_config",
    "transformers_version",
}


def effective_config(model: Any, generation_config: Any) -> Any:
    """``generation_config`` with the settings ``generate`` takes from ``model.generation_config`` where it leaves them unset.

    A checkpoint's generation_config.json (``min_p``, ``no_repeat_ngram_size``, ``top_k``...) applies to TRL's rollouts
    through ``generate``; the decode loop must see it too, to honour it or to leave the call to ``generate``.
    """
    own = getattr(model, "generation_config", None)
    if generation_config is None or own is None:
        return generation_config
    from transformers import GenerationConfig

    defaults = getattr(GenerationConfig, "_get_default_generation_params", dict)()
    inherited = {
        key: value
        for key, value in own.to_diff_dict().items()
        if key not in INERT
        and value is not None
        and value != defaults.get(key)
        and getattr(generation_config, key, None) is None
    }
    if not inherited:
        return generation_config
    merged = copy.deepcopy(generation_config)
    for key, value in inherited.items():
        setattr(merged, key, value)
    return merged


def unhandled_settings(generation_config: Any) -> list[str]:
    """The settings of a GenerationConfig the decode loop would not honour."""
    if generation_config is None:
        return ["generation_config=None"]
    settings = generation_config.to_diff_dict()
    unhandled = sorted(k for k, v in settings.items() if k not in HANDLED and v is not None)
    if not settings.get("max_new_tokens"):
        unhandled.append("max_new_tokens unset")
    # values generate refuses with its own error (the decode loop read 0 as unset: sampling at temperature 1)
    for key in ("temperature", "repetition_penalty"):
        value = getattr(generation_config, key, None)
        if value is not None and value <= 0 and (key != "temperature" or generation_config.do_sample):
            unhandled.append(f"{key}={value}")
    return unhandled


def _default(key: str) -> Any:
    """What ``generate`` uses for a setting neither the call nor the model's generation_config sets."""
    from transformers import GenerationConfig

    return getattr(GenerationConfig, "_get_default_generation_params", dict)().get(key, 0)


def _eos_ids(generation_config: Any) -> list[int]:
    eos = generation_config.eos_token_id
    return [eos] if isinstance(eos, int) else list(eos or [])


@contextmanager
def evicting_rollouts(model: Any) -> Iterator[dict[str, int]]:
    """Route ``model.generate`` (as TRL calls it) through the decode loop while the block runs.

    Yields counts of the calls each path served: ``{"decode_loop": n, "generate": m}``.
    """
    import torch

    original = model.generate
    had_attribute = "generate" in vars(model)
    warned: set[str] = set()
    calls = {"decode_loop": 0, "generate": 0}

    def generate(*args: Any, input_ids: Any = None, attention_mask: Any = None, generation_config: Any = None, **kwargs: Any) -> Any:
        cfg = effective_config(model, generation_config)
        unhandled = unhandled_settings(cfg)
        if args or kwargs or input_ids is None or attention_mask is None or unhandled or not _eos_ids(cfg):
            reason = ", ".join(unhandled) or "call shape"
            if reason not in warned:
                warned.add(reason)
                log.info("rollouts: transformers' generate runs this call (%s)", reason)
            calls["generate"] += 1
            return original(*args, input_ids=input_ids, attention_mask=attention_mask, generation_config=generation_config, **kwargs)
        calls["decode_loop"] += 1
        new_tokens = decode_batch(
            model,
            input_ids,
            attention_mask,
            max_new_tokens=cfg.max_new_tokens,
            stop_token_ids=_eos_ids(cfg),
            temperature=(cfg.temperature or 1.0) if cfg.do_sample else 0.0,
            top_p=cfg.top_p if cfg.top_p is not None else 1.0,
            # unset is generate's global default (50), not "no top-k"
            top_k=cfg.top_k if cfg.top_k is not None else _default("top_k"),
            repetition_penalty=cfg.repetition_penalty or 1.0,
        )
        pad = cfg.pad_token_id if cfg.pad_token_id is not None else _eos_ids(cfg)[0]
        completions = input_ids.new_full((input_ids.shape[0], max(len(t) for t in new_tokens)), pad)
        for row, tokens in enumerate(new_tokens):
            completions[row, : len(tokens)] = torch.tensor(tokens, dtype=input_ids.dtype)
        return torch.cat([input_ids, completions], dim=1)

    model.generate = generate
    try:
        yield calls
    finally:
        if had_attribute:
            model.generate = original
        else:
            del model.generate
