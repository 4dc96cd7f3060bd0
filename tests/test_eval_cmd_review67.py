"""Review 67 of the eval command and the eval file loaders: --out folders left behind, endpoint connection timeouts
and concurrency, and prompt files separated by the wrong character."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError
from safealign.evals.endpoint import EndpointError, EndpointGenerator
from safealign.evals.loaders import load_suite_file


def test_a_model_that_fails_to_load_removes_every_out_folder_the_eval_made(tmp_path: Path) -> None:
    """--out a/b made a and b; only b went again, and an empty a was left behind."""
    (tmp_path / "kept").mkdir()
    for out in (tmp_path / "a" / "b", tmp_path / "kept" / "c" / "d"):
        argv = [
            "eval",
            str(tmp_path / "no-such-model"),
            "--suites",
            "format",
            "--limit",
            "1",
            "--out",
            str(out),
        ]
        result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
        assert result.exit_code == 2 and "not found" in result.output, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "kept"
    ]  # a folder that was there before stays
    assert not any((tmp_path / "kept").iterdir())


def test_a_connection_that_times_out_is_not_reported_as_a_slow_answer() -> None:
    """A host that drops the connection attempt (a firewall, a wrong address) failed after 10 s a try with "did not
    answer within 120s; raise --timeout", which cannot help: the connection is given min(10, --timeout) seconds."""

    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    generator = EndpointGenerator("http://10.1.2.3:8000", "m", timeout_s=300, retries=1)
    with httpx.Client(transport=httpx.MockTransport(drop)) as client, pytest.raises(EndpointError) as error:
        generator._post(client, {"model": "m", "messages": []})
    message = str(error.value)
    assert "no connection within 10s (2 tries)" in message, message
    assert "raise --timeout" not in message and "300s" not in message


class _CountingHandler(BaseHTTPRequestHandler):
    """Answers once `expected` requests are in flight at once (or after 5 s), counting the most seen together."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    in_flight = most = 0
    expected = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        deadline = time.monotonic() + 5
        while cls.most < cls.expected and time.monotonic() < deadline:
            time.sleep(0.01)
        with cls.lock:
            cls.in_flight -= 1
        body = json.dumps({"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_endpoint_concurrency_above_100_sends_that_many_requests_at_once() -> None:
    """httpx's default pool holds 100 connections: --concurrency 256 against a vLLM server sent 100 requests at once."""

    class Server(ThreadingHTTPServer):
        request_queue_size = 256
        daemon_threads = True

    n = 105
    handler = type("Handler", (_CountingHandler,), {"expected": n, "lock": threading.Lock()})
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        generator = EndpointGenerator(f"http://127.0.0.1:{server.server_address[1]}", "m", concurrency=n)
        answers = generator.generate([f"prompt {i}" for i in range(n)])
    finally:
        server.shutdown()
        server.server_close()
    assert [answer.text for answer in answers] == ["ok"] * n
    assert handler.most == n


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("semicolons.csv", "prompt;category\nhi;x\n", ":1: the header row 'prompt;category' is one column"),
        ("semicolons_comma.csv", "prompt;category\nWhat, really?;x\n", "separated by semicolons"),
        (
            "tabs.csv",
            "prompt\tcategory\nhi\tx\n",
            "separated by tabs, but a .csv file is read comma-separated: rename it to tabs.tsv",
        ),
        ("commas.tsv", "prompt,category\nhi,x\n", "rename it to commas.csv"),
    ],
)
def test_a_prompt_file_separated_by_another_character_says_so(
    tmp_path: Path, name: str, text: str, said: str
) -> None:
    """A European Excel's CSV (';'), or a .csv of tabs: each row was one cell, and the error said to rename the prompt
    column, or to quote a cell holding a comma, neither of which fixes the file."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_suite_file(path, id_field="id", category_field="category", optional_id_and_category=True)
    assert said in str(error.value), str(error.value)
    assert "rename the column" not in str(error.value) and "quote a cell" not in str(error.value)


def test_a_one_column_prompt_file_whose_prompts_hold_the_other_separators_still_loads(tmp_path: Path) -> None:
    for name, text in (("a.csv", "prompt\nhi; there\ttab\n"), ("b.tsv", "prompt\nhi, there; you\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert [item.prompt for item in load_suite_file(tmp_path / name)] == [text.split("\n")[1]]


@pytest.mark.parametrize(
    "given",
    [
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/v1/",
        "http://127.0.0.1:8000/v1/chat/completions",
        "http://127.0.0.1:8000/v1/chat/completions/",
    ],
)
def test_an_endpoint_given_as_its_whole_chat_url_is_not_doubled(given: str) -> None:
    # `--endpoint http://host/v1/chat/completions` (the URL curl examples show) posted to .../v1/chat/completions/v1/
    # chat/completions: a 404
    from safealign.evals.endpoint import EndpointGenerator

    generator = EndpointGenerator(given, "m")
    assert generator.url == "http://127.0.0.1:8000/v1/chat/completions"
