"""Recipe checks added in the sixty-fourth session's review."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safealign.config.sections import SFTConfig


def test_the_constant_scheduler_does_not_take_the_default_warmup() -> None:
    # transformers' "constant" takes no warmup steps; the card said "warmup ratio 0.05" of such a run.
    assert SFTConfig(lr_scheduler="constant").warmup_ratio == 0.0
    assert SFTConfig(lr_scheduler="constant_with_warmup").warmup_ratio == 0.05
    assert SFTConfig().warmup_ratio == 0.05


def test_a_warmup_set_beside_the_constant_scheduler_is_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="constant_with_warmup, or set warmup_ratio: 0"):
        SFTConfig(lr_scheduler="constant", warmup_ratio=0.1)
    assert SFTConfig(lr_scheduler="constant", warmup_ratio=0).warmup_ratio == 0.0


def test_a_judge_batch_beyond_one_sql_statements_parameters_is_refused() -> None:
    # each exchange of a judge batch is one bound parameter in the worker's queries (SQLite before 3.32: 999 in all)
    from safealign.config.sections import MonitorConfig

    assert MonitorConfig(judge_batch_size=500).judge_batch_size == 500
    with pytest.raises(ValidationError, match="less than or equal to 500"):
        MonitorConfig(judge_batch_size=5000)
