"""Review 70 of the stages and the pipeline: what a run says and records about what it ran."""

from __future__ import annotations

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
