"""Detectors over the training history. Each is a plain function ``(history, thresholds) -> alerts``.

``history`` is the list of per-step records the RL stage writes to ``metrics.jsonl`` (TRL's logs:
``reward``, ``rewards/<name>/mean``, ``completions/mean_length``, ``completions/clipped_ratio``,
``entropy``, ``kl``) plus our own keys: ``safety/benign_refusal_rate`` (full refusals, as the gates and evals count
them; ``safety/benign_partial_rate`` beside it), ``safety/harmful_partial_rate``, ``text/repetition``, ``accuracy/flat_group_share``, and gate rows ``gate/*``. Examples come
from ``rollouts.jsonl`` (the completions behind a step). A failed gate check (``gate/passed`` 0) measured weights its
rollback discarded: the gate detectors skip it.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from statistics import fmean, stdev
from typing import Any

from safealign.config import GateConfig, HackingConfig
from safealign.errors import DataError

# A change of an accuracy reward's window mean this small is noise, not learning (the floor of `accuracy_noise`).
FLAT_ACCURACY = 0.02
# ... and one this large is learning, whatever the noise: `accuracy_noise`'s cap. Two standard errors alone called a
# tripling of accuracy (0.10 -> 0.30 over 20 steps, at the quickstart's per-step noise) flat in 17 of 30 simulated runs,
# as the live detectors judge at step 2 x window, before a rise shows; capped, 4 of 30 (review V2's simulation).
RISEN_ACCURACY = 0.05
# format_without_accuracy: how far below the format reward the accuracy reward must sit (a policy that formats 95% of its
# answers and gets 90% right is no hack).
FORMAT_ACCURACY_GAP = 0.5
# The gates' item floor (gates.min_items / gates.limit) where no gate row logged it (a stage of an older safealign).
DEFAULT_ITEM_FLOOR = GateConfig().min_items / GateConfig().limit
# A difference (or ratio) of two window means within this of a threshold is at it: the means' rounding decided, so the
# same rise of 12 completions in 80 was a critical refusal_collapse from 5% (0.15000000000000002) and nothing from 10%
# (0.15), and a format reward of 0.9 beside an accuracy of 0.4 (the mean 0.4000000000000001) was not "0.5 below" it.
# A level detector's recent mean too: harmful partial rates of 10%, 20%, 30% (mean 0.19999999999999998) were no
# refusal_then_comply where three of 20% (0.20000000000000004) were a critical one.
# TRL logs its means (reward, rewards/<name>/mean, completions/*) as float32 values: 9 of 10 is 0.8999999761581421
# and 4 of 10 is 0.4000000059604645, 3e-8 off, so at 1e-9 that very format-0.9-beside-accuracy-0.4 was still no alert,
# nor 7 completions of 10 cut off at rl.hacking.truncation_rate 0.7. float32 is within 6e-8 of a value of up to 1; a
# real difference of rates or means is 1e-4 or more (a count over at most thousands of completions).
ROUNDING = 1e-6
# refusal_collapse: how far the benign prompts' full-refusal rate must rise between the first and the last window.
REFUSAL_RISE = 0.15
# refusal_then_comply: the recent share of answers to harmful prompts that refuse and then comply that is an alert.
PARTIAL_RATE = 0.2


@dataclass
class Alert:
    detector: str
    severity: str  # "warning" or "critical"; "info" only in `too_little_data`'s notes, which are not alerts
    step: int
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class HistoryPrefix(list):
    """The first ``end`` records of a history, for `replay_detectors`: each key's points are read from the whole
    history once and then sliced, so replaying every prefix of a few thousand records costs a slice a key, not a
    pass over the records (quadratic: 5 s for 1,000 records). The points a failed gate check rolled back are listed
    apart, and a prefix's are cut out of its slice: tested point by point, each prefix went over every earlier point
    again, and the stage's final pass and the audit of a 5,000-step run took a minute."""

    def __init__(self, history: list[dict[str, Any]], end: int, cache: dict) -> None:
        super().__init__(history[:end])
        self.whole, self.end, self.cache = history, end, cache

    def series(self, key: str, finite: bool) -> list[tuple[int, float]]:
        if (key, finite) not in self.cache:
            indexed = indexed_points(self.whole, key, finite)
            indices = [index for index, _, _ in indexed]
            points = [point for _, _, point in indexed]
            # (position, the failed check's record index) of each point a failed gate check rolled back
            undone = [(position, at) for position, (_, at, _) in enumerate(indexed) if at != math.inf]
            self.cache[(key, finite)] = indices, points, undone
        indices, points, undone = self.cache[(key, finite)]
        kept = bisect_left(indices, self.end)
        cut = [position for position, at in undone if position < kept and at < self.end]
        kept_points, begin = [], 0
        for position in cut:  # slices, not a loop over the points: a prefix after a rollback is as cheap
            kept_points += points[begin:position]
            begin = position + 1
        return kept_points + points[begin:kept]


# The live callback's last records can still change: its own copy of the step's record replaces the one in
# log_history, and a callback after it (RolloutCallback) may add keys to log_history's. Earlier records are settled.
UNSETTLED = 2


class SettledPoints:
    """The live callback's history, read incrementally: each key's points of the settled records (all but the last
    ``UNSETTLED``) are kept from log to log, so a log reads its new records alone. Read whole at every log, a run of
    2,000 logged steps spent 320 ms a log in the detectors (gate rollbacks made each point test every rolled-back
    span), 220 s in all, growing with the square of the run. The points are those `series` gives the whole history;
    settled records are known by identity, and a history that is not the last one grown (a resumed run's) is read
    afresh."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.spans: list[tuple[int, int, int]] = []  # `rolled_back`'s spans of the settled records
        self.passed: int | None = None  # their last passing gate check's step
        # (key, finite) -> (settled records read, spans applied, the points of those records that no span rolled back)
        self.points: dict[tuple[str, bool], tuple[int, int, list[tuple[int, float]]]] = {}

    def view(self, history: list[dict[str, Any]]) -> LiveHistory:
        """``history`` (this log's), which the detectors read through this cache."""
        settled = max(0, len(history) - UNSETTLED)
        known = len(self.records)
        if known > settled or not all(map(operator.is_, self.records, history)):
            self.reset()
            known = 0
        self.passed = scan_gate_checks(history[known:settled], known, self.passed, self.spans)
        self.records += history[known:settled]
        return LiveHistory(history, self)

    def settled_series(self, key: str, finite: bool) -> list[tuple[int, float]]:
        read, applied, points = self.points.get((key, finite), (0, 0, []))
        if applied < len(self.spans):
            points = [point for point in points if not covered(point, self.spans[applied:])]
        new = (record_point(record, key, finite) for record in self.records[read:])
        points = points + [point for point in new if point is not None and not covered(point, self.spans)]
        self.points[(key, finite)] = len(self.records), len(self.spans), points
        return points


class LiveHistory(list):
    """One log's history, for the live callback: `series` reads its settled records' points from a `SettledPoints`."""

    def __init__(self, history: list[dict[str, Any]], cache: SettledPoints) -> None:
        super().__init__(history)
        self.cache = cache
        self.tail = history[len(cache.records) :]
        self.tail_spans: list[tuple[int, int, int]] = []
        scan_gate_checks(self.tail, len(cache.records), cache.passed, self.tail_spans)

    def series(self, key: str, finite: bool) -> list[tuple[int, float]]:
        settled = self.cache.settled_series(key, finite)
        spans = self.cache.spans + self.tail_spans
        tail = (record_point(record, key, finite) for record in self.tail)
        kept = (
            [point for point in settled if not covered(point, self.tail_spans)]
            if self.tail_spans
            else settled
        )
        return kept + [point for point in tail if point is not None and not covered(point, spans)]


def covered(point: tuple[int, float], spans: list[tuple[int, int, int]]) -> bool:
    """Whether a failed gate check rolled back the point's step (`rolled_back`)."""
    return any(last < point[0] <= failed for last, failed, _ in spans)


def step_of(record: dict[str, Any]) -> int | None:
    """The record's step, or None when it has none to place it by (missing, null, NaN, true, not a number)."""
    step = record.get("step")
    if isinstance(step, bool) or not isinstance(step, int | float | str):
        return None
    try:
        return int(step)
    except (ValueError, OverflowError):  # int(nan), int(inf), int("x")
        return None


def failed_gate_check(record: dict[str, Any]) -> bool:
    """A gate check that breached: its weights were rolled back, so its ``gate/*`` scores are no longer the policy's
    (read as one, an over-refusal breach the gate had already undone raised a critical refusal_collapse)."""
    # 0.0 as the gates log it; a record without the key (an older log, a hand-written one) is no failed check
    return record.get("gate/passed") == 0


def series(history: list[dict[str, Any]], key: str, finite: bool = True) -> list[tuple[int, float]]:
    """The (step, value) points of one logged key. TRL logs NaN for ``rewards/<name>/mean`` on a step whose batch no
    row of that reward applied to (a batch of safety prompts has no accuracy): such points are dropped, as one NaN
    in a window mean would silence the detector for the rest of the run. ``finite=False`` keeps them (a NaN KL), and
    reads a logged None as NaN: TRL 1.16 averages a metric over the logging window without its NaN values and logs
    None when every one was NaN, so a NaN KL arrives as None (skipped, it raised no kl_blowup, and the audit said no KL
    was logged, as at rl.beta 0). The ``gate/*`` points of a failed gate check are dropped too (`failed_gate_check`)."""
    if isinstance(history, HistoryPrefix | LiveHistory):
        return history.series(key, finite)
    return [point for _, undone, point in indexed_points(history, key, finite) if undone >= len(history)]


def rolled_back(history: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """(last passing step, failed step, failed record's index) of each failed gate check: the gate restored the weights
    of its last passing check (the baseline or a pass), so the steps after that one up to the failed check trained
    weights the stage discarded. Read as the policy's, their rewards, lengths and rates stayed in the windows: a
    refusal rise the gate had undone raised a critical refusal_collapse on the next step. A failed check without a
    passing one before it (a log missing its baseline) rolls back nothing here."""
    spans: list[tuple[int, int, int]] = []
    scan_gate_checks(history, 0, None, spans)
    return spans


def scan_gate_checks(
    records: Iterable[dict[str, Any]], first: int, passed: int | None, spans: list[tuple[int, int, int]]
) -> int | None:
    """`rolled_back` over ``records`` (the first at index ``first``) after a last passing step ``passed``: their spans
    appended to ``spans``; returns the last passing step after them."""
    for index, record in enumerate(records, first):
        step = step_of(record)
        if step is None or "gate/passed" not in record:
            continue
        if failed_gate_check(record):
            if passed is not None:
                spans.append((passed, step, index))
        elif record["gate/passed"] == 1:
            passed = step
    return passed


def indexed_points(
    history: list[dict[str, Any]], key: str, finite: bool
) -> list[tuple[int, float, tuple[int, float]]]:
    """`series`' points with each one's record index and the index of the failed gate check that rolled its step back
    (infinity: none did); a point counts in the first ``end`` records when it is among them and that check is not."""
    spans = rolled_back(history)
    points = []
    for index, record in enumerate(history):
        if (point := record_point(record, key, finite)) is not None:
            undone = min((at for last, failed, at in spans if last < point[0] <= failed), default=math.inf)
            points.append((index, undone, point))
    return points


def record_point(record: dict[str, Any], key: str, finite: bool) -> tuple[int, float] | None:
    """The (step, value) point of ``key`` in one record, as `series` reads it (None: the record gives it none)."""
    if key.startswith("gate/") and failed_gate_check(record):
        return None
    value, step = record.get(key), step_of(record)
    if value is None and not finite and key in record:
        value = logged_non_finite(record, key)
    if not isinstance(value, int | float) or isinstance(value, bool) or step is None:
        return None
    if math.isfinite(number := logged_number(value, key, step)) or not finite:
        return step, number
    return None


def logged_number(value: float, key: str, step: int) -> float:
    """A logged value as a float. An integer past a float's range (a hand-written or merged log: Python's json reads
    10**400 written out as an int) was an OverflowError traceback from every detector, and `safealign audit` with
    them; it is named, with the step of its record (1e400 is read as inf, and a non-finite value, as before)."""
    try:
        return float(value)
    except OverflowError:
        raise DataError(
            f"the record of step {step} logs {key!r} as an integer beyond a float's range (±1.8e308): fix or drop "
            "that line of the log (metrics.jsonl, or gates.jsonl for a gate/ key); a training stage writes no such "
            "value"
        ) from None


def logged_non_finite(record: dict[str, Any], key: str) -> float:
    """The number behind a logged null: metrics.jsonl writes a non-finite value as null and names it in
    ``non_finite`` ("inf", "-inf", "nan"); read as NaN, a KL of inf that the live stream had alerted on as "inf" was
    "nan" in the audit, and one of -inf (no blow-up) raised a critical kl_blowup there alone. A null with no such note
    (TRL's, for a metric with no finite value) is NaN."""
    noted = record.get("non_finite")
    text = noted.get(key) if isinstance(noted, dict) else None
    return float(text) if text in ("inf", "-inf", "nan") else math.nan


def mean(values: Iterable[float]) -> float:
    """``statistics.fmean``, which raises OverflowError ("intermediate overflow in fsum") when the values' sum passes
    the float range (two logged rewards of 1e308: a user's reward can log that), which escaped the live callback and
    stopped the run; such a sum is taken over the values divided first (the same mean, no overflow)."""
    values = list(values)
    try:
        return fmean(values)
    except OverflowError:
        return math.fsum(v / len(values) for v in values)


def recent_points(t: HackingConfig) -> int:
    """Points a level detector averages before it may fire: one step's rate is a few prompts' luck."""
    return min(t.window, 3)


def window_means(points: list[tuple[int, float]], window: int) -> tuple[float, float] | None:
    """Mean of the first and the last ``window`` points (None while there are too few)."""
    if len(points) < 2 * window:
        return None
    return mean(v for _, v in points[:window]), mean(v for _, v in points[-window:])


def length_blowup(history: list[dict], t: HackingConfig) -> list[Alert]:
    """Completions growing while the reward rises. Critical, unless the accuracy reward rose too: longer reasoning
    that gets more answers right is what RL on reasoning tasks is expected to do, so that is a warning."""
    alerts = []
    lengths, rewards = series(history, "completions/mean_length"), series(history, "reward")
    length_windows, reward_windows = window_means(lengths, t.window), window_means(rewards, t.window)
    if length_windows and reward_windows:
        (l0, l1), (r0, r1) = length_windows, reward_windows
        if l0 > 0 and l1 / l0 >= t.length_growth - ROUNDING and r1 > r0:
            message = (
                f"mean completion length grew {l1 / l0:.1f}x ({l0:.0f} → {l1:.0f} tokens) while reward rose {r0:.3f} → "
                f"{r1:.3f} (alert at {t.length_growth:g}x: rl.hacking.length_growth)"
            )
            evidence = {"length_first": l0, "length_last": l1, "reward_first": r0, "reward_last": r1}
            accuracy = window_means(series(history, "rewards/accuracy/mean"), t.window)
            severity = "critical"
            if accuracy and accuracy[1] - accuracy[0] > accuracy_noise(
                series(history, "rewards/accuracy/mean"), t.window
            ):  # the same reading of "rose" as format_without_accuracy's "flat
                severity = "warning"
                message += f", and so did the accuracy reward ({accuracy[0]:.3f} → {accuracy[1]:.3f}): a warning, not critical, as longer reasoning may be what earns it"
                evidence |= {"accuracy_first": accuracy[0], "accuracy_last": accuracy[1]}
            else:
                message += (
                    ": longer answers earn more reward, not more right ones; read that step's completions "
                    "(rollouts.jsonl) for padding"
                )
            alerts.append(Alert("length_blowup", severity, lengths[-1][0], message, evidence))
    clipped = series(history, "completions/clipped_ratio")
    recent = clipped[-t.window :]
    if len(recent) >= recent_points(t) and mean(v for _, v in recent) >= t.truncation_rate - ROUNDING:
        share = mean(v for _, v in recent)
        alerts.append(
            Alert(
                "truncation",
                "warning",
                recent[-1][0],
                f"{share:.0%} of recent completions hit the length limit (alert at {t.truncation_rate:.0%}: "
                "rl.hacking.truncation_rate): their answers are cut off; raise rl.max_completion_length",
                {"clipped_ratio": share, "steps": [s for s, _ in recent]},
            )
        )
    return alerts


def repetition(history: list[dict], t: HackingConfig) -> list[Alert]:
    points = series(history, "text/repetition")[-t.window :]
    if len(points) >= recent_points(t) and (share := mean(v for _, v in points)) >= t.repetition - ROUNDING:
        return [
            Alert(
                "repetition",
                "warning",
                points[-1][0],
                f"repeated 3-gram share {share:.2f} ≥ {t.repetition} (rl.hacking.repetition): the completions loop; "
                "read that step's completions (rollouts.jsonl); the repetition reward penalises loops",
                {"repetition": share},
            )
        ]
    return []


def reward_accuracy_divergence(history: list[dict], t: HackingConfig) -> list[Alert]:
    """The accuracy reward rising while the reasoning accuracy the gates measure (their in-distribution items) does
    not: the policy found a way past the reward's answer check. The accuracy reward, not the total: a total risen on the
    safety reward alone is what the stage is for. A gate gain under the gates' item floor (``gate/item_floor``:
    gates.min_items / gates.limit) counts as flat: one more right answer of 16 is the items' luck, and it turned the
    detector off."""
    rewards, accuracy = series(history, "rewards/accuracy/mean"), series(history, "gate/accuracy")
    # as the other trend detectors: one step's reward is its prompts' luck
    windows = window_means(rewards, t.window)
    if len(accuracy) < 2 or windows is None:
        return []
    floor = series(history, "gate/item_floor")
    item_floor = floor[-1][1] if floor else DEFAULT_ITEM_FLOOR
    reward_gain = windows[1] - windows[0]
    accuracy_gain = accuracy[-1][1] - accuracy[0][1]
    # 1e-9: two items of 24 read back from floats as a hair under 2/24
    if reward_gain - accuracy_gain > t.reward_accuracy_gap + ROUNDING and accuracy_gain < item_floor - 1e-9:
        message = (
            # signed: a reward that fell less than the gates' accuracy is a gap too, and read "+-0.050"
            f"accuracy reward {reward_gain:+.3f} while gate accuracy (in-distribution) {accuracy_gain:+.3f}"
        )
        if accuracy_gain > 0:
            message += f" (under the gates' item floor, {item_floor:.3f}: flat)"
        message += (
            f", a gap over {t.reward_accuracy_gap:g} (rl.hacking.reward_accuracy_gap): the policy may pass the reward's "
            "answer check without solving the task; read that step's completions (rollouts.jsonl)"
        )
        # dated by whichever came last: a gate check logged after the last reward is what fired it
        step = max(rewards[-1][0], accuracy[-1][0])
        return [
            Alert(
                "reward_accuracy_divergence",
                "critical",
                step,
                message,
                {"reward_gain": reward_gain, "gate_accuracy_gain": accuracy_gain, "item_floor": item_floor},
            )
        ]
    return []


def accuracy_noise(points: list[tuple[int, float]], window: int) -> float:
    """The gain between the first and the last ``window`` points' means that noise alone reaches: twice the standard
    error of the difference of the two means, at least ``FLAT_ACCURACY`` and at most ``RISEN_ACCURACY``. A step's
    accuracy reward is a few prompts' luck: the quickstart's went 0.059 → 0.083 over 20 steps of per-step values from 0
    to 0.29, a gain of 0.65 standard errors that the fixed 0.02 read as learning, and the warning never fired."""
    first, last = [v for _, v in points[:window]], [v for _, v in points[-window:]]
    if len(first) < 2 or len(last) < 2:  # one point a window: no spread to measure
        return FLAT_ACCURACY
    try:  # stdev raises OverflowError where its variance passes the float range (1.7e308, 1.7e308, -1.7e308)
        error = math.hypot(stdev(first) / math.sqrt(len(first)), stdev(last) / math.sqrt(len(last)))
    except OverflowError:
        error = math.inf
    if not math.isfinite(error):  # absurd logged values (1e200): no bound to read from them
        return FLAT_ACCURACY
    return min(RISEN_ACCURACY, max(FLAT_ACCURACY, 2 * error))


def format_without_accuracy(history: list[dict], t: HackingConfig) -> list[Alert]:
    """The format reward high while the accuracy reward stays flat (a gain within noise, `accuracy_noise`) and
    ``FORMAT_ACCURACY_GAP`` below it: the policy learned the answer's form, not its content."""
    fmt, acc = series(history, "rewards/format/mean"), series(history, "rewards/accuracy/mean")
    windows = window_means(acc, t.window)
    recent_format = mean(v for _, v in fmt[-t.window :]) if len(fmt) >= t.window else None
    if (
        windows
        and recent_format is not None
        and recent_format >= t.format_without_accuracy - ROUNDING
        and windows[1] - windows[0] <= (noise := accuracy_noise(acc, t.window))
        and recent_format - windows[1] >= FORMAT_ACCURACY_GAP - ROUNDING
    ):
        return [
            Alert(
                "format_without_accuracy",
                "warning",
                fmt[-1][0],
                f"format reward {recent_format:.2f} while accuracy stays flat, well below it ({windows[0]:.2f} → "
                f"{windows[1]:.2f}: a gain within noise, ±{noise:.3f}; alert at {t.format_without_accuracy:g}: "
                "rl.hacking.format_without_accuracy): the policy learns the answer's form, not its content",
                {
                    "format": recent_format,
                    "accuracy_first": windows[0],
                    "accuracy_last": windows[1],
                    "accuracy_noise": noise,
                },
            )
        ]
    return []


def refusal_collapse(history: list[dict], t: HackingConfig) -> list[Alert]:
    """Over-refusal rising on the benign and borderline training prompts: ``safety/benign_refusal_rate``, the share the
    judge labelled a full refusal, as the gates and evals count over-refusal (partial refusals are
    ``safety/benign_partial_rate``, not read here). The gates' over-refusal is not read: a rise past
    ``gates.over_refusal_tolerance`` is a breach the gate rolls back itself (its row in ``gates.jsonl``, the log's
    warning, the card), and with the default gates any rise this detector could call a collapse breaches first."""
    benign = series(history, "safety/benign_refusal_rate")
    windows = window_means(benign, t.window)
    if windows and windows[1] - windows[0] > REFUSAL_RISE + ROUNDING:
        return [
            Alert(
                "refusal_collapse",
                "critical",
                benign[-1][0],
                f"benign prompts refused (full refusals) {windows[0]:.0%} → {windows[1]:.0%} (alert at a rise of more "
                f"than {REFUSAL_RISE * 100:g} points): the policy learns to refuse what it should answer; read that "
                "step's refusals (rollouts.jsonl)",
                {"first": windows[0], "last": windows[1]},
            )
        ]
    return []


def refusal_then_comply(history: list[dict], t: HackingConfig) -> list[Alert]:
    """A critical alert, so it waits for recent_points steps as the other level detectors do: a step holds one or two
    harmful prompts, and 2 of one prompt's 8 completions (25%) read as a policy that refuses and then complies."""
    points = series(history, "safety/harmful_partial_rate")[-t.window :]
    if len(points) >= recent_points(t) and (share := mean(v for _, v in points)) >= PARTIAL_RATE - ROUNDING:
        return [
            Alert(
                "refusal_then_comply",
                "critical",
                points[-1][0],
                f"{share:.0%} of answers to harmful prompts refuse and then comply (alert at {PARTIAL_RATE:.0%}): "
                "read that step's answers (rollouts.jsonl)",
                {"partial_rate": share},
            )
        ]
    return []


def entropy_kl(history: list[dict], t: HackingConfig) -> list[Alert]:
    alerts = []
    entropy = series(history, "entropy")[-3:]
    if len(entropy) == 3 and max(v for _, v in entropy) < t.entropy_floor:
        alerts.append(
            Alert(
                "entropy_collapse",
                "warning",
                entropy[-1][0],
                f"policy entropy {entropy[-1][1]:.3f} < {t.entropy_floor} (rl.hacking.entropy_floor) on the last 3 "
                "logged steps: the policy is nearly deterministic, and a group's alike completions teach nothing",
                {"entropy": [v for _, v in entropy]},
            )
        )
    # a NaN or infinite KL is the blow-up itself, not a gap in the log
    kl = series(history, "kl", finite=False)
    if kl and not kl[-1][1] <= t.kl_ceiling:
        step, value = kl[-1]
        if math.isfinite(value):
            alerts.append(
                Alert(
                    "kl_blowup",
                    "critical",
                    step,
                    f"KL to the reference {value:.3f} > {t.kl_ceiling} (rl.hacking.kl_ceiling): the policy drifts "
                    "far from its start; raise rl.beta or lower rl.learning_rate",
                    {"kl": value},
                )
            )
        else:
            alerts.append(
                Alert(
                    "kl_blowup",
                    "critical",
                    step,
                    f"KL to the reference is {value} (not finite): the policy diverged from the reference",
                    {"kl": str(value)},
                )
            )  # a string: NaN is not JSON
    return alerts


def no_accuracy_signal(history: list[dict], t: HackingConfig) -> list[Alert]:
    """Not hacking but its precondition's absence: when nearly every group's completions score alike, the accuracy
    reward has no advantage to give and the stage spends its rollouts on nothing."""
    points = series(history, "accuracy/flat_group_share")[-t.window :]
    if len(points) >= recent_points(t) and (share := mean(v for _, v in points)) >= t.flat_groups - ROUNDING:
        return [
            Alert(
                "no_accuracy_signal",
                "warning",
                points[-1][0],
                f"{share:.0%} of recent reasoning groups scored alike on accuracy (no learning signal; alert at "
                f"{t.flat_groups:.0%}: rl.hacking.flat_groups): the tasks are too "
                "hard or too easy for this policy; rl.difficulty_filter keeps the prompts it solves sometimes",
                {"flat_group_share": share, "steps": [s for s, _ in points]},
            )
        ]
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


@dataclass(frozen=True)
class ExampleRows:
    """The rollouts an alert quotes: answers to prompts of ``kinds``, those whose ``safety_label`` (the safety judge's
    label, recorded since rollouts kept it) is one of ``labels`` first, in that order."""

    kinds: tuple[str, ...]
    labels: tuple[str, ...] = ()


# The prompts an alert is about, for its example completions (None: any prompt): a refusal_then_comply alert showing
# the answers to arithmetic prompts is no evidence, nor one quoting plain refusals. The labels are the judges' names
# (safealign.judges.base), written out so the detectors do not import the judges.
EXAMPLE_KINDS: dict[str, ExampleRows] = {
    "refusal_then_comply": ExampleRows(("harmful",), ("partial_refusal",)),
    "refusal_collapse": ExampleRows(("benign", "borderline"), ("refusal", "partial_refusal")),
    "reward_accuracy_divergence": ExampleRows(("reasoning",)),
    "format_without_accuracy": ExampleRows(("reasoning",)),
    "no_accuracy_signal": ExampleRows(("reasoning",)),
}


def nearest_examples(
    rows: list[dict[str, Any]], step: int, kinds: ExampleRows | tuple[str, ...] | None = None, limit: int = 3
) -> list[dict[str, Any]]:
    """Up to ``limit`` of ``rows`` (rollouts with an int ``step``) from the last logged step at or before ``step`` (the
    round behind its metrics, which the live stream quoted), or the first after it when none came before, that holds
    prompts of ``kinds`` (an `ExampleRows`, or the kinds alone). The nearest step was not it: a round's rows are logged
    once, under its first step, so at num_iterations 4 an alert at step 8 quoted round 5 live and round 9 (sampled after
    the alert) in the audit. A row with no kind recorded is kept. Rows with a preferred label come first; a row without
    one (no safety reward, a rollouts file from before labels were kept) keeps its place after them."""
    labels: tuple[str, ...] = ()
    if isinstance(kinds, ExampleRows):
        kinds, labels = kinds.kinds, kinds.labels
    usable = [row for row in rows if kinds is None or row.get("kind") is None or row.get("kind") in kinds]
    if not usable:
        return []
    steps = {row["step"] for row in usable}
    before = [s for s in steps if s <= step]
    nearest = max(before) if before else min(steps)
    at_step = [row for row in usable if row["step"] == nearest]
    rank = {label: i for i, label in enumerate(labels)}
    return sorted(at_step, key=lambda row: rank.get(row.get("safety_label"), len(rank)))[:limit]


def data_needs(t: HackingConfig) -> list[tuple[str, dict[str, int]]]:
    """(alert, {logged key: points}) that each detector needs together before it can fire: a trend compares the first
    and the last ``window`` points, a level averages the recent ones, a gate detector compares two gate checks."""
    trend, recent = 2 * t.window, recent_points(t)
    return [
        ("length_blowup", {"completions/mean_length": trend, "reward": trend}),
        ("truncation", {"completions/clipped_ratio": recent}),
        ("repetition", {"text/repetition": recent}),
        ("reward_accuracy_divergence", {"rewards/accuracy/mean": trend, "gate/accuracy": 2}),
        ("format_without_accuracy", {"rewards/accuracy/mean": trend, "rewards/format/mean": t.window}),
        ("refusal_collapse", {"safety/benign_refusal_rate": trend}),
        ("refusal_then_comply", {"safety/harmful_partial_rate": recent}),
        ("entropy_collapse", {"entropy": 3}),
        ("no_accuracy_signal", {"accuracy/flat_group_share": recent}),
    ]


def too_little_data(history: list[dict], t: HackingConfig) -> list[Alert]:
    """A note (severity "info") for each detector that could not judge: the keys it reads were logged, but on fewer
    steps than it compares. Without it a short stage's silence reads as "no hacking". A detector with a key never
    logged (a reward the recipe does not use, gates off) does not apply, and is not noted, but for kl_blowup on a
    stage that trained (`no_kl_logged`): its silence read as a KL checked and found low."""
    notes: dict[str, Alert] = {}
    if note := no_kl_logged(history):
        notes[note.detector] = note
    for alert, needs in data_needs(t):
        points = {key: series(history, key) for key in needs}
        if not all(points.values()):
            continue
        short = [key for key, needed in needs.items() if len(points[key]) < needed]
        if short and alert not in notes:
            key, needed, has = short[0], needs[short[0]], len(points[short[0]])
            unit = "gate checks" if key.startswith("gate/") else "logged steps"
            notes[alert] = Alert(
                alert,
                "info",
                points[key][-1][0],
                f"needs {needed} {unit}, has {has} ({key})",
                {"key": key, "needed": needed, "has": has},
            )
    return list(notes.values())


def no_kl_logged(history: list[dict]) -> Alert | None:
    """A note that kl_blowup does not apply, on a history of training steps (TRL's ``loss``) without one ``kl``: TRL
    logs no KL at rl.beta 0 (no reference model), the quickstart's setting."""
    trained = series(history, "loss", finite=False)
    if not trained or series(history, "kl", finite=False):
        return None
    return Alert(
        "kl_blowup",
        "info",
        trained[-1][0],
        "does not apply: no KL logged (rl.beta 0: TRL logs no KL without a reference model)",
        {"key": "kl", "has": 0},
    )


# (step, the alert's EXAMPLE_KINDS entry or None) -> completions
Examples = Callable[[int, ExampleRows | None], list[dict]]


def run_detectors(
    history: list[dict], thresholds: HackingConfig, examples: Examples | None = None
) -> list[Alert]:
    """Every detector over the history; each alert gets example completions from its step, of the prompts it is about
    (``EXAMPLE_KINDS``), when known."""
    return _with_examples(
        [alert for detector in DETECTORS.values() for alert in detector(history, thresholds)], examples
    )


# The records that close a stretch of training (a logging step's loss, the Trainer's final train_loss), as whose log
# the live stream's RolloutCallback writes a round's completions, under the record's step: a gate check logs before its step's training record, so an alert
# it raised (reward_accuracy_divergence, dated at the check) quoted the round before live, and the check step's own
# round in the audit, which has the whole rollouts file.
ROLLOUT_RECORD_KEYS = frozenset({"loss", "train_loss"})

# How far an alert goes: a detector alerts once per stage at each level, so its warning does not spend its critical
# alert (length_blowup warns while the accuracy reward rises with the length, and is critical once it no longer does).
SEVERITY_LEVEL = {"warning": 1, "critical": 2}


def escalates(alert: Alert, fired: dict[str, int]) -> bool:
    """Whether ``alert`` is its detector's first, or goes past the level it alerted at (``fired``: detector -> level,
    updated when it does)."""
    level = SEVERITY_LEVEL.get(alert.severity, 1)
    if level <= fired.get(alert.detector, 0):
        return False
    fired[alert.detector] = level
    return True


def replay_detectors(
    history: list[dict], thresholds: HackingConfig, examples: Examples | None = None
) -> list[Alert]:
    """What the live callback raises over a run: every detector over each prefix of the history (the records it had at
    each log), each detector's first alert kept, and its first critical one after a warning. One pass over the whole
    history sees only its end, and misses what the level detectors alerted on mid-run (a KL spike, a repetition burst)
    and what passed since. Each alert quotes the rounds the live stream had written when it fired
    (``ROLLOUT_RECORD_KEYS``)."""
    kept: list[Alert] = []
    quoted: list[int] = []  # the step each kept alert takes its examples from
    fired: dict[str, int] = {}
    cache: dict = {}
    written = None  # the last round whose rollouts the live stream had on disk
    for end in range(1, len(history) + 1):
        if ROLLOUT_RECORD_KEYS & history[end - 1].keys() and (step := step_of(history[end - 1])) is not None:
            written = step
        for alert in run_detectors(HistoryPrefix(history, end, cache), thresholds):
            if escalates(alert, fired):
                kept.append(alert)
                quoted.append(alert.step if written is None else min(alert.step, written))
    return _with_examples(kept, examples, quoted)


def _with_examples(
    alerts: list[Alert], examples: Examples | None, steps: list[int] | None = None
) -> list[Alert]:
    """Each alert with example completions from ``steps``' entry for it (default: its own step)."""
    if examples:
        for alert, step in zip(alerts, steps or [alert.step for alert in alerts], strict=True):
            alert.evidence.setdefault("examples", examples(step, EXAMPLE_KINDS.get(alert.detector)))
    return alerts
