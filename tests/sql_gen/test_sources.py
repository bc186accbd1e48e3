"""Data sources: validation that keeps secrets out of the database, the generation budget,
schema import into the dictionary, and PostgreSQL as a warehouse."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.exceptions import ValidationError

from sql_gen.models import DataSource, DictionaryColumn, DictionaryTable
from sql_gen.services.execute import sql_execute
from sql_gen.services.introspect import schema_import
from sql_gen.services.safety import sql_check
from tests.sql_gen.conftest import throwaway_schema

DSN_VAR = "TEST_WAREHOUSE_DSN_FOR_SOURCES"


# -- validation ----------------------------------------------------------------------------------

GOOD_SOURCES = [
    {"engine": "duckdb", "dialect": "duckdb", "location": ""},
    {"engine": "duckdb", "dialect": "duckdb", "location": "/srv/data/warehouse.duckdb"},
    {"engine": "sqlite", "dialect": "sqlite", "location": "var/warehouse.sqlite3"},
    {"engine": "postgresql", "dialect": "postgres", "location": DSN_VAR},
]
BAD_SOURCES = [
    ({"engine": "postgresql", "dialect": "postgres", "location": "postgresql://u:pw@db/wh"}, "location", "not the DSN"),
    ({"engine": "postgresql", "dialect": "postgres", "location": "host=db password=pw"}, "location", "not the DSN"),
    ({"engine": "postgresql", "dialect": "postgres", "location": "UNSET_DSN_VAR_XYZ"}, "location", "is not set"),
    ({"engine": "duckdb", "dialect": "duckdb", "location": "s3://bucket/wh.duckdb"}, "location", "file path"),
    ({"engine": "sqlite", "dialect": "sqlite", "location": ""}, "location", "path of the SQLite file"),
    ({"engine": "duckdb", "dialect": "postgres", "location": ""}, "dialect", "duckdb dialect"),
    ({"engine": "postgresql", "dialect": "mysql", "location": DSN_VAR}, "dialect", "postgres or postgresql"),
]


@pytest.fixture
def dsn_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DSN_VAR, "postgresql://reader@127.0.0.1:9/wh")


@pytest.mark.parametrize("fields", GOOD_SOURCES)
def test_a_valid_source_passes_clean(fields: dict[str, str], dsn_env: None) -> None:
    DataSource(name="s", **fields).clean()


@pytest.mark.parametrize(("fields", "field", "message"), BAD_SOURCES)
def test_an_invalid_source_is_refused_with_a_clear_message(
    fields: dict[str, str], field: str, message: str, dsn_env: None
) -> None:
    with pytest.raises(ValidationError) as caught:
        DataSource(name="s", **fields).clean()
    assert message in " ".join(caught.value.message_dict[field])


# -- schema import ----------------------------------------------------------------------------------


def test_importing_the_demo_warehouse_keeps_the_dictionarys_descriptions(demo_source: DataSource) -> None:
    DictionaryColumn.objects.filter(table__name="claims", name="status").update(data_type="TEXT")
    before = {c.key: (c.description, c.label) for c in DictionaryColumn.objects.filter(table__source=demo_source)}
    report = schema_import(source=demo_source)
    after = {c.key: (c.description, c.label) for c in DictionaryColumn.objects.filter(table__source=demo_source)}
    assert report.tables_created == [] and report.columns_created == 0
    assert report.types_updated == 1
    assert after == before
    assert DictionaryColumn.objects.get(table__name="claims", name="status").data_type == "VARCHAR"
    assert not DictionaryTable.objects.filter(name="_meta").exists()


@pytest.mark.django_db
def test_importing_a_new_duckdb_source_adds_its_tables_and_columns(warehouse: Path) -> None:
    source = DataSource.objects.create(name="fresh", engine="duckdb", dialect="duckdb")
    report = schema_import(source=source)
    assert "claims" in report.tables_created and "_meta" not in report.tables_created
    claims = DictionaryTable.objects.get(source=source, name="claims")
    assert list(claims.columns.values_list("name", flat=True))[:3] == ["claim_id", "policy_id", "customer_id"]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        statuses = sorted(r[0] for r in conn.execute("SELECT DISTINCT status FROM claims").fetchall())
        names = conn.execute("SELECT COUNT(DISTINCT full_name) FROM customers").fetchone()[0]
    samples = dict(claims.columns.values_list("name", "sample_values"))
    assert samples["status"] == statuses and 1 < len(statuses) <= 20  # a low-cardinality text column
    assert samples["claim_id"] == []  # not text
    customer_names = DictionaryColumn.objects.get(table__source=source, table__name="customers", name="full_name")
    assert names > 20 and customer_names.sample_values == []  # too many values to be a sample
    assert report.samples_filled >= 1 and "sample values" in report.summary()


@pytest.mark.django_db
def test_importing_a_sqlite_source_reads_tables_and_views(tmp_path: Path) -> None:
    path = tmp_path / "wh.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE regions (region_id INTEGER, name TEXT)")
        con.execute("CREATE VIEW region_names AS SELECT name FROM regions")
    source = DataSource.objects.create(name="lite", engine="sqlite", dialect="sqlite", location=str(path))
    report = schema_import(source=source)
    assert report.tables_created == ["region_names", "regions"]
    assert list(DictionaryColumn.objects.filter(table__name="regions").values_list("name", "data_type")) == [
        ("region_id", "INTEGER"), ("name", "TEXT")]


def test_the_admin_action_imports_and_reports(admin_client: Any, demo_source: DataSource) -> None:
    response = admin_client.post(
        "/admin/sql_gen/datasource/", {"action": "import_schema", "_selected_action": [demo_source.id]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and shown[0].startswith("demo-warehouse: 0 new tables, 0 new columns, 0 types updated, ")


# -- PostgreSQL as a warehouse ------------------------------------------------------------------------

PG_URL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
BY_REGION = (
    "SELECT r.name AS region, COUNT(*) AS claim_count, SUM(c.paid_amount) AS total_paid FROM claims AS c "
    "JOIN regions AS r ON r.region_id = c.region_id WHERE c.status = 'closed' GROUP BY r.name ORDER BY r.name"
)


@pytest.fixture
def pg_warehouse(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The demo warehouse's claims and regions copied into a throwaway PostgreSQL schema; the
    source's DSN (from an env var) puts that schema on the search path."""
    with throwaway_schema("wh_test") as (admin, schema, url):
        admin.execute(f"CREATE TABLE {schema}.regions (region_id INT, name TEXT)")
        admin.execute(f"CREATE TABLE {schema}.claims (claim_id BIGINT, region_id INT, status TEXT, "
                      "paid_amount NUMERIC(12, 2))")
        with duckdb.connect(str(warehouse), read_only=True) as wh, admin.cursor() as cur:
            for table, columns in (("regions", "region_id, name"),
                                   ("claims", "claim_id, region_id, status, paid_amount")):
                with cur.copy(f"COPY {schema}.{table} ({columns}) FROM STDIN") as copy:
                    for row in wh.execute(f"SELECT {columns} FROM {table}").fetchall():
                        copy.write_row(row)
        monkeypatch.setenv(DSN_VAR, f"{url}?options=-csearch_path%3D{schema}")
        yield schema


@pytest.mark.integration
def test_a_demo_metric_runs_the_same_on_postgresql_as_on_duckdb(pg_warehouse: str, demo_source: DataSource) -> None:
    pg = DataSource.objects.create(name="pg-wh", engine="postgresql", dialect="postgres", location=DSN_VAR)
    pg.full_clean()
    assert schema_import(source=pg).tables_created == ["claims", "regions"]
    checked = sql_check(sql=BY_REGION, dialect="postgres", allowed_tables=["claims", "regions"], row_cap=100)
    on_pg = sql_execute(source=pg, sql=checked.sql)
    on_duck = sql_execute(source=demo_source, sql=BY_REGION)
    assert on_pg.columns == on_duck.columns == ["region", "claim_count", "total_paid"]
    assert on_pg.rows == on_duck.rows and len(on_pg.rows) == 6
