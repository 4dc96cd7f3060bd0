"""Session 72's lead fixes: `precision: auto` on a CPU without bf16 units."""

from __future__ import annotations

import pytest

from safealign import precision


@pytest.fixture
def fresh_probe():
    precision.bf16_is_fast.cache_clear()
    yield
    precision.bf16_is_fast.cache_clear()


def test_a_cpu_without_bf16_units_is_not_timed(monkeypatch: pytest.MonkeyPatch, fresh_probe) -> None:
    """An AVX2 EPYC's emulated bf16 matmul took 7.6 s (fp32: 0.17 s), so `auto` cost a minute of timing per start."""

    def no_timing() -> float:
        raise AssertionError("timed the matmuls of a CPU that has no bf16 units")

    monkeypatch.setattr(precision.time, "perf_counter", no_timing)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"sse2", "avx2", "fma"}))
    assert precision.bf16_is_fast("cpu") is False
    assert precision.resolve_precision("auto") == "fp32"


@pytest.mark.parametrize("flags", [frozenset({"avx512f", "amx_bf16"}), None])
def test_a_cpu_with_bf16_units_or_unknown_flags_is_still_timed(
    monkeypatch: pytest.MonkeyPatch, fresh_probe, flags: frozenset[str] | None
) -> None:
    timings = []

    def clock() -> float:
        timings.append(1)
        return float(len(timings))

    monkeypatch.setattr(precision.time, "perf_counter", clock)
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    monkeypatch.setattr(precision, "PROBE_SIZE", 8)
    precision.bf16_is_fast("cpu")
    assert len(timings) == 20  # five timed matmuls, a start and an end each, per precision


def test_cpu_flags_reads_the_flags_line(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 amx_bf16\nbugs\t\t: spectre\n", encoding="utf-8")
    real_path = precision.Path
    monkeypatch.setattr(precision, "Path", lambda name: real_path(cpuinfo if name == "/proc/cpuinfo" else name))
    assert precision.cpu_flags() == frozenset({"fpu", "sse2", "avx2", "amx_bf16"})
    cpuinfo.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n", encoding="utf-8")  # an ARM CPU: timed
    assert precision.cpu_flags() is None
    cpuinfo.unlink()
    assert precision.cpu_flags() is None


@pytest.mark.parametrize("value", ["0", "1e-6", "nan"])
def test_evals_probe_fallback_temperature_is_refused_before_the_model_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path, value: str
) -> None:
    """`eval --refusal-probe` with --vote-temperature 0 loaded the model and the judges, then refused the setting."""
    from typer.testing import CliRunner

    import safealign.models
    from safealign.cli.main import app
    from safealign.probing import RefusalProbe

    def load_model(*args, **kwargs):
        raise AssertionError("the model loaded before the probe's settings were checked")

    monkeypatch.setattr(safealign.models, "load_model", load_model)
    probe = RefusalProbe(layer=1, threshold=0.5, mean=[0.0], scale=[1.0], coef=[0.1], intercept=0.0)
    path = probe.save(tmp_path / "probe.json")
    result = CliRunner().invoke(
        app, ["eval", "tiny", "--refusal-probe", str(path), "--vote-temperature", value, "--out", str(tmp_path / "eval")]
    )
    assert result.exit_code != 0 and "the probe's fallback" in result.output, result.output
    assert not (tmp_path / "eval").exists()


def test_the_difficulty_screen_takes_the_rows_the_stage_drew(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The RL stage draws its unscreened rows first (their digest goes into config.json); the screen drew them again,
    so their warnings (safety prompts left out for overlapping the eval suites) were said twice."""
    from test_rl_difficulty import config

    from safealign.stages import rl_difficulty
    from safealign.stages.rl_prompts import build_prompt_rows

    cfg = config()
    drawn = build_prompt_rows(cfg.tasks, cfg.num_prompts, 42, None)
    seeds = []

    def recorded(tasks, count, seed, *args, **kwargs):
        seeds.append(seed)
        return build_prompt_rows(tasks, count, seed, *args, **kwargs)

    def screen(candidates, needed, *args, **kwargs):
        return candidates[:needed], {"screened": len(candidates), "in_band": 0, "seconds": 0.0}

    monkeypatch.setattr(rl_difficulty, "build_prompt_rows", recorded)
    monkeypatch.setattr(rl_difficulty, "screen", screen)
    rows, _ = rl_difficulty.screened_prompt_rows(cfg, None, None, tmp_path / "a", "tiny", 42, None, "fp32", drawn=drawn)
    assert 42 not in seeds and seeds == [43]  # only the extra candidates, from the next seed
    again, _ = rl_difficulty.screened_prompt_rows(cfg, None, None, tmp_path / "b", "tiny", 42, None, "fp32")
    assert again == rows and seeds == [43, 42, 43]


def test_a_stage_that_starts_over_keeps_its_earlier_attempts_settings_with_its_logs(tmp_path) -> None:
    """config.json was overwritten with the new settings before the earlier attempt's logs and checkpoints were set
    aside, so earlier_attempts/ held checkpoints and logs with no record of the settings they ran under."""
    from safealign.runs import read_json, write_stage_config

    stage = tmp_path / "sft"
    (stage / "checkpoint-2").mkdir(parents=True)
    (stage / "metrics.jsonl").write_text('{"step": 1, "loss": 2.0}\n')
    (stage / "sessions.jsonl").write_text('{"started_at": 1.0}\n')
    write_stage_config(stage, {"sft": {"learning_rate": 1e-4}}, None)  # an attempt that starts over
    (attempt,) = (stage / "earlier_attempts").iterdir()
    assert sorted(p.name for p in attempt.iterdir()) == ["checkpoint-2", "metrics.jsonl", "sessions.jsonl"]
    assert read_json(stage / "config.json")["sft"] == {"learning_rate": 1e-4}

    (stage / "metrics.jsonl").write_text('{"step": 1, "loss": 3.0}\n')  # that attempt ran, and is started over
    write_stage_config(stage, {"sft": {"learning_rate": 5e-5}}, None)
    (second,) = [p for p in (stage / "earlier_attempts").iterdir() if p != attempt]
    assert read_json(second / "config.json")["sft"] == {"learning_rate": 1e-4}
    assert (second / "metrics.jsonl").read_text() == '{"step": 1, "loss": 3.0}\n'
    assert read_json(stage / "config.json")["sft"] == {"learning_rate": 5e-5}
    assert not (stage / "metrics.jsonl").exists()


def test_a_resume_of_a_tied_head_model_does_not_say_its_head_is_missing(tiny, caplog, tmp_path) -> None:
    """Each resume of SmolLM2 (or the tiny model) logged transformers' "There were missing keys in the checkpoint model
    loaded: ['lm_head.weight']", read as a damaged checkpoint: the tied head is left out of it by design."""
    import logging
    from types import SimpleNamespace

    from safealign.training.common import tied_head_keys, train_or_finish

    assert tied_head_keys(tiny.model) == {"lm_head.weight"}
    trainer_log = logging.getLogger("transformers.trainer")

    def train(resume_from_checkpoint=None):
        trainer_log.warning("There were missing keys in the checkpoint model loaded: ['lm_head.weight'].")
        trainer_log.warning("There were missing keys in the checkpoint model loaded: ['model.norm.weight'].")
        return "trained"

    trainer = SimpleNamespace(model=tiny.model, train=train, args=SimpleNamespace(max_steps=10))
    with caplog.at_level(logging.WARNING, logger="transformers.trainer"):
        assert train_or_finish(trainer, None) == "trained"  # not a resume: said as transformers says it
        assert caplog.text.count("lm_head.weight") == 1
        caplog.clear()
        checkpoint = tmp_path / "checkpoint-2"
        checkpoint.mkdir()
        (checkpoint / "trainer_state.json").write_text('{"global_step": 2}')
        assert train_or_finish(trainer, checkpoint) == "trained"
    assert "lm_head.weight" not in caplog.text and "model.norm.weight" in caplog.text  # other keys still said
    assert not trainer_log.filters


def test_vocab_keep_on_a_teacher_tokenizer_it_cannot_trim_is_refused_before_pruning(
    tiny, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tokenizer check (143fa41) came after the teacher's calibration passes and its pruned copy."""
    import dataclasses
    import json

    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    from safealign.config import DistillConfig
    from safealign.errors import SafealignError
    from safealign.stages import distill

    unigram = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.Unigram([("?", 0.0), ("a", -1.0), ("b", -1.0)], unk_id=0)), unk_token="?"
    )
    monkeypatch.setattr(distill, "load_model", lambda *args, **kwargs: dataclasses.replace(tiny, tokenizer=unigram))

    def build_student(*args, **kwargs):
        raise AssertionError("pruned the teacher before asking whether its tokenizer can be trimmed")

    monkeypatch.setattr(distill, "build_student", build_student)
    traces = tmp_path / "traces.jsonl"
    row = {"messages": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4."}]}
    traces.write_text(json.dumps(row) + "\n")
    cfg = DistillConfig(student="prune:0.5", vocab_keep=300, speed_rounds=0)
    with pytest.raises(SafealignError, match="is a Unigram tokenizer.*set vocab_keep: null"):
        distill.run_distill(cfg, "tiny", traces, tmp_path / "distill", precision="fp32")
