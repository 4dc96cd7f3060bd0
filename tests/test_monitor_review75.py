"""Review of the monitor's worker and exports (session 75): each test reproduces one defect found."""

from __future__ import annotations

from safealign.monitor import queries
from safealign.monitor.store import Store


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
