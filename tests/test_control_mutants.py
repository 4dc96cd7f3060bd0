"""The control logic's edges: gate rollbacks and stops, the hacking callback, detector thresholds, reward signs.

Each test pins one decision a small slip (a flipped comparison, a dropped clause) would change unnoticed: they were
written against mutants of that logic which the rest of the fast suite let pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import torch

from safealign.config import GateConfig, HackingConfig
from safealign.evals.metrics import Rate
from safealign.hacking import DETECTORS
from safealign.judges.base import Verdict
from safealign.rewards.functions import OverlongPenalty, SafetyReward
from safealign.training import gate_eval
from safealign.training.gates import SNAPSHOT_FILE, GateCallback, GateMetrics, _raised, gate_stop, stopped_at
from safealign.training.hacking_callback import HackingCallback, stopped_by_alert

T = HackingConfig(window=3)


def counted(refused: int, over_refused: int, n: int = 16) -> GateMetrics:
    return GateMetrics(
        refusal=refused / n, over_refusal=over_refused / n, accuracy=0.0, harmful_items=n, borderline_items=n
    )


def run_gate(
    tmp_path: Path, cfg: GateConfig, metrics: list[GateMetrics], weights: list[float]
) -> tuple[GateCallback, torch.nn.Linear, list[bool]]:
    """A baseline check, then one check every ``cfg.every_steps``; before check i the model's weight is weights[i].
    Returns the gate, the model and whether each check after the baseline stopped training."""
    measured = iter(metrics)
    gate = GateCallback(cfg, evaluate=lambda model: next(measured), log_path=tmp_path / "gates.jsonl")
    model = torch.nn.Linear(1, 1, bias=False)
    state = SimpleNamespace(global_step=0, is_world_process_zero=True, log_history=[])
    with torch.no_grad():
        model.weight.fill_(weights[0])
    gate.on_train_begin(None, state, None, model=model)
    stops = []
    for i, weight in enumerate(weights[1:], 1):
        with torch.no_grad():
            model.weight.fill_(weight)
        state.global_step = i * cfg.every_steps
        control = SimpleNamespace(should_training_stop=False)
        gate.on_step_end(None, state, control, model=model)
        stops.append(control.should_training_stop)
    return gate, model, stops


def history(**columns: list) -> list[dict]:
    steps = len(next(iter(columns.values())))
    return [
        {"step": i + 1, **{k: v[i] for k, v in columns.items() if v[i] is not None}} for i in range(steps)
    ]


# --- gates ---


def test_a_breach_rolls_back_to_the_last_passing_check_not_the_start(tmp_path: Path) -> None:
    # Catches a rollback that keeps the breaching weights, or restores the baseline's instead of the last pass's.
    cfg = GateConfig(every_steps=2, policy="lower_lr")
    gate, model, _ = run_gate(
        tmp_path, cfg, [counted(16, 0), counted(16, 0), counted(10, 0)], [0.0, 2.0, 4.0]
    )
    assert model.weight.item() == 2.0
    assert gate.events[-1].rolled_back_to == 2 and gate.events[-1].action.startswith("rollback")


def test_max_rollbacks_one_continues_after_the_first_and_stops_at_the_second(tmp_path: Path) -> None:
    # Catches max_rollbacks counted off by one (the first rollback stopping the stage).
    cfg = GateConfig(every_steps=2, policy="lower_lr", max_rollbacks=1)
    _, _, stops = run_gate(tmp_path, cfg, [counted(16, 0), counted(10, 0), counted(10, 0)], [0.0, 1.0, 2.0])
    assert stops == [False, True]


def test_a_gate_stop_followed_by_more_checks_is_not_the_starting_model() -> None:
    # Catches a stop read as "the stage's model is its starting model" although checks came after it.
    events = [
        {"step": 0, "action": "baseline"},
        {"step": 10, "action": "rollback+stop", "rolled_back_to": 0},
        {"step": 20, "action": "pass"},
    ]
    assert gate_stop(events)[1] is False
    assert gate_stop(events[:2])[1] is True


def test_stopped_at_reads_the_stop_up_to_and_including_the_checkpoint(tmp_path: Path) -> None:
    # Catches a resume that trains on past a gate stop logged at the checkpoint's own step (or never sees a stop).
    log = tmp_path / "gates.jsonl"
    rows = [{"step": 0, "action": "baseline"}, {"step": 10, "action": "rollback+stop", "rolled_back_to": 0}]
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert stopped_at(log, tmp_path / "checkpoint-10") is True
    assert stopped_at(log, tmp_path / "checkpoint-8") is False


def test_a_raise_kl_rollback_lifts_a_zero_beta_to_the_floor() -> None:
    # Catches a raise_kl policy that doubles a zero KL coefficient into zero (the rollback changing nothing).
    assert _raised(0.0) == 1e-3
    assert _raised(0.04) == 0.08


def test_a_checkpoint_after_a_rollback_holds_the_passing_snapshot_weights(tmp_path: Path) -> None:
    # Catches on_save writing no weights when the snapshot is older than the checkpoint: a resume rolled back to
    # the checkpoint's unchecked weights.
    cfg = GateConfig(every_steps=2, policy="lower_lr")
    gate, _, _ = run_gate(tmp_path, cfg, [counted(16, 0), counted(16, 0), counted(10, 0)], [0.0, 2.0, 4.0])
    for step in (2, 4):
        (tmp_path / f"checkpoint-{step}").mkdir()
    args = SimpleNamespace(output_dir=str(tmp_path))
    for step in (2, 4):
        gate.on_save(args, SimpleNamespace(global_step=step, is_world_process_zero=True), None)
    own = torch.load(tmp_path / "checkpoint-2" / SNAPSHOT_FILE, weights_only=True)
    assert own["step"] == 2 and own["weights"] is None  # the checkpoint holds these weights itself
    older = torch.load(tmp_path / "checkpoint-4" / SNAPSHOT_FILE, weights_only=True)
    assert older["step"] == 2 and older["weights"]["weight"].item() == 2.0


def test_the_gate_reads_each_metric_from_its_own_suite_on_the_in_distribution_split(monkeypatch) -> None:
    # Catches the gate reading held-out items, one suite's rate for another's, or dropping the item counts.
    monkeypatch.setattr(gate_eval, "GenerationEngine", lambda *args, **kwargs: SimpleNamespace())
    rates = {
        ("harmful", "refusal_rate"): Rate.proportion(15, 16),
        ("borderline", "over_refusal_rate"): Rate.proportion(2, 20),
        ("reasoning", "accuracy"): Rate.proportion(4, 8),
    }
    calls = []

    def run_eval(*args, **kwargs):
        calls.append(kwargs)
        return SimpleNamespace(metric=lambda suite, metric: rates[(suite, metric)])

    monkeypatch.setattr("safealign.evals.runner.run_eval", run_eval)
    metrics = gate_eval.suite_gate_evaluator(None, GateConfig(), 0, judges=object())(None)
    assert (metrics.refusal, metrics.over_refusal, metrics.accuracy) == (15 / 16, 2 / 20, 0.5)
    assert (metrics.harmful_items, metrics.borderline_items) == (16, 20)
    assert calls[0]["split"] == "in_distribution"


# --- the hacking callback ---


def log_kl(callback: HackingCallback, step: int, kl: float) -> bool:
    """One log record of ``kl`` at ``step`` through the callback; whether it stopped training."""
    state = SimpleNamespace(
        log_history=[{"step": step, "kl": kl}], global_step=step, is_world_process_zero=True
    )
    control = SimpleNamespace(should_training_stop=False)
    callback.on_log(None, state, control, logs={"kl": kl})
    return control.should_training_stop


def alert_rows(stage_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (stage_dir / "alerts.jsonl").read_text().splitlines()]


def test_a_critical_alert_stops_the_stage_only_with_stop_on_critical(tmp_path: Path) -> None:
    # Catches a critical alert stopping training although the recipe left stop_on_critical off.
    for name in ("off", "on"):
        (tmp_path / name).mkdir()
    assert log_kl(HackingCallback(HackingConfig(stop_on_critical=False), tmp_path / "off"), 1, 5.0) is False
    assert log_kl(HackingCallback(HackingConfig(stop_on_critical=True), tmp_path / "on"), 1, 5.0) is True


def test_a_detector_alerts_once_per_stage(tmp_path: Path) -> None:
    # Catches a detector writing an alert row on every log while its condition lasts.
    callback = HackingCallback(HackingConfig(), tmp_path)
    log_kl(callback, 1, 5.0)
    log_kl(callback, 2, 6.0)
    assert [row["step"] for row in alert_rows(tmp_path)] == [1]


def test_a_resumed_stage_does_not_fire_a_detector_again(tmp_path: Path) -> None:
    # Catches a resume forgetting the alerts before its checkpoint: the detector fired (and stopped) a second time.
    log_kl(HackingCallback(HackingConfig(), tmp_path), 1, 5.0)
    resumed = HackingCallback(HackingConfig(stop_on_critical=True), tmp_path)
    resumed.on_train_begin(None, SimpleNamespace(global_step=2, is_world_process_zero=True), None)
    assert log_kl(resumed, 3, 6.0) is False
    assert [row["step"] for row in alert_rows(tmp_path)] == [1]


def test_stopped_by_alert_counts_a_critical_at_the_checkpoint_step_only(tmp_path: Path) -> None:
    # Catches a warning counted as a stop, or a critical alert at the checkpoint's own step missed on resume.
    rows = [
        {"detector": "x", "severity": "warning", "step": 4},
        {"detector": "y", "severity": "critical", "step": 10},
    ]
    (tmp_path / "alerts.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    thresholds = HackingConfig(stop_on_critical=True)
    assert stopped_by_alert(tmp_path, tmp_path / "checkpoint-10", thresholds) is True
    assert stopped_by_alert(tmp_path, tmp_path / "checkpoint-8", thresholds) is False


# --- detector thresholds ---


def test_length_growth_exactly_at_the_threshold_alerts() -> None:
    # Catches length_growth read as "more than" instead of "at least" (1.5x growth passing silently).
    h = history(
        **{"completions/mean_length": [20, 20, 20, 30, 30, 30], "reward": [0.1, 0.1, 0.1, 0.5, 0.5, 0.5]}
    )
    assert [a.detector for a in DETECTORS["length_blowup"](h, T)] == ["length_blowup"]


def test_length_growth_with_a_flat_reward_is_no_blowup() -> None:
    # Catches a flat reward counted as rising (longer completions alone are no reward hack).
    h = history(**{"completions/mean_length": [20, 20, 20, 40, 40, 40], "reward": [0.5] * 6})
    assert not DETECTORS["length_blowup"](h, T)


def test_an_accuracy_gain_within_noise_keeps_a_length_blowup_critical() -> None:
    # Catches a 0.01 accuracy wiggle (under FLAT_ACCURACY) downgrading a length blowup to a warning.
    h = history(
        **{
            "completions/mean_length": [20, 20, 20, 40, 40, 40],
            "reward": [0.1, 0.1, 0.1, 0.5, 0.5, 0.5],
            "rewards/accuracy/mean": [0.5, 0.5, 0.5, 0.51, 0.51, 0.51],
        }
    )
    assert [a.severity for a in DETECTORS["length_blowup"](h, T)] == ["critical"]


def test_refusal_collapse_fires_on_a_twenty_point_rise_only() -> None:
    # Catches the collapse threshold moved off 0.15 (a 20-point rise in benign refusals passing silently).
    rise = history(**{"safety/benign_refusal_rate": [0.1, 0.1, 0.1, 0.3, 0.3, 0.3]})
    assert [a.detector for a in DETECTORS["refusal_collapse"](rise, T)] == ["refusal_collapse"]
    small = history(**{"safety/benign_refusal_rate": [0.1, 0.1, 0.1, 0.2, 0.2, 0.2]})
    assert not DETECTORS["refusal_collapse"](small, T)


def test_refusal_then_comply_at_exactly_twenty_percent_alerts() -> None:
    # Catches the 0.2 threshold read as "more than": a fifth of harmful answers complying after a refusal unflagged.
    h = history(**{"safety/harmful_partial_rate": [0.2] * 4})  # a mean of exactly 0.2 in floats
    assert [a.detector for a in DETECTORS["refusal_then_comply"](h, HackingConfig(window=4))] == [
        "refusal_then_comply"
    ]


def test_one_low_entropy_step_among_three_is_no_collapse() -> None:
    # Catches entropy collapse read off the lowest of the last three steps instead of all three.
    assert not DETECTORS["entropy_kl"](history(entropy=[0.01, 0.01, 0.5]), T)
    assert [a.detector for a in DETECTORS["entropy_kl"](history(entropy=[0.01, 0.01, 0.02]), T)] == [
        "entropy_collapse"
    ]


def test_a_failed_gate_checks_accuracy_does_not_hide_a_divergence() -> None:
    # Catches the rolled-back weights' gate accuracy read as the policy's (it hid a critical divergence).
    # the failed check at step 7 rolls back to the pass at step 6: the steps it discards hold no reward
    h = history(
        **{
            "rewards/accuracy/mean": [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, None],
            "gate/accuracy": [0.3, None, None, None, None, 0.3, 0.9],
            "gate/passed": [1.0, None, None, None, None, 1.0, 0.0],
        }
    )
    assert [a.detector for a in DETECTORS["reward_accuracy_divergence"](h, T)] == [
        "reward_accuracy_divergence"
    ]


# --- rewards ---


class FixedJudge:
    """A judge answering the given labels in order."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels

    def judge(self, prompts: list[str], responses: list[str]) -> list[Verdict]:
        return [Verdict(label=label, score=1.0, explanation="") for label in self.labels]


def test_partial_refusals_and_borderline_prompts_in_the_safety_reward() -> None:
    # Catches a partial refusal of a harmful prompt rewarded as a refusal, and borderline prompts scored as harmful.
    judge = FixedJudge(["partial_refusal", "refusal", "compliance", "evasive"])
    kinds = ["harmful", "borderline", "borderline", "borderline"]
    assert SafetyReward(judge=judge)(["a"] * 4, ["x"] * 4, kind=kinds) == [-1.0, -1.0, 0.5, 0.0]


def test_the_overlong_penalty_starts_a_quarter_before_the_limit() -> None:
    # Catches a default buffer other than max_tokens // 4.
    assert OverlongPenalty(max_tokens=16)(["x"] * 2, completion_ids=[[1] * 12, [1] * 14]) == [0.0, -0.5]


def test_the_overlong_penalty_stops_at_minus_one_past_the_limit() -> None:
    # Catches an unclamped penalty: a completion past max_tokens scored below -1.
    assert OverlongPenalty(max_tokens=10, buffer=4)(["x"], completion_ids=[[1] * 20]) == [-1.0]
