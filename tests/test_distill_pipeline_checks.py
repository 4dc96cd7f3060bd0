"""What `safealign run` and `safealign distill` check between stages: the model each started from, the traces a
resumed distillation trains on, the teacher of those traces, and why a stage was skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from safealign.config import DistillConfig, parse_recipe
from safealign.runs import StageRecord, StageResult, read_json


def sample_recipe(tmp_path: Path, **sections: object) -> dict:
    """A recipe whose every stage takes seconds on the tiny model: a 2-item eval and 4 sampled prompts."""
    return {
        "name": "r",
        "output_dir": str(tmp_path / "runs"),
        "precision": "fp32",
        "model": {"name": "tiny"},
        "eval": {"suites": ["format"], "limit": 2, "max_new_tokens": 8},
        "sample": {"num_prompts": 4, "k": 1, "max_new_tokens": 8},
    } | sections


def test_a_rerun_names_the_finished_stages_made_from_another_model(tmp_path, caplog):
    from safealign.pipeline import run_pipeline

    spec = sample_recipe(tmp_path)
    run_pipeline(parse_recipe(spec), show_progress=False)
    spec["model"] = {"name": "tiny:7"}
    with caplog.at_level("WARNING"):
        run_pipeline(parse_recipe(spec), show_progress=False)
    said = " ".join(caplog.text.split())
    assert "sample: " in said and "the model it starts from: 'tiny' -> 'tiny:7'" in said, said
    assert "the model it scored: 'tiny' -> 'tiny:7'" in said, "the base eval scored the old model"


def test_an_rl_section_added_after_sampling_names_the_kept_sample(tmp_path, caplog, monkeypatch):
    """The kept sample came from sft/model; the pipeline's teacher is now rl/model. (Finished stages written by hand:
    the run only reads their records.)"""
    from safealign.pipeline import run_pipeline
    from safealign.runs import write_json

    run_dir = tmp_path / "runs" / "r"
    models = {
        "eval/base": "tiny",
        "sft": "tiny",
        "eval/sft": str(run_dir / "sft" / "model"),
        "rl": str(run_dir / "sft" / "model"),
        "eval/rl": str(run_dir / "rl" / "model"),
        "sample": str(run_dir / "sft" / "model"),
    }
    for folder, parent in models.items():
        write_json(
            run_dir / folder / "stage.json",
            {
                "stage": folder.replace("/", ":"),
                "parent": parent,
                "config": {},
                "seed": 42,
                "output": str(run_dir / folder / "out"),
                "metrics": {"accepted": 0},
            },
        )
        if folder.startswith("eval/"):  # an eval without its scores is scored again
            write_json(run_dir / folder / "summary.json", {"suites": {}})
    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)
    with caplog.at_level("WARNING"):
        run_pipeline(parse_recipe(sample_recipe(tmp_path, sft={}, rl={})), show_progress=False)
    said = " ".join(caplog.text.split())
    assert f"the model it starts from: '{run_dir}/sft/model' -> '{run_dir}/rl/model'" in said, said
    assert said.count("the model it") == 1, "every other stage started from the model it would now"


def test_each_stage_starts_from_the_model_the_pipeline_gives_it(tmp_path):
    from safealign.pipeline import starting_models

    run_dir = tmp_path / "runs" / "r"
    assert starting_models(parse_recipe(sample_recipe(tmp_path))) == {"sample": "tiny", "distill": "tiny"}
    both = parse_recipe(sample_recipe(tmp_path, sft={}, rl={}, distill={}))
    assert starting_models(both) == {
        "sft": "tiny",
        "rl": str(run_dir / "sft" / "model"),
        "sample": str(run_dir / "rl" / "model"),
        "distill": str(run_dir / "rl" / "model"),
    }
    rl_only = parse_recipe(sample_recipe(tmp_path, sft={"enabled": False}, rl={}))
    assert starting_models(rl_only)["rl"] == "tiny" and starting_models(rl_only)["sample"] == str(
        run_dir / "rl" / "model"
    )


def test_distill_without_sampling_is_refused_before_any_stage(tmp_path):
    """The pipeline sampled anyway while `validate` listed only distill: the recipe itself is refused now."""
    from safealign.errors import RecipeError

    spec = sample_recipe(tmp_path, distill={"student": "prune:0.5"})
    spec["sample"]["enabled"] = False
    with pytest.raises(
        RecipeError,
        match=r"distill needs rejection sampling's traces.*sample\.enabled: true, or remove the distill",
    ):
        parse_recipe(spec)


def test_a_distill_skipped_for_want_of_traces_has_a_row_saying_why(tmp_path, caplog):
    from safealign.cli.run_cmd import stage_table
    from safealign.pipeline import run_pipeline

    spec = sample_recipe(tmp_path, distill={"student": "prune:0.5", "max_steps": 1, "speed_rounds": 0})
    with caplog.at_level("WARNING"):
        result = run_pipeline(parse_recipe(spec), show_progress=False)
    run_dir = tmp_path / "runs" / "r"
    assert read_json(run_dir / "sample" / "stage.json")["metrics"]["accepted"] == 0, (
        "the random tiny model answers nothing right"
    )
    _, rows = stage_table(result.stages)
    assert [row[0] for row in rows] == [
        "eval:base",
        "sample",
        "distill (skipped: rejection sampling kept no trace)",
    ]
    assert f"delete {run_dir / 'sample'}, then raise sample.num_prompts" in caplog.text


def test_the_card_counts_rejection_reasons_not_samples():
    from safealign.card.summary import _rejections

    metrics = {
        "by_family": {
            "arithmetic": {"total": 4, "accepted": 0, "not_answered": 4, "format": 3, "incorrect": 3}
        }
    }
    assert (
        _rejections(metrics)
        == "; rejection reasons (a rejected sample can have several): not_answered 4, format 3, incorrect 3"
    )


def traces_and_teacher(tmp_path: Path) -> tuple[Path, Path]:
    rows = [
        {
            "id": f"t{i}",
            "kind": "reasoning",
            "messages": [
                {"role": "user", "content": f"What is {i} + {i}?"},
                {"role": "assistant", "content": f"The answer is {2 * i}."},
            ],
        }
        for i in range(4)
    ]
    traces = tmp_path / "traces.jsonl"
    traces.write_text("".join(json.dumps(row) + "\n" for row in rows))
    from safealign.models import load_model

    teacher = load_model("tiny:3")
    teacher.model.save_pretrained(tmp_path / "teacher")
    teacher.tokenizer.save_pretrained(tmp_path / "teacher")
    return traces, tmp_path / "teacher"


def test_a_distill_resumes_only_on_the_traces_it_started_with(tmp_path):
    from safealign.errors import SafealignError
    from safealign.stages.distill import run_distill

    traces, teacher = traces_and_teacher(tmp_path)
    stage_dir = tmp_path / "distill"
    cfg = DistillConfig(
        student="prune:0.5", mode="sequence", max_steps=1, save_steps=1, batch_size=2, speed_rounds=0
    )
    run_distill(cfg, str(teacher), traces, stage_dir, precision="fp32")
    (stage_dir / "stage.json").unlink()  # as after a crash past the last checkpoint
    assert list(stage_dir.glob("checkpoint-1")), "a checkpoint to resume from"
    traces.write_text(traces.read_text().replace("The answer is", "It is"))  # sampled again, same file name
    with pytest.raises(
        SafealignError, match=r"data_sha256\.traces: '[0-9a-f]{64}' -> '[0-9a-f]{64}'.*would mix the two"
    ):
        run_distill(cfg, str(teacher), traces, stage_dir, precision="fp32")


def test_a_distill_resumes_only_in_the_precision_it_started_with(tmp_path):
    """sft and rl refused it; a distill killed under fp32 and rerun under bf16 switched precision half way, without a word."""
    from safealign.errors import SafealignError
    from safealign.stages.distill import run_distill

    traces, teacher = traces_and_teacher(tmp_path)
    stage_dir = tmp_path / "distill"
    cfg = DistillConfig(
        student="prune:0.5", mode="sequence", max_steps=1, save_steps=1, batch_size=2, speed_rounds=0
    )
    run_distill(cfg, str(teacher), traces, stage_dir, precision="fp32")
    assert read_json(stage_dir / "stage.json")["metrics"]["precision"] == "fp32"
    (stage_dir / "stage.json").unlink()  # as after a crash past the last checkpoint
    with pytest.raises(SafealignError, match=r"precision: 'fp32' -> 'bf16'.*would mix the two"):
        run_distill(cfg, str(teacher), traces, stage_dir, precision="bf16")


def test_logit_kd_compares_a_teacher_and_student_of_different_output_widths(tmp_path):
    """One tokenizer, output layers padded to other widths (Qwen2.5-7B 152,064 vs 0.5B 151,936)."""
    from safealign.models import load_model
    from safealign.stages.distill import run_distill

    traces, teacher = traces_and_teacher(tmp_path)
    student = load_model("tiny:4")
    student.model.resize_token_embeddings(49216, mean_resizing=False)
    student.model.save_pretrained(tmp_path / "student")
    student.tokenizer.save_pretrained(tmp_path / "student")
    cfg = DistillConfig(
        student=str(tmp_path / "student"),
        mode="logit",
        max_steps=2,
        batch_size=2,
        save_steps=50,
        speed_rounds=0,
    )
    run_distill(cfg, str(teacher), traces, tmp_path / "distill", precision="fp32")
    logged = [
        json.loads(line)
        for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines()
        if "kd_loss" in line
    ]
    assert logged and logged[0]["kd_loss"] > 0


def test_a_vocab_keep_that_trims_nothing_does_not_hide_an_unpruned_student(tmp_path):
    from safealign.errors import DataError
    from safealign.stages.distill import run_distill

    traces, _ = traces_and_teacher(tmp_path)
    cfg = DistillConfig(student="prune:0.75", vocab_keep=60000, max_steps=1, speed_rounds=0)
    with pytest.raises(
        DataError,
        match=r"keeps the whole 2-layer teacher .*vocab_keep 60000: the student would be no smaller",
    ):
        run_distill(cfg, "tiny", traces, tmp_path / "distill", precision="fp32")
    assert not (tmp_path / "distill" / "metrics.jsonl").exists(), "refused before training"


def test_the_distill_command_takes_the_teacher_that_sampled_the_traces(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import safealign.stages.distill
    from safealign.cli.main import app

    run_dir = tmp_path / "runs" / "r"
    traces, _ = traces_and_teacher(tmp_path)
    (run_dir / "sample").mkdir(parents=True)
    (run_dir / "sample" / "traces.jsonl").write_text(traces.read_text())
    StageRecord(
        stage="sample",
        parent="tiny:7",
        output=str(run_dir / "sample" / "traces.jsonl"),
        config={},
        seed=42,
        started_at=0.0,
    ).finish(run_dir / "sample")
    taught_by = []

    def fake_distill(cfg, teacher_spec, *args, **kwargs):
        taught_by.append(teacher_spec)
        return StageResult(run_dir / "distill" / "model", {"metrics": {}, "output": "model"})

    monkeypatch.setattr(safealign.stages.distill, "run_distill", fake_distill)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {"name": "r", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}, "distill": {}}
        )
    )
    result = CliRunner().invoke(app, ["distill", str(recipe)])
    said = " ".join(result.output.split())
    assert (
        result.exit_code == 0 and taught_by == ["tiny:7"] and "teacher tiny:7, the model that sampled" in said
    ), said
    result = CliRunner().invoke(app, ["distill", str(recipe), "--teacher", "tiny"])
    said = " ".join(result.output.split())
    assert (
        taught_by[-1] == "tiny"
        and "--teacher tiny is not the model that sampled" in said
        and "(tiny:7)" in said
    ), said


def test_a_rerun_under_a_changed_recipe_keeps_the_earlier_recipe(tmp_path):
    """Each rerun overwrote recipe.yaml: the recipe the kept stages were made under was lost from the folder."""
    from safealign.pipeline import keep_earlier_recipe

    (tmp_path / "recipe.yaml").write_text("model: {name: tiny}\n")
    (tmp_path / "recipe.source.yaml").write_text("model: tiny\n")
    assert keep_earlier_recipe(tmp_path, "model: {name: tiny}\n") is None, "an unchanged recipe is not copied"
    kept = keep_earlier_recipe(tmp_path, "model: {name: 'tiny:5'}\n")
    assert kept.read_text() == "model: {name: tiny}\n" and not (tmp_path / "recipe.yaml").exists()
    assert [p.name.startswith("recipe.source.") for p in tmp_path.glob("recipe.source.*.yaml")] == [True]


def no_system_teacher(teacher: Path) -> None:
    """The teacher's tokenizer behind a Gemma-like template that refuses a system turn."""
    from test_sft import NO_SYSTEM_TEMPLATE
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(teacher)
    tokenizer.chat_template = NO_SYSTEM_TEMPLATE
    tokenizer.save_pretrained(teacher)


@pytest.mark.parametrize(
    ("prune_by", "vocab_keep", "own_system", "says"),
    [
        ("depth", 300, False, r"model\.system_prompt adds one"),  # trimming the vocabulary renders every row
        ("width", None, True, r"the row holds one"),  # the width calibration renders the rows as they are
    ],
    ids=["vocab_keep", "calibration"],
)
def test_a_row_the_teachers_template_refuses_is_named_before_the_student_is_built(
    tmp_path, prune_by, vocab_keep, own_system, says
):
    """Pruning's calibration and vocab_keep's trim rendered the rows before the check that names a refused row: they
    ended in jinja2's raw TemplateError ("System role not supported") with a traceback."""
    from safealign.errors import DataError
    from safealign.stages.distill import run_distill

    traces, teacher = traces_and_teacher(tmp_path)
    no_system_teacher(teacher)
    if own_system:
        rows = [json.loads(line) for line in traces.read_text().splitlines()]
        rows[1]["messages"].insert(0, {"role": "system", "content": "Be brief."})
        traces.write_text("".join(json.dumps(row) + "\n" for row in rows))
    cfg = DistillConfig(
        student="prune:0.5",
        prune_by=prune_by,
        vocab_keep=vocab_keep,
        mode="sequence",
        max_steps=1,
        save_steps=1,
        batch_size=2,
        speed_rounds=0,
    )
    stage_dir = tmp_path / "distill"
    with pytest.raises(
        DataError, match=rf"distill: the model's chat template refuses a row of .*traces\.jsonl.*{says}"
    ):
        run_distill(
            cfg,
            str(teacher),
            traces,
            stage_dir,
            precision="fp32",
            system_prompt=None if own_system else "Be safe.",
        )
    assert not (stage_dir / "model").exists() and not list(stage_dir.glob("checkpoint-*"))
