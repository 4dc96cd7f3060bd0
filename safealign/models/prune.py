"""``prune:<fraction>`` students: a smaller copy of the teacher, initialised from its weights.

What the fraction keeps (the distill section's ``prune_by``):

- ``depth`` (default): that share of the decoder layers, spread evenly, first and last included —
  the usual layer-dropping initialisation for distilled students (DistilBERT keeps every other layer);
- ``redundancy``: that share of the layers, those that change the hidden state most on calibration
  text, first and last included — ShortGPT's "block influence" (Men et al., 2024, arXiv:2403.03853):
  a layer whose output points where its input did adds little, so dropping it costs least;
- ``loss``: that share of the layers, those whose absence raises the next-token loss on the
  calibration answers most, first and last included — the perplexity criterion of "Shortened LLaMA"
  (Kim et al., 2024, arXiv:2402.02834): each layer is skipped on its own and the rise is its importance,
  so a layer is judged by what the answers lose without it, not by how far it turns the hidden state;
- ``width``: every layer, with that share of each MLP's neurons, the most active ones on calibration
  text — Minitron's activation-based width pruning (Muralidharan et al., 2024, arXiv:2407.14679),
  which found width pruning loses less than depth pruning before distillation recovers it.

Each share is rounded half up (0.75 of 30 layers keeps 23; 0.5 of 5 keeps 3), at least one layer or neuron.

No library we depend on prunes a Hugging Face model this way (torch.nn.utils.prune masks weights
without shrinking them); each is one forward pass with hooks and a few slices. Embeddings, final
norm and head are copied unchanged.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from safealign.errors import ModelNotFoundError


def parse_prune_spec(spec: str) -> float:
    try:
        fraction = float(spec.split(":", 1)[1])
    except (IndexError, ValueError):
        raise ModelNotFoundError(
            f"bad student spec {spec!r}: use prune:<fraction of layers kept>, e.g. prune:0.5"
        ) from None
    if not 0 < fraction < 1:
        raise ModelNotFoundError(
            f"bad student spec {spec!r}: the fraction must be between 0 and 1 (exclusive)"
        )
    return fraction


def share_of(count: int, fraction: float) -> int:
    """``fraction`` of ``count`` rounded half up, at least 1. Python's round() rounds half to even: 0.5 of 5 kept 2
    but 0.5 of 7 kept 4. The 1e-9 keeps a half that float arithmetic lands just under (0.58 * 25 = 14.499999999999998)
    a half.

    >>> share_of(30, 0.75), share_of(5, 0.5), share_of(7, 0.5), share_of(30, 0.5)
    (23, 3, 4, 15)
    >>> 0.58 * 25, share_of(25, 0.58)
    (14.499999999999998, 15)
    """
    return max(1, math.floor(count * fraction + 0.5 + 1e-9))


def kept_layers(num_layers: int, fraction: float) -> list[int]:
    """Evenly spaced layer indices, first and last included; ``fraction`` of the layers rounded half up.

    >>> kept_layers(30, 0.5)
    [0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29]
    """
    keep = share_of(num_layers, fraction)
    if keep == 1:
        return [0]
    return sorted({round(i * (num_layers - 1) / (keep - 1)) for i in range(keep)})


def decoder_layers(model: Any) -> Any:
    layers = getattr(getattr(model, "model", None), "layers", None)
    if layers is None:
        raise ModelNotFoundError(
            f"prune: needs a decoder with model.layers (Llama, Qwen, Mistral…); got {type(model).__name__}"
        )
    return layers


def _forward_each(model: Any, batches: list[Any], handles: list[Any]) -> None:
    """Run every batch through ``model`` once for the hooks behind ``handles`` to record, then remove the hooks."""
    import torch

    try:
        with torch.no_grad():
            for input_ids in batches:
                model(input_ids=input_ids.to(model.device), use_cache=False)
    finally:
        for handle in handles:
            handle.remove()


def layer_influence(model: Any, batches: list[Any]) -> list[float]:
    """Per decoder layer, the mean angular distance (0..1) between its input and output hidden states.

    ``batches`` are ``input_ids`` tensors of shape (1, length) (one text each, so no padding enters the mean).
    """
    import torch

    layers = decoder_layers(model)
    totals = [0.0] * len(layers)

    def hook(index: int) -> Any:
        def record(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
            hidden_in = args[0] if args else kwargs["hidden_states"]
            hidden_out = output[0] if isinstance(output, tuple) else output
            cosine = torch.nn.functional.cosine_similarity(
                hidden_in.float(), hidden_out.float(), dim=-1
            ).clamp(-1, 1)
            totals[index] += (torch.arccos(cosine) / torch.pi).mean().item()

        return record

    handles = [layer.register_forward_hook(hook(i), with_kwargs=True) for i, layer in enumerate(layers)]
    _forward_each(model, batches, handles)
    return [total / max(1, len(batches)) for total in totals]


def layer_skip_loss(model: Any, examples: list[tuple[Any, int]]) -> list[float]:
    """Per decoder layer, how much the mean next-token loss on the examples' answers rises when that layer is skipped.

    ``examples`` are ``(input_ids, answer_start)``: one text of shape (1, length) each, and the index of its first
    answer token; only the answer tokens are scored. A skipped layer passes its input on unchanged, one layer at a
    time. The layers below it would compute what they did in the full pass, so they replay its recorded outputs
    instead: the search costs about half of ``len(layers)`` full passes, not ``len(layers)``.
    """
    import torch

    layers = decoder_layers(model)
    totals, count = [0.0] * (len(layers) + 1), 0  # the last slot: no layer skipped

    def answer_loss(ids: Any, start: int) -> float:
        # Only the positions that predict an answer token go through the output head.
        logits = (
            model(input_ids=ids, use_cache=False, logits_to_keep=ids.shape[1] - start + 1)
            .logits[0, :-1]
            .float()
        )
        return torch.nn.functional.cross_entropy(logits, ids[0, start:], reduction="sum").item()

    def record(outputs: list[Any]) -> Any:
        return lambda module, args, output: outputs.append(output)

    def replay(output: Any) -> Any:
        return lambda *args, **kwargs: output

    def passthrough(like: Any) -> Any:
        def forward(*args: Any, **kwargs: Any) -> Any:
            hidden_in = args[0] if args else kwargs["hidden_states"]
            return (hidden_in, *like[1:]) if isinstance(like, tuple) else hidden_in

        return forward

    with torch.no_grad():
        for input_ids, start in examples:
            ids = input_ids.to(model.device)
            # nothing before the text's first token predicts it: an answer start of 0 (a prompt rendered unlike the
            # whole text from its first token on) scored one target too many and failed in cross_entropy
            start = max(start, 1)
            if ids.shape[1] - start < 1:
                continue
            outputs: list[Any] = []
            handles = [layer.register_forward_hook(record(outputs)) for layer in layers]
            try:
                totals[-1] += answer_loss(ids, start)
            finally:
                for handle in handles:
                    handle.remove()
            for index, layer in enumerate(layers):
                try:  # an instance attribute ``forward`` shadows the class's until it is deleted
                    for below in range(index):
                        layers[below].forward = replay(outputs[below])
                    layer.forward = passthrough(outputs[index])
                    totals[index] += answer_loss(ids, start)
                finally:
                    for restored in layers[: index + 1]:
                        restored.__dict__.pop("forward", None)
            count += ids.shape[1] - start
    if not count:  # every row ends with an answer (validated): a text cut to the calibration length lost it
        longest = max((ids.shape[1] for ids, _ in examples), default=0)
        raise ModelNotFoundError(
            f"prune_by: loss found no answer tokens in the {len(examples)} calibration row(s): each text is cut (at "
            f"{longest} tokens) before its assistant answer begins, so no loss can be measured; raise "
            "distill.calibration_rows to reach rows with shorter prompts, or use prune_by: redundancy (no answers needed)"
        )
    return [(total - totals[-1]) / count for total in totals[:-1]]


def most_influential_layers(influence: list[float], fraction: float) -> list[int]:
    """The ``fraction`` of layers with the largest influence, first and last always included.

    >>> most_influential_layers([0.5, 0.1, 0.3, 0.05, 0.2, 0.4], 0.5)
    [0, 2, 5]
    """
    num_layers = len(influence)
    keep = share_of(num_layers, fraction)
    forced = [0] if keep == 1 else [0, num_layers - 1]
    rest = sorted((i for i in range(num_layers) if i not in forced), key=lambda i: -influence[i])
    return sorted(forced + rest[: keep - len(forced)])


def prune_model(teacher: Any, fraction: float, keep: list[int] | None = None) -> tuple[Any, list[int]]:
    """A deep copy of ``teacher`` with only the kept decoder layers (Llama-style ``model.layers``).

    ``keep`` lists the layer indices to keep; by default they are spread evenly (:func:`kept_layers`).
    """
    import torch

    layers = decoder_layers(teacher)
    keep = sorted(keep) if keep is not None else kept_layers(len(layers), fraction)
    student = copy.deepcopy(teacher)
    student.model.layers = torch.nn.ModuleList([student.model.layers[i] for i in keep])
    for new_index, layer in enumerate(student.model.layers):
        # the cache is indexed by position in the stack: the attention's KV cache, and a hybrid's conv or linear-attention
        # state (Lfm2's conv, Qwen3-Next's linear_attn), whose stale index was refused as "a per-layer setting"
        for module in layer.modules():
            if isinstance(getattr(module, "layer_idx", None), int):
                module.layer_idx = new_index
    prune_layer_config(student.config, keep, len(layers))
    check_reloads(student)
    return student, keep


# Lists of layer indices (not one entry per layer): Llama-4's MoE layers, Qwen-MoE's dense ones, LFM2's attention ones
# (its layer_types, sliced, decide; the stale list was saved beside them). They are renumbered.
LAYER_INDEX_LISTS = ("moe_layers", "mlp_only_layers", "full_attn_idxs")


def prune_layer_config(config: Any, keep: list[int], num_layers: int) -> None:
    """Make ``config`` describe only the ``keep`` layers: every per-layer list (``layer_types``, SmolLM3's and Llama-4's
    ``no_rope_layers``...) is sliced, every list of layer indices renumbered. Left alone, a reloaded student builds its
    layer ``i`` from the teacher's entry ``i`` (RoPE where the kept layer had none)."""
    config.num_hidden_layers = len(keep)
    for name, value in list(vars(config).items()):
        if (
            not isinstance(value, (list, tuple))
            or name.endswith(("token_id", "token_ids"))
            or name == "architectures"
        ):
            continue
        if name in LAYER_INDEX_LISTS:
            setattr(config, name, [new for new, old in enumerate(keep) if old in value])
        elif len(value) == num_layers:
            setattr(config, name, type(value)(value[i] for i in keep))


def check_reloads(student: Any, length: int = 12) -> None:
    """Refuse a pruned student whose saved config would rebuild another model: one built from its config round-tripped
    (as ``from_pretrained`` builds it) with its weights must give its logits. A per-layer setting this module does not
    know of (a list it cannot tell apart, a layer pattern kept as one number) shows here, not after distillation."""
    import torch

    param = next(student.parameters())
    ids = (torch.arange(1, length + 1, device=param.device) * 7919 % student.config.vocab_size).unsqueeze(0)
    was_training = student.training
    try:
        config = type(student.config).from_dict(student.config.to_dict())
        config._attn_implementation = (
            student.config._attn_implementation
        )  # the same kernels: equal logits, not close ones
        # Built in the student's dtype, as from_pretrained builds it: built in float32 and cast, a bf16 student's RoPE
        # inv_freq (float32 in a loaded model) was cast too, and every bf16 teacher's student was refused as differing.
        default = torch.get_default_dtype()
        torch.set_default_dtype(param.dtype)
        try:
            with torch.device(param.device):
                rebuilt = type(student)(config).eval()
        finally:
            torch.set_default_dtype(default)
        rebuilt.load_state_dict(student.state_dict())
        # The buffers no state dict holds (inv_freq) in the student's own dtypes: a model cast whole with .to() has them
        # in its dtype, one loaded in that dtype in float32; their values come from the config.
        buffers = dict(student.named_buffers())
        for name, buffer in rebuilt.named_buffers():
            if name in buffers and buffer.is_floating_point():
                buffer.data = buffer.data.to(buffers[name].dtype)
        with torch.no_grad():
            expected, got = (
                student.eval()(input_ids=ids).logits.float(),
                rebuilt(input_ids=ids).logits.float(),
            )
    except Exception as error:  # noqa: BLE001 - a config that refuses itself (transformers' strict validators), or other shapes
        problem = (
            f"its config does not build it ({type(error).__name__}: {' '.join(str(error).split())[:160]})"
        )
    else:
        diff = (expected - got).abs().max().item()
        problem = (
            f"its logits differ by up to {diff:.3g}"
            if diff > 1e-3 * (1 + expected.abs().max().item())
            else None
        )
    finally:
        student.train(was_training)
    if problem:
        raise ModelNotFoundError(
            f"prune: the pruned {type(student).__name__} would not reload as itself, {problem}: its "
            "config keeps a per-layer setting of the dropped layers; use prune_by: width, or another student"
        )


def mlp_neuron_importance(model: Any, batches: list[Any]) -> list[Any]:
    """Per layer, each MLP neuron's summed absolute activation (the input of ``down_proj``) over ``batches``."""

    layers = decoder_layers(model)
    totals: list[Any] = [None] * len(layers)

    def hook(index: int) -> Any:
        def record(module: Any, args: tuple[Any, ...]) -> None:
            activation = args[0].detach().float().abs().flatten(0, -2).sum(0)
            totals[index] = activation if totals[index] is None else totals[index] + activation

        return record

    # prune_mlp_width slices all three: Phi-3's fused gate_up_proj, or Nemotron's ungated up_proj, failed there in an
    # AttributeError after the calibration passes
    for index, layer in enumerate(layers):
        mlp = getattr(layer, "mlp", None)
        if lacking := [
            name for name in ("gate_proj", "up_proj", "down_proj") if getattr(mlp, name, None) is None
        ]:
            raise ModelNotFoundError(
                f"prune_by: width and mlp_fraction need gated MLPs with gate_proj/up_proj/down_proj (Llama, Qwen, "
                f"Mistral…); layer {index} of {type(model).__name__} has no {', '.join(lacking)}: use prune_by: depth, "
                "redundancy or loss, with mlp_fraction 1.0"
            )
        # prune_mlp_width slices those three only: BitNet's ffn_sub_norm, a norm over the neurons, kept the old width,
        # and the student failed at its first training step ("The size of tensor a (64) must match the size of tensor b")
        if sized := _other_neuron_sized(mlp):
            raise ModelNotFoundError(
                f"prune_by: width and mlp_fraction slice an MLP's gate_proj/up_proj/down_proj only; layer {index} of "
                f"{type(model).__name__} also has {', '.join(sized)}, sized by its neurons: use prune_by: depth, "
                "redundancy or loss, with mlp_fraction 1.0"
            )
    downs = [layer.mlp.down_proj for layer in layers]
    _forward_each(model, batches, [down.register_forward_pre_hook(hook(i)) for i, down in enumerate(downs)])
    return totals


def _other_neuron_sized(mlp: Any) -> list[str]:
    """The MLP's weights and buffers other than its three projections with a dimension of its neuron count (none
    where that count is its hidden size too: a dimension then does not tell)."""
    neurons, hidden = mlp.down_proj.weight.shape[1], mlp.down_proj.weight.shape[0]
    if neurons == hidden:
        return []
    sliced = ("gate_proj.", "up_proj.", "down_proj.")
    tensors = [*mlp.named_parameters(), *mlp.named_buffers()]
    return [name for name, tensor in tensors if not name.startswith(sliced) and neurons in tensor.shape]


def _sliced_linear(linear: Any, index: Any, dim: int) -> Any:
    import torch

    weight = linear.weight.data.index_select(dim, index).clone()
    out_features, in_features = weight.shape
    new = torch.nn.Linear(
        in_features, out_features, bias=linear.bias is not None, device=weight.device, dtype=weight.dtype
    )
    new.weight.data = weight
    if linear.bias is not None:
        new.bias.data = (linear.bias.data.index_select(0, index) if dim == 0 else linear.bias.data).clone()
    return new


def prune_mlp_width(teacher: Any, fraction: float, importance: list[Any]) -> tuple[Any, int]:
    """A deep copy of ``teacher`` whose MLPs keep the ``fraction`` most important neurons of each layer."""
    import torch

    width = share_of(teacher.config.intermediate_size, fraction)
    student = copy.deepcopy(teacher)
    for layer, scores in zip(decoder_layers(student), importance, strict=True):
        keep = torch.topk(scores, width).indices.sort().values.to(layer.mlp.down_proj.weight.device)
        layer.mlp.gate_proj = _sliced_linear(layer.mlp.gate_proj, keep, 0)
        layer.mlp.up_proj = _sliced_linear(layer.mlp.up_proj, keep, 0)
        layer.mlp.down_proj = _sliced_linear(layer.mlp.down_proj, keep, 1)
        if hasattr(layer.mlp, "intermediate_size"):
            layer.mlp.intermediate_size = width
    student.config.intermediate_size = width
    return student, width
