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
