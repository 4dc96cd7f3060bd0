"""`safealign serve` start-up and the CLI's shared helpers, found in review: the early port check bound only the first
address a host resolves to (``localhost``: ::1, while uvicorn binds 127.0.0.1 too, found taken only after the model
loaded), refused ``--host ::`` beside an IPv4 server that uvicorn starts beside, and blamed a taken port for a port
below 1024; a request whose generation failed was logged with its traceback twice; and a path in a folder this user may
not search raised a second PermissionError from the code that words the first."""

from __future__ import annotations

import errno
import logging
import pathlib
import socket

import pytest
import typer
from fastapi.testclient import TestClient
from test_batcher_death_review65 import ScriptedEngine, raising

from safealign.cli.common import api_url, check_can_listen, friendly_errors, path_error_message
from safealign.errors import SafealignError
from safealign.serve import create_app

ASK = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback here")


@pytest.fixture()
def listening():
    """A socket listening on 127.0.0.1 or 0.0.0.0: another server holding that port."""
    held: list[socket.socket] = []

    def listen(address: str) -> int:
        taken = socket.socket()
        taken.bind((address, 0))
        taken.listen()
        held.append(taken)
        return taken.getsockname()[1]

    yield listen
    for taken in held:
        taken.close()


@needs_ipv6
def test_check_can_listen_binds_every_address_the_host_resolves_to(listening, monkeypatch):
    """With "::1 localhost" before "127.0.0.1 localhost" in /etc/hosts, the check bound ::1 and said the port was free;
    uvicorn binds both, failed on 127.0.0.1 after the model had loaded, and exited 3."""
    port = listening("127.0.0.1")
    resolve = socket.getaddrinfo

    def localhost_both(host, *args, **kwargs):
        if host == "localhost":
            return resolve("::1", *args, **kwargs) + resolve("127.0.0.1", *args, **kwargs)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", localhost_both)
    with pytest.raises(SafealignError, match=f"cannot listen on localhost:{port} .*the port is taken"):
        check_can_listen("localhost", port)


@needs_ipv6
def test_check_can_listen_on_ipv6_any_beside_an_ipv4_server(listening):
    """Its :: probe was dual-stack, so an IPv4 server on the port made it refuse a start that uvicorn makes (asyncio
    binds IPv6 addresses for IPv6 only)."""
    check_can_listen("::", listening("0.0.0.0"))


def test_an_empty_host_is_every_interface_as_uvicorn_binds_it():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    check_can_listen("", port)  # was "cannot listen on :PORT (Name or service not known)"
    assert api_url("", port) == f"http://127.0.0.1:{port}/v1"


def test_check_can_listen_names_the_cause_it_met(listening, monkeypatch):
    """A port below 1024 for a user who is not root said "the port is taken (another server?) or the host is not an
    address of this machine": neither was so."""
    port = listening("127.0.0.1")
    with pytest.raises(SafealignError) as taken:
        check_can_listen("127.0.0.1", port)
    assert str(taken.value).endswith("the port is taken (another server?); choose another --port")

    def refused(self, address):
        raise PermissionError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as patch:
        patch.setattr(socket.socket, "bind", refused)  # as a user who is not root on port 80
        with pytest.raises(SafealignError) as low:
            check_can_listen("127.0.0.1", 80)
    assert "(Permission denied): this user may not listen on that port" in str(low.value)
    assert "taken" not in str(low.value) and "1024 or above" in str(low.value)

    def unknown(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(SafealignError, match="the host name does not resolve; choose --host 127.0.0.1"):
        check_can_listen("no-such-host.invalid", 8000)


def test_a_failed_generation_is_logged_with_its_traceback_once(caplog):
    """The batcher logged it with its traceback, then the app logged the same error with a traceback again."""
    app = create_app(ScriptedEngine(raising(ValueError("boom"))), "scripted", max_wait_ms=1)
    with caplog.at_level(logging.INFO, logger="safealign"), TestClient(app) as client:
        answer = client.post("/v1/chat/completions", json=ASK)
    assert answer.status_code == 500 and answer.json()["error"]["message"] == "generation failed: boom"
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert len(tracebacks) == 1, [record.getMessage() for record in tracebacks]
    assert any(record.getMessage() == "generation failed: ValueError: boom" for record in caplog.records)


def test_a_path_in_a_folder_this_user_may_not_search_gets_its_message(monkeypatch):
    """path_error_message asked pathlib whether the path is a file; in a folder without search permission that stat is
    refused too, and its PermissionError replaced the red line with a traceback. (Root searches every folder, so the
    refusal is played here.)"""
    denied = PermissionError(errno.EACCES, "Permission denied", "/home/other/runs/out.jsonl")

    def refused(self):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "is_file", refused)
    message = path_error_message(denied)
    assert message is not None and message.startswith(
        "no permission to access /home/other/runs/out.jsonl (permission denied). Choose an output folder"
    )

    def write():
        raise denied

    with pytest.raises(typer.Exit) as exited:
        friendly_errors(write)()
    assert exited.value.exit_code == 2
