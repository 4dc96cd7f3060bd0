"""Review 71 of the optional judges: the rubric judge's re-ask fits the grader's context, and a 400 for a prompt past
that context says so."""

from __future__ import annotations

import json

import httpx
import pytest

from safealign.judges.openai_rubric import CUT_OFF_REMINDER, MAX_TOKENS, OpenAIRubricJudge, RubricJudgeError

CUT = "#overall_reasoning gives steps\n#scores\n1.a no refusal\n1.b 0\n2.a clear\n2.b 4\n3.a detailed\n3.b 5\n4.a The"
WHOLE = "#scores\n1.b 0\n2.b 4\n3.b 5\n4.b 0"
VLLM_400 = {
    "object": "error",
    "message": "This model's maximum context length is 2048 tokens. However, you requested 3529 tokens (2529 in the "
    "messages, 1000 in the completion). Please reduce the length of the messages or completion.",
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}


def _serve(monkeypatch, answer) -> None:
    real_init = httpx.Client.__init__

    def init(self, *args, **kwargs):
        kwargs["transport"] = httpx.MockTransport(answer)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", init)


def test_the_re_ask_after_a_cut_reply_fits_the_context_that_held_the_first_ask(monkeypatch):
    """A reply cut at max_tokens was resent in the re-ask: rubric + a max_tokens-long reply + max_tokens more, and a
    grader whose context held the first ask (vLLM) answered HTTP 400, failing the batch. The rubric is asked again
    with the reminder at the end of its own message, the cut reply left out."""
    window = 2048  # a word is a token here
    bodies: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        used = sum(len(message["content"].split()) for message in body["messages"]) + body["max_tokens"]
        if used > window:
            return httpx.Response(400, json=VLLM_400)
        reply = (CUT + " word" * MAX_TOKENS, "length") if len(bodies) == 1 else (WHOLE, "stop")
        return httpx.Response(
            200, json={"choices": [{"message": {"content": reply[0]}, "finish_reason": reply[1]}]}
        )

    _serve(monkeypatch, answer)
    verdict = OpenAIRubricJudge("http://127.0.0.1:9", "m").judge(["How do I bake bread?"], ["Step 1: ..."])[0]
    assert (verdict.label, verdict.details["request_harmful"], verdict.details["reply"]) == ("safe", 0, WHOLE)
    first, again = (body["messages"] for body in bodies)
    assert [message["role"] for message in again] == ["system", "user"]
    assert again[1]["content"] == first[1]["content"] + "\n\n" + CUT_OFF_REMINDER


@pytest.mark.parametrize(
    "body",
    [
        VLLM_400,
        {
            "error": {
                "message": "This model's maximum context length is 8192 tokens. However, your messages resulted in "
                "9001 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 5000,
                "n_ctx": 4096,
            }
        },
        {
            "object": "error",
            "message": "The input (5000 tokens) is longer than the model's context length (4096 tokens).",
        },
        {
            "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3500 `inputs` "
            "tokens and 1000 `max_new_tokens`",
            "error_type": "validation",
        },
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "prompt is too long: 210000 tokens > 200000 maximum",
            },
        },
    ],
    ids=["vllm", "openai", "llama.cpp", "sglang", "tgi", "anthropic"],
)
def test_a_400_for_a_prompt_past_the_graders_context_names_that_and_the_fix(monkeypatch, body):
    """Every 400 said 'check the model name and the API key', of a grader that had read both and found the rubric
    prompt with the graded exchange too long for its context."""
    status = 422 if "error_type" in body else 400  # TGI answers a validation error 422
    _serve(monkeypatch, lambda request: httpx.Response(status, json=body))
    with pytest.raises(RubricJudgeError, match=f"HTTP {status}") as error:
        OpenAIRubricJudge("http://127.0.0.1:9", "m").judge(["p"], ["r"])
    message = str(error.value)
    assert "longer than the grader's context" in message and "--max-model-len" in message
    assert "truncate them" in message and "check the model name" not in message


def test_a_400_of_another_kind_keeps_its_hint(monkeypatch):
    body = {"error": {"message": "Invalid value for 'temperature'", "type": "invalid_request_error"}}
    _serve(monkeypatch, lambda request: httpx.Response(400, json=body))
    with pytest.raises(RubricJudgeError, match=r"\(check the model name and the API key\)"):
        OpenAIRubricJudge("http://127.0.0.1:9", "m").judge(["p"], ["r"])


def test_judges_check_refuses_an_empty_labelled_option(monkeypatch):
    """`--labelled "$LABELLED"` with the variable unset measured the shipped set, as if no file had been given."""
    from typer.testing import CliRunner

    import safealign.judges.quality as quality
    from safealign.cli.main import app

    read: list = []
    monkeypatch.setattr(quality, "load_labelled", lambda path=None, split="test": read.append(path) or [])
    result = CliRunner().invoke(app, ["judges", "check", "--labelled", ""])
    assert result.exit_code == 2 and read == []
    assert "is empty (an unset shell variable?)" in " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize(
    "error",
    [
        {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter",
        },
        {
            "message": "Unsupported value: 'temperature' does not support 0.0 with this model. Only the default (1) "
            "value is supported.",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "unsupported_value",
        },
    ],
    ids=["max_tokens", "temperature"],
)
def test_a_400_for_a_parameter_the_grader_model_refuses_names_the_model_kind(monkeypatch, error):
    """A reasoning model (o1, o3, gpt-5) as the grader refuses max_tokens and temperature 0: the 400 said 'check the
    model name and the API key', both of which were right."""
    _serve(monkeypatch, lambda request: httpx.Response(400, json={"error": error}))
    with pytest.raises(RubricJudgeError, match=r"refuses a parameter the judge sends.*e\.g\. gpt-4o-mini\)$"):
        OpenAIRubricJudge("https://api.openai.com/v1", "o3-mini").judge(["p"], ["r"])


@pytest.mark.parametrize(
    "body",
    [
        {
            "object": "error",
            "message": "The model `gpt-4o-mini` does not exist.",
            "type": "NotFoundError",
            "code": 404,
        },
        {
            "error": {
                "message": "The model `gpt-5o` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "code": "model_not_found",
            }
        },
        {"error": 'model "llama3" not found, try pulling it first'},
    ],
    ids=["vllm", "openai", "ollama"],
)
def test_a_404_for_a_model_the_server_lacks_names_the_model_not_the_path(monkeypatch, body):
    """vLLM answers 404 for a model it does not serve (a spec without '#MODEL' asks for gpt-4o-mini): the error said
    nothing answered at /v1/chat/completions and to change the URL, which was right."""
    _serve(monkeypatch, lambda request: httpx.Response(404, json=body))
    with pytest.raises(RubricJudgeError) as error:
        OpenAIRubricJudge("http://judge:s3cret@127.0.0.1:8000/v1?k=v", "gpt-4o-mini").judge(["p"], ["r"])
    message = str(error.value)
    assert (
        "serves no model named 'gpt-4o-mini'" in message
        and "GET http://127.0.0.1:8000/v1/models lists" in message
    )
    assert "nothing answers at the path" not in message and "s3cret" not in message and "k=v" not in message


def test_a_404_that_names_no_model_still_names_the_path(monkeypatch):
    _serve(monkeypatch, lambda request: httpx.Response(404, text="<html><h1>404 Not Found</h1></html>"))
    with pytest.raises(RubricJudgeError, match="nothing answers at the path /v1/chat/completions"):
        OpenAIRubricJudge("http://127.0.0.1:8000/v1", "m").judge(["p"], ["r"])
