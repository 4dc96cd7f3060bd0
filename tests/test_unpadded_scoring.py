from __future__ import annotations

import torch
from trl.trainer.utils import add_fused_lm_head

from safealign.models import load_model
from safealign.training.packed_attention import use_packed_attention
from safealign.training.unpadded_scoring import packed_calls, score_unpadded


def grpo_batch(vocab: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three rollouts as GRPOTrainer builds them: prompts padded left, completions padded right."""
    torch.manual_seed(0)
    prompt_len, completion_len = [4, 6, 2], [5, 2, 3]
    width_p, width_c = max(prompt_len), max(completion_len)
    ids = torch.full((3, width_p + width_c), 0)
    mask = torch.zeros_like(ids)
    for row, (p, c) in enumerate(zip(prompt_len, completion_len, strict=True)):
        ids[row, width_p - p : width_p + c] = torch.randint(5, vocab, (p + c,))
        mask[row, width_p - p : width_p + c] = 1
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
    model.model.register_forward_pre_hook(
        lambda _m, _a, kw: shapes.append(tuple(kw["input_ids"].shape)), with_kwargs=True
    )
    packed, packed_grad = score(model, ids, mask, labels)
    assert shapes == [(1, int(mask.sum()))]  # one row of the 22 real tokens instead of 3 x 11

    assert packed.log_probs.shape == padded.log_probs.shape == (3, ids.shape[1] - 1)
    assert torch.equal(packed.label_mask, padded.label_mask)
    # every completion token, scored from the position before it
    assert int(packed.label_mask.sum()) == 5 + 2 + 3
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
        full = model(
            input_ids=ids, attention_mask=torch.ones_like(mask), labels=labels, fused_lm_head=True
        ).log_probs
        logits = model(input_ids=ids, attention_mask=mask).logits
        use_packed_attention(model)
        assert score_unpadded(model) and score_unpadded(model)  # idempotent
        assert torch.equal(
            model(
                input_ids=ids, attention_mask=torch.ones_like(mask), labels=labels, fused_lm_head=True
            ).log_probs,
            full,
        )
        assert torch.allclose(model(input_ids=ids, attention_mask=mask).logits, logits, atol=1e-5)
        # positional input_ids
        assert torch.allclose(model(ids, attention_mask=mask).logits, logits, atol=1e-5)
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
    model.model.register_forward_pre_hook(
        lambda _m, _a, kw: shapes.append(tuple(kw["input_ids"].shape)), with_kwargs=True
    )
    packed, packed_grad = score(model, ids, mask, labels)
    # each group's first rollout keeps its whole prompt (the second group's too: its rollouts share 8 tokens
    # with it, only the 4 system tokens with the first group); the others drop all of it but its last token
    assert shapes == [(1, int(mask.sum()) - (2 * 6 + 2 * 8))]
    assert torch.equal(packed.label_mask, padded.label_mask)
    assert torch.allclose(packed.log_probs, padded.log_probs, atol=1e-5)
    assert torch.allclose(packed.entropy, padded.entropy, atol=1e-5)
    assert torch.allclose(packed.loss, padded.loss, atol=1e-6)
    assert torch.allclose(packed_grad, padded_grad, atol=1e-5)


def test_a_lora_policy_is_scored_packed():
    """TRL calls the PeftModel, which passes inputs_embeds, output_attentions, output_hidden_states and return_dict
    as None: every LoRA call fell back to the padded batch."""
    from peft import LoraConfig, get_peft_model

    model = load_model("tiny:2").model.train()
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    torch.manual_seed(0)
    lora = LoraConfig(
        r=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM", init_lora_weights=False
    )
    peft = get_peft_model(model, lora)
    ids, mask, labels = grpo_batch(model.config.vocab_size)

    def score_lora() -> tuple:
        peft.zero_grad()
        out = peft(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
        (out.log_probs.sum() + out.entropy.sum()).backward()
        return out, [p.grad.clone() for name, p in peft.named_parameters() if "lora_" in name]

    padded, padded_grads = score_lora()
    use_packed_attention(model)
    assert score_unpadded(peft.get_base_model())
    shapes = []
    model.model.register_forward_pre_hook(
        lambda _m, _a, kw: shapes.append(tuple(kw["input_ids"].shape)), with_kwargs=True
    )
    packed, packed_grads = score_lora()
    # one row of the real tokens, not the padded batch
    assert shapes == [(1, int(mask.sum()))] and packed_calls(peft) == 1
    assert torch.allclose(packed.log_probs, padded.log_probs, atol=1e-5)
    assert torch.allclose(packed.entropy, padded.entropy, atol=1e-5)
    # A and B of q and v, 2 layers
    assert len(packed_grads) == 8 and all(g.abs().sum() > 0 for g in padded_grads)
    assert all(torch.allclose(p, q, atol=1e-5) for p, q in zip(packed_grads, padded_grads, strict=True))


def test_packed_calls_are_counted_under_bf16_autocast():
    """accelerate's native AMP (bf16 training) replaces the model's forward with its autocast wrapper, keeping ours as
    ``_original_forward``: packed_calls read the wrapper, found no count, and stage.json said no batch packed."""
    from accelerate.utils import convert_outputs_to_fp32

    model = load_model("tiny:2").model.train()
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    use_packed_attention(model)
    assert score_unpadded(model)
    # what Accelerator.prepare_model does with mixed_precision="bf16"
    model._original_forward = model.forward
    model.forward = convert_outputs_to_fp32(torch.autocast("cpu", dtype=torch.bfloat16)(model.forward))
    ids, mask, labels = grpo_batch(model.config.vocab_size)
    with torch.no_grad():
        model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    assert packed_calls(model) == 1


def rl_config(**overrides):
    from tiny_rl import tiny_rl_config

    small = {
        "num_prompts": 4,
        "max_steps": 1,
        "num_generations": 2,
        "max_completion_length": 8,
        "save_steps": 5,
    }
    return tiny_rl_config(**(small | overrides))


def run_rl_keeping_trainer(monkeypatch, cfg, stage_dir) -> tuple:
    """run_rl, and the GRPOTrainer it built (caught where the stage installs the packed scoring)."""
    import safealign.stages.rl as rl
    import safealign.training.unpadded_scoring as unpadded
    from safealign.runs import read_json

    trainers = []

    def catching(trainer):
        trainers.append(trainer)
        return unpadded.score_grpo_unpadded(trainer)

    monkeypatch.setattr(rl, "score_grpo_unpadded", catching)
    rl.run_rl(cfg, "tiny", stage_dir, precision="fp32")
    return trainers[0], read_json(stage_dir / "stage.json")["metrics"]


def test_the_kl_reference_of_full_rl_is_scored_packed(tmp_path, monkeypatch):
    """TRL loads the reference with the policy's attention, already the packed one, so it was never wrapped."""
    trainer, metrics = run_rl_keeping_trainer(monkeypatch, rl_config(beta=0.04), tmp_path / "rl")
    assert trainer.ref_model is not None
    assert getattr(trainer.ref_model.__dict__.get("forward"), "_safealign_unpadded", False)
    assert packed_calls(trainer.ref_model) >= 1 and packed_calls(trainer.model) >= 1
    assert metrics["unpadded_scoring"] is True


def test_lora_rl_scores_packed_and_stage_json_says_whether_it_did(tmp_path, monkeypatch):
    """stage.json said unpadded_scoring: true when the wrapper was installed, though no LoRA call ever ran packed."""
    import safealign.training.unpadded_scoring as unpadded

    trainer, metrics = run_rl_keeping_trainer(monkeypatch, rl_config(method="lora"), tmp_path / "lora")
    assert packed_calls(trainer.model) >= 1 and metrics["unpadded_scoring"] is True

    monkeypatch.setattr(unpadded, "_packable", lambda *args: False)  # installed, but no batch packs
    _, metrics = run_rl_keeping_trainer(monkeypatch, rl_config(method="lora"), tmp_path / "never")
    assert metrics["unpadded_scoring"] is False
