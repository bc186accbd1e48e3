"""A label several rows share (two adjusters of one name) is grouped by the row's key and told apart."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sql_gen.services.entity_keys import fold_keys
from widgets.models import Widget
from widgets.services import runner as pipeline
from widgets.services.custom import check_result_columns
from widgets.services.requests import widget_request_create

pytestmark = pytest.mark.django_db


def _direct(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _widget(analyst: Any, dashboard: Any, prompt: str) -> Widget:
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)
    pipeline.run(request_id=request.id)
    request.refresh_from_db()
    return request.widget


def test_two_adjusters_of_one_name_are_two_rows_with_their_own_figures(demo_source, warehouse, analyst, dashboard):
    widget = _widget(analyst, dashboard, "claim count by adjuster over all time as a table")
    assert widget.result["columns"] == ["adjuster", "claim_count"]  # the key is folded away
    by_id = _direct(warehouse, "SELECT a.adjuster_id, a.full_name, COUNT(*) FROM claims c JOIN adjusters a "
                               "ON c.adjuster_id = a.adjuster_id GROUP BY 1, 2")
    shared = {name for name, n in Counter(name for _, name, _ in by_id).items() if n > 1}
    assert shared, "the demo has adjusters who share a name"
    expected = {f"{name} (#{key})" if name in shared else name: n for key, name, n in by_id}
    assert {label: n for label, n in widget.result["rows"]} == expected
    assert len(widget.result["rows"]) == len(by_id)


def test_a_ranking_of_adjusters_sums_each_person_not_each_name(demo_source, warehouse, analyst, dashboard):
    widget = _widget(analyst, dashboard, "top 5 adjusters by total paid over all time")
    top = _direct(warehouse, "SELECT a.adjuster_id, SUM(c.paid_amount) FROM claims c JOIN adjusters a "
                             "ON c.adjuster_id = a.adjuster_id WHERE c.status = 'closed' GROUP BY 1 "
                             "ORDER BY 2 DESC LIMIT 5")
    assert [row[-1] for row in widget.result["rows"]] == pytest.approx([float(v) for _, v in top])


def test_a_region_is_still_grouped_by_its_name(demo_source, analyst, dashboard):
    widget = _widget(analyst, dashboard, "claim count by region over all time")
    assert "__key" not in widget.sql and widget.result["columns"] == ["region", "claim_count"]


def test_folding_tells_apart_only_labels_that_are_shared():
    result = {"columns": ["adjuster", "adjuster__key", "n"], "rows": [["Priya Jones", 53, 1], ["Priya Jones", 7, 2],
                                                                     ["Ann Lee", 3, 4], ["Bo Chan", 9, 5]],
              "truncated": False}
    folded = fold_keys(result, shared={"Bo Chan"})
    assert folded["columns"] == ["adjuster", "n"]
    assert folded["rows"] == [["Priya Jones (#53)", 1], ["Priya Jones (#7)", 2], ["Ann Lee", 4], ["Bo Chan (#9)", 5]]


def test_a_custom_widgets_columns_may_carry_the_hidden_key():
    spec = {"kind": "custom", "metric": {"key": "claim_count", "name": "Claim count"}, "dimensions": ["adjusters.full_name"],
            "labels": {"adjusters.full_name": "adjuster"}, "grain": None}
    check_result_columns(spec=spec, columns=["adjuster", "adjuster__key", "claim_count"])


def test_the_sql_prompts_slice_gives_the_key_and_says_to_group_by_it(demo_source):
    from sql_gen.models import MetricDefinition
    from sql_gen.selectors import dictionary_slice

    piece = dictionary_slice(metric=MetricDefinition.objects.get(key="total_paid"),
                             dimension_keys=["adjusters.full_name", "regions.name"])
    dims = {d["key"]: d for d in piece["dimensions"]}
    assert dims["adjusters.full_name"]["key_column"] == "adjuster_id" and dims["regions.name"]["key_column"] is None
    adjusters = next(t for t in piece["tables"] if t["name"] == "adjusters")
    assert "adjuster_id" in {c["name"] for c in adjusters["columns"]}
    assert any("adjusters.adjuster_id" in g and "adjuster__key" in g for g in piece["guidelines"])
