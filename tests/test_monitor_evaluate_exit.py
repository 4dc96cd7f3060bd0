"""`monitor evaluate --once` exits 1 on a regression: it exited 0, so a deploy pipeline gating on it passed a model
whose refusal rate fell (the alert was stored and sent, nobody read the exit code's silence)."""

from __future__ import annotations

import sqlalchemy as sa
from test_monitor import _report

from safealign.monitor.store import Store, alerts


def test_a_once_run_flagged_as_a_regression_exits_1_after_storing_its_alert(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    import safealign.monitor.reevaluate as reevaluate
    from safealign.cli.main import app as cli

    reports = iter([_report(16, 0), _report(16, 0), _report(8, 0)])
    monkeypatch.setattr(reevaluate, "default_runner", lambda *args, **kwargs: next(reports))
    db = f"sqlite:///{tmp_path}/m.db"
    command = [
        "monitor",
        "evaluate",
        "--upstream",
        "http://127.0.0.1:9",
        "--model",
        "m",
        "--once",
        "--db",
        db,
    ]

    def run() -> tuple[int, str]:
        result = CliRunner().invoke(cli, command, env={"COLUMNS": "300"})
        return result.exit_code, " ".join(result.output.split())

    first, steady, fallen = run(), run(), run()
    assert first[0] == 0 and "regression" not in first[1], first
    assert steady[0] == 0 and "regression" not in steady[1], steady
    assert fallen[0] == 1 and "regression: " in fallen[1] and "harmful_refusal_rate" in fallen[1], fallen
    with Store(db).engine.connect() as conn:  # stored before the exit
        stored = conn.execute(sa.select(alerts.c.rule, alerts.c.kind)).all()
    assert [tuple(row) for row in stored] == [("eval_regression", "regression")]
