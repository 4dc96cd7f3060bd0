"""NEFTune (noisy embeddings, Jain et al. 2023) with its noise scaled per example in padding-free batches.

NEFTune adds uniform noise in ``[-a, a]``, ``a = alpha / sqrt(L * d)``, to the input embeddings of every
training forward (``L`` the sequence length, ``d`` the hidden size). transformers implements it
(``TrainingArguments.neftune_noise_alpha``, ``integrations.neftune``) with ``L = output.size(1)``: the
batch's padded length. A padding-free batch is one row that holds every example back to back, so there
``L`` is the whole batch's token count (~8 examples in the quickstart) and the noise ~sqrt(8) times
weaker than the method's. We therefore hook the embeddings ourselves: each packed sequence gets the
magnitude of its own length, read from the position ids (:func:`~safealign.training.packed_attention.packed_spans`;
a sequence that continues a shared prefix counts the prefix in its length). Padded batches get
transformers' scale. Evaluation forwards (``module.training`` false) are untouched.

The SFT stage keeps prompt prefixes unshared (:mod:`~safealign.training.shared_prefix`) while NEFTune is on: a
sequence that continues a shared prefix attends to its source's noisy copy, another example's noise sample and scale.
"""

from __future__ import annotations

import math
from typing import Any

from safealign.training.packed_attention import packed_spans


def noise_magnitudes(position_ids: Any, tokens: int, hidden: int, alpha: float) -> Any:
    """Per-token noise bound ``alpha / sqrt(L * d)`` for a batch of ``tokens`` positions, shape ``(tokens, 1)``.

    >>> import torch
    >>> m = noise_magnitudes(torch.tensor([[0, 1, 2, 3, 0]]), 5, 4, 2.0)  # a 4-token and a 1-token sequence
    >>> [round(float(x), 3) for x in m.flatten()]
    [0.5, 0.5, 0.5, 0.5, 1.0]
    >>> [round(float(x), 3) for x in noise_magnitudes(None, 4, 4, 2.0).flatten()]
    [0.5, 0.5, 0.5, 0.5]
    """
    import torch

    spans = packed_spans(position_ids)
    if spans is None:
        return torch.full((tokens, 1), alpha / math.sqrt(tokens * hidden))
    magnitude = torch.empty(tokens, 1)
    for begin, end, shared, _ in spans:
        magnitude[begin:end] = alpha / math.sqrt((end - begin + shared) * hidden)
    return magnitude


class NoisyEmbeddings:
    """Hooks that add NEFTune noise to ``model``'s input embeddings while it trains; :meth:`remove` undoes them.

    A forward pre-hook on the decoder (which every wrapper, peft's included, calls as a module) hands
    the batch's ``position_ids`` to the embedding hook.
    """

    def __init__(self, model: Any, alpha: float) -> None:
        if not 0 < alpha < math.inf:  # NaN fails both; inf noise made every training loss NaN
            raise ValueError(
                f"sft.neftune_noise_alpha must be a finite number above 0, got {alpha} (Jain et al. use 5-15; leave it "
                "unset to train without noise)"
            )
        self.alpha = alpha
        self.position_ids: Any = None
        decoder = model.get_decoder() if hasattr(model, "get_decoder") else model
        self.handles = [
            decoder.register_forward_pre_hook(self._remember_positions, with_kwargs=True),
            model.get_input_embeddings().register_forward_hook(self._add_noise),
        ]

    def _remember_positions(self, module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        self.position_ids = kwargs.get("position_ids")

    def _add_noise(self, module: Any, inputs: Any, output: Any) -> Any:
        if not module.training:
            return output
        import torch

        tokens, hidden = output.shape[-2], output.shape[-1]
        positions = self.position_ids if self.position_ids is not None and self.position_ids.shape[-1] == tokens else None
        magnitude = noise_magnitudes(positions if output.shape[0] == 1 else None, tokens, hidden, self.alpha)
        magnitude = magnitude.to(device=output.device, dtype=output.dtype)
        return output + (torch.rand_like(output) * 2 - 1) * magnitude

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []
