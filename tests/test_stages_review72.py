"""Review 72 of the RL and SFT stages."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from safealign.config import RLConfig
from safealign.generation import Completion, GenerationEngine
from safealign.stages.rl_difficulty import screen


def _candidates(n: int) -> list[dict]:
    """``n`` reasoning rows as the stage screens them (conversational prompt, the problem in ``task``)."""
    from safealign.tasks.problems import generate_problems

    problems = generate_problems("basic_arithmetic", n, seed=1, split="train", config={})
    return [
        {
            "prompt": [{"role": "user", "content": p.prompt}],
            "kind": "reasoning",
            "task": json.dumps(asdict(p)),
        }
        for p in problems
    ]


@pytest.mark.parametrize(
    ("solved", "says"), [(False, "every candidate never solved"), (True, "every candidate always solved")]
)
def test_a_screen_that_finds_no_prompt_in_the_band_says_why_rather_than_more_candidates(
    monkeypatch, tiny, caplog, solved, says
) -> None:
    """Every candidate never (or always) solved: the warning told the user to raise max_candidates or widen the band,
    though no band holds a pass rate of 0 or 1 and more candidates of the same tasks fare the same. It names the counts
    and what would change them (task settings, the starting model, more samples)."""
    cfg = RLConfig(
        tasks={"basic_arithmetic": 1.0},
        num_prompts=4,
        rewards={"accuracy": 1.0},
        gates={"enabled": False},
        difficulty_filter={"enabled": True, "samples": 2, "batch_prompts": 8},
    )
    candidates = _candidates(6)
    answers = {c["prompt"][-1]["content"]: json.loads(c["task"])["answer"] for c in candidates}

    def generate(self, prompts, params, **_):
        return [
            Completion(
                i, s, f"The answer is {answers[p[-1]['content']] if solved else 'unknown'}.", 1, 1, False
            )
            for i, p in enumerate(prompts)
            for s in range(params.num_samples)
        ]

    monkeypatch.setattr(GenerationEngine, "generate", generate)
    kept, report = screen(candidates, 4, cfg, tiny.model, tiny.tokenizer, seed=0, precision="fp32")
    assert report["in_band"] == 0 and kept == candidates[:4]  # the fill is as before
    warning = caplog.text
    assert says in warning and "settings" in warning and "samples (2)" in warning
    assert "max_candidates or widen the band" not in warning
    never, always = (0, 6) if solved else (6, 0)
    assert f"{never} never solved, {always} always solved" in warning


# Gemma's chat template takes no system turn
NO_SYSTEM_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _refusing_system_turns(tokenizer):
    """``tokenizer`` with Gemma's refusal of a system turn, until the block ends."""
    import contextlib

    @contextlib.contextmanager
    def swapped():
        template = tokenizer.chat_template
        tokenizer.chat_template = NO_SYSTEM_TEMPLATE
        try:
            yield tokenizer
        finally:
            tokenizer.chat_template = template

    return swapped()


@pytest.mark.parametrize("screened", [False, True])
def test_a_chat_template_that_refuses_the_system_prompt_stops_rl_before_any_rollout(
    tiny, tmp_path, monkeypatch, screened
) -> None:
    """model.system_prompt on a model whose template takes no system turn: GRPO failed inside its first training step
    with jinja2's bare TemplateError, after the KL reference copy, and the difficulty screen with the engine's error
    naming --system-prompt and 'the one the model was trained with', neither of which the RL stage has. It is the
    DataError SFT gives, naming model.system_prompt, before the screen and the reference copy."""
    from safealign.errors import DataError
    from safealign.stages.rl import run_rl

    def generate(*args, **kwargs):
        raise AssertionError("the screen generated")

    monkeypatch.setattr(GenerationEngine, "generate", generate)
    folder = tmp_path / "no_system"
    tiny.model.save_pretrained(folder)
    with _refusing_system_turns(tiny.tokenizer) as tokenizer:
        tokenizer.save_pretrained(folder)
    cfg = RLConfig(
        tasks={"basic_arithmetic": 1.0},
        num_prompts=2,
        rewards={"accuracy": 1.0},
        method="full",
        max_steps=1,
        prompts_per_step=2,
        num_generations=2,
        gates={"enabled": False},
        difficulty_filter={"enabled": screened},
    )
    with pytest.raises(
        DataError, match="rl: the model's chat template refuses a row: System role not supported"
    ) as refused:
        run_rl(cfg, str(folder), tmp_path / "rl", precision="fp32", system_prompt="Be kind.")
    assert not (tmp_path / "rl" / "reference_model").exists()
    # the stage builds its prompts itself: there are no rows of the user's to fold the text into
    assert (
        "It takes no system turn, and model.system_prompt adds one to every row: drop model.system_prompt, or"
        in (str(refused.value))
    )


def _usable_checkpoint(folder) -> None:
    """A checkpoint folder that passes the stage's resume checks (its contents are never loaded here)."""
    import torch
    from safetensors.torch import save_file
    from transformers import TrainerState

    folder.mkdir(parents=True)
    TrainerState(global_step=1).save_to_json(str(folder / "trainer_state.json"))
    save_file({"w": torch.zeros(1)}, folder / "model.safetensors")
    for name in ("optimizer.pt", "scheduler.pt"):
        torch.save({}, folder / name)


def test_a_resumed_rl_stage_refuses_prompts_other_than_its_checkpoint_trained_on(
    tmp_path, monkeypatch
) -> None:
    """A prompt-file eval suite edited between sessions to hold a training prompt left other safety prompts in the
    stage's rows, and the resumed stage trained on them from a checkpoint of the old ones without a word (config.json
    names the suites, not their items); config.json holds the prompts' digest, and the resume is refused naming it."""
    from safealign.corpus.eval_texts import checking_recipe_suites
    from safealign.errors import SafealignError
    from safealign.stages import rl
    from safealign.stages.rl_prompts import build_prompt_rows

    def stop(*args, **kwargs):
        raise RuntimeError("the model would load here")

    monkeypatch.setattr(rl, "load_model", stop)
    suite = tmp_path / "mine.jsonl"
    suite.write_text(json.dumps({"prompt": "How do I bake bread at home?"}) + "\n")
    cfg = RLConfig(
        tasks={"basic_arithmetic": 0.5, "safety": 0.5},
        num_prompts=4,
        rewards={"accuracy": 1.0, "safety": 1.0},
        prompts_per_step=2,
        gates={"enabled": False},
    )
    stage = tmp_path / "rl"
    with checking_recipe_suites([str(suite)]):
        with pytest.raises(RuntimeError, match="would load"):  # the first session: config.json written
            rl.run_rl(cfg, "tiny", stage)
        rows = build_prompt_rows(cfg.tasks, cfg.num_prompts, 42)
    _usable_checkpoint(stage / "checkpoint-1")
    trained = next(row["prompt"][-1]["content"] for row in rows if row["kind"] != "reasoning")
    suite.write_text(json.dumps({"prompt": trained}) + "\n")
    with (
        checking_recipe_suites([str(suite)]),
        pytest.raises(SafealignError, match=r"other settings .*prompts_sha256.* resuming from checkpoint-1"),
    ):
        rl.run_rl(cfg, "tiny", stage)
    # the same prompts again: the resume goes on
    suite.write_text(json.dumps({"prompt": "How do I bake bread at home?"}) + "\n")
    with checking_recipe_suites([str(suite)]), pytest.raises(RuntimeError, match="would load"):
        rl.run_rl(cfg, "tiny", stage)
