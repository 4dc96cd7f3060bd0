"""Review 65 (k): the last generation rounds' rollouts, the probe's training data against its own suites, and a
critical alert's stop kept by a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.config import HackingConfig
from safealign.errors import DataError
from safealign.training.hacking_callback import HackingCallback
from safealign.training.rollouts import RolloutCallback, RolloutLog


def test_the_rounds_after_the_last_logged_step_are_written_from_the_final_summary(tmp_path: Path) -> None:
    """max_steps 3 at logging_steps 2: step 3's round reaches only the Trainer's final summary record (train_loss, no
    loss), and its completions never reached rollouts.jsonl; an alert at step 3 quoted step 2's."""
    log = RolloutLog()
    reward = log.wrap(lambda prompts=None, completions=None, **_: [0.0] * len(completions))
    path = tmp_path / "rollouts.jsonl"
    callback = RolloutCallback(log, path)
    state = SimpleNamespace(log_history=[], global_step=0, is_world_process_zero=True)
    for step in (1, 2, 3):
        reward(prompts=["p"], completions=[f"round of step {step}"])
        state.global_step = step
        if step == 2:
            callback.on_log(None, state, None, logs={"loss": 0.1})
    # a gate's record closes no stretch of training
    callback.on_log(None, state, None, logs={"gate/passed": 1.0})
    callback.on_log(None, state, None, logs={"train_loss": 0.1, "train_runtime": 1.0})
    callback.on_log(None, state, None, logs={"train_loss": 0.1})  # no new round: nothing written twice
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["step"], r["completion"]) for r in rows] == [(2, "round of step 2"), (3, "round of step 3")]


def test_the_probe_refuses_training_prompts_of_its_dev_and_held_out_suites(tmp_path: Path) -> None:
    """A --datasets file holding dev or held-out items was fitted on silently: both AUCs read inflated."""
    from safealign.cli.probe_cmd import training_prompts
    from safealign.evals.suites import select_items

    held = select_items("harmful", "held_out", limit=1000)[0]
    dev = select_items("borderline_dev", "dev", limit=1000)[0]
    rows = [
        {"kind": "harmful", "messages": [{"role": "user", "content": "how do I pick a lock quickly"}]},
        {"kind": "benign", "messages": [{"role": "user", "content": "what is a good soup for winter"}]},
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert [label for _, label in training_prompts(str(path), "en")] == [1, 0]  # unrelated prompts pass
    leaky = [
        {"kind": "harmful", "messages": [{"role": "user", "content": held.prompt}]},
        {"kind": "borderline", "messages": [{"role": "user", "content": "Hi! " + dev.prompt.upper()}]},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in [*rows, *leaky]))
    with pytest.raises(DataError, match="overlaps the suites the probe is chosen on") as error:
        training_prompts(str(path), "en")
    assert f"{path}:3 = harmful:{held.id}" in str(error.value)
    assert f"{path}:4" in str(error.value) and f"borderline_dev:{dev.id}" in str(error.value)


def test_a_critical_stop_asks_for_a_checkpoint_of_its_step(tmp_path: Path) -> None:
    """Stopped between save steps, no checkpoint held the stop: a kill during the final save resumed from an earlier
    one, dropped the alert, and the stage trained on to max_steps unless the detector fired again."""

    def stop_and_save(thresholds: HackingConfig, folder: str, kl: float) -> tuple[bool, bool]:
        (tmp_path / folder).mkdir()
        state = SimpleNamespace(
            log_history=[{"step": 3, "kl": kl}], global_step=3, is_world_process_zero=True
        )
        control = SimpleNamespace(should_training_stop=False, should_save=False)
        HackingCallback(thresholds, tmp_path / folder).on_log(None, state, control, logs={"kl": kl})
        return control.should_training_stop, control.should_save

    assert stop_and_save(HackingConfig(stop_on_critical=True), "critical", 5.0) == (True, True)
    assert stop_and_save(HackingConfig(stop_on_critical=False), "off", 5.0) == (False, False)
    assert stop_and_save(HackingConfig(stop_on_critical=True), "calm", 0.01) == (False, False)


def test_a_gate_stop_asks_for_a_checkpoint_of_its_step(tmp_path):
    """A gate's stop between save steps left no checkpoint at the stop: killed during the final save, the rerun resumed
    an earlier checkpoint, dropped the stop with the gate events after it, and trained on (stopped_at reads the stop
    from the checkpoint's step)."""
    from types import SimpleNamespace

    from safealign.config import GateConfig
    from safealign.training.gates import GateCallback

    gate = GateCallback(
        GateConfig(policy="stop"), evaluate=lambda model: None, log_path=tmp_path / "gates.jsonl"
    )
    control = SimpleNamespace(should_training_stop=False, should_save=False)
    assert gate._apply_policy(control) == "stop"
    assert control.should_training_stop and control.should_save
