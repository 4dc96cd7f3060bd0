"""Recipe checks added in the sixty-ninth session's review: "~" in the monitor's files, dates in text fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from safealign.config import parse_recipe
from safealign.config.recipe import read_yaml
from safealign.config.sections import MonitorConfig
from safealign.errors import RecipeError


def _parse(text: str):
    return parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")


def test_monitor_sqlite_database_under_home_is_the_home_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLAlchemy keeps the "~" of sqlite:///~/monitor.db as a folder's name: the store made ./~/ and kept the
    # exchanges there
    monkeypatch.setenv("HOME", str(tmp_path))
    recipe = _parse("monitor: {db: 'sqlite:///~/monitor/m.db?timeout=5'}")
    assert recipe.monitor.db == f"sqlite:///{tmp_path}/monitor/m.db?timeout=5"
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    from safealign.monitor.store import create_db_engine

    create_db_engine(recipe.monitor.db).dispose()
    assert (tmp_path / "monitor").is_dir()
    assert not (tmp_path / "cwd" / "~").exists()


def test_monitor_sqlite_database_of_an_unknown_users_home_is_refused() -> None:
    with pytest.raises(
        ValidationError, match="no user's home folder here: give the database file's full path"
    ):
        MonitorConfig(db="sqlite:///~no-such-user-69/monitor.db")


def test_monitor_database_without_a_home_folder_is_kept_as_written() -> None:
    for db in ("sqlite:///runs/monitor.db", "sqlite:////srv/m.db", "postgresql://u@h/db~1"):
        assert MonitorConfig(db=db).db == db


def test_monitor_alerts_file_under_home_is_the_home_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kept as written, the monitor looked for ./~/alerts.yaml and refused to start
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _parse("monitor: {alerts: ~/alerts.yaml}").monitor.alerts == str(tmp_path / "alerts.yaml")
    assert MonitorConfig(alerts="recipes/monitor_alerts.yaml").alerts == "recipes/monitor_alerts.yaml"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("name: 2026-12-07", "name = datetime.date(2026, 12, 7)"),
        ("model: {system_prompt: 2026-12-07 10:30:00}", "model.system_prompt = datetime.datetime("),
        ("eval: {suites: [harmful, 2026-12-07]}", "eval.suites.1 = datetime.date(2026, 12, 7)"),
    ],
)
def test_an_unquoted_date_in_a_text_field_says_to_quote_it(text: str, shown: str) -> None:
    # a run named by its date failed with "Input should be a valid string" and no word of YAML's date reading
    with pytest.raises(RecipeError) as caught:
        _parse(text)
    assert shown in str(caught.value)
    assert "YAML read the unquoted value as a date: put it in quotes" in str(caught.value)


@pytest.mark.parametrize(
    ("upstream", "host", "port"),
    [
        ("http://127.0.0.1:8080/v1", "127.0.0.1", 8080),
        ("http://localhost:8080", "127.0.0.1", 8080),
        ("http://127.0.0.1:9000", "0.0.0.0", 9000),
        ("http://[::1]:8080", "::1", 8080),
        ("http://127.0.0.1", "localhost", 80),
    ],
)
def test_monitor_upstream_that_is_the_gateway_itself_is_refused(upstream: str, host: str, port: int) -> None:
    # each request was forwarded back to the gateway until upstream_timeout_s (300 s) ran out, then answered 502,
    # with an upstream error stored for every pass through
    with pytest.raises(RecipeError, match="is this gateway itself"):
        _parse(f"monitor: {{upstream: '{upstream}', host: '{host}', port: {port}}}")


@pytest.mark.parametrize(
    ("upstream", "host", "port"),
    [
        ("http://127.0.0.1:8000/v1", "127.0.0.1", 8080),  # `safealign serve`'s port
        ("http://10.0.0.5:8080", "127.0.0.1", 8080),  # another machine's server on the same port
        ("http://gpu-box:8080", "0.0.0.0", 8080),
    ],
)
def test_monitor_upstream_elsewhere_is_kept(upstream: str, host: str, port: int) -> None:
    assert MonitorConfig(upstream=upstream, host=host, port=port).port == port


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://[::1]:8000/v1", "http://[::1]:8000/…"),
        ("postgresql://u:pw@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db"),
        ("http://[::1]", "http://[::1]"),
    ],
)
def test_redacted_ipv6_url_keeps_its_brackets(url: str, shown: str) -> None:
    # "http://::1:8000" reads as host ":" and port "1:8000"; `eval --endpoint` records this form in its results
    from safealign.config.base import redact_url

    assert redact_url(url) == shown
