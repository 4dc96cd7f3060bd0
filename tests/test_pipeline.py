"""`safealign run` on the tiny model: stages in order, and resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from safealign.runs import read_json


def recipe(tmp_path: Path, sft_steps: int) -> Path:
    data = tmp_path / "mem.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(
                {
                    "kind": "benign",
                    "messages": [
                        {"role": "user", "content": f"Say {i}."},
                        {"role": "assistant", "content": f"I say {i}."},
                    ],
                }
            )
            for i in range(8)
        )
        + "\n"
    )
    path = tmp_path / "recipe.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "tinyrun",
                "output_dir": str(tmp_path / "runs"),
                "precision": "fp32",
                "model": {"name": "tiny"},
                "eval": {
                    "suites": ["harmful", "reasoning"],
                    "limit": 2,
                    "max_new_tokens": 6,
                    "split": "held_out",
                },
                "sft": {
                    "datasets": {str(data): 1.0},
                    "method": "full",
                    "max_steps": sft_steps,
                    "batch_size": 2,
                    "save_steps": 2,
                    "logging_steps": 1,
                    "learning_rate": 1e-3,
                },
            }
        )
    )
    return path


def run_cli(path: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "safealign.cli.main", "run", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_pipeline_resumes_after_kill_9(tmp_path, safealign_home):
    path = recipe(tmp_path, sft_steps=400)
    run_dir = tmp_path / "runs" / "tinyrun"
    env = os.environ | {"SAFEALIGN_HOME": str(safealign_home), "CI": "true"}
    first = run_cli(path, env)
    deadline = time.time() + 240
    # Any checkpoint will do: tiny steps take milliseconds and save_total_limit prunes old ones, so a
    # poll for one particular step can miss it on a busy machine.
    while time.time() < deadline and not list((run_dir / "sft").glob("checkpoint-*/trainer_state.json")):
        assert first.poll() is None, first.stdout.read()
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert (run_dir / "eval" / "base" / "stage.json").is_file(), "baseline eval finished before the kill"
    assert not (run_dir / "sft" / "stage.json").exists(), "sft was killed mid-stage"
    base_done = (run_dir / "eval" / "base" / "stage.json").stat().st_mtime_ns

    # Shorten the rest of the run: same stage, fewer steps to go (max_steps is read on resume).
    spec = yaml.safe_load(path.read_text())
    saved = max(
        int(p.name.split("-")[-1])
        for p in (run_dir / "sft").glob("checkpoint-*")
        if (p / "trainer_state.json").is_file()
    )
    spec["sft"]["max_steps"] = saved + 4
    path.write_text(yaml.safe_dump(spec))
    second = run_cli(path, env)
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output
    assert (run_dir / "eval" / "base" / "stage.json").stat().st_mtime_ns == base_done, (
        "finished stage was skipped"
    )
    sft = read_json(run_dir / "sft" / "stage.json")
    assert sft["inputs"]["resumed_from"] and sft["inputs"]["resumed_from"].endswith(f"checkpoint-{saved}")
    assert sft["metrics"]["steps"] == saved + 4, "continued from the saved step, not from zero"
    assert (run_dir / "eval" / "sft" / "summary.json").is_file()
    assert "eval:sft" in output and "final model" in output
    stages = [s["stage"] for s in read_json(run_dir / "pipeline.json")["stages"]]
    assert stages == ["eval:base", "sft", "eval:sft"]


def test_a_finished_stage_with_other_settings_is_kept_with_a_warning(tmp_path, caplog):
    from safealign.config import SFTConfig
    from safealign.pipeline import warn_if_settings_changed
    from safealign.runs import changed_settings, write_json

    stage_dir = tmp_path / "sft"
    assert changed_settings(stage_dir, {"learning_rate": 1e-4}) == {}, "no stage yet: nothing changed"
    then = SFTConfig(learning_rate=1e-4, epochs=1).model_dump()
    write_json(stage_dir / "stage.json", {"stage": "sft", "config": then})
    assert changed_settings(stage_dir, then) == {}
    now = SFTConfig(learning_rate=5e-5, epochs=1)
    assert changed_settings(stage_dir, now.model_dump()) == {"learning_rate": (1e-4, 5e-5)}
    with caplog.at_level("WARNING"):
        warn_if_settings_changed("sft", stage_dir, now)
    assert "learning_rate: 0.0001 -> 5e-05" in caplog.text and "Delete that folder" in caplog.text


def test_a_finished_stage_from_another_model_seed_or_system_prompt_is_named(tmp_path, caplog):
    from safealign.config import SFTConfig
    from safealign.pipeline import warn_if_settings_changed
    from safealign.runs import changed_settings, run_settings, write_json

    stage_dir = tmp_path / "sft"
    cfg = SFTConfig().model_dump()
    write_json(
        stage_dir / "stage.json",
        {"stage": "sft", "config": cfg, "parent": "tiny", "seed": 42, "inputs": {"system_prompt": None}},
    )
    assert changed_settings(stage_dir, cfg, run_settings(42, None, "tiny")) == {}
    assert changed_settings(stage_dir, cfg, run_settings(7, "Be safe.", "tiny:5")) == {
        "seed": (42, 7),
        "model.system_prompt": (None, "Be safe."),
        "the model it starts from": ("tiny", "tiny:5"),
    }
    assert changed_settings(stage_dir, cfg, run_settings(42, None)) == {}, "no parent given: not compared"
    write_json(
        stage_dir / "stage.json", {"stage": "sft", "config": cfg}
    )  # an older record without these fields
    assert changed_settings(stage_dir, cfg, run_settings(7, "Be safe.", "tiny:5")) == {}
    write_json(stage_dir / "stage.json", {"stage": "sft", "config": cfg, "seed": 42})
    with caplog.at_level("WARNING"):
        warn_if_settings_changed("sft", stage_dir, SFTConfig(), run_settings(7, None))
    assert "seed: 42 -> 7" in caplog.text


def test_the_sft_command_names_a_finished_stage_from_another_model(tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app
    from safealign.config import SFTConfig
    from safealign.runs import write_json

    stage_dir = tmp_path / "runs" / "r" / "sft"
    write_json(
        stage_dir / "stage.json",
        {
            "stage": "sft",
            "config": SFTConfig().model_dump(),
            "parent": "tiny",
            "seed": 42,
            "output": str(stage_dir / "model"),
            "inputs": {"system_prompt": None},
        },
    )
    (stage_dir / "model").mkdir()
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: r\noutput_dir: {tmp_path / 'runs'}\nseed: 7\nmodel: {{name: 'tiny:5'}}\nsft: {{}}\n"
    )
    result = CliRunner().invoke(app, ["sft", str(recipe)])
    said = " ".join(result.output.split())
    assert (
        result.exit_code == 0
        and "seed: 42 -> 7" in said
        and "the model it starts from: 'tiny' -> 'tiny:5'" in said
    ), said


def test_a_finished_stage_is_found_where_its_run_folder_is_now(tmp_path):
    from safealign.runs import StageRecord, finished_stage

    stage_dir = tmp_path / "old" / "sft"
    assert finished_stage(stage_dir, "sft", stage_dir / "model") is None, "no stage.json: not done"
    StageRecord(
        stage="sft", parent="tiny", output=str(stage_dir / "model"), config={}, seed=1, started_at=0.0
    ).finish(stage_dir)
    moved = tmp_path / "new" / "sft"
    moved.parent.mkdir()
    stage_dir.rename(moved)
    done = finished_stage(moved, "sft", moved / "model")
    assert done is not None and done.model_path == moved / "model", (
        "the output is where the folder is now, not where it was written"
    )
    assert done.record["stage"] == "sft" and done.record["seed"] == 1


def test_a_folder_holding_another_stages_finished_record_is_refused_not_skipped(tmp_path):
    """`--out` pointed at rl/ for an SFT run: the finished RL model was taken as the SFT result and SFT never ran."""
    from safealign.errors import SafealignError
    from safealign.runs import StageRecord, finished_stage

    stage_dir = tmp_path / "rl"
    StageRecord(
        stage="rl", parent="tiny", output=str(stage_dir / "model"), config={}, seed=1, started_at=0.0
    ).finish(stage_dir)
    assert finished_stage(stage_dir, "rl", stage_dir / "model") is not None
    with pytest.raises(
        SafealignError, match=r"holds a finished `rl` stage, not `sft`: give this stage its own"
    ):
        finished_stage(stage_dir, "sft", stage_dir / "model")


def test_a_stage_resumes_only_with_the_settings_it_started_with(tmp_path, caplog):
    from safealign.errors import SafealignError
    from safealign.runs import read_json, write_stage_config

    stage_dir = tmp_path / "sft"
    started = {
        "sft": {"method": "lora", "learning_rate": 1e-4, "max_steps": 10, "save_steps": 5},
        "model": "tiny",
        "seed": 42,
    }
    write_stage_config(stage_dir, started, checkpoint=None)
    checkpoint = stage_dir / "checkpoint-5"
    changed = started | {"sft": started["sft"] | {"method": "full"}}
    with pytest.raises(
        SafealignError, match=r"sft\.method: 'lora' -> 'full'.*checkpoint-5 would mix the two.*--no-resume"
    ):
        write_stage_config(stage_dir, changed, checkpoint)
    here = {"stage_dir": str(stage_dir)}
    assert read_json(stage_dir / "config.json") == started | here, (
        "the record of what the checkpoints were trained with is kept"
    )
    with pytest.raises(SafealignError, match=r"model: 'tiny' -> 'tiny:5'"):
        write_stage_config(stage_dir, started | {"model": "tiny:5"}, checkpoint)
    longer = started | {"sft": started["sft"] | {"max_steps": 20, "save_steps": 2}}
    with caplog.at_level("WARNING"):
        write_stage_config(
            stage_dir, longer, checkpoint
        )  # training longer, saving more often: what resuming is for
    assert "sft.max_steps: 10 -> 20" in caplog.text and read_json(stage_dir / "config.json") == longer | here
    write_stage_config(
        stage_dir, changed, checkpoint=None
    )  # starting over (--no-resume, or no checkpoint yet)
    assert read_json(stage_dir / "config.json") == changed | here
    distill = {"distill": {"learning_rate": 5e-4, "speed_rounds": 30, "speed_new_tokens": 64}}
    write_stage_config(tmp_path / "distill", distill, checkpoint=None)
    write_stage_config(
        tmp_path / "distill",
        {"distill": {"learning_rate": 5e-4, "speed_rounds": 1, "speed_new_tokens": 4}},
        tmp_path / "distill" / "checkpoint-2",
    )  # a shorter speed check after training mixes nothing


def test_a_run_folder_moved_between_a_crash_and_the_rerun_resumes(tmp_path, caplog):
    """A stage records paths inside its run folder (the model it starts from, distill's traces): a run folder moved
    (or renamed) after a crash was refused on resume as if the recipe had changed, and its finished stages were said
    to come from another model."""
    from safealign.errors import SafealignError
    from safealign.runs import StageRecord, changed_settings, run_settings, write_stage_config

    old = tmp_path / "runs" / "x"
    started = {"rl": {"learning_rate": 1e-5}, "model": str(old / "sft" / "model"), "seed": 42}
    write_stage_config(old / "rl", started, checkpoint=None)
    new = tmp_path / "archive" / "x_v2"
    new.parent.mkdir()
    old.rename(new)
    now = started | {"model": str(new / "sft" / "model")}
    with caplog.at_level("INFO"):
        write_stage_config(new / "rl", now, new / "rl" / "checkpoint-5")
    assert f"the run folder moved from {old} to {new}" in caplog.text and "model:" not in caplog.text
    with pytest.raises(
        SafealignError, match=r"model: .*x_v2/sft/model' -> 'tiny'"
    ):  # another model is still refused
        write_stage_config(new / "rl", now | {"model": "tiny"}, new / "rl" / "checkpoint-5")
    with pytest.raises(
        SafealignError, match=r"model: .*x_v2/sft/model' -> .*x_v2/rl/model'"
    ):  # so is another stage's
        write_stage_config(
            new / "rl", now | {"model": str(new / "rl" / "model")}, new / "rl" / "checkpoint-5"
        )

    # moved with its name and the models folder beside it: a base model outside the run is not mapped along
    home, mnt = tmp_path / "home", tmp_path / "mnt"
    write_stage_config(home / "runs" / "x" / "sft", {"model": str(home / "models" / "base")}, checkpoint=None)
    (mnt / "runs").mkdir(parents=True)
    (home / "runs" / "x").rename(mnt / "runs" / "x")
    with pytest.raises(SafealignError, match=r"home/models/base' -> '.*mnt/models/base'"):
        write_stage_config(
            mnt / "runs" / "x" / "sft",
            {"model": str(mnt / "models" / "base")},
            mnt / "runs" / "x" / "sft" / "checkpoint-5",
        )

    StageRecord(
        stage="distill",
        parent=str(old / "rl" / "model"),
        output=str(old / "distill" / "model"),
        config={},
        seed=42,
        started_at=0.0,
    ).finish(new / "distill")
    assert changed_settings(new / "distill", {}, run_settings(42, None, str(new / "rl" / "model"))) == {}
    assert list(
        changed_settings(new / "distill", {}, run_settings(42, None, str(new / "sft" / "model")))
    ) == ["the model it starts from"]


@pytest.mark.parametrize(
    ("student", "message"),
    [
        (
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            "huggingface-cli download HuggingFaceTB/SmolLM2-135M-Instruct --local-dir DIR`, then give DIR",
        ),
        ("runs/old/distil/model", "no such file or folder"),  # a mistyped path
    ],
)
def test_a_distill_student_that_is_not_there_fails_before_any_stage(tmp_path, monkeypatch, student, message):
    import safealign.pipeline as pipeline
    from safealign.config import parse_recipe
    from safealign.errors import ModelNotFoundError

    def no_stage(*args, **kwargs):
        raise AssertionError("a stage ran before distill.student was checked")

    monkeypatch.setattr(pipeline, "run_eval_stage", no_stage)
    data = tmp_path / "mem.jsonl"
    data.write_text(
        json.dumps(
            {
                "kind": "benign",
                "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
            }
        )
        + "\n"
    )
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny"},
            "sft": {"datasets": {str(data): 1.0}, "max_steps": 1},
            "sample": {"num_prompts": 2, "k": 1},
            "distill": {"student": student, "max_steps": 1},
        }
    )
    with pytest.raises(ModelNotFoundError, match=f"distill.student: .*{message.replace('.', '[.]')}"):
        pipeline.run_pipeline(recipe, show_progress=False)
    assert not (tmp_path / "runs").exists()
    recipe.distill.student = "tiny:3"  # one that resolves: the run goes on to its first stage
    with pytest.raises(AssertionError, match="a stage ran"):
        pipeline.run_pipeline(recipe, show_progress=False)


def test_a_finished_distill_needs_no_student_on_disk(tmp_path):
    """The student is read only to start distillation: a rerun of a run whose distill finished, on a machine where
    the student's folder is gone since, failed before any stage for a model it would not load."""
    from safealign.config import parse_recipe
    from safealign.errors import ModelNotFoundError
    from safealign.pipeline import check_student_found
    from safealign.runs import StageRecord

    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny"},
            "sample": {"num_prompts": 2, "k": 1},
            "distill": {"student": str(tmp_path / "gone" / "model"), "max_steps": 1},
        }
    )
    with pytest.raises(ModelNotFoundError, match="distill.student"):
        check_student_found(recipe)
    distill = recipe.run_dir / "distill"
    StageRecord(
        stage="distill", parent="tiny", output=str(distill / "model"), config={}, seed=1, started_at=0.0
    ).finish(distill)
    check_student_found(recipe)


@pytest.mark.parametrize(
    ("stage", "problem", "message"),
    [
        (
            "sft",
            "missing",
            r"sft\.datasets \(checked before the run's first stage; .*\): dataset file .*my_rows\.jsonl not found",
        ),
        ("sft", "bad row", r"(?s)sft\.datasets .*my_rows\.jsonl:1: field 'messages'"),
        ("distill", "missing", r"distill\.transfer_data .*: dataset file .*my_rows\.jsonl not found"),
        (
            "sft",
            "eval prompt",
            r"(?s)sft\.datasets .*overlaps the eval suites.*my_rows\.jsonl:2:0 = eval judges:",
        ),
        (
            "distill",
            "eval prompt",
            r"(?s)distill\.transfer_data .*overlaps the eval suites.*my_rows\.jsonl:2:0 = eval judges:",
        ),
    ],
)
def test_a_dataset_file_that_is_missing_or_bad_fails_before_the_baseline_eval(
    tmp_path, monkeypatch, stage, problem, message
):
    """The file was first read when its stage started: after the baseline eval (distill's after SFT, RL and sampling)."""
    import safealign.pipeline as pipeline
    from safealign.config import parse_recipe
    from safealign.errors import DataError
    from safealign.runs import StageRecord

    def no_stage(*args, **kwargs):
        raise AssertionError("a stage ran")

    monkeypatch.setattr(pipeline, "run_eval_stage", no_stage)
    rows = tmp_path / "data" / "my_rows.jsonl"
    if problem == "bad row":
        rows.parent.mkdir()
        rows.write_text(json.dumps({"messages": 5}) + "\n")
    # a contaminated file failed only when its stage started (distill's ~45 min in)
    if problem == "eval prompt":
        rows.parent.mkdir()
        rows.write_text(
            "".join(
                json.dumps(
                    {
                        "messages": [
                            {"role": "user", "content": prompt},
                            {"role": "assistant", "content": "No."},
                        ]
                    }
                )
                + "\n"
                for prompt in ("What is a good name for a cat?", "How do I hack a bank?")
            )
        )
    mixture = {"reasoning": 0.5, str(rows): 1.0}
    spec = {
        "name": "r",
        "output_dir": str(tmp_path / "runs"),
        "model": {"name": "tiny"},
        "sft": {"max_steps": 1},
    }
    if stage == "sft":
        spec["sft"]["datasets"] = mixture
    else:
        spec |= {
            "sample": {"num_prompts": 2, "k": 1},
            "distill": {"student": "prune:0.5", "transfer_data": mixture},
        }
    recipe = parse_recipe(spec)
    with pytest.raises(DataError, match=message):
        pipeline.run_pipeline(recipe, show_progress=False)
    StageRecord(
        stage=stage,
        parent="tiny",
        output=str(recipe.run_dir / stage / "model"),
        config={},
        seed=42,
        started_at=0.0,
    ).finish(recipe.run_dir / stage)
    with pytest.raises(AssertionError, match="a stage ran"):  # a finished stage does not read its data again
        pipeline.run_pipeline(recipe, show_progress=False)


def test_an_eval_stage_whose_judging_fails_keeps_its_answers_for_the_rerun(tmp_path, monkeypatch):
    """Inside `safealign run`, a judge that failed (a grader that is down) lost every answer: the rerun generated them
    all again. `safealign eval` kept them before judging; the eval stage now does too."""
    import safealign.evals.runner as runner
    from safealign.config import EvalConfig
    from safealign.generation import GenerationEngine
    from safealign.stages.evaluate import run_eval_stage

    score = runner._score

    def grader_down(*args, **kwargs):
        raise ConnectionError("the grader is down")

    monkeypatch.setattr(runner, "_score", grader_down)
    cfg = EvalConfig(suites=["format"], limit=1, max_new_tokens=4)
    stage_dir = tmp_path / "eval" / "base"
    with pytest.raises(ConnectionError):
        run_eval_stage(cfg, "tiny", stage_dir, label="base")
    kept = stage_dir / "answers.partial.jsonl"
    assert kept.is_file() and kept.read_text().strip(), "the answers are kept before the judges run"

    def no_generation(*args, **kwargs):
        raise AssertionError("the kept answers were generated again")

    monkeypatch.setattr(runner, "_score", score)
    monkeypatch.setattr(GenerationEngine, "generate", no_generation)
    result = run_eval_stage(cfg, "tiny", stage_dir, label="base")
    # the stage's tokens are those its first session generated for the kept answers, as the sample stage counts its own
    answers = [json.loads(line) for line in (stage_dir / "samples.jsonl").read_text().splitlines()]
    assert result.record["metrics"]["tokens"] == sum(a["completion_tokens"] for a in answers)
    assert not kept.exists()


def test_a_monitor_prompt_file_that_is_not_here_is_named_not_refused(tmp_path, monkeypatch, caplog):
    """A monitor.eval_suites prompt file that lives on the gateway host stopped `safealign run` on the training host
    (validate said ok); the stages now say it was not compared, as the data card does. An eval.suites file still stops
    the run: the evals read it here."""
    import safealign.pipeline as pipeline
    from safealign.config import parse_recipe
    from safealign.corpus.eval_texts import check_disjoint_from_evals
    from safealign.errors import DataError

    manifests = []

    def first_stage(*args, **kwargs):
        row = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
        manifests.append(check_disjoint_from_evals([row]))  # as the sft stage checks its data
        raise AssertionError("a stage ran")

    monkeypatch.setattr(pipeline, "run_eval_stage", first_stage)
    on_the_gateway = str(tmp_path / "gateway" / "probe.jsonl")
    spec = {
        "name": "r",
        "output_dir": str(tmp_path / "runs"),
        "model": {"name": "tiny"},
        "sft": {"datasets": {"reasoning": 0.01}, "max_steps": 1},
        "monitor": {"eval_suites": ["harmful", on_the_gateway]},
    }
    with caplog.at_level("WARNING"), pytest.raises(AssertionError, match="a stage ran"):
        pipeline.run_pipeline(parse_recipe(spec), show_progress=False)
    assert list(manifests[0]["suites_unread"]) == [on_the_gateway]
    assert f"monitor.eval_suites {on_the_gateway} cannot be read here" in caplog.text
    with pytest.raises(DataError, match="no such suite file"):
        pipeline.run_pipeline(
            parse_recipe(spec | {"eval": {"suites": ["harmful", on_the_gateway]}}), show_progress=False
        )


def test_a_distill_stage_finished_from_the_users_own_traces_is_kept_and_evaluated(tmp_path, monkeypatch):
    """Rejection sampling kept no trace and the user ran `safealign distill RECIPE --traces FILE`: every later
    `safealign run` still skipped distill, so the final model stayed the teacher and distill/model was never evaluated."""
    import safealign.card
    import safealign.pipeline as pipeline
    import safealign.stages.sample as sample_stage
    from safealign.config import parse_recipe
    from safealign.runs import StageRecord, StageResult

    evaluated = []

    def eval_stage(cfg, model, stage_dir, label=None, **kwargs):
        evaluated.append((label, model))

    def no_trace_kept(cfg, teacher, stage_dir, **kwargs):
        return StageResult(stage_dir / "traces.jsonl", {"metrics": {"accepted": 0}})

    monkeypatch.setattr(pipeline, "run_eval_stage", eval_stage)
    monkeypatch.setattr(sample_stage, "run_sample", no_trace_kept)
    monkeypatch.setattr(safealign.card, "write_bundle", lambda run_dir: {})
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny"},
            "sample": {"num_prompts": 2, "k": 1},
            "distill": {"student": "prune:0.5", "max_steps": 1},
        }
    )
    first = pipeline.run_pipeline(recipe, show_progress=False)
    assert first.final_model == "tiny" and [label for label, _ in evaluated] == ["base"]
    assert first.stages[-1]["skipped"] == "rejection sampling kept no trace"

    student = recipe.run_dir / "distill"
    StageRecord(  # as `safealign distill RECIPE --traces FILE` leaves it
        stage="distill",
        parent="tiny",
        output=str(student / "model"),
        config=recipe.distill.model_dump(),
        seed=recipe.seed,
        started_at=0.0,
    ).finish(student)
    evaluated.clear()
    second = pipeline.run_pipeline(recipe, show_progress=False)
    assert second.final_model == str(student / "model")
    assert evaluated == [("base", "tiny"), ("student", str(student / "model"))]


def test_rl_use_vllm_without_a_gpu_fails_before_the_baseline_eval(tmp_path, monkeypatch):
    """rl.use_vllm: true on a machine without CUDA failed only when the RL stage started, after the baseline eval."""
    import torch

    import safealign.pipeline as pipeline
    from safealign.config import parse_recipe
    from safealign.errors import SafealignError
    from safealign.runs import StageRecord

    def no_stage(*args, **kwargs):
        raise AssertionError("a stage ran")

    monkeypatch.setattr(pipeline, "run_eval_stage", no_stage)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rl = {"tasks": {"safety": 1.0}, "num_prompts": 4, "max_steps": 1, "prompts_per_step": 2, "use_vllm": True}
    recipe = parse_recipe(
        {"name": "r", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}, "rl": rl}
    )
    with pytest.raises(SafealignError, match="rl.use_vllm is on but this process sees no CUDA GPU"):
        pipeline.run_pipeline(recipe, show_progress=False)
    assert not (tmp_path / "runs").exists()
    StageRecord(
        stage="rl",
        parent="tiny",
        output=str(recipe.run_dir / "rl" / "model"),
        config={},
        seed=42,
        started_at=0.0,
    ).finish(recipe.run_dir / "rl")
    with pytest.raises(AssertionError, match="a stage ran"):  # a finished RL stage does not need vLLM again
        pipeline.run_pipeline(recipe, show_progress=False)


@pytest.mark.parametrize(
    ("launch", "section", "message"),
    [
        (
            {"ACCELERATE_USE_FSDP": "true", "FSDP_VERSION": "2"},
            "rl",
            "rl.gates need DDP, but this run was launched with fsdp",
        ),
        (
            {"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3"},
            "sft",
            "method: lora cannot be merged into zero3-sharded weights",
        ),
    ],
)
def test_a_launch_a_stage_cannot_honour_fails_before_the_baseline_eval(
    tmp_path, monkeypatch, launch, section, message
):
    """Gates under FSDP (or LoRA under ZeRO-3) were refused only when their stage started, after the baseline eval,
    SFT and its eval had run under the wrong launcher."""
    import safealign.pipeline as pipeline
    from safealign.config import parse_recipe
    from safealign.errors import SafealignError
    from safealign.runs import StageRecord

    def no_stage(*args, **kwargs):
        raise AssertionError("a stage ran")

    monkeypatch.setattr(pipeline, "run_eval_stage", no_stage)
    for name, value in launch.items():
        monkeypatch.setenv(name, value)
    data = tmp_path / "mem.jsonl"
    data.write_text(
        json.dumps(
            {
                "kind": "benign",
                "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
            }
        )
        + "\n"
    )
    sections = {
        "rl": {
            "tasks": {"safety": 1.0},
            "num_prompts": 4,
            "max_steps": 1,
            "prompts_per_step": 2,
            "method": "full",
            "gates": {"enabled": True, "every_steps": 1},
        },
        "sft": {"datasets": {str(data): 1.0}, "max_steps": 1, "method": "lora"},
    }
    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny"},
            section: sections[section],
        }
    )
    with pytest.raises(SafealignError, match=message):
        pipeline.run_pipeline(recipe, show_progress=False)
    assert not (tmp_path / "runs").exists()  # no eval/base, no folder at all
    StageRecord(
        stage=section,
        parent="tiny",
        output=str(recipe.run_dir / section / "model"),
        config={},
        seed=42,
        started_at=0.0,
    ).finish(recipe.run_dir / section)
    with pytest.raises(AssertionError, match="a stage ran"):  # a finished stage is not launched again
        pipeline.run_pipeline(recipe, show_progress=False)


@pytest.mark.parametrize("main", [True, False])
def test_only_the_main_process_writes_the_run_summary_and_card(tmp_path, monkeypatch, main):
    """Under accelerate launch every rank wrote pipeline.json and the transparency bundle, racing on the same files."""
    import safealign.card
    import safealign.distributed
    import safealign.pipeline as pipeline
    from safealign.config import parse_recipe

    carded = []
    monkeypatch.setattr(pipeline, "run_eval_stage", lambda *args, **kwargs: None)
    monkeypatch.setattr(safealign.distributed, "is_main_process", lambda: main)
    monkeypatch.setattr(safealign.card, "write_bundle", carded.append)
    recipe = parse_recipe({"name": "r", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}})
    result = pipeline.run_pipeline(recipe, show_progress=False)
    assert result.final_model == "tiny"
    assert (recipe.run_dir / "pipeline.json").is_file() == main
    assert (
        recipe.run_dir / "recipe.yaml"
    ).is_file() == main  # two ranks moving an earlier one aside raced too
    assert carded == ([recipe.run_dir] if main else [])
