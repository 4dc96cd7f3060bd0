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


def test_a_chat_template_that_refuses_the_system_prompt_stops_rl_before_any_rollout(tiny, tmp_path) -> None:
    """model.system_prompt on a model whose template takes no system turn: GRPO failed inside its first training step
    with jinja2's bare TemplateError, after the KL reference copy; it is the DataError SFT gives, naming
    model.system_prompt, before the reference copy."""
    from safealign.errors import DataError
    from safealign.stages.rl import run_rl

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
    )
    with pytest.raises(
        DataError, match="rl: the model's chat template refuses a row: System role not supported"
    ):
        run_rl(cfg, str(folder), tmp_path / "rl", precision="fp32", system_prompt="Be kind.")
    assert not (tmp_path / "rl" / "reference_model").exists()


def test_the_difficulty_screen_names_model_system_prompt_when_the_template_refuses_it(
    tiny, monkeypatch
) -> None:
    """The screen's engine refused the same rows naming --system-prompt and 'the one the model was trained with',
    neither of which the RL stage has; it names model.system_prompt, before any generation."""
    from safealign.errors import DataError

    candidates = [
        row | {"prompt": [{"role": "system", "content": "Be kind."}, *row["prompt"]]}
        for row in _candidates(2)
    ]

    def generate(*args, **kwargs):
        raise AssertionError("generated")

    monkeypatch.setattr(GenerationEngine, "generate", generate)
    cfg = RLConfig(
        tasks={"basic_arithmetic": 1.0}, rewards={"accuracy": 1.0}, difficulty_filter={"enabled": True}
    )
    with (
        _refusing_system_turns(tiny.tokenizer) as tokenizer,
        pytest.raises(
            DataError, match="It takes no system turn, and model.system_prompt adds one"
        ) as refused,
    ):
        screen(candidates, 2, cfg, tiny.model, tokenizer, seed=0, precision="fp32")
    # the stage builds its prompts itself: there are no rows of the user's to fold the text into
    assert "drop model.system_prompt, or use a model" in str(refused.value)
