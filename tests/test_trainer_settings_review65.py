"""Review 65: what each training stage trained with beyond its recipe section, recorded and on the card.

A stage's ``stage.json`` held its recipe section (``config``) only: RL's schedule (constant with 5% warmup) and
distillation's (cosine, 5% warmup), set in code, and the optimizer, its betas and epsilon, weight decay, gradient
clipping, TRL's loss type and GRPO's clipping, reward scaling and rollout sampling (TRL's and transformers' defaults)
were recorded nowhere, so the model card could not state them. Each stage now records them as its trainer held them
(``inputs.trainer``); the tests check them against what the trainer saved with its checkpoint (its pickled arguments
and its optimizer's parameter groups).
"""

from __future__ import annotations

import json

import torch
from test_card_provenance import T0, new_run, stage
from test_distill import arithmetic_traces_and_teacher
from test_sft import config as sft_config
from test_sft import write_memorisation_set
from tiny_rl import tiny_rl_config

from safealign.card import load_run
from safealign.card.summary import stage_details
from safealign.config import DistillConfig
from safealign.config.sections import RLConfig, SFTConfig
from safealign.models import load_model
from safealign.runs import last_checkpoint, read_json


def recorded_and_saved(stage_dir) -> tuple[dict, object, list[dict]]:
    """The stage's recorded trainer settings; the arguments and the optimizer's parameter groups of its last checkpoint."""
    checkpoint = last_checkpoint(stage_dir)
    args = torch.load(checkpoint / "training_args.bin", weights_only=False)
    groups = torch.load(checkpoint / "optimizer.pt", weights_only=False)["param_groups"]
    max_steps = json.loads((checkpoint / "trainer_state.json").read_text())["max_steps"]
    recorded = read_json(stage_dir / "stage.json")["inputs"]["trainer"]
    assert recorded["optimizer"] == args.optim.value
    assert recorded["lr_scheduler"] == args.lr_scheduler_type.value
    assert recorded["warmup"] == args.warmup_steps
    assert recorded["warmup_steps"] == args.get_warmup_steps(max_steps)
    assert recorded["max_grad_norm"] == args.max_grad_norm
    # the optimizer the Trainer built from them
    assert recorded["learning_rate"] == groups[0]["initial_lr"]
    assert recorded["adam_betas"] == list(groups[0]["betas"])
    assert recorded["adam_epsilon"] == groups[0]["eps"]
    assert recorded["weight_decay"] == max(group["weight_decay"] for group in groups)
    return recorded, args, groups


def test_sft_records_the_trainer_settings_it_trained_with(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    cfg = sft_config(data, max_steps=2, save_steps=2, lr_scheduler="cosine", warmup_ratio=0.5)
    from safealign.stages.sft import run_sft

    run_sft(cfg, "tiny", tmp_path / "sft", precision="fp32")
    recorded, args, _ = recorded_and_saved(tmp_path / "sft")
    assert (
        recorded["lr_scheduler"] == "cosine" and recorded["warmup"] == 0.5 and recorded["warmup_steps"] == 1
    )
    assert recorded["loss_type"] == args.loss_type == "nll"


def test_rl_records_its_schedule_and_the_grpo_settings_it_trained_with(tmp_path):
    """RL's schedule is set in code (constant with 5% warmup); its clipping, reward scaling and rollout sampling are
    TRL's defaults. The rollouts' min_p comes from the model's own generation_config (TRL leaves it unset), as
    ``generate`` and safealign's decode loop take it."""
    from safealign.stages.rl import run_rl

    folder = tmp_path / "base"
    tiny = load_model("tiny:1")
    tiny.model.generation_config.do_sample, tiny.model.generation_config.min_p = True, 0.05
    tiny.model.save_pretrained(folder)
    tiny.tokenizer.save_pretrained(folder)
    run_rl(tiny_rl_config(max_steps=2, save_steps=2), str(folder), tmp_path / "rl", precision="fp32")
    recorded, args, _ = recorded_and_saved(tmp_path / "rl")
    assert recorded["lr_scheduler"] == "constant_with_warmup" and recorded["warmup"] == 0.05
    assert recorded["warmup_steps"] == 1
    assert recorded["epsilon"] == args.epsilon
    assert recorded["epsilon_high"] == (args.epsilon if args.epsilon_high is None else args.epsilon_high)
    assert recorded["scale_rewards"] == args.scale_rewards
    assert recorded["mask_truncated_completions"] == args.mask_truncated_completions
    assert recorded["importance_sampling_level"] == args.importance_sampling_level
    assert recorded["loss_type"] == args.loss_type
    sampling = recorded["rollout_sampling"]
    assert (sampling["top_p"], sampling["top_k"]) == (args.top_p, args.top_k)
    assert sampling["repetition_penalty"] == args.repetition_penalty
    assert args.min_p is None and sampling["min_p"] == 0.05, sampling


def test_distill_records_its_schedule_and_no_loss_type_of_trl_in_logit_mode(tmp_path):
    """Distillation's schedule is set in code (cosine, 5% warmup). Its logit KD computes its own loss: TRL's loss_type
    is not what it trained on, and is not recorded then."""
    from safealign.stages.distill import run_distill

    _, traces, teacher = arithmetic_traces_and_teacher(tmp_path)
    cfg = DistillConfig(
        student="prune:0.5", mode="logit", max_steps=2, batch_size=4, save_steps=2, speed_rounds=0
    )
    run_distill(cfg, str(teacher), traces, tmp_path / "distill", precision="fp32")
    recorded, _, _ = recorded_and_saved(tmp_path / "distill")
    assert recorded["lr_scheduler"] == "cosine" and recorded["warmup"] == 0.05
    assert "loss_type" not in recorded


GRPO = {
    "optimizer": "adamw_torch_fused",
    "learning_rate": 1e-6,
    "adam_betas": [0.9, 0.999],
    "adam_epsilon": 1e-8,
    "weight_decay": 0.0,
    "max_grad_norm": 1.0,
    "lr_scheduler": "constant_with_warmup",
    "warmup": 0.05,
    "warmup_steps": 3,
    "loss_type": "dapo",
    "epsilon": 0.2,
    "epsilon_high": 0.28,
    "scale_rewards": "group",
    "mask_truncated_completions": False,
    "importance_sampling_level": "token",
    "rollout_sampling": {"top_p": 1.0, "top_k": 0, "min_p": None, "repetition_penalty": 1.0},
}


def _hyperparameters(run, key: str) -> dict:
    return next(d for d in stage_details(load_run(run)) if d["key"] == key)["hyperparameters"]


def test_the_card_states_the_trainer_settings_a_stage_recorded(tmp_path, card):
    """After the learning rate: the schedule as it ran (SFT's in place of its recipe schedule and warmup ratio), the
    optimizer, gradient clipping, SFT's loss type and GRPO's clipping, reward scaling and rollout sampling."""
    run = new_run(tmp_path)
    sft = dict(list(GRPO.items())[:10]) | {  # the settings every trainer has
        "lr_scheduler": "cosine",
        "warmup_steps": 0,
        "warmup": 0.0,
        "loss_type": "nll",
    }
    stage(run, "sft", "tiny", T0, config=SFTConfig().model_dump(), inputs={"trainer": sft})
    stage(
        run, "rl", str(run / "sft/model"), T0 + 20, config=RLConfig().model_dump(), inputs={"trainer": GRPO}
    )
    shown = _hyperparameters(run, "rl")
    assert list(shown)[:4] == ["learning rate", "schedule", "optimizer", "gradient clipping"], list(shown)
    assert shown["schedule"] == "constant_with_warmup, warmup 3 steps, 5% of the steps"
    assert shown["optimizer"] == "adamw_torch_fused (betas 0.9, 0.999, epsilon 1e-08), weight decay 0"
    assert shown["gradient clipping"] == "max norm 1"
    assert shown["clipping epsilon (low, high)"] == "0.2, 0.28"
    assert shown["reward scaling"].startswith(
        "group (advantage: reward minus the group's mean, over the group's std"
    )
    assert shown["truncated completions"] == "in the loss" and shown["importance sampling"] == "per token"
    assert shown["rollout sampling"] == "top_p 1, top_k off, min_p off, repetition penalty 1"
    assert "loss type" not in shown  # GRPO's is the recipe's, in the method line
    shown = _hyperparameters(run, "sft")
    assert shown["schedule"] == "cosine, no warmup" and "warmup ratio" not in shown, shown
    assert shown["loss type"] == "nll"
    text = card(run)
    assert (
        "schedule constant_with_warmup, warmup 3 steps, 5% of the steps; optimizer adamw_torch_fused" in text
    )


def test_a_stage_recorded_before_the_trainer_settings_shows_what_it_showed(tmp_path):
    """A stage.json without ``inputs.trainer``: SFT's recipe schedule and warmup ratio, and nothing claimed for RL."""
    run = new_run(tmp_path)
    stage(run, "sft", "tiny", T0, config=SFTConfig().model_dump())
    stage(run, "rl", str(run / "sft/model"), T0 + 20, config=RLConfig().model_dump())
    shown = _hyperparameters(run, "sft")
    assert shown["schedule"] == "cosine" and shown["warmup ratio"] == 0.05 and "optimizer" not in shown
    assert "schedule" not in _hyperparameters(run, "rl")
