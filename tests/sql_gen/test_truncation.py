"""Honest truncation, check and box together: the check limits a statement to one row above the cap,
the executor fetches that row and reports truncation only when it came back."""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from sql_gen.models import DataSource
from sql_gen.services.execute import QueryResult, sql_execute
from sql_gen.services.safety import sql_check
from tests.sql_gen.conftest import BOX_DSN_VAR, duck_source, pg_source, sqlite_source

CAP = 5


def run(source: DataSource, sql: str) -> QueryResult:
    checked = sql_check(sql=sql, dialect=source.dialect, allowed_tables=["items"], row_cap=source.row_cap)
    return sql_execute(source=source, sql=checked.sql)


@pytest.fixture
def items_duckdb(tmp_path: Path) -> Callable[[int], DataSource]:
    def make(rows: int) -> DataSource:
        path = tmp_path / f"items{rows}.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute(f"CREATE TABLE items AS SELECT i AS id FROM range(1, {rows + 1}) t(i)")
        return duck_source(path, row_cap=CAP)

    return make


@pytest.fixture
def items_sqlite(tmp_path: Path) -> Callable[[int], DataSource]:
    def make(rows: int) -> DataSource:
        path = tmp_path / f"items{rows}.sqlite3"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE items (id INTEGER)")
        con.executemany("INSERT INTO items VALUES (?)", [(i,) for i in range(1, rows + 1)])
        con.commit()
        con.close()
        return sqlite_source(path, row_cap=CAP)

    return make


@pytest.fixture
def items_postgresql(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], DataSource]]:
    """An ``items`` table in a schema of its own, which the source's DSN puts on its search path."""
    schema = f"trunc_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(pg_url, autocommit=True)
    admin.execute(f"CREATE SCHEMA {schema}")
    admin.execute(f"CREATE TABLE {schema}.items (id INT)")
    monkeypatch.setenv(BOX_DSN_VAR, f"{pg_url}?options=-csearch_path%3D{schema}")

    def make(rows: int) -> DataSource:
        admin.execute(f"INSERT INTO {schema}.items SELECT generate_series(1, %s)", [rows])
        return pg_source(row_cap=CAP)

    try:
        yield make
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


ENGINES = [
    pytest.param("items_duckdb", id="duckdb"),
    pytest.param("items_sqlite", id="sqlite"),
    pytest.param("items_postgresql", id="postgresql", marks=pytest.mark.integration),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_exactly_cap_rows_are_not_truncated(engine: str, request: pytest.FixtureRequest) -> None:
    result = run(request.getfixturevalue(engine)(CAP), "SELECT id FROM items ORDER BY id")
    assert (result.rows, result.truncated) == ([[i] for i in range(1, CAP + 1)], False)


@pytest.mark.parametrize("engine", ENGINES)
def test_one_row_more_than_the_cap_is_truncated_to_the_cap(engine: str, request: pytest.FixtureRequest) -> None:
    result = run(request.getfixturevalue(engine)(CAP + 1), "SELECT id FROM items ORDER BY id")
    assert (result.rows, result.truncated) == ([[i] for i in range(1, CAP + 1)], True)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lower_limit_in_the_statement_is_not_truncation(engine: str, request: pytest.FixtureRequest) -> None:
    result = run(request.getfixturevalue(engine)(CAP + 10), "SELECT id FROM items ORDER BY id LIMIT 3")
    assert (len(result.rows), result.truncated) == (3, False)


def test_a_limit_of_exactly_the_cap_in_the_statement_is_not_truncation(
    items_duckdb: Callable[[int], DataSource],
) -> None:
    """The model asked for the cap's worth of rows and got them all: nothing was cut off."""
    result = run(items_duckdb(CAP + 10), f"SELECT id FROM items ORDER BY id LIMIT {CAP}")
    assert (len(result.rows), result.truncated) == (CAP, False)


def test_a_refresh_of_a_stored_statement_reports_truncation_the_same_way(
    items_duckdb: Callable[[int], DataSource],
) -> None:
    source = items_duckdb(CAP + 1)
    stored = sql_check(sql="SELECT id FROM items", dialect="duckdb", allowed_tables=["items"], row_cap=CAP).sql
    again = sql_check(sql=stored, dialect="duckdb", allowed_tables=["items"], row_cap=CAP).sql
    assert again == stored
    assert sql_execute(source=source, sql=again).truncated is True
