"""The layers below the parser: the query box, read-only connections, limits, honest truncation.

``sql_check`` should have accepted the SQL already; nothing here relies on it. Every statement on
a warehouse (a widget's query, proving a statement, reading a schema) runs in a worker process
of the query box (``sql_gen.box``), never in this process. There each engine opens a connection
that cannot write (DuckDB ``read_only`` with external access disabled, no spilling to disk and the
configuration locked, SQLite ``mode=ro`` with an authorizer, PostgreSQL a read-only transaction
through a server-side cursor) and stops the statement at the source's time limit; the worker's
OS limits and this process's watchdog stop what the engine cannot (CPU, memory, output size).
The statement's limit is one row above the cap (``sql_check`` sees to that) and one row more than
the cap is fetched, so that truncation is reported rather than guessed. A statement's window
placeholders (``:window_start`` and the rest) are rewritten for the engine here (``binding.bind``),
and their dates cross to the worker as ISO text, bound there by the driver, never written into SQL.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

from backend.errors import ApplicationError, ErrorCode
from sql_gen.box import BoxFailure, Limits, Target, box_call
from sql_gen.box.postgresql import pg_params
from sql_gen.box.values import json_safe
from sql_gen.models import DataSource, Engine
from sql_gen.services.binding import BindingError, Bound, Params, bind

__all__ = [
    "MAX_RESULT_BYTES", "QueryFailed", "QueryResult", "existing_file", "json_safe", "postgresql_connect",
    "query_limits", "schema_columns", "sql_execute", "sql_prove",
]  # fmt: skip

logger = logging.getLogger(__name__)

# What a widget stores and a dashboard page receives: 5,000 rows of ten short columns are ~1.5 MB.
MAX_RESULT_BYTES = 8 * 2**20
_NARROW_IT = "narrow it (filters, fewer joins, an aggregate)."


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]  # JSON-safe values
    truncated: bool  # the query had more rows than the cap; only the cap came back


class QueryFailed(ApplicationError):
    """The database refused or stopped the query; ``message`` is safe to show.

    ``statement_fault`` says the statement itself is to blame (the database rejected it, or it
    passed a limit: ``extra["limit"]`` is then "time", "cpu", "memory", "output" or "crash"), so a
    rewritten statement may succeed; otherwise the source is (missing file, no connection, no free
    query worker) and no rewrite helps.
    """

    def __init__(self, message: str, *, statement_fault: bool = False, retryable: bool = False,
                 **extra: object) -> None:
        super().__init__(ErrorCode.QUERY_FAILED, message, dict(extra))
        self.statement_fault = statement_fault
        self.retryable = retryable  # the box was busy: the same statement may run a moment later


def query_limits(*, source: DataSource, deadline_s: float | None = None) -> Limits:
    """Return what one statement on ``source`` may use: its time limit; CPU seconds as a backstop, half
    as many again (a worker runs DuckDB on one thread, so CPU cannot outrun the clock, and the engine's
    own interrupt or the watchdog should stop a statement at its time limit first — the CPU limit is
    for one neither reaches); the box's memory limit and the result size a widget can hold. With
    ``deadline_s`` (what is left of a caller's budget) the time limit ends no later than that."""
    timeout = source.statement_timeout_s
    if deadline_s is not None:
        timeout = max(1, min(timeout, math.floor(deadline_s)))
    return Limits(
        time_s=float(timeout), cpu_s=timeout + max(1, math.ceil(timeout / 2)),
        memory_bytes=settings.QUERY_BOX_MEMORY_MB * 2**20, output_bytes=MAX_RESULT_BYTES,
    )  # fmt: skip


def sql_execute(*, source: DataSource, sql: str, params: Params | None = None, row_cap: int | None = None,
                deadline_s: float | None = None) -> QueryResult:
    """Run ``sql`` on ``source`` read-only, in the query box, and return at most the row cap of
    JSON-safe rows; ``truncated`` is True only when the statement had more.

    ``params`` gives the dates of the statement's placeholders (``:window_start`` and the rest, see
    ``binding``); None for one of them binds its open bound (all time). The driver binds them: they
    are never written into the text. Values the statement does not use are ignored. The cap is
    ``row_cap`` when given, never more than ``source.row_cap``. Raises QueryFailed when a placeholder
    has no value (before the box is asked, ``extra["missing"]`` naming them), the source cannot be
    opened, the database rejects the statement (a write included), the statement passes a limit
    (time, CPU, memory, or more than MAX_RESULT_BYTES of JSON) or no query worker is free;
    ValueError when the cap is below 1; TypeError when a value is not a date.
    """
    cap = source.row_cap if row_cap is None else min(row_cap, source.row_cap)
    if cap < 1:
        raise ValueError("row_cap must be at least 1.")
    bound = _bound(source, sql, params, fill_missing=False)
    reply = _box(source, "run", bound=bound, fetch=cap + 1, deadline_s=deadline_s)
    rows = reply["rows"]
    return QueryResult(columns=reply["columns"], rows=rows[:cap], truncated=len(rows) > cap)


def sql_prove(*, source: DataSource, sql: str, params: Params | None = None,
              deadline_s: float | None = None) -> list[str]:
    """Return the column names of ``sql`` as the database prepares it, without running it.

    DuckDB binds the statement, SQLite compiles it (EXPLAIN), PostgreSQL parses and analyses it
    (a libpq prepare and describe, its placeholders declared as dates); all of it in the query box,
    since preparing can be costly too. A placeholder without a value in ``params`` is bound to its
    open bound: the values do not change the columns. Raises QueryFailed with
    ``statement_fault=True`` and the database's message when the engine refuses the statement (an
    unknown column, a type error) or it passes a limit; with ``statement_fault=False`` when the
    source cannot be opened.
    """
    bound = _bound(source, sql, params, fill_missing=True)
    return list(_box(source, "prove", bound=bound, deadline_s=deadline_s)["columns"])


def _bound(source: DataSource, sql: str, params: Params | None, *, fill_missing: bool) -> Bound:
    """Return the statement in the engine's placeholder form with its values. Raises QueryFailed."""
    try:
        return bind(sql=sql, dialect=source.dialect, engine=source.engine, params=params, fill_missing=fill_missing)
    except BindingError as e:
        extra = {"missing": e.missing} if e.missing else {}
        raise QueryFailed(e.message, statement_fault=not e.missing, **extra) from None


def schema_columns(*, source: DataSource) -> list[tuple[str, str, str]]:
    """Return (table, column, data type) for every column of the source's default schema, in
    column order, read in the query box. Raises QueryFailed as ``sql_execute`` does."""
    return [(str(t), str(c), str(d)) for t, c, d in _box(source, "schema", bound=Bound(sql=""))["rows"]]


def _box(source: DataSource, op: str, *, bound: Bound, fetch: int = 0,
         deadline_s: float | None = None) -> dict[str, Any]:
    """Run ``op`` in the box; ``deadline_s`` bounds both the wait for a free worker and the statement."""
    limits = query_limits(source=source, deadline_s=deadline_s)
    try:
        return box_call(op=op, target=_target(source), limits=limits, workers=settings.QUERY_BOX_WORKERS,
                        sql=bound.sql, params=bound.values, fetch=fetch, wait_s=deadline_s)
    except BoxFailure as failure:
        raise _query_failed(source, failure, limits) from None


def _target(source: DataSource) -> Target:
    if source.engine in (Engine.DUCKDB, Engine.SQLITE):
        return Target(engine=source.engine, location=str(existing_file(source).resolve()))
    if source.engine == Engine.POSTGRESQL:
        return Target(engine=source.engine, location=_dsn(source))
    raise QueryFailed(f"Data source {source.name} has an unsupported engine {source.engine!r}.")


def _query_failed(source: DataSource, failure: BoxFailure, limits: Limits) -> QueryFailed:
    if failure.kind == "statement":
        return QueryFailed(f"The database rejected the query: {failure.message}", statement_fault=True)
    if failure.kind == "limit":
        return _limit_failure(failure.limit or "crash", limits)
    if failure.kind == "source":
        return _source_failure(source, failure.message)
    logger.warning("query box failure for source %s: %s", source.name, failure.message)
    return QueryFailed(f"The query could not be run: {failure.message}.", retryable=True)


def _limit_failure(limit: str, limits: Limits) -> QueryFailed:
    """Say in plain words which limit stopped the statement, with the limit in ``extra``."""
    seconds, memory_mb = int(limits.time_s), limits.memory_bytes // 2**20
    memory = f"{memory_mb // 1024} GB" if memory_mb % 1024 == 0 else f"{memory_mb} MB"
    reasons: dict[str, tuple[str, dict[str, object]]] = {
        "time": (f"it ran past the {seconds} s time limit; {_NARROW_IT}", {"timeout_s": seconds}),
        "cpu": (f"it used more than {limits.cpu_s} s of CPU; {_NARROW_IT}", {"cpu_s": limits.cpu_s}),
        "memory": (f"it used more than {memory} of memory; {_NARROW_IT}", {"memory_mb": memory_mb}),
        "output": (
            f"its result is larger than {limits.output_bytes // 2**20} MB, too big to show on a widget; "
            "aggregate it, select fewer or shorter columns, or return fewer rows.",
            {"max_mb": limits.output_bytes // 2**20},
        ),
        "crash": ("the database engine failed while running it; simplify it.", {}),
    }
    reason, extra = reasons.get(limit, reasons["crash"])
    return QueryFailed(f"The query was stopped: {reason}", statement_fault=True, limit=limit, **extra)


def _source_failure(source: DataSource, detail: str) -> QueryFailed:
    if source.engine == Engine.POSTGRESQL:
        logger.warning("PostgreSQL connection for source %s failed: %s", source.name, detail)
        return QueryFailed(f"Could not connect to the PostgreSQL data source {source.name}.")
    kind = "DuckDB" if source.engine == Engine.DUCKDB else "SQLite"
    path = Path(source.resolved_location())
    shown = _display_path(path)
    for spelling in {str(path.resolve()), str(path)}:  # the engine's own text names the file in full
        detail = detail.replace(spelling, shown)
    return QueryFailed(f"Could not open the {kind} file {shown}: {detail}")


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


def _dsn(source: DataSource) -> str:
    dsn = source.resolved_location()
    if not dsn:
        raise QueryFailed(
            f"Data source {source.name} reads its DSN from the environment variable "
            f"{source.location or '(none)'}, which is not set."
        )
    return dsn


def postgresql_connect(source: DataSource) -> psycopg.Connection[Any]:
    """Return a connection to a PostgreSQL source whose transactions are read-only and whose
    statements stop at the source's time limit. Options in the DSN (e.g. ``search_path``) are
    kept; ours come after them, so they win. Warehouse statements go through the query box
    instead (``sql_execute``); this is for maintenance code that needs a connection of its own.

    Raises:
        QueryFailed: the DSN's environment variable is unset or the connection fails; the
            message never includes the DSN.
    """
    dsn = _dsn(source)
    try:
        conn = psycopg.connect(**pg_params(dsn, timeout_ms=source.statement_timeout_s * 1000))
    except psycopg.Error as e:
        logger.warning("PostgreSQL connection for source %s failed: %s", source.name, e)
        raise QueryFailed(f"Could not connect to the PostgreSQL data source {source.name}.") from None
    conn.read_only = True  # BEGIN READ ONLY
    return conn
