"""The `safealign monitor` commands' errors: URLs quoted without their passwords, and `monitor judge --once` on a
database that is not there."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        # a postgres:// scheme (Heroku's spelling) is refused, and the refusal quoted the whole URL
        ["monitor", "--upstream", "http://127.0.0.1:9", "--db", "postgres://bob:hunter2@db.example/monitor"],
        ["monitor", "judge", "--once", "--db", "postgres://bob:hunter2@db.example/monitor"],
        ["monitor", "--upstream", "htp://bob:hunter2@127.0.0.1:8000"],
        ["monitor", "--upstream", "http://127.0.0.1:9", "--webhook", "ftp://bot:hunter2@hooks.example/x"],
        # without a scheme: not in URL form, but the same password
        ["monitor", "evaluate", "--once", "--upstream", "bob:hunter2@127.0.0.1:8000"],
        ["monitor", "--upstream", "http://127.0.0.1:9", "--db", "bob:hunter2@db.example/monitor"],
    ],
)
def test_a_refused_url_is_quoted_without_its_password(command):
    result = runner.invoke(app, command)
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and ("bob:***@" in said or "bot:***@" in said), said
    assert "hunter2" not in result.output


@pytest.mark.sqlite_only  # a missing SQLite file; a PostgreSQL database is made by its server, not by opening it
def test_judge_once_on_a_database_that_is_not_there_fails_and_makes_none(tmp_path, monkeypatch):
    # from another folder, the default sqlite:///runs/monitor.db made a new, empty database there and said "judged 0
    # exchanges", exit 0: a cron job with the wrong folder or a typo in --db passed every time, judging nothing
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["monitor", "judge", "--once"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and f"{tmp_path / 'runs'} does not exist" in said, said
    assert "judged 0" not in said and list(tmp_path.iterdir()) == []


def test_judge_once_on_an_existing_empty_database_still_judges_nothing_and_exits_0(tmp_path):
    from safealign.monitor.store import Store

    db = f"sqlite:///{tmp_path}/m.db"
    Store(db).close()
    result = runner.invoke(app, ["monitor", "judge", "--once", "--db", db])
    assert result.exit_code == 0 and "judged 0 exchanges" in result.output, result.output


def test_the_chat_paths_405_says_which_method_it_takes(tmp_path):
    # the proxied path answers outside FastAPI's router, whose 405s (GET /admin/purge) carry Allow; this one had none
    from fastapi.testclient import TestClient
    from test_monitor import FakeJudges

    from safealign.config.sections import MonitorConfig
    from safealign.monitor import create_gateway

    config = MonitorConfig(upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", api_key="k")
    with TestClient(create_gateway(config, judges=FakeJudges(), start_worker=False)) as client:
        answer = client.get("/v1/chat/completions")
        assert answer.status_code == 405 and answer.headers["allow"] == "POST", answer.headers
        assert answer.json()["error"]["type"] == "method_not_allowed"
        assert client.get("/admin/purge").headers["allow"] == "POST"  # as the router's own
