"""Run the reward-hacking detectors on the live training stream."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from transformers import TrainerCallback

from safealign.config import HackingConfig
from safealign.hacking import EXAMPLE_KINDS, Alert, run_detectors
from safealign.hacking.detectors import SEVERITY_LEVEL, SettledPoints, escalates
from safealign.training.rollouts import examples_at

log = logging.getLogger(__name__)

# A detector alerts once per stage at each level (SEVERITY_LEVEL): its warning must not spend its critical alert. A
# critical length_blowup after its warning raised nothing and, with stop_on_critical, did not stop the stage.


def stopped_by_alert(stage_dir: Path, checkpoint: Path | None, thresholds: HackingConfig) -> bool:
    """Whether a critical alert had stopped the stage (``stop_on_critical``) by ``checkpoint``'s step: an alert in
    ``alerts.jsonl`` at or before it. Like a gate's stop, resuming must not train on past it: killed during the final
    save, the rerun resumed from the stop's checkpoint and trained on to max_steps (the alert, fired once per stage,
    did not fire again)."""
    from safealign.runs import read_jsonl

    if (
        not thresholds.stop_on_critical
        or checkpoint is None
        or not checkpoint.name.rsplit("-", 1)[-1].isdigit()
    ):
        return False
    step = int(checkpoint.name.rsplit("-", 1)[-1])
    return any(
        alert.get("severity") == "critical"
        and isinstance(alert.get("step"), int | float)
        and alert["step"] <= step
        for alert in read_jsonl(stage_dir / "alerts.jsonl")
    )


class HackingCallback(TrainerCallback):
    """After each log, run every detector over the history; a detector alerts once per stage, and once more if it turns
    critical after a warning.

    Alerts go to ``alerts.jsonl`` with their evidence (numbers and example completions from
    ``rollouts.jsonl``); with ``stop_on_critical`` a critical alert stops training.
    """

    def __init__(self, thresholds: HackingConfig, stage_dir: Path) -> None:
        self.thresholds = thresholds
        self.stage_dir = stage_dir
        self.alerts: list[dict] = []
        self.fired: dict[str, int] = {}  # detector -> the highest LEVEL it alerted at
        self.points = SettledPoints()  # the history's points, read once a record settles

    def on_train_begin(self, args, state, control, **kwargs):
        """Resumed: alerts of steps the crash undid are dropped; those before the checkpoint stay fired (once per stage)."""
        if state.global_step > 0 and state.is_world_process_zero:
            from safealign.runs import drop_undone_rows, read_jsonl

            path = self.stage_dir / "alerts.jsonl"
            drop_undone_rows(path, state.global_step)
            self.alerts = read_jsonl(path)
            self.fired = {}
            for alert in self.alerts:
                detector = str(alert.get("detector"))
                self.fired[detector] = max(
                    self.fired.get(detector, 0), SEVERITY_LEVEL.get(alert.get("severity"), 1)
                )

    def on_log(self, args, state, control, logs=None, **kwargs):
        stop = False
        if state.is_world_process_zero:
            stop = self._check(state, logs)
        # rank 0 decides; a rank that stops alone leaves the rest hanging
        if self.thresholds.stop_on_critical:
            from safealign.distributed import main_process_value

            stop = main_process_value(stop)
        if stop:
            control.should_training_stop = True
            # a checkpoint of the stop's step (transformers saves after on_log), which stopped_by_alert reads: stopped
            # between save steps, a kill during the final save resumed from an earlier checkpoint, dropped the alert
            # (its step came later) and trained on to max_steps unless the replayed steps fired it again
            control.should_save = True
        return control

    def _check(self, state, logs) -> bool:
        history = [h for h in state.log_history if "step" in h]
        # transformers appends the record to log_history before on_log; adding it again counted it twice (a
        # truncation alert's evidence read steps [1, 2, 2] and fired where the final pass saw nothing). The copy in
        # log_history can lack keys a callback added to ``logs`` since (text/repetition), so ``logs`` replaces it.
        if logs is not None:
            current = {"step": state.global_step, **logs}
            same = (
                history and history[-1].get("step") == state.global_step and set(history[-1]) <= set(current)
            )
            history = [*history[:-1], current] if same else [*history, current]
        rollouts = self.stage_dir / "rollouts.jsonl"
        alerts = run_detectors(self.points.view(history), self.thresholds)
        new: list[Alert] = [a for a in alerts if escalates(a, self.fired)]
        stop = False
        for alert in new:
            alert.evidence["examples"] = examples_at(rollouts, alert.step, EXAMPLE_KINDS.get(alert.detector))
            self.alerts.append(alert.to_dict())
            log.warning(
                "reward-hacking alert [%s] %s at step %d: %s%s",
                alert.severity,
                alert.detector,
                alert.step,
                alert.message,
                self._consequence(alert),
            )
            with (self.stage_dir / "alerts.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(alert.to_dict(), ensure_ascii=False, default=float) + "\n")
            stop = stop or (alert.severity == "critical" and self.thresholds.stop_on_critical)
        return stop

    def _consequence(self, alert: Alert) -> str:
        """What a critical alert does to the stage, for its log line: it read like any warning, and a stage it stopped
        ended short of max_steps with no word of why on the console."""
        if alert.severity != "critical":
            return ""
        if self.thresholds.stop_on_critical:
            return ". Stopping the stage here (rl.hacking.stop_on_critical): its model is this step's"
        return (
            ". Training goes on (rl.hacking.stop_on_critical: true would stop the stage at a critical alert)"
        )
