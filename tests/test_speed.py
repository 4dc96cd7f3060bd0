"""The speed comparison behind `benchmarks/student_speed.py` and the distill stage's speed check."""

from __future__ import annotations

import pytest

from safealign.generation import Completion
from safealign.speed import Measurement, compare_speed, speed_summary


class CountingEngine:
    """Generates ``max_new_tokens`` tokens per prompt instantly and logs who ran when."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def generate(self, prompts, params):  # noqa: ANN001, ANN201
        self.log.append(self.name)
        return [Completion(prompt_index=i, sample_index=0, text="x", prompt_tokens=1, completion_tokens=params.max_new_tokens,
                           truncated=True) for i in range(len(prompts))]


def test_models_alternate_and_each_is_measured_every_round() -> None:
    log: list[str] = []
    engines = {name: CountingEngine(name, log) for name in ("teacher", "a", "b")}
    runs = compare_speed(engines, ["p1", "p2", "p3"], new_tokens=8, rounds=3)
    assert log[:3] == ["teacher", "a", "b"], "a short warm-up of each first"
    assert log[3:] == ["teacher", "a", "b", "b", "a", "teacher", "teacher", "a", "b"], "the order reversed every other round"
    assert {name: len(measured) for name, measured in runs.items()} == {"teacher": 3, "a": 3, "b": 3}
    assert all(m.tokens_per_s > 0 for measured in runs.values() for m in measured)


def test_speed_is_the_best_round_and_the_paired_median_is_kept() -> None:
    def runs(*speeds: float) -> list[Measurement]:
        return [Measurement(s, s / 2, 0.0) for s in speeds]

    # the teacher's second round and the student's first were slowed by other guests
    summary = speed_summary({"teacher": runs(100, 50, 96), "student": runs(80, 160, 150)}, "teacher")
    student = summary["student"]
    assert student["best_tokens_per_s"] == 160 and student["speedup"] == pytest.approx(1.6)
    assert student["round_speedups"] == pytest.approx([0.8, 3.2, 150 / 96])
    assert student["paired_median_speedup"] == pytest.approx(150 / 96) and student["cpu_speedup"] == pytest.approx(150 / 96)
    assert summary["teacher"]["speedup"] == 1.0 and student["most_stolen"] == 0.0


def test_a_comparison_needs_prompts_tokens_and_rounds() -> None:
    engines = {"teacher": CountingEngine("teacher", [])}
    for prompts, new_tokens, rounds in (([], 8, 3), (["p"], 0, 3), (["p"], 8, 0)):
        with pytest.raises(ValueError, match="speed comparison needs"):
            compare_speed(engines, prompts, new_tokens, rounds)
