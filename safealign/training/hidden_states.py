"""Intermediate-state distillation: each student layer's output pulled toward the teacher layer it was copied from.

A depth-pruned student (``prune:<fraction>``) keeps some of the teacher's layers; logit KD supervises only what
comes out of the last one. Minitron (Muralidharan et al. 2024) found that when depth is cut a lot, adding the
intermediate states to the logit loss recovers more than logits alone. Here student layer ``j`` is compared with
teacher layer ``kept[j]`` on the positions whose next token is part of an answer (the positions the logit loss
scores): the squared error of the two hidden states relative to the teacher's, per token, averaged over tokens and
layers. Relative, because hidden-state norms grow tenfold up the stack, and a plain MSE would be all top layers.

Forward hooks capture the outputs rather than ``output_hidden_states``: transformers 5 assembles that tuple by
recording layers too and swaps the last entry for the final-normed state, so its indexing is not one entry per
layer; the hooks name exactly the layers compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from safealign.models.prune import decoder_layers


def unwrapped(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (LoRA students), or the model itself."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


@contextmanager
def recorded_layer_outputs(model: Any, indices: list[int]) -> Iterator[dict[int, Any]]:
    """While the block runs, ``outputs[i]`` is the hidden state decoder layer ``i`` returned in the latest forward.

    ``model`` may be PEFT-wrapped, not DDP-wrapped: the caller unwraps what accelerate wrapped (``unwrap_model``).
    With no ``indices`` the model is not looked at.
    """
    outputs: dict[int, Any] = {}
    if not indices:
        yield outputs
        return
    layers = decoder_layers(unwrapped(model))

    def record(index: int) -> Any:
        def hook(module: Any, args: Any, output: Any) -> None:
            outputs[index] = output[0] if isinstance(output, tuple) else output
        return hook

    handles = [layers[index].register_forward_hook(record(index)) for index in indices]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def at_completion_positions(states: Any, labels: Any) -> Any:
    """The rows of ``states`` (batch, length, hidden) at the positions that predict a completion token, as (tokens, hidden)."""
    return states[:, :-1][labels[:, 1:] != -100]


def relative_state_error(student: Any, teacher: Any) -> Any:
    """Mean over tokens of ||student - teacher||^2 / ||teacher||^2 for two (tokens, hidden) matrices."""
    if not student.numel():
        return student.sum() * 0.0
    student, teacher = student.float(), teacher.float()
    return ((student - teacher).pow(2).sum(-1) / teacher.pow(2).sum(-1).clamp_min(1e-6)).mean()


def hidden_state_loss(student_outputs: dict[int, Any], teacher_outputs: dict[int, Any], layer_map: list[int], labels: Any) -> Any:
    """Mean over student layers ``j`` of the relative error between its output and teacher layer ``layer_map[j]``'s."""
    errors = [
        relative_state_error(at_completion_positions(student_outputs[j], labels), at_completion_positions(teacher_outputs[t], labels))
        for j, t in enumerate(layer_map)
    ]
    return sum(errors) / len(errors)
