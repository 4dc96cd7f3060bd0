"""Review of the monitor's worker and exports (session 75): each test reproduces one defect found."""

from __future__ import annotations

import contextlib

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
    assert calls == [10] + [1] * 9, (
        "the batch and the plain exchange, then the plain exchange alone each round"
    )
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


class _Killed(KeyboardInterrupt):
    """What a worker killed while judging leaves behind (raised here, not killed): the batch leased, its attempt
    counted, nothing written."""


def _restart_and_judge(store: Store, judges) -> None:
    """A restarted gateway's worker on SQLite: the dead worker's leases freed, then a batch judged (or the worker
    killed again)."""
    store.release_leases()
    with contextlib.suppress(_Killed):
        JudgeWorker(store, judges).run_once()


def test_a_row_that_kills_the_worker_every_time_is_set_aside_and_the_others_judged(tmp_path) -> None:
    """A row whose judging killed the worker (out of memory, a segfault in a judge's library) was leased again at each
    restart, with its whole batch, forever: nothing more was judged. A row leased more than max_attempts times is judged
    alone, the others of its batch freed; killed alone too, it is set aside as judge_failed with why, and the queue
    moves on."""
    from test_monitor import rows_of
    from test_monitor_review68 import PanicJudges

    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("a", "odd", "b"))
    judges = PanicJudges(_Killed)
    for _restart in range(6):
        _restart_and_judge(store, judges)
    rows = rows_of(store)
    assert [(r["prompt"], r["status"]) for r in rows] == [
        ("a", "judged"),
        ("odd", "judge_failed"),
        ("b", "judged"),
    ]
    assert "the worker stopped while judging it" in rows[1]["judge_error"] and store.backlog() == 0
    assert rows[0]["judge_error"] is None and rows[2]["judge_error"] is None
    exported = list(queries.export_exchanges(store, 0))
    assert exported[1]["judge_error"] == rows[1]["judge_error"] and queries.totals(store)["judge_failed"] == 1


def test_rows_leased_many_times_by_an_older_worker_are_each_judged_alone_not_set_aside(tmp_path) -> None:
    """A crash loop under an older version left every row of the batch with many attempts: each is judged alone, and
    only a row whose lease alone ended with nothing written is set aside."""
    from test_monitor import FakeJudges, rows_of

    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("a", "b", "c"))
    with store.engine.begin() as conn:
        conn.execute(judge_queue.update().values(attempts=9))
    for _restart in range(3):
        _restart_and_judge(store, FakeJudges())
    assert [r["status"] for r in rows_of(store)] == ["judged"] * 3


def test_a_row_the_judges_raise_on_keeps_its_error_when_marked_judge_failed(tmp_path) -> None:
    """A judge_failed row kept no trace of why: the error was in the worker's log only."""
    from test_monitor import PoisonJudges, rows_of

    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("poison",))
    worker = JudgeWorker(store, PoisonJudges(), lease_s=0.0)
    for _ in range(3):
        worker.run_once()
    (row,) = rows_of(store)
    assert row["status"] == "judge_failed"
    assert (
        row["judge_error"]
        == "the judges raised on it 3 times; the last: RuntimeError: the judge cannot read this"
    )


def test_a_database_made_before_the_set_aside_columns_is_given_them(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    store = Store(url)
    with store.engine.begin() as conn:  # as the monitor made them before judge_error and alone_at
        conn.exec_driver_sql("ALTER TABLE exchanges DROP COLUMN judge_error")
        conn.exec_driver_sql("ALTER TABLE judge_queue DROP COLUMN alone_at")
    store.close()
    store = Store(url)
    inspector = sa.inspect(store.engine)
    assert "judge_error" in {c["name"] for c in inspector.get_columns("exchanges")}
    assert "alone_at" in {c["name"] for c in inspector.get_columns("judge_queue")}
    _queue(store, ("a",))
    assert [row["alone_at"] for row in store.claim(1)] == [None]
    store.close()


def test_a_database_that_keeps_failing_is_logged_once_not_every_second(tmp_path, caplog) -> None:
    """The running worker logged a traceback every second while its database was down (600 in ten minutes); it logs the
    failure once, a different one again, and says when it works again."""
    from test_monitor import FakeJudges

    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("a",))
    claim, errors = store.claim, ["connection refused"] * 4 + ["server closing"] * 3

    def failing_claim(*args, **kwargs):
        if errors:
            raise sa.exc.OperationalError("SELECT ...", {}, ConnectionError(errors.pop(0)))
        return claim(*args, **kwargs)

    store.claim = failing_claim  # type: ignore[method-assign]
    worker = JudgeWorker(store, FakeJudges())
    with caplog.at_level("WARNING"):
        waits = _run_for(worker, 9)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert [str(r.exc_info[1].orig) for r in tracebacks] == ["connection refused", "server closing"]
    assert waits[:7] == [1.0] * 7 and "working again after" in caplog.text and store.backlog() == 0
