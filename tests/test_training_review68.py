"""Review 68 of the training plumbing: packed scoring of masked completions, the gates' generation precision."""

from __future__ import annotations

import torch
from trl.trainer.utils import add_fused_lm_head

from safealign.models import load_model
from safealign.training.packed_attention import packed_spans, use_packed_attention
from safealign.training.shared_prefix import share_prefixes
from safealign.training.unpadded_scoring import score_unpadded


def masked_grpo_batch(rows: list[tuple[list[int], list[int], bool]]) -> tuple[torch.Tensor, ...]:
    """GRPOTrainer's layout of ``(prompt, completion, masked)`` rows: prompts padded left, completions right; a masked
    completion (``mask_truncated_completions``: it hit the length limit) keeps its ids under a zero attention mask."""
    width_p = max(len(p) for p, _, _ in rows)
    width_c = max(len(c) for _, c, _ in rows)
    ids = torch.zeros(len(rows), width_p + width_c, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, (prompt, completion, masked) in enumerate(rows):
        ids[row, width_p - len(prompt) : width_p + len(completion)] = torch.tensor(prompt + completion)
        mask[row, width_p - len(prompt) : width_p + (0 if masked else len(completion))] = 1
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :width_p] = -100
    return ids, mask, labels


def test_a_sequence_dropped_whole_does_not_join_its_neighbours():
    """A rollout whose completion is masked has no scored output, so all its prompt tokens may be dropped; the guard
    against positions running on compared the next sequence with that dropped one, not with the last one kept. Here the
    fifth sequence's kept tokens (positions 4-7) ran on from the third's (1-3) and attended to its tokens."""
    seqs = [[9, 9, 0, 1], [9, 9, 0, 1, 1], [9, 9, 0, 0], [9, 9], [9, 9, 0, 1, 2, 0, 1, 1], [9, 9, 0, 1, 2, 0]]
    unscored = [4, 3, 1, 2, 4, 4]
    starts = [0, *torch.tensor([len(s) for s in seqs]).cumsum(0).tolist()]
    spans = list(zip(starts[:-1], starts[1:], strict=True))
    keep, positions = share_prefixes(torch.tensor(sum(seqs, [])), unscored, spans)
    kept = [int(keep[b:e].sum()) for b, e in spans]
    found = packed_spans(positions[None])
    assert found is not None
    assert [end - begin for begin, end, _, _ in found] == [n for n in kept if n]
    # every kept sequence sees exactly its own tokens: its source's first `shared` tokens, then its kept ones
    kept_ids = torch.tensor(sum(seqs, []))[keep].tolist()
    own = [s for s, n in zip(seqs, kept, strict=True) if n]
    for (begin, end, shared, source), tokens in zip(found, own, strict=True):
        assert kept_ids[source : source + shared] + kept_ids[begin:end] == tokens


def test_packed_scoring_of_masked_completions_equals_the_padded_batch():
    model = load_model("tiny:2").model.train()
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    s = [7, 7]  # the system prompt every prompt opens with
    rows = [
        (s + [5, 6], [8], True),
        (s + [5, 6], [6], False),
        (s, [5, 5], False),
        (s, [8, 8], True),
        (s + [5, 6, 9], [5, 6, 6], False),
        (s + [5, 6, 9], [5], False),
    ]
    ids, mask, labels = masked_grpo_batch(rows)
    with torch.no_grad():
        padded = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
        use_packed_attention(model)
        assert score_unpadded(model)
        packed = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    scored = padded.label_mask.bool()
    assert torch.equal(packed.label_mask.bool(), scored) and int(scored.sum()) == 1 + 2 + 3 + 1
    assert torch.allclose(packed.log_probs[scored], padded.log_probs[scored], atol=1e-5)


def test_a_gate_check_generates_in_its_own_precision_under_bf16_training(monkeypatch):
    """accelerate's bf16 mixed precision wraps the training model's forward in an autocast (keeping the forward it
    wrapped as ``_original_forward``), and that inner autocast won over the gate engine's fp32: under bf16 training
    every gate check generated in bf16, its answers depending on the batching ``gates.precision: fp32`` rules out."""
    from types import MethodType, SimpleNamespace

    import safealign.evals.runner
    from safealign.config import GateConfig
    from safealign.generation import SamplingParams
    from safealign.training.gate_eval import suite_gate_evaluator

    # the suites' generation, without their judges (they load an embedding model: 15 s)
    def run_eval(engine, suites, **kwargs):
        engine.generate(["Hello", "What is 2 + 2?"], SamplingParams(max_new_tokens=2))
        return SimpleNamespace(metric=lambda suite, name: SimpleNamespace(value=0.5, n=4))

    monkeypatch.setattr(safealign.evals.runner, "run_eval", run_eval)

    loaded = load_model("tiny:1")
    model = loaded.model
    # what Accelerator.prepare_model does for mixed_precision="bf16" (without its process-wide state)
    model._original_forward = model.forward
    model.forward = MethodType(torch.autocast("cpu", dtype=torch.bfloat16)(model.forward.__func__), model)
    training_forward = model.forward
    seen: set[torch.dtype] = set()
    model.model.layers[0].self_attn.q_proj.register_forward_hook(lambda _m, _i, out: seen.add(out.dtype))

    evaluate = suite_gate_evaluator(
        loaded.tokenizer, GateConfig(limit=4, max_new_tokens=8, batch_size=12), seed=0
    )
    metrics = evaluate(model)
    assert seen == {torch.float32} and metrics.harmful_items == 4
    assert model.forward == training_forward  # training goes on in bf16
    model(input_ids=torch.tensor([[1, 2]]))
    assert torch.bfloat16 in seen
