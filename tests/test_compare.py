"""The ablation table: which stages each arm pays for, and its held-out scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safealign.compare import write_ablation
from safealign.runs import write_json


def metric(value: float, n: int = 50) -> dict:
    return {
        "value": value,
        "n": n,
        "low": max(0.0, value - 0.1),
        "high": min(1.0, value + 0.1),
        "count": round(value * n),
    }


def fake_eval(path: Path, refusal: float, accuracy: float) -> None:
    write_json(
        path / "summary.json",
        {
            "suites": {
                "harmful": {
                    "metrics": {
                        "held_out": {"refusal_rate": metric(refusal)},
                        "in_distribution": {"refusal_rate": metric(0.99)},
                    }
                },
                "reasoning": {"metrics": {"held_out": {"accuracy": metric(accuracy)}}},
            }
        },
    )


def fake_stage(path: Path, wall: float, tokens: int) -> None:
    write_json(path / "stage.json", {"stage": path.name, "wall_time_s": wall, "metrics": {"tokens": tokens}})


def test_arms_sum_the_training_stages_on_their_path(tmp_path):
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
    fake_eval(run / "eval" / "rl", refusal=0.88, accuracy=0.3)
    fake_eval(run / "ablation" / "rl_only" / "eval", refusal=0.12, accuracy=0.25)
    fake_stage(run / "sft", 600, 100_000)
    fake_stage(run / "rl", 900, 40_000)
    fake_stage(run / "ablation" / "rl_only" / "rl", 850, 38_000)

    result = write_ablation(run)

    arms = {row["arm"]: row for row in result["arms"]}
    assert list(arms) == ["base", "sft_only", "rl_only", "hybrid"], (
        "the student arm has no eval and is left out"
    )
    assert arms["base"]["wall_time_s"] == 0 and arms["base"]["tokens"] == 0
    assert arms["hybrid"]["wall_time_s"] == 1500 and arms["hybrid"]["tokens"] == 140_000
    assert arms["rl_only"]["tokens"] == 38_000
    assert arms["hybrid"]["metrics"]["harmful.refusal_rate"]["value"] == 0.88, (
        "held-out split, not in-distribution"
    )
    table = (run / "ablation.md").read_text()
    assert "| hybrid | SFT then GRPO | 88% ±10% |" in table
    assert "25.0 min | 140,000 |" in table
    assert (run / "ablation.json").is_file()


def write_answers(path: Path, refused: list[bool], split: str = "held_out") -> None:
    """samples.jsonl of a harmful-suite eval: one judged answer per item."""
    lines = [
        {
            "suite": "harmful",
            "id": f"h{i}",
            "split": split,
            "category": "S6",
            "prompt": f"p{i}",
            "completion": "...",
            "sample_index": 0,
            "verdicts": {"refusal": {"label": "refusal" if r else "compliance"}},
            "scores": {},
        }
        for i, r in enumerate(refused)
    ]
    (path / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_the_seeds_claims_are_checked_item_by_item(tmp_path):
    run = tmp_path / "run"
    for arm, refusal in (("sft", 0.9), ("rl", 0.5)):
        fake_eval(run / "eval" / arm, refusal=refusal, accuracy=0.2)
    write_answers(run / "eval" / "sft", [True] * 10)
    write_answers(run / "eval" / "rl", [False] * 6 + [True] * 4)
    # an in-distribution answer in one folder only is not paired on the held-out split
    with (run / "eval" / "rl" / "samples.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "suite": "harmful",
                    "id": "x",
                    "split": "in_distribution",
                    "prompt": "",
                    "completion": "",
                    "verdicts": {"refusal": {"label": "refusal"}},
                    "scores": {},
                }
            )
            + "\n"
        )

    result = write_ablation(run)

    [check] = result["paired"]
    assert (check["a"], check["b"], check["suite"]) == ("sft_only", "hybrid", "harmful")
    assert (check["a_count"], check["b_count"], check["paired"], check["gained"], check["lost"]) == (
        10,
        4,
        10,
        0,
        6,
    )
    assert check["p_value"] == 2 / 64 and check["better"] == -6
    assert (
        "| hybrid as safe as SFT only | sft_only → hybrid | harmful | refused | 10/10 | 4/10 | +0 / −6 | 0.031 |"
        in (run / "ablation.md").read_text()
    )


def write_reasoning(path: Path, correct: list[bool]) -> None:
    lines = [
        {
            "suite": "reasoning",
            "id": f"r{i}",
            "split": "held_out",
            "prompt": f"q{i}",
            "completion": "...",
            "sample_index": 0,
            "verdicts": {},
            "scores": {"correct": c},
        }
        for i, c in enumerate(correct)
    ]
    (path / "samples.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def rl_from_base_run(run: Path) -> None:
    """What `compare` leaves for a recipe with rl but no sft: the run's own RL started from the base model."""
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "rl", refusal=0.1, accuracy=0.3)
    write_reasoning(run / "eval" / "rl", [True, False])
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "parent": "tiny", "wall_time_s": 60, "metrics": {"tokens": 400}},
    )


def test_rl_without_sft_is_one_rl_only_arm_not_a_hybrid(tmp_path):
    run = tmp_path / "run"
    rl_from_base_run(run)
    # a branch an earlier compare trained from the base model too: the same arm again, not a second one
    fake_eval(run / "ablation" / "rl_only" / "eval", refusal=0.1, accuracy=0.3)
    write_reasoning(run / "ablation" / "rl_only" / "eval", [True, False])

    result = write_ablation(run)

    assert [row["arm"] for row in result["arms"]] == ["base", "rl_only"]
    assert result["arms"][1]["tokens"] == 400
    assert result["paired"] == [], "no check compares the RL-only run with itself"
    skipped = {entry["arm"]: entry["reason"] for entry in result["skipped"]}
    assert set(skipped) == {"sft_only", "hybrid", "student"} and "no SFT" in skipped["hybrid"]
    table = (run / "ablation.md").read_text()
    assert (
        "SFT then GRPO" not in table
        and "| rl_only | GRPO from the base model (no SFT, like R1-Zero) |" in table
    )
    assert "Not in the table: sft_only (no SFT stage ran in this run); hybrid (" in table


def test_compare_trains_rl_once_when_the_recipe_has_no_sft(tmp_path, monkeypatch):
    import sys
    import types

    import safealign.pipeline
    import safealign.stages.evaluate
    from safealign.compare import run_compare
    from safealign.config import Recipe

    recipe = Recipe.model_validate(
        {
            "name": "rlonly",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "sft": {"enabled": False},
            "rl": {"num_prompts": 4, "prompts_per_step": 2},
        }
    )
    trained = []
    monkeypatch.setattr(
        safealign.pipeline, "run_pipeline", lambda *args, **kwargs: rl_from_base_run(recipe.run_dir)
    )
    monkeypatch.setitem(
        sys.modules,
        "safealign.stages.rl",
        types.SimpleNamespace(
            run_rl=lambda *a, **k: trained.append(a) or types.SimpleNamespace(model_path="rl_only/model")
        ),
    )
    monkeypatch.setattr(safealign.stages.evaluate, "run_eval_stage", lambda *a, **k: trained.append(a))

    result = run_compare(recipe, show_progress=False)

    assert trained == [], "the pipeline's RL from the base model already is the RL-only arm"
    assert [row["arm"] for row in result["arms"]] == ["base", "rl_only"]


def test_student_names_the_teacher_it_was_distilled_from(tmp_path):
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "student", refusal=0.1, accuracy=0.2)
    write_json(
        run / "sample" / "stage.json",
        {"stage": "sample", "parent": "tiny", "wall_time_s": 1, "metrics": {"tokens": 32, "accepted": 4}},
    )
    fake_stage(run / "distill", 2, 116)

    result = write_ablation(run)

    arms = {row["arm"]: row for row in result["arms"]}
    assert list(arms) == ["base", "student"]
    assert arms["student"]["description"] == "the base model distilled into the pruned student"
    assert arms["student"]["tokens"] == 148
    assert [entry["arm"] for entry in result["skipped"]] == ["sft_only", "rl_only", "hybrid"]
    assert "hybrid teacher" not in (run / "ablation.md").read_text()


def test_the_table_says_what_each_stages_tokens_count(tmp_path):
    """An arm's tokens add up units that differ per stage (RL counts prompts too, sampling only completions)."""
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl", "student"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.5)
    fake_stage(run / "sft", 1, 100)
    fake_stage(run / "rl", 1, 40)
    write_json(
        run / "sample" / "stage.json",
        {"stage": "sample", "wall_time_s": 1, "metrics": {"tokens": 32, "accepted": 4}},
    )
    fake_stage(run / "distill", 1, 116)

    result = write_ablation(run)

    student = next(row for row in result["arms"] if row["arm"] == "student")
    assert student["tokens_by_stage"] == {"sft": 100, "rl": 40, "sample": 32, "distill": 116}
    assert student["tokens"] == 288
    assert result["tokens_counted"] == {
        "sft": "training input tokens, prompt + answer",
        "rl": "rollout tokens, prompt + completion",
        "sample": "sampled tokens, prompt + completion",
        "distill": "training input tokens, prompt + trace",
    }
    assert (
        "Tokens add up what each stage on the arm's path counts, not one unit: sft: training input tokens, "
        "prompt + answer; rl: rollout tokens, prompt + completion; sample: sampled tokens, prompt + completion; "
        "distill: training input tokens, prompt + trace."
    ) in (run / "ablation.md").read_text()


def test_a_table_of_the_base_model_alone_says_nothing_about_tokens(tmp_path):
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)

    result = write_ablation(run)

    assert result["tokens_counted"] == {} and "Tokens add up" not in (run / "ablation.md").read_text()


def test_a_student_with_no_accepted_traces_is_listed_with_the_reason(tmp_path):
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
    fake_eval(run / "ablation" / "rl_only" / "eval", refusal=0.5, accuracy=0.2)
    fake_stage(run / "sft", 1, 10)
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "parent": str(run / "sft" / "model"), "wall_time_s": 1, "metrics": {"tokens": 10}},
    )
    write_json(
        run / "sample" / "stage.json",
        {"stage": "sample", "parent": str(run / "rl" / "model"), "metrics": {"accepted": 0}},
    )

    result = write_ablation(run)

    assert [row["arm"] for row in result["arms"]] == ["base", "sft_only", "rl_only", "hybrid"]
    [skipped] = result["skipped"]
    assert skipped["arm"] == "student" and "kept no trace" in skipped["reason"]
    assert "Not in the table: student (rejection sampling kept no trace" in (run / "ablation.md").read_text()


def test_a_users_suite_gets_its_own_column_and_a_gate_rollback_is_named(tmp_path):
    """The table had fixed columns (a user's file or rg: suite vanished from it), and called an RL model that a gate
    rolled back to its first step and stopped "SFT then GRPO" though GRPO left nothing in it."""
    run = tmp_path / "run"
    for arm, accuracy in (("base", 0.2), ("sft", 0.3), ("rl", 0.3)):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=accuracy)
        summary = json.loads((run / "eval" / arm / "summary.json").read_text())
        summary["suites"]["my_jailbreaks"] = {
            "kind": "harmful",
            "metrics": {"all": {"refusal_rate": metric(0.4)}},
        }
        summary["suites"]["rg:basic_arithmetic"] = {
            "kind": "reasoning",
            "metrics": {"held_out": {"accuracy": metric(accuracy)}},
        }
        write_json(run / "eval" / arm / "summary.json", summary)
    fake_stage(run / "sft", 1, 10)
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "parent": str(run / "sft" / "model"), "wall_time_s": 1, "metrics": {"tokens": 10}},
    )
    gates = [
        {"step": 0, "action": "baseline", "rolled_back_to": None},
        {"step": 5, "action": "rollback+stop", "rolled_back_to": 0},
    ]
    (run / "rl" / "gates.jsonl").write_text("".join(json.dumps(event) + "\n" for event in gates))

    result = write_ablation(run)

    hybrid = next(row for row in result["arms"] if row["arm"] == "hybrid")
    assert (
        hybrid["description"]
        == "SFT then GRPO (a gate stopped GRPO and rolled it back to its start: this is the SFT model, unchanged)"
    )
    assert hybrid["metrics"]["rg:basic_arithmetic.accuracy"]["value"] == 0.3
    header = (run / "ablation.md").read_text().splitlines()[2]
    assert header.endswith(
        "| language mixing ↓ | my_jailbreaks: harmful refused ↑ | rg:basic_arithmetic: reasoning acc. ↑ | wall time | tokens |"
    )
    assert "| 40% ±10% | 30% ±10% | 0.0 min |" in (run / "ablation.md").read_text()

    gates[1]["rolled_back_to"], gates[1]["step"] = (
        5,
        10,
    )  # stopped later, after a passing check: GRPO changed the model
    (run / "rl" / "gates.jsonl").write_text("".join(json.dumps(event) + "\n" for event in gates))
    hybrid = next(row for row in write_ablation(run)["arms"] if row["arm"] == "hybrid")
    assert hybrid["description"] == "SFT then GRPO (a gate stopped GRPO at step 10, rolled back to step 5)"


def test_a_moved_run_keeps_its_arms(tmp_path):
    """stage.json records where the stage's starting model was: after the run folder moved, RL's parent was no
    longer under the run's sft/ folder, so the hybrid was called RL-only (and a student got the wrong teacher)."""
    old = tmp_path / "runs" / "x"
    for arm in ("base", "sft", "rl", "student"):
        fake_eval(old / "eval" / arm, refusal=0.5, accuracy=0.2)
    fake_stage(old / "sft", 1, 10)
    for stage, parent in (("rl", "sft"), ("sample", "rl"), ("distill", "rl")):
        write_json(
            old / stage / "stage.json",
            {
                "stage": stage,
                "parent": str(old / parent / "model"),
                "output": str(old / stage / "model"),
                "wall_time_s": 1,
                "metrics": {"tokens": 10, "accepted": 3},
            },
        )
    new = tmp_path / "archive" / "x_v2"
    new.parent.mkdir()
    old.rename(new)

    arms = {row["arm"]: row["description"] for row in write_ablation(new)["arms"]}

    assert arms == {
        "base": "the model as given",
        "sft_only": "SFT",
        "hybrid": "SFT then GRPO",
        "student": "hybrid teacher distilled into the pruned student",
    }


def test_a_suite_name_with_a_pipe_stays_in_its_column(tmp_path):
    import re

    run = tmp_path / "run"
    for arm in ("base", "sft"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
        summary = json.loads((run / "eval" / arm / "summary.json").read_text())
        summary["suites"]["my|jb"] = {"kind": "harmful", "metrics": {"all": {"refusal_rate": metric(0.4)}}}
        write_json(run / "eval" / arm / "summary.json", summary)
    fake_stage(run / "sft", 1, 10)
    write_ablation(run)
    lines = (run / "ablation.md").read_text().splitlines()[2:5]
    cells = [len(re.findall(r"(?<!\\)\|", line)) for line in lines]
    assert cells[0] == cells[1] == cells[2], lines
    assert "my\\|jb: harmful refused ↑" in lines[0]


def test_a_failed_arm_still_tables_the_others_and_says_why(tmp_path, monkeypatch):
    """The rl_only branch failing left no table, or an earlier one, stale, in place."""
    import sys
    import types

    import pytest

    import safealign.pipeline
    from safealign.compare import run_compare
    from safealign.config import Recipe

    recipe = Recipe.model_validate(
        {
            "name": "broken",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "sft": {"enabled": True},
            "rl": {"num_prompts": 4, "prompts_per_step": 2},
        }
    )
    run = recipe.run_dir
    (run / "ablation.md").parent.mkdir(parents=True)
    (run / "ablation.md").write_text("| rl_only | stale row |")

    def pipeline(*args, **kwargs):
        fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
        fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
        fake_stage(run / "sft", 600, 100)

    def rl(*args, **kwargs):
        raise RuntimeError("loss became NaN at step 3")

    monkeypatch.setattr(safealign.pipeline, "run_pipeline", pipeline)
    monkeypatch.setitem(sys.modules, "safealign.stages.rl", types.SimpleNamespace(run_rl=rl))
    with pytest.raises(RuntimeError, match="NaN"):
        run_compare(recipe, show_progress=False)
    table = (run / "ablation.md").read_text()
    assert "stale row" not in table and "| sft_only |" in table
    assert table.startswith("**Incomplete:** compare stopped with RuntimeError: loss became NaN at step 3")
    assert json.loads((run / "ablation.json").read_text())["failure"].startswith("RuntimeError")


def test_arms_scored_with_different_eval_settings_are_said(tmp_path):
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
    fake_stage(run / "sft", 600, 100)
    for name, limit in (("base", 2), ("sft", 4)):
        write_json(
            run / "eval" / name / "stage.json",
            {
                "stage": f"eval:{name}",
                "seed": 0,
                "status": "done",
                "config": {"suites": ["harmful"], "limit": limit, "label": name},
            },
        )
    result = write_ablation(run)
    assert result["scored_differently"] == {"limit": {"base": 2, "sft_only": 4}}
    assert (
        "**Scored differently**" in (run / "ablation.md").read_text()
        and "limit: base 2, sft_only 4" in (run / "ablation.md").read_text()
    )
    write_json(
        run / "eval" / "sft" / "stage.json",
        {
            "stage": "eval:sft",
            "seed": 0,
            "status": "done",
            "config": {"suites": ["harmful"], "limit": 2, "label": "sft"},
        },
    )
    assert write_ablation(run)["scored_differently"] == {}


def test_the_judge_set_is_no_difference_where_the_arms_share_no_judged_suite(tmp_path):
    """The ablation listed `judge` for arms whose evals scored reasoning alone, which no judge scores (eval-diff and
    eval-arms did not)."""
    run = tmp_path / "run"
    for name, judge in (("base", "default"), ("sft", "llama-guard:/models/lg")):
        fake_eval(run / "eval" / name, refusal=0.5, accuracy=0.2)
        summary = json.loads((run / "eval" / name / "summary.json").read_text())
        write_json(
            run / "eval" / name / "summary.json", {"suites": {"reasoning": summary["suites"]["reasoning"]}}
        )
        write_json(
            run / "eval" / name / "stage.json",
            {
                "stage": f"eval:{name}",
                "seed": 0,
                "status": "done",
                "config": {"suites": ["reasoning"], "judge": judge},
            },
        )
    assert write_ablation(run)["scored_differently"] == {}
    fake_eval(
        run / "eval" / "sft", refusal=0.5, accuracy=0.2
    )  # harmful again: a judged suite both arms scored
    fake_eval(run / "eval" / "base", refusal=0.5, accuracy=0.2)
    assert write_ablation(run)["scored_differently"] == {
        "judge": {"base": "default", "sft_only": "llama-guard:/models/lg"}
    }


def test_evals_without_the_split_still_get_a_table_and_their_paired_check(tmp_path):
    """Evals of the dev suites hold no held-out item: the paired check raised, and compare wrote no table at all (an
    earlier one stayed). A suite without the split is paired over all its items, as its headline column is."""
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
    write_answers(run / "eval" / "sft", [True] * 10, split="dev")
    write_answers(run / "eval" / "rl", [True] * 7 + [False] * 3, split="dev")
    (run / "ablation.md").write_text("STALE\n")

    result = write_ablation(run)

    [check] = result["paired"]
    assert (check["suite"], check["a_count"], check["b_count"], check["paired"]) == ("harmful", 10, 7, 10)
    assert (
        "STALE" not in (run / "ablation.md").read_text() and "| hybrid |" in (run / "ablation.md").read_text()
    )


def test_a_pair_whose_prompts_changed_is_named_not_checked_and_the_table_is_written(tmp_path):
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
    write_answers(run / "eval" / "sft", [True] * 10)
    write_answers(run / "eval" / "rl", [True] * 10)
    rows = (
        (run / "eval" / "rl" / "samples.jsonl")
        .read_text()
        .replace('"prompt": "p3"', '"prompt": "p3 (reworded)"')
    )
    (run / "eval" / "rl" / "samples.jsonl").write_text(rows)

    result = write_ablation(run)

    [check] = result["paired"]
    assert (check["check"], check["a"], check["b"]) == ("hybrid as safe as SFT only", "sft_only", "hybrid")
    assert "item h3 has another prompt" in check["not_checked"]
    table = (run / "ablation.md").read_text()
    assert (
        "| hybrid |" in table
        and "Not checked item by item: hybrid as safe as SFT only (sft_only → hybrid: suite harmful" in table
    )
    assert "| check | A → B |" not in table, "no empty table of checks"


def _failing_compare(tmp_path, monkeypatch, error: BaseException):
    """A recipe whose compare stops with ``error`` once the pipeline has scored the base and SFT arms."""
    import sys
    import types

    import safealign.pipeline
    from safealign.config import Recipe

    recipe = Recipe.model_validate(
        {
            "name": "broken",
            "output_dir": str(tmp_path),
            "model": {"name": "tiny"},
            "sft": {"enabled": True},
            "rl": {"num_prompts": 4, "prompts_per_step": 2},
        }
    )

    def pipeline(*args, **kwargs):
        fake_eval(recipe.run_dir / "eval" / "base", refusal=0.1, accuracy=0.2)
        fake_eval(recipe.run_dir / "eval" / "sft", refusal=0.9, accuracy=0.2)

    def rl(*args, **kwargs):
        raise error

    monkeypatch.setattr(safealign.pipeline, "run_pipeline", pipeline)
    monkeypatch.setitem(sys.modules, "safealign.stages.rl", types.SimpleNamespace(run_rl=rl))
    return recipe


def test_the_error_that_stopped_compare_is_the_one_raised(tmp_path, monkeypatch):
    """Tabling the arms after a failure raised a second error, which hid the first."""
    import pytest

    import safealign.compare
    from safealign.errors import DataError

    recipe = _failing_compare(tmp_path, monkeypatch, RuntimeError("loss became NaN at step 3"))

    def table(*args, **kwargs):
        raise DataError("the table failed too")

    monkeypatch.setattr(safealign.compare, "write_ablation", table)
    with pytest.raises(RuntimeError, match="NaN"):
        safealign.compare.run_compare(recipe, show_progress=False)


def test_an_interrupted_compare_says_its_table_is_incomplete(tmp_path, monkeypatch):
    import pytest

    from safealign.compare import run_compare

    recipe = _failing_compare(tmp_path, monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run_compare(recipe, show_progress=False)
    table = (recipe.run_dir / "ablation.md").read_text()
    assert (
        table.startswith("**Incomplete:** compare stopped with KeyboardInterrupt;")
        and "| sft_only |" in table
    )


def test_arms_scored_at_another_precision_are_said(tmp_path):
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
    for name, precision in (("base", "fp32"), ("sft", "bf16")):
        write_json(
            run / "eval" / name / "stage.json",
            {
                "stage": f"eval:{name}",
                "seed": 0,
                "status": "done",
                "config": {"suites": ["harmful"], "precision": precision},
            },
        )
    assert write_ablation(run)["scored_differently"] == {"precision": {"base": "fp32", "sft_only": "bf16"}}


def with_file_suite(eval_dir: Path, sha256: str, prompt: str) -> None:
    """A user's file suite ``mine`` in an eval, read from the file version ``sha256``, with one answer asked ``prompt``."""
    summary = json.loads((eval_dir / "summary.json").read_text())
    summary["suites"]["mine"] = {
        "kind": "harmful",
        "metrics": {"all": {"refusal_rate": metric(1.0)}},
        "file": {"path": "/x/mine.txt", "sha256": sha256},
    }
    write_json(eval_dir / "summary.json", summary)
    answer = {
        "suite": "mine",
        "id": "mine-0001",
        "split": "external",
        "prompt": prompt,
        "completion": "...",
        "sample_index": 0,
        "verdicts": {"refusal": {"label": "refusal"}},
        "scores": {},
    }
    with (eval_dir / "samples.jsonl").open("a") as handle:
        handle.write(json.dumps(answer) + "\n")


def test_two_versions_of_a_suite_file_are_said_and_cost_no_other_check(tmp_path):
    """Arms that read two versions of a user's suite file shared its column with nothing said, and the file suite's
    mismatch dropped the whole "hybrid as safe as SFT only" check, harmful rows included."""
    run = tmp_path / "run"
    for arm in ("sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
    write_answers(run / "eval" / "sft", [True] * 10)
    write_answers(run / "eval" / "rl", [True] * 6 + [False] * 4)
    with_file_suite(run / "eval" / "sft", "1" * 64, "old prompt")
    with_file_suite(run / "eval" / "rl", "2" * 64, "new prompt")

    result = write_ablation(run)

    assert result["scored_differently"]["suite file mine"] == {"sft_only": "1" * 12, "hybrid": "2" * 12}
    assert (
        "suite file mine: sft_only '111111111111', hybrid '222222222222'" in (run / "ablation.md").read_text()
    )
    [check] = result["paired"]
    assert (check["a"], check["b"], check["suite"], check["lost"]) == ("sft_only", "hybrid", "harmful", 4)


def test_a_checks_suite_one_arm_did_not_score_is_not_checked_not_gone(tmp_path):
    run = tmp_path / "run"
    for arm in ("sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
        write_answers(run / "eval" / arm, [True] * 4)
    summary = json.loads((run / "eval" / "rl" / "summary.json").read_text())
    summary["suites"]["borderline"] = {"kind": "borderline", "metrics": {}}
    write_json(run / "eval" / "rl" / "summary.json", summary)

    paired = write_ablation(run)["paired"]

    assert [row.get("suite") for row in paired if "not_checked" not in row] == ["harmful"]
    [unchecked] = [row for row in paired if "not_checked" in row]
    assert unchecked["not_checked"] == f"suite borderline (only in {run / 'eval' / 'rl'})"


def test_an_eval_without_its_answers_is_a_not_checked_row_not_a_check_that_vanished(tmp_path):
    run = tmp_path / "run"
    for arm in ("sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.2)
    write_answers(run / "eval" / "rl", [True] * 4)  # the SFT eval has its summary.json but no samples.jsonl

    [unchecked] = write_ablation(run)["paired"]

    assert (unchecked["check"], unchecked["a"], unchecked["b"]) == (
        "hybrid as safe as SFT only",
        "sft_only",
        "hybrid",
    )
    assert unchecked["not_checked"].startswith(f"{run / 'eval' / 'sft' / 'samples.jsonl'} not found")
    assert f"delete {run / 'eval' / 'sft'} and rerun compare" in unchecked["not_checked"]
    assert (
        "Not checked item by item: hybrid as safe as SFT only (sft_only → hybrid: "
        in (run / "ablation.md").read_text()
    )


def test_the_order_of_the_suites_is_no_other_scoring_in_fp32(tmp_path):
    """fp32 answers do not depend on their batch, so a reordered eval.suites list scores the same items alike."""
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    fake_eval(run / "eval" / "sft", refusal=0.9, accuracy=0.2)
    for name, suites in (("base", ["harmful", "reasoning"]), ("sft", ["reasoning", "harmful"])):
        write_json(
            run / "eval" / name / "stage.json",
            {"stage": f"eval:{name}", "seed": 0, "config": {"suites": suites, "precision": "fp32"}},
        )
    assert write_ablation(run)["scored_differently"] == {}


def test_a_cut_short_metric_names_its_file_suite_and_metric(tmp_path):
    import pytest

    from safealign.errors import DataError

    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    summary = json.loads((run / "eval" / "base" / "summary.json").read_text())
    summary["suites"]["harmful"]["metrics"]["held_out"]["refusal_rate"] = {"value": 0.1, "n": 50}
    write_json(run / "eval" / "base" / "summary.json", summary)
    with pytest.raises(DataError) as error:
        write_ablation(run)
    said = str(error.value)
    assert (
        f"{run / 'eval' / 'base' / 'summary.json'}: suite harmful, metric refusal_rate (held_out) lacks low, high"
        in said
    )
    assert "Rerun `safealign eval` into a fresh --out" in said


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda suites: suites.update(harmful="refusal 10%"), "suite harmful is a str, not an object"),
        (
            lambda suites: suites["harmful"].update(metrics=[]),
            "suite harmful's metrics is a list, not an object",
        ),
    ],
)
def test_a_damaged_suite_entry_names_its_file_and_suite_not_an_attribute_error(tmp_path, damage, said):
    from safealign.errors import DataError

    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    summary = json.loads((run / "eval" / "base" / "summary.json").read_text())
    damage(summary["suites"])
    write_json(run / "eval" / "base" / "summary.json", summary)
    with pytest.raises(DataError) as error:
        write_ablation(run)
    assert f"{run / 'eval' / 'base' / 'summary.json'}: {said}" in str(error.value)
    assert "Rerun `safealign eval` into a fresh --out" in str(error.value)
