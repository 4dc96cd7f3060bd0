"""Review 65: the training mixture, the monitor's exchange writer and the reward-hacking callback."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from safealign.config import HackingConfig
from safealign.corpus import build_mixture
from safealign.errors import DataError
from safealign.monitor.store import Store
from safealign.monitor.writer import ExchangeWriter
from safealign.training.hacking_callback import HackingCallback, stopped_by_alert

# --- the mixture ---


def chat_file(path: Path, rows: int) -> str:
    path.write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"q{i}"},
                        {"role": "assistant", "content": f"a{i}"},
                    ]
                }
            )
            + "\n"
            for i in range(rows)
        )
    )
    return str(path)


@pytest.mark.parametrize("fraction", [-0.5, math.nan, math.inf])
def test_a_fraction_that_is_no_number_at_least_0_is_refused_naming_its_file(
    tmp_path: Path, fraction: float
) -> None:
    # A negative fraction left its file out without a word (as a 0 does); NaN and inf failed with "cannot convert float
    # NaN to integer", naming neither the file nor the fix.
    kept, named = chat_file(tmp_path / "kept.jsonl", 4), chat_file(tmp_path / "named.jsonl", 4)
    with pytest.raises(DataError, match="finite numbers >= 0") as error:
        build_mixture({kept: 1.0, named: fraction}, seed=0)
    assert named in str(error.value)
    assert len(build_mixture({kept: 1.0, named: 0}, seed=0).rows) == 4  # 0 still leaves a file out


# --- the reward-hacking callback ---

STOPPING = HackingConfig(window=3, stop_on_critical=True)
# the length and the reward rise all along; the accuracy reward rises with them (a warning), then falls back (critical)
ESCALATING = [
    {
        "step": s + 1,
        "completions/mean_length": 100.0 * (s + 1),
        "reward": 0.1 * (s + 1),
        "rewards/accuracy/mean": a,
    }
    for s, a in enumerate([0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1])
]


def log_rows(callback: HackingCallback, rows: list[dict], history: list[dict] | None = None) -> list[int]:
    """Log ``rows`` one by one through the callback (after ``history``, a resumed stage's); the steps it stopped at."""
    state = SimpleNamespace(log_history=list(history or []), global_step=0, is_world_process_zero=True)
    stops = []
    for row in rows:
        state.global_step = row["step"]
        state.log_history.append(row)
        control = SimpleNamespace(should_training_stop=False)
        callback.on_log(None, state, control, logs={k: v for k, v in row.items() if k != "step"})
        if control.should_training_stop:
            stops.append(row["step"])
    return stops


def alert_rows(stage: Path) -> list[tuple[str, str, int]]:
    rows = [json.loads(line) for line in (stage / "alerts.jsonl").read_text().splitlines()]
    return [(a["detector"], a["severity"], a["step"]) for a in rows]


def test_a_detector_that_turns_critical_after_a_warning_alerts_again_and_stops_the_stage(
    tmp_path: Path,
) -> None:
    # length_blowup warned at step 6 (the accuracy reward rose too); at step 9 the accuracy had fallen back, the
    # critical case, and nothing fired: the warning had spent the detector, and stop_on_critical never stopped.
    assert log_rows(HackingCallback(STOPPING, tmp_path), ESCALATING) == [9]
    assert alert_rows(tmp_path) == [("length_blowup", "warning", 6), ("length_blowup", "critical", 9)]
    assert stopped_by_alert(tmp_path, tmp_path / "checkpoint-9", STOPPING)


def test_a_resumed_stage_keeps_the_level_each_detector_alerted_at(tmp_path: Path) -> None:
    # Resumed after the warning: the critical alert still comes; resumed after the critical one: nothing again.
    log_rows(HackingCallback(STOPPING, tmp_path), ESCALATING[:6])
    resumed = HackingCallback(STOPPING, tmp_path)
    resumed.on_train_begin(None, SimpleNamespace(global_step=6, is_world_process_zero=True), None)
    assert log_rows(resumed, ESCALATING[6:], history=ESCALATING[:6]) == [9]
    again = HackingCallback(STOPPING, tmp_path)
    again.on_train_begin(None, SimpleNamespace(global_step=9, is_world_process_zero=True), None)
    assert log_rows(again, [{**ESCALATING[-1], "step": 10}], history=ESCALATING) == []
    assert alert_rows(tmp_path) == [("length_blowup", "warning", 6), ("length_blowup", "critical", 9)]


# --- the exchange writer ---


def write_batch(store: Store, rows: list[dict]) -> list:
    """``rows`` written in one loop tick (one batch), each request's id or exception."""
    writer = ExchangeWriter(store)
    writer.start()

    async def write_all() -> list:
        return await asyncio.gather(*[writer.write(row) for row in rows], return_exceptions=True)

    try:
        return asyncio.run(write_all())
    finally:
        writer.stop()


def test_a_database_that_stays_locked_fails_a_batch_after_one_retry_not_one_per_row(tmp_path: Path) -> None:
    # A SQLite file locked past the 30 s wait: the failed batch was retried row by row, each row waiting 30 s again,
    # so 10 requests (and every request behind them) waited 11 x 30 s for their 503.
    store = Store(f"sqlite:///{tmp_path}/m.db")
    calls = []

    def locked(rows, conn=None):
        calls.append(len(rows))
        raise sa.exc.OperationalError("INSERT INTO exchanges", {}, Exception("database is locked"))

    store.insert_exchanges = locked
    outcomes = write_batch(store, [{"prompt": f"p{i}", "status": "queued"} for i in range(10)])
    assert all(isinstance(o, sa.exc.OperationalError) for o in outcomes)
    assert calls == [10, 1], "the batch, then one row; the other nine fail with it"


def test_a_batch_that_failed_once_is_stored_row_by_row(tmp_path: Path) -> None:
    # The retry row by row stays for a failure that passes (a dropped connection): every row is stored.
    store = Store(f"sqlite:///{tmp_path}/m.db")
    insert, failures = store.insert_exchanges, iter([True])

    def flaky(rows, conn=None):
        if next(failures, False):
            raise sa.exc.OperationalError(
                "INSERT INTO exchanges", {}, Exception("server closed the connection")
            )
        return insert(rows, conn)

    store.insert_exchanges = flaky
    outcomes = write_batch(store, [{"prompt": f"p{i}", "status": "queued", "queue": True} for i in range(5)])
    assert all(isinstance(o, int) for o in outcomes) and len(set(outcomes)) == 5
    assert store.backlog() == 5


def test_a_bad_row_still_fails_alone_among_rows_after_it(tmp_path: Path) -> None:
    # A row's own error (text SQLite cannot encode) is not the database's: the rows after it are still tried.
    store = Store(f"sqlite:///{tmp_path}/m.db")
    rows = [
        {"prompt": "bad \ud800", "status": "queued"},
        *({"prompt": f"p{i}", "status": "queued"} for i in range(3)),
    ]
    outcomes = write_batch(store, rows)
    assert isinstance(outcomes[0], Exception) and all(isinstance(o, int) for o in outcomes[1:])
