"""The engines as a box worker drives them: read-only connections, their own limits, errors.

This runs inside a worker process (see ``worker.py``), never in the web process; PostgreSQL's part
is in ``postgresql.py``. Each engine stops a statement at the time limit by its own means (DuckDB
an interrupt from a watch thread, SQLite a progress handler, PostgreSQL ``statement_timeout``) and
reports it; what an engine cannot stop in time, the worker's OS limits and the parent's watchdog
do. DuckDB connections stay open between calls (warm caches) and are reopened when the file is
replaced, e.g. by ``warehouse_build``'s ``os.replace``; SQLite and PostgreSQL connect per call,
which costs them little.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from sql_gen.box.protocol import BoxFailure, Limits, Target, encode
from sql_gen.box.values import rows_frame

_DUCKDB_CONFIG = {
    "enable_external_access": False,  # no files, URLs, ATTACH, COPY, INSTALL
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # a table name never resolves to a Python variable
    "temp_directory": "",  # no spill files next to the warehouse: past the limit a query fails
    # One worker thread and no I/O threads: a statement cannot use more than one core, and the
    # worker's address space stays small (measured: DuckDB 2.0's default 8 I/O threads take
    # VmSize from 113 MB to 700 MB before any query runs).
    "threads": 1,
    "async_threads": 0,
}
# DuckDB gets this share of the box's memory limit: its own accounting then refuses first, with a
# clear error, and the rest covers what it does not track (strings, Python, the result rows).
DUCKDB_MEMORY_SHARE = 0.75
_OPEN_DUCKDB_FILES = 4
_SQLITE_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# No string or blob in a widget query needs more; larger ones are how printf/zeroblob exhaust memory.
_SQLITE_MAX_LENGTH = 10_000_000
MAX_ERROR_CHARS = 500
SCHEMA_COLUMNS = ["table_name", "column_name", "data_type"]
INFO_SCHEMA_SQL = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = %s ORDER BY table_name, ordinal_position"
)
_SQLITE_TABLES_SQL = (
    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
)

Send = Callable[[dict[str, Any]], None]
Result = tuple[list[str], list[Any]]  # column names, rows


@dataclass(frozen=True)
class Call:
    """One request: ``params`` maps the statement's placeholders to ISO dates (or None for NULL)."""

    op: str
    sql: str
    fetch: int
    params: dict[str, str | None]

    def dates(self) -> dict[str, date | None]:
        """Return the values as dates, for the drivers that bind dates (DuckDB, psycopg)."""
        return {k: None if v is None else date.fromisoformat(v) for k, v in self.params.items()}


def duckdb_config(*, memory_bytes: int) -> dict[str, Any]:
    """Return the settings a worker opens DuckDB with, for a box memory limit of ``memory_bytes``."""
    return {**_DUCKDB_CONFIG, "memory_limit": f"{max(1, int(memory_bytes * DUCKDB_MEMORY_SHARE) >> 20)}MiB"}


def statement_failure(error: object) -> BoxFailure:
    text = str(error).strip() or type(error).__name__
    return BoxFailure("statement", text[:MAX_ERROR_CHARS])


class Engines:
    """Serve requests for every engine; one instance per worker process."""

    def __init__(self, *, send: Send) -> None:
        self._send = send  # for messages before the reply (the PostgreSQL backend's pid)
        self._duckdb = _DuckDBFiles()
        self._interrupter = _Interrupter()

    def close_idle(self) -> None:
        """Close the open DuckDB files (the worker has been idle for a while)."""
        self._duckdb.close_all()

    def handle(self, message: dict[str, Any]) -> bytes:
        """Return the reply frame for one request: rows, column names, or a BoxFailure."""
        target, limits = Target(**message["target"]), Limits(**message["limits"])
        handler = {"duckdb": self._duckdb_call, "sqlite": _sqlite_call, "postgresql": self._postgresql_call}
        try:
            call = Call(op=message["op"], sql=message["sql"], fetch=message["fetch"],
                        params=dict(message.get("params") or {}))
            columns, rows = handler[target.engine](call, target, limits)
            return rows_frame(columns, rows, max_bytes=limits.output_bytes)
        except BoxFailure as failure:
            return encode(failure.to_wire())
        except MemoryError:  # the address-space limit refused an allocation Python or SQLite made
            return encode(BoxFailure("limit", "out of memory", limit="memory").to_wire())
        except (OverflowError, ValueError, TypeError, UnicodeError) as e:  # a value the driver cannot convert
            return encode(statement_failure(f"a value could not be read back ({type(e).__name__}: {e})").to_wire())

    def _duckdb_call(self, call: Call, target: Target, limits: Limits) -> Result:
        conn = self._duckdb.connection(target.location, memory_bytes=limits.memory_bytes)
        try:
            with self._interrupter.armed(conn, limits.time_s):
                if call.op == "schema":
                    return SCHEMA_COLUMNS, conn.execute(INFO_SCHEMA_SQL.replace("%s", "?"), ["main"]).fetchall()
                statements = conn.extract_statements(call.sql)
                if len(statements) != 1:
                    raise BoxFailure("statement", "Send exactly one statement.")
                if statements[0].type != duckdb.StatementType.SELECT:  # no CALL, PRAGMA, SET, EXPLAIN
                    raise BoxFailure("statement", "Only a SELECT statement can be run here.")
                values = call.dates() or None  # $name placeholders, bound as DATE
                if call.op == "prove":
                    # Binds (and plans constants) without running: a relation runs only when read.
                    return conn.sql(call.sql, params=values).columns, []
                conn.execute(statements[0], values)  # what was parsed and counted, not a second parse
                return [d[0] for d in conn.description or []], conn.fetchmany(call.fetch)
        except duckdb.InterruptException:
            raise BoxFailure("limit", "interrupted at the time limit", limit="time") from None
        except duckdb.OutOfMemoryException:
            raise BoxFailure("limit", "out of memory", limit="memory") from None
        except duckdb.Error as e:
            raise statement_failure(e) from None

    def _postgresql_call(self, call: Call, target: Target, limits: Limits) -> Result:
        # Loaded on first use: psycopg takes ~90 ms to import, a third of a worker's start.
        from sql_gen.box import postgresql

        return postgresql.call(call, target, limits, send=self._send)


def _sqlite_call(call: Call, target: Target, limits: Limits) -> Result:
    """Run one call on SQLite, where dates are text: ``:name`` placeholders bind the ISO strings as they are."""
    op, sql, values = call.op, call.sql, call.params
    try:
        conn = sqlite3.connect(f"{Path(target.location).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise BoxFailure("source", str(e)) from None
    deadline = time.monotonic() + limits.time_s
    try:
        # mode=ro alone still lets ATTACH create files, so forbid attaching at all.
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _SQLITE_MAX_LENGTH)
        conn.execute("PRAGMA temp_store = MEMORY")  # a big sort may not write temporary files
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
        if op == "schema":
            return SCHEMA_COLUMNS, _sqlite_schema(conn)
        conn.set_authorizer(_sqlite_authorizer)
        if op == "prove":
            conn.execute(f"EXPLAIN {sql}", values)  # compiles the statement without running it
            # Column names only come with a cursor; LIMIT 0 returns before the first row.
            cursor = conn.execute(f"SELECT * FROM (\n{sql.rstrip().rstrip(';')}\n) LIMIT 0", values)
            return [d[0] for d in cursor.description or []], []
        cursor = conn.execute(sql, values)
        return [d[0] for d in cursor.description or []], cursor.fetchmany(call.fetch)
    except sqlite3.Error as e:
        if time.monotonic() > deadline and "interrupt" in str(e).lower():
            raise BoxFailure("limit", "interrupted at the time limit", limit="time") from None
        if "not authorized" in str(e):
            raise BoxFailure("statement", "this connection may only read.") from None
        if "disk I/O error" in str(e) and _in_wal_mode(target.location):
            # A WAL reader must create and grow the -shm file; a worker may write no file at all.
            raise BoxFailure("source", "the file is in WAL mode, which needs a -shm file the query box may not "
                                       "write; switch it to PRAGMA journal_mode=DELETE") from None
        raise statement_failure(e) from None
    finally:
        conn.close()


def _in_wal_mode(path: str) -> bool:
    """Return whether the SQLite header says WAL (file format versions 2 at bytes 18 and 19)."""
    try:
        with open(path, "rb") as file:
            return file.read(20)[18:20] == b"\x02\x02"
    except OSError:
        return False


def _sqlite_schema(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    tables = [r[0] for r in conn.execute(_SQLITE_TABLES_SQL)]
    return [
        (table, column, data_type or "ANY")
        for table in tables
        for _, column, data_type, *_ in conn.execute("SELECT * FROM pragma_table_info(?)", [table])
    ]


def _sqlite_authorizer(action: int, *_: object) -> int:
    """Allow reading and calling functions only; deny ATTACH, PRAGMA, writes and the rest."""
    return sqlite3.SQLITE_OK if action in _SQLITE_ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


class _DuckDBFiles:
    """Open read-only DuckDB connections, a few files at a time, each reopened once its file changes."""

    def __init__(self) -> None:
        # path -> (file signature, memory limit, connection); DuckDB refuses a second connection to
        # a file with other settings in the same process, so a path has one at a time.
        self._open: OrderedDict[str, tuple[tuple[int, ...], int, duckdb.DuckDBPyConnection]] = OrderedDict()

    def connection(self, path: str, *, memory_bytes: int) -> duckdb.DuckDBPyConnection:
        """Return a connection to the file as it is now. Raises BoxFailure ("source")."""
        try:
            stat = os.stat(path)
        except OSError as e:
            self._close(path)
            raise BoxFailure("source", e.strerror or str(e)) from None
        # A replaced file has a new inode; an edited one a new mtime or size.
        signature = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        held = self._open.get(path)
        if held is not None and held[:2] == (signature, memory_bytes):
            self._open.move_to_end(path)
            return held[2]
        self._close(path)
        conn = self._connect(path, memory_bytes)
        self._open[path] = (signature, memory_bytes, conn)
        while len(self._open) > _OPEN_DUCKDB_FILES:
            self._close(next(iter(self._open)))
        return conn

    def _connect(self, path: str, memory_bytes: int) -> duckdb.DuckDBPyConnection:
        config = {**duckdb_config(memory_bytes=memory_bytes), "lock_configuration": True}
        try:
            return duckdb.connect(path, read_only=True, config=config)  # lock last: SET cannot undo it
        except duckdb.Error as e:
            raise BoxFailure("source", str(e)[:MAX_ERROR_CHARS]) from None

    def close_all(self) -> None:
        for path in list(self._open):
            self._close(path)

    def _close(self, path: str) -> None:
        held = self._open.pop(path, None)
        if held is not None:
            held[2].close()


class _Interrupter:
    """A thread for the worker's life that interrupts the armed DuckDB statement at its deadline.

    DuckDB looks for an interrupt between batches of rows; a function that spends minutes on one
    batch (levenshtein over long strings) is left to the CPU limit and the parent's watchdog.
    Arming and disarming never wake the thread (a wake-up per statement costs more than a quick
    statement): it looks again every IDLE_LOOK_S, which is shorter than any time limit, and at the
    armed deadline.
    """

    IDLE_LOOK_S = 0.5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._deadline = 0.0
        self._wake = threading.Event()  # never set: a sleep that a test could cut short
        threading.Thread(target=self._watch, name="interrupter", daemon=True).start()

    @contextmanager
    def armed(self, conn: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[None]:
        with self._lock:
            self._conn, self._deadline = conn, time.monotonic() + seconds
        try:
            yield
        finally:
            with self._lock:
                self._conn = None  # under the lock: an interrupt never reaches the next statement

    def _watch(self) -> None:
        while True:
            with self._lock:
                remaining = self._deadline - time.monotonic() if self._conn is not None else self.IDLE_LOOK_S
                if remaining <= 0 and self._conn is not None:
                    self._conn.interrupt()
                    self._conn = None
                    continue
            self._wake.wait(min(remaining, self.IDLE_LOOK_S))
