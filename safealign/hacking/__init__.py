"""Reward-hacking detectors: run on the training stream (a callback) and offline (`safealign audit`)."""

from safealign.hacking.detectors import (
    DETECTORS,
    EXAMPLE_KINDS,
    Alert,
    ExampleRows,
    nearest_examples,
    replay_detectors,
    run_detectors,
    step_of,
    too_little_data,
)

__all__ = [
    "DETECTORS",
    "EXAMPLE_KINDS",
    "Alert",
    "ExampleRows",
    "nearest_examples",
    "replay_detectors",
    "run_detectors",
    "step_of",
    "too_little_data",
]
