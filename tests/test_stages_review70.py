"""Review 70 of the stages and the pipeline: what a run says and records about what it ran."""

from __future__ import annotations

import pytest
from tiny_rl import tiny_rl_config

from safealign.config import parse_recipe
from safealign.runs import StageResult, read_json


def test_a_distill_skipped_for_want_of_traces_says_its_transfer_data_is_not_distilled_on_alone(
    tmp_path, monkeypatch, caplog
):
    """Rejection sampling kept no trace and distill.transfer_data was set: the run skipped distillation with the advice
    for a recipe without transfer_data, never saying why the rows the user added were not trained on."""
    import safealign.card
    import safealign.pipeline as pipeline
    import safealign.stages.sample as sample_stage

    def no_trace_kept(cfg, teacher, stage_dir, **kwargs):
        return StageResult(stage_dir / "traces.jsonl", {"metrics": {"accepted": 0}})

    monkeypatch.setattr(pipeline, "run_eval_stage", lambda *args, **kwargs: None)
    monkeypatch.setattr(sample_stage, "run_sample", no_trace_kept)
    monkeypatch.setattr(safealign.card, "write_bundle", lambda run_dir: {})
    spec = {
        "name": "r",
        "output_dir": str(tmp_path / "runs"),
        "model": {"name": "tiny"},
        "sample": {"num_prompts": 2, "k": 1},
        "distill": {"student": "prune:0.5", "max_steps": 1, "transfer_data": {"reasoning": 0.1}},
    }
    with caplog.at_level("WARNING"):
        result = pipeline.run_pipeline(parse_recipe(spec), show_progress=False)
    why = "rejection sampling kept no trace; distill.transfer_data (reasoning) is not distilled on alone"
    assert result.final_model == "tiny" and result.stages[-1]["skipped"] == why
    assert why in caplog.text and "then raise sample.num_prompts or sample.k" in caplog.text
    assert read_json(tmp_path / "runs" / "r" / "pipeline.json")["stages"][-1]["skipped"] == why


def test_rl_records_an_unset_top_k_as_the_50_its_rollouts_sample_with(tmp_path, monkeypatch):
    """A rollout top_k left unset (None: TRL 1.16 sets 0, a TRL that leaves it unset passes None) samples with
    generate's default 50, in the decode loop as in generate; stage.json recorded None, which the card reads as "off"."""
    import safealign.stages.rl as rl
    import safealign.training.evicting_rollouts as evicting

    make_args = rl.trl_grpo_config

    def unset_top_k(*args, **kwargs):
        made = make_args(*args, **kwargs)
        made.top_k = None
        return made

    ran = []
    decode = evicting.decode_batch

    def spy(model, input_ids, attention_mask, **settings):
        ran.append(settings["top_k"])
        return decode(model, input_ids, attention_mask, **settings)

    monkeypatch.setattr(rl, "trl_grpo_config", unset_top_k)
    monkeypatch.setattr(evicting, "decode_batch", spy)
    rl.run_rl(tiny_rl_config(max_steps=1), "tiny", tmp_path / "rl", precision="fp32")
    sampling = read_json(tmp_path / "rl" / "stage.json")["inputs"]["trainer"]["rollout_sampling"]
    assert set(ran) == {50} and sampling["top_k"] == 50, (ran, sampling)
    assert (sampling["top_p"], sampling["repetition_penalty"]) == (1.0, 1.0)


def test_an_unfinished_stage_resumes_unless_what_it_starts_from_was_made_again_since(tmp_path):
    """As a finished stage is redone when its start model or traces were made again after it started (retrained_input),
    an unfinished one must not resume: its checkpoints were trained from the earlier output."""
    from safealign.runs import checkpoints_still_apply, write_json, write_sessions

    sft, sample, rl = tmp_path / "sft", tmp_path / "sample", tmp_path / "rl"
    for stage, finished in ((sft, 50.0), (sample, 60.0)):
        (stage / "out").mkdir(parents=True)
        write_json(stage / "stage.json", {"stage": stage.name, "started_at": 0.0, "finished_at": finished})
    assert checkpoints_still_apply(rl, "rl", str(sft / "out"))  # no session yet: nothing to resume
    write_sessions(
        rl / "sessions.jsonl", [{"started_at": 100.0}, {"started_at": 200.0, "checkpoint": "checkpoint-2"}]
    )
    traces = sample / "out"
    assert checkpoints_still_apply(rl, "distill", str(sft / "out"), traces)
    write_json(sample / "stage.json", {"stage": "sample", "started_at": 0.0, "finished_at": 150.0})
    assert not checkpoints_still_apply(rl, "distill", str(sft / "out"), traces)
    assert checkpoints_still_apply(rl, "rl", str(sft / "out")) and checkpoints_still_apply(rl, "rl", "tiny")
    write_json(sft / "stage.json", {"stage": "sft", "started_at": 0.0, "finished_at": 150.0})
    assert not checkpoints_still_apply(rl, "rl", str(sft / "out"))


def test_a_crashed_rl_stage_starts_over_when_its_sft_model_was_made_again(tmp_path, caplog):
    """RL crashed after its checkpoint-2; SFT was deleted and made again (another model at the same path): the rerun
    resumed from checkpoint-2, a policy trained from the old SFT model, against the new one's KL reference."""
    import time

    from transformers import TrainerCallback

    from safealign.models import load_model
    from safealign.runs import write_json
    from safealign.stages.rl import run_rl

    sft = tmp_path / "sft"

    def make_sft(spec: str) -> None:
        made = load_model(spec)
        made.model.save_pretrained(sft / "model")
        made.tokenizer.save_pretrained(sft / "model")
        write_json(
            sft / "stage.json",
            {"stage": "sft", "parent": "tiny", "started_at": time.time() - 1, "finished_at": time.time()},
        )

    class Crash(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt

    cfg = tiny_rl_config(max_steps=4, save_steps=2)
    make_sft("tiny")
    with pytest.raises(KeyboardInterrupt):
        run_rl(cfg, str(sft / "model"), tmp_path / "rl", precision="fp32", callbacks=[Crash()])
    assert (tmp_path / "rl" / "checkpoint-2").is_dir() and not (tmp_path / "rl" / "stage.json").exists()
    time.sleep(0.05)
    make_sft("tiny:7")
    with caplog.at_level("WARNING"):
        run_rl(cfg, str(sft / "model"), tmp_path / "rl", precision="fp32")
    assert read_json(tmp_path / "rl" / "stage.json")["inputs"]["resumed_from"] is None
    assert "was made again after this stage started" in caplog.text
    assert list((tmp_path / "rl" / "earlier_attempts").glob("*/checkpoint-2")), "the earlier attempt is kept"
