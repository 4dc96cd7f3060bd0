"""Review 68 of the ablation (safealign.compare), the refusal vote and the refusal probe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_compare import fake_eval

from safealign.compare import write_ablation
from safealign.runs import write_json


def training_record(stage_dir: Path, parent: str, seed: int = 42, **config: Any) -> None:
    write_json(
        stage_dir / "stage.json",
        {
            "stage": stage_dir.name,
            "parent": parent,
            "output": str(stage_dir / "model"),
            "seed": seed,
            "wall_time_s": 10.0,
            "config": {"learning_rate": 2e-5, "max_steps": 40, "save_steps": 10, "gates": {"limit": 24}}
            | config,
            "inputs": {"system_prompt": None},
            "metrics": {"tokens": 100},
        },
    )


def hybrid_and_rl_only(run: Path, **branch: Any) -> None:
    """A run with SFT then RL, and compare's rl_only branch trained with ``branch``'s RL settings."""
    for eval_dir in (run / "eval" / "sft", run / "eval" / "rl", run / "ablation" / "rl_only" / "eval"):
        fake_eval(eval_dir, refusal=0.5, accuracy=0.5)
    training_record(run / "sft", "tiny")
    training_record(run / "rl", str(run / "sft" / "model"))
    training_record(run / "ablation" / "rl_only" / "rl", "tiny", **branch)


def test_an_rl_only_branch_trained_under_other_rl_settings_than_the_hybrid_is_said(tmp_path: Path) -> None:
    """The run's RL and compare's rl_only branch are each kept when the recipe's rl: section changes: one redone under a
    changed recipe (another learning rate, fewer steps, another seed) was tabled beside the other as if the two arms
    differed by SFT alone, and the warning was only in the log of the compare that trained it."""
    run = tmp_path / "run"
    hybrid_and_rl_only(run, learning_rate=1e-4, max_steps=10, seed=7, gates={"limit": 12})
    result = write_ablation(run)
    assert result["trained_differently"] == {
        "RL settings": {
            "rl_only": "gates.limit 12, learning_rate 0.0001, max_steps 10, seed 7",
            "hybrid": "gates.limit 24, learning_rate 2e-05, max_steps 40, seed 42",
        }
    }
    said = (run / "ablation.md").read_text(encoding="utf-8")
    assert "**Trained differently**" in said and "rl_only learning_rate" not in said
    assert "rl_only gates.limit 12, learning_rate 0.0001, max_steps 10, seed 7; hybrid gates.limit 24" in said


def test_rl_settings_that_train_no_other_model_are_no_difference(tmp_path: Path) -> None:
    run = tmp_path / "run"
    hybrid_and_rl_only(run, save_steps=5, logging_steps=3, report_to=["wandb"])
    assert write_ablation(run)["trained_differently"] == {}
    assert "Trained differently" not in (run / "ablation.md").read_text(encoding="utf-8")


def test_arms_started_from_other_models_are_said(tmp_path: Path) -> None:
    """A finished eval is kept when the recipe's model changes (with a warning in that run's log): the base arm scored
    the earlier model while SFT, redone, started from the new one, and the table read SFT's gain over the wrong base."""
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.5)
    write_json(run / "eval" / "base" / "stage.json", {"stage": "eval:base", "parent": "tiny", "seed": 42})
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.5)
    training_record(run / "sft", "tiny:1")
    result = write_ablation(run)
    assert result["trained_differently"] == {"starting model": {"base": "tiny", "sft_only": "tiny:1"}}
    said = (run / "ablation.md").read_text(encoding="utf-8")
    assert "starting model: base tiny, sft_only tiny:1" in said
    # two spellings of one model are one model
    training_record(run / "sft", "tiny:0")
    assert write_ablation(run)["trained_differently"] == {}


def test_rates_over_different_item_counts_are_said(tmp_path: Path) -> None:
    """Two arms asked with the same eval settings can be scored over other items (a built-in suite that grew between a
    kept eval and a new one): the table put an 88-item rate beside a 96-item one as one comparison, without a word."""
    from test_compare import metric

    run = tmp_path / "run"
    for arm, n in (("base", 88), ("sft", 96)):
        write_json(
            run / "eval" / arm / "summary.json",
            {"suites": {"harmful": {"metrics": {"held_out": {"refusal_rate": metric(0.5, n)}}}}},
        )
        write_json(
            run / "eval" / arm / "stage.json",
            {"stage": f"eval:{arm}", "seed": 42, "config": {"suites": ["harmful"], "limit": None}},
        )
    write_json(run / "sft" / "stage.json", {"stage": "sft", "wall_time_s": 1.0, "metrics": {"tokens": 1}})
    result = write_ablation(run)
    assert result["scored_differently"] == {"items harmful.refusal_rate": {"base": 88, "sft_only": 96}}
    said = (run / "ablation.md").read_text(encoding="utf-8")
    assert "**Scored differently**" in said and "items harmful.refusal_rate: base 88, sft_only 96" in said
    # as many items: nothing to say
    write_json(
        run / "eval" / "sft" / "summary.json",
        {"suites": {"harmful": {"metrics": {"held_out": {"refusal_rate": metric(0.9, 88)}}}}},
    )
    assert write_ablation(run)["scored_differently"] == {}


def test_the_paired_checks_say_what_their_p_value_does_not_cover(tmp_path: Path) -> None:
    """The table gave each claim's McNemar p with no word that it treats the items as the only randomness: each arm is
    one training of one seed, and two seeds of one recipe differ by more (eval-diff says so), so a small p read as the
    stage's effect and a large one as the claim holding."""
    from test_compare import write_answers

    run = tmp_path / "run"
    for arm in ("sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
    write_answers(run / "eval" / "sft", [True] * 10)
    write_answers(run / "eval" / "rl", [False] * 6 + [True] * 4)
    [check] = write_ablation(run)["paired"]
    assert check["p_value"] == 2 / 64
    said = (run / "ablation.md").read_text(encoding="utf-8")
    assert "treats the items as the only randomness" in said and "train several seeds per arm" in said
