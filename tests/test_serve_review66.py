"""`safealign serve` found in review: a dead batcher's 503 said the server was stopping; the start line gave
http://0.0.0.0:PORT/v1, which no client can open, for a server bound to every interface; and a lone surrogate in a
UTF-16 or UTF-32 body (which json.loads reads) got past the check that makes it a 400, and failed as a 500."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient
from test_batcher_death_review65 import ScriptedEngine, raising
from typer.testing import CliRunner

from safealign.cli.common import api_url
from safealign.serve import create_app
from safealign.serve.protocol import RequestError, parse_json_object

ASK = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


def test_a_dead_batchers_503_says_its_generation_loop_failed_not_that_the_server_is_stopping():
    """It read "the server is stopping: ...; retry the request" while the server went on running and answering none: an
    operator looked for a shutdown that never happened, and nothing said a restart was what would help."""
    with TestClient(create_app(ScriptedEngine(raising(SystemExit(3))), "scripted", max_wait_ms=1)) as client:
        # the request it died on, and a later one
        answers = [client.post("/v1/chat/completions", json=ASK) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1", answer.text
        message = answer.json()["error"]["message"]
        assert "stopping" not in message, message
        assert message.startswith(
            "the server's generation loop failed: its request batcher stopped on SystemExit: 3"
        )
        assert message.endswith("send the request to another server, or restart this one"), message


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8000/v1"),
        ("::", "http://[::1]:8000/v1"),
        ("0:0:0:0:0:0:0:0", "http://[::1]:8000/v1"),
        ("192.168.1.5", "http://192.168.1.5:8000/v1"),  # an address of the machine stays itself
        ("localhost", "http://localhost:8000/v1"),  # and so does a host name
    ],
)
def test_api_url_gives_a_wildcard_host_as_the_loopback_address_a_client_can_open(host, url):
    assert api_url(host, 8000) == url


def test_serve_on_every_interface_prints_a_url_a_client_can_open(tiny, monkeypatch):
    import safealign.models
    import safealign.serve
    from safealign.cli.main import app as cli

    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: None)
    monkeypatch.setattr(safealign.models, "load_model", lambda *args, **kwargs: tiny)
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["serve", "tiny", "--host", "0.0.0.0", "--port", str(port)])
    shown = "".join(result.output.split())  # the line wraps at the console's width
    assert result.exit_code == 0 and f"athttp://127.0.0.1:{port}/v1" in shown, result.output
    assert "0.0.0.0" not in shown


BODY = '{"messages": [{"role": "user", "content": "hi %s there"}]}'


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
@pytest.mark.parametrize("surrogate", ["\ud800", "\\ud800"], ids=["code-unit", "escape"])
def test_a_lone_surrogate_in_a_utf16_or_utf32_body_is_a_400_naming_its_field(encoding, surrogate):
    """The check looked for its escape or its bytes as UTF-8 writes them: in UTF-16 neither shows, and the text reached
    the tokenizer, which failed (a 500 "internal error: TypeError")."""
    with pytest.raises(RequestError) as refused:
        parse_json_object((BODY % surrogate).encode(encoding, "surrogatepass"))
    assert refused.value.status == 400 and refused.value.param == "messages"
    assert refused.value.message.startswith("messages.0.content: text contains a lone UTF-16 surrogate")
    whole = parse_json_object((BODY % "\U0001f600").encode(encoding))  # the same body, valid: still read
    assert whole["messages"][0]["content"] == "hi \U0001f600 there"
