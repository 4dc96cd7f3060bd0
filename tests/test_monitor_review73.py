"""Review 73: the monitor's store, worker and alerts."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa
from sqlalchemy import event

from safealign.monitor.store import Store, utcnow

# ---------------------------------------------------------------- the retention purge against a completing worker


def test_a_purge_racing_a_worker_that_completes_the_same_old_exchange_deletes_it_with_its_verdicts(
    tmp_path,
) -> None:
    """On PostgreSQL (tests/postgres_plugin.py) the purge deleted an old exchange's verdicts, then waited on its queue row
    while a worker completed it: the verdicts that worker wrote meanwhile failed the exchange's delete on their foreign
    key (IntegrityError), and the whole purge with it. On SQLite the write lock keeps them apart either way."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    old = utcnow() - dt.timedelta(days=40)
    [eid] = store.insert_exchanges(
        [{"created_at": old, "prompt": "p", "response": "r", "status": "queued", "queue": True}]
    )
    [row] = store.claim(10)
    verdict = {"role": "harm", "judge": "j", "label": "safe", "score": 0.0, "explanation": ""}
    result = {
        "exchange_id": eid,
        "harmful": False,
        "refused": False,
        "request_harmful": False,
        "verdicts": [verdict],
    }
    on_sqlite = store.engine.dialect.name == "sqlite"
    purging, purged, errors = threading.Event(), [], []

    @event.listens_for(store.engine, "before_cursor_execute")
    def purge_deletes(conn, cursor, statement, parameters, context, executemany) -> None:
        # the purge's delete of the queue rows is under way (on SQLite: its first delete, which waits for the lock)
        if threading.current_thread().name == "purge" and statement.startswith(
            "DELETE FROM" if on_sqlite else "DELETE FROM judge_queue"
        ):
            purging.set()

    def purge() -> None:
        try:
            purged.append(store.purge(30))
        except Exception as error:  # noqa: BLE001 - what the test reports
            errors.append(error)

    purger = threading.Thread(target=purge, name="purge")
    with store.engine.connect() as conn:

        @event.listens_for(conn, "commit")
        def purge_before_the_commit(_conn) -> None:
            purger.start()
            assert purging.wait(20), "the purge never reached its delete"

        owned, _ = store.complete([result], conn, lease=row["lease"])
    purger.join(30)
    assert owned == {eid}
    assert not errors, errors
    assert purged == [1]
    with store.engine.connect() as conn:
        for table in ("exchanges", "verdicts", "judge_queue"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    store.close()
