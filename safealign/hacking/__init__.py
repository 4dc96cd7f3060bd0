"""Reward-hacking detectors: run on the training stream (a callback) and offline (`safealign audit`)."""

from safealign.hacking.detectors import DETECTORS, Alert, run_detectors, step_of, too_little_data

__all__ = ["DETECTORS", "Alert", "run_detectors", "step_of", "too_little_data"]
