"""Trainer callbacks shared by the stages."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm
from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback


class JsonlMetricsCallback(TrainerCallback):
    """Append every log record (loss, lr, rewards, ...) to ``metrics.jsonl`` with step and time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:  # resumed: the rows of steps after the checkpoint are logged again
            from safealign.runs import drop_undone_rows

            drop_undone_rows(self.path, state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and state.is_world_process_zero:
            record = {"step": state.global_step, "epoch": state.epoch, "time": time.time(), **logs}
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(strict_json_row(record)) + "\n")


class LastStepLogCallback(TrainerCallback):
    """Logs the last step whatever ``logging_steps`` says: the stage records its last logged loss as ``last_loss``
    (the card's "loss A → B"), which was up to ``logging_steps - 1`` steps old, and a 4-step distillation logging
    every 5 steps recorded its first step's loss as its last. Logging reads the loss; it changes no weight."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_log = True
        return control


def strict_json_row(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with each NaN or infinite number as null, and ``non_finite`` naming those keys with their value.

    json.dumps writes them as ``NaN`` and ``Infinity``, which are not JSON: jq, JavaScript and other strict readers
    rejected the whole line. null is what TRL logs for a metric with no finite value, and the project's readers skip it
    (the hacking detectors read a null KL as NaN); ``non_finite`` keeps a diverged loss visible in the log. Numpy and
    tensor scalars become floats, as ``default=float`` made them.

    >>> strict_json_row({"step": 3, "loss": float("nan"), "grad_norm": float("inf"), "reward": 0.5})
    {'step': 3, 'loss': None, 'grad_norm': None, 'reward': 0.5, 'non_finite': {'loss': 'nan', 'grad_norm': 'inf'}}
    """
    non_finite: dict[str, str] = {}

    def strict(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            return {key: strict(item, f"{where}.{key}") for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [strict(item, f"{where}[{index}]") for index, item in enumerate(value)]
        if value is None or isinstance(value, str | int):
            return value
        number = value if isinstance(value, float) else float(value)
        if math.isfinite(number):
            return number
        non_finite[where] = str(number)
        return None

    row = {key: strict(value, str(key)) for key, value in record.items()}
    return row | {"non_finite": non_finite} if non_finite else row


class NanLossError(RuntimeError):
    pass


class NanGuardCallback(TrainerCallback):
    """Stop as soon as a logged loss or gradient norm is NaN/inf, or the weights are not finite when a checkpoint
    is about to be saved or training ends, before a bad checkpoint or model is saved.

    ``on_log`` runs before the save of the same step, so cancelling the save there keeps the last good checkpoint as
    the newest one. The logs alone miss steps: a save step that is not a logging step saved NaN weights, and
    transformers drops a NaN loss from the logged mean (``logging_nan_inf_filter``). So ``on_step_end``, which runs
    before the step's save, reads the weights themselves on the steps that save or end training (one pass over
    the trainable parameters: a NaN or inf loss or gradient reaches every weight it updates within the step).
    """

    def __init__(self) -> None:
        self.bad_step: int | None = None
        self.bad_value: str = ""
        self.weights_checked_at: int | None = None

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if (
            self.bad_step is None
            and model is not None
            and (control.should_save or control.should_training_stop)
        ):
            self._check_weights(state, control, model)
        return control

    def on_train_end(self, args, state, control, model=None, **kwargs):
        """Training by epochs ends without ``should_training_stop``; the stage saves its model next."""
        if self.bad_step is None and model is not None and self.weights_checked_at != state.global_step:
            self._check_weights(state, control, model)
        return control

    def _check_weights(self, state, control, model) -> None:
        self.weights_checked_at = state.global_step
        trained = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        bad = self._non_finite_parameters(trained)
        if bad:
            self.bad_step, self.bad_value = (
                state.global_step,
                f"non-finite weights ({len(bad)} tensors, e.g. {bad[0]})",
            )
            control.should_training_stop = True
            control.should_save = False

    @staticmethod
    def _non_finite_parameters(trained: list[tuple[str, Any]]) -> list[str]:
        """Names of the parameters with a NaN or inf on any rank; the same list on every rank, so all skip the save
        alike (a save that some ranks skip waits forever).

        Under FSDP2 the parameters are DTensors: each rank checks its own shard, and one all-reduce of the "bad"
        flags lets a NaN in any rank's shard stop every rank. Under DeepSpeed ZeRO-3 the parameters are empty
        placeholders outside the forward pass (``numel() == 0``): this check cannot see their values there
        (gathering them would cost a full-model all-gather per save), and the logged loss and grad norm guard alone.
        """
        import torch
        import torch.distributed as dist

        if not trained:
            return []
        with torch.no_grad():
            # a DTensor (FSDP2): this rank's shard
            local = [p.to_local() if hasattr(p, "to_local") else p for _, p in trained]
            flags = torch.stack([~torch.isfinite(t).all() for t in local]).to(torch.int32)  # one sync below
            if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
                dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        return [name for (name, _), flag in zip(trained, flags.tolist(), strict=True) if flag]

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
            # A resumed stage must keep the settings it started with (safealign.runs.write_stage_config), so the
            # changes that cure a NaN start the stage over; resuming unchanged would repeat the same steps.
            raise NanLossError(
                f"training stopped at step {self.bad_step}: {self.bad_value}. The last good checkpoint is "
                f"{kept or 'none (no checkpoint was saved yet)'}. Lower the learning rate, use precision: fp32, "
                "or check the data for empty or extremely long rows, then start the stage over: rerun its command "
                f"(`safealign sft`, `rl` or `distill`) with --no-resume, or delete {output_dir}/checkpoint-*. "
                "A resume must keep the settings the stage started with, and resuming unchanged runs the same steps again."
            )


# What a training log line shows, in this order; metrics.jsonl keeps every key. TRL's GRPO logs ~40 keys a step
# (per-reward std, clip ratios, min/max lengths), which the stock progress callback prints as one raw dict.
SHOWN_KEYS = (
    ("loss", "loss"),
    ("kd_loss", "kd loss"),
    ("hidden_loss", "hidden loss"),
    ("grad_norm", "grad norm"),
    ("learning_rate", "lr"),
    ("reward", "reward"),
    ("completions/mean_length", "length"),
    ("completions/clipped_ratio", "truncated"),
    ("entropy", "entropy"),
    ("mean_token_accuracy", "token accuracy"),
    ("train_tokens_per_second", "tokens/s"),
    ("step_time", "s/step"),
    ("train_loss", "mean loss"),
    ("train_runtime", "elapsed s"),
    ("gate/refusal", "gate refusal"),
    ("gate/over_refusal", "gate over-refusal"),
    ("gate/accuracy", "gate accuracy"),
    ("gate/passed", "gate passed"),
)
REWARD_MEAN = re.compile(r"rewards/(.+)/mean")


def concise_log_line(logs: dict[str, Any], step: int, max_steps: int) -> str:
    """One readable line for a training log record.

    >>> concise_log_line({"loss": 0.0765, "reward": 0.3763, "rewards/accuracy/mean": 0.125, "rewards/safety/mean": None,
    ...                   "rewards/accuracy/std": 0.33, "step_time": 40.79, "epoch": 0.025}, 1, 24)
    'step 1/24: loss 0.0765 · reward 0.3763 (accuracy 0.125, safety –) · s/step 40.79'
    """

    def shown(value: Any) -> str:
        return "–" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)

    parts = []
    for key, label in SHOWN_KEYS:
        if key not in logs:
            continue
        part = f"{label} {shown(logs[key])}"
        if key == "reward":
            rewards = [f"{m.group(1)} {shown(v)}" for k, v in logs.items() if (m := REWARD_MEAN.fullmatch(k))]
            part += f" ({', '.join(rewards)})" if rewards else ""
        parts.append(part)
    return f"step {step}/{max_steps}: " + " · ".join(parts)


class ConciseProgressCallback(ProgressCallback):
    """transformers' progress bar, with each log record as :func:`concise_log_line` instead of a raw dict.

    Records before the bar exists are shown too: the gates log the starting policy's check from their on_train_begin,
    which runs before this callback's (the last one added) makes the bar."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            # tqdm.write, as the bar's own write: clears and redraws any bar, a plain line without one
            tqdm.write(concise_log_line(logs, state.global_step, state.max_steps))


class ConcisePrinterCallback(PrinterCallback):
    """transformers' printer for runs without a progress bar (``disable_tqdm``), with :func:`concise_log_line`."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            print(concise_log_line(logs, state.global_step, state.max_steps))


def use_concise_progress(trainer: Any) -> None:
    """Swap the trainer's stock progress callback (with its bar) or printer (without) for the concise one."""
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(ConciseProgressCallback)
    elif trainer.pop_callback(PrinterCallback) is not None:
        trainer.add_callback(ConcisePrinterCallback)
