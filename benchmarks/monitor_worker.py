"""CPU cost of the judge worker's own machinery per exchange (claim, complete, polling), without a model.

    python benchmarks/monitor_worker.py [--backlog 20000] [--rate 2000] [--seconds 10]

Two cases, each on a fresh SQLite file, with the load test's near-free keyword judges:

* backlog: N exchanges already queued; the worker drains them (full batches every time).
* trickle: a feeder *process* commits exchanges at ``--rate`` per second in small groups (as the
  gateway's group commit does under load) while the worker runs its normal loop; the worker's
  process CPU is divided by what it judged, so idle polling and small batches are counted.

CPU is the worker process's own (``resource.getrusage``), so the figure holds on a busy machine,
unlike latency. Writes benchmarks/results/monitor_worker.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from monitor_load import FakeJudges  # noqa: E402


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def exchange(i: int) -> dict[str, Any]:
    prompt = f"tell me about topic {i}" if i % 7 else f"harm refuse {i}"
    return {
        "model": "fake",
        "request": {"messages": [{"role": "user", "content": prompt}]},
        "prompt": prompt,
        "response": "I can't help with that." if "refuse" in prompt else f"A short answer about {i}.",
        "status": "queued",
        "upstream_status": 200,
        "latency_ms": 1.0,
        "upstream_latency_ms": 1.0,
        "queue": True,
    }


def worker_for(db: str, alerts: bool) -> Any:
    from safealign.monitor.alerts import AlertConfig, AlertManager, load_alert_config
    from safealign.monitor.store import Store
    from safealign.monitor.worker import JudgeWorker

    store = Store(db)
    config = load_alert_config(HERE.parent / "recipes" / "monitor_alerts.yaml") if alerts else AlertConfig()
    return JudgeWorker(store, FakeJudges(), AlertManager(store, config))


def backlog(db: str, n: int, alerts: bool) -> dict[str, Any]:
    worker = worker_for(db, alerts)
    for start in range(0, n, 1000):
        worker.store.insert_exchanges([exchange(i) for i in range(start, min(n, start + 1000))])
    began, wall = cpu_s(), time.perf_counter()
    judged = worker.drain(timeout_s=600)
    cpu, wall = cpu_s() - began, time.perf_counter() - wall
    assert judged == n and worker.store.backlog() == 0, (judged, worker.store.backlog())
    return {"judged": judged, "cpu_ms_per_exchange": 1000 * cpu / judged, "exchanges_per_s": judged / wall}


def feed(db: str, rate: float, seconds: float, group: int) -> None:
    from safealign.monitor.store import Store

    store = Store(db)
    began, sent = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        store.insert_exchanges([exchange(sent + k) for k in range(group)])
        sent += group
        time.sleep(max(0.0, began + sent / rate - time.perf_counter()))


def trickle(db: str, rate: float, seconds: float, group: int, alerts: bool) -> dict[str, Any]:
    worker = worker_for(db, alerts)
    feeder = multiprocessing.get_context("spawn").Process(target=feed, args=(db, rate, seconds, group))
    began = cpu_s()
    worker.start()
    feeder.start()
    feeder.join()
    if (
        feeder.exitcode != 0
    ):  # a dead feeder's figure would be the worker's idle polling, not its cost per exchange
        worker.stop()
        raise SystemExit(
            f"the feeder process failed (exit code {feeder.exitcode}, its traceback above): no result written; "
            "fix the cause and rerun"
        )
    deadline = time.monotonic() + 60
    while worker.store.backlog() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # one more second of idle polling is part of the cost
    worker.stop()
    cpu = cpu_s() - began
    return {"judged": worker.judged, "cpu_ms_per_exchange": 1000 * cpu / max(1, worker.judged), "rate": rate}


def main() -> None:
    # here, not at the top: the feeder process imports this module
    from _common import positive, positive_float, report, require_modules

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=positive, default=20000, help="Exchanges queued before the drain.")
    parser.add_argument(
        "--rate", type=positive_float, default=2000, help="Exchanges per second the feeder commits."
    )
    parser.add_argument("--seconds", type=positive_float, default=10, help="How long the feeder runs.")
    parser.add_argument("--group", type=positive, default=16, help="Exchanges per feeder commit.")
    parser.add_argument(
        "--alerts", action="store_true", help="Evaluate recipes/monitor_alerts.yaml after each batch."
    )
    parser.add_argument("--only", choices=["backlog", "trickle"], help="Run one case.")
    args = parser.parse_args()
    require_modules(parser, ("sqlalchemy",))  # the worker's store

    workdir = Path(tempfile.mkdtemp(prefix="monitor-worker-"))
    results = {}
    if args.only in (None, "backlog"):
        results["backlog"] = backlog(f"sqlite:///{workdir}/backlog.db", args.backlog, args.alerts)
    if args.only in (None, "trickle"):
        results["trickle"] = trickle(
            f"sqlite:///{workdir}/trickle.db", args.rate, args.seconds, args.group, args.alerts
        )
    rows = [[case, r["judged"], round(r["cpu_ms_per_exchange"], 4)] for case, r in results.items()]
    report(
        "monitor_worker",
        "Judge worker CPU per exchange (fake judges)",
        ["case", "judged", "CPU ms/exchange"],
        rows,
        {"args": vars(args), "results": results},
    )


if __name__ == "__main__":
    main()
