"""Review of the monitor's judge worker and alerts: each test reproduces one defect found."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from test_monitor import FakeJudges, PoisonJudges, rows_of

import safealign.monitor.alerts as alerts_module
from safealign.monitor import queries
from safealign.monitor.alerts import AlertConfig, AlertManager, AlertRule, Notifier
from safealign.monitor.store import Store, judge_queue
from safealign.monitor.worker import JudgeWorker


class PanicException(BaseException):
    """What pyo3 raises on a Rust panic (a fast tokenizer on an odd input): a BaseException, not an Exception."""


class PanicJudges(FakeJudges):
    """The harm judge panics on any batch holding the prompt 'odd'."""

    def __init__(self, error: type[BaseException] = PanicException) -> None:
        super().__init__()
        judge = self.harm.judge

        def harm(prompts, responses):
            if any("odd" in p for p in prompts):
                raise error("called `Option::unwrap()` on a `None` value")
            return judge(prompts, responses)

        self.harm.judge = harm


def _queue(store: Store, prompts) -> None:
    store.insert_exchanges(
        [{"prompt": p, "response": "ok", "status": "queued", "queue": True} for p in prompts]
    )


def _statuses(store: Store) -> list[tuple[str, str]]:
    return [(r["prompt"], r["status"]) for r in rows_of(store)]


def test_a_row_the_judges_panic_on_is_marked_failed_not_a_crash_loop(tmp_path):
    """A judge raising a BaseException on one row (a tokenizer's Rust panic) escaped the worker: the row was never marked
    failed, the other rows were never judged, and each restart crashed on the same batch again."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("a", "odd", "b"))
    worker = JudgeWorker(store, PanicJudges(), lease_s=0.0)  # an expired lease: retried at once
    for _ in range(3):
        worker.run_once()
    assert _statuses(store) == [("a", "judged"), ("odd", "judge_failed"), ("b", "judged")]
    assert worker.failed == 1 and store.backlog() == 0


def test_a_stop_raised_inside_the_judges_is_not_blamed_on_the_row(tmp_path):
    """Ctrl-C during `monitor judge --once` stops it; the row being judged is not counted as a failure."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("odd",))
    worker = JudgeWorker(store, PanicJudges(KeyboardInterrupt), lease_s=0.0, max_attempts=1)
    with pytest.raises(KeyboardInterrupt):
        worker.run_once()
    assert _statuses(store) == [("odd", "queued")] and worker.failed == 0


class DownJudges(FakeJudges):
    """A grader that cannot be reached while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down, judge = True, self.harm.judge

        def harm(prompts, responses):
            if self.down:
                raise ConnectionError("[Errno 111] Connection refused")
            return judge(prompts, responses)

        self.harm.judge = harm


def test_a_judge_outage_does_not_mark_the_backlog_judge_failed(tmp_path, caplog):
    """A grader down for three leases (6 minutes at the default 120 s) marked every queued exchange judge_failed for
    good: each batch failed, each row failed alone too, and each lease used up one of its 3 attempts."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("q0", "q1", "q2"))
    judges = DownJudges()
    worker = JudgeWorker(store, judges, lease_s=0.0)  # each lease runs out at once, as 120 s do in an outage
    with caplog.at_level("ERROR"):
        for _ in range(5):
            assert worker.run_once() == 3
    assert (
        "the judges fail on a plain exchange too (ConnectionError" in caplog.text
        and "an outage" in caplog.text
    )
    assert worker.failed == 0 and worker.retrying == {1, 2, 3}
    with store.engine.connect() as conn:  # the outage's leases were not counted as attempts
        assert conn.execute(sa.select(judge_queue.c.attempts)).scalars().all() == [0, 0, 0]
    judges.down = False  # the grader is back
    assert worker.drain(timeout_s=10) == 3
    assert _statuses(store) == [("q0", "judged"), ("q1", "judged"), ("q2", "judged")] and not worker.retrying


def test_a_poison_row_alone_in_its_batch_is_still_marked_failed(tmp_path):
    """The outage check must not shield a bad row: the judges read the plain exchange, so the row is to blame."""
    store = Store(f"sqlite:///{tmp_path}/m.db")
    _queue(store, ("poison",))
    worker = JudgeWorker(store, PoisonJudges(), lease_s=0.0)
    for _ in range(3):
        worker.run_once()
    assert _statuses(store) == [("poison", "judge_failed")] and worker.failed == 1


class _Hook(Notifier):
    """A webhook receiver that is down until ``up`` is set; ``tries`` counts the deliveries tried."""

    def __init__(self) -> None:
        super().__init__("http://hooks.example.com/services/T0")
        self.up, self.tries, self.got = False, 0, []

    def _deliver(self, payload):
        self.tries += 1
        if self.up:
            self.got.append(payload)
        return self.up


def _manager(tmp_path, monkeypatch, resend_s: float) -> tuple[Store, _Hook, AlertManager]:
    monkeypatch.setattr(alerts_module, "metric_rate", lambda store, metric, window: (0.9, 10))  # it goes on
    store, hook = Store(f"sqlite:///{tmp_path}/m.db"), _Hook()
    rule = AlertRule(name="harm-spike", metric="harmful_rate", window=10, threshold=0.5, min_samples=5)
    return store, hook, AlertManager(store, AlertConfig(rules=[rule]), hook, resend_s=resend_s)


def test_an_alert_the_webhook_missed_is_sent_again_while_its_rule_fires(tmp_path, monkeypatch):
    """A webhook down as the incident began (past its 3 tries) lost the page for good: the rule, firing, stayed quiet
    until the rate fell back, and the stored alert said delivered: false for ever."""
    store, hook, manager = _manager(tmp_path, monkeypatch, resend_s=0.0)
    assert [a["rule"] for a in manager.evaluate()] == ["harm-spike"] and manager.flush(10)
    assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("fired", False)]
    hook.up = True  # the receiver is back; the incident goes on
    for _ in range(3):
        assert manager.evaluate() == [] and manager.flush(
            10
        )  # not a new incident: sent again, not fired again
    assert [(p["rule"], p["kind"], p["value"]) for p in hook.got] == [("harm-spike", "fired", 0.9)]
    assert [(a["kind"], a["delivered"]) for a in queries.recent_alerts(store)] == [("fired", True)]


def test_a_missed_alert_is_sent_again_only_after_its_wait(tmp_path, monkeypatch):
    store, hook, manager = _manager(tmp_path, monkeypatch, resend_s=60.0)
    for _ in range(3):  # evaluated after each batch: the dead webhook is not tried again each time
        manager.evaluate()
        assert manager.flush(10)
    assert hook.tries == 1
