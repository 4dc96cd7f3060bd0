"""Session 71, small follow-ups: the dashboard's time axis, eval-diff of an endpoint eval, benchmarks' --model checks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

# ---------------------------------------------------------------- the dashboard's time axis


def _axis_labels(tmp_path: Path, apart: dt.timedelta) -> list[str]:
    from safealign.config.sections import MonitorConfig
    from safealign.monitor.dashboard import render_dashboard
    from safealign.monitor.store import Store

    store = Store(f"sqlite:///{tmp_path}/m.db")
    start = dt.datetime(2026, 12, 7, 12, 21, 24, 100000)
    store.insert_exchanges(
        [
            {
                "created_at": start + apart * i,
                "prompt": "p",
                "response": "r",
                "status": "judged",
                "harmful": i == 1,
            }
            for i in range(3)
        ]
    )
    page = render_dashboard(store, MonitorConfig(upstream="http://u"))
    chart = re.search(r'<svg id="rate-chart".*?</svg>', page, re.S)
    assert chart is not None
    return re.findall(r'text-anchor="middle">([^<]*)<', chart.group(0))


def test_exchanges_within_a_second_get_one_time_label_not_the_same_one_thrice(tmp_path: Path) -> None:
    """The rate chart's slices of a burst less than a second long all read "12:21:24": the axis said
    "12:21:24 12:21:24 12:21:24". A label already on the axis is not repeated."""
    assert _axis_labels(tmp_path, dt.timedelta(milliseconds=300)) == ["12:21:24"]


def test_exchanges_minutes_apart_keep_their_three_time_labels(tmp_path: Path) -> None:
    labels = _axis_labels(tmp_path, dt.timedelta(minutes=5))  # the slices' midpoints, minutes apart
    assert len(labels) == 3 and len(set(labels)) == 3, labels


@pytest.mark.parametrize(
    ("labels", "shown"),
    [
        (["a", "a"], ["a"]),
        (["a", "a", "b"], ["a", "b"]),  # the middle repeats the first end
        (["a", "b", "b"], ["a", "b"]),  # ... or the last: the ends stay labelled
        (["a", "b", "c", "d"], ["a", "c", "d"]),
        (["a"], ["a"]),
    ],
)
def test_a_charts_ticks_keep_the_ends_and_drop_repeated_labels(labels: list[str], shown: list[str]) -> None:
    from safealign.monitor.dashboard import PAD, WIDTH, line_chart

    chart = line_chart([{"harmful_rate": 0.5}] * len(labels), [("harmful_rate", "harmful", "#000")], labels)
    ticks = chart["ticks"]
    assert [tick["label"] for tick in ticks] == shown
    assert [tick["x"] for tick in ticks] == sorted(tick["x"] for tick in ticks)
    if len(shown) > 1:  # the ends of the axis are labelled
        assert (ticks[0]["x"], ticks[-1]["x"]) == (PAD, WIDTH - PAD)
