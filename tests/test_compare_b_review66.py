"""Second review of the ablation (safealign.compare): the rl_only branch's problems found only after the run's other
stages, a stage that started and failed called one that never ran, scores of a model being made again tabled as the
arm's, and what the table says each arm's wall time and tokens count."""

from __future__ import annotations

import os
import sys
import time
import types
from pathlib import Path

import pytest
from test_compare import fake_eval, fake_stage, write_answers

from safealign.compare import write_ablation
from safealign.runs import write_json


def hybrid_recipe(tmp_path: Path, **rl: object):
    from safealign.config import Recipe

    return Recipe.model_validate(
        {
            "name": "r",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "eval": {"suites": ["harmful"]},
            "sft": {"enabled": True},
            "rl": {"num_prompts": 4, "prompts_per_step": 2, **rl},
        }
    )


def test_the_rl_only_branch_is_checked_before_the_runs_remaining_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's own RL finished, the branch not yet: check_recipe left RL unchecked, so rl.use_vllm on a CPU machine
    stopped compare only when the branch started, after the pipeline had sampled and distilled."""
    import torch

    import safealign.pipeline
    import safealign.stages.evaluate
    from safealign.compare import run_compare
    from safealign.errors import SafealignError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    recipe = hybrid_recipe(tmp_path, use_vllm=True)
    run = recipe.run_dir
    fake_stage(run / "sft", 1, 10)
    fake_stage(run / "rl", 1, 10)
    ran: list[str] = []
    monkeypatch.setattr(safealign.pipeline, "run_pipeline", lambda *a, **k: ran.append("pipeline"))
    with pytest.raises(SafealignError, match="rl.use_vllm is on"):
        run_compare(recipe, show_progress=False)
    assert ran == [], "the branch's problem was found after the run's stages had run"

    # a finished branch is kept, not checked: nothing stands in the way
    fake_stage(run / "ablation" / "rl_only" / "rl", 1, 10)
    monkeypatch.setitem(
        sys.modules,
        "safealign.stages.rl",
        types.SimpleNamespace(run_rl=lambda *a, **k: types.SimpleNamespace(model_path="m")),
    )
    monkeypatch.setattr(safealign.stages.evaluate, "run_eval_stage", lambda *a, **k: None)
    run_compare(recipe, show_progress=False)
    assert ran == ["pipeline"]


def test_a_stage_that_started_and_failed_is_not_called_one_that_never_ran(tmp_path: Path) -> None:
    """An RL stage that stopped partway (its folder holds a checkpoint, no stage.json) listed rl_only and hybrid as
    "no RL stage ran in this run"; the same for SFT and distillation."""
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
    fake_stage(run / "sft", 1, 10)
    (run / "rl" / "checkpoint-2").mkdir(parents=True)
    (run / "distill").mkdir()
    skipped = {entry["arm"]: entry["reason"] for entry in write_ablation(run)["skipped"]}
    assert skipped == {
        "rl_only": f"not trained yet ({run / 'ablation' / 'rl_only'} is trained after the run's own stages)",
        "hybrid": f"the RL stage has not finished (no {run / 'rl' / 'stage.json'})",
        "student": f"the distill stage has not finished (no {run / 'distill' / 'stage.json'})",
    }
    # the branch itself stopped partway
    (run / "ablation" / "rl_only" / "rl").mkdir(parents=True)
    skipped = {entry["arm"]: entry["reason"] for entry in write_ablation(run)["skipped"]}
    assert skipped["rl_only"] == (
        f"the RL from the base model has not finished (no {run / 'ablation' / 'rl_only' / 'rl' / 'stage.json'})"
    )

    run = tmp_path / "sft-failed"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    (run / "sft").mkdir()
    [entry, *_] = write_ablation(run)["skipped"]
    assert entry == {
        "arm": "sft_only",
        "reason": f"the SFT stage has not finished (no {run / 'sft' / 'stage.json'})",
    }


def test_scores_of_a_model_being_made_again_are_not_tabled_as_the_arms(tmp_path: Path) -> None:
    """sft/ deleted and being trained again when compare stopped: eval/sft (the deleted model's scores) was tabled as
    sft_only's, and paired against the hybrid; once SFT had finished again, its eval being redone, the new SFT's cost
    stood next to the old model's scores without a word."""
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    for arm in ("sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.9, accuracy=0.2)
        write_answers(run / "eval" / arm, [True] * 10)
    (run / "sft" / "checkpoint-1").mkdir(parents=True)
    result = write_ablation(run)
    assert [row["arm"] for row in result["arms"]] == ["base"] and result["paired"] == []
    skipped = {entry["arm"]: entry["reason"] for entry in result["skipped"]}
    assert skipped["sft_only"] == (
        f"{run / 'sft'} has not finished (no stage.json), so {run / 'eval' / 'sft' / 'summary.json'} scored an "
        "earlier model"
    )
    assert "| sft_only |" not in (run / "ablation.md").read_text(encoding="utf-8")

    # SFT finished again after eval/sft scored (its re-scoring stopped: no eval record, the old summary.json)
    now = time.time()
    for arm in ("sft", "rl"):
        os.utime(run / "eval" / arm / "summary.json", (now - 3600, now - 3600))
    (run / "sft" / "model").mkdir()
    record = {"wall_time_s": 60, "metrics": {"tokens": 10}, "output": str(run / "sft" / "model")}
    write_json(
        run / "sft" / "stage.json", record | {"stage": "sft", "started_at": now - 60, "finished_at": now}
    )
    # RL, made from the SFT model before it was made again, and its eval are kept until the rerun redoes them
    write_json(
        run / "rl" / "stage.json",
        record
        | {
            "stage": "rl",
            "parent": str(run / "sft" / "model"),
            "output": str(run / "rl" / "model"),
            "started_at": now - 7200,
            "finished_at": now - 7000,
        },
    )
    result = write_ablation(run)
    assert [row["arm"] for row in result["arms"]] == ["base"] and result["paired"] == []
    skipped = {entry["arm"]: entry["reason"] for entry in result["skipped"]}
    assert skipped["sft_only"] == (
        f"{run / 'eval' / 'sft' / 'summary.json'} scored an earlier model: {run / 'sft'} finished again after it was "
        "scored"
    )
    assert skipped["hybrid"].startswith(
        f"{run / 'rl'} was made from an earlier model: {run / 'sft'} finished again"
    )

    # both evaluated again since: tabled
    for arm in ("sft", "rl"):
        os.utime(run / "eval" / arm / "summary.json", (now + 10, now + 10))
    write_json(
        run / "rl" / "stage.json",
        record
        | {
            "stage": "rl",
            "parent": str(run / "sft" / "model"),
            "started_at": now + 1,
            "finished_at": now + 5,
        },
    )
    result = write_ablation(run)
    assert [row["arm"] for row in result["arms"]] == ["base", "sft_only", "hybrid"]
    assert [check["b"] for check in result["paired"]] == ["hybrid"]


def test_the_branchs_rl_only_arm_stays_while_the_runs_rl_is_made_again(tmp_path: Path) -> None:
    """rl/ deleted and being trained again: the rl_only arm compare's branch holds (RL from the base model, which does
    not depend on the run's RL) was listed as "no RL stage ran in this run" and left out."""
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
    fake_stage(run / "sft", 60, 10)
    fake_eval(run / "ablation" / "rl_only" / "eval", refusal=0.2, accuracy=0.4)
    fake_stage(run / "ablation" / "rl_only" / "rl", 90, 20)
    (run / "rl").mkdir()
    result = write_ablation(run)
    arms = {row["arm"]: row for row in result["arms"]}
    assert list(arms) == ["base", "sft_only", "rl_only"]
    assert (arms["rl_only"]["description"], arms["rl_only"]["tokens"]) == (
        "GRPO from the base model (no SFT, like R1-Zero)",
        20,
    )
    assert [entry["arm"] for entry in result["skipped"]] == ["hybrid", "student"]


def test_the_table_says_a_stage_two_arms_share_counts_in_each(tmp_path: Path) -> None:
    """Each arm's cost is every stage from the base model to it (SFT in sft_only and in the hybrid; the teacher's SFT
    and RL in the student), but the table said "its training stages, and for the student the teacher's rejection
    sampling too", which reads as the student's own stages plus sampling."""
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl", "student"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.5)
    fake_stage(run / "sft", 60, 100)
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "parent": str(run / "sft" / "model"), "wall_time_s": 120, "metrics": {"tokens": 40}},
    )
    write_json(
        run / "sample" / "stage.json",
        {
            "stage": "sample",
            "parent": str(run / "rl" / "model"),
            "wall_time_s": 30,
            "metrics": {"tokens": 8, "accepted": 4},
        },
    )
    fake_stage(run / "distill", 30, 16)
    arms = {row["arm"]: row for row in write_ablation(run)["arms"]}
    assert {name: (row["wall_time_s"], row["tokens"]) for name, row in arms.items()} == {
        "base": (0, 0),
        "sft_only": (60, 100),
        "hybrid": (180, 140),
        "student": (240, 164),
    }
    table = (run / "ablation.md").read_text(encoding="utf-8")
    assert (
        "wall time and tokens add up every stage that made the arm's model from the base model, evals excluded, so a "
        "stage two arms share counts in each: the hybrid's include SFT's, the student's its teacher's training and "
        "rejection sampling."
    ) in table
