"""The monitor's key check and dashboard under hostile or awkward input: keys as people make them, stored text as
attackers write it."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_monitor import FakeJudges

from safealign.config.sections import MonitorConfig
from safealign.errors import SafealignError
from safealign.monitor import create_gateway
from safealign.monitor.dashboard import render_dashboard
from safealign.monitor.security import KEY_ENV
from safealign.monitor.store import Store, alerts, eval_runs, exchanges, utcnow


def client(tmp_path, key: str | None) -> TestClient:
    config = MonitorConfig(upstream="http://127.0.0.1:9", db=f"sqlite:///{tmp_path}/m.db", api_key=key)
    return TestClient(create_gateway(config, judges=FakeJudges(), start_worker=False))


def test_a_base64_key_pasted_into_the_dashboard_url_is_accepted(tmp_path):
    key = "q3+Vb/9xZk+Jt2wL8mN0pR4sT6uW=="  # as `openssl rand -base64 24` makes them
    with client(tmp_path, key) as c:
        # what a browser sends for the URL typed or pasted as is: '+' read as a space made this a 403
        assert c.get(f"/dashboard?key={key}").status_code == 200
        assert c.get("/dashboard", params={"key": key}).status_code == 200  # %2B-encoded
        assert c.get(f"/dashboard?x=1&key={key}&y=2").status_code == 200
        assert c.get(f"/dashboard?key={key[:-3]}+==").status_code == 403
        assert c.get(f"/dashboard?key={key}", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert c.get(f"/admin/stats?key={key}").status_code == 401  # ?key= stays the page's only
    with client(tmp_path, "correct horse battery") as c:  # a form-encoded space is still a space
        assert c.get("/dashboard?key=correct+horse+battery").status_code == 200
        assert c.get("/dashboard?key=correct%20horse%20battery").status_code == 200
        assert c.get("/dashboard?key=correct+horse").status_code == 403


@pytest.mark.parametrize("key", ["s3cret\n", "  s3cret ", "\ts3cret\r\n"])
@pytest.mark.parametrize("source", ["config", "env"])
def test_whitespace_around_the_key_is_dropped(tmp_path, monkeypatch, key, source):
    # a secret file's trailing newline: no header can carry it, so every request was a 403 "wrong API key"
    monkeypatch.delenv(KEY_ENV, raising=False)
    if source == "env":
        monkeypatch.setenv(KEY_ENV, key)
    with client(tmp_path, key if source == "config" else None) as c:
        assert c.app.state.api_key == "s3cret"
        assert c.get("/admin/stats", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/dashboard?key=s3cret").status_code == 200


def test_a_blank_key_is_no_key_and_a_non_ascii_one_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "from-env")
    with client(tmp_path, "  \n") as c:  # blank: as if not given, so the variable's key counts
        assert c.app.state.api_key == "from-env"
    monkeypatch.delenv(KEY_ENV)
    # a header carries it as latin-1 bytes, so no client could ever send it: refused at start, not a 403 per request
    with pytest.raises(SafealignError, match=r"not printable ASCII.*token_urlsafe"):
        client(tmp_path, "clé-secrète")


HOSTILE = "</script><script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


def test_the_dashboard_escapes_stored_text_and_its_policy_forbids_scripts_and_fetches(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    store = Store(db)
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(exchanges),
            [
                {
                    "created_at": now,
                    "model": HOSTILE,
                    "prompt": HOSTILE,
                    "response": HOSTILE,
                    "original_response": HOSTILE,
                    "status": "judged",
                    "blocked": blocked,
                    "harmful": True,
                    "refused": False,
                    "request_harmful": False,
                }
                for blocked in (False, True)
            ],
        )
        conn.execute(
            sa.insert(alerts), [{"created_at": now, "rule": HOSTILE, "kind": "fired", "message": HOSTILE}]
        )
        conn.execute(
            sa.insert(eval_runs),
            [
                {
                    "created_at": now,
                    "upstream": "u",
                    "model": HOSTILE,
                    "suites": [],
                    "regression": True,
                    "notes": HOSTILE,
                    "summary": {"harmful_refusal_rate": 0.5, "over_refusal_rate": 0.1},
                }
            ],
        )
    page = render_dashboard(store, MonitorConfig(upstream="http://127.0.0.1:9", db=db, api_key="k"))
    assert "<script" not in page and "<img" not in page and "onerror=alert" in page  # shown, as text
    # should anything ever get past the escaping, the browser runs no script and fetches nothing
    head = page[: page.index("<style>")]
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', head)
    assert policy, head
    directives = dict(d.strip().split(" ", 1) for d in html.unescape(policy.group(1)).split(";"))
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"
    assert '<meta name="referrer" content="no-referrer">' in head


def test_the_dashboard_cannot_be_framed_sniffed_or_cached(tmp_path):
    """A page of users' prompts and answers, behind a key in its URL, came with no response headers: it could be framed
    by another site (clickjacking), kept in a shared cache, and its URL sent on as a referrer."""
    with client(tmp_path, "k") as c:
        headers = c.get("/dashboard?key=k").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
