"""The monitor gateway's start: what a refused start leaves behind, the logged dashboard URL, a second start, and
which API key wins."""

from __future__ import annotations

import re
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from test_monitor import FakeJudges

from safealign.config.sections import MonitorConfig
from safealign.errors import SafealignError
from safealign.monitor import create_gateway
from safealign.monitor.security import KEY_ENV


@pytest.mark.parametrize(
    "setting, says",
    [
        ({"api_key": "clé-secrète"}, "not printable ASCII"),
        ({"alerts": "/nonexistent/alerts.yaml"}, "no such alerts file"),
        ({"judge": "import:nope.mod:f"}, "cannot import 'nope.mod'"),
        ({"judge": "import:nope.mod:f", "worker": "thread"}, "cannot import 'nope.mod'"),
    ],
)
def test_a_refused_start_leaves_no_database_behind(tmp_path, monkeypatch, setting, says):
    # the store was opened first: a start refused for its key, alerts file or judge spec left runs/monitor.db (with its
    # -wal and -shm files and its folder), an empty database that the next start then took for the real one
    monkeypatch.delenv(KEY_ENV, raising=False)
    config = MonitorConfig(upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/runs/m.db", **setting)
    with pytest.raises(SafealignError, match=says):
        create_gateway(config, start_worker=True)
    assert list(tmp_path.iterdir()) == []


def logged_dashboard_url(caplog: pytest.LogCaptureFixture) -> str:
    said = [r.getMessage() for r in caplog.records if "generated one for this run" in r.getMessage()]
    assert len(said) == 1, said
    return re.search(r"dashboard: (\S+)", said[0])[1]


@pytest.mark.parametrize(
    "host, url",
    [
        ("::", "http://[::1]:8080/dashboard?key="),  # was http://:::8080/...
        ("::1", "http://[::1]:8080/dashboard?key="),  # was http://::1:8080/...
        ("0.0.0.0", "http://127.0.0.1:8080/dashboard?key="),
        ("127.0.0.1", "http://127.0.0.1:8080/dashboard?key="),
        ("localhost", "http://localhost:8080/dashboard?key="),
    ],
)
def test_the_generated_keys_dashboard_url_is_one_a_browser_opens(tmp_path, monkeypatch, caplog, host, url):
    monkeypatch.delenv(KEY_ENV, raising=False)
    config = MonitorConfig(upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", host=host)
    app = create_gateway(config, judges=FakeJudges(), start_worker=False)
    with caplog.at_level("WARNING", logger="safealign.monitor.gateway"), TestClient(app):
        pass
    assert logged_dashboard_url(caplog) == url + app.state.api_key


def test_the_dashboard_url_logged_for_a_gateway_on_all_interfaces_opens(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(KEY_ENV, raising=False)
    sock = socket.socket()
    sock.bind(("0.0.0.0", 0))
    port = sock.getsockname()[1]
    config = MonitorConfig(
        upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", host="0.0.0.0", port=port
    )
    server = uvicorn.Server(
        uvicorn.Config(create_gateway(config, judges=FakeJudges(), start_worker=False), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    with caplog.at_level("WARNING", logger="safealign.monitor.gateway"):
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the gateway did not start"
            time.sleep(0.01)
    try:
        assert httpx.get(logged_dashboard_url(caplog), timeout=10).status_code == 200
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


@pytest.mark.parametrize("worker", ["thread", "none"])
def test_a_second_start_of_one_app_is_a_clear_error(tmp_path, worker):
    # it raised RuntimeError "threads can only be started once" (the writer thread), after opening a new upstream session
    config = MonitorConfig(
        upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", api_key="k", worker=worker
    )
    app = create_gateway(config, judges=FakeJudges())
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
    with (
        pytest.raises(SafealignError, match=r"started once already: build a new one with create_gateway"),
        TestClient(app),
    ):
        pass


def test_which_key_wins(tmp_path, monkeypatch):
    """The CLI: --api-key, else $SAFEALIGN_MONITOR_KEY, else the recipe's key (the field's help: the variable overrides
    it, as --api-key does). create_gateway takes the config's key as given: the CLI has put the winner there, so the
    variable must not override it (it would override --api-key)."""
    from typer.testing import CliRunner

    import safealign.cli.monitor_cmd as monitor_cmd
    import safealign.monitor
    import safealign.serve
    from safealign.cli.main import app as cli

    db = f"sqlite:///{tmp_path}/m.db"
    monkeypatch.setenv(KEY_ENV, "from-env")
    make = create_gateway
    config = MonitorConfig(upstream="http://127.0.0.1:9", db=db, api_key="from-config")
    assert make(config, judges=FakeJudges(), start_worker=False).state.api_key == "from-config"
    config = MonitorConfig(upstream="http://127.0.0.1:9", db=db)
    assert make(config, judges=FakeJudges(), start_worker=False).state.api_key == "from-env"

    apps = []
    monkeypatch.setattr(
        safealign.monitor,
        "create_gateway",
        lambda config: apps.append(make(config, judges=FakeJudges(), start_worker=False)) or apps[-1],
    )
    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: None)
    monkeypatch.setattr(monitor_cmd, "check_can_listen", lambda host, port: None)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"monitor:\n  upstream: http://127.0.0.1:9\n  db: {db}\n  api_key: from-recipe\n")
    for args, key in (
        (["--recipe", str(recipe)], "from-env"),
        (["--recipe", str(recipe), "--api-key", "from-flag"], "from-flag"),
    ):
        result = CliRunner().invoke(cli, ["monitor", *args])
        assert result.exit_code == 0, result.output
        assert apps[-1].state.api_key == key
