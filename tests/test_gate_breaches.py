"""The gate's breach rule: past the tolerance, and at least ``min_items`` answers when the rates count items."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from safealign.config import GateConfig
from safealign.training.gates import GateMetrics, breaches, under_item_floor


def counted(refused: int, over_refused: int, n: int = 16) -> GateMetrics:
    return GateMetrics(
        refusal=refused / n, over_refusal=over_refused / n, accuracy=0.0, harmful_items=n, borderline_items=n
    )


def test_one_flipped_answer_at_sixteen_items_is_not_a_breach() -> None:
    # The compare run's rl_only arm: refusal 3 → 2 of 16 (6.25 points, past a 5-point tolerance) rolled back thrice.
    assert breaches(counted(2, 0), counted(3, 0), GateConfig()) == []
    assert breaches(counted(15, 6), counted(15, 5), GateConfig()) == []


@pytest.mark.parametrize(
    ("now", "side"), [(counted(1, 0), "harmful refusal"), (counted(3, 2), "over-refusal")]
)
def test_two_answers_past_the_tolerance_are_a_breach(now: GateMetrics, side: str) -> None:
    found = breaches(now, counted(3, 0), GateConfig())
    assert len(found) == 1 and found[0].startswith(side) and "2 of 16 items" in found[0], found


def test_the_item_floor_is_configurable() -> None:
    assert breaches(counted(2, 0), counted(3, 0), GateConfig(min_items=1))
    assert not breaches(counted(1, 0), counted(3, 0), GateConfig(min_items=3))


def test_the_tolerance_still_applies_on_large_gates() -> None:
    # At 100 items, 3 answers (3 points) are within a 5-point tolerance; 6 are not.
    assert not breaches(counted(87, 0, n=100), counted(90, 0, n=100), GateConfig())
    assert breaches(counted(84, 0, n=100), counted(90, 0, n=100), GateConfig())


def test_continuous_scores_have_no_item_floor() -> None:
    before = GateMetrics(refusal=0.60, over_refusal=0.0, accuracy=0.0)
    assert breaches(GateMetrics(refusal=0.54, over_refusal=0.0, accuracy=0.0), before, GateConfig())
    assert not breaches(GateMetrics(refusal=0.56, over_refusal=0.0, accuracy=0.0), before, GateConfig())


def test_a_pass_under_the_item_floor_says_so() -> None:
    assert under_item_floor(counted(2, 0), counted(3, 0), GateConfig()) == [
        "harmful refusal 19% → 12% (1 of 16 items, tolerance 5%, at least 2 items)"
    ]
    assert under_item_floor(counted(1, 0), counted(3, 0), GateConfig()) == []  # a breach, not a pass
    assert under_item_floor(counted(3, 0), counted(3, 0), GateConfig()) == []


def test_a_resume_after_raise_kl_rollbacks_trains_with_the_raised_beta(tmp_path) -> None:
    """A raise_kl rollback doubles the running trainer's beta, which no checkpoint holds: a stage resumed after two
    such rollbacks started again from the recipe's beta. Rollbacks after the checkpoint's step were undone by the crash."""
    import json
    from types import SimpleNamespace

    import torch

    from safealign.training.gates import GateCallback

    start = counted(14, 2)
    rows = [
        {"step": 0, "action": "baseline", "metrics": vars(start)},
        {"step": 2, "action": "rollback+raise_kl"},
        {"step": 4, "action": "rollback+raise_kl"},
        {"step": 6, "action": "rollback+raise_kl"},
    ]
    log_path = tmp_path / "gates.jsonl"
    log_path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    gate = GateCallback(GateConfig(policy="raise_kl"), evaluate=lambda model: start, log_path=log_path)
    gate.trainer = SimpleNamespace(beta=0.02)
    gate.on_train_begin(
        None, SimpleNamespace(global_step=4, is_world_process_zero=True), None, model=torch.nn.Linear(2, 2)
    )
    assert gate.trainer.beta == pytest.approx(0.08) and gate.rollbacks == 2
    assert gate.baseline == start
    # the step-6 check the crash undid is done again: its row went (the stage's gate_events counted it twice)
    assert [json.loads(line)["step"] for line in log_path.read_text().splitlines()] == [0, 2, 4]
    fresh = GateCallback(
        GateConfig(policy="raise_kl"), evaluate=lambda model: start, log_path=tmp_path / "new.jsonl"
    )
    fresh.trainer = SimpleNamespace(beta=0.02)
    fresh.on_train_begin(
        None,
        SimpleNamespace(global_step=0, is_world_process_zero=True, log_history=[]),
        None,
        model=torch.nn.Linear(2, 2),
    )
    assert fresh.trainer.beta == 0.02, "a stage's start keeps the recipe's beta"


def test_a_lower_lr_rollback_logs_the_learning_rate_it_trains_with(tmp_path) -> None:
    """The Trainer logs the scheduler's last lr, which the halving left at the old value (logged 2x the real one)."""
    import torch

    from safealign.training.gates import GateCallback

    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    gate = GateCallback(
        GateConfig(policy="lower_lr"), evaluate=lambda m: counted(14, 2), log_path=tmp_path / "g.jsonl"
    )
    gate.trainer = SimpleNamespace(optimizer=optimizer, lr_scheduler=scheduler)
    assert gate._apply_policy(SimpleNamespace(should_training_stop=False)) == "lower_lr"
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-4) and scheduler.get_last_lr() == [
        pytest.approx(5e-4)
    ]
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-4), "the next steps keep the halved rate"


@pytest.mark.parametrize(
    ("rl", "warned"),
    [
        ({"max_steps": 3}, True),
        ({"max_steps": 3, "gates": {"enabled": False}}, False),
        ({"max_steps": 10}, False),
    ],
)
def test_validate_warns_when_the_gates_would_never_check_the_policy(rl, warned, caplog) -> None:
    """The gates check at every multiple of every_steps: a 3-step stage at every_steps 10 measured its start and never
    checked the policy, without a word; since 06a2821 they check the last step too, so it is checked once, at its end
    (a breach there rolls the whole stage back), and the warning says so."""
    from safealign.config import parse_recipe

    with caplog.at_level("WARNING", logger="safealign.config.sections"):
        parse_recipe({"rl": rl})
    said = " ".join(caplog.text.split())
    expected = (
        "gates.every_steps 10 is more than max_steps 3: the gates check the policy only at the last step, where a "
        "breach rolls the whole stage back to its start"
    )
    assert (
        (expected in said and "Set gates.every_steps to 1 to check it on the way" in said)
        if warned
        else "gates." not in said
    ), said


def test_raise_kl_needs_a_kl_term_only_while_the_gates_run() -> None:
    """gates {enabled: false, policy: raise_kl} with beta 0 was refused, though no gate would apply the policy."""
    from safealign.config import parse_recipe
    from safealign.errors import RecipeError

    assert parse_recipe({"rl": {"beta": 0, "gates": {"enabled": False, "policy": "raise_kl"}}}).rl.beta == 0
    with pytest.raises(RecipeError, match="gates.policy 'raise_kl' needs a KL term"):
        parse_recipe({"rl": {"beta": 0, "gates": {"policy": "raise_kl"}}})
