"""The decode loop behind the generation engine: one left-padded batch, finished rows leave it.

Why not ``model.generate``: it keeps every row of a batch in every forward pass until the longest
completion ends, so with completions of 20 to 128 tokens about half the compute goes to rows that
have already stopped (on the quickstart's evaluation prompts, 69 tokens on average of 128). Here a
row that reaches an end token, a stop string or the length limit is dropped from the batch and from
the KV cache (``Cache.batch_select_indices``, the hook transformers' contrastive search uses), so
the batch shrinks as answers finish and larger batches pay off. transformers' continuous batching
(``generate_batch``, paged attention) would also refill the batch, but on 2 CPU cores it measured
2.6x slower than ``generate`` (46.8 s vs 17.8 s for 32 evaluation prompts, same answers,
2026-11-30). Sampling reuses transformers' logits processors, so temperature, top-p, top-k and the
repetition penalty mean exactly what they mean in ``generate``, but for one thing: the penalty reads a row's own
tokens, not its left padding. ``generate``'s reads the padding too, and SmolLM2 pads with <|im_end|>, its end token:
a padded row's end was penalised, so an answer's length depended on the prompts batched beside it.

A model whose cache cannot drop a row (the conv and recurrent states of LFM2's, Qwen3-Next's and Qwen3.5's linear
attention layers, which ``batch_select_indices`` does not reach) keeps its finished rows in the batch, as ``generate``
does, and their new tokens are thrown away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# Temperatures below this decode greedily, as in vLLM (_SAMPLING_EPS): dividing the logits by 1e-40 gives inf - inf = NaN
# probabilities, and far above that the distribution is already a one-hot on the argmax.
SAMPLING_EPS = 1e-5


def is_sampled(temperature: float) -> bool:
    """Whether ``temperature`` samples; 0, and anything below ``SAMPLING_EPS``, is greedy decoding."""
    return temperature >= SAMPLING_EPS


def logits_processors(temperature: float, top_p: float, top_k: int, repetition_penalty: float) -> Any:
    """transformers' processors for these settings, in ``generate``'s order."""
    from transformers import (
        LogitsProcessorList,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    processors = LogitsProcessorList()
    if repetition_penalty != 1.0:
        processors.extend([RepetitionPenaltyLogitsProcessor(repetition_penalty), FiniteScores()])
    if is_sampled(temperature):
        if temperature != 1.0:
            processors.append(TemperatureLogitsWarper(temperature))
        if top_k:
            processors.append(TopKLogitsWarper(top_k))
        if top_p < 1.0:
            processors.append(TopPLogitsWarper(top_p))
    return processors


class FiniteScores:
    """Keeps the repetition penalty's scores where a temperature cannot push them past float32's range. A penalty near
    0 divides a positive logit past it (4.0 / 1e-40 is inf; below 1.4e-45 the penalty itself is 0, and 0 / 0 is NaN),
    softmax over inf is NaN, and ``torch.multinomial`` raises on it. The bound stays finite after the smallest sampled
    temperature divides it."""

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        # half of 3.4e38 x 1e-5: divided by any temperature >= 1e-5 (1e-5 itself rounds down in float32), still finite
        bound = torch.finfo(scores.dtype).max * SAMPLING_EPS / 2
        return torch.nan_to_num(scores, nan=0.0).clamp(-bound, bound)


def without_padding(input_ids: Any, attention_mask: Any) -> Any:
    """``input_ids`` with each padding position holding the row's first real token instead, so that the repetition
    penalty, which reads which tokens a row holds, sees the row's tokens only (a token seen twice is penalised once).
    A row without padding is unchanged."""
    import torch

    first = input_ids.gather(1, attention_mask.argmax(-1, keepdim=True))  # argmax: the first 1 of each row
    return torch.where(attention_mask.bool(), input_ids, first)


class StopStrings:
    """Finds a stop string that the newest token completed, decoding only the tail it can lie in."""

    def __init__(self, tokenizer: Any, stops: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        # A token that is not special adds at least one byte (a byte-level BPE token can be a third of a Korean
        # syllable, and a ZWJ emoji takes 13 tokens), so a stop string ending at the newest token lies in the last
        # (its UTF-8 bytes) + 1 such tokens (one more for a token that merges across its first byte).
        self.tail = max((len(s.encode("utf-8")) for s in self.stops), default=0) + 2
        # Special tokens decode to nothing here (<|im_start|> and SmolLM2's <repo_name>...: added tokens marked special,
        # not only those all_special_ids names), so they are left out of the tail, or 14 of them would hide "Hello world".
        added = getattr(tokenizer, "added_tokens_decoder", None) or {}
        self.special_ids = set(getattr(tokenizer, "all_special_ids", None) or []) | {
            token_id for token_id, token in added.items() if getattr(token, "special", False)
        }

    def hit(self, tokens: list[int]) -> bool:
        if not self.stops:
            return False
        tail: list[int] = []
        for token in reversed(tokens):
            if token not in self.special_ids:
                tail.append(token)
                if len(tail) == self.tail:
                    break
        text = self.tokenizer.decode(tail[::-1], skip_special_tokens=True)
        return any(stop in text for stop in self.stops)


def rows_can_leave(cache: Any) -> bool:
    """Whether ``cache.batch_select_indices`` drops rows from all of ``cache``'s state. A linear attention layer has no
    such method (AttributeError at the first finished row), and a hybrid one inherits the attention layer's, which keeps
    its conv and recurrent states at the old batch size."""
    from transformers import cache_utils

    linear = getattr(cache_utils, "LinearAttentionCacheLayerMixin", ())
    layers = getattr(cache, "layers", None)
    return (
        callable(getattr(cache, "batch_select_indices", None))
        and layers is not None
        and all(callable(getattr(layer, "batch_select_indices", None)) for layer in layers)
        and not any(isinstance(layer, linear) for layer in layers)
    )


def decode_batch(
    model: Any,
    input_ids: Any,
    attention_mask: Any,
    *,
    max_new_tokens: int,
    stop_token_ids: Sequence[int],
    temperature: float = 0.0,
    top_p: float = 1.0,
    top_k: int = 0,
    repetition_penalty: float = 1.0,
    stop_strings: StopStrings | None = None,
    ignore_eos: bool = False,
    generator: Any = None,
    on_finished: Callable[[int], None] | None = None,
    cancelled: Callable[[int], bool] | None = None,
) -> list[list[int]]:
    """New tokens for each row of a left-padded batch (an end token, when one ended the row, included). A ``temperature``
    below ``SAMPLING_EPS`` (0 included) decodes greedily.

    ``on_finished(n)`` is called as rows leave the batch, for progress bars. ``cancelled(row)`` says whether the
    caller has given a row up (a server's client that left): such a row leaves the batch after the current step,
    with the tokens it has.
    """
    import torch

    rows = input_ids.shape[0]
    processors = logits_processors(temperature, top_p, top_k, repetition_penalty)
    stop_ids = set(stop_token_ids)
    generated: list[list[int]] = [[] for _ in range(rows)]
    active = torch.arange(rows, device=input_ids.device)  # batch position -> original row
    # what the repetition penalty looks at: prompt + answer, without the left padding
    sequences = without_padding(input_ids, attention_mask)
    attention = attention_mask
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    step_ids, step_positions, cache = input_ids, positions, None
    stayed: set[int] = set()  # finished rows still in the batch, where the cache cannot drop them
    for step in range(max_new_tokens):
        out = model(
            input_ids=step_ids,
            attention_mask=attention,
            position_ids=step_positions,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        cache = out.cache
        if step == 0:
            evict = rows_can_leave(cache)
        scores = processors(sequences, out.logits[:, -1, :].float())
        if is_sampled(temperature):
            next_tokens = torch.multinomial(scores.softmax(-1), 1, generator=generator).squeeze(1)
        else:
            next_tokens = scores.argmax(-1)
        keep: list[int] = []
        live = len(active) - len(stayed)
        for position, (row, token) in enumerate(zip(active.tolist(), next_tokens.tolist(), strict=True)):
            if row in stayed:
                continue
            generated[row].append(token)
            ended = (not ignore_eos and token in stop_ids) or (
                stop_strings is not None and stop_strings.hit(generated[row])
            )
            if not ended and step + 1 < max_new_tokens and not (cancelled is not None and cancelled(row)):
                keep.append(position)
            elif not evict:
                stayed.add(row)
        finished = live - len(keep)
        if finished and on_finished:
            on_finished(finished)
        if not keep:
            break
        sequences = torch.cat([sequences, next_tokens[:, None]], dim=1)
        attention = torch.cat([attention, attention.new_ones((len(active), 1))], dim=1)
        step_positions = step_positions[:, -1:] + 1
        step_ids = next_tokens[:, None]
        if finished and evict:
            index = torch.tensor(keep, device=input_ids.device)
            cache.batch_select_indices(index)
            active, sequences, attention = active[index], sequences[index], attention[index]
            step_positions, step_ids = step_positions[index], step_ids[index]
    return generated
