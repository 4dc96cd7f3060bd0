"""Prometheus metrics of the gateway, in their own registry (several gateways can live in one process).

Request-path metrics are counted as requests pass. Judge-side ones (rates, backlog, alerts fired)
are read from the database at scrape time, so they are right wherever the judge worker runs: a
thread of the gateway, its own process, or another machine sharing a PostgreSQL database.
"""

from __future__ import annotations

import math

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from safealign.monitor.queries import fired_alert_counts, judged_rates
from safealign.monitor.store import Store

PREFIX = "safealign_monitor"
# The gateway's own overhead is sub-millisecond to tens of ms; the model's answer takes seconds.
ADDED_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)
UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class MonitorMetrics:
    """Counters, histograms and gauges the gateway and its worker update; ``render()`` is ``/metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, own_worker: bool = False) -> None:
        """``own_worker``: the gateway started the judge worker, so it exports whether that worker is alive."""
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests",
            "Chat requests by HTTP status (a stream: by how it ended, 499 when its client left, 502 when the upstream broke it).",
            ["status"],
            registry=r,
        )
        self.added_latency = Histogram(
            f"{PREFIX}_gateway_added_seconds",
            "Time the gateway adds on top of the upstream (parsing, storing, judging when blocking).",
            buckets=ADDED_BUCKETS,
            registry=r,
        )
        self.upstream_latency = Histogram(
            f"{PREFIX}_upstream_seconds",
            "Time the upstream took to answer.",
            buckets=UPSTREAM_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            f"{PREFIX}_upstream_errors",
            "Upstream failures by kind (connect, timeout, http_5xx, bad_reply: a 200 that is no chat completion, stream: a stream that broke or carried an error event, request: a request the HTTP client refused to send, redirect: the upstream redirected the chat POST with 301/302/303; point --upstream at the target).",
            ["kind"],
            registry=r,
        )
        self.blocked = Counter(
            f"{PREFIX}_blocked", "Responses replaced by a refusal in blocking mode.", registry=r
        )
        self.alerts = Gauge(
            f"{PREFIX}_alerts_fired",
            "Alerts fired so far (stored in the alerts table), by rule.",
            ["rule"],
            registry=r,
        )
        # A rate without a sample is NaN, Prometheus' "no data": 0.0 would chart as a perfect 0%, and a
        # PromQL comparison with NaN is false, so an alert on it does not fire.
        self.harmful_rate = Gauge(
            f"{PREFIX}_harmful_rate",
            "Share of recent judged responses the harm judge flags (NaN before anything is judged).",
            registry=r,
        )
        self.refusal_rate = Gauge(
            f"{PREFIX}_refusal_rate",
            "Share of recent judged responses that refuse (NaN before anything is judged).",
            registry=r,
        )
        self.over_refusal_rate = Gauge(
            f"{PREFIX}_over_refusal_rate",
            "Share of recent benign requests that were refused (NaN when none was benign).",
            registry=r,
        )
        self.rate_samples = Gauge(
            f"{PREFIX}_rate_samples", "Judged exchanges the harmful and refusal rates are over.", registry=r
        )
        self.over_refusal_samples = Gauge(
            f"{PREFIX}_over_refusal_samples",
            "Benign requests among them: the samples of the over-refusal rate.",
            registry=r,
        )
        self.backlog = Gauge(f"{PREFIX}_judge_backlog", "Exchanges stored but not judged yet.", registry=r)
        self.worker_up = (
            Gauge(
                f"{PREFIX}_judge_worker_up",
                "1 while the judge worker this gateway started runs, 0 once it died.",
                registry=r,
            )
            if own_worker
            else None
        )
        self.judge_failed = Gauge(
            f"{PREFIX}_judge_failed",
            "Exchanges the judges raised on too many times: never judged, not retried.",
            registry=r,
        )

    def refresh(self, store: Store, window: int = 200) -> None:
        """Set the judge-side gauges from the database (a few small indexed queries); see ``database_unknown``."""
        rates = judged_rates(store, window)
        for gauge, key in (
            (self.harmful_rate, "harmful_rate"),
            (self.refusal_rate, "refusal_rate"),
            (self.over_refusal_rate, "over_refusal_rate"),
        ):
            gauge.set(math.nan if rates[key] is None else rates[key])
        self.rate_samples.set(rates["samples"])
        self.over_refusal_samples.set(rates["benign_samples"])
        self.backlog.set(store.backlog())
        self.judge_failed.set(store.judge_failures())
        for rule, count in fired_alert_counts(store).items():
            self.alerts.labels(rule=rule).set(count)

    def database_unknown(self) -> None:
        """The judge-side gauges read NaN, Prometheus' "no data": the database did not answer ``refresh``. Their last
        values would chart a backlog and rates nobody read, and leaving them out of /metrics took the request counters
        with them (a 503 for each exchange the database refused)."""
        for gauge in (
            self.harmful_rate,
            self.refusal_rate,
            self.over_refusal_rate,
            self.rate_samples,
            self.over_refusal_samples,
            self.backlog,
            self.judge_failed,
        ):
            gauge.set(math.nan)

    def render(self) -> bytes:
        return generate_latest(self.registry)
