"""Trainer callbacks shared by the stages."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from transformers import TrainerCallback


class JsonlMetricsCallback(TrainerCallback):
    """Append every log record (loss, lr, rewards, ...) to ``metrics.jsonl`` with step and time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and state.is_world_process_zero:
            record = {"step": state.global_step, "epoch": state.epoch, "time": time.time(), **logs}
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, default=float) + "\n")


class NanLossError(RuntimeError):
    pass


class NanGuardCallback(TrainerCallback):
    """Stop as soon as a logged loss or gradient norm is NaN/inf, before a bad checkpoint is saved.

    ``on_log`` runs before the save of the same step, so cancelling the save here keeps the
    last good checkpoint as the newest one.
    """

    def __init__(self) -> None:
        self.bad_step: int | None = None
        self.bad_value: str = ""

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in ("loss", "grad_norm"):
            value = (logs or {}).get(key)
            if isinstance(value, int | float) and not math.isfinite(value):
                self.bad_step, self.bad_value = state.global_step, f"{key}={value}"
                control.should_training_stop = True
                control.should_save = False
                break
        return control

    def raise_if_tripped(self, output_dir: Path) -> None:
        if self.bad_step is not None:
            from safealign.runs import last_checkpoint

            kept = last_checkpoint(output_dir)
            raise NanLossError(
                f"training stopped at step {self.bad_step}: {self.bad_value}. The last good checkpoint is "
                f"{kept or 'none (no checkpoint was saved yet)'}. Lower the learning rate, use precision: fp32, "
                "or check the data for empty or extremely long rows, then rerun with --resume."
            )
