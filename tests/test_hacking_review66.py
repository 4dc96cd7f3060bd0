"""Review 66 of the rewards and the reward-hacking detectors: an alert's examples from a round after it, and a reward
registered the wrong way failing with a bare error after the model loaded."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from test_hacking_replay import T, audited, write_stage

from safealign.config import RLConfig
from safealign.hacking import nearest_examples
from safealign.rewards import REWARDS, RewardError, build_rewards, describe_rewards
from safealign.training.hacking_callback import HackingCallback


def test_an_alert_quotes_the_round_behind_its_step_live_and_in_the_audit(tmp_path):
    """At num_iterations 4 a round's completions are logged once, under its first step (1, 5, 9), and the KL every
    step. A KL spike at step 8: the live callback quoted round 5, the round behind step 8's metrics; the audit quoted
    the nearest logged step, round 9, sampled after the alert by a policy it had not seen."""
    stage = tmp_path / "rl"
    rows = [{"step": s, "loss": 0.1, "kl": 5.0 if s == 8 else 0.1} for s in range(1, 13)]
    write_stage(stage, rows)
    callback = HackingCallback(T, stage)
    state = SimpleNamespace(log_history=[], global_step=0, is_world_process_zero=True)
    for row in rows:
        state.global_step = row["step"]
        if row["step"] in (
            1,
            5,
            9,
        ):  # the rollout callback writes a new round's rows before the detectors run
            line = {
                "step": row["step"],
                "kind": "benign",
                "prompt": "p",
                "completion": f"round {row['step']}",
            }
            with (stage / "rollouts.jsonl").open("a") as handle:
                handle.write(json.dumps(line) + "\n")
        state.log_history.append(row)
        callback.on_log(
            None, state, SimpleNamespace(should_training_stop=False), logs={"loss": 0.1, "kl": row["kl"]}
        )
    live = [json.loads(line) for line in (stage / "alerts.jsonl").read_text().splitlines()]
    assert [(a["detector"], a["step"]) for a in live] == [("kl_blowup", 8)]
    assert [e["step"] for e in live[0]["evidence"]["examples"]] == [5]
    assert ("kl_blowup", "critical", 8) in audited(stage)
    audit = json.loads((stage / "audit.json").read_text())
    assert [e["step"] for e in audit[0]["evidence"]["examples"]] == [5]


def test_nearest_examples_take_the_last_step_before_and_else_the_first_after():
    rows = [{"step": s, "kind": "benign"} for s in (1, 5, 9)]
    assert nearest_examples(rows, 8)[0]["step"] == 5  # not 9, one step nearer
    assert nearest_examples(rows, 9)[0]["step"] == 9
    assert nearest_examples(rows[1:], 2)[0]["step"] == 5  # none before: the first after


def brevity(completions, **kwargs):
    return [-len(str(c)) / 1000 for c in completions]


@pytest.fixture
def registered():
    """Registers an entry under "brevity" for one test."""

    def register(entry):
        REWARDS["brevity"] = entry

    yield register
    REWARDS.pop("brevity", None)


def test_a_reward_registered_without_its_factory_and_help_fails_at_the_recipe(registered):
    """``REWARDS["brevity"] = brevity`` passed the recipe's check of reward names, then failed at the stage's start,
    after the model loaded, with "TypeError: 'function' object is not subscriptable"; `safealign rewards list` with
    "cannot unpack non-iterable function object"."""
    registered(brevity)
    with pytest.raises(
        ValidationError, match=r"REWARDS\['brevity'\] is a function, not a \(factory, help\) pair"
    ):
        RLConfig(rewards={"brevity": 1.0})
    with pytest.raises(RewardError, match="lambda settings"):
        describe_rewards()


def test_a_reward_registered_where_its_factory_goes_fails_naming_the_fix(registered):
    """``(brevity, help)``: the factory call ran the reward on the settings dict, which returned a list, and TRL's
    is_async_callable failed with "AttributeError: 'list' object has no attribute '__call__'"."""
    registered((brevity, "minus the length"))
    with pytest.raises(RewardError, match=r"reward 'brevity': its factory returned a list, not a reward"):
        build_rewards({"brevity": 1.0}, {"max_completion_length": 64})
    registered((lambda settings: settings["missing"], "a factory that fails"))
    with pytest.raises(RewardError, match=r"reward 'brevity' could not be built: KeyError"):
        build_rewards({"brevity": 1.0}, {"max_completion_length": 64})
    registered((lambda settings: brevity, "minus the length"))  # the right way still builds
    funcs, weights = build_rewards({"brevity": 1.0}, {"max_completion_length": 64})
    assert funcs[0].__name__ == "brevity" and funcs[0](completions=["ab"]) == [-0.002] and weights == [1.0]
