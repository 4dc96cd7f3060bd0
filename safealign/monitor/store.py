"""The monitor's database: exchanges, the durable judge queue, verdicts, alerts and eval runs.

An exchange and its queue row are written in one transaction before the client gets its answer, so
an acknowledged exchange survives a crash of the gateway and is judged after restart. SQLite runs in
WAL mode with ``synchronous=NORMAL``: a commit is durable against a killed process (not against power
loss, for which PostgreSQL is the answer: any ``postgresql+psycopg://`` URL, the `postgres` extra).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from safealign.errors import SafealignError
from safealign.monitor.security import redact_url

log = logging.getLogger(__name__)

metadata = sa.MetaData()

exchanges = sa.Table(
    "exchanges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),  # naive UTC
    sa.Column("model", sa.String(200)),
    sa.Column("request", sa.JSON),
    sa.Column("prompt", sa.Text),  # the last user message: what the judges read
    sa.Column(
        "response", sa.Text
    ),  # what the client received (several choices: joined under [choice i] headings)
    sa.Column(
        "original_response", sa.Text
    ),  # the model's own answer when blocking replaced it (or some of its choices)
    sa.Column(
        "choices", sa.JSON
    ),  # the model's own text of each choice, when the answer had more than one (n > 1)
    sa.Column("stream", sa.Boolean, default=False),
    # queued | judged | judge_failed (the judges raised on it max_attempts times) | upstream_error | upstream_rejected
    # | client_closed (a stream its client left before any answer text came: never judged) | upstream_filtered (the
    # upstream's content filter withheld the whole answer: no text, finish_reason content_filter; never judged)
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("upstream_status", sa.Integer),
    sa.Column("latency_ms", sa.Float),
    sa.Column("upstream_latency_ms", sa.Float),
    sa.Column("blocked", sa.Boolean, default=False, nullable=False),
    # Verdict flags, copied from the verdicts table so rates over a window are one indexed query.
    sa.Column("harmful", sa.Boolean),
    sa.Column("refused", sa.Boolean),
    sa.Column("request_harmful", sa.Boolean),
    sa.Column("judged_at", sa.DateTime),
    # Why a judge_failed exchange was set aside: the judges' last error, or the worker stopping while it was judged.
    sa.Column("judge_error", sa.Text),
    # SQLite: AUTOINCREMENT, so an id is never handed out twice. Without it SQLite gives max(id) + 1, and after the purge
    # deleted the newest rows an exporter paging with since_id skipped the new exchanges that took their ids.
    sqlite_autoincrement=True,
)

judge_queue = sa.Table(
    "judge_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exchange_id", sa.Integer, sa.ForeignKey("exchanges.id"), nullable=False, unique=True),
    sa.Column("enqueued_at", sa.DateTime, nullable=False),
    sa.Column("claimed_until", sa.DateTime),  # a worker's lease; expired leases are claimed again
    sa.Column("attempts", sa.Integer, default=0, nullable=False),
    # The attempt at which the worker leased this row alone, after leases that all ended with nothing written (see
    # worker.JudgeWorker._narrow_to_suspect): a later lease means that one ended so too, and the row is set aside.
    sa.Column("alone_at", sa.Integer),
)

verdicts = sa.Table(
    "verdicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exchange_id", sa.Integer, sa.ForeignKey("exchanges.id"), nullable=False, index=True),
    sa.Column("role", sa.String(20), nullable=False),  # refusal | harm | request_harm
    sa.Column("judge", sa.String(100)),
    sa.Column("label", sa.String(40), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("explanation", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("rule", sa.String(100), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),  # fired | resolved | regression
    sa.Column("metric", sa.String(40)),
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("samples", sa.Integer),
    sa.Column("message", sa.Text),
    sa.Column("delivered", sa.Boolean),
)

eval_runs = sa.Table(
    "eval_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("upstream", sa.String(500)),
    sa.Column("model", sa.String(200)),
    sa.Column("suites", sa.JSON),
    sa.Column(
        "item_limit", sa.Integer
    ),  # --limit (None: whole suites); a run is compared only with runs like it
    # flat metric name -> value, plus `judge`, the judge spec that graded the run (since the fifty-sixth session)
    sa.Column("summary", sa.JSON),
    sa.Column("regression", sa.Boolean, default=False),
    sa.Column("notes", sa.Text),
)


# The judge worker's statements, built once: building and cache-keying a Core statement per batch cost
# as much CPU as running it on SQLite. ``now``, ``limit``, ``up_to`` and the id lists are bound per call.
def _free() -> sa.ColumnElement[bool]:
    """A queue row no worker holds: never leased, or its lease ran out."""
    return sa.or_(
        judge_queue.c.claimed_until.is_(None),
        judge_queue.c.claimed_until < sa.bindparam("now", type_=sa.DateTime),
    )


def _pick(bounded: bool, locked: bool) -> sa.Select:
    query = sa.select(judge_queue.c.id).where(_free())
    if bounded:  # `monitor judge --once`: only what was queued when it started
        query = query.where(judge_queue.c.exchange_id <= sa.bindparam("up_to", type_=sa.Integer))
    query = query.order_by(judge_queue.c.id).limit(sa.bindparam("limit", type_=sa.Integer))
    return (
        query.with_for_update(skip_locked=True) if locked else query
    )  # PostgreSQL: concurrent workers skip each other's rows


_PICK = {(bounded, locked): _pick(bounded, locked) for bounded in (False, True) for locked in (False, True)}
# The lease is taken only on rows still free, and says which: on SQLite the pick runs before the write transaction
# begins, so another worker may have leased some of the picked rows in between (two workers judged the same rows).
_LEASE = (
    judge_queue.update()
    .where(judge_queue.c.id.in_(sa.bindparam("ids", expanding=True)), _free())
    .values(claimed_until=sa.bindparam("until", type_=sa.DateTime), attempts=judge_queue.c.attempts + 1)
    .returning(judge_queue.c.exchange_id)
)
_CLAIMED = (
    sa.select(
        exchanges.c.id,
        exchanges.c.prompt,
        exchanges.c.response,
        exchanges.c.original_response,
        exchanges.c.choices,
        judge_queue.c.attempts,
        judge_queue.c.alone_at,
    )
    .join(judge_queue, judge_queue.c.exchange_id == exchanges.c.id)
    .where(exchanges.c.id.in_(sa.bindparam("eids", expanding=True)))
    .order_by(exchanges.c.id)
)
_INSERT_VERDICTS = verdicts.insert()
_MARK_JUDGED = (
    exchanges.update()
    .where(exchanges.c.id == sa.bindparam("eid"))
    .values(
        status="judged",
        judged_at=sa.bindparam("now", type_=sa.DateTime),
        harmful=sa.bindparam("h"),
        refused=sa.bindparam("r"),
        request_harmful=sa.bindparam("q"),
    )
)
_MARK_FAILED = (
    exchanges.update()
    .where(exchanges.c.id == sa.bindparam("eid"))
    .values(status="judge_failed", judge_error=sa.bindparam("why"))
)
# Only the rows still under the lease the worker judged them under: a batch that outlived its lease may have been
# claimed (and judged) by another worker since, whose lease replaced this one.
_DEQUEUE_LEASED = (
    judge_queue.delete()
    .where(
        judge_queue.c.exchange_id.in_(sa.bindparam("eids", expanding=True)),
        judge_queue.c.claimed_until == sa.bindparam("lease", type_=sa.DateTime),
    )
    .returning(judge_queue.c.exchange_id)
)


# Exchanges the retention purge deletes a transaction. On SQLite the gateway's writer waits for the write lock while one
# runs: the whole purge as one transaction (~11 us an exchange with its verdicts) held it for seconds, and past the
# writer's 30 s for a backlog of millions (a first purge, a shorter --retention-days), every answer meanwhile a 503.
PURGE_CHUNK = 500
_SPIN_ON_BUSY = "safealign_spin_on_busy"  # Connection.info key: see Store.request_path_connection
EXCHANGE_FIELDS = tuple(c.name for c in exchanges.columns if c.name != "id")
_FIELD_DEFAULTS = {"stream": False, "blocked": False}


def _say_why_not_owned(conn: sa.Connection, lost: set[int]) -> None:
    """Log why a batch's exchanges ``lost`` are no longer under its lease: deleted by a retention purge meanwhile (a
    gateway's POST /admin/purge, another worker's hourly one), or leased by another worker."""
    query = sa.select(exchanges.c.id).where(exchanges.c.id.in_(lost))
    purged = len(lost) - len(conn.execute(query).scalars().all())
    if purged:
        log.warning(
            "%d exchanges of this batch were deleted by the retention purge while they were judged: their verdicts are "
            "dropped",
            purged,
        )
    if len(lost) > purged:
        log.warning(
            "%d exchanges of this batch are no longer under its lease (claimed by another worker after the lease ran "
            "out, or freed by --release-leases): their verdicts from this worker are dropped",
            len(lost) - purged,
        )


class CommitUnknownError(SafealignError):
    """A commit whose outcome is unknown (its connection lost, the database unreachable to ask): not to be retried."""


def fit_to_column(column: sa.Column, value: Any) -> Any:
    """``value`` as ``column`` stores it: a text cut to the column's length. A query that compares the column with a
    value must fit it the same way, or a long value never finds its own rows."""
    length = getattr(column.type, "length", None)
    return value[:length] if length and isinstance(value, str) and len(value) > length else value


def _fit(table: sa.Table, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with each text cut to its column's length. SQLite ignores VARCHAR lengths, PostgreSQL refuses the
    row: a client's 250-character ``model`` got a 503 "try again" that could never succeed, and its answer was lost.
    An exchange's whole request, its ``model`` included, stays in ``exchanges.request``."""
    for column in table.columns:
        if column.name in record:
            record[column.name] = fit_to_column(column, record[column.name])
    return record


def _exchange_record(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Every column of ``exchanges`` for ``row`` (missing ones as their default), so one executemany takes a mixed batch."""
    unknown = row.keys() - EXCHANGE_FIELDS - {"queue"}
    if unknown:
        raise ValueError(f"exchange row has fields that are not columns: {sorted(unknown)}")
    record = {name: row.get(name, _FIELD_DEFAULTS.get(name)) for name in EXCHANGE_FIELDS}
    record["created_at"] = as_naive_utc(record["created_at"] or now)
    return _fit(exchanges, record)


def as_naive_utc(when: dt.datetime) -> dt.datetime:
    """``when`` as the store keeps times: naive UTC. SQLite stored an aware time with its offset ("12:00+09:00"): the
    purge compared its wall time with UTC, and its aware value, read back among naive ones, failed the dashboard."""
    return when if when.tzinfo is None else when.astimezone(dt.UTC).replace(tzinfo=None)


class SqliteExchangeInsert:
    """The exchange insert on SQLite through the driver's ``executemany``: the gateway's hot write.

    SQLAlchemy's insert-with-RETURNING costs ~0.13 ms of CPU per batch plus ~0.025 ms per row
    (statement cache lookup, insertmanyvalues rendering, result processing); the plain driver call
    costs ~0.04 + ~0.008 ms, and at 300 requests/s the gateway commits small batches many times a
    second (measured with /proc CPU in benchmarks/monitor_load.py and py-spy). Values go through each
    column's own SQLAlchemy bind processor, so what is stored is exactly what the Core insert stores.
    The ids: inside one write transaction SQLite gives each inserted row the next rowid, so a batch's
    ids are the ``len(batch)`` consecutive ones that end at ``last_insert_rowid()``.
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        self.sql = f"INSERT INTO exchanges ({', '.join(EXCHANGE_FIELDS)}) VALUES ({', '.join('?' * len(EXCHANGE_FIELDS))})"
        self.queue_sql = "INSERT INTO judge_queue (exchange_id, enqueued_at, attempts) VALUES (?, ?, 0)"
        self.processors = [exchanges.c[name].type.bind_processor(dialect) for name in EXCHANGE_FIELDS]
        self.time = judge_queue.c.enqueued_at.type.bind_processor(dialect) or (lambda value: value)

    def __call__(
        self, conn: sa.Connection, records: list[dict[str, Any]], queue: list[bool], now: dt.datetime
    ) -> list[int]:
        """Insert ``records`` and queue rows for those flagged in ``queue`` in one transaction; returns the ids.

        On a ``request_path_connection`` a locked database is retried every half millisecond (30 s at most).
        """
        values = [
            tuple(
                value if process is None or value is None else process(value)
                for value, process in zip(record.values(), self.processors, strict=True)
            )
            for record in records
        ]
        enqueued_at = self.time(now)
        deadline = time.monotonic() + 30.0
        while True:
            try:
                with conn.begin():
                    return self._insert(conn, values, queue, enqueued_at)
            except sqlite3.OperationalError as error:
                if (
                    not conn.info.get(_SPIN_ON_BUSY)
                    or "locked" not in str(error)
                    or time.monotonic() > deadline
                ):
                    raise
                time.sleep(0.0005)

    def _insert(
        self, conn: sa.Connection, values: list[tuple], queue: list[bool], enqueued_at: Any
    ) -> list[int]:
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(self.sql, values)
            last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
            ids = list(range(last - len(values) + 1, last + 1))
            cursor.executemany(
                self.queue_sql, [(i, enqueued_at) for i, q in zip(ids, queue, strict=True) if q]
            )
        finally:
            cursor.close()
        return ids


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def create_db_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite gets WAL, synchronous=NORMAL and a busy timeout on every connection."""
    if url.startswith("sqlite:"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # SQLite fails a journal mode change at once, without the busy timeout, while another connection holds a
            # lock: a new file that another monitor opening it too was writing its tables into failed this start.
            deadline = time.monotonic() + 30.0
            while True:
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "checkin")
        def _restore_busy_timeout(dbapi_connection: Any, record: Any) -> None:
            # A request-path connection the writer closed (it does after a failed batch) goes back to the pool: the next
            # user (a judge worker thread) must wait for the write lock again, not fail at once while it is held.
            if record.info.pop(_SPIN_ON_BUSY, None) and dbapi_connection is not None:
                dbapi_connection.execute("PRAGMA busy_timeout=30000")

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except ModuleNotFoundError as error:
        raise SafealignError(
            f"{url.split(':', 1)[0]} needs a driver that is not installed ({error.name}); "
            "install it with: pip install psycopg psycopg-binary (safealign's 'postgres' extra)"
        ) from None


def _create_schema(engine: sa.Engine) -> None:
    """The monitor's tables, and the columns and indexes added since a database was created.

    A current schema (the usual start) is only read. Changes are made under a lock, SQLite's write lock or a
    PostgreSQL advisory lock, after a second look: two monitors starting together on an older database (two gateways
    on one PostgreSQL, a gateway and a `monitor judge`) both saw a column missing, and the second's ALTER TABLE failed
    its start ("duplicate column name")."""
    with engine.connect() as conn:
        if _schema_is_current(conn):
            return
    with engine.connect() as conn:
        # SQLite's driver opens no transaction for DDL: BEGIN takes the write lock. PostgreSQL's DDL is transactional:
        # the advisory lock is held until the commit.
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            conn.execute(
                sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("safealign-monitor-schema")))
            )
        _check_tables_are_ours(conn)
        metadata.create_all(conn)
        _upgrade_schema(conn)
        conn.commit()


# The columns each table gained after the monitor's first release: an older database of the monitor's lacks only these
# (and is given them); a table of the same name that lacks any other column is another application's. A column added to
# a table from now on must be named here too, or the databases made before it are refused.
ADDED_COLUMNS = {
    "exchanges": {"choices", "judge_error"},
    "judge_queue": {"alone_at"},
    "eval_runs": {"item_limit"},
}


def _check_tables_are_ours(conn: sa.Connection) -> None:
    """Refuse a database holding a table of one of the monitor's names that the monitor did not make: its columns were
    added to it (another application's ``exchanges`` table altered for good) and the monitor wrote rows into it."""
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        missing = {c.name for c in table.columns} - columns - ADDED_COLUMNS.get(table.name, set())
        if missing:
            raise SafealignError(
                f"--db {redact_url(str(conn.engine.url))}: its table {table.name!r} is not a safealign monitor table "
                f"(it has no column {', '.join(sorted(missing))}): another application's data, left as it is; point "
                "--db at a new file or database of the monitor's own"
            )


def _schema_is_current(conn: sa.Connection) -> bool:
    inspector = sa.inspect(conn)
    if {table.name for table in metadata.sorted_tables} - set(inspector.get_table_names()):
        return False
    return not any(
        {c.name for c in table.columns} - {c["name"] for c in inspector.get_columns(table.name)}
        or {i.name for i in table.indexes} - {i["name"] for i in inspector.get_indexes(table.name)}
        for table in (exchanges, judge_queue, eval_runs)
    )


def _upgrade_schema(conn: sa.Connection) -> None:
    """Columns and indexes added since a database was created (``create_all`` makes only missing tables).

    New columns are nullable, so ADD COLUMN is enough."""
    for table in (exchanges, judge_queue, eval_runs):
        present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                log.info(
                    "adding column %s.%s to %s", table.name, column.name, redact_url(str(conn.engine.url))
                )
                conn.exec_driver_sql(
                    f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type.compile(conn.dialect)}"
                )
        for index in table.indexes:
            index.create(conn, checkfirst=True)


def _first_missing(url: str) -> Path | None:
    """The outermost of a SQLite database file and its folders that does not exist yet (what opening it creates), or
    None (it exists, or the URL names no file)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    missing = None
    for path in (file := Path(parsed.database).resolve(), *file.parents):
        if path.exists():
            break
        missing = path
    return missing


def _ids_can_go_back(engine: sa.Engine) -> bool:
    """Whether the database hands out ``max(id) + 1`` as the next exchange id: a SQLite file whose ``exchanges``
    table was made before it had AUTOINCREMENT (the option applies to new tables only)."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'exchanges'"
        ).scalar()
    return "AUTOINCREMENT" not in (sql or "").upper()


class Store:
    """Write-side operations of the monitor; reads for rates and the dashboard live in ``queries``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._created = _first_missing(url)
        try:
            self.engine = create_db_engine(url)
            try:
                _create_schema(self.engine)
            except BaseException:
                self.engine.dispose()  # its pooled connection kept the database open
                raise
        except sa.exc.ArgumentError as error:
            raise SafealignError(
                f"--db {redact_url(url)!r} is not a database URL ({error}); give sqlite:///FILE "
                "or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
            ) from None
        except (OSError, sa.exc.OperationalError) as error:
            reason = getattr(error, "orig", None) or error
            check = (
                "check that the folder exists or can be created and is writable"
                if sa.engine.make_url(url).get_backend_name() == "sqlite"
                else "check that the server is up and takes connections at that address, and the user and password"
            )
            raise SafealignError(
                f"--db {redact_url(url)}: cannot open or create the database ({type(reason).__name__}: {reason}); "
                f"{check}"
            ) from None
        except (
            sa.exc.DatabaseError
        ) as error:  # OperationalError's parent: e.g. sqlite's "file is not a database"
            reason = getattr(error, "orig", None) or error
            raise SafealignError(
                f"--db {redact_url(url)}: not a database the monitor can use ({type(reason).__name__}: {reason}); "
                "point --db at a new file or at an existing safealign monitor database"
            ) from None
        self._sqlite_insert = (
            SqliteExchangeInsert(self.engine.dialect) if self.engine.dialect.name == "sqlite" else None
        )
        self._ids_can_go_back = _ids_can_go_back(self.engine)
        database = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        self._file = Path(database).resolve() if database and database != ":memory:" else None
        self._file_id = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        try:
            stat = self._file.stat() if self._file is not None else None
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino) if stat is not None else None

    def file_problem(self) -> str | None:
        """Why a SQLite database file can no longer take exchanges (deleted, moved or replaced since the store opened
        it: open connections would go on writing into the unlinked file, and every row would be lost), or None."""
        if self._file is None or self._identity() == self._file_id:
            return None
        return (
            f"the database file {self._file} was deleted, moved or replaced while the monitor ran: exchanges are not "
            "stored; put the file back, or restart the monitor to start a new one"
        )

    def close(self) -> None:
        self.engine.dispose()

    @property
    def created(self) -> Path | None:
        """What opening this store created (the SQLite file, or the outermost folder made for it), else None."""
        return self._created

    def discard(self) -> None:
        """Close the store, and delete the SQLite database it created (with its -wal and -shm files and the folders
        made for it) while that is still empty: a start refused after the store opened (a judge factory that raises)
        left a new, empty database, which the next start took for the real one."""
        self.close()
        if self._created is None or self._file is None or not self._empty():
            return
        with contextlib.suppress(OSError):  # what cannot go stays: the error being raised is the caller's
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self._file}{suffix}").unlink(missing_ok=True)
            folder = self._file.parent
            while self._created != self._file and folder.is_relative_to(self._created):
                folder.rmdir()  # fails when not empty: something else was put there meanwhile
                folder = folder.parent

    def _empty(self) -> bool:
        """Whether nothing was stored yet (another monitor that opened the new database too may have written to it)."""
        try:
            with self.engine.connect() as conn:
                return not any(
                    conn.execute(sa.select(table.c.id).limit(1)).first()
                    for table in (exchanges, eval_runs, alerts)
                )
        except Exception:  # noqa: BLE001 - cannot tell: it stays
            return False
        finally:
            self.engine.dispose()

    def insert_exchanges(
        self, rows: Sequence[dict[str, Any]], conn: sa.Connection | None = None
    ) -> list[int]:
        """Insert exchanges (and queue rows for those with ``queue=True``) in ONE transaction; returns ids.

        ``conn``: a connection the caller keeps open (the writer thread's), else one from the pool.
        Rows may leave out any column (a failed upstream call has no upstream status): a batch mixes kinds.
        A COMMIT that fails after the server stored the rows (its acknowledgement lost with the connection) returns their
        ids (see ``_committed``).
        """
        if not rows:
            return []
        if conn is None:
            with self.engine.connect() as pooled:
                return self.insert_exchanges(rows, pooled)
        now = utcnow()
        records = [_exchange_record(row, now) for row in rows]
        queue = [bool(row.get("queue")) for row in rows]
        if self._sqlite_insert is not None:
            return self._sqlite_insert(conn, records, queue, now)
        committing = False
        try:
            with conn.begin():
                ids = [
                    r.id
                    for r in conn.execute(
                        exchanges.insert().returning(exchanges.c.id, sort_by_parameter_order=True), records
                    )
                ]
                queued = [
                    {"exchange_id": i, "enqueued_at": now, "attempts": 0}
                    for i, q in zip(ids, queue, strict=True)
                    if q
                ]
                if queued:
                    conn.execute(judge_queue.insert(), queued)
                committing = True
        except Exception:
            if committing and self._committed(ids):
                return ids
            raise
        return ids

    def _committed(self, ids: list[int]) -> bool:
        """Whether a transaction whose COMMIT failed (its connection lost after the server got it) stored the exchanges
        ``ids``: a retry of rows that are stored writes, queues and judges each one twice. Ids come from a sequence and
        are never handed out again, so they are found exactly when the transaction committed. Raises CommitUnknownError
        when the database cannot say (still unreachable): the rows must not be written again on a guess."""
        try:
            with self.engine.connect() as conn:
                found = conn.execute(
                    sa.select(sa.func.count()).select_from(exchanges).where(exchanges.c.id.in_(ids))
                ).scalar_one()
        except Exception as error:  # noqa: BLE001 - whatever stops the check, the outcome stays unknown
            raise CommitUnknownError(
                f"the connection to {redact_url(self.url)} was lost while committing {len(ids)} exchanges, and whether "
                f"they were stored could not be checked ({type(getattr(error, 'orig', None) or error).__name__}): not "
                "written again, to store none twice"
            ) from None
        if found:
            log.warning(
                "the connection was lost while committing %d exchanges, after the database stored them: kept once",
                len(ids),
            )
        return bool(found)

    def request_path_connection(self) -> sa.Connection:
        """A connection for the gateway's writer, whose commits clients wait for.

        On SQLite it waits for the write lock (held for a moment by the judge worker's commits) in
        short steps of its own instead of SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20 ms...
        between tries: measured under load, that schedule turned a lock held for 1-2 ms into 10-35 ms
        commits, the gateway's slowest answers. ``insert_exchanges`` retries on this connection.
        """
        conn = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            conn.info[_SPIN_ON_BUSY] = True
        return conn

    def claim(
        self, limit: int, lease_s: float = 300.0, conn: sa.Connection | None = None, up_to: int | None = None
    ) -> list[dict[str, Any]]:
        """Lease up to ``limit`` queued exchanges (oldest first), including ones whose lease expired; each row carries
        its ``lease``, for ``complete``. ``up_to``: only exchanges with an id up to this one (see ``last_queued``)."""
        with self._transaction(conn) as tx:
            return self._lease(tx, limit, lease_s, up_to)

    def complete(
        self,
        results: Sequence[dict[str, Any]],
        conn: sa.Connection | None = None,
        claim: int = 0,
        lease_s: float = 300.0,
        failed: Sequence[int] | Mapping[int, str] = (),
        lease: dt.datetime | None = None,
        up_to: int | None = None,
    ) -> tuple[set[int], list[dict[str, Any]]]:
        """Store verdicts, set the exchanges' flags and drop their queue rows, in one transaction.

        Each result: ``{"exchange_id", "harmful", "refused", "request_harmful", "verdicts": [row...]}``.
        ``lease``: the ``lease`` of the claimed rows these results are for. Only rows still under it are completed:
        a batch that outlived its lease may have been claimed and judged by another worker since, and its verdicts
        are that worker's to write (the others are dropped, with a warning). ``claim=N`` also leases the next N
        queued exchanges (up to ``up_to``, as ``claim``) in the same transaction and returns them (one commit per
        batch instead of two while a backlog lasts). ``failed``: exchange ids the judges gave up on (or id -> why, kept
        in ``judge_error``); they are marked ``judge_failed`` and leave the queue. Returns (the ids of ``results`` and
        ``failed`` written, the rows leased).
        """
        if not results and not claim and not failed:
            return set(), []
        if (results or failed) and lease is None:
            raise ValueError(
                "complete() needs the lease the results were claimed under: pass lease=row['lease'] of a claimed row"
            )
        now = utcnow()
        owned: set[int] = set()
        why = failed if isinstance(failed, Mapping) else dict.fromkeys(failed)
        with self._transaction(conn) as tx:
            if results or failed:
                # Dequeued first: the delete takes the write lock (SQLite) or the rows' locks (PostgreSQL) before
                # anything else is written, so no other worker can lease them between the check and the writes.
                eids = [r["exchange_id"] for r in results] + list(failed)
                owned = set(tx.execute(_DEQUEUE_LEASED, {"eids": eids, "lease": lease}).scalars())
                if len(owned) < len(eids):
                    _say_why_not_owned(tx, set(eids) - owned)
                results = [r for r in results if r["exchange_id"] in owned]
                failed = [eid for eid in failed if eid in owned]
            if results:
                verdict_rows = [
                    _fit(verdicts, v | {"exchange_id": r["exchange_id"], "created_at": now})
                    for r in results
                    for v in r["verdicts"]
                ]
                # Judges may give no verdict row: an empty list would run INSERT ... DEFAULT VALUES (no exchange_id).
                if verdict_rows:
                    tx.execute(_INSERT_VERDICTS, verdict_rows)
                tx.execute(
                    _MARK_JUDGED,
                    [
                        {
                            "eid": r["exchange_id"],
                            "now": now,
                            "h": r["harmful"],
                            "r": r["refused"],
                            "q": r["request_harmful"],
                        }
                        for r in results
                    ],
                )
            if failed:
                tx.execute(_MARK_FAILED, [{"eid": eid, "why": why[eid]} for eid in failed])
            return owned, self._lease(tx, claim, lease_s, up_to) if claim else []

    def _lease(
        self, conn: sa.Connection, limit: int, lease_s: float, up_to: int | None = None
    ) -> list[dict[str, Any]]:
        """The leased rows; each carries its ``lease`` (the ``claimed_until`` set here), which ``complete`` checks.

        Empty only when no row is free: picked rows that another worker leased first are picked past, not returned
        as an empty batch (which a draining worker reads as an empty queue)."""
        pick = _PICK[(up_to is not None, self.engine.dialect.name == "postgresql")]
        while True:
            now = utcnow()
            ids = conn.execute(pick, {"now": now, "limit": limit, "up_to": up_to}).scalars().all()
            if not ids:
                return []
            until = now + dt.timedelta(seconds=lease_s)
            leased = conn.execute(_LEASE, {"ids": ids, "now": now, "until": until}).scalars().all()
            if leased:  # (on SQLite the update took the write lock: a second pick cannot lose its rows again)
                return [
                    dict(row._mapping) | {"lease": until} for row in conn.execute(_CLAIMED, {"eids": leased})
                ]

    @contextlib.contextmanager
    def _transaction(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        """A transaction on ``conn`` (a connection the caller keeps open), else on one from the pool."""
        if conn is None:
            with self.engine.begin() as pooled:
                yield pooled
        else:
            with conn.begin():
                yield conn

    def release_leases(self) -> int:
        """Make every leased queue row claimable now (a restart after a crash on a single-host database)."""
        with self.engine.begin() as conn:
            return conn.execute(
                judge_queue.update()
                .where(judge_queue.c.claimed_until.is_not(None))
                .values(claimed_until=None)
            ).rowcount

    def leased(self) -> tuple[int, dt.datetime | None]:
        """Queued exchanges under a live lease (a worker is judging them, or died holding them) and the last expiry."""
        with self.engine.connect() as conn:
            live = judge_queue.c.claimed_until >= utcnow()
            count, until = conn.execute(
                sa.select(sa.func.count(), sa.func.max(judge_queue.c.claimed_until)).where(live)
            ).one()
            return int(count), until

    def judge_failures(self) -> int:
        """Exchanges the judges raised on too many times (status ``judge_failed``): never judged, no longer retried."""
        with self.engine.connect() as conn:
            query = (
                sa.select(sa.func.count()).select_from(exchanges).where(exchanges.c.status == "judge_failed")
            )
            return int(conn.execute(query).scalar_one())

    def last_queued(self) -> int:
        """The highest exchange id in the queue now (0 when it is empty): ``claim(up_to=...)`` judges what was queued
        at this moment and nothing that arrives later (exchange ids only grow)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(judge_queue.c.exchange_id))).scalar() or 0)

    def waiting(self, up_to: int | None = None) -> int:
        """Queued exchanges no worker holds (never leased, or the lease ran out), up to exchange id ``up_to`` (as
        ``claim``): what a drain that ran out of time left for the next run."""
        query = sa.select(sa.func.count()).select_from(judge_queue).where(_free())
        if up_to is not None:
            query = query.where(judge_queue.c.exchange_id <= up_to)
        with self.engine.connect() as conn:
            return int(conn.execute(query, {"now": utcnow()}).scalar_one())

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(judge_queue)).scalar_one())

    def add_alert(self, **fields: Any) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(alerts.insert().values(created_at=utcnow(), **fields)).inserted_primary_key[0]
            )

    def mark_alert_delivered(self, alert_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(alerts.update().where(alerts.c.id == alert_id).values(delivered=True))

    def last_alert_kind(self, rule: str) -> str | None:
        """``fired`` or ``resolved`` for the rule's latest event (a read; record_alert_change decides under a lock)."""
        query = sa.select(alerts.c.kind).where(
            alerts.c.rule == rule, alerts.c.kind.in_(["fired", "resolved"])
        )
        with self.engine.connect() as conn:
            return conn.execute(query.order_by(alerts.c.id.desc()).limit(1)).scalar()

    def record_alert_change(self, rule: str, kind: str, **fields: Any) -> int | None:
        """Add a ``fired`` event unless the rule's latest event is already ``fired``, or a ``resolved`` one only when
        it is: the alert's id, or None when another worker on this database recorded the change first. One
        statement reads and inserts (SQLite runs it under its write lock; PostgreSQL under a per-rule advisory
        lock taken first), so two workers judging into one database page once, and each sees the other's
        resolve instead of trusting the state it read at start."""
        latest = (
            sa.select(alerts.c.kind)
            .where(alerts.c.rule == rule, alerts.c.kind.in_(["fired", "resolved"]))
            .order_by(alerts.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        latest_kind = sa.func.coalesce(latest, "resolved")
        wanted = latest_kind != "fired" if kind == "fired" else latest_kind == "fired"
        values = {"created_at": utcnow(), "rule": rule, "kind": kind, **fields}
        columns = list(values)
        source = sa.select(*(sa.literal(values[name], alerts.c[name].type) for name in columns)).where(wanted)
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(
                    sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("safealign-alert:" + rule)))
                )
            # RETURNING, not rowcount: psycopg reports a row count for an INSERT ... SELECT that inserted nothing
            inserted = conn.execute(
                alerts.insert().from_select(columns, source).returning(alerts.c.id)
            ).scalar()
            return None if inserted is None else int(inserted)

    def add_eval_run(self, **fields: Any) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    eval_runs.insert().values(created_at=utcnow(), **_fit(eval_runs, dict(fields)))
                ).inserted_primary_key[0]
            )

    def purge(self, retention_days: int) -> int:
        """Delete exchanges older than ``retention_days`` with their verdicts and queue rows, ``PURGE_CHUNK`` exchanges a
        transaction (a stop half-way leaves the rest to the next purge).

        On a SQLite file made before the exchanges table had AUTOINCREMENT, the newest exchange is kept whatever its
        age: deleting it would hand its id, and those below it, to the next exchanges (SQLite gives ``max(id) + 1``),
        and an exporter that pages with ``since_id`` would skip them."""
        cutoff = utcnow() - dt.timedelta(days=retention_days)
        old = exchanges.c.created_at < cutoff
        if self._ids_can_go_back:
            newest = exchanges.alias(
                "newest"
            )  # an alias: a subquery on the table itself would correlate to it
            old = sa.and_(old, exchanges.c.id < sa.select(sa.func.max(newest.c.id)).scalar_subquery())
        pick = sa.select(exchanges.c.id).where(old).limit(PURGE_CHUNK)
        deleted = 0
        while True:
            with self.engine.begin() as conn:
                ids = conn.execute(pick).scalars().all()
                if not ids:
                    break
                # The queue rows first: on PostgreSQL their delete waits for a worker completing them to commit, so the
                # verdicts it wrote meanwhile are deleted next (in the other order they failed the exchanges' delete on
                # their foreign key, and the whole purge with it).
                conn.execute(judge_queue.delete().where(judge_queue.c.exchange_id.in_(ids)))
                conn.execute(verdicts.delete().where(verdicts.c.exchange_id.in_(ids)))
                deleted += conn.execute(exchanges.delete().where(exchanges.c.id.in_(ids))).rowcount
        if deleted:
            log.info("retention: deleted %d exchanges older than %d days", deleted, retention_days)
        return deleted
