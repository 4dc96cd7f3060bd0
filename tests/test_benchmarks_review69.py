"""Review 69 of the benchmark scripts: the JSON says what ran (precision, library versions, the ratio against the
README's target), and student_speed measures any decoder and keeps the teacher's row. Results go to a temporary
folder."""

from __future__ import annotations

import json
import sys
import types
from importlib.metadata import version

import pytest
from test_benchmark_fairness import benchmarks  # noqa: F401 - fixture

from safealign.precision import resolve_precision
from safealign.speed import Measurement


def _fake_sft_arms(monkeypatch, sft_throughput, ours: float, bare: float) -> None:
    def run_sft(cfg, model_spec, stage_dir, **kwargs):
        stage_dir.mkdir(parents=True)
        return types.SimpleNamespace(record={"metrics": {"tokens_per_s": ours}})

    def bare_trl(cfg, model_spec, rows, out, seed, precision):
        out.mkdir(parents=True)
        return bare

    monkeypatch.setattr(sft_throughput, "run_sft", run_sft)
    monkeypatch.setattr(sft_throughput, "bare_trl", bare_trl)
    monkeypatch.setattr(sys, "argv", ["sft_throughput.py", "--steps", "1", "--rows", "8", "--repeats", "1"])


def test_sft_throughput_json_says_the_precision_and_a_missed_target(benchmarks, monkeypatch, capsys):  # noqa: F811
    """The JSON held only --precision's "auto" (bf16 on one machine, fp32 on another: 1.5x apart), and a ratio below
    the README's 0.95x target was printed as any other."""
    import sft_throughput

    _fake_sft_arms(monkeypatch, sft_throughput, ours=1.0, bare=2.0)
    sft_throughput.main()
    result = json.loads((benchmarks / "results" / "sft_throughput.json").read_text())
    assert result["precision"] == resolve_precision("auto")
    assert result["ratio"] == 0.5 and result["target_ratio"] == 0.95 and result["target_met"] is False
    assert "MISSED (target >= 0.95x)" in capsys.readouterr().out


def test_sft_throughput_says_a_met_target(benchmarks, monkeypatch, capsys):  # noqa: F811
    import sft_throughput

    _fake_sft_arms(monkeypatch, sft_throughput, ours=2.0, bare=2.0)
    sft_throughput.main()
    result = json.loads((benchmarks / "results" / "sft_throughput.json").read_text())
    assert result["target_met"] is True and "MISSED" not in capsys.readouterr().out


def test_grpo_throughput_json_says_the_precision_and_the_target(benchmarks, monkeypatch, capsys):  # noqa: F811
    import grpo_throughput

    import safealign.training.gate_eval as gate_eval

    def run_rl(cfg, model_spec, stage_dir, **kwargs):
        return types.SimpleNamespace(record={"metrics": {"steps": 1, "train_runtime_s": 100.0}})

    monkeypatch.setattr(grpo_throughput, "run_rl", run_rl)
    monkeypatch.setattr(grpo_throughput, "bare_trl", lambda *args: 0.02)
    monkeypatch.setattr(
        grpo_throughput,
        "load_model",
        lambda *args, **kwargs: types.SimpleNamespace(model=None, tokenizer=None),
    )
    monkeypatch.setattr(gate_eval, "suite_gate_evaluator", lambda *args, **kwargs: lambda model: None)
    monkeypatch.setattr(sys, "argv", ["grpo_throughput.py", "--steps", "1", "--repeats", "1"])
    grpo_throughput.main()
    result = json.loads((benchmarks / "results" / "grpo_throughput.json").read_text())
    assert result["precision"] == resolve_precision("auto")
    assert result["ratio"] == 0.5 and result["target_ratio"] == 0.9 and result["target_met"] is False
    assert "MISSED (target >= 0.9x)" in capsys.readouterr().out


def test_generation_json_says_the_precision_it_ran(benchmarks, monkeypatch):  # noqa: F811
    import generation

    monkeypatch.setattr(
        sys,
        "argv",
        [
            "generation.py",
            "--model",
            "tiny",
            "--prompts",
            "2",
            "--new-tokens",
            "2",
            "--repeats",
            "1",
            "--skip-natural",
        ],
    )
    generation.main()
    result = json.loads((benchmarks / "results" / "generation.json").read_text())
    assert result["precision"] == resolve_precision("auto")


def test_results_carry_the_library_versions_of_the_bare_arms(benchmarks):  # noqa: F811
    """A ratio against bare TRL without TRL's or transformers' version cannot be compared with a later one."""
    import _common

    found = _common.machine()
    assert found["trl"] == version("trl") and found["transformers"] == version("transformers")


def _gpt2_folder(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    from safealign.models import load_model

    tokenizer = load_model("tiny").tokenizer
    folder = tmp_path / "gpt2"
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=128,
        n_embd=16,
        n_layer=3,
        n_head=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_student_speed_finishes_on_a_model_without_model_layers(benchmarks, monkeypatch):  # noqa: F811
    """Every round was measured, then the table's layer count (``model.model.layers``) raised AttributeError on a
    GPT-2 (``transformer.h``) and no result was written."""
    import student_speed

    folder = _gpt2_folder(benchmarks)
    measured = [Measurement(100.0, 50.0, 0.0)]
    monkeypatch.setattr(
        student_speed, "compare_speed", lambda engines, *args: dict.fromkeys(engines, measured)
    )
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "student_speed.py",
            "--teacher",
            "tiny",
            "--student",
            str(folder),
            "--repeats",
            "1",
            "--prompts",
            "2",
            "--new-tokens",
            "2",
            "--batch-size",
            "2",
        ],
    )
    student_speed.main()
    result = json.loads((benchmarks / "results" / "student_speed.json").read_text())
    assert set(result["models"]) == {"teacher", str(folder)}
    assert result["precision"] == resolve_precision("auto")


def test_student_speed_refuses_a_student_named_teacher(benchmarks, monkeypatch, capsys):  # noqa: F811
    """`--student teacher` (a folder of that name) replaced the teacher's row: the student measured against itself,
    speed-up 1.0, and the teacher's measurements dropped without a word."""
    import student_speed

    def loaded(*args, **kwargs):
        raise AssertionError("a model loaded")

    monkeypatch.setattr(student_speed, "load_model", loaded)
    monkeypatch.setattr(sys, "argv", ["student_speed.py", "--student", "teacher"])
    with pytest.raises(SystemExit) as exit_info:
        student_speed.main()
    assert exit_info.value.code == 2 and "./teacher" in capsys.readouterr().err


def test_generation_runs_on_a_model_without_a_chat_template(benchmarks, no_template_model, monkeypatch):  # noqa: F811
    """The per-prompt loop rendered prompts with the tokenizer's chat template itself: a base model (none) stopped at
    the warm-up with transformers' ValueError, where the engine it is compared with asks in plain text."""
    import generation

    monkeypatch.setattr(
        sys,
        "argv",
        [
            "generation.py",
            "--model",
            str(no_template_model),
            "--prompts",
            "2",
            "--new-tokens",
            "2",
            "--repeats",
            "1",
            "--skip-natural",
        ],
    )
    generation.main()
    result = json.loads((benchmarks / "results" / "generation.json").read_text())
    assert result["loop_tokens_per_s"][0] > 0
