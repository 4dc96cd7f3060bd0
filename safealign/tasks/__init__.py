"""Scoring shared by eval suites and RL rewards: reasoning format, verifiable problems, language.

One definition of "well formed", "correct" and "in the right language" from training to evaluation.
"""

from safealign.tasks.language import LANGUAGES, detect_language, is_mixed, language_share
from safealign.tasks.problems import (
    EASY_CONFIGS,
    EVAL_SEED,
    OWN_FAMILIES,
    TRAIN_SEED,
    FamilyConfigError,
    Problem,
    UnknownNameError,
    check_answer,
    generate_problems,
    valid_families,
)
from safealign.tasks.reasoning_format import ParsedReasoning, extract_answer, format_score, parse_reasoning

__all__ = [
    "EASY_CONFIGS",
    "EVAL_SEED",
    "LANGUAGES",
    "OWN_FAMILIES",
    "TRAIN_SEED",
    "FamilyConfigError",
    "ParsedReasoning",
    "Problem",
    "UnknownNameError",
    "check_answer",
    "detect_language",
    "extract_answer",
    "format_score",
    "generate_problems",
    "is_mixed",
    "language_share",
    "parse_reasoning",
    "valid_families",
]
