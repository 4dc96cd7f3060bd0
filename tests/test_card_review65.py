"""Model card review 65: the settings that change what was trained, and a judge measurement that failed.

No training: each test writes the stage.json and summary.json files it needs (see test_card_provenance).
"""

from __future__ import annotations

from test_card_provenance import T0, new_run, stage, summary

from safealign.card import load_run
from safealign.card.summary import stage_details
from safealign.config.sections import DistillConfig, RLConfig, SFTConfig


def _details(run, key: str) -> dict:
    return next(d for d in stage_details(load_run(run)) if d["key"] == key)


def test_the_card_states_packing_neftune_num_iterations_and_lora_dropout(tmp_path):
    """SFT's packing and NEFTune, RL's num_iterations (each generation round reused for several optimizer steps) and
    LoRA's dropout change what was trained: the card's Training procedure showed none of them. A setting left at its
    default is shown too (stage.json records the whole config), and a stage from before num_iterations or NEFTune
    existed shows what it trained with (one step per round, no noise)."""
    run = new_run(tmp_path)
    sft = SFTConfig(packing=True, neftune_noise_alpha=5.0, lora={"dropout": 0.1}).model_dump()
    rl = RLConfig(num_iterations=2).model_dump()
    stage(run, "sft", "tiny", T0, config=sft, metrics={"steps": 2})
    stage(run, "rl", str(run / "sft/model"), T0 + 20, config=rl, metrics={"steps": 40})
    shown = _details(run, "sft")
    assert shown["hyperparameters"]["packing"] == "on (rows packed into max-length blocks)"
    assert shown["hyperparameters"]["NEFTune noise alpha"] == 5.0
    assert shown["method"].endswith("LoRA (r=16, alpha=32, dropout 0.1, targets all-linear)"), shown["method"]
    shown = _details(run, "rl")
    assert shown["hyperparameters"]["optimizer steps per generation round"] == 2
    assert "dropout 0.0" in shown["method"]

    stage(run, "sft", "tiny", T0, config=SFTConfig().model_dump(), metrics={"steps": 2})
    older = {k: v for k, v in rl.items() if k != "num_iterations"}  # recorded before the setting existed
    stage(run, "rl", str(run / "sft/model"), T0 + 20, config=older, metrics={"steps": 40})
    shown = _details(run, "sft")["hyperparameters"]
    assert shown["packing"] == "off" and shown["NEFTune noise alpha"] == "off", shown
    assert _details(run, "rl")["hyperparameters"]["optimizer steps per generation round"] == 1


def test_distillation_states_its_max_length_decision_tokens_and_trimmed_vocabulary(tmp_path):
    """The distillation's hyperparameters left out max_length (longer rows truncated), the decision-token weighting
    (both its loss terms) and the vocabulary distill.vocab_keep trimmed the student to."""
    run = new_run(tmp_path)
    config = DistillConfig(
        max_length=64, decision_tokens=4, decision_weight=3.0, vocab_keep=2048
    ).model_dump()
    metrics = {"steps": 2, "mode": "both", "decision_token_weight": 3.0}
    stage(run, "distill", "tiny", T0, config=config, metrics=metrics, inputs={"vocab_size": 2311})
    detail = _details(run, "distill")
    assert detail["hyperparameters"]["max length"] == 64
    assert detail["hyperparameters"]["first answer tokens weighted"] == "4 at 3.0x"
    assert "vocabulary trimmed to 2,311 tokens" in detail["method"], detail["method"]


def test_decision_tokens_the_stage_could_not_weight_are_not_claimed(tmp_path):
    """A TRL whose SFT loss has no fused LM head leaves the loss unweighted (the stage records
    decision_token_weight 1.0 and logs why): the card still said "4 at 3.0x", the recipe's ask."""
    run = new_run(tmp_path)
    config = SFTConfig(decision_tokens=4, decision_weight=3.0).model_dump()
    stage(run, "sft", "tiny", T0, config=config, metrics={"steps": 2, "decision_token_weight": 1.0})
    shown = stage_details(load_run(run))[0]["hyperparameters"]["first answer tokens weighted"]
    assert shown.startswith("none (the recipe asked 4 at 3.0x"), shown

    stage(run, "sft", "tiny", T0, config=config, metrics={"steps": 2, "decision_token_weight": 3.0})
    assert stage_details(load_run(run))[0]["hyperparameters"]["first answer tokens weighted"] == "4 at 3.0x"


def _failed_card(tmp_path, card, monkeypatch, spec: str, error: str) -> str:
    import safealign.card as bundle
    from safealign.card import model_card

    def failed(run, refresh=False):
        return {"measured": False, "judge_spec": spec, "error": error, "split": "test"}

    monkeypatch.setattr(bundle, "judge_quality", failed)
    monkeypatch.setattr(model_card, "judge_quality", failed)
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0, summary=summary(judges=spec), config={"judge": spec})
    text = card(run)
    return text.split("## Safety evaluation", 1)[1].split("## Known limitations", 1)[0]


def test_a_failed_judge_measurement_is_a_sentence_with_the_command_that_measures_them(
    tmp_path, card, monkeypatch
):
    """The card printed judge_quality's error raw: "(RubricJudgeError: cannot get a rubric answer …)", an exception
    class in parentheses, with no word of how to measure the judges."""
    import safealign.judges.openai_rubric  # noqa: F401 - the module whose error the measurement raised

    spec = "openai:http://judge:***@127.0.0.1:9/v1#grader"
    message = "cannot get a rubric answer from http://127.0.0.1:9/v1/chat/completions after 4 attempts (ConnectError: [Errno 111] Connection refused); is the server running and the URL right?"
    text = _failed_card(tmp_path / "rubric", card, monkeypatch, spec, f"RubricJudgeError: {message}")
    assert "RubricJudgeError" not in text
    assert "**The judges could not be measured** when this card was written" in text
    assert f"failed: {message}\n" in text
    assert f"`safealign judges check --judge '{spec}'` (with the password where `***` stands)" in text
    assert "run `safealign card` on this run folder\nagain" in text


def test_an_unexpected_judge_error_is_quoted_whole_on_one_line(tmp_path, card, monkeypatch):
    """An error that is not one of safealign's (a repr with <...> in it, lines of a traceback) went into the card as
    Markdown: its angle brackets read as HTML, its lines broke the paragraph."""
    error = "ConnectionError: <urllib3.connection.HTTPConnection object at 0x7f>\n  Traceback line"
    text = _failed_card(tmp_path, card, monkeypatch, "default", error)
    assert (
        "failed: an unexpected error, `ConnectionError: <urllib3.connection.HTTPConnection object at 0x7f> "
        "Traceback line`.\nMeasure them with `safealign judges check`, then" in text
    ), text


def test_the_model_card_takes_the_bundles_judge_measurement(tmp_path, monkeypatch):
    """write_model_card measured the judges again after write_bundle had: a failed measurement is not cached, so a
    bundle whose judges were down tried them twice (a rubric endpoint's four attempts and waits, twice)."""
    from safealign.card import model_card
    from safealign.card.data_card import data_card_context

    def measured_again(run, refresh=False):
        raise AssertionError("the judges were measured again")

    monkeypatch.setattr(model_card, "judge_quality", measured_again)
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    folder = load_run(run)
    quality = {"measured": False, "judge_spec": "default", "error": "JudgeSpecError: no such judge"}
    path = model_card.write_model_card(folder, data_card_context(folder), quality=quality)
    assert "failed: no such judge." in path.read_text()


def test_the_report_says_how_to_measure_judges_that_failed(tmp_path):
    """report.html printed judge_quality's error as raised ("The judges could not be measured: JudgeSpecError: ...",
    a traceback's lines breaking the paragraph) and never said how to measure them."""
    from safealign.card.data_card import data_card_context
    from safealign.card.report import write_report

    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    folder = load_run(run)
    spec = "openai:http://judge:***@127.0.0.1:9/v1"
    quality = {"measured": False, "judge_spec": spec, "error": "JudgeSpecError: no such\n  judge <x>"}
    text = write_report(folder, data_card_context(folder), quality).read_text(encoding="utf-8")
    said = " ".join(text.split())
    assert (
        "could not be measured</b>, so their precision and recall are unknown for this run: JudgeSpecError: "
        in said
    )
    assert "no such judge &lt;x&gt;. Measure them with <code>safealign judges check --judge" in said
    assert "(with the password where <code>***</code> stands)" in said
