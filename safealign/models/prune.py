"""``prune:<fraction>`` students: a smaller copy of the teacher that keeps a share of its layers.

Kept layers are spread evenly over the depth, always including the first and the last (the
usual layer-dropping initialisation for distilled students, e.g. DistilBERT keeps every other
layer). Embeddings, final norm and head are copied; the student starts from the teacher's weights.
"""

from __future__ import annotations

import copy
from typing import Any

from safealign.errors import ModelNotFoundError


def parse_prune_spec(spec: str) -> float:
    try:
        fraction = float(spec.split(":", 1)[1])
    except (IndexError, ValueError):
        raise ModelNotFoundError(f"bad student spec {spec!r}: use prune:<fraction of layers kept>, e.g. prune:0.5") from None
    if not 0 < fraction < 1:
        raise ModelNotFoundError(f"bad student spec {spec!r}: the fraction must be between 0 and 1 (exclusive)")
    return fraction


def kept_layers(num_layers: int, fraction: float) -> list[int]:
    """Evenly spaced layer indices, first and last included.

    >>> kept_layers(30, 0.5)
    [0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29]
    """
    keep = max(1, round(num_layers * fraction))
    if keep == 1:
        return [0]
    return sorted({round(i * (num_layers - 1) / (keep - 1)) for i in range(keep)})


def prune_model(teacher: Any, fraction: float) -> tuple[Any, list[int]]:
    """A deep copy of ``teacher`` with only the kept decoder layers (Llama-style ``model.layers``)."""
    import torch

    layers = getattr(getattr(teacher, "model", None), "layers", None)
    if layers is None:
        raise ModelNotFoundError(f"prune: needs a decoder with model.layers (Llama, Qwen, Mistral…); got {type(teacher).__name__}")
    keep = kept_layers(len(layers), fraction)
    student = copy.deepcopy(teacher)
    student.model.layers = torch.nn.ModuleList([student.model.layers[i] for i in keep])
    for new_index, layer in enumerate(student.model.layers):
        if hasattr(layer, "self_attn") and hasattr(layer.self_attn, "layer_idx"):
            layer.self_attn.layer_idx = new_index  # the KV cache is indexed by position in the stack
    student.config.num_hidden_layers = len(keep)
    if getattr(student.config, "layer_types", None):
        student.config.layer_types = [student.config.layer_types[i] for i in keep]
    return student, keep
