"""Review 67 of the benchmark scripts: both arms timed alike, and settings the stages accept run in their benchmark.
Results go to a temporary folder."""

from __future__ import annotations

import json
import sys
import types

import pytest
from test_benchmark_fairness import benchmarks, tiny_adapter  # noqa: F401 - fixtures

from safealign.config import RLConfig
from safealign.errors import DataError


class _Stop(Exception):
    """Raised by the patched ``train``: the trainer is built, no step need run."""


def _fake_sft_arms(monkeypatch, sft_throughput, bare_fails: bool = False) -> None:
    """Both arms answer at once: 2 tokens/s, except the first training of the process (whichever arm), at 1."""
    trained: list[str] = []

    def speed(folder) -> float:
        folder.mkdir(parents=True)
        trained.append(folder.name)
        return 1.0 if len(trained) == 1 else 2.0

    def run_sft(cfg, model_spec, stage_dir, **kwargs):
        return types.SimpleNamespace(record={"metrics": {"tokens_per_s": speed(stage_dir)}})

    def bare_trl(cfg, model_spec, rows, out, seed, precision):
        if bare_fails:
            raise RuntimeError("out of memory")
        return speed(out)

    monkeypatch.setattr(sft_throughput, "run_sft", run_sft)
    monkeypatch.setattr(sft_throughput, "bare_trl", bare_trl)
    monkeypatch.setattr(sys, "argv", ["sft_throughput.py", "--steps", "1", "--rows", "8", "--repeats", "1"])


def test_sft_throughput_does_not_time_the_process_warming_up(benchmarks, monkeypatch):  # noqa: F811
    """The first training in the process (imports, first allocations: 0.7-2 s on tiny) was always ours' first timed
    run, in its median: at --repeats 1 the ratio was that cold run's, at 3 the slower of ours' two warm runs."""
    import sft_throughput

    _fake_sft_arms(monkeypatch, sft_throughput)
    sft_throughput.main()
    result = json.loads((benchmarks / "results" / "sft_throughput.json").read_text())
    assert result["ours_tokens_per_s"] == result["bare_tokens_per_s"] == [2.0]
    assert result["ratio"] == 1.0


def test_sft_throughput_removes_its_model_folders_when_a_run_fails(benchmarks, monkeypatch):  # noqa: F811
    """A failing arm left the work folder (with ~1.9 GB per finished run of ours) in the shared temporary folder."""
    import sft_throughput

    _fake_sft_arms(monkeypatch, sft_throughput, bare_fails=True)
    with pytest.raises(RuntimeError, match="out of memory"):
        sft_throughput.main()
    assert not list(benchmarks.glob("sft-bench-*"))


def test_grpo_bare_arm_gets_a_reference_model_where_run_rl_makes_one(benchmarks, tiny_adapter, monkeypatch):  # noqa: F811
    """With a KL term (rl.beta > 0, full fine-tuning) bare TRL loaded its reference from the policy's folder: a merged
    LoRA adapter's holds the adapter ('Unrecognized model ... Should have a `model_type` key'), after ours' warm-up
    run. run_rl saves the merged weights as the reference; the bare arm now does too."""
    import grpo_throughput
    import torch
    from trl import GRPOTrainer

    built: list[GRPOTrainer] = []

    def train(self, *args, **kwargs):
        built.append(self)
        raise _Stop

    monkeypatch.setattr(GRPOTrainer, "train", train)
    cfg = RLConfig(
        tasks={"safety": 1.0},
        num_prompts=8,
        rewards={"repetition": 1.0},
        method="full",
        max_steps=1,
        prompts_per_step=2,
        num_generations=2,
        max_completion_length=8,
        gates={"enabled": False},
        beta=0.04,
    )
    with pytest.raises(_Stop):
        grpo_throughput.bare_trl(cfg, str(tiny_adapter), benchmarks / "bare", 42, "fp32")
    policy, reference = built[0].model.state_dict(), built[0].ref_model.state_dict()
    assert policy.keys() == reference.keys()
    # the merged weights, not the base's
    assert all(torch.equal(policy[name], reference[name]) for name in policy)


def _few_rows(monkeypatch, student_speed) -> None:
    """The calibration and trimming rows: the mixture's first 16 (the whole one takes seconds to template)."""
    build = student_speed.build_mixture

    def build_mixture(*args, **kwargs):
        mixture = build(*args, **kwargs)
        mixture.rows = mixture.rows[:16]
        return mixture

    monkeypatch.setattr(student_speed, "build_mixture", build_mixture)


def test_student_speed_times_a_trimmed_student_that_keeps_every_layer(benchmarks, monkeypatch):  # noqa: F811
    """prune:0.75 keeps both of tiny's layers; with --vocab-keep the distill stage accepts it (the trimmed vocabulary
    makes it smaller), the benchmark refused it after loading the teacher: 'the student would be no smaller'."""
    import student_speed

    _few_rows(monkeypatch, student_speed)
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "student_speed.py",
            "--teacher",
            "tiny",
            "--student",
            "prune:0.75",
            "--vocab-keep",
            "2000",
            "--prompts",
            "2",
            "--new-tokens",
            "2",
            "--batch-size",
            "2",
            "--repeats",
            "1",
        ],
    )
    student_speed.main()
    models = json.loads((benchmarks / "results" / "student_speed.json").read_text())["models"]
    assert models["prune:0.75"]["parameters"] < models["teacher"]["parameters"]


def test_student_speed_still_refuses_a_student_the_trim_leaves_no_smaller(benchmarks, tiny, monkeypatch):  # noqa: F811
    """As the stage: with a vocab_keep above the vocabulary, a fraction that keeps every layer is a teacher-sized copy."""
    import student_speed

    _few_rows(monkeypatch, student_speed)
    with pytest.raises(DataError, match="no smaller"):
        student_speed.student_model("prune:0.75", tiny, vocab_keep=60_000)
