"""rl.difficulty_filter: reasoning prompts screened by the starting model's pass rate before GRPO."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from safealign.config import RLConfig
from safealign.corpus.eval_texts import checking_recipe_suites
from safealign.generation import Completion, GenerationEngine
from safealign.runs import read_json
from safealign.stages import rl_difficulty
from safealign.stages.rl import run_rl
from safealign.stages.rl_difficulty import candidate_rows, screen


def config(**overrides) -> RLConfig:
    base = dict(
        tasks={"basic_arithmetic": 0.5, "chain_sum": 0.25, "safety": 0.25},
        num_prompts=16,
        rewards={"accuracy": 1.0},
        method="full",
        max_steps=2,
        prompts_per_step=2,
        num_generations=4,
        max_completion_length=12,
        learning_rate=1e-3,
        save_steps=2,
        gates={"enabled": False},
        difficulty_filter={"enabled": True, "samples": 4, "batch_prompts": 4},
    )
    return RLConfig(**(base | overrides))


def solve_some(calls: list[int]):
    """A stand-in engine: candidate k of the screening (counted across calls) is solved by (k % 5) of its 4 samples,
    so pass rates run 0, .25, .5, .75, 1, 0, ..."""
    seen = {"n": 0}

    def generate(self, prompts, params, **_):
        calls.append(len(prompts))
        out = []
        for i, prompt in enumerate(prompts):
            k = seen["n"] + i
            answer = prompt_answers[prompt[-1]["content"]]
            for s in range(params.num_samples):
                text = f"<think>\nwork\n</think>\nThe answer is {answer if s < k % 5 else 'unknown'}."
                out.append(Completion(i, s, text, 1, 1, False))
        seen["n"] += len(prompts)
        return out

    prompt_answers: dict[str, str] = {}
    return generate, prompt_answers


def test_screen_keeps_the_band_in_order_and_stops_once_filled(monkeypatch, tiny):
    cfg = config()
    _, candidates, needed = candidate_rows(cfg, 42, None)
    assert needed == 12 and len(candidates) == 36  # max_candidates 3.0: the unscreened 12, then 24 more
    assert len({c["prompt"][-1]["content"] for c in candidates}) == len(candidates)
    calls: list[int] = []
    generate, answers = solve_some(calls)
    answers.update({c["prompt"][-1]["content"]: json.loads(c["task"])["answer"] for c in candidates})
    monkeypatch.setattr(GenerationEngine, "generate", generate)
    kept, report = screen(candidates, needed, cfg, tiny.model, tiny.tokenizer, seed=0)
    # Rates 0, .25, .5, .75, 1 repeat: 3 of every 5 candidates are in (0, 1); 12 kept needs 20 screened = 5 rounds of 4.
    assert calls == [4] * 5
    assert kept == [c for k, c in enumerate(candidates[:20]) if k % 5 in (1, 2, 3)]
    assert report["screened"] == 20 and report["in_band"] == 12 and report["filled_from_rejected"] == 0
    assert report["completions"] == 80 and report["pass_rates"] == {0.0: 4, 0.25: 4, 0.5: 4, 0.75: 4, 1.0: 4}
    assert sum(f["kept"] for f in report["per_family"].values()) == 12


def test_an_overfilled_last_round_counts_only_the_kept_prompts(monkeypatch, tiny):
    """Per family, "kept" counted every in-band prompt, though the last round's surplus is cut off."""
    cfg = config()
    _, candidates, _ = candidate_rows(cfg, 42, None)
    generate, answers = solve_some([])
    answers.update({c["prompt"][-1]["content"]: json.loads(c["task"])["answer"] for c in candidates})
    monkeypatch.setattr(GenerationEngine, "generate", generate)
    # 20 screened put 12 in the band
    kept, report = screen(candidates, 11, cfg, tiny.model, tiny.tokenizer, seed=0)
    assert len(kept) == report["kept"] == 11 and report["in_band"] == 12
    assert sum(f["kept"] for f in report["per_family"].values()) == 11
    assert sum(f["in_band"] for f in report["per_family"].values()) == 12


def test_too_few_in_band_fills_from_the_nearest_rejected(monkeypatch, tiny, caplog):
    cfg = config(
        difficulty_filter={
            "enabled": True,
            "samples": 4,
            "batch_prompts": 4,
            "min_pass_rate": 0.6,
            "max_candidates": 1.0,
        }
    )
    _, candidates, needed = candidate_rows(cfg, 42, None)
    assert len(candidates) == needed == 12
    generate, answers = solve_some([])
    answers.update({c["prompt"][-1]["content"]: json.loads(c["task"])["answer"] for c in candidates})
    monkeypatch.setattr(GenerationEngine, "generate", generate)
    kept, report = screen(candidates, needed, cfg, tiny.model, tiny.tokenizer, seed=0)
    # only .75 is in (0.6, 1)
    assert len(kept) == 12 and report["in_band"] == 2 and report["filled_from_rejected"] == 10
    assert kept[:2] == [candidates[3], candidates[8]]
    assert "fill the rest" in caplog.text and "max_candidates" in caplog.text


def test_a_task_the_screen_drops_is_named_in_a_warning(monkeypatch, tiny, caplog):
    """The model solved every chain_sum prompt, so the screen kept none and said nothing: the stage trained on
    basic_arithmetic and safety alone, against the recipe's mixture."""
    cfg = config()
    _, candidates, needed = candidate_rows(cfg, 42, None)
    tasks = {c["prompt"][-1]["content"]: json.loads(c["task"]) for c in candidates}

    def chain_sum_always_solved(self, prompts, params, **_):
        out = []
        for i, prompt in enumerate(prompts):
            task = tasks[prompt[-1]["content"]]
            for s in range(params.num_samples):
                right = task["family"] == "chain_sum" or s % 2 == 0  # basic_arithmetic: half the samples
                text = f"<think>\nwork\n</think>\nThe answer is {task['answer'] if right else 'unknown'}."
                out.append(Completion(i, s, text, 1, 1, False))
        return out

    monkeypatch.setattr(GenerationEngine, "generate", chain_sum_always_solved)
    with caplog.at_level("WARNING", logger="safealign.stages.rl_difficulty"):
        kept, report = screen(candidates, needed, cfg, tiny.model, tiny.tokenizer, seed=0)
    # what is kept stays as it was
    assert len(kept) == needed and report["per_family"]["chain_sum"]["kept"] == 0
    said = " ".join(caplog.text.split())
    assert "task chain_sum keeps 0 of its 4 prompts" in said and "always solved" in said, said
    assert "task basic_arithmetic" not in said  # it fills the share: more of it than asked, no fewer


def test_a_prompt_answered_only_by_hedges_is_never_solved(monkeypatch, tiny):
    """ "The answer is 4, 3." got partial credit for 3, so a prompt no sample solved screened as in the band."""
    cfg = config()
    _, candidates, _ = candidate_rows(cfg, 42, None)
    answers = {c["prompt"][-1]["content"]: json.loads(c["task"])["answer"] for c in candidates[:4]}

    def hedge(self, prompts, params, **_):
        out = []
        for i, prompt in enumerate(prompts):
            right = answers[prompt[-1]["content"]]
            text = f"<think>\nwork\n</think>\nThe answer is {int(right) + 1}, {right}."
            out.extend(Completion(i, s, text, 1, 1, False) for s in range(params.num_samples))
        return out

    monkeypatch.setattr(GenerationEngine, "generate", hedge)
    _, report = screen(candidates[:4], 4, cfg, tiny.model, tiny.tokenizer, seed=0)
    assert report["in_band"] == 0 and report["pass_rates"] == {0.0: 4}


def test_empty_band_is_a_recipe_error():
    with pytest.raises(ValidationError, match="min_pass_rate .* must be below max_pass_rate"):
        config(difficulty_filter={"enabled": True, "min_pass_rate": 0.5, "max_pass_rate": 0.5})


def test_filter_without_reasoning_tasks_is_a_recipe_error():
    with pytest.raises(ValidationError, match="tasks has none .* add a reasoning family"):
        config(tasks={"safety": 1.0})
    config(tasks={"safety": 1.0}, difficulty_filter={"enabled": False})  # off: a safety-only stage is fine


def test_stage_trains_on_screened_prompts_and_a_rerun_reuses_them(tmp_path, monkeypatch):
    import trl

    trained = []  # what GRPO is given to train on: the screened rows, not the prompts before the screen
    init = trl.GRPOTrainer.__init__

    def keeping(self, *args, **kwargs):
        trained.append(kwargs["train_dataset"])
        init(self, *args, **kwargs)

    monkeypatch.setattr(trl.GRPOTrainer, "__init__", keeping)
    run_rl(config(), "tiny", tmp_path / "rl", precision="fp32")
    saved = read_json(tmp_path / "rl" / "difficulty_filter.json")
    assert [row["prompt"] for row in trained[0]] == [row["prompt"] for row in saved["rows"]]
    stage = read_json(tmp_path / "rl" / "stage.json")
    assert stage["inputs"]["difficulty_filter"] == saved["report"]
    # The random tiny model solves nothing: every candidate screened, the share filled from rejected ones, safety rows kept.
    assert saved["report"]["screened"] == 36 and saved["report"]["filled_from_rejected"] == 12
    assert sum(r["kind"] == "reasoning" for r in saved["rows"]) == 12 and len(saved["rows"]) == 16
    assert stage["metrics"]["prompts_screened"] == 36 and stage["metrics"]["prompts_in_band"] == 0
    assert (
        "| reasoning prompts screened (difficulty filter) | 36 |"
        in (tmp_path / "rl" / "README.md").read_text()
    )

    def no_screening(*args, **kwargs):
        raise AssertionError("screened again")

    monkeypatch.setattr(rl_difficulty, "screen", no_screening)
    rows, report = rl_difficulty.screened_prompt_rows(
        config(), None, None, tmp_path / "rl", "tiny", 42, precision="fp32"
    )
    assert rows == saved["rows"] and report == saved["report"]
    # other settings: the saved screen does not apply
    with pytest.raises(AssertionError, match="screened again"):
        rl_difficulty.screened_prompt_rows(
            config(temperature=0.7), None, None, tmp_path / "rl", "tiny", 42, precision="fp32"
        )
    # another generation precision passes other prompts: screened again
    with pytest.raises(AssertionError, match="screened again"):
        rl_difficulty.screened_prompt_rows(
            config(), None, None, tmp_path / "rl", "tiny", 42, precision="bf16"
        )
    # another list of the recipe's own eval suites (whose items the candidates leave out): screened again
    with (
        checking_recipe_suites(["rg:basic_arithmetic"]),
        pytest.raises(AssertionError, match="screened again"),
    ):
        rl_difficulty.screened_prompt_rows(
            config(), None, None, tmp_path / "rl", "tiny", 42, precision="fp32"
        )


def test_a_screen_saved_before_its_key_held_the_precision_is_reused_and_rekeyed(tmp_path, monkeypatch):
    """A stage started before the key held the precision was screened again on resume: the prompts its checkpoint
    trained on were thrown away (its config.json already refuses a resume with another precision)."""
    monkeypatch.setattr(
        rl_difficulty, "screen", lambda *args, **kwargs: ([], {"screened": 0, "in_band": 0, "seconds": 0})
    )
    rl_difficulty.screened_prompt_rows(config(), None, None, tmp_path, "tiny", 42, precision="bf16")
    saved = read_json(tmp_path / rl_difficulty.FILTER_FILE)
    del saved["key"]["precision"]
    (tmp_path / rl_difficulty.FILTER_FILE).write_text(json.dumps(saved))

    def no_screening(*args, **kwargs):
        raise AssertionError("screened again")

    monkeypatch.setattr(rl_difficulty, "screen", no_screening)
    rows, report = rl_difficulty.screened_prompt_rows(
        config(), None, None, tmp_path, "tiny", 42, precision="bf16"
    )
    assert rows == saved["rows"] and report == saved["report"]
    assert read_json(tmp_path / rl_difficulty.FILTER_FILE)["key"]["precision"] == "bf16"
    # the rest of the key still decides
    with pytest.raises(AssertionError, match="screened again"):
        rl_difficulty.screened_prompt_rows(config(temperature=0.7), None, None, tmp_path, "tiny", 42)


def test_rollout_log_reports_the_share_of_groups_without_accuracy_signal():
    from safealign.training.rollouts import RolloutLog

    def accuracy(prompts=None, completions=None, **_):
        # three verifiable groups of 4 (all wrong, mixed, all right) and one safety group (None: not verifiable)
        return [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, None, None, None, None]

    log = RolloutLog(group_size=4)
    log.wrap(accuracy)(prompts=["p"] * 16, completions=["an answer"] * 16)
    assert log.stats()["accuracy/flat_group_share"] == pytest.approx(2 / 3)
    unsized = RolloutLog()  # without the group size the groups are unknown: no share rather than a wrong one
    unsized.wrap(accuracy)(prompts=["p"] * 16, completions=["an answer"] * 16)
    assert "accuracy/flat_group_share" not in unsized.stats() and "text/repetition" in unsized.stats()


def test_no_accuracy_signal_warns_when_nearly_every_group_is_flat():
    from safealign.config import HackingConfig
    from safealign.hacking.detectors import run_detectors

    t = HackingConfig(window=4)
    starved = [
        {"step": s, "accuracy/flat_group_share": v} for s, v in enumerate([1.0, 0.75, 1.0, 1.0, 1.0, 0.75], 1)
    ]
    alerts = [a for a in run_detectors(starved, t) if a.detector == "no_accuracy_signal"]
    assert (
        len(alerts) == 1
        and alerts[0].step == 6
        and alerts[0].evidence["flat_group_share"] == pytest.approx(0.9375)
    )
    assert "rl.difficulty_filter" in alerts[0].message
    learning = [
        {"step": s, "accuracy/flat_group_share": v}
        for s, v in enumerate([1.0, 0.75, 0.5, 0.75, 0.25, 0.75], 1)
    ]
    assert not [a for a in run_detectors(learning, t) if a.detector == "no_accuracy_signal"]
