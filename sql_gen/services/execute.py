"""The layers below the parser: a read-only connection, a statement time limit, honest truncation.

``sql_check`` should have accepted the SQL already; nothing here relies on it. Each engine opens
a connection per call that cannot write (DuckDB ``read_only`` with external access disabled, no
spilling to disk and the configuration locked, SQLite ``mode=ro`` with an authorizer, PostgreSQL
a read-only transaction through a server-side cursor), stops the statement at the source's time
limit (and DuckDB's at a memory limit), and fetches one row more than the cap so that truncation
is reported rather than guessed.
"""
from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from django.conf import settings
from psycopg.conninfo import conninfo_to_dict

from backend.errors import ApplicationError
from sql_gen.models import DataSource, Engine

logger = logging.getLogger(__name__)

Rows = tuple[list[str], list[Sequence[Any]]]
# What a widget stores and a dashboard page receives: 5,000 rows of ten short columns are ~1.5 MB.
MAX_RESULT_BYTES = 8 * 2**20

# DuckDB's default is 80% of the machine's memory. Joins, windows and distinct counts over the demo
# warehouse's million claims run within 256 MB; a string doubled each step reaches 1 GB within a second.
_DUCKDB_MEMORY_LIMIT = "1GB"
_DUCKDB_CONFIG = {
    "enable_external_access": False,  # no files, URLs, ATTACH, COPY, INSTALL
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # a table name never resolves to a Python variable
    "memory_limit": _DUCKDB_MEMORY_LIMIT,
    "temp_directory": "",  # no spill files next to the warehouse: past the limit a query fails
    "lock_configuration": True,  # last: SET cannot undo the above
}
_SQLITE_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_MAX_ERROR_CHARS = 500
# No string or blob in a widget query needs more; larger ones are how printf/zeroblob exhaust memory.
_SQLITE_MAX_LENGTH = 10_000_000


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]  # JSON-safe values
    truncated: bool  # the query had more rows than the cap; only the cap came back


class QueryFailed(ApplicationError):
    """The database refused or stopped the query; ``message`` is safe to show.

    ``statement_fault`` says the statement itself is to blame (the database rejected it or it
    ran too long), so a rewritten statement may succeed; otherwise the source is (missing file,
    no connection) and no rewrite helps.
    """

    def __init__(self, message: str, *, statement_fault: bool = False, **extra: object) -> None:
        super().__init__("query_failed", message, dict(extra))
        self.statement_fault = statement_fault


def sql_execute(*, source: DataSource, sql: str, row_cap: int | None = None) -> QueryResult:
    """Run ``sql`` on ``source`` read-only and return at most the row cap of JSON-safe rows.

    The cap is ``row_cap`` when given, never more than ``source.row_cap``. Raises QueryFailed
    when the source cannot be opened, the database rejects the statement (a write included),
    the statement runs past ``source.statement_timeout_s``, or the rows come to more than
    MAX_RESULT_BYTES of JSON; ValueError when the cap is below 1.
    """
    cap = source.row_cap if row_cap is None else min(row_cap, source.row_cap)
    if cap < 1:
        raise ValueError("row_cap must be at least 1.")
    runner = _RUNNERS.get(source.engine)
    if runner is None:
        raise QueryFailed(f"Data source {source.name} has an unsupported engine {source.engine!r}.")
    columns, rows = runner(source, sql, cap + 1)
    return QueryResult(columns=columns, rows=_json_rows(rows[:cap]), truncated=len(rows) > cap)


def _json_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Return the rows JSON-safe; refuse a result too big to store on a widget and send to a page."""
    out, size = [], 0
    for row in rows:
        safe = [json_safe(value) for value in row]
        size += len(json.dumps(safe, ensure_ascii=False, default=str).encode())
        if size > MAX_RESULT_BYTES:
            raise QueryFailed(
                f"The result is larger than {MAX_RESULT_BYTES // 2**20} MB, too big to show on a widget; "
                "aggregate it, select fewer or shorter columns, or return fewer rows.",
                statement_fault=True,
            )
        out.append(safe)
    return out


def json_safe(value: Any) -> Any:
    """Return ``value`` as something ``json.dumps`` accepts without losing its meaning.

    Decimal becomes float, dates and times ISO strings, intervals seconds, bytes hex, UUIDs
    strings; NaN and infinities become None because JSON has no spelling for them.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (float, Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (datetime, date, time_of_day)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def _time_limit_failure(source: DataSource) -> QueryFailed:
    return QueryFailed(
        f"The query ran past the {source.statement_timeout_s}s time limit and was stopped; "
        "narrow it (filters, fewer joins, an aggregate).",
        statement_fault=True, timeout_s=source.statement_timeout_s,
    )


def _memory_limit_failure() -> QueryFailed:
    return QueryFailed(
        f"The query needed more than the {_DUCKDB_MEMORY_LIMIT} memory limit and was stopped; "
        "narrow it (filters, fewer joins, an aggregate).",
        statement_fault=True,
    )


def _database_failure(error: object) -> QueryFailed:
    text = str(error).strip() or type(error).__name__
    return QueryFailed(f"The database rejected the query: {text[:_MAX_ERROR_CHARS]}", statement_fault=True)


def existing_file(source: DataSource) -> Path:
    """Return the source's database file (DuckDB, SQLite).

    Raises:
        QueryFailed: the file is missing; the message names the fix.
    """
    path = Path(source.resolved_location())
    if path.is_file():
        return path
    shown = _display_path(path)
    if source.engine == Engine.DUCKDB and not source.location:
        message = (
            f"The warehouse file {shown} does not exist; run `python manage.py build_warehouse`."
        )
    else:
        message = f"The database file {shown} for data source {source.name} does not exist."
    raise QueryFailed(message)


def _display_path(path: Path) -> str:
    """Return the path relative to the project when inside it, else just the file name."""
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except (ValueError, AttributeError):
        return path.name


def _run_duckdb(source: DataSource, sql: str, fetch: int) -> Rows:
    path = existing_file(source)
    try:
        conn = duckdb.connect(str(path), read_only=True, config=_DUCKDB_CONFIG)
    except duckdb.Error as e:
        raise QueryFailed(f"Could not open the DuckDB file {_display_path(path)}: {e}") from None
    timer = threading.Timer(source.statement_timeout_s, _interrupt, args=(conn,))
    timer.daemon = True
    try:
        if len(conn.extract_statements(sql)) != 1:
            raise QueryFailed("Send exactly one statement.", statement_fault=True)
        timer.start()
        conn.execute(sql)
        columns = [d[0] for d in conn.description or []]
        return columns, conn.fetchmany(fetch)
    except duckdb.InterruptException:
        raise _time_limit_failure(source) from None
    except duckdb.OutOfMemoryException:
        raise _memory_limit_failure() from None
    except duckdb.Error as e:
        raise _database_failure(e) from None
    finally:
        timer.cancel()
        conn.close()


def _interrupt(conn: duckdb.DuckDBPyConnection) -> None:
    """Stop the running statement; interrupt() is safe to call from another thread."""
    try:
        conn.interrupt()
    except duckdb.Error:  # the query finished and the connection closed meanwhile
        pass


def _sqlite_authorizer(action: int, *_: object) -> int:
    """Allow reading and calling functions only; deny ATTACH, PRAGMA, writes and the rest."""
    return sqlite3.SQLITE_OK if action in _SQLITE_ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def _run_sqlite(source: DataSource, sql: str, fetch: int) -> Rows:
    path = existing_file(source)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise QueryFailed(f"Could not open the SQLite file {_display_path(path)}: {e}") from None
    deadline = time.monotonic() + source.statement_timeout_s
    try:
        # mode=ro alone still lets ATTACH create files, so forbid attaching at all.
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _SQLITE_MAX_LENGTH)
        conn.set_authorizer(_sqlite_authorizer)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
        cursor = conn.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchmany(fetch)
    except sqlite3.Error as e:
        if time.monotonic() > deadline and "interrupt" in str(e).lower():
            raise _time_limit_failure(source) from None
        if "not authorized" in str(e):
            raise QueryFailed("The database rejected the query: this connection may only read.",
                              statement_fault=True) from None
        raise _database_failure(e) from None
    finally:
        conn.close()


def postgresql_connect(source: DataSource) -> psycopg.Connection[Any]:
    """Return a connection to a PostgreSQL source whose transactions are read-only and whose
    statements stop at the source's time limit. Options in the DSN (e.g. ``search_path``) are
    kept; ours come after them, so they win.

    Raises:
        QueryFailed: the DSN's environment variable is unset or the connection fails; the
            message never includes the DSN.
    """
    dsn = source.resolved_location()
    if not dsn:
        raise QueryFailed(
            f"Data source {source.name} reads its DSN from the environment variable "
            f"{source.location or '(none)'}, which is not set."
        )
    timeout_ms = source.statement_timeout_s * 1000
    try:
        params = conninfo_to_dict(dsn)
        ours = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
        params["options"] = f"{params.get('options') or ''} {ours}".strip()
        params.setdefault("connect_timeout", 10)
        conn = psycopg.connect(**params)
    except psycopg.Error as e:
        logger.warning("PostgreSQL connection for source %s failed: %s", source.name, e)
        raise QueryFailed(f"Could not connect to the PostgreSQL data source {source.name}.") from None
    conn.read_only = True  # BEGIN READ ONLY
    return conn


def _run_postgresql(source: DataSource, sql: str, fetch: int) -> Rows:
    conn = postgresql_connect(source)
    try:
        # A server-side cursor is DECLARE ... CURSOR FOR <sql>: one statement, a query, and
        # no data-modifying WITH; rows stream instead of arriving all at once.
        with conn.cursor(name="widget_query") as cursor:
            cursor.execute(sql)
            columns = [d.name for d in cursor.description or []]
            return columns, cursor.fetchmany(fetch)
    except psycopg.errors.QueryCanceled:
        raise _time_limit_failure(source) from None
    except psycopg.Error as e:
        raise _database_failure(e.diag.message_primary or e) from None
    finally:
        conn.close()  # closing without commit rolls the transaction back


_RUNNERS: dict[str, Callable[[DataSource, str, int], Rows]] = {
    Engine.DUCKDB: _run_duckdb,
    Engine.SQLITE: _run_sqlite,
    Engine.POSTGRESQL: _run_postgresql,
}


def sql_prove(*, source: DataSource, sql: str) -> list[str]:
    """Return the result columns of ``sql`` on ``source``, raising QueryFailed when the engine refuses it.

    Provisional: runs the statement for one row, until the query box prepares statements instead.
    """
    return sql_execute(source=source, sql=sql, row_cap=1).columns
