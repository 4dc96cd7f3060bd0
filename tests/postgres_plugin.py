"""Run the monitor's tests against PostgreSQL (needs the ``postgres`` extra)::

    SAFEALIGN_TEST_POSTGRES_SERVER=postgresql+psycopg://USER@HOST:PORT PYTHONPATH=tests \\
        pytest -p postgres_plugin tests/test_monitor.py tests/test_monitor_dashboard.py \\
        tests/test_monitor_contracts.py tests/test_monitor_mutants.py

USER must be allowed to create databases.

Every ``sqlite:///FILE`` store a test opens becomes a fresh database on that server (one per file), so the same
tests check the PostgreSQL path; tests marked ``sqlite_only`` (SQLite's own locking and journal, a worker child
process that is handed the SQLite URL) are skipped. The test suite proper runs on SQLite; this is the check behind
docs/monitoring.md's PostgreSQL line.

This plugin reads SAFEALIGN_TEST_POSTGRES_SERVER only. ``test_monitor.py::test_postgres_store`` reads another
variable, SAFEALIGN_TEST_POSTGRES (a database URL, ``postgresql+psycopg://USER@HOST:PORT/DB``; it drops and recreates
the monitor's tables there), and is skipped without it, with or without this plugin: set both to run every test::

    SAFEALIGN_TEST_POSTGRES=postgresql+psycopg://USER@HOST:PORT/DB SAFEALIGN_TEST_POSTGRES_SERVER=... pytest ...
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest

_names = itertools.count()
_databases: dict[str, str] = {}


def _database(name: str) -> str:
    """The server's URL with database ``name`` (a socket URL keeps its ``?host=`` query)."""
    import sqlalchemy as sa

    server = os.environ.get("SAFEALIGN_TEST_POSTGRES_SERVER")
    if not server:
        raise pytest.UsageError("set SAFEALIGN_TEST_POSTGRES_SERVER=postgresql+psycopg://USER@HOST:PORT to use -p postgres_plugin")
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


def postgres_url(url: str) -> str:
    """A fresh PostgreSQL database for each ``sqlite:///FILE`` URL (the same one each time for one file)."""
    if not url.startswith("sqlite:///") or url == "sqlite:///":
        return url
    if url not in _databases:
        import sqlalchemy as sa

        name = f"safealign_test_{os.getpid()}_{next(_names)}"
        admin = sa.create_engine(_database("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        _databases[url] = _database(name)
    return _databases[url]


@pytest.fixture(autouse=True)
def _stores_on_postgres(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-specific")
    import safealign.monitor.store as store

    original = store.Store.__init__

    def init(self: Any, url: str, *args: Any, **kwargs: Any) -> None:
        original(self, postgres_url(url), *args, **kwargs)

    monkeypatch.setattr(store.Store, "__init__", init)
