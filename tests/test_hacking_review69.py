"""Review 69: the detectors read the same alerts live and offline, at their thresholds whatever the rounding."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.config import HackingConfig
from safealign.hacking import run_detectors
from safealign.training.callbacks import strict_json_row
from safealign.training.hacking_callback import HackingCallback


def alerts_of(
    history: list[dict], t: HackingConfig = HackingConfig(window=3)
) -> list[tuple[str, str, int, str]]:
    return [(a.detector, a.severity, a.step, a.message) for a in run_detectors(history, t)]


@pytest.mark.parametrize("kl", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_kl_reads_the_same_from_metrics_jsonl_as_live(kl):
    """metrics.jsonl writes a non-finite KL as null (named in ``non_finite``): read as NaN, an inf KL was "nan" in the
    audit where the live alert said "inf", and a -inf one raised a critical kl_blowup in the audit alone."""
    live = [{"step": 1, "loss": 0.1, "kl": 0.1}, {"step": 2, "loss": 0.1, "kl": kl}]
    logged = [json.loads(json.dumps(strict_json_row(record))) for record in live]
    assert logged[1]["kl"] is None  # as the stage writes it
    assert alerts_of(logged) == alerts_of(live)


def test_a_null_kl_without_a_note_is_still_a_blow_up():
    """TRL logs None for a KL with no finite value: no ``non_finite`` note, read as NaN."""
    assert [a[:3] for a in alerts_of([{"step": 1, "loss": 0.1, "kl": None}])] == [
        ("kl_blowup", "critical", 1)
    ]


@pytest.mark.parametrize(
    "key, values, detector",
    [
        ("safety/harmful_partial_rate", [0.1, 0.2, 0.3], "refusal_then_comply"),  # mean 0.19999999999999998
        ("text/repetition", [0.3, 0.4, 0.5], "repetition"),  # mean 0.39999999999999997
    ],
)
def test_a_recent_mean_exactly_at_a_level_threshold_fires_whatever_its_rounding(key, values, detector):
    """Three steps at 20% fired refusal_then_comply (0.20000000000000004); 10%, 20% and 30% did not."""
    history = [{"step": i + 1, key: v} for i, v in enumerate(values)]
    assert [a[0] for a in alerts_of(history)] == [detector]
    assert alerts_of([{"step": i + 1, key: values[1] - 0.01} for i in range(3)]) == []  # under it: nothing


def gate(step: int) -> dict:
    return {
        "step": step,
        "gate/accuracy": 0.5,
        "gate/refusal": 0.9,
        "gate/over_refusal": 0.1,
        "gate/passed": 1.0,
        "gate/item_floor": 0.0625,
    }


def test_an_alert_raised_at_a_gate_check_quotes_the_same_round_live_and_in_the_audit(tmp_path: Path):
    """A gate check logs before its step's training record, which writes that round's rollouts: the divergence alert
    the check raised quoted round 4 live and round 5 (written after it fired) in the audit."""
    stage = tmp_path / "rl"
    stage.mkdir()
    records = [gate(0)]
    records += [{"step": s, "loss": 0.1, "rewards/accuracy/mean": 0.1 if s < 3 else 0.6} for s in range(1, 5)]
    records += [gate(5), {"step": 5, "loss": 0.1, "rewards/accuracy/mean": 0.6}]
    callback = HackingCallback(HackingConfig(window=2), stage)
    state = SimpleNamespace(log_history=[], global_step=0, is_world_process_zero=True)
    for record in records:
        state.global_step = record["step"]
        if "loss" in record:  # the RolloutCallback, before this one, writes the round under its step
            with (stage / "rollouts.jsonl").open("a", encoding="utf-8") as handle:
                row = {"step": record["step"], "prompt": "p", "completion": f"round {record['step']}"}
                handle.write(json.dumps(row | {"kind": "reasoning"}) + "\n")
        state.log_history.append(record)
        logs = {k: v for k, v in record.items() if k != "step"}
        callback.on_log(None, state, SimpleNamespace(should_training_stop=False), logs=logs)
    live = [(a["detector"], [e["completion"] for e in a["evidence"]["examples"]]) for a in callback.alerts]
    assert live == [("reward_accuracy_divergence", ["round 4"])]

    (stage / "config.json").write_text(json.dumps({"rl": {"hacking": {"window": 2}}}))
    (stage / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = CliRunner().invoke(app, ["audit", str(stage)])
    assert result.exit_code == 0, result.output
    audited = json.loads((stage / "audit.json").read_text())
    assert [
        (a["detector"], [e["completion"] for e in a["evidence"]["examples"]])
        for a in audited
        if a["severity"] != "info"
    ] == live
