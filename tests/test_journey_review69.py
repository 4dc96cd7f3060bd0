"""Review 69, the tiny model's user journey (validate → run → kill -9 → rerun → card → eval): cross-module findings.

Each test pinned a defect found on a whole run (scripts under /tmp/s69/t/ on the reviewing machine), fixed since.
"""

from __future__ import annotations

import json

import pytest


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
