"""The `/dashboard` page: one self-contained HTML file (inline CSS and SVG, no CDN, no JavaScript).

It must open on an air-gapped operator's laptop and in a headless browser alike, so charts are SVG
polylines computed here from the same queries the alerts use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from safealign.config.sections import MonitorConfig
from safealign.monitor import queries
from safealign.monitor.security import redact_url
from safealign.monitor.store import Store

SERIES = (
    ("harmful_rate", "harmful", "#d62728"),
    ("refusal_rate", "refusal", "#1f77b4"),
    ("over_refusal_rate", "over-refusal", "#ff7f0e"),
)
EVAL_SERIES = (
    ("harmful_refusal_rate", "harmful refused", "#1f77b4"),
    ("over_refusal_rate", "benign over-refused", "#ff7f0e"),
)
WIDTH, HEIGHT, PAD = 640, 200, 36
# The page shows users' conversations and runs no script: should stored text ever get past the template's escaping,
# the browser still runs nothing and fetches nothing. (A <meta> policy cannot say frame-ancestors: that one needs the
# response header.)
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("safealign.monitor", "templates"), autoescape=select_autoescape(["html"])
    )
    environment.filters["percent"] = percent
    return environment


def percent(rate: float | None) -> str:
    """A rate as "12.5%", or "–" when it has no sample: no data must not read as a perfect 0%."""
    return "–" if rate is None else f"{rate:.1%}"


def line_chart(
    points: Sequence[dict[str, Any]], series: Sequence[tuple[str, str, str]], x_labels: Sequence[str]
) -> dict[str, Any]:
    """SVG geometry for rates in [0, 1]: one polyline per series, grid lines at 0, 0.5 and 1. A point without a
    series' value (None) gets no dot on that series' line."""
    n = len(points)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(i: int) -> float:
        return PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def y(value: float) -> float:
        return PAD + inner_h * (1 - max(0.0, min(1.0, value)))

    lines = []
    for key, label, color in series:
        coords = [(x(i), y(float(p[key]))) for i, p in enumerate(points) if p.get(key) is not None]
        latest = points[-1].get(key) if points else None
        lines.append(
            {
                "label": label,
                "color": color,
                "points": " ".join(f"{a:.1f},{b:.1f}" for a, b in coords),
                "dots": coords,
                "last": percent(latest),  # None: the latest point did not measure it
            }
        )
    # the ends first, then the middle; a label already shown is left out: points less than a second apart (the rate
    # chart's slices of a short burst) all read "12:21:24", and the axis said it two or three times
    ticks: list[dict[str, Any]] = []
    for i in (0, n - 1, n // 2) if n else ():
        if x_labels[i] not in {tick["label"] for tick in ticks}:
            ticks.append({"x": x(i), "label": x_labels[i]})
    ticks.sort(key=lambda tick: tick["x"])
    grid = [{"y": y(v), "label": f"{v:.0%}"} for v in (0.0, 0.5, 1.0)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "lines": lines,
        "ticks": ticks,
        "grid": grid,
        "empty": n == 0,
    }


def eval_summary_rates(summary: dict[str, Any]) -> dict[str, float | None]:
    return {key: summary.get(key) for key, _, _ in EVAL_SERIES}


def schedule_runs(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs (oldest first) of the newest run's schedule: its upstream, model, suites and ``--limit``. Runs of
    another schedule (a smoke run with a small ``--limit``, another model) are not comparable with them: drawn as one
    line, the trend zig-zagged between the schedules' rates as if the model's refusals swung from run to run. An upstream
    is compared without its password, as ``previous_eval_run`` matches runs stored before it was masked."""

    def schedule(run: dict[str, Any]) -> tuple[Any, ...]:
        upstream = queries.stored_upstream(run["upstream"] or "")
        return upstream, run["model"], list(run["suites"] or []), run["item_limit"]

    return [run for run in runs if schedule(run) == schedule(runs[-1])] if runs else []


def schedule_name(run: dict[str, Any]) -> str:
    """``model m, suites harmful,borderline, --limit 8``: what the eval trend is of."""
    limit = "no --limit" if run["item_limit"] is None else f"--limit {run['item_limit']}"
    return f"model {run['model'] or '?'}, suites {','.join(run['suites'] or [])}, {limit}"


def time_labels(times: Sequence[dt.datetime]) -> list[str]:
    """Axis labels precise enough to tell the points apart (seconds for a short span, dates for a long one)."""
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0
    fmt = "%H:%M:%S" if span < 3600 else "%m-%d %H:%M"
    return [t.strftime(fmt) for t in times]


def _short(text: str | None, limit: int = 160) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_dashboard(
    store: Store, config: MonitorConfig, rules: Sequence[Any] = (), now: dt.datetime | None = None
) -> str:
    """The whole page as a string."""
    series = queries.rate_series(store)
    runs = queries.recent_eval_runs(store)
    trend = schedule_runs(runs)
    flagged = [
        {
            "id": r["id"],
            "time": r["created_at"].strftime("%Y-%m-%d %H:%M:%S"),
            "model": r["model"] or "",
            "prompt": _short(r["prompt"]),
            "response": _short(r["original_response"] if r["blocked"] else r["response"]),
            "blocked": r["blocked"],
            "harmful": r["harmful"],
        }
        for r in queries.flagged_exchanges(store)
    ]
    alert_rows = [
        {
            "time": a["created_at"].strftime("%Y-%m-%d %H:%M:%S"),
            "rule": a["rule"],
            "kind": a["kind"],
            "message": a["message"] or "",
            "delivered": a["delivered"],
        }
        for a in queries.recent_alerts(store)
    ]
    context = {
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "generated": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "config": config,
        "upstream_shown": redact_url(
            config.upstream or ""
        ),  # the page must not show the upstream URL's password
        "totals": queries.totals(store),
        "backlog": store.backlog(),
        "rates": queries.judged_rates(store, 200),
        "upstream": queries.upstream_error_rate(store, 200),
        "rate_chart": line_chart(series, SERIES, time_labels([p["time"] for p in series])),
        "eval_chart": line_chart(
            [eval_summary_rates(r["summary"] or {}) for r in trend],
            EVAL_SERIES,
            time_labels([r["created_at"] for r in trend]),
        ),
        "eval_trend_of": schedule_name(trend[-1]) if trend else "",
        "eval_others": len(runs) - len(trend),
        "eval_runs": [
            {
                "id": r["id"],
                "time": r["created_at"].strftime("%Y-%m-%d %H:%M"),
                "model": r["model"] or "",
                "summary": eval_summary_rates(r["summary"] or {}),
                "regression": r["regression"],
                "notes": r["notes"] or "",
            }
            for r in reversed(runs)
        ][:10],
        "flagged": flagged,
        "alerts": alert_rows,
        "rules": rules,
    }
    return _environment().get_template("dashboard.html").render(**context)
