"""Review 69: the distill stage's parameter count, the difficulty screen's seeds, the live alert examples, NEFTune's
alpha."""

from __future__ import annotations

import json
import math

import pytest
import torch
import transformers.trainer_pt_utils
from test_distill import arithmetic_traces_and_teacher

import safealign.stages.distill as distill
from safealign.cli.train_cmd import _rollout_examples
from safealign.config import DistillConfig, RLConfig
from safealign.generation import GenerationEngine
from safealign.runs import read_json
from safealign.stages.rl_difficulty import candidate_rows, screen
from safealign.training.neftune import NoisyEmbeddings
from safealign.training.rollouts import examples_at


def test_distill_counts_student_parameters_under_zero3(tmp_path, monkeypatch):
    """Under DeepSpeed ZeRO-3 the trained student's parameters are empty placeholders (numel 0) that carry their size
    as ds_numel: the stage recorded student_parameters 0 and a parameter_ratio of 0."""
    _, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    counted = {}

    def save_then_partition(trainer, *args, **kwargs):
        path = save_final_model(trainer, *args, **kwargs)
        counted["full"] = sum(p.numel() for p in trainer.model.parameters())
        for param in trainer.model.parameters():  # what the ZeRO-3 engine leaves on each rank
            param.ds_numel = param.numel()
            param.data = torch.empty(0)
        return path

    save_final_model = distill.save_final_model
    monkeypatch.setattr(distill, "save_final_model", save_then_partition)
    monkeypatch.setattr(transformers.trainer_pt_utils, "is_deepspeed_zero3_enabled", lambda: True)
    # the eval suites' check takes seconds and is not what this test is about
    monkeypatch.setattr(distill, "check_disjoint_from_evals", lambda rows, **kwargs: {})
    cfg = DistillConfig(student="prune:0.5", mode="logit", max_steps=1, batch_size=4, speed_rounds=0)
    distill.run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="fp32")
    metrics = read_json(tmp_path / "distill" / "stage.json")["metrics"]
    assert metrics["student_parameters"] == counted["full"] > 0
    assert 0 < metrics["parameter_ratio"] < 1


def test_difficulty_screen_rounds_draw_their_own_samples(monkeypatch, tiny):
    """Every screening round generated with the stage's seed: a round's samples reused the first round's random draws
    (the same question in two rounds got the very same completions). The first round keeps the seed."""
    cfg = RLConfig(
        tasks={"basic_arithmetic": 1.0},
        num_prompts=4,
        rewards={"accuracy": 1.0},
        method="full",
        max_steps=2,
        prompts_per_step=2,
        num_generations=4,
        max_completion_length=8,
        gates={"enabled": False},
        # nothing is in the band: every round is screened
        difficulty_filter={"enabled": True, "samples": 4, "batch_prompts": 1, "min_pass_rate": 0.99},
    )
    _, candidates, _ = candidate_rows(cfg, 42, None)
    seeds, texts = [], []
    generate = GenerationEngine.generate

    def recorded(self, prompts, params, **kwargs):
        seeds.append(params.seed)
        completions = generate(self, prompts, params, **kwargs)
        texts.append([c.text for c in completions])
        return completions

    monkeypatch.setattr(GenerationEngine, "generate", recorded)
    screen(
        [candidates[0], dict(candidates[0])], 2, cfg, tiny.model, tiny.tokenizer, seed=42, precision="fp32"
    )
    assert seeds[0] == 42 and seeds[1] != 42
    assert texts[0] != texts[1]


def test_live_alert_examples_skip_rows_without_a_completion(tmp_path):
    """The live alert quoted rollouts rows whose completion is not text (null, an object), which the offline audit
    skips: the same alert quoted another step's rows live than in `safealign audit`."""
    path = tmp_path / "rollouts.jsonl"
    rows = [
        {"step": 2, "prompt": "p", "completion": "an answer", "kind": "reasoning", "rewards": {}},
        {"step": 5, "prompt": "p", "completion": None, "kind": "reasoning", "rewards": {}},
        {"step": 5, "prompt": "p", "completion": {"role": "assistant"}, "kind": "reasoning", "rewards": {}},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    live = examples_at(path, 6, ("reasoning",))
    assert live == rows[:1]
    assert live == _rollout_examples(path)(6, ("reasoning",))


@pytest.mark.parametrize("alpha", [math.inf, math.nan])
def test_neftune_refuses_a_non_finite_alpha(alpha):
    """The recipe refuses .inf and .nan, but NoisyEmbeddings took them (NaN passes `alpha <= 0`): every training loss
    came out NaN."""
    model = torch.nn.Embedding(4, 2)
    with pytest.raises(ValueError, match=r"sft\.neftune_noise_alpha must be a finite number above 0"):
        NoisyEmbeddings(model, alpha)
