"""Review 63 regressions for the SFT and distillation stages and their shared trainer glue."""

from __future__ import annotations

import json

import pytest
from test_distill import arithmetic_traces_and_teacher

from safealign.config import DistillConfig
from safealign.stages.distill import run_distill


@pytest.mark.parametrize("mode", ["both", "sequence"])
def test_a_distilled_student_is_saved_with_the_kv_cache_setting_it_was_built_with(tmp_path, mode):
    """transformers' Trainer sets ``model.config.use_cache = args.use_cache`` (False) on the model it trains; SFT and
    RL put the model's own setting back before saving, distill did not: the student's config.json said
    ``use_cache: false``, so its plain forward returned no KV cache, unlike its teacher's."""
    _, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    cfg = DistillConfig(student="prune:0.5", mode=mode, max_steps=2, batch_size=4, speed_rounds=0)
    result = run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="fp32")
    teacher_config = json.loads((teacher_dir / "config.json").read_text())
    assert teacher_config["use_cache"] is True
    assert json.loads((result.model_path / "config.json").read_text())["use_cache"] is True
