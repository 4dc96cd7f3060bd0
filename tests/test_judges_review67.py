"""Review 67 of the rubric judge and the stage READMEs: the API key as an HTTP header, a URL token in an echoed error,
what a distillation stage says it trained on."""

from __future__ import annotations

import httpx
import pytest
from test_judge_adapters import GOOD_REPLY, _chat, _grader_script

from safealign.judges.base import HARMFUL
from safealign.judges.openai_rubric import OpenAIRubricJudge, RubricJudgeError


@pytest.mark.parametrize("key", ["sk-judge\n", "sk-judge\r\n", "  sk-judge "])
def test_a_key_with_a_line_break_around_it_is_sent_without_it(monkeypatch, key: str) -> None:
    """A key read from a file or a secret keeps its last newline: httpx refused the header on every try, with an error
    (logged at each try, then raised) quoting the whole key, which the scrubbing missed in its escaped form."""
    monkeypatch.setenv("SAFEALIGN_JUDGE_API_KEY", key)
    seen = _grader_script(monkeypatch, lambda request: _chat(GOOD_REPLY))
    assert OpenAIRubricJudge("http://127.0.0.1:9", "m").judge(["p"], ["r"])[0].label == HARMFUL
    assert seen[0].headers["authorization"] == "Bearer sk-judge"


@pytest.mark.parametrize("key", ["sk-jüdge", "sk-ju\x1bdge", "sk-ju\ndge"])
def test_a_key_a_header_cannot_carry_is_a_clear_error_without_the_key(monkeypatch, key: str) -> None:
    """A non-ASCII letter crashed the judge with a bare UnicodeEncodeError; a line break inside quoted the key."""
    monkeypatch.setenv("SAFEALIGN_JUDGE_API_KEY", key)
    with pytest.raises(RubricJudgeError, match="SAFEALIGN_JUDGE_API_KEY.*cannot carry") as error:
        OpenAIRubricJudge("http://127.0.0.1:9", "m").judge(["p"], ["r"])
    assert "sk-j" not in str(error.value) and "dge" not in str(error.value)


def test_a_token_given_as_the_url_user_is_masked_in_an_echoed_error(monkeypatch) -> None:
    """``https://TOKEN@HOST``: the spec shows it as ``***@``, but a server's reply echoing it reached the error whole."""
    _grader_script(
        monkeypatch, lambda request: httpx.Response(401, json={"error": "invalid token tok3n-SECRET"})
    )
    with pytest.raises(RubricJudgeError, match=r"invalid token \*\*\*") as error:
        OpenAIRubricJudge("https://tok3n-SECRET@llm.example.com/v1", "m").judge(["p"], ["r"])
    assert "tok3n" not in str(error.value)


def _distill_record(mode: str, sources: list[str]) -> dict:
    return {
        "stage": "distill",
        "parent": "runs/q/rl/model",
        "output": "runs/q/distill/model",
        "seed": 1,
        "wall_time_s": 1.0,
        "config": {"mode": mode, "student": "tiny"},
        "metrics": {"mode": mode, "steps": 3},
        "inputs": {
            "student": "tiny",
            "traces": {"rows": 9, "sources": [{"name": name, "rows_used": 3} for name in sources]},
        },
    }


def _origin_line(record: dict) -> str:
    from safealign.card.stage_readme import stage_readme

    return next(line for line in stage_readme(record).splitlines() if line.startswith("Written by"))


def test_a_distill_stage_readme_says_the_mode_it_ran_in() -> None:
    """Every distillation page said "trained on the teacher's accepted traces (and its logits, when they share a
    tokenizer)": a mode-sequence student with the teacher's tokenizer never read a logit, a mode-logit one had no
    cross-entropy on the traces, and the quickstart's transfer_data rows were not mentioned."""
    sequence = _origin_line(_distill_record("sequence", ["traces.jsonl"]))
    assert "mode sequence" in sequence and "logits were not used" in sequence
    assert "when they share a tokenizer" not in sequence and "transfer_data" not in sequence
    logit = _origin_line(_distill_record("logit", ["traces.jsonl", "reasoning"]))
    assert "mode logit" in logit and "no cross-entropy" in logit and "distill.transfer_data's rows" in logit
    both = _origin_line(_distill_record("both", ["traces.jsonl"]))
    assert "mode both" in both and "cross-entropy" in both and "logits" in both


def test_an_rl_stage_readme_with_its_gates_off_says_so() -> None:
    """With rl.gates.enabled: false the page pointed to a `gates.jsonl` that was never written and showed "gate checks
    | 0" and "gate rollbacks | 0", which read as gates that ran and passed."""
    from safealign.card.stage_readme import stage_readme

    record = {
        "stage": "rl",
        "parent": "runs/q/sft/model",
        "output": "runs/q/rl/model",
        "seed": 1,
        "wall_time_s": 1.0,
        "config": {"method": "full", "gates": {"enabled": False}},
        "metrics": {"steps": 3, "gate_events": 0, "rollbacks": 0},
        "inputs": {},
    }
    page = stage_readme(record)
    assert "gates off" in page and "gate events are in" not in page
    assert "| gate checks | off (`rl.gates.enabled: false`) |" in page and "gate rollbacks" not in page
    on = stage_readme(record | {"config": {"method": "full", "gates": {"enabled": True}}})
    assert (
        "gate events are in `gates.jsonl`" in on
        and "| gate checks | 0 |" in on
        and "| gate rollbacks | 0 |" in on
    )
