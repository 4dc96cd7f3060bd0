"""Recipes reviewed in the seventy-fourth session: distill's calibration and speed-check settings set where nothing
reads them were taken without a word."""

from __future__ import annotations

import logging

import pytest

from safealign.config import parse_recipe
from safealign.config.recipe import read_yaml


def _unread(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="safealign.config"):
        parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")
    return [record.getMessage() for record in caplog.records if "not read" in record.getMessage()]


def test_calibration_rows_without_a_calibration_pass_is_said_to_be_unread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # prune_by: depth keeps layers by position: no transfer-set row is measured, whatever calibration_rows says
    (said,) = _unread(caplog, "distill: {student: 'prune:0.5', calibration_rows: 64}")
    assert said.startswith(
        "distill: calibration_rows 64 is not read: it sets the transfer-set rows that rank"
    )
    assert "prune_by: depth with mlp_fraction 1.0 keeps layers by position alone" in said
    (said,) = _unread(caplog, "distill: {student: tiny, calibration_rows: 8}")
    assert "student 'tiny' is no prune: copy of the teacher" in said
    # read by a calibration pass, left at the default, or of a stage turned off: no warning
    for text in (
        "distill: {student: 'prune:0.5', prune_by: loss, calibration_rows: 64}",
        "distill: {student: 'prune:0.5', prune_by: redundancy, calibration_rows: 64}",
        "distill: {student: 'prune:0.5', prune_by: width, calibration_rows: 64}",
        "distill: {student: 'prune:0.5', mlp_fraction: 0.5, calibration_rows: 64}",
        "distill: {student: 'prune:0.5', calibration_rows: 32}",
        "distill: {enabled: false, student: 'prune:0.5', calibration_rows: 64}",
    ):
        assert _unread(caplog, text) == [], text


def test_speed_settings_without_speed_rounds_are_said_to_be_unread(caplog: pytest.LogCaptureFixture) -> None:
    (said,) = _unread(caplog, "distill: {student: 'prune:0.5', speed_rounds: 0, speed_prompts: 4}")
    assert said.startswith("distill: speed_prompts 4 is not read: speed_rounds is 0, so no speed check runs")
    assert "Set speed_rounds (e.g. 3)" in said and "or remove it" in said
    (said,) = _unread(
        caplog, "distill: {student: 'prune:0.5', speed_rounds: 0, speed_prompts: 4, speed_new_tokens: 8}"
    )
    assert said.startswith("distill: speed_prompts 4, speed_new_tokens 8 are not read")
    assert _unread(caplog, "distill: {student: 'prune:0.5', speed_rounds: 2, speed_prompts: 4}") == []
    assert _unread(caplog, "distill: {student: 'prune:0.5', speed_rounds: 0}") == []
