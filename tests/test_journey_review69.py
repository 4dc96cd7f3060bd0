"""Review 69, the tiny model's user journey (validate → run → kill -9 → rerun → card → eval): cross-module findings.

The tests marked xfail pin defects the lead is to fix (flip them then); scripts reproducing each one on a whole run are
under /tmp/s69/t/ on the reviewing machine.
"""

from __future__ import annotations

import json
import time

import pytest


@pytest.mark.xfail(
    strict=True,
    reason="an eval stage that resumes from the answers a stopped session kept counts that session's time nowhere: "
    "stage.json says 1 session and the stage table and card show only the judging rerun's wall time",
)
def test_an_eval_stage_resumed_from_kept_answers_counts_the_session_that_generated_them(
    tmp_path, monkeypatch
):
    """README: a rerun after a crash resumes the unfinished stage, and its wall time "is what every session of it took
    ... with the number of sessions beside it". A `safealign run` killed while the base eval judged (its answers were
    in answers.partial.jsonl) reran as eval:base 15s / 1 session / tokens "-", where the killed session had spent
    ~20 s generating them (eval:sft, the same prompts: 15 s and 17,376 tokens)."""
    import safealign.evals.runner as runner
    from safealign.config import EvalConfig
    from safealign.generation import GenerationEngine
    from safealign.stages.evaluate import run_eval_stage

    score, generate = runner._score, GenerationEngine.generate
    pause = 0.5

    def slow_generate(*args, **kwargs):
        time.sleep(
            pause
        )  # the answers cost the first session this long (the quickstart's base eval: about a minute)
        return generate(*args, **kwargs)

    def judge_stops(*args, **kwargs):
        raise ConnectionError("stopped while judging")  # a kill -9, a grader that is down

    monkeypatch.setattr(GenerationEngine, "generate", slow_generate)
    monkeypatch.setattr(runner, "_score", judge_stops)
    cfg = EvalConfig(suites=["format"], limit=1, max_new_tokens=4)
    stage_dir = tmp_path / "eval" / "base"
    with pytest.raises(ConnectionError):
        run_eval_stage(cfg, "tiny", stage_dir, label="base")
    assert (stage_dir / runner.ANSWERS_SO_FAR).is_file()

    monkeypatch.setattr(runner, "_score", score)
    started = time.time()
    run_eval_stage(cfg, "tiny", stage_dir, label="base")
    rerun = time.time() - started
    record = json.loads((stage_dir / "stage.json").read_text())
    assert record["sessions"] == 2, record["sessions"]
    # the sample stage adds its kept completions' generation time to its wall time; the eval stage should too
    assert record["wall_time_s"] >= pause and record["wall_time_s"] > rerun, (record["wall_time_s"], rerun)


@pytest.mark.xfail(
    strict=True,
    reason="distill logs every 5 steps (hard-coded, no recipe field), so a short stage's last_loss is its first "
    "step's and the card's outcome reads 'loss 6.008 → 6.008' for a student that trained 4 steps",
)
def test_a_short_distill_stage_records_the_loss_of_its_last_step(tmp_path):
    """The tiny journey's `safealign distill RECIPE --traces FILE` (max_steps 4) wrote first_loss == last_loss ==
    step 1's loss; metrics.jsonl held a loss for step 1 only. SFT has logging_steps; distill has none to set."""
    from safealign.config import DistillConfig
    from safealign.stages.distill import run_distill

    traces = tmp_path / "traces.jsonl"
    traces.write_text(
        "".join(
            json.dumps(
                {
                    "kind": "reasoning",
                    "messages": [
                        {"role": "user", "content": f"What is {i} + {i}?"},
                        {
                            "role": "assistant",
                            "content": f"<think>{i}+{i}={2 * i}</think>The answer is {2 * i}.",
                        },
                    ],
                }
            )
            + "\n"
            for i in range(8)
        )
    )
    cfg = DistillConfig(
        student="prune:0.5", mode="sequence", max_steps=4, batch_size=2, save_steps=50, speed_rounds=0
    )
    run_distill(cfg, "tiny", traces, tmp_path / "distill", precision="fp32")
    metrics = json.loads((tmp_path / "distill" / "stage.json").read_text())["metrics"]
    logged = [
        json.loads(line)
        for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines()
        if '"loss"' in line
    ]
    assert logged[-1]["step"] == metrics["steps"] == 4, [row["step"] for row in logged]
    assert metrics["last_loss"] == logged[-1]["loss"]


@pytest.mark.xfail(
    strict=True,
    reason="the sample stage says nothing until it ends, and its bar is drawn only on a terminal: in a log file "
    "(nohup, SLURM, `make run > log`) the run sits silent after the last eval's line for the whole stage",
)
def test_the_sample_stage_says_what_it_generates_before_it_starts(tmp_path, monkeypatch, caplog):
    """The tiny journey's recipe with only a distill section (sample at its defaults: 200 prompts x 4) printed
    "evaluating 15 prompts ..." for the base eval and then nothing for over four minutes while the sample stage ran;
    the eval stage logs "evaluating N prompts from ..." before it generates, SFT and RL a line a step."""
    import logging

    from safealign.config import SampleConfig
    from safealign.generation import GenerationEngine
    from safealign.stages.sample import run_sample

    def stop(*args, **kwargs):
        raise RuntimeError("stopped before the first completion")

    monkeypatch.setattr(GenerationEngine, "generate", stop)
    with caplog.at_level(logging.INFO), pytest.raises(RuntimeError, match="stopped before"):
        run_sample(
            SampleConfig(num_prompts=2, k=3, max_new_tokens=8), "tiny", tmp_path / "sample", precision="fp32"
        )
    said = [r.getMessage() for r in caplog.records if r.name.startswith("safealign")]
    assert any("6" in line and "sample" in line for line in said), said
