"""A widget's companion queries: a KPI's sparkline and a table's totals, computed by the query and refreshed."""
from __future__ import annotations

import datetime as dt
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.cache import cache
from django.utils import timezone

from backend.errors import ApplicationError, ErrorCode
from backend.llm.models import LLMCall
from sql_gen.models import MetricDefinition
from widgets.models import RequestStatus, Widget, WidgetRequest
from widgets.services import companions as companions_module
from widgets.services import runner as pipeline
from widgets.services.companions import companion_specs, sparkline_grain
from widgets.services.requests import widget_request_create
from widgets.services.resolve import widget_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _direct(warehouse: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def _make(analyst: Any, dashboard: Any, prompt: str) -> Widget:
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)
    pipeline.run(request_id=request.id)
    request.refresh_from_db()
    assert request.status == RequestStatus.READY, request.error_message
    return request.widget


def _dates(window: dict[str, str]) -> tuple[dt.date, dt.date]:
    return dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])


def test_a_kpis_sparkline_is_its_metric_by_day_over_its_window(demo_source, warehouse, analyst, dashboard):
    widget = _make(analyst, dashboard, "total paid amount over the last 30 days")
    spark = widget.result["sparkline"]
    assert (spark["grain"], spark["columns"]) == ("day", ["period", "total_paid"])
    start, end = _dates(spark["window"])
    expected = dict(_direct(warehouse, "SELECT CAST(closed_date AS DATE), SUM(paid_amount) FROM claims WHERE "
                                       "status = 'closed' AND closed_date >= ? AND closed_date < ? GROUP BY 1",
                            start, end))
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days)]
    assert [row[0] for row in spark["rows"]] == days  # every day, none skipped
    assert {row[0]: row[1] for row in spark["rows"]} == {
        d: pytest.approx(float(expected.get(dt.date.fromisoformat(d), 0))) for d in days}
    # An additive metric's days add up to the KPI over the same window.
    assert sum(row[1] for row in spark["rows"]) == pytest.approx(widget.result["rows"][0][0])
    # The last day is today, which is not over: a day series marks it as a week or a month series would.
    assert spark["partial_last"] is (end - timedelta(days=1) == dt.date.fromisoformat(widget.result["today"]))
    assert spark["truncated"] is False


def test_a_table_of_a_non_additive_metric_gets_the_average_of_the_whole_not_of_its_rows(
        demo_source, warehouse, analyst, dashboard):
    widget = _make(analyst, dashboard, "average settlement days by channel over the last 90 days as a table")
    assert widget.kind == "table"
    totals = widget.result["totals"]
    assert totals["columns"] == ["avg_settlement_days"]
    start, end = _dates(widget.result["window"])
    (expected,), = _direct(warehouse, "SELECT AVG(settlement_days) FROM claims WHERE status = 'closed' "
                                      "AND closed_date >= ? AND closed_date < ?", start, end)
    assert totals["rows"] == [[pytest.approx(expected)]]
    row_mean = sum(r[1] for r in widget.result["rows"]) / len(widget.result["rows"])
    assert totals["rows"][0][0] != pytest.approx(row_mean, abs=1e-9)


def test_a_ranked_tables_totals_cover_every_group_not_only_the_top_rows(demo_source, warehouse, analyst, dashboard):
    widget = _make(analyst, dashboard, "top 3 causes by claim count last 90 days as a table")
    assert len(widget.result["rows"]) == 3
    start, end = _dates(widget.result["window"])
    (expected,), = _direct(warehouse, "SELECT COUNT(*) FROM claims WHERE filed_date >= ? AND filed_date < ?",
                           start, end)
    assert widget.result["totals"]["rows"] == [[expected]]
    assert expected > sum(r[-1] for r in widget.result["rows"])


def test_a_companion_that_cannot_be_written_leaves_the_widget_and_says_why(demo_source, analyst, dashboard,
                                                                           monkeypatch):
    def refuse(inputs: Any) -> Any:
        raise ApplicationError(ErrorCode.SQL_REJECTED, "no such join")

    monkeypatch.setattr(companions_module, "sql_write_offline", refuse)
    widget = _make(analyst, dashboard, "claim count over the last 30 days")
    assert widget.result["rows"] and "sparkline" not in widget.result
    assert "no such join" in widget.result["sparkline_error"]


def _stale(widget: Widget) -> None:
    Widget.objects.filter(id=widget.id).update(result_at=timezone.now() - timedelta(hours=2))


def test_a_refresh_runs_the_companions_again(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "claim count over the last 30 days")
    good = widget.result["sparkline"]
    Widget.objects.filter(id=widget.id).update(result={**widget.result, "sparkline": {"rows": [["x", -1]]}})
    _stale(widget)
    assert widget_refresh(widget_id=widget.id) == "live"
    assert Widget.objects.get(id=widget.id).result["sparkline"] == good


def test_a_companion_query_that_fails_at_refresh_does_not_fail_the_widget(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "claim count by region over the last 30 days as a table")
    broken = {"totals": {**widget.companions["totals"], "sql": "SELECT COUNT(*) AS n FROM secrets"}}
    Widget.objects.filter(id=widget.id).update(companions=broken)
    _stale(widget)
    assert widget_refresh(widget_id=widget.id) == "live"
    result = Widget.objects.get(id=widget.id).result
    assert result["rows"] and "totals" not in result
    assert "secrets" in result["totals_error"]


def test_a_widget_stored_before_companions_gets_them_at_its_next_refresh(demo_source, analyst, dashboard):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x", status=RequestStatus.READY)
    widget = Widget.objects.create(
        dashboard=dashboard, request=request, kind="kpi", title="Claims", sql="SELECT COUNT(*) AS n FROM claims",
        spec={"kind": "kpi", "title": "Claims", "metric": {"key": "claim_count", "name": "Claims", "unit": "count"},
              "time_window": {"kind": "all"}},
        result={"columns": ["n"], "rows": [[0]], "truncated": False}, result_at=timezone.now() - timedelta(hours=2))
    assert widget_refresh(widget_id=widget.id) == "live"
    result = Widget.objects.get(id=widget.id).result
    assert result["rows"][0][0] > 0
    assert result["sparkline"]["grain"] == "month" and result["sparkline"]["rows"]
    assert set(Widget.objects.get(id=widget.id).companions) == {"sparkline"}


def test_a_stored_widget_of_a_metric_no_longer_defined_is_out_of_date(demo_source, analyst, dashboard):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x", status=RequestStatus.READY)
    kept = {"columns": ["n"], "rows": [[7]], "truncated": False}
    widget = Widget.objects.create(
        dashboard=dashboard, request=request, kind="kpi", title="Claims", sql="SELECT COUNT(*) AS n FROM claims",
        spec={"kind": "kpi", "metric": {"key": "gone"}}, result=kept, result_at=timezone.now() - timedelta(hours=2))
    assert widget_refresh(widget_id=widget.id) == "out_of_date"
    stored = Widget.objects.get(id=widget.id)
    assert stored.result == kept and stored.companions == {}
    assert "The metric 'gone' is no longer defined" in stored.source_reason
    assert "Showing the last good data" in stored.source_reason


@pytest.mark.parametrize(("window", "grain"), [
    ({"kind": "rolling", "n": 30, "unit": "day"}, "day"),
    ({"kind": "rolling", "n": 45, "unit": "day"}, "day"),
    ({"kind": "rolling", "n": 90, "unit": "day"}, "week"),
    ({"kind": "rolling", "n": 26, "unit": "week"}, "week"),
    ({"kind": "rolling", "n": 12, "unit": "month"}, "month"),
    ({"kind": "current", "unit": "month"}, "day"),
    ({"kind": "previous", "unit": "quarter"}, "week"),
    ({"kind": "to_date", "unit": "year"}, "month"),
    ({"kind": "period", "unit": "year", "year": 2025}, "month"),
    ({"kind": "between", "start": "2026-01-01", "end": "2026-01-31"}, "day"),
    ({"kind": "since", "start": "2025-01-01"}, "month"),
    ({"kind": "all"}, "month"),
])
def test_a_sparklines_grain_fits_its_window(window: dict[str, Any], grain: str) -> None:
    assert sparkline_grain({"time_window": window}, today=dt.date(2026, 6, 15)) == grain


def test_a_sparkline_is_never_finer_than_its_metrics_data(demo_source) -> None:
    paid = MetricDefinition.objects.get(key="total_paid")
    paid.finest_grain = "week"
    spec = {"kind": "kpi", "title": "Paid", "metric": {"key": "total_paid", "name": "Total paid", "unit": "currency"},
            "time_window": {"kind": "rolling", "n": 30, "unit": "day"}}
    derived = companion_specs(spec=spec, metrics={"total_paid": paid}, today=dt.date(2026, 6, 15))
    assert derived["sparkline"]["grain"] == "week"


def test_a_chart_has_no_companions_and_a_table_without_groups_no_totals(demo_source) -> None:
    metrics = {"claim_count": MetricDefinition.objects.get(key="claim_count")}
    base = {"title": "t", "metric": {"key": "claim_count", "name": "Claims", "unit": "count"},
            "time_window": {"kind": "all"}}
    assert companion_specs(spec={**base, "kind": "chart", "grain": "month"}, metrics=metrics, today=dt.date.today()) == {}
    assert companion_specs(spec={**base, "kind": "table"}, metrics=metrics, today=dt.date.today()) == {}


def test_in_live_mode_the_companions_cost_no_model_call(demo_source, analyst, dashboard, live_bedrock):
    widget = _make(analyst, dashboard, "claim count over the last 30 days")
    assert widget.result["sparkline"]["rows"]
    purposes = sorted(LLMCall.objects.filter(widget_request_id=widget.request_id).values_list("purpose", flat=True))
    assert purposes == ["intent_extraction", "spec_synthesis", "sql_generation"]


@pytest.mark.parametrize(("prompt", "grain"), [("total paid amount over the last 12 months", "month"),
                                               ("total paid amount over the last 90 days", "week")])
def test_a_kpis_sparkline_covers_the_kpis_own_window_with_a_cut_first_bucket_marked_partial(
        demo_source, warehouse, analyst, dashboard, prompt, grain):
    widget = _make(analyst, dashboard, prompt)
    spark = widget.result["sparkline"]
    assert spark["grain"] == grain
    assert spark["window"] == widget.result["window"]  # the same days as the figure, not grown to whole buckets
    start, _ = _dates(spark["window"])
    first = dt.date.fromisoformat(spark["rows"][0][0])
    assert first <= start and spark["partial_first"] is (first < start)
    # An additive metric's buckets add up to the KPI: they count the same days.
    assert sum(row[1] for row in spark["rows"]) == pytest.approx(widget.result["rows"][0][0])
