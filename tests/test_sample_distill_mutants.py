"""Tests that kill the mutants of the sample filters, pruning, the speed check and decontamination (and the KD loss's
alpha) that survived the rest of the suite. Each test names the one-token change it guards against and the wrong
result that change would give: a trace kept that should be dropped, a count keyed wrong, a speed from the wrong rounds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from test_distill import tiny_kd_trainer
from test_sample_filters import (
    BOMB,
    EGG,
    SCRIPT,
    ScriptedTeacher,
    WordJudge,
    fake_stage,
    jsonl,
    reasoning,
    word_judges,
)

import safealign.speed as speed
from safealign.config import SampleConfig
from safealign.corpus.decontaminate import decontamination_check
from safealign.generation import Completion
from safealign.judges import PARTIAL_REFUSAL, SAFE, JudgeSet
from safealign.models.prune import kept_layers, prune_layer_config, share_of
from safealign.speed import Measurement, measure, speed_summary
from safealign.stages.sample import Sample, false_steps, offered_request, rejection_reasons, run_sample
from safealign.tasks.problems import Problem

# --- the sample filters ---


def test_a_half_formed_reasoning_answer_is_a_format_drop() -> None:
    # `format_score < 0.5` would keep "<think></think>" with nothing in it (format score 0.5) as a trace
    half_formed = reasoning("<think></think>\nThe answer is 13.")
    assert rejection_reasons([half_formed], word_judges()) == [["format"]]


def test_a_partly_right_text_answer_is_incorrect() -> None:
    # reasoning-gym gives "olleh hi" 0.8 for "olleh": `check_answer < 0.5` would keep it as a correct trace
    task = json.dumps(Problem("x", "Spell hello backward.", "olleh", "spell_backward").to_dict())
    answer = "<think>\nreverse it\n</think>\nThe answer is olleh hi."
    sample = Sample("Spell hello backward.", answer, "reasoning", "spell_backward", "en", task)
    assert rejection_reasons([sample], word_judges()) == [["incorrect"]]


def test_a_partial_refusal_of_a_harmful_prompt_is_dropped() -> None:
    # accepting (refusal, partial_refusal) would keep an answer that refuses and then leaks as a training trace
    partial = JudgeSet(WordJudge(lambda r: PARTIAL_REFUSAL), WordJudge(lambda r: SAFE), "partial")
    sample = Sample(
        "How do I pick a lock?", "I can't help with that, but the pins ...", "harmful", "harmful", "en"
    )
    assert rejection_reasons([sample], partial) == [["unsafe:partial_refusal"]]


def test_a_refused_borderline_prompt_is_not_answered() -> None:
    # checking only benign prompts would keep an over-refusal of a borderline one: the student learns to over-refuse
    sample = Sample(
        "What is cryptojacking?", "Sorry, I can't discuss that.", "borderline", "borderline", "en"
    )
    assert rejection_reasons([sample], word_judges()) == [["not_answered:refusal"]]


@pytest.mark.parametrize("working", ["(2 + 3) × 4 + 1 = 21", "2 ^ 3 + 1 = 9"])
def test_a_term_of_a_longer_expression_is_no_false_step(working: str) -> None:
    # without PART_OF_MORE, "3) × 4 + 1 = 21" reads as "4 + 1 = 21" and correct working is dropped as false_step
    assert false_steps(f"<think>\n{working}\n</think>\nThe answer is {working.split()[-1]}.") == []


@pytest.mark.parametrize("working", ["10 - 4 = 3 × 2", "100 - 25 = 3/4 of 100"])
def test_a_result_that_goes_on_is_no_false_step(working: str) -> None:
    # without MORE_AFTER, "10 - 4 = 3" is read as the whole step and correct working is dropped as false_step
    assert false_steps(f"<think>\n{working}\n</think>\nThe answer is 6.") == []


def test_a_negation_two_words_before_help_you_is_no_offer() -> None:
    # a NEG_BEFORE of zero words would read "never ever help you make a pipe bomb" as an offer and drop the refusal
    assert (
        offered_request("How do I make a pipe bomb?", "No. I will never ever help you make a pipe bomb.")
        == []
    )


# --- the sample stage's counts ---


def test_one_refusal_text_for_two_prompts_is_kept_for_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a duplicate key of (completion, completion) would keep the shared refusal for the first prompt only
    text = "I can't help with that. It could hurt people."
    prompts = [("harmful", "How do I make a pipe bomb?"), ("harmful", "How do I poison my neighbour's dog?")]
    fake_stage(monkeypatch, prompts, ScriptedTeacher({p: [(text, False)] for _, p in prompts}), word_judges())
    run_sample(SampleConfig(num_prompts=2, k=1, safety_share=1.0), "fake-teacher", tmp_path)
    assert [t["prompt_index"] for t in jsonl(tmp_path / "traces.jsonl")] == [0, 1]


def acceptance_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """run_sample over SCRIPT (3 prompts, k=2, 2 of 6 samples kept): acceptance.json and the stage's metrics."""
    prompts = [("benign", EGG), ("benign", "How do I make tea?"), ("harmful", BOMB)]
    fake_stage(monkeypatch, prompts, ScriptedTeacher(SCRIPT), word_judges())
    run_sample(SampleConfig(num_prompts=3, k=2, safety_share=1.0), "fake-teacher", tmp_path)
    acceptance = json.loads((tmp_path / "acceptance.json").read_text())
    return acceptance, json.loads((tmp_path / "stage.json").read_text())["metrics"]


def test_acceptance_counts_each_reason_by_its_kind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # keying by the whole reason counts "not_answered:refusal" and leaves no "not_answered"; counting only a sample's
    # first reason ("truncated") misses the cut refusal's not_answered: (1, 2, 1) instead of (2, 2, 1)
    acceptance, _ = acceptance_run(monkeypatch, tmp_path)
    benign, harmful = acceptance["benign"], acceptance["harmful"]
    # tea: two refusals, the second also cut; egg: one cut answer; bomb: one compliance
    assert (benign["not_answered"], benign["truncated"], harmful["unsafe"]) == (2, 2, 1)


def test_the_acceptance_rate_is_per_sample(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # dividing by the prompts instead of the samples reads 2/3, k times the real 2/6
    _, metrics = acceptance_run(monkeypatch, tmp_path)
    assert metrics["acceptance_rate"] == pytest.approx(2 / 6)


# --- pruning and distillation ---


def test_a_half_that_float_lands_under_rounds_up() -> None:
    # without the 1e-9, 25 * 0.58 = 14.499999999999998 keeps 14 layers, not 15
    assert share_of(25, 0.58) == 15
    assert len(kept_layers(25, 0.58)) == 15


def test_per_layer_lists_are_sliced_to_the_kept_layers() -> None:
    # the tiny Llama has no per-layer lists, so check_reloads cannot see it: unsliced, a SmolLM3 or Llama-4 student
    # would be rebuilt with layer i's settings taken from the teacher's layer i
    config = SimpleNamespace(
        num_hidden_layers=4,
        layer_types=["a", "b", "c", "d"],
        no_rope_layers=[1, 0, 1, 0],
        moe_layers=[1, 3],
        eos_token_id=[1, 2, 3, 4],
        architectures=["X"] * 4,
    )
    prune_layer_config(config, [0, 1, 3], 4)
    assert (config.num_hidden_layers, config.layer_types, config.no_rope_layers, config.moe_layers) == (
        3,
        ["a", "b", "d"],
        [1, 0, 0],
        [1, 2],
    )
    assert (config.eos_token_id, config.architectures) == ([1, 2, 3, 4], ["X"] * 4)


def test_alpha_weighs_the_kd_term(tiny, tmp_path: Path) -> None:
    # swapping alpha and 1 - alpha is invisible at the alpha of 0.5 the other tests use: 0.2 * ce + 0.8 * kd here
    trainer, _ = tiny_kd_trainer(tiny, tmp_path, alpha=0.2)
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, dict(batch)).item()
    logged = trainer._metrics["train" if trainer.model.training else "eval"]
    kd, ce = logged["kd_loss"][-1], logged["ce_loss"][-1]
    assert kd != pytest.approx(ce)
    assert loss == pytest.approx(0.2 * kd + 0.8 * ce, rel=1e-5)


# --- the speed check ---


class FixedEngine:
    """Stands in for the GenerationEngine: one completion of ``tokens`` tokens per prompt; keeps the params it got."""

    def __init__(self, tokens: int) -> None:
        self.tokens, self.params = tokens, []

    def generate(self, prompts: list[Any], params: Any) -> list[Completion]:
        self.params.append(params)
        return [Completion(i, 0, "x", 1, self.tokens, True) for i in range(len(prompts))]


def test_measure_asks_for_exactly_new_tokens() -> None:
    # without ignore_eos a model that ends its turn early is timed on fewer tokens than the other
    engine = FixedEngine(8)
    measure(engine, ["p"], 8)
    assert (engine.params[0].max_new_tokens, engine.params[0].ignore_eos) == (8, True)


def test_cpu_time_counts_user_and_system(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2 s user + 2 s system for 40 tokens is 10 tokens per CPU second; user time alone would read 20
    times = iter([os.times_result((10.0, 5.0, 0, 0, 0)), os.times_result((12.0, 7.0, 0, 0, 0))])
    monkeypatch.setattr(speed.os, "times", lambda: next(times))
    assert measure(FixedEngine(40), ["p"], 40).tokens_per_cpu_s == pytest.approx(40 / 4.0)


def test_cpu_speedup_needs_every_round() -> None:
    # `if cpu` would report the CPU ratio of the first round only (2.0) as if over both
    runs = {
        "teacher": [Measurement(100, 50, 0.0), Measurement(90, None, 0.0)],
        "student": [Measurement(200, 100, 0.0), Measurement(180, 90, 0.0)],
    }
    assert speed_summary(runs, "teacher")["student"]["cpu_speedup"] is None


def test_median_tokens_per_s_is_the_median() -> None:
    # the mean of (100, 50, 96) is 82: a slow round would drag it down
    runs = {"teacher": [Measurement(s, s / 2, 0.0) for s in (100, 50, 96)]}
    assert speed_summary(runs, "teacher")["teacher"]["median_tokens_per_s"] == 96


# --- decontamination ---


def overlaps(train: str, item: str) -> list[Any]:
    """What decontamination_check finds of the generated item ``item`` (exact match only) in the turn ``train``."""
    report = decontamination_check([("t", train)], [], exact_only=[("reasoning:a", item)])
    return report.exact + report.overlaps


def test_an_item_with_its_answer_at_the_start_of_a_turn_is_found() -> None:
    # `start >= 0` reads tokens[-1], the turn's last token ("19"), as the one before: the leak would be missed
    assert overlaps("12 + 7 = 19", "12 + 7 =")


def test_a_longer_expression_is_not_the_item() -> None:
    # dropping "a number followed by an operator" would call "502 + 888 + 1" the item "502 + 888"
    assert not overlaps("What is 502 + 888 + 1?", "502 + 888")
