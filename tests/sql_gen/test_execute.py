"""The layers below the parser: read-only connections, the time limit and honest truncation.

These tests call ``sql_execute`` directly with SQL the parser would refuse, to prove each engine's
connection in the query box holds on its own. Resource bombs are in ``test_bombs.py``, the box's
own machinery in ``test_box.py``.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from pytest_django import Settings

from sql_gen.models import DataSource
from sql_gen.services.execute import QueryFailed, json_safe, sql_execute
from tests.sql_gen.conftest import throwaway_schema

ROWS = 10
ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def duckdb_file(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE claims (id INT, amount DECIMAL(10, 2), service_date DATE, created_at TIMESTAMP,"
        " status VARCHAR, note VARCHAR)"
    )
    con.execute(
        "INSERT INTO claims SELECT i, i * 10.25, DATE '2024-01-01' + i::INT, TIMESTAMP '2024-01-01 08:30:00'"
        f" + i * INTERVAL 1 HOUR, 'open', NULL FROM range(1, {ROWS + 1}) t(i)"
    )
    con.close()
    return path


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE claims (id INTEGER, amount REAL, service_date TEXT, note TEXT)")
    con.executemany(
        "INSERT INTO claims VALUES (?, ?, ?, NULL)", [(i, i * 10.25, f"2024-01-{i:02d}") for i in range(1, ROWS + 1)]
    )
    con.commit()
    con.close()
    return path


def duck(path: Path | str, **fields: Any) -> DataSource:
    values = {"row_cap": 5, "statement_timeout_s": 1, **fields}
    return DataSource(name="duck", engine="duckdb", dialect="duckdb", location=str(path), **values)


def lite(path: Path, **fields: Any) -> DataSource:
    values = {"row_cap": 5, "statement_timeout_s": 1, **fields}
    return DataSource(name="lite", engine="sqlite", dialect="sqlite", location=str(path), **values)


# -- results -----------------------------------------------------------------------------------


def test_duckdb_rows_come_back_json_safe(duckdb_file: Path) -> None:
    result = sql_execute(source=duck(duckdb_file), sql="SELECT * FROM claims ORDER BY id LIMIT 1")
    assert result.columns == ["id", "amount", "service_date", "created_at", "status", "note"]
    assert result.rows == [[1, 10.25, "2024-01-02", "2024-01-01T09:30:00", "open", None]]
    assert result.truncated is False
    json.dumps(result.rows, allow_nan=False)


def test_sqlite_rows_come_back_json_safe(sqlite_file: Path) -> None:
    result = sql_execute(source=lite(sqlite_file), sql="SELECT id, amount, note FROM claims ORDER BY id LIMIT 2")
    assert result.columns == ["id", "amount", "note"]
    assert result.rows == [[1, 10.25, None], [2, 20.5, None]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), 12.5),
        (Decimal("NaN"), None),
        (float("inf"), None),
        (date(2024, 1, 2), "2024-01-02"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
        (time_of_day(3, 4), "03:04:00"),
        (timedelta(days=1, seconds=30), 86430.0),
        (b"\x01\xff", "01ff"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        ({"a": [Decimal("1.5"), date(2024, 1, 1)]}, {"a": [1.5, "2024-01-01"]}),
        (None, None),
        (True, True),
        ("text", "text"),
    ],
    ids=repr,
)
def test_json_safe_converts_database_values(value: Any, expected: Any) -> None:
    assert json_safe(value) == expected


@pytest.mark.parametrize("make_source", [duck, lite], ids=["duckdb", "sqlite"])
def test_truncation_is_reported_when_there_are_more_rows_than_the_cap(
    make_source: Any, duckdb_file: Path, sqlite_file: Path
) -> None:
    path = duckdb_file if make_source is duck else sqlite_file
    result = sql_execute(source=make_source(path), sql="SELECT id FROM claims ORDER BY id")
    assert result.truncated is True
    assert result.rows == [[1], [2], [3], [4], [5]]


def test_it_is_not_truncated_when_the_rows_exactly_fill_the_cap(duckdb_file: Path) -> None:
    result = sql_execute(source=duck(duckdb_file, row_cap=ROWS), sql="SELECT id FROM claims")
    assert (len(result.rows), result.truncated) == (ROWS, False)


def test_the_row_cap_argument_cannot_raise_the_source_cap(duckdb_file: Path) -> None:
    result = sql_execute(source=duck(duckdb_file, row_cap=3), sql="SELECT id FROM claims", row_cap=1000)
    assert (len(result.rows), result.truncated) == (3, True)


def test_the_row_cap_argument_can_lower_the_source_cap(duckdb_file: Path) -> None:
    result = sql_execute(source=duck(duckdb_file), sql="SELECT id FROM claims", row_cap=2)
    assert (len(result.rows), result.truncated) == (2, True)


def test_the_database_error_text_is_shown(duckdb_file: Path) -> None:
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=duck(duckdb_file), sql="SELECT no_such_column FROM claims")
    assert caught.value.code == "query_failed"
    assert "no_such_column" in caught.value.message


def test_the_web_process_never_opens_the_warehouse_file(duckdb_file: Path) -> None:
    sql_execute(source=duck(duckdb_file), sql="SELECT COUNT(*) FROM claims")
    opened = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
    assert str(duckdb_file.resolve()) not in opened


def test_a_replaced_warehouse_file_is_seen_by_the_next_query(duckdb_file: Path, tmp_path: Path) -> None:
    """The worker keeps its connection warm, and reopens it once the file is replaced, as
    ``warehouse_build`` does with os.replace."""
    assert sql_execute(source=duck(duckdb_file), sql="SELECT COUNT(*) FROM claims").rows == [[ROWS]]
    fresh = tmp_path / "fresh.duckdb"
    with duckdb.connect(str(fresh)) as con:
        con.execute("CREATE TABLE claims AS SELECT i AS id FROM range(3) t(i)")
    os.replace(fresh, duckdb_file)
    assert sql_execute(source=duck(duckdb_file), sql="SELECT COUNT(*) FROM claims").rows == [[3]]


# -- writes fail through the connection --------------------------------------------------------

DUCKDB_WRITES = [
    "INSERT INTO claims (id) VALUES (99)",
    "UPDATE claims SET amount = 0",
    "DELETE FROM claims",
    "CREATE TABLE stolen AS SELECT * FROM claims",
    "DROP TABLE claims",
    "COPY claims TO '{tmp}/out.csv'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SELECT 1; DELETE FROM claims",
]


@pytest.mark.parametrize("sql", DUCKDB_WRITES)
def test_a_duckdb_write_fails_and_leaves_the_file_unchanged(sql: str, duckdb_file: Path, tmp_path: Path) -> None:
    before, files = digest(duckdb_file), set(tmp_path.iterdir())
    with pytest.raises(QueryFailed):
        sql_execute(source=duck(duckdb_file), sql=sql.format(tmp=tmp_path))
    assert digest(duckdb_file) == before
    assert set(tmp_path.iterdir()) == files


SQLITE_WRITES = [
    "INSERT INTO claims (id) VALUES (99)",
    "UPDATE claims SET amount = 0",
    "DELETE FROM claims",
    "CREATE TABLE stolen AS SELECT * FROM claims",
    "CREATE TEMP TABLE scratch (a INT)",
    "DROP TABLE claims",
    "ATTACH DATABASE '{tmp}/other.sqlite3' AS other",
    "PRAGMA query_only = 0",
    "SELECT load_extension('evil')",
    "SELECT 1; DELETE FROM claims",
]


@pytest.mark.parametrize("sql", SQLITE_WRITES)
def test_a_sqlite_write_fails_and_leaves_the_file_unchanged(sql: str, sqlite_file: Path, tmp_path: Path) -> None:
    before, files = digest(sqlite_file), set(tmp_path.iterdir())
    with pytest.raises(QueryFailed):
        sql_execute(source=lite(sqlite_file), sql=sql.format(tmp=tmp_path))
    assert digest(sqlite_file) == before
    assert set(tmp_path.iterdir()) == files


@pytest.mark.parametrize(
    "sql", ["CALL pragma_version()", "EXPLAIN ANALYZE SELECT * FROM claims", "PRAGMA database_list", "CHECKPOINT"]
)
def test_duckdb_runs_nothing_but_a_select(sql: str, duckdb_file: Path) -> None:
    with pytest.raises(QueryFailed, match="The database rejected the query") as caught:
        sql_execute(source=duck(duckdb_file), sql=sql)
    assert caught.value.statement_fault


@pytest.mark.parametrize(
    "sql", ["SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM '/etc/passwd'", "SELECT * FROM glob('/etc/*')"]
)
def test_duckdb_cannot_read_external_files(sql: str, duckdb_file: Path) -> None:
    with pytest.raises(QueryFailed):
        sql_execute(source=duck(duckdb_file), sql=sql)


def test_duckdb_cannot_read_a_csv_next_to_the_warehouse(duckdb_file: Path) -> None:
    (duckdb_file.parent / "secrets.csv").write_text("a,b\n1,2\n")
    with pytest.raises(QueryFailed):
        sql_execute(source=duck(duckdb_file), sql=f"SELECT * FROM '{duckdb_file.parent / 'secrets.csv'}'")


# -- the time limit ----------------------------------------------------------------------------


@pytest.mark.parametrize("make_source", [duck, lite], ids=["duckdb", "sqlite"])
def test_a_long_query_is_stopped_at_the_time_limit(make_source: Any, duckdb_file: Path, sqlite_file: Path) -> None:
    path = duckdb_file if make_source is duck else sqlite_file
    started = time.monotonic()
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=make_source(path, statement_timeout_s=1), sql=ENDLESS)
    assert caught.value.message.startswith("The query was stopped: it ran past the 1 s time limit")
    assert caught.value.extra == {"limit": "time", "timeout_s": 1}
    assert caught.value.statement_fault
    assert time.monotonic() - started < 5


def test_a_huge_duckdb_cross_join_is_stopped_at_the_time_limit(duckdb_file: Path) -> None:
    sql = "SELECT COUNT(*) FROM range(1000000) a, range(1000000) b WHERE a.range * b.range = 7"
    with pytest.raises(QueryFailed, match="time limit"):
        sql_execute(source=duck(duckdb_file), sql=sql)


def test_a_duckdb_query_past_the_memory_limit_is_stopped(duckdb_file: Path) -> None:
    """A string doubled each step: under DuckDB's default limit (80% of RAM) it takes gigabytes
    until the time limit stops it; in the box it fails within a second."""
    sql = (
        "WITH RECURSIVE r(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 32)"
        " SELECT SUM(length(s)) FROM r"  # an aggregate: every row must be built before one comes back
    )
    with pytest.raises(QueryFailed, match="it used more than 1 GB of memory") as caught:
        sql_execute(source=duck(duckdb_file, statement_timeout_s=10), sql=sql)
    assert caught.value.statement_fault
    assert caught.value.extra == {"limit": "memory", "memory_mb": 1024}


def test_a_duckdb_query_cannot_spill_to_disk(duckdb_file: Path) -> None:
    """Without a temporary directory nothing is written next to the warehouse, however big the sort."""
    result = sql_execute(source=duck(duckdb_file), sql="SELECT current_setting('temp_directory')")
    assert result.rows == [[""]]


def test_a_result_too_big_for_a_widget_is_refused_with_a_reason(duckdb_file: Path) -> None:
    sql = "SELECT repeat('x', 10000) AS s FROM range(1000)"  # ~10 MB of JSON, within the row cap
    with pytest.raises(QueryFailed, match="larger than 8 MB") as caught:
        sql_execute(source=duck(duckdb_file, row_cap=5000), sql=sql)
    assert caught.value.statement_fault  # the model is told, so that it aggregates instead
    assert caught.value.extra == {"limit": "output", "max_mb": 8}


def test_a_result_under_the_size_limit_comes_back_whole(duckdb_file: Path) -> None:
    result = sql_execute(source=duck(duckdb_file, row_cap=5000), sql="SELECT repeat('x', 10000) AS s FROM range(700)")
    assert len(result.rows) == 700 and len(result.rows[-1][0]) == 10000 and not result.truncated


def test_a_quick_query_is_not_interrupted_later(duckdb_file: Path) -> None:
    source = duck(duckdb_file, statement_timeout_s=1)
    sql_execute(source=source, sql="SELECT 1")
    time.sleep(1.2)  # the first call's deadline must have been disarmed, not fire into this one
    assert sql_execute(source=source, sql="SELECT COUNT(*) FROM claims, range(100000)").rows == [[ROWS * 100000]]


# -- missing files -----------------------------------------------------------------------------


def test_a_missing_warehouse_file_says_how_to_build_it(settings: Settings, tmp_path: Path) -> None:
    settings.WAREHOUSE_PATH = tmp_path / "nowhere.duckdb"
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=duck(""), sql="SELECT 1")
    assert "nowhere.duckdb does not exist" in caught.value.message
    assert "python manage.py build_warehouse" in caught.value.message


def test_a_missing_sqlite_file_is_a_clear_failure(tmp_path: Path) -> None:
    with pytest.raises(QueryFailed, match="missing.sqlite3 for data source lite does not exist"):
        sql_execute(source=lite(tmp_path / "missing.sqlite3"), sql="SELECT 1")
    assert not (tmp_path / "missing.sqlite3").exists()


# -- PostgreSQL --------------------------------------------------------------------------------

PG_URL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
DSN_VAR = "TEST_PG_WAREHOUSE_DSN_FOR_SOURCE"


@pytest.fixture
def pg_schema(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway schema with a ``claims`` table; the source's DSN comes from an env var."""
    with throwaway_schema("exec_test") as (admin, schema, url):
        admin.execute(f"CREATE TABLE {schema}.claims (id INT, amount NUMERIC(10, 2), service_date DATE, note TEXT)")
        admin.execute(f"CREATE SEQUENCE {schema}.claim_ids")
        admin.execute(
            f"INSERT INTO {schema}.claims SELECT i, i * 10.25, DATE '2024-01-01' + i, NULL"
            f" FROM generate_series(1, {ROWS}) i"
        )
        monkeypatch.setenv(DSN_VAR, url)
        yield schema


def pg(**fields: Any) -> DataSource:
    values = {"row_cap": 5, "statement_timeout_s": 1, "location": DSN_VAR, **fields}
    return DataSource(name="pg", engine="postgresql", dialect="postgres", **values)


def pg_count(schema: str) -> int:
    url = os.environ.get("TEST_PG_WAREHOUSE_URL", PG_URL_DEFAULT)
    with psycopg.connect(url) as con:
        row = con.execute(f"SELECT COUNT(*), SUM(amount) FROM {schema}.claims").fetchone()
    assert row is not None and row[1] == Decimal("563.75")
    return int(row[0])


@pytest.mark.integration
def test_postgresql_rows_come_back_json_safe_and_truncated(pg_schema: str) -> None:
    result = sql_execute(source=pg(), sql=f"SELECT * FROM {pg_schema}.claims ORDER BY id")
    assert result.columns == ["id", "amount", "service_date", "note"]
    assert result.rows[0] == [1, 10.25, "2024-01-02", None]
    assert (len(result.rows), result.truncated) == (5, True)


PG_WRITES = [
    "INSERT INTO {s}.claims (id) VALUES (99)",
    "UPDATE {s}.claims SET amount = 0",
    "DELETE FROM {s}.claims",
    "CREATE TABLE {s}.stolen AS SELECT * FROM {s}.claims",
    "DROP TABLE {s}.claims",
    "WITH d AS (DELETE FROM {s}.claims RETURNING *) SELECT * FROM d",
    "SELECT 1; DELETE FROM {s}.claims",
    "SET TRANSACTION READ WRITE; DELETE FROM {s}.claims; COMMIT",
    "SELECT set_config('transaction_read_only', 'off', false)",
    "SELECT nextval('{s}.claim_ids')",
]


@pytest.mark.integration
@pytest.mark.parametrize("sql", PG_WRITES)
def test_a_postgresql_write_fails_and_changes_nothing(sql: str, pg_schema: str) -> None:
    with pytest.raises(QueryFailed):
        sql_execute(source=pg(), sql=sql.format(s=pg_schema))
    assert pg_count(pg_schema) == ROWS


@pytest.mark.integration
def test_a_long_postgresql_query_is_stopped_at_the_time_limit(pg_schema: str) -> None:
    started = time.monotonic()
    with pytest.raises(QueryFailed, match="time limit"):
        sql_execute(source=pg(statement_timeout_s=1), sql="SELECT pg_sleep(10)")
    assert time.monotonic() - started < 5


def test_a_postgresql_source_without_its_env_var_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DSN_VAR, raising=False)
    with pytest.raises(QueryFailed, match=f"environment variable {DSN_VAR}, which is not set"):
        sql_execute(source=pg(), sql="SELECT 1")


def test_a_postgresql_connection_failure_does_not_show_the_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DSN_VAR, "postgresql://reader:s3cret-pw@127.0.0.1:9/warehouse")
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=pg(), sql="SELECT 1")
    assert caught.value.message == "Could not connect to the PostgreSQL data source pg."
    assert "s3cret" not in json.dumps(caught.value.extra)


def test_a_sqlite_value_too_big_to_be_a_widget_value_fails_instead_of_filling_memory(sqlite_file: Path) -> None:
    with pytest.raises(QueryFailed, match="too big"):
        sql_execute(source=lite(sqlite_file), sql="SELECT zeroblob(500000000)")
