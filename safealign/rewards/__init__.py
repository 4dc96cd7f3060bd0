"""Rewards for GRPO: one function per reward over a batch, registered by name.

Each reward follows TRL's convention ``reward(completions, **kwargs) -> list[float | None]``:
prompts and dataset columns arrive as keyword arguments and ``None`` means "does not apply to this sample".
Rewards that take settings are small callable classes built from the recipe. A custom reward joins ``REWARDS``
(see ``safealign.rewards.registry`` for how), sync or ``async def``; every reward is checked on each call and fails
with a ``RewardError``.
"""

from safealign.rewards.registry import (
    REWARDS,
    CheckedReward,
    RewardError,
    build_rewards,
    checked_reward,
    describe_rewards,
)

__all__ = ["REWARDS", "CheckedReward", "RewardError", "build_rewards", "checked_reward", "describe_rewards"]
