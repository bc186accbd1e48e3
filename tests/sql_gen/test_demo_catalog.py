"""The demo dictionary as seeded (idempotent, keeping admin edits, every value known), and the
catalog and dictionary slice the model steps read, computed dimensions included."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.forms.models import model_to_dict

from sql_gen.models import ComputedDimension, DataSource, DictionaryColumn, DimensionValue, MetricDefinition
from sql_gen.selectors import CATALOG_ALL_VALUES, catalog, dictionary_slice, dimension_values, metric_dimensions
from sql_gen.services.demo import demo_source_seed
from sql_gen.services.execute import sql_execute

DOWN_IS_GOOD = {"total_paid", "avg_settlement_days", "open_claims", "loss_ratio"}
NOT_ADDITIVE = {"distinct_claimants", "avg_settlement_days", "loss_ratio"}


def warehouse_values(path: Path, table: str, column: str) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall())


def dictionary_state() -> dict[str, Any]:
    return {
        "columns": sorted((c.key, c.label, c.description, c.synonyms, c.is_dimension, str(c.sample_values),
                           str(c.value_synonyms)) for c in DictionaryColumn.objects.select_related("table")),
        "metrics": sorted(tuple(model_to_dict(m).items()) for m in MetricDefinition.objects.all()),
        "computed": sorted(tuple(model_to_dict(d).items()) for d in ComputedDimension.objects.all()),
        "values": sorted(DimensionValue.objects.values_list("column__table__name", "column__name", "value",
                                                            "row_count")),
    }


# -- seeding ---------------------------------------------------------------------------------------------


def test_seeding_twice_changes_nothing(demo_source: DataSource) -> None:
    first = dictionary_state()
    assert demo_source_seed().id == demo_source.id
    assert dictionary_state() == first
    assert DataSource.objects.count() == 1


def test_seeding_keeps_what_an_admin_edited(demo_source: DataSource) -> None:
    line = DictionaryColumn.objects.get(table__name="products", name="line")
    line.value_synonyms = {"motor": "Auto"}  # an admin trimmed them
    line.label = "business line"
    line.save()
    adjuster = DictionaryColumn.objects.get(table__name="adjusters", name="full_name")
    DictionaryColumn.objects.filter(id=adjuster.id).update(is_dimension=False, description="Not for widgets.")
    MetricDefinition.objects.filter(key="total_paid").update(description="Paid, our way.", up_is_good=True)
    ComputedDimension.objects.filter(name="claim_size").update(label="size band", values=["Small", "Large"])
    demo_source_seed()
    line.refresh_from_db()
    assert (line.value_synonyms, line.label) == ({"motor": "Auto"}, "business line")
    assert DictionaryColumn.objects.get(id=adjuster.id).is_dimension is False
    assert MetricDefinition.objects.filter(key="total_paid", description="Paid, our way.", up_is_good=True).exists()
    assert ComputedDimension.objects.get(name="claim_size").label == "size band"


def test_seeding_creates_what_is_missing(demo_source: DataSource) -> None:
    ComputedDimension.objects.all().delete()
    MetricDefinition.objects.filter(key="loss_ratio").delete()
    DictionaryColumn.objects.filter(table__name="claims", name="cause").delete()
    demo_source_seed()
    assert ComputedDimension.objects.filter(table__name="claims", name="claim_size").exists()
    assert MetricDefinition.objects.filter(key="loss_ratio", up_is_good=False, additive=False).exists()
    cause = DictionaryColumn.objects.get(table__name="claims", name="cause")
    assert cause.value_synonyms["flood"] == "Water Damage" and cause.indexed_values.count() == 14


def test_seeding_updates_what_an_earlier_seed_wrote_and_nobody_changed(demo_source: DataSource) -> None:
    adjuster = DictionaryColumn.objects.get(table__name="adjusters", name="full_name")
    DictionaryColumn.objects.filter(id=adjuster.id).update(label="", description="Adjuster name.", synonyms="",
                                                           is_dimension=False)
    DictionaryColumn.objects.filter(table__name="claims", name="cause").update(value_synonyms={})
    MetricDefinition.objects.filter(key="claim_count").update(description="Number of claims filed.")
    demo_source_seed()
    adjuster.refresh_from_db()
    assert (adjuster.label, adjuster.is_dimension) == ("adjuster", True)
    assert DictionaryColumn.objects.get(table__name="claims", name="cause").value_synonyms["stolen"] == "Theft"
    assert "by filing date" in MetricDefinition.objects.get(key="claim_count").description


@pytest.mark.parametrize(("table", "column"), [
    ("claims", "cause"), ("products", "name"), ("adjusters", "team"), ("adjusters", "full_name"),
    ("regions", "name"), ("channels", "name"), ("products", "line"), ("customers", "segment"), ("claims", "status"),
])
def test_seeding_indexes_every_value_of_each_dimension(demo_source: DataSource, warehouse: Path, table: str,
                                                        column: str) -> None:
    dictionary_column = DictionaryColumn.objects.get(table__name=table, name=column)
    assert sorted(dictionary_column.indexed_values.values_list("value", flat=True)) == warehouse_values(
        warehouse, table, column)
    assert dictionary_column.sample_values and len(dictionary_column.sample_values) <= 12


def test_customer_names_are_personal_data_and_never_indexed(demo_source: DataSource) -> None:
    names = DictionaryColumn.objects.get(table__name="customers", name="full_name")
    assert not names.is_dimension and names.sample_values == [] and not names.indexed_values.exists()


def test_seeding_without_a_warehouse_still_seeds_the_dictionary(db: None, settings: Any, tmp_path: Path) -> None:
    settings.WAREHOUSE_PATH = tmp_path / "none.duckdb"
    source = demo_source_seed()
    assert source.metrics.count() == 8 and not DimensionValue.objects.exists()
    assert DictionaryColumn.objects.get(table__name="regions", name="name").sample_values[0] == "Northeast"
    regions = next(d for d in catalog(source=source)["dimensions"] if d["key"] == "regions.name")
    assert (regions["values"][0], regions["values_complete"], regions["value_count"]) == ("Northeast", False, None)


def test_the_demo_value_synonyms_name_stored_values(demo_source: DataSource) -> None:
    for column in DictionaryColumn.objects.exclude(value_synonyms={}):
        column.full_clean()  # every target is one of the indexed values
    synonyms = {c.key: c.value_synonyms for c in DictionaryColumn.objects.exclude(value_synonyms={})}
    assert synonyms["products.line"]["car insurance"] == "Auto" and synonyms["claims.status"]["settled"] == "closed"
    assert synonyms["channels.name"]["call centre"] == "Phone" and synonyms["customers.segment"]["smb"] == (
        "Small Business")


def test_the_claim_size_bands_cover_the_claims_in_their_order(demo_source: DataSource) -> None:
    size = ComputedDimension.objects.get(table__name="claims", name="claim_size")
    size.full_clean()
    rows = sql_execute(source=demo_source, sql=f"SELECT {size.expression} AS band, COUNT(*) FROM claims GROUP BY 1").rows
    assert {band for band, _ in rows} <= set(size.values) and size.values == ["Small", "Medium", "Large", "Very large"]


# -- the catalog ------------------------------------------------------------------------------------------


def test_each_metric_has_its_definition_direction_additivity_and_time_column(demo_source: DataSource) -> None:
    metrics = {m["key"]: m for m in catalog(source=demo_source)["metrics"]}
    for key, metric in metrics.items():
        assert {"key", "name", "description", "synonyms", "unit", "dimensions", "definition", "up_is_good",
                "additive", "time_column"} <= set(metric)
        assert metric["definition"] == metric["description"] and " by " in metric["definition"], key
        assert metric["up_is_good"] is (key not in DOWN_IS_GOOD), key
        assert metric["additive"] is (key not in NOT_ADDITIVE), key
    assert metrics["total_paid"]["time_column"] == "closed_date" and metrics["claim_count"]["time_column"] == "filed_date"
    assert metrics["loss_ratio"]["time_column"] is None
    assert metrics["loss_ratio"]["parts"] == {"numerator": "total_paid", "denominator": "earned_premium"}


def test_each_dimension_has_its_values_synonyms_and_kind(demo_source: DataSource) -> None:
    dimensions = {d["key"]: d for d in catalog(source=demo_source)["dimensions"]}
    assert set(dimensions) == {
        "adjusters.full_name", "adjusters.team", "channels.name", "claims.status", "claims.cause", "claims.claim_size",
        "customers.segment", "products.name", "products.line", "regions.name",
    }
    for dimension in dimensions.values():
        assert {"key", "label", "description", "synonyms", "values", "value_synonyms", "computed"} <= set(dimension)
    assert dimensions["adjusters.full_name"]["label"] == "adjuster"
    assert dimensions["products.line"]["value_synonyms"]["motor"] == "Auto"
    assert dimensions["regions.name"]["values"] == ["Northeast", "Southeast", "Midwest", "Southwest", "West",
                                                    "Northwest"]  # the seed's order kept
    assert len(dimensions["claims.cause"]["values"]) == 14 and dimensions["claims.cause"]["values_complete"]
    assert dimensions["claims.claim_size"]["computed"] is True and not dimensions["claims.cause"]["computed"]


def test_a_dimension_with_more_values_than_the_catalog_shows_has_a_sample_and_the_rest_in_the_index(
        demo_source: DataSource, warehouse: Path) -> None:
    adjusters = next(d for d in catalog(source=demo_source)["dimensions"] if d["key"] == "adjusters.full_name")
    names = warehouse_values(warehouse, "adjusters", "full_name")
    assert len(names) > CATALOG_ALL_VALUES
    assert len(adjusters["values"]) == 12 and not adjusters["values_complete"]
    assert adjusters["value_count"] == len(names)
    assert dimension_values(source=demo_source) == {"adjusters.full_name": names}


def test_the_computed_dimension_is_a_dimension_of_the_claims_metrics_only(demo_source: DataSource) -> None:
    metrics = {m["key"]: m for m in catalog(source=demo_source)["metrics"]}
    assert "claims.claim_size" in metrics["total_paid"]["dimensions"]
    assert "claims.claim_size" not in metrics["earned_premium"]["dimensions"]
    assert "claims.claim_size" not in metrics["loss_ratio"]["dimensions"]
    size = next(d for d in catalog(source=demo_source)["dimensions"] if d["key"] == "claims.claim_size")
    assert size["values"] == ["Small", "Medium", "Large", "Very large"] and size["label"] == "claim size"
    assert "size band" in size["synonyms"]
    assert "claims.claim_size" in metric_dimensions(metric=MetricDefinition.objects.get(key="claim_count"))


def test_the_slice_gives_a_computed_dimensions_expression_and_the_columns_it_reads(demo_source: DataSource) -> None:
    metric = MetricDefinition.objects.get(key="claim_count")
    sliced = dictionary_slice(metric=metric, dimension_keys=["claims.claim_size", "regions.name"])
    size = next(d for d in sliced["dimensions"] if d["key"] == "claims.claim_size")
    assert size["computed"] is True and size["column"] is None and "claimed_amount < 5000" in size["expression"]
    assert size["values"] == ["Small", "Medium", "Large", "Very large"]
    claims = next(t for t in sliced["tables"] if t["name"] == "claims")
    assert "claimed_amount" in {c["name"] for c in claims["columns"]}
    assert any("claims.claim_size is not a column" in g for g in sliced["guidelines"])
    region = next(d for d in sliced["dimensions"] if d["key"] == "regions.name")
    assert region["computed"] is False and region["column"] == "name"


def test_the_slices_expression_runs_as_the_dimension(demo_source: DataSource) -> None:
    size = next(d for d in dictionary_slice(metric=MetricDefinition.objects.get(key="claim_count"),
                                            dimension_keys=["claims.claim_size"])["dimensions"])
    rows = sql_execute(source=demo_source, sql=f"SELECT {size['expression']} AS claim_size, COUNT(*) AS n "
                                               "FROM claims GROUP BY 1").rows
    assert sum(n for _, n in rows) > 0 and {band for band, _ in rows} <= set(size["values"])
