"""The dictionary kept per process (``sql_gen.selectors._rows``) is read again as soon as any write changes it.

Database triggers change ``sql_gen_catalogversion`` on every write to the dictionary's tables, whatever made
it (the admin's save, ``update()``, raw SQL); a read then finds a version it has not loaded and reloads.
"""
from __future__ import annotations

import pytest
from django.db import connection

from sql_gen.models import DictionaryColumn, DimensionValue, MetricDefinition
from sql_gen.selectors import catalog, dimension_values, source_metrics

pytestmark = pytest.mark.django_db


def _metric(source, key):
    return next(m for m in catalog(source=source)["metrics"] if m["key"] == key)


def test_a_metric_edited_by_update_is_read_at_the_next_call(demo_source):
    assert _metric(demo_source, "total_paid")["name"] == "Total paid"
    MetricDefinition.objects.filter(key="total_paid").update(name="Paid out")  # no save(), no signal
    assert _metric(demo_source, "total_paid")["name"] == "Paid out"
    assert source_metrics(source=demo_source, keys=["total_paid"])["total_paid"].name == "Paid out"


def test_raw_sql_on_the_values_index_is_seen_too(demo_source):
    column = DictionaryColumn.objects.filter(table__source=demo_source, values_indexed_at__isnull=False,
                                             is_dimension=True).order_by("id").first()
    assert column is not None
    before = {v for values in dimension_values(source=demo_source).values() for v in values}
    catalog(source=demo_source)  # loaded and kept
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO sql_gen_dimensionvalue (column_id, value, row_count, label) VALUES (%s, %s, 0, '')",
                       [column.id, "zz-new-value"])
    entry = next(d for d in catalog(source=demo_source)["dimensions"] if d["key"] == column.key)
    shown = entry["values"] if entry["values_complete"] else dimension_values(source=demo_source)[column.key]
    assert "zz-new-value" in shown and "zz-new-value" not in before


def test_kept_rows_are_served_while_nothing_changed(demo_source, django_assert_max_num_queries):
    catalog(source=demo_source)
    with django_assert_max_num_queries(1):  # the version, and nothing else
        catalog(source=demo_source)
    assert DimensionValue.objects.exists()


def test_a_pinned_scope_reads_the_version_once_and_the_next_scope_sees_an_edit(demo_source,
                                                                                django_assert_num_queries):
    from sql_gen.triggers import CATALOG

    catalog(source=demo_source)
    with CATALOG.pinned():
        with django_assert_num_queries(1):  # one version read for three uses of the dictionary
            catalog(source=demo_source)
            catalog(source=demo_source)
            source_metrics(source=demo_source)
        MetricDefinition.objects.filter(key="total_paid").update(name="Paid out")
        assert _metric(demo_source, "total_paid")["name"] == "Total paid"  # the step reads one dictionary
    with CATALOG.pinned():
        assert _metric(demo_source, "total_paid")["name"] == "Paid out"  # the next step reads the edit
    with django_assert_num_queries(2):
        catalog(source=demo_source)  # outside a scope: the version at every use
        catalog(source=demo_source)
