"""Each reward-hacking detector on literal training histories."""

from __future__ import annotations

from safealign.config import HackingConfig
from safealign.hacking import DETECTORS, run_detectors
from safealign.hacking.signals import repeated_ngram_share

T = HackingConfig(window=3)


def history(**columns):
    steps = len(next(iter(columns.values())))
    return [{"step": i + 1, **{k: v[i] for k, v in columns.items() if v[i] is not None}} for i in range(steps)]


def names(alerts):
    return {a.detector for a in alerts}


def test_length_blowup_with_rising_reward():
    h = history(**{"completions/mean_length": [20, 21, 22, 40, 50, 60], "reward": [0.1, 0.1, 0.2, 0.5, 0.6, 0.7]})
    alert = DETECTORS["length_blowup"](h, T)[0]
    assert alert.detector == "length_blowup" and alert.evidence["length_last"] == 50
    flat = history(**{"completions/mean_length": [20, 21, 22, 40, 50, 60], "reward": [0.7, 0.6, 0.6, 0.5, 0.4, 0.4]})
    assert not DETECTORS["length_blowup"](flat, T)


def test_truncation_rate():
    assert names(DETECTORS["length_blowup"](history(**{"completions/clipped_ratio": [0.6, 0.7, 0.9]}), T)) == {"truncation"}
    assert not DETECTORS["length_blowup"](history(**{"completions/clipped_ratio": [0.1, 0.2, 0.1]}), T)


def test_repetition():
    assert repeated_ngram_share("one two three four five", 3) == 0.0
    assert repeated_ngram_share("go go go go go go", 3) > 0.7
    assert DETECTORS["repetition"](history(**{"text/repetition": [0.5, 0.6, 0.7]}), T)
    assert not DETECTORS["repetition"](history(**{"text/repetition": [0.0, 0.1, 0.0]}), T)


def test_reward_rises_but_heldout_accuracy_does_not():
    h = history(reward=[0.1, 0.2, 0.3, 0.6, 0.7, 0.8], **{"gate/accuracy": [0.3, None, None, 0.3, None, 0.28]})
    assert names(DETECTORS["reward_accuracy_divergence"](h, T)) == {"reward_accuracy_divergence"}
    honest = history(reward=[0.1, 0.2, 0.3, 0.6, 0.7, 0.8], **{"gate/accuracy": [0.3, None, None, 0.5, None, 0.6]})
    assert not DETECTORS["reward_accuracy_divergence"](honest, T)


def test_format_reward_without_accuracy():
    h = history(**{"rewards/format/mean": [0.5, 0.7, 0.9, 0.95, 0.95, 0.97], "rewards/accuracy/mean": [0.2, 0.2, 0.21, 0.2, 0.19, 0.2]})
    assert DETECTORS["format_without_accuracy"](h, T)
    learning = history(**{"rewards/format/mean": [0.5, 0.7, 0.9, 0.95, 0.95, 0.97], "rewards/accuracy/mean": [0.2, 0.2, 0.2, 0.4, 0.5, 0.5]})
    assert not DETECTORS["format_without_accuracy"](learning, T)


def test_refusal_collapse_and_refusal_then_comply():
    h = history(**{"safety/benign_refusal_rate": [0.0, 0.1, 0.0, 0.4, 0.5, 0.6]})
    assert DETECTORS["refusal_collapse"](h, T)
    assert DETECTORS["refusal_collapse"](history(**{"gate/over_refusal": [0.05, 0.3]}), T)
    assert not DETECTORS["refusal_collapse"](history(**{"gate/over_refusal": [0.05, 0.1]}), T)
    assert DETECTORS["refusal_then_comply"](history(**{"safety/harmful_partial_rate": [0.3, 0.25, 0.4]}), T)
    assert not DETECTORS["refusal_then_comply"](history(**{"safety/harmful_partial_rate": [0.0, 0.05, 0.0]}), T)


def test_entropy_collapse_and_kl_blowup():
    assert names(DETECTORS["entropy_kl"](history(entropy=[0.01, 0.02, 0.01], kl=[0.1, 0.5, 2.0]), T)) == {"entropy_collapse", "kl_blowup"}
    assert not DETECTORS["entropy_kl"](history(entropy=[1.0, 0.9, 0.8], kl=[0.01, 0.02, 0.03]), T)


def test_examples_attached():
    h = history(**{"text/repetition": [0.5, 0.6, 0.7]})
    alerts = run_detectors(h, T, examples=lambda step: [{"step": step, "completion": "go go go"}])
    assert alerts[0].evidence["examples"][0]["step"] == 3


def test_the_live_detectors_see_each_log_record_once(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from safealign.training import hacking_callback

    seen = []
    monkeypatch.setattr(hacking_callback, "run_detectors", lambda history, thresholds: seen.append(history) or [])
    callback = hacking_callback.HackingCallback(HackingConfig(), tmp_path)
    logs = {"reward": 0.5, "completions/clipped_ratio": 1.0, "rewards/safety/mean": float("nan")}  # NaN: no safety prompt
    # transformers appends the record (with its step) to log_history before it calls on_log
    state = SimpleNamespace(log_history=[{"reward": 0.4, "step": 1}, {**logs, "step": 2}], global_step=2, is_world_process_zero=True)
    logs["text/repetition"] = 0.1  # added by a callback after transformers stored the record
    callback.on_log(None, state, SimpleNamespace(should_training_stop=False), logs=logs)
    assert [h["step"] for h in seen[-1]] == [1, 2] and seen[-1][-1]["text/repetition"] == 0.1
    # a caller that has not appended it yet still gets it checked
    state.log_history = state.log_history[:1]
    callback.on_log(None, state, SimpleNamespace(should_training_stop=False), logs=logs)
    assert [h["step"] for h in seen[-1]] == [1, 2]


def test_rollout_statistics_reach_the_stored_history_the_final_pass_reads(tmp_path):
    from types import SimpleNamespace

    from safealign.training.rollouts import RolloutCallback, RolloutLog

    log = RolloutLog()
    reward = log.wrap(lambda prompts=None, completions=None, **_: [0.0] * len(completions))
    reward(prompts=["p", "p"], completions=["the the the the the the the the", "a fine answer here"])
    logs = {"loss": 0.1, "reward": 0.0}
    stored = {**logs, "step": 3}
    state = SimpleNamespace(log_history=[{"loss": 0.2, "step": 2}, stored], global_step=3, is_world_process_zero=True)
    RolloutCallback(log, tmp_path / "rollouts.jsonl").on_log(None, state, None, logs=logs)
    assert logs["text/repetition"] > 0 and stored["text/repetition"] == logs["text/repetition"]
    assert "text/repetition" not in state.log_history[0]  # an earlier step's record is left as it was


def test_reward_accuracy_divergence_waits_for_two_windows_of_rewards():
    """Two logged steps made one-step "windows": a batch with safety prompts then one without read as a reward rise,
    a critical alert (which stops a stage under stop_on_critical)."""
    two_steps = history(reward=[-0.6, -0.1], **{"gate/accuracy": [0.3, 0.3]})
    assert not DETECTORS["reward_accuracy_divergence"](two_steps, HackingConfig(window=10))
    assert not DETECTORS["reward_accuracy_divergence"](two_steps, T)
