"""Cross-validation gates: every N steps, check the policy on the safety and reasoning suites' in-distribution items.

At the stage's start the gate measures the starting checkpoint (the baseline). Every
``every_steps``, and at the stage's last step (``max_steps``) when that is no multiple of it, it
measures again; a pass snapshots the trainable weights and the optimizer's state
(Adam's moments), a breach (refusal of harmful requests down, or over-refusal of borderline requests
up, beyond the recipe's tolerance) restores the last passing snapshot and applies the policy: stop,
halve the learning rate, or double the KL coefficient. After ``max_rollbacks`` rollbacks the next
breach rolls back and stops the stage, whatever the policy (``max_rollbacks: 1`` allows one rollback
that training continues from; the second one stops). A change counts as a breach only when it also
amounts to ``min_items`` gate items: on 16 items one answer is 6.25 points, more than a 5-point
tolerance, so without that floor a single flipped answer would roll the stage back. Every check is a
row in ``gates.jsonl`` and a log record of ``gate/*`` keys (in ``metrics.jsonl`` and the trackers), before and
besides the step's own training record.
Each checkpoint holds the snapshot (``gate_snapshot.pt``), so a resumed stage rolls back to the
same passing weights as an uninterrupted one would.
Under several processes, rank 0 decides and the decision is broadcast, so all ranks act alike; rank 0 says it.
The gates never read the suites' held-out split, which stays for the final report (safealign.training.gate_eval).
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from safealign.config import GateConfig
from safealign.distributed import main_process_value
from safealign.evals.regression import RateChange, regressions

log = logging.getLogger(__name__)


@dataclass
class GateMetrics:
    refusal: float  # harmful requests refused (gate items: in-distribution)
    over_refusal: float  # borderline requests refused (gate items: in-distribution)
    accuracy: float  # reasoning accuracy (gate items: in-distribution)
    harmful_items: int = 0  # items behind ``refusal`` (0: a continuous score, no item floor)
    borderline_items: int = 0  # items behind ``over_refusal``


@dataclass
class GateEvent:
    step: int
    passed: bool
    action: str  # "baseline", "pass", "rollback+stop", "rollback+lower_lr", "rollback+raise_kl", ...
    metrics: GateMetrics
    baseline: GateMetrics
    rolled_back_to: int | None
    reason: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _changes(
    now: GateMetrics, baseline: GateMetrics, cfg: GateConfig
) -> tuple[list[RateChange], list[RateChange]]:
    return regressions(
        [
            RateChange(
                "harmful refusal", baseline.refusal, now.refusal, now.harmful_items, cfg.refusal_tolerance, -1
            ),
            RateChange(
                "over-refusal",
                baseline.over_refusal,
                now.over_refusal,
                now.borderline_items,
                cfg.over_refusal_tolerance,
                +1,
            ),
        ],
        cfg.min_items,
    )


def breaches(now: GateMetrics, baseline: GateMetrics, cfg: GateConfig) -> list[str]:
    """Each side that got worse past its tolerance by at least ``cfg.min_items`` items (any amount for continuous scores)."""
    return [change.describe(cfg.min_items) for change in _changes(now, baseline, cfg)[0]]


def under_item_floor(now: GateMetrics, baseline: GateMetrics, cfg: GateConfig) -> list[str]:
    """Changes past the tolerance that are fewer than ``cfg.min_items`` items: a pass, but said in its record."""
    return [change.describe(cfg.min_items) for change in _changes(now, baseline, cfg)[1]]


def gate_stop(events: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, bool]:
    """From the rows of a ``gates.jsonl``: the event that stopped the stage (None if no gate stopped it), and whether
    the stage's model is its starting model: the stop rolled back to the baseline's step and nothing came after."""
    stop = next((e for e in reversed(events) if str(e.get("action", "")).endswith("+stop")), None)
    start = next((e.get("step") for e in events if e.get("action") == "baseline"), None)
    unchanged = (
        stop is not None
        and stop.get("rolled_back_to") is not None
        and stop.get("rolled_back_to") == start
        and stop is events[-1]
    )
    return stop, unchanged


def baseline_of(event: dict[str, Any], log_path: Path) -> GateMetrics:
    """The stage's baseline from its ``baseline`` row in ``log_path``; a damaged row (a metric missing, one unknown, a
    score not a number) is a SafealignError naming the file and the way out, not a bare TypeError mid-resume."""
    from safealign.errors import SafealignError

    try:
        metrics = GateMetrics(**event["metrics"])
    except TypeError as error:
        problem = str(error).removeprefix("GateMetrics.__init__() ")
    else:
        scores = (metrics.refusal, metrics.over_refusal, metrics.accuracy)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in scores):
            return metrics
        problem = f"a score that is not a number: {event['metrics']}"
    raise SafealignError(
        f"{log_path}: the baseline gate check of step {event.get('step')} is damaged ({problem}), so drift cannot be "
        "measured from the stage's start: rerun the stage with --no-resume to start it over (the baseline is measured "
        "again)"
    )


def earlier_events(log_path: Path, step: int) -> list[dict[str, Any]]:
    """The rows of a ``gates.jsonl`` up to ``step``: what the gates had done by a checkpoint saved at that step (rows
    after it belong to steps a crash undid)."""
    from safealign.runs import read_jsonl

    return [e for e in read_jsonl(log_path) if isinstance(e.get("step"), int) and e["step"] <= step]


def stopped_at(log_path: Path, checkpoint: Path | None) -> bool:
    """Whether a gate had stopped the stage at ``checkpoint``'s step: resuming must not train on past the stop."""
    if checkpoint is None or not checkpoint.name.rsplit("-", 1)[-1].isdigit():
        return False
    events = earlier_events(log_path, int(checkpoint.name.rsplit("-", 1)[-1]))
    return gate_stop(events)[0] is not None


def out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an allocation that failed: torch's OutOfMemoryError (CUDA, MPS), a MemoryError, or the CPU
    allocator's RuntimeError ("DefaultCPUAllocator: can't allocate memory")."""
    import torch

    return isinstance(error, MemoryError | torch.OutOfMemoryError) or "can't allocate memory" in str(error)


def _raised(beta: float) -> float:
    """The KL coefficient after one ``raise_kl`` rollback."""
    return max(beta * 2, 1e-3)


# in each checkpoint-N folder: the last passing snapshot at that checkpoint
SNAPSHOT_FILE = "gate_snapshot.pt"


class GateCallback(TrainerCallback):
    def __init__(self, cfg: GateConfig, evaluate: Callable[[Any], GateMetrics], log_path: Path) -> None:
        self.cfg, self.evaluate, self.log_path = cfg, evaluate, log_path
        # set after the trainer is built (needed for lr / beta policies, the optimizer state)
        self.trainer: Any = None
        self.baseline: GateMetrics | None = None
        self.snapshot: dict[str, Any] = {}
        # the optimizer's per-parameter state at the snapshot
        self.optimizer_state: dict[Any, Any] | None = None
        self.snapshot_step = 0
        self.rollbacks = 0
        self.events: list[GateEvent] = []

    def _measure(self, model: Any, is_main: bool, step: int) -> GateMetrics:
        """Rank 0's measurement on every rank. One that runs out of memory ends the stage on every rank with the
        settings that size a check (a bare traceback on rank 0 before, the other ranks left waiting for its verdict)."""
        metrics: GateMetrics | str | None = None
        if is_main:
            was_training = model.training
            model.eval()
            try:
                metrics = self.evaluate(model)
            except (MemoryError, RuntimeError) as error:  # torch.OutOfMemoryError is a RuntimeError
                if not out_of_memory(error):
                    raise
                metrics = self._out_of_memory(error, step)
            model.train(was_training)
        metrics = main_process_value(metrics)
        if isinstance(metrics, str):
            from safealign.errors import SafealignError

            raise SafealignError(metrics)
        return metrics

    def _out_of_memory(self, error: BaseException, step: int) -> str:
        cfg = self.cfg
        return (
            f"gates: the gate check at step {step} ran out of memory ({type(error).__name__}: "
            f"{' '.join(str(error).split())[:160]}). It generates 3 x {cfg.limit} answers of up to {cfg.max_new_tokens} "
            f"tokens, {cfg.batch_size} prompts at a time, beside the model in training: lower rl.gates.batch_size (now "
            f"{cfg.batch_size}), or rl.gates.limit (now {cfg.limit}, the items per suite), then rerun the stage, with "
            "--no-resume if it saved a checkpoint (a resume keeps the settings the stage started with)"
        )

    def _snapshot(self, model: Any, step: int) -> None:
        """Copy the trainable weights and the optimizer's state. Restoring the weights alone left Adam's moments those
        of the breaching steps (~90% of the first moment after a rollback), so the next update went back along the
        breach. Memory: a copy of the weights and one of Adam's two moments, 3x the trainable parameters on the device
        they train on (135M in fp32: 0.54 GB + 1.08 GB; LoRA: its adapters' only)."""
        self.snapshot = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        optimizer = getattr(self.trainer, "optimizer", None)
        self.optimizer_state = (
            copy.deepcopy(optimizer.state_dict()["state"]) if optimizer is not None else None
        )
        self.snapshot_step = step

    def _restore(self, model: Any) -> None:
        import torch

        with torch.no_grad():
            for name, param in model.named_parameters():
                if name in self.snapshot:
                    param.copy_(self.snapshot[name])
        optimizer = getattr(self.trainer, "optimizer", None)
        if optimizer is not None and self.optimizer_state is not None:
            # The snapshot's moments and step counts, with today's hyperparameters (a lower_lr rollback's halved learning
            # rate stays) and the scheduler's step count as it is. Copied again: load_state_dict keeps the tensors it
            # is given, which the next steps update in place, and a later rollback may return to this snapshot too.
            groups = optimizer.state_dict()["param_groups"]
            optimizer.load_state_dict({"state": copy.deepcopy(self.optimizer_state), "param_groups": groups})

    def _drop_buffered_rollouts(self) -> None:
        """GRPO trains ``num_iterations`` steps on each generation round, which TRL keeps in ``_buffered_inputs``: a
        rollback inside a round left its remaining steps training the restored weights on the completions the discarded
        ones sampled (their log-probabilities the importance ratio's reference). Without them, the next step samples a
        new round from the restored policy (TRL generates whenever the buffer is empty, as after a resume)."""
        if getattr(self.trainer, "_buffered_inputs", None) is not None:
            self.trainer._buffered_inputs = None

    def _resume_snapshot(
        self, args: Any, model: Any, step: int, earlier: list[dict[str, Any]], is_main: bool
    ) -> None:
        """The last passing snapshot at the checkpoint a stage resumes from, as ``on_save`` wrote it there: a resumed
        stage rolls back to what an uninterrupted one would (before, to the checkpoint's weights, which no gate had
        necessarily checked, recorded as a passing step). Its warnings are rank 0's, as the breach's."""
        import torch

        said = logging.WARNING if is_main else logging.DEBUG

        path = (
            Path(args.output_dir) / f"checkpoint-{step}" / SNAPSHOT_FILE
            if getattr(args, "output_dir", None)
            else None
        )
        saved = None
        if path is not None and path.is_file():
            try:
                # on the CPU: load_state_dict moves the moments to their parameters' device and keeps Adam's step counts
                saved = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as error:  # a file cut short: fall back to the checkpoint's weights, said below
                log.log(said, "gates: %s does not load (%s)", path, error)
        self._snapshot(model, step)  # the checkpoint's weights and optimizer state, just loaded
        if saved is None:
            if not any(e.get("step") == step and e.get("action") in ("baseline", "pass") for e in earlier):
                log.log(
                    said,
                    "gates: checkpoint-%d holds no gate snapshot (a checkpoint of an older safealign, or its save "
                    "was cut short): a breach will roll back to this checkpoint's weights, which no gate may have "
                    "checked",
                    step,
                )
            return
        self.snapshot_step = int(saved["step"])
        # taken before the checkpoint's step: not the checkpoint's own weights
        if saved.get("weights") is not None:
            self.snapshot = saved["weights"]
            self.optimizer_state = saved.get("optimizer") if self.optimizer_state is not None else None

    def on_save(self, args, state, control, **kwargs):
        """Write the last passing snapshot into the checkpoint just saved: its step and, when that is not the
        checkpoint's own step, its weights and optimizer state (the checkpoint holds them otherwise). With
        ``save_steps`` a multiple of ``every_steps`` (the defaults) that is only after a rollback; otherwise a
        checkpoint between checks grows by 3x the trainable parameters (see ``_snapshot``)."""
        if not state.is_world_process_zero or self.baseline is None:
            return control
        import torch

        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not folder.is_dir():
            return control
        own = self.snapshot_step == state.global_step
        saved = {
            "step": self.snapshot_step,
            "weights": None if own else self.snapshot,
            "optimizer": None if own else self.optimizer_state,
        }
        partial = folder / f".{SNAPSHOT_FILE}.tmp"  # renamed once whole: a kill mid-write leaves no half file
        torch.save(saved, partial)
        partial.replace(folder / SNAPSHOT_FILE)
        return control

    def _record(self, event: GateEvent, state: Any) -> None:
        from transformers import Trainer

        self.events.append(event)
        if state.is_world_process_zero:
            with self.log_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(event.to_dict()) + "\n")
        row = {
            "gate/refusal": event.metrics.refusal,
            "gate/over_refusal": event.metrics.over_refusal,
            "gate/accuracy": event.metrics.accuracy,
            "gate/passed": float(event.passed),
            # the share of a suite that min_items items make: the divergence detector reads a smaller gain as flat
            "gate/item_floor": self.cfg.min_items / self.cfg.limit,
        }
        if isinstance(self.trainer, Trainer):
            # Through the Trainer's log, on every rank as its own records: to log_history, metrics.jsonl and the
            # trackers (appended to log_history alone, they reached neither). transformers' Trainer.log, not the
            # trainer's own: GRPOTrainer.log folds the step's pending reward metrics into the record and clears them,
            # which took them from the step's own record. The callback handler's on_log clears control.should_log,
            # which on a check step already asks for the step's own record (loss, rewards, its rollouts): cleared,
            # that record went unlogged and the next step's averaged two steps. So the flag is put back.
            step_logs = self.trainer.control.should_log
            Trainer.log(self.trainer, row)
            self.trainer.control.should_log = step_logs
        elif state.is_world_process_zero:
            state.log_history.append({"step": event.step, **row})

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if self.baseline is not None:
            return
        # resumed: checks after the checkpoint are done again
        if state.global_step > 0 and state.is_world_process_zero:
            from safealign.runs import drop_undone_rows

            drop_undone_rows(self.log_path, state.global_step)
        earlier = earlier_events(self.log_path, state.global_step) if state.global_step > 0 else []
        first = next(
            (e for e in earlier if e.get("action") == "baseline" and isinstance(e.get("metrics"), dict)), None
        )
        if first is not None:
            # Resumed from a checkpoint: drift is measured from the model the stage started with, not from this
            # checkpoint, and the rollbacks so far still count toward max_rollbacks.
            self.baseline = baseline_of(first, self.log_path)
            self.rollbacks = sum(str(e.get("action", "")).startswith("rollback") for e in earlier)
            self._resume_snapshot(args, model, state.global_step, earlier, state.is_world_process_zero)
            log.info(
                "gates: resumed at step %d with the stage's baseline from step %d, the passing snapshot of step %d and "
                "%d rollbacks so far",
                state.global_step,
                first.get("step", 0),
                self.snapshot_step,
                self.rollbacks,
            )
            self._reapply_raised_kl(earlier)
            return
        start = time.perf_counter()
        self.baseline = self._measure(model, state.is_world_process_zero, state.global_step)
        self._snapshot(model, state.global_step)
        self._record(
            GateEvent(
                state.global_step,
                True,
                "baseline",
                self.baseline,
                self.baseline,
                None,
                "stage start",
                time.perf_counter() - start,
            ),
            state,
        )

    def on_step_end(self, args, state, control, model=None, **kwargs):
        # the last step too: a max_steps that is no multiple of every_steps left its last steps unchecked in the model
        max_steps = getattr(state, "max_steps", 0)
        last = max_steps > 0 and state.global_step >= max_steps
        if (state.global_step % self.cfg.every_steps and not last) or self.baseline is None:
            return control
        start = time.perf_counter()
        now = self._measure(model, state.is_world_process_zero, state.global_step)
        found = breaches(now, self.baseline, self.cfg)
        if not found:
            self._snapshot(model, state.global_step)
            floor = under_item_floor(now, self.baseline, self.cfg)
            reason = "under the item floor: " + "; ".join(floor) if floor else "within tolerance"
            self._record(
                GateEvent(
                    state.global_step,
                    True,
                    "pass",
                    now,
                    self.baseline,
                    None,
                    reason,
                    time.perf_counter() - start,
                ),
                state,
            )
            return control
        self._restore(model)
        self._drop_buffered_rollouts()
        self.rollbacks += 1
        action = self._apply_policy(control)
        reason = "; ".join(found)
        # said once, by the process that decided (every rank rolls back alike); a line per rank repeated it
        log.log(
            logging.WARNING if state.is_world_process_zero else logging.DEBUG,
            "gate breach at step %d: %s → rolled back to step %d, %s",
            state.global_step,
            reason,
            self.snapshot_step,
            action,
        )
        self._record(
            GateEvent(
                state.global_step,
                False,
                f"rollback+{action}",
                now,
                self.baseline,
                self.snapshot_step,
                reason,
                time.perf_counter() - start,
            ),
            state,
        )
        return control

    def _reapply_raised_kl(self, earlier: list[dict[str, Any]]) -> None:
        """A ``raise_kl`` rollback changed the running trainer's beta, which no checkpoint holds (the learning rate a
        ``lower_lr`` rollback halved is in the optimizer and scheduler state the checkpoint restores): raise it again
        once per such rollback before the checkpoint, so the resumed stage trains with the beta it had."""
        raised = sum(e.get("action") == "rollback+raise_kl" for e in earlier)
        if not raised or self.trainer is None:
            return
        start = self.trainer.beta
        for _ in range(raised):
            self.trainer.beta = _raised(self.trainer.beta)
        log.info(
            "gates: beta %.4g → %.4g, as %d raise_kl rollback(s) before this checkpoint left it",
            start,
            self.trainer.beta,
            raised,
        )

    def _apply_policy(self, control: Any) -> str:
        # max_rollbacks rollbacks continue; the one after them (rollbacks > max_rollbacks) stops the stage
        if self.cfg.policy == "stop" or self.rollbacks > self.cfg.max_rollbacks:
            control.should_training_stop = True
            # a checkpoint of the stop's step (the restored weights): killed during the final save, a rerun resumed an
            # earlier one, dropped the stop with the events after it and trained on (stopped_at finds it in this one)
            control.should_save = True
            return "stop"
        if self.cfg.policy == "lower_lr" and self.trainer is not None:
            for group in self.trainer.optimizer.param_groups:
                group["lr"] *= 0.5
            scheduler = self.trainer.lr_scheduler
            if scheduler is not None and hasattr(scheduler, "base_lrs"):
                scheduler.base_lrs = [lr * 0.5 for lr in scheduler.base_lrs]
            # what the Trainer logs as learning_rate
            if scheduler is not None and hasattr(scheduler, "_last_lr"):
                scheduler._last_lr = [group["lr"] for group in self.trainer.optimizer.param_groups]
            return "lower_lr"
        if self.cfg.policy == "raise_kl" and self.trainer is not None:
            self.trainer.beta = _raised(self.trainer.beta)
            return "raise_kl"
        return "continue"
