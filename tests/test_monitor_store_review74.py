"""The monitor's store names the fix that fits its database: a folder for SQLite, the server for PostgreSQL."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from safealign.errors import SafealignError


def test_a_postgres_server_that_refuses_is_told_to_check_the_server_not_a_folder() -> None:
    """A PostgreSQL --db whose server refused the connection was told to check 'that the folder exists or can be
    created and is writable, or that the server is up': the folder half is SQLite's."""
    pytest.importorskip("psycopg")
    from safealign.monitor.store import Store

    with socket.socket() as probe:  # a port nothing listens on: the connection is refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SafealignError) as error:
        Store(f"postgresql+psycopg://monitor:secret@127.0.0.1:{port}/traffic?connect_timeout=2")
    said = str(error.value)
    assert "check that the server is up" in said and "folder" not in said, said
    assert "secret" not in said, said


@pytest.mark.sqlite_only  # postgres_plugin turns the sqlite:/// URL into a database on its server
def test_a_sqlite_file_that_cannot_be_made_is_told_to_check_its_folder(tmp_path: Path) -> None:
    from safealign.monitor.store import Store

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be")
    with pytest.raises(SafealignError, match="check that the folder exists or can be created and is writable"):
        Store(f"sqlite:///{blocker}/sub/monitor.db")
