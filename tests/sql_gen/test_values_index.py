"""The values index: every value of each low-cardinality text dimension, read through the query
box by the importer, and a note for a dimension with too many values to index."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from sql_gen.models import ComputedDimension, DataSource, DictionaryColumn, DimensionValue
from sql_gen.services import introspect
from sql_gen.services.introspect import MAX_INDEXED_VALUES, SAMPLE_SIZE, schema_import, values_refresh

pytestmark = pytest.mark.django_db

N_CITIES = 40
N_CUSTOMERS = MAX_INDEXED_VALUES + 5


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    """A warehouse with a 40-city dimension, a 1,005-name column and a tag column with one long value."""
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders (order_id INTEGER, city VARCHAR, customer VARCHAR, tag VARCHAR, "
                    "amount DOUBLE)")
        con.execute(f"""INSERT INTO orders SELECT i, 'City ' || (i % {N_CITIES}), 'Customer ' || i,
                        CASE WHEN i = 0 THEN repeat('x', 400) WHEN i % 2 = 0 THEN 'even' ELSE NULL END, i
                        FROM range({N_CUSTOMERS}) t(i)""")
    return path


@pytest.fixture
def shop(shop_file: Path) -> DataSource:
    source = DataSource.objects.create(name="shop", engine="duckdb", dialect="duckdb", location=str(shop_file))
    schema_import(source=source)  # nothing is a dimension yet: no index
    DictionaryColumn.objects.filter(table__source=source, name__in=["city", "customer", "tag"]).update(
        is_dimension=True)
    return source


def column(source: DataSource, name: str) -> DictionaryColumn:
    return DictionaryColumn.objects.get(table__source=source, name=name)


def test_a_fresh_import_indexes_no_column_until_it_is_a_dimension(shop_file: Path) -> None:
    source = DataSource.objects.create(name="fresh", engine="duckdb", dialect="duckdb", location=str(shop_file))
    report = schema_import(source=source)
    assert report.values_indexed == [] and not DimensionValue.objects.exists()
    assert "0 dimensions' values indexed" in report.summary()


def test_every_value_of_a_low_cardinality_dimension_is_indexed_with_its_rows(shop: DataSource) -> None:
    report = values_refresh(source=shop)
    city = column(shop, "city")
    indexed = dict(city.indexed_values.values_list("value", "row_count"))
    assert len(indexed) == N_CITIES and city.values_indexed_at is not None
    assert sum(indexed.values()) == N_CUSTOMERS and indexed["City 0"] == N_CUSTOMERS // N_CITIES + 1
    assert "orders.city" in report.values_indexed
    assert len(city.sample_values) == SAMPLE_SIZE and set(city.sample_values) <= set(indexed)  # a short sample


def test_a_dimension_with_too_many_values_is_not_indexed_and_the_report_says_so(shop: DataSource) -> None:
    report = values_refresh(source=shop)
    customer = column(shop, "customer")
    assert not customer.indexed_values.exists() and customer.values_indexed_at is None
    assert customer.sample_values == []
    assert f"orders.customer: more than {MAX_INDEXED_VALUES} distinct values, not indexed" in report.summary()


def test_a_column_that_grew_past_the_limit_loses_its_index(shop: DataSource) -> None:
    customer = column(shop, "customer")
    DimensionValue.objects.create(column=customer, value="stale")
    DictionaryColumn.objects.filter(id=customer.id).update(values_indexed_at="2026-01-01T00:00:00Z")
    values_refresh(source=shop)
    assert not DimensionValue.objects.filter(column=customer).exists()
    assert column(shop, "customer").values_indexed_at is None


def test_a_refresh_replaces_the_index_and_keeps_an_admins_sample(shop: DataSource) -> None:
    city = column(shop, "city")
    DictionaryColumn.objects.filter(id=city.id).update(sample_values=["City 1", "City 2"])
    DimensionValue.objects.create(column=city, value="Gone City", row_count=3)
    kept = DimensionValue.objects.create(column=city, value="City 1", row_count=1)
    values_refresh(source=shop)
    city.refresh_from_db()
    assert city.sample_values == ["City 1", "City 2"]
    assert not city.indexed_values.filter(value="Gone City").exists() and city.indexed_values.count() == N_CITIES
    kept.refresh_from_db()  # the same row, its count brought up to date
    assert kept.row_count == N_CUSTOMERS // N_CITIES + 1


def test_nulls_are_not_values_and_overlong_values_are_left_out_with_a_note(shop: DataSource) -> None:
    report = values_refresh(source=shop)
    assert list(column(shop, "tag").indexed_values.values_list("value", flat=True)) == ["even"]
    assert "orders.tag: 1 values longer than 300 characters left out of the index" in report.notes


def test_a_row_cap_below_the_index_limit_does_not_cut_the_index(shop: DataSource) -> None:
    DataSource.objects.filter(id=shop.id).update(row_cap=10)
    shop.refresh_from_db()
    values_refresh(source=shop)
    assert column(shop, "city").indexed_values.count() == N_CITIES
    assert DataSource.objects.get(id=shop.id).row_cap == 10  # the raised cap was never saved


def test_values_are_read_through_the_query_box_never_in_this_process(shop: DataSource,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    statements: list[str] = []
    execute = introspect.sql_execute

    def spy(**kwargs: Any) -> Any:
        statements.append(kwargs["sql"])
        return execute(**kwargs)

    def no_local_connection(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the warehouse was opened in the web process")

    monkeypatch.setattr(introspect, "sql_execute", spy)
    monkeypatch.setattr(duckdb, "connect", no_local_connection)
    values_refresh(source=shop)
    assert len(statements) == 3 and all("GROUP BY" in s for s in statements)
    assert column(shop, "city").indexed_values.count() == N_CITIES


def test_the_import_refreshes_the_index_and_reports_it(shop: DataSource) -> None:
    report = schema_import(source=shop)
    assert report.values_indexed == ["orders.city", "orders.tag"]
    assert "2 dimensions' values indexed" in report.summary() and "orders.customer: more than" in report.summary()


def test_a_source_that_cannot_be_read_fails_the_refresh(shop: DataSource, tmp_path: Path) -> None:
    shop.location = str(tmp_path / "missing.duckdb")
    with pytest.raises(introspect.QueryFailed, match="does not exist"):
        values_refresh(source=shop)


def test_a_computed_dimension_yielding_an_unlisted_label_gets_a_note(shop: DataSource) -> None:
    table = shop.tables.get(name="orders")
    ComputedDimension.objects.create(table=table, name="size", label="size", values=["Small"],
                                     expression="CASE WHEN amount < 10 THEN 'Small' ELSE 'Big' END")
    report = values_refresh(source=shop)
    assert "orders.size yields Big, which its values do not list" in report.notes


def test_the_admin_action_refreshes_values(admin_client: Any, shop: DataSource) -> None:
    response = admin_client.post("/admin/sql_gen/datasource/",
                                 {"action": "refresh_values", "_selected_action": [shop.id]}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "2 dimensions' values indexed" in shown[0] and "orders.customer" in shown[0]
    assert column(shop, "city").indexed_values.count() == N_CITIES


def test_value_synonyms_to_values_gone_from_the_data_get_a_note_and_are_not_used(shop: DataSource) -> None:
    from sql_gen.selectors import catalog, complete_values

    DictionaryColumn.objects.filter(table__source=shop, name="city").update(
        value_synonyms={"capital": "City 1", "old town": "Gone City"})
    report = values_refresh(source=shop)
    assert "orders.city: value synonyms stand for values no longer in the data ('old town' → 'Gone City')" \
        in report.summary()
    entry = next(d for d in catalog(source=shop)["dimensions"] if d["key"] == "orders.city")
    assert entry["value_synonyms"] == {"capital": "City 1"}
    known = complete_values(source=shop)
    assert len(known["orders.city"]) == N_CITIES and known["orders.customer"] is None  # too many to know them all
