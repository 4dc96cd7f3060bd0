"""Review of the monitor's worker and exports (session 75): each test reproduces one defect found."""

from __future__ import annotations

import sqlalchemy as sa
from test_monitor_review68 import DownJudges

from safealign.monitor import queries
from safealign.monitor.store import Store, judge_queue
from safealign.monitor.worker import JudgeWorker


def _queue(store: Store, prompts) -> list[int]:
    return store.insert_exchanges(
        [{"prompt": p, "response": "ok", "status": "queued", "queue": True} for p in prompts]
    )


def _harmful(eid: int) -> dict:
    return {"exchange_id": eid, "harmful": True, "refused": False, "request_harmful": True, "verdicts": []}


def test_the_flagged_export_paged_by_since_id_keeps_an_exchange_judged_harmful_late(tmp_path) -> None:
    """Exchange 2 judged harmful before exchange 1 (1's batch retried after its lease, or another worker's): the flagged
    export gave 2, the exporter asked since_id=2 next, and 1, judged harmful after, was never exported. The flagged
    export stops before the oldest exchange still queued, so the cursor never passes one still to be judged."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    ids = _queue(store, ("q0", "q1", "q2"))
    lease = store.claim(3)[0]["lease"]
    store.complete([_harmful(ids[1])], lease=lease)
    first = [r["id"] for r in queries.export_exchanges(store, 0, flagged_only=True)]
    assert first == []  # exchange 1 is still queued
    store.complete([_harmful(ids[0])], lease=lease)
    first = [r["id"] for r in queries.export_exchanges(store, 0, flagged_only=True)]
    assert first == ids[:2]  # exchange 3, still queued, holds nothing back below it
    store.complete([_harmful(ids[2])], lease=lease)
    assert [r["id"] for r in queries.export_exchanges(store, first[-1], flagged_only=True)] == ids[2:]
    # the unflagged export is as before: every exchange, queued ones included
    assert [r["id"] for r in queries.export_exchanges(store, 0)] == ids


def _run_for(worker: JudgeWorker, rounds: int) -> list[float]:
    """Run the worker's loop in this thread for ``rounds`` rounds; the waits it asked for between them."""
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) == rounds:
            worker._stop.set()
        return worker._stop.is_set()

    worker._stop.clear()
    worker._stop.wait = wait  # type: ignore[method-assign]
    worker._run()
    return waits


def test_the_running_worker_backs_off_while_the_judges_are_down(tmp_path, caplog) -> None:
    """With the grader down, the worker leased batch after batch, each failing twice (itself and the plain exchange that
    tells an outage) 0.05 s apart: a grader that times out took minutes a batch, and the whole backlog was leased. It
    leases nothing while the judges are down, tries the plain exchange at waits that double, says so once, and judges
    the backlog when they are back."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, [f"q{i}" for i in range(25)])
    judges, calls = DownJudges(), []
    down = judges.harm.judge
    judges.harm.judge = lambda prompts, responses: calls.append(len(prompts)) or down(prompts, responses)
    worker = JudgeWorker(store, judges, batch_size=10, idle_s=1.0)
    with caplog.at_level("WARNING"):
        waits = _run_for(worker, 9)
    assert calls == [10] + [1] * 9, "the batch and the plain exchange, then the plain exchange alone each round"
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]  # up to OUTAGE_WAIT_MAX_S
    assert caplog.text.count("waiting for the judges to come back") == 1
    assert store.waiting() == 15 and store.backlog() == 25  # one batch leased, its attempt not counted
    with store.engine.connect() as conn:
        assert set(conn.execute(sa.select(judge_queue.c.attempts)).scalars()) == {0}
    judges.down = False
    with store.engine.begin() as conn:  # the outage batch's lease ran out
        conn.execute(judge_queue.update().values(claimed_until=None))
    with caplog.at_level("WARNING"):
        _run_for(worker, 4)
    assert "the judges answer again" in caplog.text and not worker.judges_down
    assert store.backlog() == 0 and worker.judged == 25
