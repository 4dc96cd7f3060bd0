"""The small RL section the RL tests train the tiny model with (a few steps, safety prompts, no gates)."""

from __future__ import annotations

from safealign.config import RLConfig


def tiny_rl_config(**overrides) -> RLConfig:
    base = dict(
        tasks={"safety": 1.0},
        num_prompts=16,
        rewards={"repetition": 1.0},
        method="full",
        max_steps=4,
        prompts_per_step=2,
        num_generations=4,
        max_completion_length=12,
        learning_rate=1e-3,
        save_steps=2,
        gates={"enabled": False},
        hacking={"window": 2},
    )
    return RLConfig(**(base | overrides))
