"""EndpointGenerator and `safealign eval --endpoint` against a fake OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from typer.testing import CliRunner

from safealign.evals import EndpointError, EndpointGenerator, run_eval
from safealign.evals.endpoint import sample_seed
from safealign.generation import SamplingParams


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeServer:
    """Answers "<think>…</think> The answer is 0." (or an echo), counts requests and peak concurrency."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.active = self.peak = 0
        self.fail_first = 0  # answer HTTP 503 to this many requests first
        self.status = 200
        self.answer_only = None  # answer this many requests, then HTTP 400 to the rest
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            if self.fail_first > 0:
                self.fail_first -= 1
                return JSONResponse({"error": "warming up"}, status_code=503)
            if self.status != 200:
                return JSONResponse({"error": {"message": "bad model"}}, status_code=self.status)
            if self.answer_only is not None:
                if self.answer_only == 0:
                    return JSONResponse({"error": {"message": "quota exceeded"}}, status_code=400)
                self.answer_only -= 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            await asyncio.sleep(0.05)
            self.active -= 1
            question = body["messages"][-1]["content"]
            length = body["max_tokens"] < 5
            text = (
                f"echo: {question}"
                if question.startswith("echo")
                else "<think>\nadd\n</think>\nThe answer is 0."
            )
            return JSONResponse(
                {
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "length" if length else "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": len(question.split()),
                        "completion_tokens": 7,
                        "total_tokens": 7,
                    },
                }
            )

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "fake server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.fixture(autouse=True)
def reset(server: FakeServer) -> None:
    server.requests.clear()
    server.headers.clear()
    server.fail_first, server.status, server.peak, server.answer_only = 0, 200, 0, None


def test_generate_returns_completions_in_order_with_usage(server: FakeServer) -> None:
    generator = EndpointGenerator(server.url, "fake-model", api_key="sk-test", concurrency=4)
    prompts = [f"echo {k}" for k in range(12)]
    completions = generator.generate(prompts, SamplingParams(max_new_tokens=16))
    assert [c.text for c in completions] == [f"echo: echo {k}" for k in range(12)]
    assert [c.prompt_index for c in completions] == list(range(12))
    assert all(c.completion_tokens == 7 and c.prompt_tokens == 2 and not c.truncated for c in completions)
    assert 1 < server.peak <= 4  # requests ran concurrently, within the limit
    assert server.requests[0]["model"] == "fake-model" and server.requests[0]["max_tokens"] == 16
    assert server.headers[0]["authorization"] == "Bearer sk-test"


def test_length_limit_and_samples(server: FakeServer) -> None:
    generator = EndpointGenerator(server.url + "/v1/", "fake-model")  # a base URL ending in /v1 works too
    completions = generator.generate(
        ["echo a", "echo b"], SamplingParams(max_new_tokens=2, num_samples=2, seed=5)
    )
    assert [(c.prompt_index, c.sample_index) for c in completions] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(c.truncated for c in completions)
    assert sorted(r["seed"] for r in server.requests) == sorted([5, 5, sample_seed(5, 1), sample_seed(5, 1)])


def test_server_errors(server: FakeServer) -> None:
    server.fail_first = 1
    assert EndpointGenerator(server.url, "m", retries=2).generate(["echo x"])[0].text == "echo: echo x"
    server.status = 404
    with pytest.raises(EndpointError, match="HTTP 404.*bad model"):
        EndpointGenerator(server.url, "m").generate(["echo x"])


def test_unreachable_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection fails at once: one try per request, no backoff (a dead server is not "overloaded")."""
    import safealign.evals.endpoint as endpoint

    url = f"http://127.0.0.1:{free_port()}"
    waits: list[float] = []
    tries: list[str] = []
    real_post = httpx.Client.post

    def counting_post(self: httpx.Client, *args, **kwargs):  # noqa: ANN001, ANN202 - httpx's own signature
        tries.append(str(args[0]))
        return real_post(self, *args, **kwargs)

    monkeypatch.setattr(endpoint, "time", SimpleNamespace(sleep=waits.append))
    monkeypatch.setattr(httpx.Client, "post", counting_post)
    with pytest.raises(EndpointError, match="cannot reach .* is the server running"):
        EndpointGenerator(url, "m", retries=2).generate(["hello", "again"])
    assert waits == []
    # One try per request at most (a retried connection would make 3 each); the first failure cancels the rest.
    assert 1 <= len(tries) <= 2 and set(tries) == {f"{url}/v1/chat/completions"}


def test_run_eval_through_the_endpoint(server: FakeServer, tmp_path: Path) -> None:
    report = run_eval(EndpointGenerator(server.url, "fake-model"), ["format"], limit=3, out_dir=tmp_path)
    assert report.metric("format", "format_compliance").value == 1.0
    assert report.tokens_generated == 7 * 6
    assert (tmp_path / "samples.jsonl").is_file()


def test_eval_cli_with_endpoint(server: FakeServer, tmp_path: Path) -> None:
    from safealign.cli.main import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "served",
            "--endpoint",
            server.url,
            "--suites",
            "reasoning,format",
            "--limit",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "format_compliance" in result.output and "100.0%" in result.output
    assert {r["model"] for r in server.requests} == {"served"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suites"]["reasoning"]["n_items"] == 4


def test_the_eval_cli_shows_no_endpoint_password_in_its_table_or_errors(
    server: FakeServer, tmp_path: Path
) -> None:
    """The results table's title quoted --endpoint as given (http://user:s3cret@...), and a non-http URL's error
    echoed it whole."""
    from safealign.cli.main import app

    secret_url = server.url.replace("http://", "http://user:s3cret@")
    args = ["eval", "served", "--suites", "format", "--limit", "1", "--max-new-tokens", "4"]
    result = CliRunner().invoke(app, [*args, "--endpoint", secret_url, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "user:***@127.0.0.1" in result.output
    result = CliRunner().invoke(
        app, [*args, "--endpoint", "ftp://user:s3cret@host", "--out", str(tmp_path / "b")]
    )
    assert result.exit_code == 2 and "s3cret" not in result.output and "must start with http" in result.output


def test_eval_cli_with_unreachable_endpoint(tmp_path: Path) -> None:
    from safealign.cli.main import app

    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        app,
        ["eval", "m", "--endpoint", url, "--suites", "format", "--limit", "1", "--out", str(tmp_path / "x")],
    )
    assert result.exit_code == 2
    assert "cannot reach" in result.output


def test_eval_cli_samples_at_a_temperature(server: FakeServer, tmp_path: Path) -> None:
    """--temperature/--samples reach the generator; every answer is scored and the settings are recorded."""
    from safealign.cli.main import app

    out = tmp_path / "sampled"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "served",
            "--endpoint",
            server.url,
            "--suites",
            "format",
            "--limit",
            "2",
            "--temperature",
            "0.7",
            "--top-p",
            "0.9",
            "--samples",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 4 * 3  # 2 items from each split, 3 answers each
    assert {(r["temperature"], r["top_p"]) for r in server.requests} == {(0.7, 0.9)}
    summary = json.loads((out / "summary.json").read_text())
    assert (
        summary["config"]["params"]["temperature"] == 0.7 and summary["config"]["params"]["num_samples"] == 3
    )
    assert summary["suites"]["format"]["metrics"]["all"]["format_compliance"]["n"] == 4, (
        "n counts prompts, not their 12 answers"
    )


def test_eval_cli_rejects_several_greedy_samples(tmp_path: Path) -> None:
    from safealign.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "eval",
            "m",
            "--endpoint",
            "http://127.0.0.1:9",
            "--suites",
            "format",
            "--samples",
            "4",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 2
    assert "--temperature" in result.output


def _answer_with(monkeypatch: pytest.MonkeyPatch, body: dict) -> None:
    """Every httpx.Client answers ``body`` (HTTP 200) to every request, without a network."""
    real_init = httpx.Client.__init__

    def init(self: httpx.Client, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - httpx's own signature
        kwargs["transport"] = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", init)


@pytest.mark.parametrize(
    ("content", "usage"),
    [
        ([{"type": "text", "text": " The answer "}, {"type": "text", "text": "is 0. "}], None),
        ("The answer is 0.", "none"),
        ("The answer is 0.", {"prompt_tokens": "n/a", "completion_tokens": [3]}),
    ],
)
def test_content_parts_are_joined_and_malformed_usage_counts_as_none(
    monkeypatch: pytest.MonkeyPatch, content, usage
) -> None:
    """A list of content parts is valid OpenAI; usage is optional, so a malformed one is read as absent."""
    _answer_with(
        monkeypatch, {"choices": [{"message": {"content": content}, "finish_reason": "stop"}], "usage": usage}
    )
    completion = EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])[0]
    assert completion.text == "The answer is 0."
    assert completion.prompt_tokens == 0 and completion.completion_tokens == 0


@pytest.mark.parametrize("content", [{"text": "hi"}, 42, [{"type": "text", "text": 7}]])
def test_content_that_is_not_text_is_an_endpoint_error(monkeypatch: pytest.MonkeyPatch, content) -> None:
    _answer_with(monkeypatch, {"choices": [{"message": {"content": content}}]})
    with pytest.raises(EndpointError, match=r"no choices\[0\]\.message\.content"):
        EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])


def test_eval_cli_with_a_malformed_endpoint_url(tmp_path: Path) -> None:
    from safealign.cli.main import app

    with pytest.raises(EndpointError, match=r"'http://\[::1' is not a valid URL"):
        EndpointGenerator("http://[::1", "m").generate(["q"])
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "m",
            "--endpoint",
            "http://[::1",
            "--suites",
            "format",
            "--limit",
            "1",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "is not a valid URL" in result.output and "http://127.0.0.1:8000" in " ".join(
        result.output.split()
    )


def test_a_dropped_connection_is_retried_and_a_content_filter_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One connection cut mid-answer ended the whole eval (every finished answer lost); a provider's content filter
    answered "" and was scored as evasive, unsaid."""
    import safealign.evals.endpoint as endpoint

    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(
            200, json={"choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}]}
        )

    real_init = httpx.Client.__init__

    def init(self: httpx.Client, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - httpx's own signature
        kwargs["transport"] = httpx.MockTransport(answer)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", init)
    monkeypatch.setattr(endpoint, "time", SimpleNamespace(sleep=lambda s: None))
    report = run_eval(
        EndpointGenerator("http://127.0.0.1:9", "m", concurrency=1),
        ["borderline"],
        limit=1,
        out_dir=tmp_path,
        model={"endpoint": "http://127.0.0.1:9", "name": "m"},
    )
    assert calls["n"] == 3, "the dropped request was not tried again"
    assert report.config["finish_reasons"] == {"content_filter": 2} and "content_filter (2)" in caplog.text
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["config"]["model"] == {"endpoint": "http://127.0.0.1:9", "name": "m"}
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert {row["decoding"]["finish_reason"] for row in rows} == {"content_filter"}


def test_eval_cli_timeout_reaches_the_endpoint_and_the_summary_names_what_was_evaluated(
    server: FakeServer, tmp_path: Path
) -> None:
    from safealign.cli.main import app

    out = tmp_path / "t"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "served",
            "--endpoint",
            server.url + "/v1",
            "--suites",
            "format",
            "--limit",
            "1",
            "--timeout",
            "7",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["config"]["model"] == {
        "endpoint": server.url,
        "name": "served",
    }


def test_an_endpoint_eval_that_stopped_half_way_continues_from_the_answers_it_got(
    server: FakeServer, tmp_path: Path
) -> None:
    """An endpoint eval that failed on its 4th request lost the 3 answers it had (paid for, on a hosted API)."""
    from safealign.cli.main import app

    out = tmp_path / "e"
    command = [
        "eval",
        "served",
        "--endpoint",
        server.url,
        "--suites",
        "format",
        "--limit",
        "3",
        "--concurrency",
        "1",
        "--out",
        str(out),
    ]
    server.answer_only = 3
    stopped = CliRunner().invoke(app, command)
    assert stopped.exit_code == 2 and "quota exceeded" in stopped.output
    assert "answers so far are kept" in stopped.output and f"--out {out}" in " ".join(stopped.output.split())
    assert len((out / "answers.partial.jsonl").read_text().splitlines()) == 3
    server.requests.clear()
    server.answer_only = None
    resumed = CliRunner().invoke(app, command)
    assert resumed.exit_code == 0, resumed.output
    assert len(server.requests) == 3 and "3 answers taken from" in resumed.output  # 6 prompts, 3 asked again
    assert not (out / "answers.partial.jsonl").exists()
    assert len((out / "samples.jsonl").read_text().splitlines()) == 6


def test_an_endpoint_eval_with_a_refusal_vote_finishes_and_counts_the_answers_both_calls_reused(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--endpoint with --refusal-vote read `reused` from the vote's wrapper, which had none: an AttributeError after the
    results were written, answers.partial.jsonl left behind."""
    import safealign.judges
    from safealign.cli.main import app
    from safealign.judges.base import Verdict

    class Answers:  # the vote's refusal judge: every answer complies
        def judge(self, prompts, responses):  # noqa: ANN001, ANN202
            return [Verdict("compliance", 0.0, "fake", "fake") for _ in responses]

    monkeypatch.setattr(safealign.judges, "RefusalJudge", Answers)
    out = tmp_path / "voted"
    command = ["eval", "served", "--endpoint", server.url, "--suites", "format", "--limit", "1"]
    command += ["--refusal-vote", "2", "--concurrency", "1", "--out", str(out)]
    server.answer_only = 4  # both greedy answers and 2 of the 4 sampled ones, then a failed request
    stopped = CliRunner().invoke(app, command)
    assert stopped.exit_code == 2 and "quota exceeded" in stopped.output, stopped.output
    server.requests.clear()
    server.answer_only = None
    resumed = CliRunner().invoke(app, command)
    assert resumed.exit_code == 0, resumed.output
    assert len(server.requests) == 2 and "4 answers taken from" in " ".join(resumed.output.split())
    assert not (out / "answers.partial.jsonl").exists()
    assert len((out / "samples.jsonl").read_text().splitlines()) == 2


def test_kept_answers_count_only_for_the_same_request(server: FakeServer, tmp_path: Path) -> None:
    kept = tmp_path / "answers.jsonl"
    first = EndpointGenerator(server.url, "m", answers_file=kept).generate(
        ["echo a", "echo b"], SamplingParams(max_new_tokens=16)
    )
    with kept.open("a") as file:
        file.write('{"key": "cut sho')  # the line a crash cut short is skipped
    server.requests.clear()
    again = EndpointGenerator(server.url, "m", answers_file=kept)
    reused = again.generate(["echo a", "echo b"], SamplingParams(max_new_tokens=16))
    assert [replace(c, meta={}) for c in reused] == first and server.requests == []
    assert again.reused == 2 and all(c.meta == {"tokens_spent": 0, "prompt_tokens_spent": 0} for c in reused)
    again.generate(["echo a", "echo b"], SamplingParams(max_new_tokens=32))  # other settings: asked again
    EndpointGenerator(server.url, "other-model", answers_file=kept).generate(
        ["echo a"], SamplingParams(max_new_tokens=16)
    )
    assert len(server.requests) == 3


def test_a_resumed_eval_counts_only_the_new_answers_tokens(server: FakeServer, tmp_path: Path) -> None:
    """Answers taken from an earlier run carried their old completion_tokens, so tokens/s counted tokens not generated."""
    kept = tmp_path / "answers.jsonl"
    first = run_eval(
        EndpointGenerator(server.url, "m", answers_file=kept),
        ["reasoning"],
        split="held_out",
        limit=2,
        judges=SimpleNamespace(spec="fake"),
    )
    assert first.tokens_generated > 0
    resumed = run_eval(
        EndpointGenerator(server.url, "m", answers_file=kept),
        ["reasoning"],
        split="held_out",
        limit=4,
        judges=SimpleNamespace(spec="fake"),
    )
    assert resumed.tokens_generated == first.tokens_generated  # two answers reused (0 tokens), two new ones
    # prompt_tokens counted the reused answers' prompts too: both counts are of the answers asked for in this run
    whole = run_eval(
        EndpointGenerator(server.url, "m"),
        ["reasoning"],
        split="held_out",
        limit=4,
        judges=SimpleNamespace(spec="fake"),
    )
    assert 0 < resumed.prompt_tokens == whole.prompt_tokens - first.prompt_tokens


def test_answers_holding_unicode_line_separators_are_reused(server: FakeServer, tmp_path: Path) -> None:
    """The kept file was split with str.splitlines, which cuts a record at U+2028/U+0085: those answers were asked again."""
    kept = tmp_path / "answers.jsonl"
    prompts = ["echo a\u2028b", "echo c\u0085d", "echo e\u2029f"]
    EndpointGenerator(server.url, "m", answers_file=kept).generate(prompts)
    server.requests.clear()
    again = EndpointGenerator(server.url, "m", answers_file=kept)
    assert [c.text for c in again.generate(prompts)] == [f"echo: {p}" for p in prompts]
    assert again.reused == 3 and server.requests == []


def test_an_answer_after_a_line_cut_short_is_kept(server: FakeServer, tmp_path: Path) -> None:
    """A crash left a line without its newline; the next answer was appended to it and both were lost."""
    kept = tmp_path / "answers.jsonl"
    EndpointGenerator(server.url, "m", answers_file=kept).generate(["echo a", "echo b"])
    kept.write_text(
        kept.read_text() + kept.read_text().splitlines()[0][:30]
    )  # a third answer cut short by a kill
    prompts = ["echo a", "echo b", "echo c", "echo d"]
    EndpointGenerator(server.url, "m", answers_file=kept).generate(prompts)  # asks for c and d
    server.requests.clear()
    third = EndpointGenerator(server.url, "m", answers_file=kept)
    third.generate(prompts)
    assert third.reused == 4 and server.requests == []
    assert kept.read_text().endswith("\n") and len(kept.read_text().splitlines()) == 4


def _mock_endpoint(monkeypatch: pytest.MonkeyPatch, answer) -> list[float]:  # noqa: ANN001 - a MockTransport handler
    """Route every httpx.Client to ``answer``; the waits the endpoint asked for, instead of sleeping them."""
    import safealign.evals.endpoint as endpoint

    real_init = httpx.Client.__init__

    def init(self: httpx.Client, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - httpx's own signature
        kwargs["transport"] = httpx.MockTransport(answer)
        real_init(self, *args, **kwargs)

    waits: list[float] = []
    monkeypatch.setattr(httpx.Client, "__init__", init)
    monkeypatch.setattr(endpoint, "time", SimpleNamespace(sleep=waits.append))
    return waits


def test_a_rate_limit_is_waited_out_as_its_retry_after_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 was retried twice after 0.5 s and 1 s, whatever Retry-After said: a hosted API's limit ended the eval."""
    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= 3:
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "rate limited"})
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
        )

    waits = _mock_endpoint(monkeypatch, answer)
    assert EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])[0].text == "ok"
    assert waits == [1.0, 1.0, 1.0]
    calls["n"], waits[:] = (
        -100,
        [],
    )  # limited for good: a few more tries than a 5xx gets, then an error that says so
    with pytest.raises(EndpointError, match=r"rate-limited all 6 tries \(HTTP 429.*lower --concurrency"):
        EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])
    assert len(waits) == 5


def test_requests_cancelled_after_a_failure_do_not_move_the_progress_bar(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    import safealign.evals.endpoint as endpoint

    advanced: list[int] = []

    @contextlib.contextmanager
    def bar(total: int, description: str, show: bool):  # noqa: ANN202
        yield advanced.append

    monkeypatch.setattr(endpoint, "progress_bar", bar)
    server.answer_only = 1
    with pytest.raises(EndpointError, match="quota exceeded"):
        EndpointGenerator(server.url, "m", concurrency=1).generate([f"echo {k}" for k in range(50)])
    # one step per request answered (or failed), none per cancelled one; the one worker may take a few more queued
    # requests before the failure cancels the rest (it sent all 6 of 6 once on a loaded machine), so 50 are queued
    assert sum(advanced) == len(server.requests) < 50


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--endpoint-model", "served"], "no --endpoint URL is given"),
        (["--endpoint", "127.0.0.1:8000"], "must start with http:// or https://"),
    ],
)
def test_endpoint_options_are_checked_before_anything_runs(
    tmp_path: Path, options: list[str], says: str
) -> None:
    """--endpoint-model alone scored the local model under the served model's name; a URL without a scheme failed
    three times after "generating"."""
    from safealign.cli.main import app

    result = CliRunner().invoke(
        app, ["eval", "tiny", *options, "--suites", "format", "--limit", "1", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and says in " ".join(
        result.output.replace("│", " ").split()
    )  # typer boxes the message
    assert not (tmp_path / "o").exists()


def _with_password(url: str) -> str:
    return url.replace("http://", "http://user:s3cret@")


@pytest.mark.parametrize("status", [404, 500, 429])
def test_an_error_answer_does_not_show_the_endpoints_password(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """`--endpoint http://user:pass@host` printed the password in every error; the request still sends it."""
    import base64

    import safealign.evals.endpoint as endpoint

    monkeypatch.setattr(endpoint, "time", SimpleNamespace(sleep=lambda s: None))
    server.status = status
    with pytest.raises(EndpointError, match=rf"HTTP {status}") as caught:
        EndpointGenerator(_with_password(server.url), "m", retries=0).generate(["echo x"])
    assert "s3cret" not in str(caught.value) and "user:***@127.0.0.1" in str(caught.value)
    assert server.headers[0]["authorization"] == "Basic " + base64.b64encode(b"user:s3cret").decode()


@pytest.mark.parametrize(
    "url",
    [
        f"http://user:s3cret@127.0.0.1:{free_port()}",
        f"HTTP://user:s3cret%21@LOCALHOST:{free_port()}/v1",
        "http://user:s3cret@[::1",
    ],
    ids=["unreachable", "unreachable-upper-case", "malformed"],  # the same ids in each process (pytest -n 2)
)
def test_an_unreachable_or_malformed_endpoint_does_not_show_its_password(url: str) -> None:
    with pytest.raises(EndpointError, match="cannot reach|not a valid URL") as caught:
        EndpointGenerator(url, "m", retries=0).generate(["q"])
    assert "s3cret" not in str(caught.value) and "user:***@" in str(caught.value)


def test_a_dropped_connection_does_not_show_the_endpoints_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx's own error text may quote the URL it was sent to, password and all."""

    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError(f"connection to {request.url} dropped")

    _mock_endpoint(monkeypatch, answer)
    with pytest.raises(EndpointError, match="failed 1 times") as caught:
        EndpointGenerator("http://user:p@ss@127.0.0.1:9", "m", retries=0).generate(["q"])
    assert "p@ss" not in str(caught.value) and "ss@" not in str(caught.value), caught.value


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "see HTTPS://u:pw@h:1/v1 and postgresql+psycopg://db:pw@h/x",
            "see HTTPS://u:***@h:1/v1 and postgresql+psycopg://db:***@h/x",
        ),
        (
            "'http://u:p@ss@h/v1' ok",
            "'http://u:***@h/v1' ok",
        ),  # a raw "@" in a password: urlsplit splits at the last
        ("http://:token@h http://u@h mail@h", "http://:***@h http://u@h mail@h"),
        (
            "'http://u:pa/ss@h:1' ok",
            "'http://u:***@h:1' ok",
        ),  # a raw "/" in a password: httpx cannot parse it
        (
            "http://127.0.0.1:8000/v1,http://u:p@h:1",
            "http://127.0.0.1:8000/v1,http://u:***@h:1",
        ),  # the first URL's port and path are no password: it stops at the next URL
    ],
)
def test_without_passwords_stars_every_urls_password(text: str, shown: str) -> None:
    from safealign.config.base import without_passwords

    assert without_passwords(text) == shown


def test_a_password_with_a_raw_slash_is_not_shown_and_the_fix_is_said() -> None:
    """httpx read "http://admin:zq/xy@..." as port 'zq': the error showed the URL and "Invalid port: 'zq'"."""
    with pytest.raises(EndpointError, match="not a valid URL") as caught:
        EndpointGenerator("http://admin:zq/xy@127.0.0.1:9", "m", retries=0).generate(["q"])
    message = str(caught.value)
    assert "zq" not in message and "xy" not in message, message
    assert "admin:***@127.0.0.1:9" in message and "%2F" in message


@pytest.mark.parametrize(
    ("endpoint", "password"),
    [
        ("admin:s3cret@127.0.0.1:9", "s3cret"),
        ("admin:1234/56@127.0.0.1:9", "1234/56"),  # its digits before the "/" were read as a port, and shown
    ],
)
def test_an_endpoint_without_a_scheme_does_not_show_its_password(
    tmp_path: Path, endpoint: str, password: str
) -> None:
    """Without a scheme, without_passwords did not see a URL and the error echoed 'admin:s3cret@...'."""
    from safealign.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "eval",
            "tiny",
            "--endpoint",
            endpoint,
            "--suites",
            "format",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 2 and password not in output, output
    assert "must start with http://" in output and "no scheme" in output and "127.0.0.1:9" in output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("bob@host:8000", "bob@host:8000"),  # a user without a password is kept, as redact_url keeps it
        ("a@b", "a@b"),
        ("admin:pa/ss@127.0.0.1:9", "admin:***@127.0.0.1:9"),
        # without a scheme the digits before the "/" are not a port: it was shown whole
        ("admin:1234/56@127.0.0.1:8000", "admin:***@127.0.0.1:8000"),
        ("http://u:p@ss@h:1", "http://u:***@h:1"),
        # an "@" in the path after a port is not user info: it was shown "http://myhost:***@team"
        ("http://myhost:99999/v1/@team", "http://myhost:99999/v1/@team"),
        # "pa" cannot be a port: a password with a raw "/"
        ("http://u:pa/ss@h:99999", "http://u:***@h:99999"),
    ],
)
def test_without_userinfo_stars_only_a_password(url: str, shown: str) -> None:
    from safealign.config.base import without_userinfo

    assert without_userinfo(url) == shown


def test_a_url_that_does_not_parse_is_shown_without_its_password() -> None:
    from safealign.config.base import redact_url

    # it was "(a URL that does not parse)", so an error said "cannot reach (a URL that does not parse)/v1/..."
    assert redact_url("http://user:s3cret@[::1:8000") == "http://user:***@[::1:8000"
    assert redact_url("http://user:pa?ss@host:99999?token=x") == "http://user:***@host:99999?…"
    assert redact_url("http://myhost:99999/v1/@team") == "http://myhost:99999/v1/@team"
    assert redact_url("http://u:pa/ss@h:99999") == "http://u:***@h:99999"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://user:s3cret@127.0.0.1:80a", "Invalid port: '80a'"),
        ("http://user:s3cret@[::1:8000", "Invalid port"),
    ],
)
def test_an_invalid_url_with_a_user_gives_httpx_reason(url: str, reason: str) -> None:
    """Any "@" in the URL replaced httpx's reason with the percent-encoding hint, though the password held no / ? #."""
    with pytest.raises(EndpointError, match="not a valid URL") as caught:
        EndpointGenerator(url, "m", retries=0).generate(["q"])
    message = str(caught.value)
    assert reason in message and "percent-encode" not in message and "s3cret" not in message, message


def test_a_port_out_of_range_is_refused_when_the_generator_is_made() -> None:
    """httpx took port 99999 and the error read "cannot reach (a URL that does not parse)/v1/chat/completions"."""
    with pytest.raises(EndpointError, match="port must be 0-65535") as caught:
        EndpointGenerator("http://user:s3cret@127.0.0.1:99999", "m")
    assert "s3cret" not in str(caught.value) and "user:***@127.0.0.1:99999" in str(caught.value)
    EndpointGenerator("http://127.0.0.1:65535", "m")  # the largest port is a port
