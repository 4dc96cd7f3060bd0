"""The dashboard seen in a real browser: headless Chromium renders it, with and without the key."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from test_monitor import KEY, FakeJudges, chat, fake_upstream, serve_in_thread

from safealign.config.sections import MonitorConfig
from safealign.monitor import create_gateway
from safealign.monitor.alerts import AlertConfig, AlertRule

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install -y chromium)"
)
SCREENSHOT_DIR = Path(os.environ.get("SAFEALIGN_SCREENSHOTS", "runs/screenshots"))


def chromium(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Headless Chromium, as root-safe as a container needs (no sandbox, no GPU, throwaway profile)."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('dash')}/m.db"
    rule = AlertRule(name="harmful-responses", metric="harmful_rate", window=20, threshold=0.3, min_samples=5)
    with serve_in_thread(fake_upstream()) as upstream:
        config = MonitorConfig(upstream=upstream, db=db, api_key=KEY, judge_batch_size=4)
        app = create_gateway(config, judges=FakeJudges(), alert_config=AlertConfig(rules=[rule]), start_worker=False)
        with serve_in_thread(app) as url:
            with httpx.Client(base_url=url) as client:
                for prompt in ["hello"] * 8 + ["refuse this"] * 3 + ["bomb please"] * 6:
                    assert client.post("/v1/chat/completions", json=chat(prompt)).status_code == 200
            app.state.worker.drain()
            store = app.state.store
            store.add_eval_run(upstream=upstream, model="fake-model", suites=["harmful", "borderline"],
                               summary={"harmful_refusal_rate": 0.9, "over_refusal_rate": 0.05}, regression=False, notes="")
            store.add_eval_run(upstream=upstream, model="fake-model", suites=["harmful", "borderline"],
                               summary={"harmful_refusal_rate": 0.7, "over_refusal_rate": 0.1}, regression=True,
                               notes="harmful_refusal_rate fell from 0.900 to 0.700")
            yield url


def test_dashboard_renders_in_chromium(dashboard_url):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / "monitor_dashboard.png"
    shot.unlink(missing_ok=True)
    page = f"{dashboard_url}/dashboard?key={KEY}"
    taken = chromium(f"--screenshot={shot.resolve()}", "--window-size=1400,1300", page)
    assert shot.is_file() and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    dom = chromium("--dump-dom", page).stdout
    for expected in ("safealign monitor", 'id="rate-chart"', 'id="eval-chart"', "Recent flagged exchanges",
                     "bomb please", "Alert history", "harmful-responses", "regression", "<polyline"):
        assert expected in dom, expected
    assert 'id="total-exchanges">17<' in dom
    assert "cdn" not in dom.lower() and "<script" not in dom  # self-contained


def test_dashboard_refuses_without_the_key(dashboard_url):
    assert httpx.get(f"{dashboard_url}/dashboard").status_code == 401
    assert httpx.get(f"{dashboard_url}/dashboard?key=wrong").status_code == 403
    dom = chromium("--dump-dom", f"{dashboard_url}/dashboard").stdout
    assert "monitor's API key" in dom and "Recent flagged exchanges" not in dom
