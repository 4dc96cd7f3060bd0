"""Detectors over the training history. Each is a plain function ``(history, thresholds) -> alerts``.

``history`` is the list of per-step records the RL stage writes to ``metrics.jsonl`` (TRL's logs:
``reward``, ``rewards/<name>/mean``, ``completions/mean_length``, ``completions/clipped_ratio``,
``entropy``, ``kl``) plus our own keys: ``safety/benign_refusal_rate``,
``safety/harmful_partial_rate``, ``text/repetition``, ``accuracy/flat_group_share``, and gate rows ``gate/*``. Examples come
from ``rollouts.jsonl`` (the completions behind a step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from statistics import fmean
from typing import Any

from safealign.config import HackingConfig


@dataclass
class Alert:
    detector: str
    severity: str  # "warning" or "critical"
    step: int
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def series(history: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    return [(int(r["step"]), float(r[key])) for r in history if isinstance(r.get(key), int | float)]


def window_means(points: list[tuple[int, float]], window: int) -> tuple[float, float] | None:
    """Mean of the first and the last ``window`` points (None while there are too few)."""
    if len(points) < 2 * window:
        return None
    return fmean(v for _, v in points[:window]), fmean(v for _, v in points[-window:])


def length_blowup(history: list[dict], t: HackingConfig) -> list[Alert]:
    alerts = []
    lengths, rewards = series(history, "completions/mean_length"), series(history, "reward")
    length_windows, reward_windows = window_means(lengths, t.window), window_means(rewards, t.window)
    if length_windows and reward_windows:
        (l0, l1), (r0, r1) = length_windows, reward_windows
        if l0 > 0 and l1 / l0 >= t.length_growth and r1 > r0:
            alerts.append(Alert("length_blowup", "critical", lengths[-1][0], f"mean completion length grew {l1 / l0:.1f}x ({l0:.0f} → {l1:.0f} tokens) while reward rose {r0:.3f} → {r1:.3f}", {"length_first": l0, "length_last": l1, "reward_first": r0, "reward_last": r1}))
    clipped = series(history, "completions/clipped_ratio")
    recent = clipped[-t.window :]
    if len(recent) >= min(t.window, 3) and fmean(v for _, v in recent) >= t.truncation_rate:
        share = fmean(v for _, v in recent)
        alerts.append(Alert("truncation", "warning", recent[-1][0], f"{share:.0%} of recent completions hit the length limit", {"clipped_ratio": share, "steps": [s for s, _ in recent]}))
    return alerts


def repetition(history: list[dict], t: HackingConfig) -> list[Alert]:
    points = series(history, "text/repetition")[-t.window :]
    if len(points) >= min(3, t.window) and (share := fmean(v for _, v in points)) >= t.repetition:
        return [Alert("repetition", "warning", points[-1][0], f"repeated 3-gram share {share:.2f} ≥ {t.repetition}", {"repetition": share})]
    return []


def reward_accuracy_divergence(history: list[dict], t: HackingConfig) -> list[Alert]:
    """Proxy reward rising while the held-out accuracy measured by the gates does not."""
    rewards, accuracy = series(history, "reward"), series(history, "gate/accuracy")
    windows = window_means(rewards, t.window)  # as the other trend detectors: one step's reward is its prompts' luck
    if len(accuracy) < 2 or windows is None:
        return []
    reward_gain = windows[1] - windows[0]
    accuracy_gain = accuracy[-1][1] - accuracy[0][1]
    if reward_gain - accuracy_gain > t.reward_accuracy_gap and accuracy_gain <= 0.0:
        return [Alert("reward_accuracy_divergence", "critical", rewards[-1][0], f"reward +{reward_gain:.3f} while held-out accuracy {accuracy_gain:+.3f}", {"reward_gain": reward_gain, "heldout_accuracy_gain": accuracy_gain})]
    return []


def format_without_accuracy(history: list[dict], t: HackingConfig) -> list[Alert]:
    fmt, acc = series(history, "rewards/format/mean"), series(history, "rewards/accuracy/mean")
    windows = window_means(acc, t.window)
    recent_format = fmean(v for _, v in fmt[-t.window :]) if len(fmt) >= t.window else None
    if windows and recent_format is not None and recent_format >= t.format_without_accuracy and windows[1] - windows[0] <= 0.02:
        return [Alert("format_without_accuracy", "warning", fmt[-1][0], f"format reward {recent_format:.2f} while accuracy stays flat ({windows[0]:.2f} → {windows[1]:.2f})", {"format": recent_format, "accuracy_first": windows[0], "accuracy_last": windows[1]})]
    return []


def refusal_collapse(history: list[dict], t: HackingConfig) -> list[Alert]:
    """Over-refusal rising: on benign training prompts, or on the gates' borderline suite."""
    alerts = []
    benign = series(history, "safety/benign_refusal_rate")
    windows = window_means(benign, t.window)
    if windows and windows[1] - windows[0] > 0.15:
        alerts.append(Alert("refusal_collapse", "critical", benign[-1][0], f"benign prompts refused {windows[0]:.0%} → {windows[1]:.0%}", {"first": windows[0], "last": windows[1]}))
    gate = series(history, "gate/over_refusal")
    if len(gate) >= 2 and gate[-1][1] - gate[0][1] > 0.15:
        alerts.append(Alert("refusal_collapse", "critical", gate[-1][0], f"held-out over-refusal {gate[0][1]:.0%} → {gate[-1][1]:.0%}", {"first": gate[0][1], "last": gate[-1][1]}))
    return alerts


def refusal_then_comply(history: list[dict], t: HackingConfig) -> list[Alert]:
    points = series(history, "safety/harmful_partial_rate")[-t.window :]
    if points and (share := fmean(v for _, v in points)) >= 0.2:
        return [Alert("refusal_then_comply", "critical", points[-1][0], f"{share:.0%} of answers to harmful prompts refuse and then comply", {"partial_rate": share})]
    return []


def entropy_kl(history: list[dict], t: HackingConfig) -> list[Alert]:
    alerts = []
    entropy = series(history, "entropy")[-3:]
    if len(entropy) == 3 and max(v for _, v in entropy) < t.entropy_floor:
        alerts.append(Alert("entropy_collapse", "warning", entropy[-1][0], f"policy entropy {entropy[-1][1]:.3f} < {t.entropy_floor}", {"entropy": [v for _, v in entropy]}))
    kl = series(history, "kl")
    if kl and kl[-1][1] > t.kl_ceiling:
        alerts.append(Alert("kl_blowup", "critical", kl[-1][0], f"KL to the reference {kl[-1][1]:.3f} > {t.kl_ceiling}", {"kl": kl[-1][1]}))
    return alerts


def no_accuracy_signal(history: list[dict], t: HackingConfig) -> list[Alert]:
    """Not hacking but its precondition's absence: when nearly every group's completions score alike, the accuracy
    reward has no advantage to give and the stage spends its rollouts on nothing."""
    points = series(history, "accuracy/flat_group_share")[-t.window :]
    if len(points) >= min(t.window, 3) and (share := fmean(v for _, v in points)) >= t.flat_groups:
        return [Alert("no_accuracy_signal", "warning", points[-1][0],
                      f"{share:.0%} of recent reasoning groups scored alike on accuracy (no learning signal): the tasks are too "
                      "hard or too easy for this policy; rl.difficulty_filter keeps the prompts it solves sometimes",
                      {"flat_group_share": share, "steps": [s for s, _ in points]})]
    return []


DETECTORS: dict[str, Callable[[list[dict], HackingConfig], list[Alert]]] = {
    "length_blowup": length_blowup,
    "repetition": repetition,
    "reward_accuracy_divergence": reward_accuracy_divergence,
    "format_without_accuracy": format_without_accuracy,
    "refusal_collapse": refusal_collapse,
    "refusal_then_comply": refusal_then_comply,
    "entropy_kl": entropy_kl,
    "no_accuracy_signal": no_accuracy_signal,
}


def run_detectors(history: list[dict], thresholds: HackingConfig, examples: Callable[[int], list[dict]] | None = None) -> list[Alert]:
    """Every detector over the history; each alert gets example completions from its step when known."""
    alerts = [alert for detector in DETECTORS.values() for alert in detector(history, thresholds)]
    if examples:
        for alert in alerts:
            alert.evidence.setdefault("examples", examples(alert.step))
    return alerts
