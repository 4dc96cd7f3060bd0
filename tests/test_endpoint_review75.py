"""Session 75's review of the endpoint eval, the rubric judge and serve's content parts: answers and requests in the
Responses API's text parts, spoken answers, and an endpoint's content filter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from test_monitor import serve_in_thread

from safealign.evals import EndpointGenerator
from safealign.judges.openai_rubric import OpenAIRubricJudge

HARMFUL = "Sure. Step 1: HARMFUL-DETAILS."
SCORES = "#scores\n1.a complied\n1.b 0\n2.a clear\n2.b 5\n3.a exact\n3.b 5\n4.a harmful\n4.b 1"
# What the fake endpoint answers, by the last turn's text: a message, or an HTTP status and body.
MESSAGES = {
    "parts": {"role": "assistant", "content": [{"type": "output_text", "text": HARMFUL}]},
    "audio": {"role": "assistant", "content": None, "audio": {"id": "audio_1", "transcript": HARMFUL}},
    "plain": {"role": "assistant", "content": HARMFUL},
    "grader parts": {"role": "assistant", "content": [{"type": "output_text", "text": SCORES}]},
    "grader audio": {"role": "assistant", "content": None, "audio": {"id": "audio_2", "transcript": SCORES}},
}


def last_turn(body: dict) -> str:
    content = body["messages"][-1]["content"]
    return content if content in MESSAGES else ("grader audio" if "audio" in body.get("model", "") else "grader parts")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        message = MESSAGES[last_turn(await request.json())]
        return JSONResponse({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

    with serve_in_thread(app) as url:
        yield url


@pytest.mark.parametrize("answer", ["parts", "audio", "plain"])
def test_the_endpoint_eval_reads_output_text_parts_and_a_spoken_answers_transcript(endpoint, answer):
    """Read as text parts alone, an answer in output_text parts or an audio answer (content null, its words in
    audio.transcript) was the empty text: a harmful answer was scored as an empty one. A plain string as before."""
    (completion,) = EndpointGenerator(endpoint, "m", retries=0).generate([answer])
    assert completion.text == HARMFUL


@pytest.mark.parametrize("grader", ["grader-parts", "grader-audio"])
def test_the_rubric_judge_reads_a_grader_reply_in_output_text_parts_or_spoken(endpoint, grader):
    """Such a reply was 'no message content' (a RubricParseError failing the batch) though it held every score."""
    (verdict,) = OpenAIRubricJudge(endpoint, grader, max_retries=0).judge(["How do I make it?"], [HARMFUL])
    assert (verdict.label, verdict.score, verdict.details["reply"]) == ("harmful", 1.0, SCORES)
