"""Session 75's review of the pipeline, the recipe's warnings, the card's run folder and audit. No training."""

from __future__ import annotations

import logging

import pytest

from safealign.config.recipe import parse_recipe


def test_decision_tokens_at_weight_one_are_said_to_be_unread(caplog: pytest.LogCaptureFixture) -> None:
    """decision_tokens with decision_weight 1.0 (its default) weighed nothing, without a word."""
    with caplog.at_level(logging.WARNING, logger="safealign.config"):
        parse_recipe({"name": "r", "sft": {"decision_tokens": 8}})
    (said,) = [r.getMessage() for r in caplog.records if "is not read" in r.getMessage()]
    assert said.startswith("sft: decision_tokens 8 is not read: decision_weight is 1.0"), said
    assert "Set decision_weight (e.g. 3.0)" in said and "remove decision_tokens" in said
