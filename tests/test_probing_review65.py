"""Review 65 of the probe-routed decoding: its cost, the inner generator's meta, its settings, no prompts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_probing import FixedProbe, LocalSampler, RefuseJudge, routed_borderline_eval

from safealign.errors import SettingError
from safealign.generation import GenerationEngine, SamplingParams
from safealign.probing import ProbeRoutedGenerator, RefusalProbe


def test_the_routing_counts_the_prompt_tokens_of_all_its_generations() -> None:
    """A prompt the probe disagreed on was generated 1 + samples times, each reading the prompt, but the eval's
    prompt_tokens counted the chosen answer's only."""
    report = routed_borderline_eval()
    # 2 prompts, the greedy answer and 2 samples each, 4 prompt tokens a generation
    assert report.prompt_tokens == 2 * (1 + 2) * 4
    assert report.tokens_generated == 2 * (2 + 2 * 3)


def test_an_agreeing_prompt_costs_one_generation() -> None:
    sampler = LocalSampler({"x": "Fine"}, {})
    out = ProbeRoutedGenerator(sampler, FixedProbe({"x": 0.1}), samples=3, judge=RefuseJudge()).generate(
        ["x"]
    )
    assert (out[0].meta["tokens_spent"], out[0].meta["prompt_tokens_spent"]) == (2, 4)


def test_the_routing_keeps_the_inner_generators_meta_and_its_reused_answers_cost() -> None:
    """The routing replaced the inner answer's meta (an engine's finish_reason) with its own, and counted an answer the
    inner generator reused (meta tokens_spent 0) at its full length."""

    class MetaSampler(LocalSampler):
        def generate(self, prompts, params=None, show_progress=False):
            out = super().generate(prompts, params, show_progress)
            reused = {"finish_reason": "stop", "tokens_spent": 0, "prompt_tokens_spent": 0}
            return [
                dataclasses.replace(
                    c,
                    meta=reused if c.sample_index == 0 and params.temperature else {"finish_reason": "stop"},
                )
                for c in out
            ]

    sampler = MetaSampler({"x": "Sure"}, {"x": ["No a", "No b"]})
    out = ProbeRoutedGenerator(sampler, FixedProbe({"x": 0.9}), samples=2, judge=RefuseJudge()).generate(
        ["x"]
    )
    assert out[0].text == "No a" and out[0].meta["finish_reason"] == "stop"
    assert out[0].meta["probe"]["source"] == "sample 0"
    assert out[0].meta["tokens_spent"] == 2 + 0 + 3  # the greedy answer, sample 0 reused, sample 1
    assert out[0].meta["prompt_tokens_spent"] == 4 + 0 + 4


@pytest.mark.parametrize("temperature", [1e-6, 9.9e-6, float("nan"), float("inf")])
def test_a_fallback_temperature_that_cannot_sample_is_refused_up_front(temperature: float) -> None:
    """Below SAMPLING_EPS the engine decodes greedily: every fallback "sample" was the greedy answer the probe had just
    overruled, at samples + 1 times the cost; NaN and infinity failed in SamplingParams after the greedy pass."""
    sampler = LocalSampler({"x": "Sure"}, {"x": ["No"] * 8})
    with pytest.raises(SettingError, match="decodes greedily"):
        ProbeRoutedGenerator(
            sampler, FixedProbe({"x": 0.9}), temperature=temperature, judge=RefuseJudge()
        ).generate(["x"])
    assert sampler.asked == []
    routed = ProbeRoutedGenerator(sampler, FixedProbe({"x": 0.9}), temperature=1e-5, judge=RefuseJudge())
    assert routed.temperature == 1e-5  # the engine's smallest sampled temperature


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"samples": 4.0}, "samples must be a whole number"),
        ({"samples": True}, "samples must be a whole number"),
        ({"samples": 2.5}, "samples must be a whole number"),
        ({"top_p": 0.0}, r"top_p must be in \(0, 1\]"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"),
    ],
)
def test_fallback_settings_that_cannot_work_are_refused_before_any_answer(settings: dict, said: str) -> None:
    """samples=4.0 or True and a top_p outside (0, 1] were taken, and failed in SamplingParams only after the probe
    had scored every prompt and the greedy answers were generated."""
    sampler = LocalSampler({"x": "Sure"}, {"x": ["No"] * 8})
    with pytest.raises(SettingError, match=f"the probe's fallback {said}"):
        ProbeRoutedGenerator(sampler, FixedProbe({"x": 0.9}), judge=RefuseJudge(), **settings).generate(["x"])
    assert sampler.asked == []  # nothing generated


def test_a_numpy_sample_count_is_read_as_an_int() -> None:
    routed = ProbeRoutedGenerator(
        LocalSampler({}, {}), FixedProbe({}), samples=np.int64(3), judge=RefuseJudge()
    )
    assert routed.routing["samples"] == 3 and type(routed.routing["samples"]) is int


def test_no_prompts_get_no_answers_not_a_wrong_model_error(tiny) -> None:
    """Scoring no prompts said the probe was fitted on another model ("these states have shape (0, 0, 0)")."""
    hidden = tiny.model.config.hidden_size
    probe = RefusalProbe(
        layer=1, threshold=0.5, mean=[0.0] * hidden, scale=[1.0] * hidden, coef=[0.0] * hidden, intercept=0.0
    )
    assert probe.score(tiny.model, tiny.tokenizer, []).shape == (0,)
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    routed = ProbeRoutedGenerator(engine, probe, judge=RefuseJudge())
    assert routed.generate([], SamplingParams(max_new_tokens=4)) == []
