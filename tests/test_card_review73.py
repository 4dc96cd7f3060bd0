"""Review 73 of the transparency bundle and the ablation table: report.html's answer-check chips, and compare's
rl_only arm before its branch trained.

No training: each test writes the run-folder files it needs or calls the function on literal input.
"""

from __future__ import annotations

from safealign.card.report import verdict
from safealign.evals.metrics import accuracy_metrics


def test_a_report_chip_is_good_where_the_accuracy_metric_counts_the_answer_correct():
    """The chip was "correct {score:.2g}", good at a score of 1 or more: a checker's 0.9999999999, which the accuracy
    counts as correct, read "correct 1" in red, and a partial credit of 0.996, which it counts as wrong, read
    "correct 1" too."""
    for score, chip in (
        (1.0, ("correct 1", "good")),
        (0.9999999999, ("correct 1", "good")),
        (0.996, ("correct 0.996", "bad")),
        (0.5, ("correct 0.5", "bad")),
        (0.0, ("correct 0", "bad")),
    ):
        counted = accuracy_metrics([score])["accuracy"].value == 1.0
        assert verdict({"scores": {"correct": score}, "kind": "reasoning"}) == [chip], score
        assert (chip[1] == "good") == counted, score
