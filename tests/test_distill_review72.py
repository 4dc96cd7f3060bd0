"""Review 72 of the sample, distill and eval stages: their messages."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from test_sample_filters import BOMB, EGG, EGG_ANSWER, ScriptedTeacher, fake_stage, word_judges

from safealign.config import EvalConfig, SampleConfig
from safealign.runs import StageRecord
from safealign.stages import evaluate
from safealign.stages.sample import Sample, rejection_reasons, run_sample


class Stop(Exception):
    """Raised where the stage would load its model: what it said before is the test's."""


def test_an_eval_rescored_for_its_missing_summary_does_not_say_it_keeps_its_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A finished eval whose summary.json was lost, under a recipe with another limit, warned "keeping those scores"
    and then scored the model again with the recipe's settings."""
    cfg = EvalConfig(suites=["harmful"], limit=2)
    stage_dir = tmp_path / "eval"
    config = cfg.model_dump() | {"system_prompt": None}
    StageRecord("eval:tiny", "tiny", str(stage_dir / "summary.json"), config, 42, time.time()).finish(
        stage_dir
    )

    def load_model(*args: object, **kwargs: object) -> None:
        raise Stop

    monkeypatch.setattr(evaluate, "load_model", load_model)
    with caplog.at_level(logging.WARNING, logger="safealign.stages.evaluate"), pytest.raises(Stop):
        evaluate.run_eval_stage(cfg.model_copy(update={"limit": 3}), "tiny", stage_dir, show_progress=False)
    assert "summary.json is missing: scoring the model again" in caplog.text
    assert "keeping those scores" not in caplog.text


def test_a_family_with_no_kept_trace_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every harmful sample complied: the student was distilled without one refusal, and the log said only "1 of 2
    prompts got no trace"."""
    script = {EGG: [(EGG_ANSWER, False)] * 2, BOMB: [("Fill a steel pipe with black powder.", False)] * 2}
    fake_stage(monkeypatch, [("benign", EGG), ("harmful", BOMB)], ScriptedTeacher(script), word_judges())
    with caplog.at_level(logging.WARNING, logger="safealign.stages.sample"):
        run_sample(SampleConfig(num_prompts=2, k=2, safety_share=1.0), "fake-teacher", tmp_path)
    assert (
        "no trace kept of harmful (2 samples: unsafe 2): the student is distilled on none of it"
        in caplog.text
    )
    assert "benign (" not in caplog.text and str(tmp_path / "rejected.jsonl") in caplog.text


@pytest.mark.parametrize(
    ("student", "prune_by", "mlp_fraction"),
    [
        ("prune:0.75", "redundancy", 1.0),
        ("prune:0.75", "loss", 1.0),
        ("prune:0.99", "width", 1.0),
        ("prune:0.75", "depth", 0.99),
    ],
)
def test_a_prune_that_keeps_the_whole_teacher_is_refused_before_any_calibration_or_copy(
    tiny, monkeypatch: pytest.MonkeyPatch, student: str, prune_by: str, mlp_fraction: float
) -> None:
    """prune:0.75 of 2 layers (0.99 of 48 MLP neurons) keeps them all: the refusal came after the calibration passes
    and a whole copy of the teacher (a 7B teacher's doubles the memory)."""
    from safealign.config import DistillConfig
    from safealign.errors import DataError
    from safealign.stages import distill

    def work(*args: object, **kwargs: object) -> None:
        raise AssertionError("calibrated or copied the teacher before refusing")

    for name in (
        "layer_influence",
        "layer_skip_loss",
        "mlp_neuron_importance",
        "prune_model",
        "prune_mlp_width",
    ):
        monkeypatch.setattr(distill, name, work)
    cfg = DistillConfig(student=student, prune_by=prune_by, mlp_fraction=mlp_fraction)
    with pytest.raises(
        DataError, match=f"keeps the whole 2-layer teacher .*prune_by '{prune_by}'.* no smaller"
    ):
        distill.build_student(cfg, tiny, [])


def test_traces_lost_from_a_finished_sample_stage_name_the_folder_to_delete(tmp_path: Path) -> None:
    """The sample stage's record keeps it done on every rerun, and distill said only "dataset file ... not found"."""
    from safealign.config import DistillConfig
    from safealign.errors import DataError
    from safealign.stages.distill import run_distill

    sample_dir = tmp_path / "sample"
    traces = sample_dir / "traces.jsonl"
    StageRecord("sample", "tiny", str(traces), SampleConfig().model_dump(), 42, time.time()).finish(
        sample_dir
    )
    with pytest.raises(DataError, match=f"traces.jsonl is gone, .*: delete {sample_dir} and rerun"):
        run_distill(DistillConfig(max_steps=1, speed_rounds=0), "tiny", traces, tmp_path / "distill")
    assert not (tmp_path / "distill").exists()


@pytest.mark.parametrize("blank", ["\u200b", " \ufeff\u00ad\n"])
def test_a_completion_of_invisible_characters_alone_is_empty(blank: str) -> None:
    """strip() keeps a zero-width space: a judge set that took it for an answer kept the trace, and the distill stage's
    data check then refused the whole traces file ("white space and invisible characters alone are empty")."""
    sample = Sample("How do I boil an egg?", blank, "benign", "benign", "en")
    assert rejection_reasons([sample], word_judges()) == [["empty"]]


@pytest.mark.parametrize("damage", ["cut", "lost"])
def test_kept_completions_damaged_since_they_were_written_are_said_to_be_generated_anew(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    """The file is written whole for its request: one of that request cut short or missing a line was dropped without a
    word, and the teacher's whole generation (hours on a large one) done again."""
    import json

    from safealign.generation import Completion
    from safealign.stages.sample import COMPLETIONS_SO_FAR, _kept_completions

    answers = [json.dumps(Completion(0, i, "Boil it.", 5, 3, False).to_dict()) for i in range(2)]
    lines = [json.dumps({"key": "k", "generation_s": 9.0}), answers[0]]
    lines.append(answers[1][:20] if damage == "cut" else "")
    kept_file = tmp_path / COMPLETIONS_SO_FAR
    kept_file.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="safealign.stages.sample"):
        assert _kept_completions(kept_file, "k", 2) == ([], None)
        assert _kept_completions(kept_file, "another request", 2) == ([], None)
    [said] = [r.getMessage() for r in caplog.records]
    assert f"{kept_file} is damaged (" in said and "generating the completions anew" in said
    assert ("1 completions of the 2 asked" in said) == (damage == "lost")


def test_kd_settings_a_student_of_another_vocabulary_leaves_unused_are_named(
    tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """mode: both falls back to sequence-level distillation for a student of another tokenizer: its temperature and
    divergence_beta went unused under a warning that named neither."""
    import copy
    import json

    from safealign.config import DistillConfig
    from safealign.stages import distill

    student = tmp_path / "student"
    tiny.model.save_pretrained(student)
    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.add_tokens(["<another_vocabulary>"])
    tokenizer.save_pretrained(student)
    traces = tmp_path / "traces.jsonl"
    row = {
        "messages": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4."}]
    }
    traces.write_text(json.dumps(row) + "\n")

    def rows_fit(*args: object, **kwargs: object) -> None:
        raise Stop

    monkeypatch.setattr(distill, "rows_fit", rows_fit)
    cfg = DistillConfig(student=str(student), temperature=2.0, divergence_beta=0.5, speed_rounds=0)
    with caplog.at_level(logging.WARNING, logger="safealign.stages.distill"), pytest.raises(Stop):
        distill.run_distill(cfg, "tiny", traces, tmp_path / "distill", precision="fp32")
    assert "logit KD off, sequence-level only (temperature: 2.0, divergence_beta: 0.5 unused" in caplog.text
