"""Damaged files a crash leaves behind: a checkpoint, a finished stage's model, RL's reference copy."""

from __future__ import annotations

import json
import shutil
import time

import pytest
import torch
from test_sft import CrashAt
from transformers import PreTrainedModel

from safealign.config import RLConfig, SFTConfig
from safealign.errors import ModelNotFoundError, SafealignError
from safealign.models import load_model
from safealign.runs import last_checkpoint, read_json
from safealign.stages.rl import run_rl
from safealign.stages.sft import run_sft
from safealign.training.common import resume_checkpoint


def write_rows(path, n=6):
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Say word {i}."},
                {"role": "assistant", "content": f"The word is banana {i}."},
            ]
        }
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def sft_config(data, **overrides):
    base = dict(
        datasets={str(data): 1.0},
        method="full",
        learning_rate=1e-3,
        max_steps=6,
        batch_size=2,
        save_steps=2,
        logging_steps=1,
        warmup_ratio=0.0,
        max_length=64,
        keep_checkpoints=5,
    )
    return SFTConfig(**(base | overrides))


@pytest.fixture(scope="module")
def crashed_sft(tmp_path_factory):
    """An SFT stage stopped at step 5: checkpoint-2 and checkpoint-4 saved, no model."""
    root = tmp_path_factory.mktemp("crashed")
    data = write_rows(root / "rows.jsonl")
    with pytest.raises(KeyboardInterrupt):
        run_sft(sft_config(data), "tiny", root / "sft", precision="fp32", callbacks=[CrashAt(5)])
    assert sorted(p.name for p in (root / "sft").glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    return data, root / "sft"


def truncate(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[: keep if keep >= 0 else len(data) + keep])


DAMAGES = {
    "weights header cut": (lambda c: truncate(c / "model.safetensors", 5), "model.safetensors is damaged"),
    "weights garbage header": (
        lambda c: (c / "model.safetensors").write_bytes(b"\xff" * 64),
        "model.safetensors is damaged",
    ),
    "weights data cut short": (
        lambda c: truncate(c / "model.safetensors", -100),
        "model.safetensors is damaged",
    ),
    "trainer_state not JSON": (
        lambda c: (c / "trainer_state.json").write_text('{"glob\x01'),
        "trainer_state.json does not load",
    ),
    "optimizer cut short": (lambda c: truncate(c / "optimizer.pt", 1000), "optimizer.pt is damaged"),
    "rng state cut short": (lambda c: truncate(c / "rng_state.pth", 100), "rng_state.pth is damaged"),
    "optimizer missing": (lambda c: (c / "optimizer.pt").unlink(), "optimizer.pt missing"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_last_checkpoint_is_skipped_for_the_one_before(crashed_sft, tmp_path, caplog, damage):
    stage = shutil.copytree(crashed_sft[1], tmp_path / "sft")
    spoil, said = DAMAGES[damage]
    spoil(stage / "checkpoint-4")
    with caplog.at_level("WARNING", logger="safealign.training.common"):
        assert resume_checkpoint(stage, resume=True) == stage / "checkpoint-2"
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert f"not resuming from {stage / 'checkpoint-4'}" in warning and said in warning, warning
    assert resume_checkpoint(stage, resume=False) is None


def test_no_usable_checkpoint_names_them_all_and_the_fix(crashed_sft, tmp_path):
    stage = shutil.copytree(crashed_sft[1], tmp_path / "sft")
    truncate(stage / "checkpoint-4" / "model.safetensors", -100)
    (stage / "checkpoint-2" / "trainer_state.json").write_text("{")
    with pytest.raises(SafealignError) as caught:
        resume_checkpoint(stage, resume=True)
    message = str(caught.value)
    for needle in (
        f"{stage / 'checkpoint-4'}: model.safetensors is damaged",
        f"{stage / 'checkpoint-2'}: its trainer_state.json does not load",
        "--no-resume",
    ):
        assert needle in message, message


def test_sft_resumes_from_the_checkpoint_before_a_damaged_one_and_finishes(crashed_sft, tmp_path):
    data, crashed = crashed_sft
    stage = shutil.copytree(crashed, tmp_path / "sft")
    truncate(
        stage / "checkpoint-4" / "model.safetensors", 5
    )  # "invalid header length" from inside the Trainer before
    resumed_at = time.time()
    run_sft(sft_config(data), "tiny", stage, precision="fp32")
    rows = [
        json.loads(line) for line in (stage / "metrics.jsonl").read_text().splitlines() if '"loss"' in line
    ]
    steps = [row["step"] for row in rows if row["time"] >= resumed_at]
    assert steps and min(steps) == 3, steps
    assert read_json(stage / "stage.json")["inputs"]["resumed_from"].endswith("checkpoint-2")
    assert (
        load_model(str(stage / "model")).num_parameters > 0
    )  # checkpoint-4 saved again over the damaged one


def test_a_resumed_stage_records_the_train_loss_of_every_step_not_its_last_session(crashed_sft, tmp_path):
    """transformers' train_loss is the mean over the steps of its own session: a resumed SFT said 1.277 where the same
    training uninterrupted said 2.296. And the shared prefix counted only the last session's batches."""
    data, crashed = crashed_sft
    whole = run_sft(sft_config(data), "tiny", tmp_path / "whole", precision="fp32").record["metrics"]
    resumed = run_sft(
        sft_config(data), "tiny", shutil.copytree(crashed, tmp_path / "sft"), precision="fp32"
    ).record
    assert resumed["inputs"]["resumed_from"].endswith("checkpoint-4")
    assert resumed["metrics"]["train_loss"] == pytest.approx(whole["train_loss"], abs=1e-6)
    assert "shared_prefix_tokens" in whole and "shared_prefix_tokens" not in resumed["metrics"]
    assert "shared_prefix_tokens_last_session" in resumed["metrics"]


@pytest.mark.parametrize("keep", [5, -100], ids=["header cut", "data cut short"])
def test_a_finished_stage_model_cut_short_is_a_clear_error_naming_the_fix(tiny, tmp_path, keep):
    model = tmp_path / "sft" / "model"
    tiny.model.save_pretrained(model, safe_serialization=True)
    tiny.tokenizer.save_pretrained(model)
    (tmp_path / "sft" / "stage.json").write_text(json.dumps({"stage": "sft"}))
    truncate(model / "model.safetensors", keep)
    with pytest.raises(ModelNotFoundError) as caught:
        load_model(str(model))
    message = str(caught.value)
    for needle in (
        f"cannot load the model in {model}: model.safetensors is damaged",
        f"delete {tmp_path / 'sft' / 'stage.json'}",
    ):
        assert needle in message, message


def test_generate_on_a_damaged_model_folder_exits_2_without_a_traceback(tiny, tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app

    model = tmp_path / "mine"
    tiny.model.save_pretrained(model, safe_serialization=True)
    tiny.tokenizer.save_pretrained(model)
    truncate(model / "model.safetensors", -100)
    result = CliRunner().invoke(app, ["generate", str(model), "--prompt", "hi"])
    stderr = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "Traceback" not in stderr, result.output
    assert f"cannot load the model in {model}" in stderr and "save or copy it again" in stderr, stderr


def rl_config(**overrides) -> RLConfig:
    base = dict(
        tasks={"arithmetic": 1.0},
        num_prompts=4,
        method="full",
        max_steps=1,
        prompts_per_step=2,
        num_generations=2,
        max_completion_length=8,
        save_steps=1,
        gates={"enabled": False},
    )
    return RLConfig(**(base | overrides))


def test_rl_reference_copy_stopped_mid_save_is_not_left_half_written_and_is_redone(tmp_path, monkeypatch):
    stage = tmp_path / "rl"
    save = PreTrainedModel.save_pretrained

    def killed_mid_save(self, folder, *args, **kwargs):
        self.config.save_pretrained(folder)  # config.json first, then the run stops before the weights
        raise KeyboardInterrupt("killed mid-save")

    monkeypatch.setattr(PreTrainedModel, "save_pretrained", killed_mid_save)
    with pytest.raises(KeyboardInterrupt):
        run_rl(rl_config(), "tiny", stage, precision="fp32")
    assert not (stage / "reference_model").exists()  # only the temporary sibling holds the half copy
    monkeypatch.setattr(PreTrainedModel, "save_pretrained", save)

    (stage / "reference_model").mkdir()  # a half copy an older safealign left: config.json, no weights
    shutil.copy(stage / "reference_model.tmp" / "config.json", stage / "reference_model" / "config.json")
    run_rl(rl_config(), "tiny", stage, precision="fp32")
    assert (stage / "stage.json").is_file() and (stage / "reference_model" / "model.safetensors").is_file()
    assert not (stage / "reference_model.tmp").exists()


def rollout_prompts(stage_dir) -> dict[int, list[str]]:
    """The prompts of each step's rollouts, as rollouts.jsonl records them."""
    steps: dict[int, set[str]] = {}
    for line in (stage_dir / "rollouts.jsonl").read_text().splitlines():
        row = json.loads(line)
        steps.setdefault(row["step"], set()).add(row["prompt"])
    return {step: sorted(prompts) for step, prompts in sorted(steps.items())}


def test_rl_resumed_in_its_second_epoch_draws_that_epochs_prompts(tmp_path):
    """TRL's prompt sampler has no set_epoch: resumed in epoch 2, the stage drew epoch 1's order again (other prompts
    per step, other weights than the run it resumes)."""
    from safetensors.torch import load_file

    cfg = rl_config(num_prompts=8, max_steps=8, save_steps=5, learning_rate=1e-3)  # 4 steps an epoch
    run_rl(cfg, "tiny", tmp_path / "whole", precision="fp32")
    with pytest.raises(KeyboardInterrupt):
        run_rl(cfg, "tiny", tmp_path / "resumed", precision="fp32", callbacks=[CrashAt(6)])
    assert last_checkpoint(tmp_path / "resumed").name == "checkpoint-5"  # step 1 of the second epoch
    run_rl(cfg, "tiny", tmp_path / "resumed", precision="fp32")
    whole, resumed = rollout_prompts(tmp_path / "whole"), rollout_prompts(tmp_path / "resumed")
    assert list(whole) == list(range(1, 9)) and resumed == whole
    assert [whole[6], whole[7], whole[8]] != [whole[2], whole[3], whole[4]], (
        "the second epoch draws its own order"
    )
    weights = load_file(str(tmp_path / "whole" / "model" / "model.safetensors"))
    again = load_file(str(tmp_path / "resumed" / "model" / "model.safetensors"))
    assert all(torch.equal(weights[name], again[name]) for name in weights)


def test_rl_started_over_from_another_model_does_not_reuse_the_earlier_attempts_reference(tmp_path):
    """Started over (--no-resume) in the folder of an attempt from another model, the stage kept that attempt's KL
    reference copy (and would have kept its difficulty screen): it trained from tiny:2 held near tiny:1."""
    from safetensors.torch import load_file

    stage = tmp_path / "rl"
    cfg = rl_config(max_steps=2, beta=0.04, save_steps=10)
    with pytest.raises(KeyboardInterrupt):
        run_rl(cfg, "tiny:1", stage, precision="fp32", callbacks=[CrashAt(1)])
    assert (stage / "reference_model" / "model.safetensors").is_file() and not last_checkpoint(stage)
    (stage / "difficulty_filter.json").write_text(
        json.dumps({"key": {"model": "tiny:1"}, "rows": [], "report": {}})
    )
    run_rl(cfg, "tiny:2", stage, precision="fp32", resume=False)
    reference = load_file(str(stage / "reference_model" / "model.safetensors"))
    start = load_model("tiny:2").model.state_dict()
    assert all(torch.equal(reference[name], start[name]) for name in reference)
    (earlier,) = (stage / "earlier_attempts").iterdir()
    assert (earlier / "reference_model" / "model.safetensors").is_file() and (
        earlier / "difficulty_filter.json"
    ).is_file()
    assert not (stage / "difficulty_filter.json").exists()


def test_a_stage_killed_during_its_final_save_does_not_train_past_its_end(tmp_path):
    """transformers takes one more step before it checks max_steps: the rerun trained step 5 of 4 (and recorded a
    loss of 0 and absurd tokens/s when training was by epochs)."""
    from safetensors.torch import load_file

    data = write_rows(tmp_path / "rows.jsonl")
    cfg = sft_config(data, max_steps=4, lr_scheduler="constant")
    run_sft(cfg, "tiny", tmp_path / "sft", precision="fp32")
    final = load_file(str(tmp_path / "sft" / "checkpoint-4" / "model.safetensors"))
    (tmp_path / "sft" / "stage.json").unlink()  # as if killed while writing the model
    shutil.rmtree(tmp_path / "sft" / "model")
    run_sft(cfg, "tiny", tmp_path / "sft", precision="fp32")
    record = read_json(tmp_path / "sft" / "stage.json")
    assert record["metrics"]["steps"] == 4 and not (tmp_path / "sft" / "checkpoint-5").exists()
    assert record["metrics"]["train_loss"] is None and record["metrics"]["tokens_per_s"] is None, (
        "nothing measured in this process"
    )
    saved = load_file(str(tmp_path / "sft" / "model" / "model.safetensors"))
    assert set(saved) == set(final), "the final model and checkpoint-4 hold different tensors"
    assert all(torch.equal(saved[name], value) for name, value in final.items())


def test_wall_time_counts_every_session_that_led_to_the_checkpoint(tmp_path):
    from safealign.runs import StageRecord, read_jsonl

    stage_dir = tmp_path / "sft"
    first = StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=1000.0)
    first.open_session(stage_dir, None)
    (stage_dir / "metrics.jsonl").write_text(
        "".join(json.dumps({"step": s, "time": 1000.0 + 10 * s}) + "\n" for s in (1, 2, 3))
    )
    second = StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=2000.0)
    second.open_session(stage_dir, stage_dir / "checkpoint-2")
    assert second.earlier_sessions_s == [30.0], "the crashed session ran until its last logged step"
    with (stage_dir / "metrics.jsonl").open("a") as log:  # the resumed session logs a step, then crashes
        log.write(json.dumps({"step": 3, "time": 2005.0}) + "\n")
    third = StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=3000.0)
    third.open_session(stage_dir, stage_dir / "checkpoint-2")
    assert third.earlier_sessions_s == [30.0, 5.0]
    third.finished_at = 3100.0
    assert third.wall_time_s == 135.0
    assert [row["started_at"] for row in read_jsonl(stage_dir / "sessions.jsonl")] == [1000.0, 2000.0, 3000.0]
    over = StageRecord(stage="sft", parent="m", output="o", config={}, seed=1, started_at=4000.0)
    over.open_session(stage_dir, None)  # started over: what ran before left nothing this model uses
    assert over.earlier_sessions_s == [] and len(read_jsonl(stage_dir / "sessions.jsonl")) == 1
    # ... and its logs are set aside, not appended to (they held two runs' step 1, 2, ...; audit read both)
    assert not (stage_dir / "metrics.jsonl").exists()
    (moved,) = (stage_dir / "earlier_attempts").iterdir()
    assert [json.loads(line)["step"] for line in (moved / "metrics.jsonl").read_text().splitlines()] == [
        1,
        2,
        3,
        3,
    ]


def test_a_log_line_cut_by_a_crash_is_dropped_before_the_resumed_stage_appends(tmp_path):
    """kill -9 mid-write left half a row; the resumed stage's next row was glued onto it, and readers skipped both."""
    from safealign.runs import drop_undone_rows, read_jsonl

    log_file = tmp_path / "metrics.jsonl"
    log_file.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "lo')
    assert drop_undone_rows(log_file, 1) == 1
    with log_file.open("a") as handle:
        handle.write(json.dumps({"step": 2, "loss": 1.5}) + "\n")
    assert [row["step"] for row in read_jsonl(log_file)] == [1, 2]
    log_file.write_text(
        '{"step": 1}\nnot json\n{"step": 2}\n{"step": 3}'
    )  # a bad line inside, no newline at the end
    assert drop_undone_rows(log_file, 2) == 2 and log_file.read_text() == '{"step": 1}\n{"step": 2}\n'


@pytest.mark.parametrize(
    ("field", "value"), [("wall_time_s", "3.5"), ("metrics", []), ("config", None), ("inputs", [])]
)
def test_a_hand_edited_stage_record_of_another_shape_names_its_field(tmp_path, field, value):
    """`run` and `card` failed on such a record with a TypeError or AttributeError wherever it was read first."""
    from safealign.errors import DataError
    from safealign.runs import stage_done

    (tmp_path / "stage.json").write_text(
        json.dumps({"stage": "sft", "parent": "tiny", "metrics": {}, field: value})
    )
    with pytest.raises(DataError, match=rf"stage.json: field '{field}' is .*, not .*; restore the file"):
        stage_done(tmp_path)


def test_sampled_traces_are_written_whole_or_not_at_all(tmp_path):
    """sample wrote traces.jsonl line by line in place: a crash mid-write left a shorter file that reads as whole."""
    from safealign.runs import write_jsonl

    traces = tmp_path / "sample" / "traces.jsonl"
    write_jsonl(traces, [{"id": 1}, {"id": 2}])
    before = traces.read_text()

    def rows_then_crash():
        yield {"id": 3}
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_jsonl(traces, rows_then_crash())
    assert traces.read_text() == before == '{"id": 1}\n{"id": 2}\n'
    assert [p.name for p in traces.parent.iterdir()] == ["traces.jsonl"]  # no temp file left beside it


def test_rl_resumed_with_another_eval_suite_list_is_refused(tmp_path):
    """The RL prompts stay off the recipe's own eval suites, which the stage's settings did not record: a suite added
    between a crash and the rerun silently changed the prompt set the checkpoint resumed on."""
    from safealign.corpus.eval_texts import checking_recipe_suites

    stage = tmp_path / "rl"
    cfg = rl_config(max_steps=2)
    with pytest.raises(KeyboardInterrupt):
        run_rl(cfg, "tiny", stage, precision="fp32", callbacks=[CrashAt(2)])
    assert last_checkpoint(stage).name == "checkpoint-1"
    suite = "rg:basic_arithmetic?min_terms=2&max_terms=2&min_digits=1&max_digits=1"
    with (
        checking_recipe_suites([suite]),
        pytest.raises(SafealignError, match=r"eval_suites: \[\] -> \['rg:basic"),
    ):
        run_rl(cfg, "tiny", stage, precision="fp32")


def test_a_checkpoint_the_trainer_did_not_finish_saving_is_not_the_last_checkpoint(tmp_path):
    """A crash mid-save leaves checkpoint-N without trainer_state.json (written last): resuming from it fails."""
    for step in (2, 4):
        (tmp_path / f"checkpoint-{step}").mkdir()
    (tmp_path / "checkpoint-2" / "trainer_state.json").write_text("{}")
    assert last_checkpoint(tmp_path) == tmp_path / "checkpoint-2"


def test_the_last_checkpoint_is_the_highest_step_by_number(tmp_path):
    """checkpoint-10 comes after checkpoint-9, not before it as text would sort."""
    for step in (2, 9, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert last_checkpoint(tmp_path) == tmp_path / "checkpoint-10"


def test_a_whole_last_log_row_without_its_newline_gets_one_before_the_resumed_stage_appends(tmp_path):
    """Nothing to drop, but the last row lacked its newline: the resumed stage's first row was glued onto it."""
    from safealign.runs import drop_undone_rows, read_jsonl

    log_file = tmp_path / "metrics.jsonl"
    log_file.write_text('{"step": 1}\n{"step": 2}')
    assert drop_undone_rows(log_file, 2) == 0
    assert log_file.read_text() == '{"step": 1}\n{"step": 2}\n'
    with log_file.open("a") as handle:
        handle.write(json.dumps({"step": 3}) + "\n")
    assert [row["step"] for row in read_jsonl(log_file)] == [1, 2, 3]


@pytest.mark.parametrize("field", ["wall_time_s", "seed"])
def test_a_stage_record_with_true_for_a_number_names_its_field(tmp_path, field):
    """JSON true passes isinstance(value, int): a hand-edited `"seed": true` was read as seed 1."""
    from safealign.errors import DataError
    from safealign.runs import stage_done

    (tmp_path / "stage.json").write_text(json.dumps({"stage": "sft", "parent": "tiny", field: True}))
    with pytest.raises(DataError, match=rf"stage.json: field '{field}' is True, not .*; restore the file"):
        stage_done(tmp_path)
