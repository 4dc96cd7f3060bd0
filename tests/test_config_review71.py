"""Recipe checks reviewed in the seventy-first session: the monitor's URL refusals name their field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from safealign.cli.main import app as cli
from safealign.config import parse_recipe
from safealign.config.recipe import read_yaml
from safealign.config.sections import MonitorConfig
from safealign.errors import RecipeError


def _parse(text: str):
    return parse_recipe(read_yaml(text, "recipe.yaml", keep_empty=True), "recipe.yaml")


def _said(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (
            ["monitor", "--upstream", "localhost:8000", "--worker", "none"],
            "--upstream 'localhost:8000': upstream",
        ),
        (["monitor", "judge", "--webhook", "localhost:9", "--once"], "--webhook 'localhost:9': webhook"),
    ],
)
def test_a_bad_url_on_the_command_line_is_named_by_its_option(
    args: list[str], shown: str, tmp_path: Path
) -> None:
    # it read "(top level) = {...}: upstream ...": the URL check was the whole section's, not the field's
    result = CliRunner().invoke(cli, [*args, "--db", f"sqlite:///{tmp_path}/m.db"])
    assert result.exit_code == 2, result.exception
    assert shown in _said(result) and "give one like http://127.0.0.1:8000" in _said(result)
    assert "(top level)" not in result.output and "Traceback" not in result.output


def test_a_bad_webhook_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["monitor", "judge", "--once", "--db", f"sqlite:///{tmp_path}/m.db"],
        env={"SAFEALIGN_MONITOR_WEBHOOK": "al:s3cret@hooks.example:80"},
    )
    assert result.exit_code == 2, result.exception
    assert "--webhook ($SAFEALIGN_MONITOR_WEBHOOK) 'al:***@hooks.example:80': webhook" in _said(result)
    assert "s3cret" not in result.output


def test_bad_urls_in_a_recipe_are_each_named_by_their_field() -> None:
    with pytest.raises(RecipeError) as error:
        _parse("monitor: {upstream: 'localhost:8000', webhook: 'ftp://hooks.example'}")
    said = str(error.value)
    assert "2 problem(s)" in said and "monitor = {...}" not in said
    assert "monitor.upstream = 'localhost:8000': upstream 'localhost:8000' is not an http://" in said
    assert "monitor.webhook = 'ftp://hooks.example': webhook 'ftp://hooks.example' is not an http://" in said


@pytest.mark.parametrize(
    "url", ["bob:s3cret@host:8000/v1", "http://bob:s3cret@host:port/v1", "http://bob:s3cret@[::1/v1"]
)
def test_a_refused_url_is_shown_without_its_password(url: str) -> None:
    # the section's "{...}" hid the value; named by its field, the value is quoted back, its password starred as the
    # check's own message stars it
    for field in ("upstream", "webhook"):
        with pytest.raises(RecipeError, match=rf"monitor\.{field} = '(http://)?bob:\*\*\*@") as error:
            _parse(f"monitor: {{{field}: '{url}'}}")
        assert "s3cret" not in str(error.value)


def test_an_alerts_files_refused_webhook_is_shown_without_its_password(tmp_path: Path) -> None:
    from safealign.monitor.alerts import load_alert_config

    alerts = tmp_path / "alerts.yaml"
    alerts.write_text("webhook: 'al:s3cret@hooks.example:80'\nrules: []\n")
    with pytest.raises(RecipeError, match=r"webhook = 'al:\*\*\*@hooks\.example:80': webhook") as error:
        load_alert_config(alerts)
    assert "s3cret" not in str(error.value)


@pytest.mark.parametrize(
    ("upstream", "kept"),
    [
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000"),
        ("https://models.example/v1/chat/completions", "https://models.example"),
        ("http://[::1]:8001", "http://[::1]:8001"),
    ],
)
def test_the_urls_taken_before_are_taken_as_before(upstream: str, kept: str) -> None:
    config = MonitorConfig(upstream=upstream, webhook="https://hooks.example/T0/B1?token=x")
    assert config.upstream == kept and config.webhook == "https://hooks.example/T0/B1?token=x"


def test_the_upstream_is_checked_after_its_v1_is_dropped() -> None:
    # as before: "http:///v1" has no host once "/v1" goes, and "/v1" alone is nothing
    for upstream in ("http:///v1", "/v1"):
        with pytest.raises(ValidationError, match="is not an http:// or https:// URL"):
            MonitorConfig(upstream=upstream)


@pytest.mark.parametrize(
    ("db", "shown"),
    [
        ("mysql://u:s3cret@h/db", "--db 'mysql://u:***@h/db': db must be a sqlite:/// or postgresql:// URL"),
        ("sqlite://", "--db 'sqlite://': db 'sqlite://' is an in-memory SQLite database"),
    ],
)
def test_a_bad_database_url_on_the_command_line_is_named_by_its_option(db: str, shown: str) -> None:
    # it read "(top level) = {...}: db must be ...", as upstream and webhook did
    result = CliRunner().invoke(cli, ["monitor", "judge", "--once", "--db", db])
    assert result.exit_code == 2, result.exception
    assert shown in _said(result) and "(top level)" not in result.output and "s3cret" not in result.output


def test_a_bad_database_url_in_a_recipe_is_named_by_its_field() -> None:
    with pytest.raises(RecipeError, match=r"monitor\.db = 'u:\*\*\*@h/db': db must be a sqlite:///") as error:
        _parse("monitor: {db: 'u:s3cret@h/db'}")
    assert "s3cret" not in str(error.value)
    for db in ("sqlite:///runs/m.db", "postgresql://u:p@h/db", "sqlite:///file.db?mode=ro"):
        assert MonitorConfig(db=db).db == db
