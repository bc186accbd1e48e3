"""A stored widget when the dictionary changes under it: a refresh never shows the old statement's figure, or a 0
for a value that is gone, as if right. It writes the statement again (no model call) or says it is out of date."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.cache import cache

from sql_gen.models import ComputedDimension, DictionaryColumn, DimensionValue, MetricDefinition
from sql_gen.services.demo import demo_source_seed
from tests.widgets.test_companions import _make, _stale
from widgets.models import DataOrigin, RequestStatus, Widget
from widgets.serializers import widget_out
from widgets.services import runner
from widgets.services.dashboard_window import widget_window_view
from widgets.services.requests import widget_request_create
from widgets.services.resolve import widget_refresh

pytestmark = pytest.mark.django_db
BANDS = ("CASE WHEN claimed_amount < {small} THEN 'Small' WHEN claimed_amount < 25000 THEN 'Medium' "
         "WHEN claimed_amount < 100000 THEN 'Large' ELSE 'Very large' END")


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> Iterator[None]:
    settings.BUILDER_TODAY = "2026-11-18"
    cache.clear()
    yield
    cache.clear()


def _count(warehouse: Path, window: dict[str, str], where: str, select: str = "COUNT(*)",
           column: str = "filed_date", group: str = "") -> list[tuple[Any, ...]]:
    sql = (f"SELECT {group + ', ' if group else ''}{select} FROM claims b WHERE b.{column} >= DATE '{window['start']}' "
           f"AND b.{column} < DATE '{window['end']}'{' AND ' + where if where else ''}"
           f"{' GROUP BY 1 ORDER BY 1' if group else ''}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _refreshed(widget: Widget) -> Widget:
    _stale(widget)
    widget_refresh(widget_id=widget.id, force=True)
    return Widget.objects.get(id=widget.id)


# -- a filter value that is no longer a value ------------------------------------------------------------------


def _rename_auto(to: str) -> None:
    """What a values refresh leaves after the data renamed Auto: the index holds the new name only."""
    line = DictionaryColumn.objects.get(table__name="products", name="line")
    DimensionValue.objects.filter(column=line, value="Auto").update(value=to)


def test_a_widget_filtering_on_a_value_gone_from_the_data_is_out_of_date_not_a_silent_zero(
        demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "motor claim count last month")
    assert widget.spec["filters"] == [{"dimension": "products.line", "op": "in", "values": ["Auto"]}]
    shown = widget.result
    _rename_auto("Private car")
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.OUT_OF_DATE and refreshed.result == shown  # the last good data, said so
    assert refreshed.source_reason.startswith("Auto is no longer a value of product line (renamed, or gone from "
                                              "the data): the widget's filter would keep no row.")
    assert "Private car" in refreshed.source_reason and "Showing the last good data" in refreshed.source_reason
    out = widget_out(refreshed)
    assert (out["source"], out["source_label"]) == ("out_of_date", "Out of date") and "Auto" in out["source_reason"]


def test_once_the_value_is_back_the_widget_is_live_again(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "motor claim count last month")
    _rename_auto("Private car")
    assert _refreshed(widget).source == DataOrigin.OUT_OF_DATE
    DimensionValue.objects.filter(value="Private car").update(value="Auto")
    assert _refreshed(widget).source == DataOrigin.LIVE


def test_a_new_widget_never_filters_on_a_value_its_synonym_points_at_once_it_is_gone(
        demo_source, analyst, dashboard):
    _rename_auto("Private car")  # 'motor' -> Auto is now a synonym for a value no row has
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="motor claim count last month",
                                    enqueue=False)
    runner.run(request_id=request.id)
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED and "no value called “motor" in request.error_message
    assert not Widget.objects.filter(request=request).exists()


def test_the_dashboard_window_says_the_widget_is_out_of_date(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "motor claim count last month")
    _rename_auto("Private car")
    view = widget_window_view(widget=Widget.objects.get(id=widget.id), window={"kind": "all"},
                              now=dt.datetime.now(dt.UTC))
    assert (view.applied, view.failed) == (False, True) and "Auto is no longer a value" in view.reason


# -- a computed dimension or a metric edited --------------------------------------------------------------------


def test_a_computed_dimension_edited_writes_the_statement_again_with_its_new_expression(
        demo_source, analyst, dashboard, warehouse):
    widget = _make(analyst, dashboard, "claim count by claim size last month")
    assert "< 5000" in widget.sql
    ComputedDimension.objects.filter(name="claim_size").update(expression=BANDS.format(small=10000))
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.LIVE and "< 10000" in refreshed.sql and "< 5000" not in refreshed.sql
    assert refreshed.result["dictionary_note"] == ("Its query was written again: a definition it uses (Claim count, "
                                                   "claim size) changed in the dictionary since it was built, and the "
                                                   "figures follow the definitions as they are now.")
    assert "is not one of the widget's groups" in refreshed.result["dictionary_reason"]
    window = refreshed.result["window"]
    expected = _count(warehouse, window, "", group=BANDS.format(small=10000).replace("claimed_amount",
                                                                                      "b.claimed_amount"))
    assert sorted(map(tuple, refreshed.result["rows"])) == sorted(expected)
    assert refreshed.llm_calls == widget.llm_calls  # written by our code, not a model


def test_a_filter_on_a_computed_dimension_follows_its_new_expression(demo_source, analyst, dashboard, warehouse):
    widget = _make(analyst, dashboard, "small claims count last month")
    assert widget.spec["filters"] == [{"dimension": "claims.claim_size", "op": "in", "values": ["Small"]}]
    ComputedDimension.objects.filter(name="claim_size").update(expression=BANDS.format(small=1000))
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.LIVE and "< 1000 " in refreshed.sql
    expected = _count(warehouse, refreshed.result["window"], "b.claimed_amount < 1000")
    assert refreshed.result["rows"] == [[expected[0][0]]]


def test_a_label_a_computed_dimension_no_longer_yields_makes_its_filter_out_of_date(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "small claims count last month")
    ComputedDimension.objects.filter(name="claim_size").update(
        expression="CASE WHEN claimed_amount < 25000 THEN 'Under 25k' ELSE 'From 25k' END",
        values=["Under 25k", "From 25k"], value_synonyms={})
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.OUT_OF_DATE
    assert "Small is no longer a value of claim size" in refreshed.source_reason
    assert "Under 25k, From 25k" in refreshed.source_reason


@pytest.mark.parametrize(("field", "value", "where", "column"), [
    ("default_filters", "status IN ('closed', 'denied')", "b.status IN ('closed', 'denied')", "closed_date"),
    ("time_column", "filed_date", "b.status = 'closed'", "filed_date"),
    ("expression", "SUM(claimed_amount)", "b.status = 'closed'", "closed_date"),
])
def test_a_metric_edited_writes_the_statement_and_its_sparkline_again(demo_source, analyst, dashboard, warehouse,
                                                                      field, value, where, column):
    widget = _make(analyst, dashboard, "total paid last month")
    MetricDefinition.objects.filter(key="total_paid").update(**{field: value})
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.LIVE and refreshed.result["dictionary_note"]
    select = "SUM(b.claimed_amount)" if field == "expression" else "SUM(b.paid_amount)"
    expected = _count(warehouse, refreshed.result["window"], where, select=select, column=column)[0][0]
    assert float(refreshed.result["rows"][0][0]) == pytest.approx(float(expected))
    assert refreshed.sql != widget.sql and refreshed.companions["sparkline"]["sql"] != widget.companions[
        "sparkline"]["sql"]


def test_an_unchanged_dictionary_leaves_the_statement_as_it_was(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "claim count by claim size last month")
    MetricDefinition.objects.filter(key="claim_count").update(description="Claims filed, by filing date.")
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.LIVE and refreshed.sql == widget.sql
    assert "dictionary_note" not in refreshed.result and refreshed.companions == widget.companions


def test_a_statement_that_cannot_be_written_again_is_out_of_date(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "claim count by channel last month")
    MetricDefinition.objects.filter(key="claim_count").update(expression="COUNT(DISTINCT claim_id)")
    DictionaryColumn.objects.filter(table__name="claims", name="channel_id").update(references="")  # no join left
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.OUT_OF_DATE
    assert refreshed.source_reason.startswith("The dictionary changed since this widget's query was written: it no "
                                              "longer matches a definition it uses (Claim count, channel;")
    assert "could not be written again" in refreshed.source_reason and refreshed.sql == widget.sql


def test_a_metric_no_longer_defined_is_out_of_date(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "claim count by channel last month")
    Widget.objects.filter(id=widget.id).update(spec={**widget.spec, "metric": {**widget.spec["metric"],
                                                                               "key": "claims_v1"}})
    refreshed = _refreshed(widget)
    assert refreshed.source == DataOrigin.OUT_OF_DATE and "no longer defined" in refreshed.source_reason
    demo_source_seed()  # the seed again changes nothing: the widget's own metric is what is gone
    assert _refreshed(widget).source == DataOrigin.OUT_OF_DATE


def test_a_rankings_all_others_companions_are_kept_or_written_again_with_the_statement(demo_source, dashboard,
                                                                                        caplog):
    from tests.widgets.test_others import _build

    widget = _build(dashboard, "top 3 causes by claim count last quarter vs the quarter before as a table")
    assert {"others", "others_earlier", "earlier", "totals"} <= set(widget.companions)
    with caplog.at_level("INFO", logger="widgets.services.drift"):
        kept = _refreshed(widget)
    assert not [r.message for r in caplog.records if "written again" in r.message]  # none of them, every refresh
    assert kept.companions == widget.companions and kept.sql == widget.sql and kept.result["others"]
    MetricDefinition.objects.filter(key="claim_count").update(default_filters="status <> 'denied'")
    edited = _refreshed(widget)
    assert edited.source == DataOrigin.LIVE and "denied" in edited.sql
    assert all("denied" in edited.companions[name]["sql"] for name in ("others", "others_earlier", "earlier"))


def test_a_refinement_does_not_reuse_a_statement_the_dictionary_changed_under(demo_source, analyst, dashboard):
    from widgets.services.refine import widget_refine

    widget = _make(analyst, dashboard, "claim count by claim size last month")
    ComputedDimension.objects.filter(name="claim_size").update(expression=BANDS.format(small=10000))
    request = widget_refine(user=analyst, widget=widget, prompt="show it as a table", enqueue=False)
    runner.run(request_id=request.id)
    refined = Widget.objects.get(id=widget.id)
    assert refined.kind == "table" and "< 10000" in refined.sql and "< 5000" not in refined.sql
    assert not request.steps.get(name="sql").output.get("reused")
