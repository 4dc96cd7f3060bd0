"""The eval library, found in review (session 71)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest

from safealign.evals import EndpointError, EndpointGenerator
from safealign.generation import SamplingParams

ANSWER = json.dumps(
    {"choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}
).encode()


class PaddingHandler(BaseHTTPRequestHandler):
    """Sends its headers at once, then a space every 0.25 s for 2.5 s before the answer, as OpenRouter pads a queued
    non-streaming answer to keep the connection open."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        padding = b" " * 10
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(padding) + len(ANSWER)))
        self.end_headers()
        try:
            for byte in padding:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.25)
            self.wfile.write(ANSWER)
        except OSError:  # the client gave up
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def padding_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), PaddingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_an_answer_padded_past_the_timeout_times_out(padding_server):
    """httpx times each read on its own: the padding kept every read under --timeout, so a 0.5 s timeout waited for the
    whole 2.5 s answer (and a server padding while its queue never moved, for ever). The error read 'within 0s'."""
    generator = EndpointGenerator(padding_server, "m", timeout_s=0.5, retries=0)
    with pytest.raises(EndpointError, match=r"did not answer within 0\.5s \(1 tries\)"):
        generator.generate(["q"], SamplingParams(max_new_tokens=4))


def test_a_padded_answer_within_the_timeout_is_read(padding_server):
    generator = EndpointGenerator(padding_server, "m", timeout_s=30, retries=0)
    answers = generator.generate(["q"], SamplingParams(max_new_tokens=4))
    assert [a.text for a in answers] == ["ok"]


def _answering(status: int, text: str):  # noqa: ANN202 - a stand-in for httpx.Client.post
    def post(self: httpx.Client, url: str, json: dict) -> httpx.Response:
        return httpx.Response(status, text=text, request=httpx.Request("POST", url))

    return post


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (401, 'invalid key "sk-secret-123" for this model'),  # a server echoing the key it refused
        (429, "slow down, sk-secret-123"),
        (200, "<html>proxy login for sk-secret-123</html>"),  # not JSON
        (200, '{"error": "bad key sk-secret-123"}'),  # JSON without choices
    ],
)
def test_an_error_quoting_the_answer_does_not_repeat_the_api_key(monkeypatch, status, text):
    """The errors quote the server's answer; a server or proxy that echoed the request put the key into the error, and
    from there into the console and the logs (the rubric judge scrubs it; the endpoint eval did not)."""
    monkeypatch.setattr(httpx.Client, "post", _answering(status, text))
    monkeypatch.setattr("safealign.evals.endpoint.EXTRA_RATE_LIMIT_TRIES", 0)
    generator = EndpointGenerator("http://127.0.0.1:9", "m", api_key="sk-secret-123", retries=0)
    with pytest.raises(EndpointError) as error:
        generator.generate(["q"], SamplingParams(max_new_tokens=4))
    assert "sk-secret-123" not in str(error.value) and "***" in str(error.value)


def test_the_urls_password_is_not_repeated_either(monkeypatch):
    monkeypatch.setattr(httpx.Client, "post", _answering(400, "user admin, password hunter2!? refused"))
    with pytest.raises(EndpointError, match=r"answered HTTP 400: user admin, password \*\*\*!\? refused"):
        EndpointGenerator("http://admin:hunter2@127.0.0.1:9", "m", retries=0).generate(["q"])


def test_an_answer_nested_past_the_json_readers_depth_is_named(monkeypatch):
    """A body of 100,000 nested brackets ended the eval in a bare RecursionError from the JSON reader."""
    monkeypatch.setattr(httpx.Client, "post", _answering(200, "[" * 100_000 + "]" * 100_000))
    with pytest.raises(EndpointError, match="answered with something that is not JSON"):
        EndpointGenerator("http://127.0.0.1:9", "m", retries=0).generate(["q"])


@pytest.mark.parametrize("key", ["sk-abc123\n", " sk-abc123 "])
def test_a_key_with_a_line_break_or_spaces_around_it_is_sent_without_them(key):
    """A key read from a secret's file keeps its last newline: every request failed, "Illegal header value b'Bearer
    sk-abc123\\n'", the whole key in the error."""
    from test_eval_endpoint import FakeServer

    with FakeServer() as server:
        answers = EndpointGenerator(server.url, "m", api_key=key, retries=0).generate(["echo q"])
    assert [a.text for a in answers] == ["echo: echo q"]
    assert server.headers[-1]["authorization"] == "Bearer sk-abc123"


def test_a_key_no_header_can_carry_is_refused_without_quoting_it():
    """A non-ASCII letter in the key ended the eval in a bare UnicodeEncodeError from the first request."""
    with pytest.raises(EndpointError, match="holds a character an HTTP header cannot carry") as error:
        EndpointGenerator("http://127.0.0.1:9", "m", api_key="sk-ab\u00e9cd")
    assert "sk-ab" not in str(error.value)


@pytest.mark.parametrize("status", [408, 520, 524, 529])
def test_a_proxys_or_an_overloaded_apis_error_is_asked_again(monkeypatch, status):
    """Only 500, 502, 503 and 504 were retried: a hosted API's 529 (overloaded) or Cloudflare's 524 (the answer took
    longer than the proxy waits) failed the eval at once."""
    answers = iter([_answering(status, "busy"), _answering(200, ANSWER.decode())])
    monkeypatch.setattr(httpx.Client, "post", lambda self, url, json: next(answers)(self, url, json))
    monkeypatch.setattr("safealign.evals.endpoint.time", SimpleNamespace(sleep=lambda s: None))
    generator = EndpointGenerator("http://127.0.0.1:9", "m", retries=1)
    assert [a.text for a in generator.generate(["q"])] == ["ok"]


def test_not_implemented_is_not_asked_again(monkeypatch):
    sent = []
    monkeypatch.setattr(
        httpx.Client,
        "post",
        lambda self, url, json: sent.append(json) or _answering(501, "no")(self, url, json),
    )
    with pytest.raises(EndpointError, match="answered HTTP 501"):
        EndpointGenerator("http://127.0.0.1:9", "m", retries=2).generate(["q"])
    assert len(sent) == 1


@pytest.mark.parametrize("count", [-1, True])
def test_a_usage_count_that_is_no_count_is_zero(monkeypatch, count):
    """A server that answers completion_tokens -1 ("not counted") made tokens_generated and the tokens/s negative."""
    body = json.loads(ANSWER) | {"usage": {"prompt_tokens": count, "completion_tokens": count}}
    monkeypatch.setattr(httpx.Client, "post", _answering(200, json.dumps(body)))
    (answer,) = EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])
    assert (answer.prompt_tokens, answer.completion_tokens) == (0, 0)


@pytest.mark.parametrize("around", ["{}\n", " {}", "{}/v1 "])
def test_spaces_or_a_line_break_around_the_url_are_not_part_of_it(around):
    """' http://host' failed as "missing an 'http://' protocol", 'http://host/v1 ' as an HTTP 404 at the path '/v1 '
    and 'http://host\\n' as not a valid URL (the rubric judge strips its URL)."""
    from test_eval_endpoint import FakeServer

    with FakeServer() as server:
        answers = EndpointGenerator(around.format(server.url), "m", retries=0).generate(["echo q"])
    assert [a.text for a in answers] == ["echo: echo q"]
