from __future__ import annotations

import torch
from trl.trainer.utils import add_fused_lm_head

from safealign.models import load_model
from safealign.training.packed_attention import use_packed_attention
from safealign.training.unpadded_scoring import score_unpadded


def grpo_batch(vocab: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three rollouts as GRPOTrainer builds them: prompts padded left, completions padded right."""
    torch.manual_seed(0)
    prompt_len, completion_len = [4, 6, 2], [5, 2, 3]
    width_p, width_c = max(prompt_len), max(completion_len)
    ids = torch.full((3, width_p + width_c), 0)
    mask = torch.zeros_like(ids)
    for row, (p, c) in enumerate(zip(prompt_len, completion_len, strict=True)):
        ids[row, width_p - p:width_p + c] = torch.randint(5, vocab, (p + c,))
        mask[row, width_p - p:width_p + c] = 1
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :width_p] = -100  # only completion tokens are scored, as in GRPOTrainer
    return ids, mask, labels


def score(model, ids, mask, labels) -> tuple:
    model.zero_grad()
    out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    (out.log_probs.sum() + out.entropy.sum()).backward()
    return out, model.model.layers[0].self_attn.q_proj.weight.grad.clone()


def test_packed_scoring_equals_the_padded_batch():
    model = load_model("tiny:2").model.train()
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    ids, mask, labels = grpo_batch(model.config.vocab_size)
    padded, padded_grad = score(model, ids, mask, labels)

    use_packed_attention(model)
    assert score_unpadded(model)
    shapes = []
    model.model.register_forward_pre_hook(lambda _m, _a, kw: shapes.append(tuple(kw["input_ids"].shape)), with_kwargs=True)
    packed, packed_grad = score(model, ids, mask, labels)
    assert shapes == [(1, int(mask.sum()))]  # one row of the 22 real tokens instead of 3 x 11

    assert packed.log_probs.shape == padded.log_probs.shape == (3, ids.shape[1] - 1)
    assert torch.equal(packed.label_mask, padded.label_mask)
    assert int(packed.label_mask.sum()) == 5 + 2 + 3  # every completion token, scored from the position before it
    assert torch.allclose(packed.log_probs, padded.log_probs, atol=1e-5)
    assert torch.allclose(packed.entropy, padded.entropy, atol=1e-5)
    assert torch.allclose(packed.loss, padded.loss, atol=1e-6)
    assert torch.allclose(packed_grad, padded_grad, atol=1e-5)
    assert padded_grad.abs().sum() > 0


def test_other_calls_go_to_trl_forward_unchanged():
    loaded = load_model("tiny:2")
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    add_fused_lm_head(model, outputs=("log_probs",))
    ids, mask, labels = grpo_batch(model.config.vocab_size)
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=torch.ones_like(mask), labels=labels, fused_lm_head=True).log_probs
        logits = model(input_ids=ids, attention_mask=mask).logits
        use_packed_attention(model)
        assert score_unpadded(model) and score_unpadded(model)  # idempotent
        assert torch.equal(model(input_ids=ids, attention_mask=torch.ones_like(mask), labels=labels, fused_lm_head=True).log_probs, full)
        assert torch.allclose(model(input_ids=ids, attention_mask=mask).logits, logits, atol=1e-5)
        assert torch.allclose(model(ids, attention_mask=mask).logits, logits, atol=1e-5)  # positional input_ids
        tokenizer.padding_side = "left"
        batch = tokenizer(["Hello there", "Hi"], return_tensors="pt", padding=True)
        generated = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert generated.shape == (2, batch["input_ids"].shape[1] + 3)


def test_a_model_without_a_fused_forward_is_left_alone():
    model = load_model("tiny:2").model
    assert not score_unpadded(model)
    assert "forward" not in model.__dict__


def grouped_grpo_batch(vocab: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two prompts x three rollouts each, as GRPOTrainer lays them out (a group's rows are adjacent)."""
    torch.manual_seed(1)
    system = torch.randint(5, vocab, (4,)).tolist()
    prompts = [system + torch.randint(5, vocab, (n,)).tolist() for n in (3, 5)]
    completions = [[4, 1, 6], [2, 5, 3]]
    width_p, width_c = max(map(len, prompts)), max(max(group) for group in completions)
    rows, masks = [], []
    for prompt, group in zip(prompts, completions, strict=True):
        for length in group:
            completion = torch.randint(5, vocab, (length,)).tolist()
            pad_left, pad_right = width_p - len(prompt), width_c - length
            rows.append([0] * pad_left + prompt + completion + [0] * pad_right)
            masks.append([0] * pad_left + [1] * (len(prompt) + length) + [0] * pad_right)
    ids, mask = torch.tensor(rows), torch.tensor(masks)
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :width_p] = -100
    return ids, mask, labels


def test_rollouts_of_one_prompt_share_it_and_score_as_the_padded_batch():
    model = load_model("tiny:2").model.train()
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    ids, mask, labels = grouped_grpo_batch(model.config.vocab_size)
    padded, padded_grad = score(model, ids, mask, labels)

    use_packed_attention(model)
    assert score_unpadded(model)
    shapes = []
    model.model.register_forward_pre_hook(lambda _m, _a, kw: shapes.append(tuple(kw["input_ids"].shape)), with_kwargs=True)
    packed, packed_grad = score(model, ids, mask, labels)
    # each group's first rollout keeps its whole prompt (the second group's too: its rollouts share 8 tokens
    # with it, only the 4 system tokens with the first group); the others drop all of it but its last token
    assert shapes == [(1, int(mask.sum()) - (2 * 6 + 2 * 8))]
    assert torch.equal(packed.label_mask, padded.label_mask)
    assert torch.allclose(packed.log_probs, padded.log_probs, atol=1e-5)
    assert torch.allclose(packed.entropy, padded.entropy, atol=1e-5)
    assert torch.allclose(packed.loss, padded.loss, atol=1e-6)
    assert torch.allclose(packed_grad, padded_grad, atol=1e-5)
