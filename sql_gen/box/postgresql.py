"""PostgreSQL as a box worker drives it: a read-only transaction per call, statement_timeout, and
the backend's pid told to the parent first, so that it can cancel the statement on the server if it
has to stop the worker. Imported by the worker on its first PostgreSQL call only."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import DiagnosticField, ExecStatus

from sql_gen.box.engines import INFO_SCHEMA_SQL, MAX_ERROR_CHARS, SCHEMA_COLUMNS, Call, statement_failure
from sql_gen.box.protocol import BoxFailure, Limits, Target

WORK_MEM = "32MB"
_PYFORMAT = re.compile(r"%(?:%|\((\w+)\)s)")
_DATE_OID = psycopg.postgres.types["date"].oid


def pg_params(dsn: str, *, timeout_ms: int) -> dict[str, Any]:
    """Return psycopg connection parameters for ``dsn`` whose transactions are read-only and whose
    statements stop after ``timeout_ms``. Options in the DSN (e.g. ``search_path``) are kept; ours
    come after them, so they win. Raises psycopg.ProgrammingError for a malformed DSN."""
    params = conninfo_to_dict(dsn)
    # work_mem bounds each sort and hash of a statement before it spills (temp_file_limit, which bounds
    # the spill, needs a superuser: a DBA sets it for the read-only role).
    ours = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms} -c work_mem={WORK_MEM}"
    params["options"] = f"{params.get('options') or ''} {ours}".strip()
    params.setdefault("connect_timeout", 10)
    return params


def call(request: Call, target: Target, limits: Limits, *,
         send: Callable[[dict[str, Any]], None]) -> tuple[list[str], list[Any]]:
    """Return (columns, rows) for one request. Raises BoxFailure."""
    try:
        conn = psycopg.connect(**pg_params(target.location, timeout_ms=int(limits.time_s * 1000)))
    except psycopg.Error as e:
        raise BoxFailure("source", str(e).strip()[:MAX_ERROR_CHARS]) from None
    conn.read_only = True  # BEGIN READ ONLY
    send({"event": "backend", "pid": conn.info.backend_pid})
    try:
        return _op(conn, request)
    except psycopg.errors.QueryCanceled:
        raise BoxFailure("limit", "canceled at the statement timeout", limit="time") from None
    except psycopg.Error as e:
        raise statement_failure(e.diag.message_primary or e) from None
    finally:
        conn.close()  # closing without commit rolls the transaction back


def _op(conn: psycopg.Connection[Any], request: Call) -> tuple[list[str], list[Any]]:
    if request.op == "schema":
        schema = conn.execute("SELECT current_schema()").fetchone()
        return SCHEMA_COLUMNS, conn.execute(INFO_SCHEMA_SQL, [schema[0] if schema else "public"]).fetchall()
    if request.op == "prove":
        return _describe(conn, request), []
    # A server-side cursor is DECLARE ... CURSOR FOR <sql>: one statement, a query, and no
    # data-modifying WITH; rows stream instead of arriving all at once. Without values psycopg
    # sends the text as it is; with them it reads %(name)s and %% (the binding layer doubled every
    # other %) and the server binds the dates.
    with conn.cursor(name="widget_query") as cursor:
        cursor.execute(request.sql, request.dates() or None)
        return [d.name for d in cursor.description or []], cursor.fetchmany(request.fetch)


def numbered(sql: str) -> tuple[str, list[str]]:
    """Return psycopg's ``%(name)s`` / ``%%`` text in the server's own form, ``$1 .. $n`` and ``%``,
    with the names in the order of their numbers (a name used twice keeps its number)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PYFORMAT.sub(number, sql), names


def _describe(conn: psycopg.Connection[Any], request: Call) -> list[str]:
    """Return the column names of the statement prepared (parsed, analysed, rewritten), never
    executed; its parameters, if any, are declared as dates and given no value."""
    pgconn = conn.pgconn
    sql, names = numbered(request.sql) if request.params else (request.sql, [])
    _raise_for(pgconn.prepare(b"", sql.encode(), [_DATE_OID] * len(names) if names else None))
    described = pgconn.describe_prepared(b"")
    _raise_for(described)
    return [(described.fname(i) or b"?column?").decode() for i in range(described.nfields)]


def _raise_for(result: psycopg.pq.abc.PGresult) -> None:
    if result.status == ExecStatus.COMMAND_OK:
        return
    state = (result.error_field(DiagnosticField.SQLSTATE) or b"").decode()
    if state == "57014":  # query_canceled: the statement timeout
        raise BoxFailure("limit", "canceled at the statement timeout", limit="time")
    text = result.error_field(DiagnosticField.MESSAGE_PRIMARY) or result.error_message
    raise BoxFailure("statement", text.decode(errors="replace").strip()[:MAX_ERROR_CHARS])
