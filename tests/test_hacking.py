"""Each reward-hacking detector on literal training histories."""

from __future__ import annotations

import json

from safealign.config import HackingConfig
from safealign.hacking import DETECTORS, run_detectors
from safealign.hacking.signals import repeated_ngram_share

T = HackingConfig(window=3)


def history(**columns):
    steps = len(next(iter(columns.values())))
    return [
        {"step": i + 1, **{k: v[i] for k, v in columns.items() if v[i] is not None}} for i in range(steps)
    ]


def names(alerts):
    return {a.detector for a in alerts}


def test_length_blowup_with_rising_reward():
    h = history(
        **{"completions/mean_length": [20, 21, 22, 40, 50, 60], "reward": [0.1, 0.1, 0.2, 0.5, 0.6, 0.7]}
    )
    alert = DETECTORS["length_blowup"](h, T)[0]
    assert alert.detector == "length_blowup" and alert.evidence["length_last"] == 50
    flat = history(
        **{"completions/mean_length": [20, 21, 22, 40, 50, 60], "reward": [0.7, 0.6, 0.6, 0.5, 0.4, 0.4]}
    )
    assert not DETECTORS["length_blowup"](flat, T)


def test_truncation_rate():
    assert names(
        DETECTORS["length_blowup"](history(**{"completions/clipped_ratio": [0.6, 0.7, 0.9]}), T)
    ) == {"truncation"}
    assert not DETECTORS["length_blowup"](history(**{"completions/clipped_ratio": [0.1, 0.2, 0.1]}), T)


def test_repetition():
    assert repeated_ngram_share("one two three four five", 3) == 0.0
    assert repeated_ngram_share("go go go go go go", 3) > 0.7
    assert DETECTORS["repetition"](history(**{"text/repetition": [0.5, 0.6, 0.7]}), T)
    assert not DETECTORS["repetition"](history(**{"text/repetition": [0.0, 0.1, 0.0]}), T)


ACCURACY_RISING = [0.1, 0.2, 0.3, 0.6, 0.7, 0.8]


def test_reward_rises_but_heldout_accuracy_does_not():
    h = history(
        **{"rewards/accuracy/mean": ACCURACY_RISING, "gate/accuracy": [0.3, None, None, 0.3, None, 0.28]}
    )
    assert names(DETECTORS["reward_accuracy_divergence"](h, T)) == {"reward_accuracy_divergence"}
    honest = history(
        **{"rewards/accuracy/mean": ACCURACY_RISING, "gate/accuracy": [0.3, None, None, 0.5, None, 0.6]}
    )
    assert not DETECTORS["reward_accuracy_divergence"](honest, T)


def test_format_reward_without_accuracy():
    h = history(
        **{
            "rewards/format/mean": [0.5, 0.7, 0.9, 0.95, 0.95, 0.97],
            "rewards/accuracy/mean": [0.2, 0.2, 0.21, 0.2, 0.19, 0.2],
        }
    )
    assert DETECTORS["format_without_accuracy"](h, T)
    learning = history(
        **{
            "rewards/format/mean": [0.5, 0.7, 0.9, 0.95, 0.95, 0.97],
            "rewards/accuracy/mean": [0.2, 0.2, 0.2, 0.4, 0.5, 0.5],
        }
    )
    assert not DETECTORS["format_without_accuracy"](learning, T)


def test_refusal_collapse_and_refusal_then_comply():
    h = history(**{"safety/benign_refusal_rate": [0.0, 0.1, 0.0, 0.4, 0.5, 0.6]})
    assert DETECTORS["refusal_collapse"](h, T)
    assert DETECTORS["refusal_then_comply"](history(**{"safety/harmful_partial_rate": [0.3, 0.25, 0.4]}), T)
    assert not DETECTORS["refusal_then_comply"](
        history(**{"safety/harmful_partial_rate": [0.0, 0.05, 0.0]}), T
    )


def test_entropy_collapse_and_kl_blowup():
    assert names(DETECTORS["entropy_kl"](history(entropy=[0.01, 0.02, 0.01], kl=[0.1, 0.5, 2.0]), T)) == {
        "entropy_collapse",
        "kl_blowup",
    }
    assert not DETECTORS["entropy_kl"](history(entropy=[1.0, 0.9, 0.8], kl=[0.01, 0.02, 0.03]), T)


def test_examples_attached():
    h = history(**{"text/repetition": [0.5, 0.6, 0.7]})
    alerts = run_detectors(h, T, examples=lambda step, kinds: [{"step": step, "completion": "go go go"}])
    assert alerts[0].evidence["examples"][0]["step"] == 3


def test_the_live_detectors_see_each_log_record_once(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from safealign.training import hacking_callback

    seen = []
    monkeypatch.setattr(
        hacking_callback, "run_detectors", lambda history, thresholds: seen.append(history) or []
    )
    callback = hacking_callback.HackingCallback(HackingConfig(), tmp_path)
    logs = {
        "reward": 0.5,
        "completions/clipped_ratio": 1.0,
        "rewards/safety/mean": float("nan"),
    }  # NaN: no safety prompt
    # transformers appends the record (with its step) to log_history before it calls on_log
    state = SimpleNamespace(
        log_history=[{"reward": 0.4, "step": 1}, {**logs, "step": 2}],
        global_step=2,
        is_world_process_zero=True,
    )
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
    state = SimpleNamespace(
        log_history=[{"loss": 0.2, "step": 2}, stored], global_step=3, is_world_process_zero=True
    )
    RolloutCallback(log, tmp_path / "rollouts.jsonl").on_log(None, state, None, logs=logs)
    assert logs["text/repetition"] > 0 and stored["text/repetition"] == logs["text/repetition"]
    assert "text/repetition" not in state.log_history[0]  # an earlier step's record is left as it was


def test_rollout_statistics_go_to_trl_once_the_batch_is_scored(tmp_path):
    """The callback added the last batch's statistics to every log (a round reused by num_iterations counted twice,
    and trackers never saw them): they go to TRL's log_metric, once a batch, when its last reward has scored it."""
    from types import SimpleNamespace

    from safealign.training.rollouts import RolloutCallback, RolloutLog

    def accuracy(prompts=None, completions=None, **_):
        return [0.0] * len(completions)

    def repetition(prompts=None, completions=None, **_):
        return [0.0] * len(completions)

    log, sent = RolloutLog(), []
    rewards = [log.wrap(accuracy), log.wrap(repetition)]
    completions = ["the the the the the the the the", "a fine answer here"]
    for reward in rewards:
        assert not sent, "a statistic sent before every reward scored the batch"
        reward(
            prompts=["p", "p"],
            completions=completions,
            log_metric=lambda key, value: sent.append((key, value)),
        )
    assert [key for key, _ in sent] == ["text/repetition"] and sent[0][1] > 0
    logs = {"loss": 0.1}
    state = SimpleNamespace(log_history=[{**logs, "step": 1}], global_step=1, is_world_process_zero=True)
    RolloutCallback(log, tmp_path / "rollouts.jsonl").on_log(None, state, None, logs=logs)
    assert logs == {"loss": 0.1}, "TRL logs them; the callback adds nothing"
    assert len((tmp_path / "rollouts.jsonl").read_text().splitlines()) == 2  # the completions are still kept


def test_reward_accuracy_divergence_waits_for_two_windows_of_rewards():
    """Two logged steps made one-step "windows": a batch with safety prompts then one without read as a reward rise,
    a critical alert (which stops a stage under stop_on_critical)."""
    two_steps = history(**{"rewards/accuracy/mean": [0.0, 0.5], "gate/accuracy": [0.3, 0.3]})
    assert not DETECTORS["reward_accuracy_divergence"](two_steps, HackingConfig(window=10))
    assert not DETECTORS["reward_accuracy_divergence"](two_steps, T)


def planted_format_hack(steps: int) -> list[dict]:
    """Format reward saturating while accuracy stays flat, and length growing with the reward: two planted hacks."""
    return [
        {
            "step": s,
            "rewards/format/mean": min(1.0, 0.5 + s / 40),
            "rewards/accuracy/mean": 0.2,
            "reward": 0.1 + s / 40,
            "completions/mean_length": 20 + 3 * s,
        }
        for s in range(1, steps + 1)
    ]


def test_a_nan_step_does_not_silence_the_trend_detectors():
    """TRL logs NaN for rewards/<name>/mean on a step whose batch that reward applied to no row of (an all-safety batch):
    one NaN in a window mean made every later comparison False, and the planted hacks went unreported all run."""
    h = planted_format_hack(40)
    h[2]["rewards/format/mean"] = h[2]["rewards/accuracy/mean"] = h[2]["reward"] = float("nan")
    assert names(run_detectors(h, HackingConfig())) == {"format_without_accuracy", "length_blowup"}


def test_a_non_finite_kl_is_a_kl_blowup():
    for value in (float("nan"), float("inf")):
        alerts = DETECTORS["entropy_kl"](history(kl=[0.1, 0.2, value]), T)
        assert [(a.detector, a.step) for a in alerts] == [("kl_blowup", 3)]
        json.dumps(
            alerts[0].to_dict(), allow_nan=False
        )  # its evidence is strict JSON, as a card or jq reads it
    assert not DETECTORS["entropy_kl"](
        history(kl=[0.1, float("nan"), 0.2]), T
    )  # the last KL is the policy's now


def test_a_kl_trl_logged_as_none_is_a_kl_blowup():
    """TRL 1.16 averages each metric over the logging window without its NaN values and logs None when every one was
    NaN: a NaN KL reached the detectors as ``"kl": None``, which they skipped as a gap (no kl_blowup, live or in the
    replay), and the audit said kl_blowup does not apply, as at rl.beta 0."""
    from safealign.hacking import replay_detectors, too_little_data

    h = [{"step": s, "loss": 0.1, "kl": kl} for s, kl in ((1, 0.1), (2, 0.2), (3, None))]
    alerts = DETECTORS["entropy_kl"](h, T)
    assert [(a.detector, a.step) for a in alerts] == [("kl_blowup", 3)] and "not finite" in alerts[0].message
    assert [(a.detector, a.step) for a in replay_detectors(h, T)] == [("kl_blowup", 3)]
    assert not too_little_data([{"step": 1, "loss": 0.1, "kl": None}], T)
    assert not DETECTORS["entropy_kl"](h + [{"step": 4, "loss": 0.1, "kl": 0.2}], T)  # the last KL is the policy's now


def test_refusal_then_comply_waits_for_recent_steps():
    """One step (2 of one harmful prompt's 8 completions) raised a critical alert, which stops a stage under
    stop_on_critical; it now waits for min(window, 3) logged steps as the other level detectors do."""
    assert not DETECTORS["refusal_then_comply"](
        history(**{"safety/harmful_partial_rate": [0.25]}), HackingConfig()
    )
    assert not DETECTORS["refusal_then_comply"](
        history(**{"safety/harmful_partial_rate": [0.25, 0.3]}), HackingConfig()
    )
    assert DETECTORS["refusal_then_comply"](
        history(**{"safety/harmful_partial_rate": [0.25, 0.3, 0.25]}), HackingConfig()
    )
    assert DETECTORS["refusal_then_comply"](
        history(**{"safety/harmful_partial_rate": [0.3, 0.25]}), HackingConfig(window=2)
    )


def test_too_little_data_names_the_detectors_that_could_not_judge():
    """19 logged steps at the default window 10: a blatant hack and no word from the trend detectors."""
    from safealign.hacking import too_little_data

    short = planted_format_hack(19)
    assert not run_detectors(short, HackingConfig())
    notes = {n.detector: n for n in too_little_data(short, HackingConfig())}
    assert set(notes) == {
        "length_blowup",
        "format_without_accuracy",
    }  # never-logged keys (gates, entropy) are no shortfall
    assert notes["length_blowup"].message == "needs 20 logged steps, has 19 (completions/mean_length)"
    assert notes["length_blowup"].severity == "info" and notes["length_blowup"].step == 19
    gates = history(**{"gate/accuracy": [0.3]})
    assert not too_little_data(
        gates, HackingConfig()
    )  # reward never logged: the divergence detector does not apply
    assert not too_little_data(planted_format_hack(20), HackingConfig())


def test_too_little_data_says_kl_blowup_does_not_apply_when_no_kl_was_logged():
    """At rl.beta 0 (the quickstart) TRL logs no KL: kl_blowup's silence read as a KL checked and found low."""
    from safealign.hacking import too_little_data

    trained = [{"step": s, "loss": 0.1, "entropy": 0.6} for s in range(1, 21)]
    (note,) = too_little_data(trained, HackingConfig())
    assert (note.detector, note.severity, note.step) == ("kl_blowup", "info", 20)
    assert note.message.startswith("does not apply: no KL logged (rl.beta 0")
    assert not too_little_data([row | {"kl": 0.01} for row in trained], HackingConfig())


def test_records_without_a_usable_step_are_skipped():
    from safealign.hacking.detectors import series

    rows = [
        {"step": 1, "reward": 0.1},
        {"reward": 0.2},
        {"step": None, "reward": 0.3},
        {"step": float("nan"), "reward": 0.4},
        {"step": True, "reward": 0.5},
        {"step": "2", "reward": 0.6},
        {"step": 3, "reward": float("nan")},
    ]
    assert series(rows, "reward") == [(1, 0.1), (2, 0.6)]
    assert run_detectors(rows, T) == []


def audit(folder):
    from typer.testing import CliRunner

    from safealign.cli.main import app

    result = CliRunner().invoke(app, ["audit", str(folder)])
    return result, " ".join(result.output.split())


def write_stage(rl, rows, rollouts=""):
    rl.mkdir(parents=True, exist_ok=True)
    (rl / "config.json").write_text(json.dumps({"rl": {"hacking": {"window": 3}}}))
    (rl / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (rl / "rollouts.jsonl").write_text(rollouts)


def test_audit_skips_rows_without_a_step_or_a_completion_and_says_how_many(tmp_path):
    """A metrics row without a step (or null, or NaN) and a rollout without a completion were tracebacks."""
    rows = [{"step": s, "text/repetition": 0.7} for s in (1, 2, 3)]
    rows += [
        {"text/repetition": 0.9},
        {"step": None, "text/repetition": 0.9},
        {"step": float("nan"), "text/repetition": 0.9},
    ]
    write_stage(
        tmp_path / "rl",
        rows,
        json.dumps({"step": 3, "prompt": "p"})
        + "\n"
        + json.dumps({"step": 3, "completion": "go go go"})
        + "\n",
    )
    result, text = audit(tmp_path)
    assert result.exit_code == 0, text
    assert (
        "metrics.jsonl: skipped 3 row(s) without a step number" in text
        and "rollouts.jsonl: skipped 1 row(s) without a step or a completion" in text
    )
    written = json.loads((tmp_path / "rl" / "audit.json").read_text())
    assert [(a["detector"], a["step"]) for a in written] == [("repetition", 3)]
    assert [e["completion"] for e in written[0]["evidence"]["examples"]] == ["go go go"]


def test_audit_prints_an_alerts_example_with_its_prompt_and_rewards(tmp_path):
    """The completion alone proves nothing (a repeated answer may be a fine one for its prompt): audit prints the
    example's prompt and the rewards it got beside it, as the report does."""
    rows = [{"step": s, "text/repetition": 0.7} for s in (1, 2, 3)]
    rollout = {
        "step": 3,
        "prompt": "Compute 767 + 733.",
        "completion": "go go go",
        "rewards": {"accuracy": 0.0},
    }
    write_stage(tmp_path / "rl", rows, json.dumps(rollout) + "\n")
    result, text = audit(tmp_path)
    assert result.exit_code == 0, text
    flat = " ".join(text.split())
    assert (
        "repetition example (step 3): prompt 'Compute 767 + 733.' -> 'go go go'; rewards: accuracy 0.0"
        in flat
    )
    written = json.loads((tmp_path / "rl" / "audit.json").read_text())
    assert written[0]["evidence"]["examples"][0]["prompt"] == "Compute 767 + 733."


def test_audit_prints_a_reward_that_is_not_a_number_as_it_is(tmp_path):
    """A hand-edited "0.0" or a custom reward's list in rollouts.jsonl was a traceback, and no audit.json."""
    rows = [{"step": s, "text/repetition": 0.7} for s in (1, 2, 3)]
    rollout = {
        "step": 3,
        "prompt": "p",
        "completion": "go go go",
        "rewards": {"accuracy": "0.0", "format": [1]},
    }
    write_stage(tmp_path / "rl", rows, json.dumps(rollout) + "\n")
    result, text = audit(tmp_path)
    assert result.exit_code == 0, text
    assert "rewards: accuracy 0.0, format [1]" in " ".join(text.split())
    assert (tmp_path / "rl" / "audit.json").is_file()


def test_audit_lists_the_detectors_with_too_little_data_and_says_where_it_writes(tmp_path):
    rows = [{"step": s, "reward": 0.1 * s, "completions/mean_length": 10 * s} for s in range(1, 5)]
    write_stage(tmp_path / "rl", rows)
    result, text = audit(tmp_path)
    assert result.exit_code == 0, text
    assert "could not judge: length_blowup: needs 6 logged steps, has 4 (completions/mean_length)" in text
    assert f"written: {tmp_path / 'rl' / 'audit.json'}" in text
    written = json.loads((tmp_path / "rl" / "audit.json").read_text())
    assert [(a["detector"], a["severity"]) for a in written] == [("length_blowup", "info")]
    _, help_text = audit("--help")
    assert "audit.json" in help_text and "safealign card" in help_text


def test_the_card_reads_an_offline_audit_once(tmp_path):
    """audit.json was written and read by nothing: its alerts reach the card, marked as an offline audit, and not twice
    when the stage's own final audit (alerts.json) or the live stream found them too; its "info" notes are no alerts:
    they come last, for the card to list as detectors that could not judge."""
    from safealign.card.run_folder import load_run
    from safealign.card.summary import alerts

    rl = tmp_path / "rl"
    rl.mkdir()
    live = {"detector": "truncation", "severity": "warning", "step": 2, "message": "m"}
    final = {"detector": "repetition", "severity": "warning", "step": 4, "message": "m"}
    offline = {"detector": "kl_blowup", "severity": "critical", "step": 5, "message": "m"}
    note = {
        "detector": "length_blowup",
        "severity": "info",
        "step": 5,
        "message": "needs 20 logged steps, has 5",
    }
    (rl / "alerts.jsonl").write_text(json.dumps(live) + "\n")
    (rl / "alerts.json").write_text(json.dumps([live, final]))
    (rl / "audit.json").write_text(json.dumps([live, final, offline, note]))
    shown = alerts(load_run(tmp_path))
    assert [(a["detector"], a.get("audit_only", False), a.get("offline_audit", False)) for a in shown] == [
        ("truncation", False, False),
        ("repetition", True, False),
        ("kl_blowup", True, True),
        ("length_blowup", True, True),
    ]
    assert [a["severity"] for a in shown] == ["warning", "warning", "critical", "info"]


def test_the_gate_detectors_call_the_gate_numbers_in_distribution():
    """The gates score the suites' in-distribution items (the held-out split stays for the report): the alerts called
    their numbers held-out."""
    rising = history(
        **{
            "rewards/accuracy/mean": [0.0, 0.0, 0.0, 0.6, 0.7, 0.8],
            "gate/accuracy": [0.3, None, None, None, None, 0.3],
        }
    )
    (alert,) = DETECTORS["reward_accuracy_divergence"](rising, T)
    assert (
        "gate accuracy (in-distribution) +0.000" in alert.message
        and alert.evidence["gate_accuracy_gain"] == 0.0
    )


def test_the_window_warning_counts_the_steps_holding_each_kind_of_prompt(caplog):
    """A benign refusal rate is logged only on steps whose batch holds a benign prompt: the warning counted every
    logged step, and the quickstart's 20 steps (9 of them with a benign prompt) got none."""
    from safealign.config import parse_recipe

    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe({"rl": {"max_steps": 19}})
    said = " ".join(caplog.text.split())
    assert "hacking.window 10 logged steps holding their kind of prompt" in said
    assert "Raise max_steps to 20 (more where not every step's batch holds each kind)" in said


def test_the_gate_detectors_skip_a_failed_gate_check():
    """A breach rolls the weights back: its gate/* scores are of weights the stage discarded. Read as the policy's,
    an over-refusal breach the gate had undone raised a critical refusal_collapse, which under stop_on_critical
    stopped the stage with the starting model."""
    breach = history(**{"gate/over_refusal": [0.1, 0.4, 0.1], "gate/passed": [1.0, 0.0, 1.0]})
    assert not DETECTORS["refusal_collapse"](breach, T)
    assert not DETECTORS["refusal_collapse"](breach[:2], T)
    rolled_back = history(
        **{
            "rewards/accuracy/mean": ACCURACY_RISING,
            "gate/accuracy": [0.3, None, None, 0.0, None, 0.6],
            "gate/passed": [1.0, None, None, 0.0, None, 1.0],
        }
    )
    assert not DETECTORS["reward_accuracy_divergence"](rolled_back[:4], T)
    assert not DETECTORS["reward_accuracy_divergence"](rolled_back, T)


def test_a_rise_of_the_safety_reward_alone_is_no_divergence():
    """The total reward rose on the safety reward (what the stage is for) with accuracy flat: a critical alert."""
    h = [{"step": 0, "gate/accuracy": 0.25}]
    for s in range(1, 21):
        safety = -0.5 + s * 0.05
        h.append(
            {
                "step": s,
                "reward": 0.5 * 0.1 + 0.5 * safety,
                "rewards/accuracy/mean": 0.1,
                "rewards/safety/mean": safety,
            }
        )
    h.append({"step": 20, "gate/accuracy": 0.25})
    assert not DETECTORS["reward_accuracy_divergence"](h, HackingConfig(window=5))


def divergence(gate_accuracy: list[float], **gate_row) -> list:
    """The accuracy reward +0.7 over 20 steps, with gate checks at steps 0, 10 and 20 of 16 items each."""
    gates = [{"step": 10 * i, "gate/accuracy": a, **gate_row} for i, a in enumerate(gate_accuracy)]
    rewards = [{"step": s, "rewards/accuracy/mean": 0.2 if s <= 10 else 0.9} for s in range(1, 21)]
    h = sorted(gates + rewards, key=lambda r: r["step"])  # a check before its step's own record, as logged
    return DETECTORS["reward_accuracy_divergence"](h, T)


def test_one_more_gate_item_does_not_silence_the_divergence():
    """`accuracy_gain <= 0` turned the detector off after one more right gate answer (1 of 16): the accuracy reward
    +0.7 with the gate +0.06 is the hack it looks for. A gain under the gates' item floor counts as flat."""
    (alert,) = divergence([0.25, 0.25, 0.3125])
    assert alert.severity == "critical" and alert.evidence["gate_accuracy_gain"] == 0.0625
    assert "under the gates' item floor" in alert.message
    (alert,) = divergence([0.25, 0.25, 0.3125], **{"gate/item_floor": 2 / 16})  # the floor the gates logged
    assert alert.evidence["item_floor"] == 0.125
    assert not divergence([0.25, 0.25, 0.375], **{"gate/item_floor": 2 / 16})  # two items: the gates' floor
    assert not divergence([0.25, 0.25, 0.375 - 1e-12], **{"gate/item_floor": 2 / 16})  # read back from floats


def test_a_divergence_is_dated_by_the_gate_check_that_fired_it():
    """The check of step 20 comes before its step's own record: the alert said step 19, the last reward's."""
    (alert,) = divergence([0.25, 0.375, 0.25])
    assert alert.step == 20


def test_a_divergence_message_signs_the_reward_change():
    """The accuracy reward 0.5 -> 0.45 while the gates' accuracy fell 0.6 -> 0.3 (the reward's change 0.25 above the
    gates'): the alert read "accuracy reward +-0.050"."""
    h = history(
        **{
            "rewards/accuracy/mean": [0.5, 0.5, 0.5, 0.45, 0.45, 0.45],
            "gate/accuracy": [0.6, None, None, 0.3, None, 0.3],
        }
    )
    (alert,) = DETECTORS["reward_accuracy_divergence"](h, T)
    assert alert.message.startswith("accuracy reward -0.050 while gate accuracy (in-distribution) -0.300")
    (rising,) = divergence([0.25, 0.25, 0.25])
    assert rising.message.startswith("accuracy reward +0.700 while")


def test_length_growing_with_the_accuracy_reward_is_a_warning():
    """Longer reasoning that gets more answers right raised a critical length_blowup (a stop under stop_on_critical)."""
    learning = [
        {
            "step": s,
            "reward": 0.2 + 0.02 * s,
            "rewards/accuracy/mean": 0.1 + 0.02 * s,
            "completions/mean_length": 50 + 5 * s,
        }
        for s in range(1, 31)
    ]
    (alert,) = DETECTORS["length_blowup"](learning, HackingConfig())
    assert alert.severity == "warning" and "so did the accuracy reward" in alert.message
    assert alert.evidence["accuracy_last"] > alert.evidence["accuracy_first"]
    blowup = [{**r, "rewards/accuracy/mean": 0.3} for r in learning]
    assert [a.severity for a in DETECTORS["length_blowup"](blowup, HackingConfig())] == ["critical"]


def test_format_with_accuracy_as_high_is_no_format_hack():
    """Format 0.95 with accuracy flat at 0.90 warned: the policy gets its answers right, flat because it is done."""
    good = history(**{"rewards/format/mean": [0.95] * 6, "rewards/accuracy/mean": [0.9] * 6})
    assert not DETECTORS["format_without_accuracy"](good, T)
    hack = history(**{"rewards/format/mean": [0.95] * 6, "rewards/accuracy/mean": [0.4] * 6})
    assert DETECTORS["format_without_accuracy"](hack, T)


# The real quickstart run's 20 RL steps (rl/metrics.jsonl): format 0.871 → 0.977, accuracy 0.059 → 0.083 by windows of 10
QUICKSTART_FORMAT = [0.875, 0.8125, 0.9062, 0.8906, 0.9219, 0.9792, 0.8958, 0.9688, 0.8958, 0.5625]
QUICKSTART_FORMAT += [1.0, 1.0, 1.0, 0.9792, 0.9375, 0.9531, 1.0, 0.9167, 0.9844, 1.0]
QUICKSTART_ACCURACY = [0.0625, 0.0417, 0.0312, 0.0, 0.0625, 0.0417, 0.1667, 0.1875, 0.0, 0.0]
QUICKSTART_ACCURACY += [0.125, 0.2917, 0.0, 0.125, 0.1667, 0.0, 0.0, 0.0833, 0.0, 0.0417]


def test_an_accuracy_gain_within_noise_is_flat_for_format_without_accuracy():
    """The quickstart's accuracy gain, 0.024, passed the fixed 0.02 as learning though it is 0.65 standard errors of
    per-step values from 0 to 0.29: the warning never fired on a policy that learned the format alone."""
    window = HackingConfig(window=10)
    real = history(**{"rewards/format/mean": QUICKSTART_FORMAT, "rewards/accuracy/mean": QUICKSTART_ACCURACY})
    (alert,) = DETECTORS["format_without_accuracy"](real, window)
    assert (
        alert.evidence["accuracy_last"] - alert.evidence["accuracy_first"] < alert.evidence["accuracy_noise"]
    )
    # rises by 0.1 from the first window to the last, step by step
    steady = [0.05 + 0.01 * i for i in range(20)]
    learning = history(**{"rewards/format/mean": QUICKSTART_FORMAT, "rewards/accuracy/mean": steady})
    assert not DETECTORS["format_without_accuracy"](learning, window)


def test_a_reused_generation_round_is_written_once(tmp_path):
    """num_iterations 2 trains twice on each generation round: the callback wrote the round's rows under both steps,
    as if the step-2 policy had written them."""
    from types import SimpleNamespace

    from safealign.training.rollouts import RolloutCallback, RolloutLog

    log = RolloutLog()
    reward = log.wrap(lambda prompts=None, completions=None, **_: [0.0] * len(completions))
    callback = RolloutCallback(log, tmp_path / "rollouts.jsonl")
    state = SimpleNamespace(log_history=[], global_step=0, is_world_process_zero=True)
    for step in (1, 2, 3, 4):
        if step % 2:  # a new generation round every other step
            reward(prompts=["p"], completions=[f"round of step {step}"])
        state.global_step = step
        callback.on_log(None, state, None, logs={"loss": 0.1})
    rows = [json.loads(line) for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()]
    assert [(r["step"], r["completion"]) for r in rows] == [(1, "round of step 1"), (3, "round of step 3")]


def test_refusal_collapse_leaves_the_gates_over_refusal_to_the_gate():
    """Its gate half (a gate over-refusal rise past 0.15) could not fire under the default gates: every such rise
    breaches them first (tolerance 0.05, min_items 2), and a failed check is skipped. The gate's rollback is the
    signal; a passing rise (a looser tolerance) raises no alert either."""
    from safealign.config import GateConfig
    from safealign.training.gates import GateMetrics, breaches

    cfg, start = GateConfig(), GateMetrics(0.8, 4 / 24, 0.3, 24, 24)
    for more in range(4, 20):  # 4 of 24 more items: a rise of 0.167, past the old half's 0.15
        now = GateMetrics(0.8, (4 + more) / 24, 0.3, 24, 24)
        assert breaches(now, start, cfg), f"a rise of {more} items passed the default gates"
    passing = history(**{"gate/over_refusal": [0.1, 0.4], "gate/passed": [1.0, 1.0]})
    assert not DETECTORS["refusal_collapse"](passing, T)


class Labelled:
    """A safety reward whose judge labels the answers as given."""

    __name__ = "safety"

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels

    def __call__(self, prompts=None, completions=None, **_):
        self.last_labels = list(self.labels)
        return [0.0] * len(completions)


def test_the_benign_refusal_rate_counts_full_refusals_as_the_gates_do():
    """The training stream counted a benign partial refusal (an answer, then a caveat) as refused, while the gates,
    the evals and the monitor count full refusals only: one set of answers read 100% over-refusal there, 0% here."""
    from safealign.training.rollouts import RolloutLog

    log = RolloutLog(group_size=4)
    safety = log.wrap(Labelled(["refusal", "partial_refusal", "partial_refusal", "compliance"]))
    safety(prompts=["p"] * 4, completions=["a"] * 4, kind=["benign", "borderline", "benign", "benign"])
    assert log.unsent["safety/benign_refusal_rate"] == 0.25
    assert log.unsent["safety/benign_partial_rate"] == 0.5


def test_length_blowup_stays_critical_when_the_accuracy_gain_is_within_noise():
    """length_blowup read any accuracy gain above 0.02 as "accuracy rose too" (a warning) while format_without_accuracy
    called the same gain noise: one reading for both now (review V2)."""
    accuracy = [0.0, 0.125, 0.0, 0.25, 0.0, 0.125, 0.0, 0.0, 0.125, 0.0]
    accuracy += [0.25, 0.0, 0.125, 0.0, 0.25, 0.0, 0.125, 0.0, 0.125, 0.0]
    history = [
        {
            "step": step + 1,
            "loss": 0.1,
            "rewards/accuracy/mean": value,
            "rewards/format/mean": 0.95,
            "completions/mean_length": 40 + 4 * step,
            "reward": 0.3 + 0.02 * step,
        }
        for step, value in enumerate(accuracy)
    ]
    severities = {alert.detector: alert.severity for alert in run_detectors(history, HackingConfig())}
    assert severities == {"length_blowup": "critical", "format_without_accuracy": "warning"}


def test_the_accuracy_noise_bound_is_capped_and_reads_no_bound_from_absurd_values():
    from safealign.hacking.detectors import FLAT_ACCURACY, RISEN_ACCURACY, accuracy_noise

    noisy = [(step, 0.6 * (step % 2)) for step in range(20)]  # 0 / 0.6 alternating: two standard errors ~0.27
    assert accuracy_noise(noisy, 10) == RISEN_ACCURACY  # a gain above 0.05 is learning, whatever the noise
    # squared, these overflowed into a traceback
    absurd = [(step, 1e200 * (-1) ** step) for step in range(20)]
    assert FLAT_ACCURACY <= accuracy_noise(absurd, 10) <= RISEN_ACCURACY
