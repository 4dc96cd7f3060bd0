"""Review 63 of the benchmark scripts: each number measures what its label says. Results go to a temporary folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


class _Clock:
    """A fake ``time`` module: ``sleep`` moves ``perf_counter`` on, nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Process:
    pid = 12345

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def poll(self) -> int:
        return 0


def test_monitor_crash_times_the_drain_from_the_restart(monkeypatch, tmp_path):
    """The row "queue drained after restart" started its clock only once the requests sent after the restart were
    answered: the judging the restarted worker did meanwhile (here 5 of the 6 s) was left out of it."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in ("_common", "monitor_load", "monitor_crash"):
        sys.modules.pop(name, None)
    import _common
    import monitor_crash

    monkeypatch.setattr(_common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    clock = _Clock()
    monkeypatch.setattr(monitor_crash, "time", clock)
    monkeypatch.setattr(monitor_crash, "start_upstream", lambda port: _Process())
    monkeypatch.setattr(monitor_crash, "start_gateway", lambda *args, **kwargs: _Process())
    monkeypatch.setattr(monitor_crash, "wait_ready", lambda url: None)
    monkeypatch.setattr(monitor_crash, "alive", lambda pid: False)
    restarted: list[float] = []

    async def load_and_kill(args, gateway, victim, children):
        children.append(4321)
        return [{"marker": "crash-0", "status": 200, "latency": 0.01, "acked": True}], 1.0

    async def after_restart(gateway, args):
        restarted.append(clock.now)
        clock.now += 5.0  # the 200 requests after the restart take 5 s; the worker judges all along
        return [{"marker": "restart-0", "status": 200, "latency": 0.01, "acked": True}]

    def audit(db_path):
        # the queue empties 6 s after the restart
        drained = bool(restarted) and clock.now >= restarted[0] + 6.0
        return {
            "stored": {"crash-0": "judged", "restart-0": "judged"},
            "queued": 0 if drained else 5,
            "verdict_counts": [3, 3],
        }

    monkeypatch.setattr(monitor_crash, "load_and_kill", load_and_kill)
    monkeypatch.setattr(monitor_crash, "_after_restart", after_restart)
    monkeypatch.setattr(monitor_crash, "audit", audit)
    monkeypatch.setattr(sys, "argv", ["monitor_crash.py"])

    monitor_crash.main()

    checks = json.loads((tmp_path / "results" / "monitor_crash.json").read_text())["checks"]
    assert 6.0 <= checks["queue drained after restart in (s)"] <= 6.25
    assert checks["restart to ready (s)"] <= checks["queue drained after restart in (s)"]
