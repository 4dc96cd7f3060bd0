"""Rewards for GRPO: one function per reward over a batch, registered by name.

Each reward follows TRL's convention ``reward(prompts, completions, **columns) -> list[float | None]``:
dataset columns arrive as keyword arguments and ``None`` means "does not apply to this sample".
Rewards that take settings are small callable classes built from the recipe.
"""

from safealign.rewards.registry import REWARDS, build_rewards, describe_rewards

__all__ = ["REWARDS", "build_rewards", "describe_rewards"]
