"""Training control across rollbacks, crashes and reruns: what a gate restores, what a resume picks up, what a rerun keeps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from test_sft import CrashAt
from tiny_rl import tiny_rl_config
from transformers import TrainerCallback

from safealign.config import GateConfig, RLConfig, SFTConfig
from safealign.errors import SafealignError
from safealign.runs import read_json, read_jsonl
from safealign.stages.rl import run_rl
from safealign.stages.sft import run_sft
from safealign.training.gates import GateCallback, GateMetrics, gate_stop


def rl_config(**overrides) -> RLConfig:
    return tiny_rl_config(**({"save_steps": 100} | overrides))


def gates(**overrides) -> dict:
    return {"enabled": True, "policy": "lower_lr", "min_items": 1} | overrides


def scripted_gate(refusals: list[float]):
    """A gate that reads the given refusal rates in turn (the first is the baseline), then the last one again."""
    calls: list[float] = []

    def evaluate(model) -> GateMetrics:
        value = refusals[min(len(calls), len(refusals) - 1)]
        calls.append(value)
        return GateMetrics(
            refusal=value, over_refusal=0.0, accuracy=0.0, harmful_items=20, borderline_items=20
        )

    return evaluate


def length(completions, **_) -> list[float]:
    """A reward that varies between completions, so that GRPO has a gradient (the tiny model repeats nothing)."""
    return [float(len(c[0]["content"] if isinstance(c, list) else c)) for c in completions]


def gated_rl(cfg, stage: Path, refusals: list[float], callbacks=(), length_reward: bool = True) -> None:
    """The tiny model's RL stage with a scripted gate (refusal rates in turn) and, by default, the length reward."""
    run_rl(
        cfg,
        "tiny:1",
        stage,
        precision="fp32",
        gate_evaluate=scripted_gate(refusals),
        callbacks=list(callbacks),
        extra_rewards={"length": length} if length_reward else None,
    )


def trainable(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def flat(weights: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([w.flatten() for w in weights.values()])


class Capture(TrainerCallback):
    """The trainable weights and Adam's first moment at the end of each step (after the gate: user callbacks run last)."""

    def __init__(self) -> None:
        self.weights: dict[int, dict[str, torch.Tensor]] = {}
        self.exp_avg: dict[int, torch.Tensor] = {}

    def on_step_end(self, args, state, control, model=None, optimizer=None, **kwargs):
        self.weights[state.global_step] = trainable(model)
        inner = getattr(optimizer, "optimizer", optimizer)
        moments = [
            inner.state[p]["exp_avg"].flatten()
            for p in model.parameters()
            if p.requires_grad and p in inner.state
        ]
        self.exp_avg[state.global_step] = torch.cat(moments).clone() if moments else torch.empty(0)


class KillAt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated kill")


def actions(stage: Path) -> list[tuple]:
    return [(e["step"], e["action"], e["rolled_back_to"]) for e in read_jsonl(stage / "gates.jsonl")]


def test_a_rollback_restores_adams_moments_and_the_gate_rows_reach_metrics_jsonl(tmp_path):
    """The rollback restored the weights but kept the breaching steps' Adam moments (99% of the first moment after
    it), so the next update went back along the breach; and gate/* rows never reached metrics.jsonl or the trackers."""
    stage, capture = tmp_path / "rl", Capture()
    cfg = rl_config(max_steps=6, gates=gates(every_steps=3))
    gated_rl(cfg, stage, [0.9, 0.9, 0.5], [capture])
    assert actions(stage) == [(0, "baseline", None), (3, "pass", None), (6, "rollback+lower_lr", 3)]
    assert torch.equal(flat(capture.weights[6]), flat(capture.weights[3]))
    assert capture.exp_avg[3].abs().sum() > 0 and torch.equal(capture.exp_avg[6], capture.exp_avg[3]), (
        "Adam's moments of step 3"
    )
    rows = read_jsonl(stage / "metrics.jsonl")
    assert [(r["step"], r["gate/refusal"]) for r in rows if "gate/refusal" in r] == [
        (0, 0.9),
        (3, 0.9),
        (6, 0.5),
    ]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3, 4, 5, 6]
    assert all("reward" in r for r in rows if "loss" in r), (
        "the gate's record took no reward metrics from the step's own"
    )


def test_a_gate_check_keeps_the_steps_own_log_row_and_rollouts(tmp_path):
    """The gate's log record, made in on_step_end, cleared control.should_log: the check step's own row (loss, rewards,
    its rollouts) was never logged, the next row averaged two steps, and detectors needing 2 x window steps said
    "needs 6 logged steps, has 5" and never ran."""
    stage = tmp_path / "rl"
    cfg = rl_config(max_steps=6, gates=gates(every_steps=3), hacking={"window": 3})
    gated_rl(cfg, stage, [0.9])
    rows = read_jsonl(stage / "metrics.jsonl")
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3, 4, 5, 6]
    assert all("reward" in r for r in rows if "loss" in r)
    assert [r["step"] for r in rows if "gate/refusal" in r] == [0, 3, 6]
    assert sorted({r["step"] for r in read_jsonl(stage / "rollouts.jsonl")}) == [1, 2, 3, 4, 5, 6]
    assert not [a for a in read_json(stage / "alerts.json") if a["severity"] == "info"], (
        "every detector judged"
    )


def test_a_resume_rolls_back_to_the_last_passing_check_not_to_the_checkpoint(tmp_path):
    """Resumed from checkpoint-6 (a pass at 4, no check at 6), the step-8 breach rolled back to checkpoint-6's weights,
    which no gate had checked, and recorded them as the passing step."""
    stage, first = tmp_path / "rl", Capture()
    cfg = rl_config(max_steps=8, save_steps=2, keep_checkpoints=None, gates=gates(every_steps=4))
    with pytest.raises(KeyboardInterrupt):
        gated_rl(cfg, stage, [0.9, 0.9], [first, KillAt(7)])
    resumed = Capture()
    gated_rl(cfg, stage, [0.5], [resumed])
    assert actions(stage) == [(0, "baseline", None), (4, "pass", None), (8, "rollback+lower_lr", 4)]
    assert torch.equal(flat(resumed.weights[8]), flat(first.weights[4]))
    assert torch.equal(resumed.exp_avg[8], first.exp_avg[4])


def test_a_resume_after_a_rollback_to_the_start_still_says_the_model_is_unchanged(tmp_path, fresh_tiny):
    """Rolled back to the start at step 2, killed at 3, resumed, stopped at 4: the event said 'rolled back to step 2'
    and gate_stop() no longer said the model was the starting one (an uninterrupted run does)."""
    stage = tmp_path / "rl"
    cfg = rl_config(max_steps=6, save_steps=2, gates=gates(every_steps=2, max_rollbacks=1))
    with pytest.raises(KeyboardInterrupt):
        gated_rl(cfg, stage, [0.9, 0.5], [KillAt(3)], length_reward=False)
    gated_rl(cfg, stage, [0.5], length_reward=False)
    events = read_jsonl(stage / "gates.jsonl")
    assert actions(stage) == [(0, "baseline", None), (2, "rollback+lower_lr", 0), (4, "rollback+stop", 0)]
    assert gate_stop(events)[1] is True
    from safealign.models import load_model

    final = dict(load_model(str(stage / "model")).model.named_parameters())
    start = dict(fresh_tiny.model.named_parameters())
    assert set(final) == set(start), "the saved model's parameters are not the starting model's"
    assert all(torch.equal(p, final[n]) for n, p in start.items())


def test_max_rollbacks_is_the_rollbacks_training_continues_after(tmp_path):
    """max_rollbacks 1: one rollback that training continues from, and the next breach rolls back and stops."""
    from safealign.config.sections import GateConfig as Section

    assert "the next breach rolls back and stops" in Section.model_fields["max_rollbacks"].description
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    gate = GateCallback(
        GateConfig(max_rollbacks=1, min_items=1), scripted_gate([0.9, 0.5]), tmp_path / "gates.jsonl"
    )
    gate.trainer = SimpleNamespace(
        optimizer=optimizer, lr_scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    )
    state = SimpleNamespace(global_step=0, is_world_process_zero=True, log_history=[])
    gate.on_train_begin(None, state, None, model=model)
    stops = []
    for step in (10, 20):
        state.global_step, control = step, SimpleNamespace(should_training_stop=False)
        gate.on_step_end(None, state, control, model=model)
        stops.append(control.should_training_stop)
    assert [e.action for e in gate.events] == [
        "baseline",
        "rollback+lower_lr",
        "rollback+stop",
    ] and stops == [False, True]


def test_no_resume_sets_the_earlier_attempts_checkpoints_aside(tmp_path):
    """--no-resume left attempt A's checkpoint-4 in place; attempt B crashed at step 3, and the next (resuming) run
    picked A's checkpoint-4, trained at A's learning rate, and finished it under B's settings."""
    stage = tmp_path / "rl"
    with pytest.raises(KeyboardInterrupt):
        run_rl(rl_config(max_steps=6, save_steps=2), "tiny:1", stage, precision="fp32", callbacks=[KillAt(5)])
    again = rl_config(max_steps=6, save_steps=2, learning_rate=3e-4)
    with pytest.raises(KeyboardInterrupt):
        run_rl(again, "tiny:1", stage, precision="fp32", resume=False, callbacks=[KillAt(3)])
    assert sorted(p.name for p in stage.glob("checkpoint-*")) == ["checkpoint-2"]
    (kept,) = (stage / "earlier_attempts").iterdir()
    assert sorted(p.name for p in kept.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    run_rl(again, "tiny:1", stage, precision="fp32")
    assert read_json(stage / "stage.json")["inputs"]["resumed_from"] == str(stage / "checkpoint-2")
    rates = {r["learning_rate"] for r in read_jsonl(stage / "metrics.jsonl") if "learning_rate" in r}
    assert 1e-3 not in rates and 3e-4 in rates, rates


def test_resuming_rl_under_another_system_prompt_is_refused(tmp_path):
    stage = tmp_path / "rl"
    with pytest.raises(KeyboardInterrupt):
        run_rl(
            rl_config(save_steps=2),
            "tiny:1",
            stage,
            precision="fp32",
            system_prompt="You are a pirate.",
            callbacks=[KillAt(3)],
        )
    with pytest.raises(SafealignError, match=r"system_prompt: 'You are a pirate.' -> 'You are careful.'"):
        run_rl(rl_config(save_steps=2), "tiny:1", stage, precision="fp32", system_prompt="You are careful.")


def write_rows(path: Path, n: int = 8) -> Path:
    rows = [
        {
            "kind": "benign",
            "messages": [
                {"role": "user", "content": f"Say {i}."},
                {"role": "assistant", "content": f"I say {i}."},
            ],
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def sft_config(data: Path, **overrides) -> SFTConfig:
    base = dict(
        datasets={str(data): 1.0},
        method="full",
        learning_rate=1e-3,
        max_steps=4,
        batch_size=2,
        save_steps=2,
        logging_steps=1,
        warmup_ratio=0.0,
        lr_scheduler="constant",
        max_length=64,
    )
    return SFTConfig(**(base | overrides))


def test_resuming_sft_under_another_system_prompt_is_refused(tmp_path):
    data = write_rows(tmp_path / "rows.jsonl")
    with pytest.raises(KeyboardInterrupt):
        run_sft(
            sft_config(data),
            "tiny",
            tmp_path / "sft",
            precision="fp32",
            system_prompt="You are a pirate.",
            callbacks=[CrashAt(3)],
        )
    with pytest.raises(SafealignError, match="system_prompt"):
        run_sft(
            sft_config(data), "tiny", tmp_path / "sft", precision="fp32", system_prompt="You are careful."
        )


class PoisonBefore(TrainerCallback):
    """A NaN weight from step ``step`` on (as a diverging run gets one)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        if state.global_step + 1 == self.step:
            with torch.no_grad():
                next(p for p in model.parameters() if p.requires_grad and p.dim() == 2).fill_(float("nan"))


def test_the_nan_guard_saves_no_checkpoint_of_nan_weights_between_logging_steps(tmp_path):
    """NaN from step 3, saves every 2 steps, logs every 5: checkpoint-4 was saved with NaN weights before the guard
    saw the step-5 log (transformers drops a NaN loss from it), and the error called it the last good checkpoint."""
    from safetensors.torch import load_file

    from safealign.training.callbacks import NanLossError

    data = write_rows(tmp_path / "rows.jsonl")
    cfg = sft_config(data, max_steps=8, logging_steps=5, keep_checkpoints=None)
    with pytest.raises(NanLossError, match="training stopped at step 4: non-finite weights") as caught:
        run_sft(cfg, "tiny:1", tmp_path / "sft", precision="fp32", callbacks=[PoisonBefore(3)])
    assert f"The last good checkpoint is {tmp_path / 'sft' / 'checkpoint-2'}." in str(caught.value)
    assert sorted(p.name for p in (tmp_path / "sft").glob("checkpoint-*")) == ["checkpoint-2"]
    weights = load_file(str(tmp_path / "sft" / "checkpoint-2" / "model.safetensors"))
    assert all(torch.isfinite(w).all() for w in weights.values())


def test_the_nan_guard_advice_is_one_a_rerun_accepts(tmp_path):
    """The error said to lower the learning rate (or switch precision, or fix the data), then rerun with --resume;
    a resume with any of those changed is refused. It now says to start the stage over with --no-resume."""
    from safealign.training.callbacks import NanLossError

    data = write_rows(tmp_path / "rows.jsonl")
    stage = tmp_path / "sft"
    with pytest.raises(NanLossError) as caught:
        run_sft(sft_config(data, max_steps=6), "tiny:1", stage, precision="fp32", callbacks=[PoisonBefore(3)])
    advice = str(caught.value)
    assert f"The last good checkpoint is {stage / 'checkpoint-2'}." in advice
    assert "Lower the learning rate" in advice and "--no-resume" in advice and "with --resume" not in advice
    assert f"delete {stage}/checkpoint-*" in advice
    lower = sft_config(data, max_steps=6, learning_rate=1e-4)
    with pytest.raises(SafealignError, match="would mix the two"):  # why the advice is not to resume
        run_sft(lower, "tiny:1", stage, precision="fp32")
    run_sft(lower, "tiny:1", stage, precision="fp32", resume=False)  # as advised: the stage starts over
    assert read_json(stage / "stage.json")["metrics"]["steps"] == 6


def test_a_critical_alert_stop_survives_a_kill_during_the_final_save(tmp_path):
    """stop_on_critical stopped the stage at a checkpoint; killed while saving the model, the rerun resumed from that
    checkpoint and trained on to max_steps (a gate's stop was kept, an alert's was not)."""
    stage = tmp_path / "rl"
    cfg = rl_config(
        max_steps=6,
        save_steps=1,
        beta=0.02,
        learning_rate=1e-2,
        hacking={"window": 2, "kl_ceiling": 1e-12, "stop_on_critical": True},
    )
    run_rl(cfg, "tiny:1", stage, precision="fp32", extra_rewards={"length": length})
    stopped = read_json(stage / "stage.json")["metrics"]["steps"]
    assert stopped < 6 and any(a["severity"] == "critical" for a in read_jsonl(stage / "alerts.jsonl"))
    (stage / "stage.json").unlink()  # as if killed while writing the final model
    shutil.rmtree(stage / "model")
    run_rl(cfg, "tiny:1", stage, precision="fp32", extra_rewards={"length": length})
    assert read_json(stage / "stage.json")["metrics"]["steps"] == stopped


def test_rl_after_a_retrained_sft_is_redone_not_kept(tmp_path, caplog):
    """Deleting sft/ and rerunning trained a new SFT model at the same path; RL (and every stage after it) was kept as
    done, trained from the old one, without a word."""
    from safealign.runs import retrained_input

    data = write_rows(tmp_path / "rows.jsonl")
    run_sft(sft_config(data, max_steps=2), "tiny", tmp_path / "sft", precision="fp32")
    sft_model = str(tmp_path / "sft" / "model")
    first = run_rl(rl_config(max_steps=1), sft_model, tmp_path / "rl", precision="fp32").record
    assert retrained_input(tmp_path / "rl") is None
    shutil.rmtree(tmp_path / "sft")
    run_sft(sft_config(data, max_steps=2, learning_rate=3e-2), "tiny", tmp_path / "sft", precision="fp32")
    assert retrained_input(tmp_path / "rl") == tmp_path / "sft"
    with caplog.at_level("WARNING", logger="safealign.runs"):
        again = run_rl(rl_config(max_steps=1), sft_model, tmp_path / "rl", precision="fp32").record
    assert again["started_at"] > first["started_at"], "RL trained again"
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert f"{tmp_path / 'sft'} was made again" in warning and "redoing rl" in warning, warning
    (kept,) = (tmp_path / "rl" / "earlier_attempts").iterdir()
    assert read_json(kept / "stage.json")["started_at"] == first["started_at"], (
        "the earlier result is kept aside"
    )
    assert retrained_input(tmp_path / "rl") is None


def test_a_breach_the_gate_rolled_back_raises_no_alert(tmp_path):
    """An over-refusal breach under lower_lr: the gate rolled it back and training went on, but the detectors read the
    failed check as the policy's, raised a critical refusal_collapse and, under stop_on_critical, stopped the stage at
    step 2 of 6 with the starting model, which the card then presented as a GRPO model."""
    over_refusal = iter([0.1, 0.4, 0.1, 0.1])

    def gate(model) -> GateMetrics:
        return GateMetrics(
            refusal=0.9, over_refusal=next(over_refusal), accuracy=0.2, harmful_items=20, borderline_items=20
        )

    stage = tmp_path / "rl"
    cfg = rl_config(max_steps=6, gates=gates(every_steps=2), hacking={"window": 2, "stop_on_critical": True})
    run_rl(cfg, "tiny:1", stage, precision="fp32", gate_evaluate=gate, extra_rewards={"length": length})
    assert actions(stage) == [
        (0, "baseline", None),
        (2, "rollback+lower_lr", 0),
        (4, "pass", None),
        (6, "pass", None),
    ]
    assert read_json(stage / "stage.json")["metrics"]["steps"] == 6
    assert "refusal_collapse" not in {a["detector"] for a in read_jsonl(stage / "alerts.jsonl")}
    assert "refusal_collapse" not in {
        a["detector"] for a in read_json(stage / "alerts.json") if a["severity"] != "info"
    }
    checks = [r for r in read_jsonl(stage / "metrics.jsonl") if "gate/passed" in r]
    assert [(r["step"], r["gate/passed"], r["gate/item_floor"]) for r in checks] == [
        (step, passed, 1 / 24) for step, passed in ((0, 1.0), (2, 0.0), (4, 1.0), (6, 1.0))
    ]


def test_a_damaged_baseline_row_is_named_with_its_way_out(tmp_path):
    """A baseline row missing a metric raised a bare TypeError from GateMetrics mid-resume."""
    log = tmp_path / "gates.jsonl"
    log.write_text(
        json.dumps({"step": 0, "action": "baseline", "metrics": {"refusal": 0.9, "over_refusal": 0.1}}) + "\n"
    )
    gate = GateCallback(GateConfig(), scripted_gate([0.9]), log)
    gate.trainer = SimpleNamespace(beta=0.0, optimizer=None)
    state = SimpleNamespace(global_step=4, is_world_process_zero=True)
    with pytest.raises(
        SafealignError,
        match=r"gates.jsonl: the baseline gate check of step 0 is damaged .*'accuracy'.*--no-resume",
    ):
        gate.on_train_begin(
            SimpleNamespace(output_dir=str(tmp_path)), state, None, model=torch.nn.Linear(2, 2)
        )
    log.write_text(
        json.dumps(
            {
                "step": 0,
                "action": "baseline",
                "metrics": {"refusal": "x", "over_refusal": 0.1, "accuracy": 0.2},
            }
        )
        + "\n"
    )
    with pytest.raises(SafealignError, match="a score that is not a number"):
        gate.on_train_begin(
            SimpleNamespace(output_dir=str(tmp_path)), state, None, model=torch.nn.Linear(2, 2)
        )
