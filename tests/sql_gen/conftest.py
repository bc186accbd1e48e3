"""Fixtures for the query box: a private pool per test, small limits, and sources over claims."""
from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from sql_gen.box import pool as box_pool_module
from sql_gen.box.pool import Pool
from sql_gen.models import DataSource
from tests.conftest import service_missing

PG_URL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
BOX_DSN_VAR = "TEST_PG_WAREHOUSE_DSN_FOR_THE_BOX"
# Small limits keep the bombs quick; the acceptance bounds are computed from these.
TIME_S = 2
MEMORY_MB = 512


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    """A fresh pool for this test alone, in place of the process's pool, closed afterwards."""
    fresh = Pool()
    monkeypatch.setattr(box_pool_module, "_pool", fresh)
    yield fresh
    fresh.close()


@pytest.fixture
def small_box(settings: Any, pool: Pool) -> Pool:
    """One worker with a 512 MB memory limit, so that every statement runs in the same process."""
    settings.QUERY_BOX_WORKERS = 1
    settings.QUERY_BOX_MEMORY_MB = MEMORY_MB
    return pool


@pytest.fixture(scope="session")
def claims_sqlite_file(warehouse_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small warehouse's claims, copied into a SQLite file."""
    path = tmp_path_factory.mktemp("sqlite-warehouse") / "claims.sqlite3"
    with duckdb.connect(str(warehouse_file), read_only=True) as source:
        rows = source.execute(
            "SELECT claim_id, customer_id, status, cause, filed_date::VARCHAR, paid_amount::DOUBLE FROM claims"
        ).fetchall()
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE claims (claim_id INTEGER, customer_id INTEGER, status TEXT, cause TEXT,"
                " filed_date TEXT, paid_amount REAL)")
    con.executemany("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def duck_source(path: Path, **fields: Any) -> DataSource:
    values = {"row_cap": 100, "statement_timeout_s": TIME_S, **fields}
    return DataSource(name="duck", engine="duckdb", dialect="duckdb", location=str(path), **values)


def sqlite_source(path: Path, **fields: Any) -> DataSource:
    values = {"row_cap": 100, "statement_timeout_s": TIME_S, **fields}
    return DataSource(name="lite", engine="sqlite", dialect="sqlite", location=str(path), **values)


def claims_duckdb(path: Path, columns: str, rows: Sequence[tuple[Any, ...]]) -> DataSource:
    """A DuckDB source over a ``claims`` table of these columns ("claim_id INT, cause VARCHAR") and rows."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE claims ({columns})")
        con.executemany(f"INSERT INTO claims VALUES ({', '.join('?' * len(rows[0]))})", rows)
    return duck_source(path)


def claims_sqlite(path: Path, columns: str, rows: Sequence[tuple[Any, ...]]) -> DataSource:
    """A SQLite source over a ``claims`` table of these columns and rows."""
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE claims ({columns})")
    con.executemany(f"INSERT INTO claims VALUES ({', '.join('?' * len(rows[0]))})", rows)
    con.commit()
    con.close()
    return sqlite_source(path)


@contextmanager
def throwaway_schema(prefix: str) -> Iterator[tuple[psycopg.Connection[Any], str, str]]:
    """An autocommit admin connection to the test PostgreSQL, a new schema named ``prefix`` plus a random tail,
    and the server's URL; the schema is dropped afterwards. Skips when PostgreSQL is not reachable."""
    url = os.environ.get("TEST_PG_WAREHOUSE_URL", PG_URL_DEFAULT)
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        service_missing(f"PostgreSQL not reachable at {url} ({exc.__class__.__name__})")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield admin, schema, url
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@contextmanager
def claims_postgres(monkeypatch: pytest.MonkeyPatch, *, dsn_var: str, columns: str, rows: Sequence[tuple[Any, ...]],
                    statement_timeout_s: int) -> Iterator[DataSource]:
    """A PostgreSQL source over a ``claims`` table of these columns and rows, in a throwaway schema on the
    search path of the DSN in ``dsn_var``. Skips when PostgreSQL is not reachable."""
    with throwaway_schema("claims_test") as (admin, schema, url):
        admin.execute(f"CREATE TABLE {schema}.claims ({columns})")
        with admin.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {schema}.claims VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)
        monkeypatch.setenv(dsn_var, f"{url}?options=-csearch_path%3D{schema}")
        yield DataSource(name="pg", engine="postgresql", dialect="postgres", location=dsn_var, row_cap=100,
                         statement_timeout_s=statement_timeout_s)


def pg_source(**fields: Any) -> DataSource:
    values = {"row_cap": 100, "statement_timeout_s": TIME_S, "location": BOX_DSN_VAR, **fields}
    return DataSource(name="pg", engine="postgresql", dialect="postgres", **values)


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """The PostgreSQL warehouse's URL, also in the environment variable pg_source() reads."""
    url = os.environ.get("TEST_PG_WAREHOUSE_URL", PG_URL_DEFAULT)
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        service_missing(f"PostgreSQL not reachable at {url} ({exc.__class__.__name__})")
    monkeypatch.setenv(BOX_DSN_VAR, url)
    return url


def peak_rss_bytes(pool: Pool, pid: int) -> int:
    """Return the worker's peak resident memory: from its exit if the pool let it go, else its
    high-water mark so far (each test's pool is fresh, so that is this test's doing)."""
    for retired in pool.retired:
        if retired.pid == pid:
            return retired.peak_rss_bytes
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024
