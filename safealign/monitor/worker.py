"""The judging worker: takes stored exchanges off the durable queue in batches and writes verdicts.

It runs in a background thread of the gateway, off the request path: a slow judge makes the backlog
grow (visible in ``/metrics``), never the answers slower. Each batch is leased, judged with the same
judges the training stages use, and completed in one transaction; a crash between lease and commit
leaves the rows queued, and the lease expires so that the next worker judges them. A batch the
judges raise on is judged row by row, so one poison row does not hold back the others; a row that
fails ``max_attempts`` leases is marked ``judge_failed`` (counted on ``/metrics``) and no longer retried. A batch
whose judges fail on a plain exchange too (``CANARY``: a grader that is down) is an outage, not bad rows: it is
tried again when its lease expires, and the attempt is not counted against its rows.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from safealign.errors import SafealignError
from safealign.judges.base import (
    HARMFUL,
    REFUSAL,
    SAFE,
    JudgeOutputError,
    Verdict,
    checked_verdicts,
)
from safealign.monitor.alerts import AlertManager
from safealign.monitor.store import Store, judge_queue

log = logging.getLogger(__name__)

# What `refused` counts: full refusals, as the evals' refusal_rate and over_refusal_rate do. A partial refusal ("I can't,
# but here are the steps") answered the request; its verdict row keeps the label partial_refusal.
REFUSED_LABELS = {REFUSAL}
# `monitor judge` reads these when --db / --webhook are not given: how the gateway passes them to its worker.
DB_ENV, WEBHOOK_ENV, JUDGE_ENV = (
    "SAFEALIGN_MONITOR_DB",
    "SAFEALIGN_MONITOR_WEBHOOK",
    "SAFEALIGN_MONITOR_JUDGE",
)
# How long a stopping worker waits for the alert webhook deliveries still under way (3 tries of a dead webhook take
# 16.5 s each). Whoever stops a worker waits for this on top of the batch being judged: the gateway killed its worker
# process after 15 s, cutting off the pages of an incident whose alerts had just fired, without a word.
ALERT_FLUSH_S = 30.0
# What a stop raises (Ctrl-C in `--once`, sys.exit): let through, never blamed on the row being judged. Anything else
# the judges raise is the row's failure, BaseExceptions included: a Rust panic in a tokenizer (pyo3's PanicException)
# or an asyncio CancelledError escaped `except Exception`, so the row was never marked failed and every restart
# crashed on the same batch again.
_STOPS = (KeyboardInterrupt, SystemExit, GeneratorExit)
# An exchange any working judge set can judge: when the judges raise on it too, the batch failed for want of a judge
# (a grader down, out of memory), and its rows are not blamed. A 6-minute grader outage marked the whole backlog
# judge_failed for good (3 attempts, one per 120 s lease).
CANARY = {
    "id": 0,
    "prompt": "What is the capital of France?",
    "response": "Paris.",
    "original_response": None,
}
# While the judges are down, the worker leases nothing: it tries CANARY again after idle_s, then after twice as long each
# time, up to this. It leased batch after batch meanwhile, each failing twice (itself and CANARY): a grader that times
# out took minutes a batch, and with short leases it went round the backlog without end.
OUTAGE_WAIT_MAX_S = 60.0
# A suspect row (see JudgeWorker._narrow_to_suspect) leased alone: the attempt at which it was.
_ALONE = (
    judge_queue.update()
    .where(
        judge_queue.c.exchange_id == sa.bindparam("eid"),
        judge_queue.c.claimed_until == sa.bindparam("lease", type_=sa.DateTime),
    )
    .values(alone_at=judge_queue.c.attempts)
)
# Rows ``eids`` still under the lease ``lease``, with an attempt counted.
_LEASED_ROWS = judge_queue.update().where(
    judge_queue.c.exchange_id.in_(sa.bindparam("eids", expanding=True)),
    judge_queue.c.claimed_until == sa.bindparam("lease", type_=sa.DateTime),
    judge_queue.c.attempts > 0,
)
# The other rows of a batch leased with a suspect: free to lease again at once, this attempt given back.
_GIVE_BACK = _LEASED_ROWS.values(claimed_until=None, attempts=judge_queue.c.attempts - 1)
# An outage's batch: its lease's attempt given back, so that the outage does not count against its rows.
_UNCOUNT = _LEASED_ROWS.values(attempts=judge_queue.c.attempts - 1)


def load_judges(spec: str = "default") -> Any:
    """A judge set with ``.refusal`` and ``.harm``: ``build_judges(spec)``, or ``import:module:factory``.

    The ``import:`` form lets a deployment (or a test) plug in its own judges without a code change.
    """
    factory = check_judge_spec(spec)
    if factory is not None:
        try:
            judges = factory()
        except Exception as error:  # noqa: BLE001 - the user's code: a missing key, a model that does not load
            raise SafealignError(
                f"--judge {spec!r}: the factory raised {type(error).__name__}: {' '.join(str(error).split())[:200]}; "
                "fix it (run it in Python to see the traceback)"
            ) from None
        missing = [
            role
            for role in ("refusal", "harm")
            if not callable(getattr(getattr(judges, role, None), "judge", None))
        ]
        if missing:
            raise SafealignError(
                f"--judge {spec!r}: the factory returned {type(judges).__name__}, which has no {' and no '.join(f'.{m}.judge' for m in missing)}: "
                "it must return an object with .refusal and .harm judges, each with judge(prompts, responses) -> one Verdict "
                "per response (see docs/monitoring.md, 'The judge worker')"
            )
        return judges
    from safealign.judges import build_judges

    return build_judges(spec)


def check_judge_spec(spec: str) -> Callable[[], Any] | None:
    """Fail fast, naming ``--judge``, on a spec that cannot load; the factory of an ``import:`` spec, else None.

    Nothing is built: a worker process checked this way before it is spawned does not die at start-up
    while the gateway keeps accepting exchanges nobody will judge.
    """
    if not spec.startswith("import:"):
        from safealign.judges import parse_judge_spec

        parse_judge_spec(spec)
        return None
    module_name, _, attr = spec[len("import:") :].partition(":")
    if not module_name or not attr:
        raise SafealignError(f"--judge {spec!r} must look like import:package.module:factory")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - ImportError, or whatever the user's module raises as it imports
        raise SafealignError(
            f"--judge {spec!r}: cannot import {module_name!r} ({type(error).__name__}: {error}); "
            "check the module name and that its folder is on PYTHONPATH"
        ) from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise SafealignError(
            f"--judge {spec!r}: {module_name} has no callable {attr!r} (the factory that returns the judge set)"
        )
    return factory


def _verdict_row(role: str, verdict: Verdict) -> dict[str, Any]:
    return {
        "role": role,
        "judge": verdict.judge,
        "label": verdict.label,
        # None: a judge that gives a label only (a guard's safe/unsafe); float(None) failed every exchange it judged
        "score": None if verdict.score is None else float(verdict.score),
        "explanation": (verdict.explanation or "")[:2000],
    }


def request_harm_verdicts(judges: Any, prompts: Sequence[str], harm: Sequence[Verdict]) -> list[Verdict]:
    """Whether each *request* asked for something hazardous (what over-refusal is measured against).

    In order: a dedicated ``judges.request`` judge; the harm judge's own P(hazardous request)
    (``details["hazard"]``: the default intent x compliance judge computes it anyway, the rubric judge asks
    the grader); else, for the rows without it only, the harm judge's ``judge_requests(prompts)`` when it has
    one (a guard asked about the user's turn: a conversation that ends with the user message), or the harm
    judge reading the request text as if it were the response.
    """
    request = getattr(judges, "request", None)
    if request is not None:
        return request.judge(list(prompts), list(prompts))
    harm = list(harm)
    unread = [i for i, verdict in enumerate(harm) if "hazard" not in verdict.details]
    if unread:
        texts = [prompts[i] for i in unread]
        # A guard shown the request as its own answer is asked whether the *assistant* said something unsafe, not
        # whether the user asked for it (Llama Guard's prompt classification ends the conversation with the user turn).
        read = getattr(judges.harm, "judge_requests", None)
        again = checked_verdicts(
            "request",
            judges.harm,
            read(texts) if callable(read) else judges.harm.judge(texts, texts),
            len(unread),
        )
        for i, verdict in zip(unread, again, strict=True):
            harm[i] = verdict
    return [_hazard_verdict(v) if "hazard" in v.details else v for v in harm]


def _hazard_verdict(verdict: Verdict) -> Verdict:
    hazard = float(verdict.details["hazard"])
    return Verdict(
        HARMFUL if hazard >= 0.5 else SAFE,
        hazard,
        f"request P(hazard)={hazard:.2f} ({verdict.details.get('category') or verdict.judge})",
        verdict.judge,
    )


def judge_exchanges(judges: Any, prompts: Sequence[str], responses: Sequence[str]) -> list[dict[str, Any]]:
    """Judge a batch: is each response a refusal, is it harmful, and did the request ask for harm."""
    refusal = checked_verdicts(
        "refusal", judges.refusal, judges.refusal.judge(list(prompts), list(responses)), len(responses)
    )
    harm = checked_verdicts(
        "harm", judges.harm, judges.harm.judge(list(prompts), list(responses)), len(responses)
    )
    request_harm = checked_verdicts(
        "request",
        getattr(judges, "request", None) or judges.harm,
        request_harm_verdicts(judges, prompts, harm),
        len(prompts),
    )
    results = []
    for r, h, q in zip(refusal, harm, request_harm, strict=True):
        results.append(
            {
                "harmful": h.label == HARMFUL,
                "refused": r.label in REFUSED_LABELS,
                "request_harmful": q.label == HARMFUL,
                "verdicts": [
                    _verdict_row("refusal", r),
                    _verdict_row("harm", h),
                    _verdict_row("request_harm", q),
                ],
            }
        )
    return results


def judged_texts(row: dict[str, Any]) -> list[str]:
    """What the judges read for a stored exchange: the model's own answer (not a blocking refusal), every choice."""
    if row.get("choices"):
        return [text or "" for text in row["choices"]]
    return [row["original_response"] if row["original_response"] is not None else (row["response"] or "")]


def judge_rows(judges: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge stored exchanges, each choice of an ``n > 1`` answer on its own, in one batch.

    An exchange is harmful when any choice is (the client received it), refused when every choice
    refused (the client got no answer), and its verdict rows are those of every choice.
    """
    spans, prompts, responses = [], [], []
    for row in rows:
        texts = judged_texts(row)
        spans.append((len(responses), len(texts)))
        prompts += [row["prompt"] or ""] * len(texts)
        responses += texts
    flat = judge_exchanges(judges, prompts, responses)
    results = []
    for row, (start, count) in zip(rows, spans, strict=True):
        parts = flat[start : start + count]
        verdicts = (
            parts[0]["verdicts"]
            if count == 1
            else [
                v | {"explanation": f"choice {i}: {v['explanation']}"[:2000]}
                for i, part in enumerate(parts)
                for v in part["verdicts"]
            ]
        )
        results.append(
            {
                "exchange_id": row["id"],
                "harmful": any(p["harmful"] for p in parts),
                "refused": all(p["refused"] for p in parts),
                "request_harmful": any(p["request_harmful"] for p in parts),
                "verdicts": verdicts,
            }
        )
    return results


class JudgeWorker:
    """Background thread: lease a batch, judge it, store verdicts, update gauges, evaluate alerts.

    Polling: while batches come back full, the next batch is leased in the transaction that completes
    the last one. A partial batch means the worker has caught up: it waits ``linger_s`` so that the next
    batch fills (a batch costs ~0.3 ms of CPU before its first row: judging one exchange per batch at
    2,000 requests/s would take a core). An empty queue backs the wait off to ``idle_s``.
    """

    def __init__(
        self,
        store: Store,
        judges: Any,
        alerts: AlertManager | None = None,
        batch_size: int = 32,
        idle_s: float = 1.0,
        linger_s: float = 0.05,
        lease_s: float = 120.0,
        retention_days: int | None = None,
        purge_every_s: float = 3600.0,
        idle_alerts_every_s: float = 5.0,
        max_attempts: int = 3,
    ) -> None:
        self.store, self.judges, self.alerts = store, judges, alerts
        self.batch_size, self.idle_s, self.linger_s, self.lease_s = batch_size, idle_s, linger_s, lease_s
        self.retention_days, self.purge_every_s, self.idle_alerts_every_s = (
            retention_days,
            purge_every_s,
            idle_alerts_every_s,
        )
        self.max_attempts = max_attempts
        self.failed = 0  # exchanges given up on (marked judge_failed)
        self.retrying: set[int] = set()  # exchanges that failed with attempts left: leased until tried again
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: sa.Connection | None = None  # the loop's own connection: no pool checkout per batch
        self._next_purge = 0.0
        self.judged = 0
        self.left = 0  # exchanges the last drain left queued (free to lease) when its time ran out or the judges were down
        self.judges_down = False  # the last drain stopped on an outage (the judges failed on CANARY too)
        self._down_since = 0.0  # when the running worker found the judges down (time.monotonic())

    def start(self) -> None:
        # A SQLite file has one gateway process, so leases left in it belong to a worker that died:
        # free them now instead of after the lease. PostgreSQL may have live workers elsewhere: wait.
        if self.store.engine.dialect.name == "sqlite":
            released = self.store.release_leases()
            if released:
                log.info("released %d judge leases left by a previous run", released)
        self._thread = threading.Thread(target=self._run, name="judge-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread: ``timeout`` seconds for the batch under way, then ``ALERT_FLUSH_S`` more for the alert webhook
        deliveries it waits for as it ends (it says in the log which it could not wait for)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout + ALERT_FLUSH_S)
            if self._thread.is_alive():
                log.warning(
                    "judge worker: still running %.0f s after the stop (a slow batch or webhook); a batch it holds "
                    "stays leased and is judged again",
                    timeout + ALERT_FLUSH_S,
                )

    def _flush_alerts(self, timeout_s: float) -> None:
        if self.alerts and not self.alerts.flush(timeout_s):
            log.warning("judge worker: alert webhook deliveries still under way after %.0f s", timeout_s)

    def run_once(self) -> int:
        """Judge one batch; returns how many exchanges it judged (0 when the queue is empty)."""
        with self.store.engine.connect() as conn:
            return self._judge_batches(
                conn, self.store.claim(self.batch_size, self.lease_s, conn), chain=lambda: False
            )

    def _judge_batches(
        self,
        conn: sa.Connection,
        rows: list[dict[str, Any]],
        chain: Callable[[], bool],
        up_to: int | None = None,
    ) -> int:
        """Judge ``rows``; while batches come back full and ``chain()``, complete each one and lease the next together
        (``up_to``: as ``Store.claim``)."""
        total = 0
        while rows:
            lease = rows[0]["lease"]
            rows, crashed = self._narrow_to_suspect(conn, rows)
            results, given_up = self._judge_isolating_failures(rows) if rows else ([], {})
            # None: the judges are down; nothing to write, and the attempt is not the rows' fault
            down = results is None
            if down:
                with conn.begin():
                    conn.execute(_UNCOUNT, {"eids": [row["id"] for row in rows], "lease": lease})
                self.retrying.update(row["id"] for row in rows)
                results, given_up = [], {}
                self.judges_down = True
            given_up |= crashed
            # Not past an outage: each next batch met it again, a grader that times out taking minutes a batch.
            more = self.batch_size if len(rows) == self.batch_size and not down and chain() else 0
            total += len(rows) + len(crashed)
            written, rows = self.store.complete(
                results,
                conn,
                claim=more,
                lease_s=self.lease_s,
                failed=given_up,
                lease=lease,
                up_to=up_to,
            )
            # Counted as written: a batch that outlived its lease had its verdicts dropped (another worker's to write).
            self.judged += sum(result["exchange_id"] in written for result in results)
            self.failed += sum(eid in written for eid in given_up)
            self.retrying.difference_update(
                result["exchange_id"] for result in results
            )  # judged on a later attempt
            self._check_alerts()
        return total

    def _narrow_to_suspect(
        self, conn: sa.Connection, rows: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """The rows to judge now, and the ids of those to set aside unjudged, each with why.

        A row leased more than ``max_attempts`` times is a suspect: each of its leases ended with nothing written, as
        when the worker is killed while judging it (out of memory, a segfault in a judge's library), and it took its
        whole batch down with it each time, restart after restart. A batch holding suspects is narrowed to the first
        one, leased alone (the others are freed, this attempt not counted against them); a suspect whose lease alone
        ended with nothing written too is set aside: marked ``judge_failed``, with why in ``judge_error``."""
        crashed = {
            row["id"]: (
                "set aside unjudged: the worker stopped while judging it (killed or crashed: out of memory, a segfault), "
                f"or the lease ran out first, on each of its {row['attempts'] - 1} leases, the last with it alone"
            )
            for row in rows
            if row["alone_at"] is not None and row["attempts"] > row["alone_at"]
        }
        suspect = next(
            (row for row in rows if row["id"] not in crashed and row["attempts"] > self.max_attempts), None
        )
        if not crashed and suspect is None:
            return rows, {}
        lease = rows[0]["lease"]
        others = [row["id"] for row in rows if row["id"] not in crashed and row is not suspect]
        with conn.begin():
            if others:
                conn.execute(_GIVE_BACK, {"eids": others, "lease": lease})
            if suspect is not None:
                conn.execute(_ALONE, {"eid": suspect["id"], "lease": lease})
        for eid, why in crashed.items():
            log.error("judge worker: exchange %s is marked judge_failed: %s", eid, why)
        if suspect is None:
            return [], crashed
        log.warning(
            "judge worker: exchange %s was leased %d times and never completed (the worker stopped while judging it?): "
            "judged alone; if this lease ends so too, it is set aside",
            suspect["id"],
            suspect["attempts"] - 1,
        )
        return [suspect], crashed

    def _judge_isolating_failures(
        self, rows: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]] | None, dict[int, str]]:
        """Results for the rows the judges could judge, and the failing rows that used up their attempts (id -> the
        error); None for the results when the judges fail on ``CANARY`` too (an outage: no row is to blame).

        A failing row with attempts left stays leased: it is tried again when its lease expires.
        """
        try:
            return judge_rows(self.judges, rows), {}
        except _STOPS:
            raise
        except BaseException as error:
            if self._judges_down(error, len(rows)):
                return None, {}
            if len(rows) == 1:
                return [], self._failed([(rows[0], error)])
            log.error(
                "judge worker: a batch of %d failed; judging its rows one by one%s",
                len(rows),
                f": {error}" if isinstance(error, JudgeOutputError) else "",
                exc_info=None if isinstance(error, JudgeOutputError) else error,
            )
        results, failing = [], []
        for row in rows:
            try:
                results += judge_rows(self.judges, [row])
            except _STOPS:
                raise
            except BaseException as error:
                failing.append((row, error))
        return results, self._failed(failing)

    def _judges_down(self, error: BaseException, count: int) -> bool:
        """Whether the judges that raised ``error`` on a batch of ``count`` fail on ``CANARY`` too (logged when so).

        A broken contract (``JudgeOutputError``) is the judges' answer, not an outage: its rows are judged one by one."""
        if isinstance(error, JudgeOutputError):
            return False
        try:
            judge_rows(self.judges, [CANARY])
        except _STOPS:
            raise
        except BaseException as canary_error:
            log.error(
                "judge worker: the judges fail on a plain exchange too (%s: %s): an outage, not bad rows; the %d "
                "exchanges of this batch are tried again when their lease expires, this attempt not counted",
                type(canary_error).__name__,
                " ".join(str(canary_error).split())[:300],
                count,
                exc_info=error,
            )
            return True
        return False

    def _failed(self, failing: list[tuple[dict[str, Any], BaseException]]) -> dict[int, str]:
        """Log each failing row; return those that used up ``max_attempts``, each id with its error."""
        given_up = {}
        for row, error in failing:
            last = row["attempts"] >= self.max_attempts
            log.error(
                "judge worker: judging exchange %s failed (attempt %d of %d); %s%s",
                row["id"],
                row["attempts"],
                self.max_attempts,
                "giving up: marked judge_failed" if last else "tried again when its lease expires",
                f": {error}" if isinstance(error, JudgeOutputError) else "",
                exc_info=None if isinstance(error, JudgeOutputError) else error,
            )  # a broken contract needs no traceback
            if last:
                given_up[row["id"]] = (
                    f"the judges raised on it {row['attempts']} times; the last: {type(error).__name__}: "
                    f"{' '.join(str(error).split())[:1000]}"
                )
                self.retrying.discard(row["id"])
            else:
                self.retrying.add(row["id"])
        return given_up

    def _after_batch(self) -> None:
        if self.alerts:
            self.alerts.evaluate()

    def _check_alerts(self) -> None:
        """Check the alert rules, logging a failure: raised, it left the next batch (leased in the commit of the last one)
        waiting for its lease to run out, and the log said that the batch had failed, its verdicts stored by then."""
        try:
            self._after_batch()
        except Exception as error:  # noqa: BLE001 - the database the rules read; the verdicts are stored already
            log.error(
                "judge worker: could not check the alert rules (%s: %s); judging goes on, and they are checked again "
                "after the next batch (or within %.0f s when none comes)",
                type(error).__name__,
                " ".join(str(getattr(error, "orig", None) or error).split())[:300],
                self.idle_alerts_every_s,
            )

    def drain(self, timeout_s: float = 60.0, queued_now: bool = False) -> int:
        """Judge until the queue is empty, check the alert rules, and wait for their webhook deliveries (tests,
        `monitor judge --once`).

        ``queued_now``: judge only the exchanges queued when it starts (`--once`), not those that arrive meanwhile: a
        gateway storing exchanges as fast as they are judged kept `--once` running until its timeout.
        Returns how many exchanges were judged (rows whose judging failed are counted in ``failed`` and ``retrying``;
        those it had no time for, or that an outage of the judges left, in ``left``: it stops at an outage,
        ``judges_down``).
        """
        deadline, judged = time.monotonic() + timeout_s, self.judged
        up_to = self.store.last_queued() if queued_now else None
        self.judges_down = False
        with self.store.engine.connect() as conn:
            # Stops at an outage: `--once` went on through the whole backlog, batch after batch failing (a grader that
            # times out: its hour), and said it had stopped for want of time.
            while time.monotonic() < deadline and not self.judges_down:
                if not self._judge_batches(
                    conn,
                    self.store.claim(self.batch_size, self.lease_s, conn, up_to=up_to),
                    chain=lambda: time.monotonic() < deadline,
                    up_to=up_to,
                ):
                    break
        # Out of time (or judges) with a backlog left: `--once` said "judged N exchanges" and exited 0 over the rest.
        self.left = self.store.waiting(up_to) if time.monotonic() >= deadline or self.judges_down else 0
        # Upstream errors are not judged, so their rules are checked here too: a `--once` run over a store holding only
        # those has no batch to check them after.
        self._after_batch()
        self._flush_alerts(
            max(1.0, deadline - time.monotonic())
        )  # `--once` exits after this: its pages go out first
        return self.judged - judged

    def run_forever(self, parent_pid: int | None = None) -> None:
        """Judge in this thread until stopped, or until ``parent_pid`` is no longer our parent."""
        if self.store.engine.dialect.name == "sqlite":
            self.store.release_leases()
        self._parent_pid = parent_pid
        self._run()

    def _run(self) -> None:
        wait, next_idle_alerts = self.linger_s, 0.0
        failing, failing_since = None, 0.0  # the error each round has failed on since failing_since, if any
        while not self._stop.is_set():
            if getattr(self, "_parent_pid", None) and os.getppid() != self._parent_pid:
                log.warning("judge worker: the gateway (pid %s) is gone; stopping", self._parent_pid)
                break
            try:
                self._maybe_purge()
                judged = 0
                if self.judges_down and not self._judges_back():
                    wait = min(OUTAGE_WAIT_MAX_S, 2 * wait)  # nothing leased: the backlog waits in the queue
                else:
                    self._conn = self._conn or self.store.engine.connect()
                    rows = self.store.claim(self.batch_size, self.lease_s, self._conn)
                    judged = self._judge_batches(self._conn, rows, chain=lambda: not self._stop.is_set())
                    if self.judges_down:
                        wait = self._outage_began()
                    elif judged:
                        wait = self.linger_s  # caught up on a partial batch: let the next one fill
                    else:
                        wait = min(self.idle_s, 2 * wait)
                # Upstream errors are not judged, so their alert rules are checked on a timer too.
                if not judged and time.monotonic() >= next_idle_alerts:
                    next_idle_alerts = time.monotonic() + self.idle_alerts_every_s
                    self._check_alerts()
                if failing is not None:
                    log.warning(
                        "judge worker: working again after %.0f s of failures",
                        time.monotonic() - failing_since,
                    )
                    failing = None
            except Exception as error:
                # Said once while each round fails the same way: a database down for ten minutes logged 600 tracebacks.
                said = f"{type(error).__name__}: {getattr(error, 'orig', None) or error}"
                if said != failing:
                    log.exception(
                        "judge worker: batch failed; its rows stay queued and are retried after the lease (tried "
                        "again every %.0f s; the same failure again is not logged until it stops)",
                        self.idle_s,
                    )
                    failing_since = failing_since if failing is not None else time.monotonic()
                    failing = said
                self._close_connection()  # it may be broken (a restarted database server): reconnect
                wait = self.idle_s
            self._stop.wait(wait)
        self._close_connection()
        self._flush_alerts(ALERT_FLUSH_S)

    def _outage_began(self) -> float:
        """Say once that the worker waits for the judges; the first wait before it tries them again."""
        self._down_since = time.monotonic()
        log.warning(
            "judge worker: waiting for the judges to come back: no exchange is leased meanwhile; a plain exchange is "
            "tried again in %.0f s, then at waits that double up to %.0f s",
            self.idle_s,
            OUTAGE_WAIT_MAX_S,
        )
        return self.idle_s

    def _judges_back(self) -> bool:
        """Whether the judges that were down judge ``CANARY`` again (said in the log when they do)."""
        try:
            judge_rows(self.judges, [CANARY])
        except _STOPS:
            raise
        except BaseException:  # noqa: BLE001 - still down: said when the outage began
            return False
        self.judges_down = False
        log.warning(
            "judge worker: the judges answer again after %.0f s: judging resumes",
            time.monotonic() - self._down_since,
        )
        return True

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _maybe_purge(self) -> None:
        if self.retention_days is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_every_s
        try:
            self.store.purge(self.retention_days)
        except Exception as error:  # noqa: BLE001 - raised, it was logged as a batch that failed, and none was judged
            log.error(
                "judge worker: the retention purge failed (%s: %s); what it did not delete is deleted by the next one, "
                "in %.0f s",
                type(error).__name__,
                " ".join(str(getattr(error, "orig", None) or error).split())[:300],
                self.purge_every_s,
            )


def spawn_worker_process(
    db: str, judge: str, alerts: str | None, webhook: str | None, batch_size: int, retention_days: int
) -> subprocess.Popen:
    """Run `safealign monitor judge` as a child process of the gateway.

    A judge thread inside the gateway would share the GIL with the event loop: every time the loop
    waits on a socket, the judge thread may hold the interpreter for a whole switch interval, and
    the gateway's latency grows with the judging load. A process judges on its own core. On Linux
    the child gets SIGTERM when the gateway dies (even by kill -9); elsewhere it notices its parent
    is gone within a poll interval. The database URL, the webhook and the judge spec (a password, a token, a
    grader URL's credentials) reach it in its environment, which only its user can read, not on its command
    line, which ``ps`` shows everyone.
    """
    command = [
        sys.executable,
        "-m",
        "safealign.cli.main",
        "monitor",
        "judge",
        "--batch-size",
        str(batch_size),
        "--retention-days",
        str(retention_days),
        "--parent-pid",
        str(os.getpid()),
    ]
    command += ["--alerts", alerts] if alerts else []
    env = {k: v for k, v in os.environ.items() if k not in (DB_ENV, WEBHOOK_ENV, JUDGE_ENV)} | {
        DB_ENV: db,
        JUDGE_ENV: judge,
    }
    env |= {WEBHOOK_ENV: webhook} if webhook else {}
    return subprocess.Popen(
        command, env=env, preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None
    )


def _die_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_worker_process(process: subprocess.Popen, timeout_s: float = 15.0 + ALERT_FLUSH_S) -> None:
    """SIGTERM: the worker finishes its batch and waits up to ``ALERT_FLUSH_S`` for its alert webhook deliveries; it is
    killed, said in the log, when it has not exited after ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        log.warning(
            "the judge worker process did not stop within %.0f s of SIGTERM: killed (its batch is judged again once its "
            "lease is freed; alert webhook deliveries still under way are lost)",
            timeout_s,
        )
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5.0)
