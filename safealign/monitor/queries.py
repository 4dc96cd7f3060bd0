"""Read-side queries: rates over the last N exchanges (alerts, metrics), dashboard data and exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from safealign.config.base import without_passwords
from safealign.monitor.store import (
    Store,
    alerts,
    eval_runs,
    exchanges,
    fit_to_column,
    judge_queue,
    verdicts,
)

JUDGE_METRICS = ("harmful_rate", "refusal_rate", "over_refusal_rate")
# Ids bound in one IN list at most: SQLite before 3.32 takes 999 parameters a statement.
IN_LIST_IDS = 999
# Exchanges an export reads a query (at most IN_LIST_IDS: their ids go in one IN list).
EXPORT_PAGE = 200


def judged_rates(store: Store, window: int) -> dict[str, Any]:
    """Rates over the last ``window`` judged exchanges.

    ``over_refusal_rate`` is the share of refusals among requests the judges read as benign: refusing
    those is the failure mode that crude safety training produces. A rate with no sample (nothing judged, no benign
    request) is None, not 0.0: "no data" must not read as a perfect 0%. Counted by the database: an alert rule's window
    (up to 1,000,000) was read row by row into Python after every judged batch (200,000 rows: 5.6 s against 0.5 s).
    """
    recent = (
        sa.select(exchanges.c.harmful, exchanges.c.refused, exchanges.c.request_harmful)
        .where(exchanges.c.status == "judged")
        .order_by(exchanges.c.id.desc())
        .limit(window)
        .subquery()
    )
    benign = sa.or_(recent.c.request_harmful.is_(None), recent.c.request_harmful.is_(False))
    refused = recent.c.refused.is_(True)
    query = sa.select(
        sa.func.count(),
        _count(benign),
        _count(recent.c.harmful.is_(True)),
        _count(refused),
        _count(sa.and_(benign, refused)),
    )
    with store.engine.connect() as conn:
        n, benign_n, harmful_n, refused_n, over_refused_n = (int(v) for v in conn.execute(query).one())
    return {
        "samples": n,
        "benign_samples": benign_n,
        "harmful_rate": harmful_n / n if n else None,
        "refusal_rate": refused_n / n if n else None,
        "over_refusal_rate": over_refused_n / benign_n if benign_n else None,
    }


def upstream_error_rate(store: Store, window: int) -> dict[str, Any]:
    """Share of the last ``window`` exchanges that the upstream failed (unreachable, timeout, 5xx); None with none.
    Counted by the database, as ``judged_rates``."""
    recent = (
        sa.select(exchanges.c.status, exchanges.c.upstream_status)
        .order_by(exchanges.c.id.desc())
        .limit(window)
        .subquery()
    )
    failed = sa.or_(recent.c.status == "upstream_error", recent.c.upstream_status >= 500)
    with store.engine.connect() as conn:
        samples, failures = (int(v) for v in conn.execute(sa.select(sa.func.count(), _count(failed))).one())
    return {"samples": samples, "upstream_error_rate": failures / samples if samples else None}


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """How many rows meet ``condition`` (0 over no row: SUM of nothing is NULL)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def metric_rate(store: Store, metric: str, window: int) -> tuple[float | None, int]:
    """(rate, samples) of one alertable metric; over-refusal counts benign requests as its samples. The rate is None
    when samples is 0 (an alert rule's ``min_samples`` of at least 1 keeps it from being compared)."""
    if metric == "upstream_error_rate":
        stats = upstream_error_rate(store, window)
        return stats[metric], stats["samples"]
    stats = judged_rates(store, window)
    samples = stats["benign_samples"] if metric == "over_refusal_rate" else stats["samples"]
    return stats[metric], samples


def totals(store: Store) -> dict[str, int]:
    count = sa.func.count()
    query = sa.select(
        count.label("exchanges"),
        sa.func.sum(sa.case((exchanges.c.status == "judged", 1), else_=0)).label("judged"),
        sa.func.sum(sa.case((exchanges.c.status == "queued", 1), else_=0)).label("queued"),
        sa.func.sum(sa.case((exchanges.c.status == "judge_failed", 1), else_=0)).label("judge_failed"),
        sa.func.sum(sa.case((exchanges.c.blocked, 1), else_=0)).label("blocked"),
        sa.func.sum(sa.case((exchanges.c.harmful, 1), else_=0)).label("harmful"),
        sa.func.sum(sa.case((exchanges.c.status == "upstream_error", 1), else_=0)).label("upstream_errors"),
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def rate_series(store: Store, buckets: int = 24, limit: int = 20000) -> list[dict[str, Any]]:
    """Judged exchanges cut into ``buckets`` equal time slices, each with its three rates (``over_refusal_rate`` is
    None in a slice without benign requests)."""
    query = (
        sa.select(
            exchanges.c.created_at, exchanges.c.harmful, exchanges.c.refused, exchanges.c.request_harmful
        )
        .where(exchanges.c.status == "judged")
        .order_by(exchanges.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        rows = list(reversed(conn.execute(query).all()))
    if not rows:
        return []
    # The time range, not the first and last rows: ids and created_at disagree when a clock stepped back, or two
    # gateways with skewed clocks share the database.
    start, end = min(row.created_at for row in rows), max(row.created_at for row in rows)
    span = max((end - start).total_seconds(), 1e-6)
    slices: list[list[Any]] = [[] for _ in range(buckets)]
    for row in rows:
        slices[
            max(0, min(buckets - 1, int((row.created_at - start).total_seconds() / span * buckets)))
        ].append(row)
    series = []
    for index, rows_in in enumerate(slices):
        if not rows_in:
            continue
        benign = [r for r in rows_in if not r.request_harmful]
        series.append(
            {
                "time": start + dt.timedelta(seconds=span * (index + 0.5) / buckets),
                "n": len(rows_in),
                "harmful_rate": sum(bool(r.harmful) for r in rows_in) / len(rows_in),
                "refusal_rate": sum(bool(r.refused) for r in rows_in) / len(rows_in),
                # None, not 0.0: a slice with no benign request has no over-refusal rate (the chart leaves no point)
                "over_refusal_rate": sum(bool(r.refused) for r in benign) / len(benign) if benign else None,
            }
        )
    return series


def flagged_exchanges(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """Most recent exchanges judged harmful or blocked: the ones a person should review."""
    query = (
        sa.select(exchanges)
        .where(sa.or_(exchanges.c.harmful.is_(True), exchanges.c.blocked.is_(True)))
        .order_by(exchanges.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def fired_alert_counts(store: Store) -> dict[str, int]:
    """rule -> how many times it fired."""
    query = sa.select(alerts.c.rule, sa.func.count()).where(alerts.c.kind == "fired").group_by(alerts.c.rule)
    with store.engine.connect() as conn:
        return {rule: int(count) for rule, count in conn.execute(query)}


def recent_alerts(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(sa.select(alerts).order_by(alerts.c.id.desc()).limit(limit))
        ]


def recent_eval_runs(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """Eval runs, oldest first (the dashboard plots them as a trend)."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(eval_runs).order_by(eval_runs.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in reversed(rows)]


def previous_eval_run(
    store: Store, upstream: str, model: str, suites: list[str], limit: int | None, first: bool = False
) -> dict[str, Any] | None:
    """The latest eval run of the same upstream, model, suites and ``--limit``: the one a new run is compared with
    (another schedule on the same database, or a run over other suites, is not a baseline). ``first``: the earliest
    such run instead, the reference a slow decline is measured against. A model or upstream longer than its column is
    compared as stored, by its first characters (a 250-character model found no run, its own included). The upstream's
    password is not part of it (runs store it masked, see ``stored_upstream``); a run stored with it still matches."""
    shown = {fit_to_column(eval_runs.c.upstream, url) for url in (stored_upstream(upstream), upstream)}
    query = (
        sa.select(eval_runs)
        .where(
            eval_runs.c.upstream.in_(sorted(shown)),
            eval_runs.c.model == fit_to_column(eval_runs.c.model, model),
            eval_runs.c.item_limit.is_(None) if limit is None else eval_runs.c.item_limit == limit,
        )
        .order_by(eval_runs.c.id if first else eval_runs.c.id.desc())
    )
    with store.engine.connect() as conn:
        # suites compared here: a JSON column has no equality operator on PostgreSQL
        return next(
            (dict(r._mapping) for r in conn.execute(query) if list(r.suites or []) == list(suites)), None
        )


def stored_upstream(upstream: str) -> str:
    """``upstream`` as an eval run stores it: its password masked. Stored as given, it kept the password in the database,
    and a changed password made another schedule of the same server, whose runs had no baseline (no regression)."""
    return without_passwords(upstream)


def eval_run(store: Store, run_id: int) -> dict[str, Any] | None:
    """Eval run ``run_id`` (``monitor evaluate --baseline``), or None when there is none."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(eval_runs).where(eval_runs.c.id == run_id)).first()
    return dict(row._mapping) if row is not None else None


def export_exchanges(
    store: Store, since_id: int = 0, limit: int = 10000, flagged_only: bool = False
) -> Iterator[dict[str, Any]]:
    """Exchanges with their verdicts, oldest first, as JSON-ready dicts (for ``/admin/exchanges.jsonl``), read
    ``EXPORT_PAGE`` exchanges a query: a whole export held every row in the gateway's memory before its first line
    went out (an exchange keeps its request, up to 1 MiB: 300 of 100 kB held 30 MB, and ``limit`` goes to 100,000).

    ``flagged_only`` stops before the oldest exchange still queued: exchanges are judged out of id order (a batch
    retried after its lease, several workers), and an exporter paging with ``since_id`` that was given a later
    flagged exchange first never saw an earlier one judged harmful after it."""
    while limit > 0:
        page = _export_page(store, since_id, min(limit, EXPORT_PAGE), flagged_only)
        yield from page
        if len(page) < min(limit, EXPORT_PAGE):
            return
        limit, since_id = limit - len(page), page[-1]["id"]


def _export_page(store: Store, since_id: int, limit: int, flagged_only: bool) -> list[dict[str, Any]]:
    """Up to ``limit`` (at most ``IN_LIST_IDS``) exchanges after ``since_id``, with their verdicts."""
    query = sa.select(exchanges).where(exchanges.c.id > since_id).order_by(exchanges.c.id).limit(limit)
    if flagged_only:
        oldest_queued = sa.select(sa.func.min(judge_queue.c.exchange_id)).scalar_subquery()
        query = query.where(
            sa.or_(exchanges.c.harmful.is_(True), exchanges.c.blocked.is_(True)),
            sa.or_(oldest_queued.is_(None), exchanges.c.id < oldest_queued),
        )
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        found: dict[int, list[dict[str, Any]]] = {}
        # A bound parameter per id: a page is at most IN_LIST_IDS exchanges, so one IN list holds its ids.
        for v in conn.execute(sa.select(verdicts).where(verdicts.c.exchange_id.in_([r["id"] for r in rows]))):
            found.setdefault(v.exchange_id, []).append(
                {
                    "role": v.role,
                    "judge": v.judge,
                    "label": v.label,
                    "score": v.score,
                    "explanation": v.explanation,
                }
            )
    for row in rows:
        row["verdicts"] = found.get(row["id"], [])
        for key in ("created_at", "judged_at"):
            row[key] = row[key].isoformat() + "Z" if row[key] else None
    return rows
