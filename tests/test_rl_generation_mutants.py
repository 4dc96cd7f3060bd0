"""Tests that kill the mutants of the RL prompt, difficulty screen, generation and eval-stage code that survived the
rest of the suite (rl_prompts, rl_difficulty, generation, decoding), and of some it kills elsewhere only in passing
(evaluate, precision). Each test names the one-token change it guards against and what that change would do. Only the
generation tests load a model (the tiny one); the screen and the eval stage run on stand-ins."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from test_rl_difficulty import config, solve_some

import safealign.evals.runner as runner
import safealign.precision as precision
from safealign.config import EvalConfig
from safealign.corpus.eval_texts import suite_prompts
from safealign.decoding import SAMPLING_EPS, is_sampled
from safealign.generation import Completion, GenerationEngine, SamplingParams
from safealign.stages import evaluate
from safealign.stages.evaluate import headline, run_eval_stage
from safealign.stages.rl_difficulty import candidate_rows, screen
from safealign.stages.rl_prompts import (
    build_prompt_rows,
    problem_key,
    reasoning_prompts,
    safety_prompts,
    sample_mixture,
)

# --- rl_prompts ---


def test_sample_mixture_shares_sum_to_one_whatever_the_task_weights() -> None:
    # without "/ total" the reasoning weights 2 and 2 would read 1.4 each, and the mixture 3.1 in all
    mixture = sample_mixture({"arithmetic": 2.0, "chain_sum": 2.0, "safety": 5.0}, 0.3)
    assert mixture == pytest.approx({"arithmetic": 0.35, "chain_sum": 0.35, "safety": 0.3})


def test_the_system_prompt_comes_first_in_rl_rows() -> None:
    # appending the system message would put it after the user turn the model is to answer
    rows = build_prompt_rows({"safety": 1.0}, 3, 0, system_prompt="Be safe.", suites=[])
    assert [[m["role"] for m in row["prompt"]] for row in rows] == [["system", "user"]] * 3
    assert {row["prompt"][0]["content"] for row in rows} == {"Be safe."}


def test_a_safety_prompt_near_copied_into_a_file_suite_is_left_out(tmp_path: Path) -> None:
    # flagging exact matches only would keep a shipped prompt that a recipe's file suite quotes inside a longer one
    pool = [row["prompt"] for row in safety_prompts(0)]
    quoted = next(prompt for prompt in pool if len(prompt.split()) >= 14)
    suite = tmp_path / "mine.jsonl"
    suite.write_text(json.dumps({"prompt": f"Quick question for you. {quoted} Thanks a lot!"}) + "\n")
    kept = [row["prompt"] for row in safety_prompts(0, [str(suite)])]
    assert sorted(kept) == sorted(prompt for prompt in pool if prompt != quoted)


def test_reasoning_prompts_keep_off_the_recipes_rg_suite_items() -> None:
    # keeping off the built-in suites only would train on the items of the recipe's own rg: suite of the same family
    spec = "basic_arithmetic?max_digits=1&max_terms=2"
    _, generated = suite_prompts([f"rg:{spec}"])
    held = {problem_key(prompt) for _, prompt in generated}
    rows = reasoning_prompts(spec, 60, 0, suites=[f"rg:{spec}"])
    assert held and len(rows) == 60
    assert not held & {problem_key(row["prompt"]) for row in rows}


# --- rl_difficulty ---


def _engine_without_a_model(monkeypatch: pytest.MonkeyPatch, generate) -> None:
    """GenerationEngine with ``generate`` as its method and no model behind it: the screen's tests need no weights."""
    monkeypatch.setattr(GenerationEngine, "__init__", lambda self, *args, **kwargs: None)
    monkeypatch.setattr(GenerationEngine, "generate", generate)


def test_the_screen_samples_at_the_rollout_temperature_and_length(monkeypatch: pytest.MonkeyPatch) -> None:
    # leaving temperature or max_new_tokens out would screen greedily, or at 128 tokens, not as the rollouts sample
    cfg = config(
        temperature=0.7,
        max_completion_length=37,
        difficulty_filter={"enabled": True, "samples": 3, "batch_prompts": 2},
    )
    asked: list[SamplingParams] = []

    def generate(self, prompts, params, **_):
        asked.append(params)
        return [
            Completion(i, s, "x", 1, 1, False) for i in range(len(prompts)) for s in range(params.num_samples)
        ]

    _engine_without_a_model(monkeypatch, generate)
    _, candidates, needed = candidate_rows(cfg, 42, None)
    screen(candidates, needed, cfg, torch.nn.Module(), None, 42)
    assert asked[0] == SamplingParams(max_new_tokens=37, temperature=0.7, num_samples=3, seed=42)


def test_fill_prefers_rejected_candidates_nearest_the_band(monkeypatch: pytest.MonkeyPatch) -> None:
    # rates run 0, .25, .5, .75, 1 by candidate (solve_some); only .75 is in (0.6, 1), 7 of the 36 candidates. The 5
    # more needed are the first five solved always (1.0, 0.2 from the middle 0.8); sorting by the rate alone would
    # fill with never-solved ones (0.0)
    cfg = config(difficulty_filter={"enabled": True, "samples": 4, "batch_prompts": 4, "min_pass_rate": 0.6})
    _, candidates, needed = candidate_rows(cfg, 42, None)
    assert (len(candidates), needed) == (36, 12)
    generate, answers = solve_some([])
    answers.update({c["prompt"][-1]["content"]: json.loads(c["task"])["answer"] for c in candidates})
    _engine_without_a_model(monkeypatch, generate)
    kept, report = screen(candidates, needed, cfg, torch.nn.Module(), None, 0)
    assert (report["in_band"], report["filled_from_rejected"]) == (7, 5)
    assert kept == [candidates[k] for k in range(3, 36, 5)] + [candidates[k] for k in range(4, 25, 5)]


# --- generation, decoding ---


@pytest.fixture(scope="module")
def engine(tiny) -> GenerationEngine:
    """One prompt per batch, so each sample of a prompt is a batch of its own."""
    return GenerationEngine(tiny.model, tiny.tokenizer, batch_size=1, precision="fp32")


def test_samples_of_one_prompt_in_separate_batches_differ(engine: GenerationEngine) -> None:
    # seeding every batch with params.seed, not params.seed + its start, would draw the same answer three times
    out = engine.generate(["Hi"], SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=3, seed=5))
    assert len({tuple(c.token_ids) for c in out}) == 3


def test_top_k_1_sampling_is_greedy(engine: GenerationEngine) -> None:
    # without the TopKLogitsWarper, top_k=1 at temperature 1.5 would sample from the whole vocabulary
    prompts = ["Hi", "What is 2+2?"]
    greedy = engine.generate(prompts, SamplingParams(max_new_tokens=10))
    top_1 = engine.generate(prompts, SamplingParams(max_new_tokens=10, temperature=1.5, top_k=1, seed=3))
    assert [c.token_ids for c in top_1] == [c.token_ids for c in greedy]


def test_the_sampling_eps_itself_samples() -> None:
    # > instead of >= would decode SAMPLING_EPS greedily; SamplingParams' docstring says it samples
    assert is_sampled(SAMPLING_EPS)
    assert not is_sampled(SAMPLING_EPS / 2)
    assert not is_sampled(0.0)


# --- evaluate ---


def test_the_eval_stage_generates_with_the_configs_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SamplingParams() (128 tokens), precision "auto" or no system prompt would each score another model's answers
    engines: list[dict] = []
    seen: dict = {}
    monkeypatch.setattr(
        evaluate, "load_model", lambda *args, **kwargs: SimpleNamespace(model=None, tokenizer=None, num_parameters=1)
    )
    monkeypatch.setattr(
        evaluate, "GenerationEngine", lambda *args, **kwargs: engines.append(kwargs) or SimpleNamespace()
    )

    def run_eval(engine, suites, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop after generating")

    monkeypatch.setattr(runner, "run_eval", run_eval)
    cfg = EvalConfig(suites=["reasoning"], limit=1, max_new_tokens=23, precision="bf16")
    with pytest.raises(RuntimeError, match="stop after generating"):
        run_eval_stage(cfg, "tiny", tmp_path / "eval", show_progress=False, system_prompt="Sys.")
    assert seen["params"] == SamplingParams(max_new_tokens=23)
    assert (engines[0]["precision"], engines[0].get("system_prompt")) == ("bf16", "Sys.")


def test_headline_reads_the_held_out_split_where_there_is_one() -> None:
    # always reading "all" would report 0.5, the in-distribution items' score with the held-out ones
    def entry(value: float) -> dict[str, float]:
        return {"value": value, "low": value - 0.1, "high": value + 0.1}

    metrics = {"all": {"accuracy": entry(0.5)}, "held_out": {"accuracy": entry(0.2)}}
    summary = {"suites": {"reasoning": {"kind": "reasoning", "metrics": metrics}}}
    got = headline(summary)["reasoning.accuracy"]
    assert (got["value"], got["split"]) == (0.2, "held_out")


# --- precision ---


def test_bf16_needs_a_1_3x_margin_to_count_as_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # fp32's five matmuls 1.2 ms each, then bf16's 1.0 ms each: 1.2x faster, under the 1.3x bar; bf16 <= fp32 says fast
    durations = iter([0.0012] * 5 + [0.0010] * 5)
    clock = {"now": 0.0, "timing": False}

    def perf_counter() -> float:
        if clock["timing"]:  # this call ends a measurement
            clock["now"] += next(durations)
        clock["timing"] = not clock["timing"]
        return clock["now"]

    monkeypatch.setattr(precision, "time", SimpleNamespace(perf_counter=perf_counter))
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))  # timed, not skipped
    monkeypatch.setattr(precision, "PROBE_SIZE", 8)  # the clock is fake: small matmuls time the same
    precision.bf16_is_fast.cache_clear()
    try:
        assert precision.bf16_is_fast("cpu") is False
    finally:
        precision.bf16_is_fast.cache_clear()
    assert next(durations, None) is None  # all ten timings were read: five per precision


def test_auto_asks_about_the_device_it_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # bf16_is_fast() with no device would time the CPU's matmuls for a GPU engine
    monkeypatch.setattr(precision, "bf16_is_fast", lambda device_type="cpu": device_type == "cpu")
    assert precision.resolve_precision("auto", "cuda") == "fp32"
    assert precision.resolve_precision("auto", "cpu") == "bf16"
