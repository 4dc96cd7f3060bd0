"""Recipe schema: typed sections, validated before any model loads."""

from safealign.config.recipe import Recipe, load_recipe, parse_recipe
from safealign.config.sections import (
    DifficultyFilterConfig,
    DistillConfig,
    EvalConfig,
    GateConfig,
    HackingConfig,
    LoraConfig,
    ModelConfig,
    MonitorConfig,
    RLConfig,
    SampleConfig,
    SFTConfig,
)

__all__ = [
    "DifficultyFilterConfig",
    "DistillConfig",
    "EvalConfig",
    "GateConfig",
    "HackingConfig",
    "LoraConfig",
    "ModelConfig",
    "MonitorConfig",
    "RLConfig",
    "Recipe",
    "SFTConfig",
    "SampleConfig",
    "load_recipe",
    "parse_recipe",
]
