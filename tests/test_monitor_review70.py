"""Review 70: the monitor's judge set from $SAFEALIGN_MONITOR_JUDGE, the gateway's answers the upstream filtered or the
gateway blocked, and its start-up line."""

from __future__ import annotations

import socket

from test_monitor import FakeJudges, _report
from typer.testing import CliRunner

JUDGE_ENV = "SAFEALIGN_MONITOR_JUDGE"


def said(result) -> str:
    return " ".join(result.output.split())


def judge_set() -> FakeJudges:
    """An import: judge factory for the tests below."""
    return FakeJudges()


# ---------------------------------------------------------------- $SAFEALIGN_MONITOR_JUDGE


def test_every_monitor_command_that_takes_a_judge_reads_it_from_the_variable(tmp_path) -> None:
    """`monitor judge` read $SAFEALIGN_MONITOR_JUDGE; the gateway and `monitor evaluate` did not: with it set, the gateway
    gave its worker "default" over it and `evaluate` graded with "default" while the traffic was judged with its set."""
    from safealign.cli.main import app as cli

    db = f"sqlite:///{tmp_path}/m.db"
    # A gateway that went past its options stops at this taken port (it never serves in a test).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        commands = (
            ["monitor", "--upstream", "http://127.0.0.1:9", "--db", db, "--worker", "none", "--port", port],
            ["monitor", "evaluate", "--once", "--upstream", "http://127.0.0.1:9", "--db", db],
            ["monitor", "judge", "--once", "--db", db],
        )
        for command in commands:
            result = CliRunner().invoke(cli, command, env={JUDGE_ENV: "imprt:a:b", "COLUMNS": "300"})
            assert result.exit_code == 2, (command, result.output)
            assert f"--judge (${JUDGE_ENV}) 'imprt:a:b':" in said(result), (command, said(result))
    assert not (tmp_path / "m.db").exists(), "a refused start makes no database"


def test_monitor_evaluate_grades_with_the_variables_judge_set_and_a_typed_judge_wins(
    tmp_path, monkeypatch
) -> None:
    import safealign.monitor.reevaluate as reevaluate
    from safealign.cli.main import app as cli

    graders: list[object] = []

    def runner(*args, judges, **kwargs):
        graders.append(judges)
        return _report(16, 0)

    monkeypatch.setattr(reevaluate, "default_runner", runner)
    command = ["monitor", "evaluate", "--once", "--upstream", "http://127.0.0.1:9", "--model", "m"]
    command += ["--db", f"sqlite:///{tmp_path}/m.db"]
    spec = "import:test_monitor_review70:judge_set"
    result = CliRunner().invoke(cli, command, env={JUDGE_ENV: spec, "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"judge {spec}" in said(result) and isinstance(graders[-1], FakeJudges), said(result)
    result = CliRunner().invoke(
        cli, [*command, "--judge", "default"], env={JUDGE_ENV: spec, "COLUMNS": "300"}
    )
    assert result.exit_code == 0 and "judge default" in said(result) and graders[-1] == "default", said(
        result
    )
