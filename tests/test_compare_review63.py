"""Review of the ablation: arms evaluated or trained in other precisions than the arms they are compared with."""

from __future__ import annotations

from pathlib import Path

from test_compare import fake_eval

from safealign.compare import write_ablation
from safealign.runs import write_json


def eval_record(eval_dir: Path, asked: str, resolved: str) -> None:
    write_json(
        eval_dir / "stage.json",
        {
            "stage": f"eval:{eval_dir.name}",
            "seed": 0,
            "status": "done",
            "config": {"suites": ["harmful"], "precision": asked},
            "metrics": {"precision": resolved},
        },
    )


def test_eval_precision_auto_is_compared_as_what_it_resolved_to(tmp_path):
    """``eval.precision: auto`` read as "auto" for every arm hid an arm answered in bf16 next to one in fp32 (an arm
    evaluated on resume on another machine), and told an auto that ran bf16 from a bf16 one."""
    run = tmp_path / "run"
    for name in ("base", "sft"):
        fake_eval(run / "eval" / name, refusal=0.5, accuracy=0.2)
    eval_record(run / "eval" / "base", "auto", "fp32")
    eval_record(run / "eval" / "sft", "auto", "bf16")
    assert write_ablation(run)["scored_differently"] == {"precision": {"base": "fp32", "sft_only": "bf16"}}
    eval_record(run / "eval" / "base", "auto", "bf16")
    eval_record(run / "eval" / "sft", "bf16", "bf16")
    assert write_ablation(run)["scored_differently"] == {}


def hybrid_run(run: Path, rl_only_precision: str) -> None:
    for eval_dir in (run / "eval" / "sft", run / "eval" / "rl", run / "ablation" / "rl_only" / "eval"):
        fake_eval(eval_dir, refusal=0.5, accuracy=0.2)
    for stage, precision in (
        (run / "sft", "bf16"),
        (run / "rl", "bf16"),
        (run / "ablation" / "rl_only" / "rl", rl_only_precision),
    ):
        write_json(
            stage / "stage.json",
            {
                "stage": stage.name,
                "status": "done",
                "wall_time_s": 1.0,
                "metrics": {"tokens": 1, "precision": precision},
            },
        )


def test_an_arm_trained_in_another_precision_is_said(tmp_path):
    """``precision: auto`` (the quickstart's) resolves per machine: an rl_only arm compare trained in fp32 next to a
    hybrid trained in bf16 was tabled as if the arms differed by their stages alone."""
    run = tmp_path / "run"
    hybrid_run(run, rl_only_precision="fp32")
    result = write_ablation(run)
    assert result["trained_differently"] == {
        "training precision": {"sft_only": "bf16", "rl_only": "fp32", "hybrid": "bf16"}
    }
    said = (run / "ablation.md").read_text()
    assert "**Trained differently**" in said and "rl_only fp32, hybrid bf16" in said


def test_arms_trained_alike_say_nothing_about_training(tmp_path):
    run = tmp_path / "run"
    hybrid_run(run, rl_only_precision="bf16")
    assert write_ablation(run)["trained_differently"] == {}
    assert "Trained differently" not in (run / "ablation.md").read_text()


def test_a_path_trained_in_two_precisions_names_each_stage(tmp_path):
    run = tmp_path / "run"
    hybrid_run(run, rl_only_precision="bf16")
    write_json(
        run / "rl" / "stage.json",
        {"stage": "rl", "status": "done", "wall_time_s": 1.0, "metrics": {"tokens": 1, "precision": "fp32"}},
    )
    assert write_ablation(run)["trained_differently"]["training precision"]["hybrid"] == "sft bf16, rl fp32"


def test_a_prompts_text_parts_are_one_per_line_as_vllm_shows_them():
    """vLLM renders a turn of text parts as ``"\\n".join`` for a string-content template; joined with "" the model saw
    "Translate to French:Good morning". An answer's parts stay pieces of one text."""
    from safealign.chat_content import message_text, prompt_text

    parts = [
        {"type": "text", "text": "Translate to French:"},
        {"type": "image_url"},
        {"type": "text", "text": "Hi"},
    ]
    assert prompt_text(parts) == "Translate to French:\nHi"
    assert message_text(parts) == "Translate to French:Hi"
    assert prompt_text("as is") == "as is" and prompt_text(None) == ""
