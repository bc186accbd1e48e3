"""The widget language's validation, and what the API says about how a widget read its request."""
from __future__ import annotations

from typing import Any

import pytest

from backend.errors import ApplicationError
from sql_gen.selectors import catalog
from widgets.models import RequestStatus
from widgets.services import runner
from widgets.services.requests import widget_request_create
from widgets.services.spec import spec_validate

pytestmark = pytest.mark.django_db

PAID = {"key": "total_paid", "name": "x", "unit": "count"}
COUNT = {"key": "claim_count", "name": "x", "unit": "count"}
PREMIUM = {"key": "earned_premium", "name": "x", "unit": "currency"}


def _spec(**fields: Any) -> dict[str, Any]:
    return {"kind": "chart", "title": "t", "metric": PAID, "dimensions": ["regions.name"], "filters": [],
            "time_window": {"kind": "previous", "unit": "quarter"}, "chart_type": "bar", **fields}


@pytest.fixture
def demo_catalog(demo_source: Any) -> dict[str, Any]:
    return catalog(source=demo_source)


@pytest.mark.parametrize(("fields", "problem"), [
    ({"kind": "kpi", "chart_type": None}, "no dimensions"),
    ({"chart_type": None}, "needs a chart_type"),
    ({"chart_type": "pie", "dimensions": ["regions.name", "channels.name"]}, "one dimension"),
    ({"chart_type": "scatter"}, "two metrics"),
    ({"chart_type": "stacked_bar"}, "two groupings"),
    ({"ranking": {"direction": "top", "n": 0}}, "ranking"),
    ({"dimensions": [], "grain": None, "ranking": {"direction": "top", "n": 3}}, "dimension or a time grain"),
    ({"time_window": {"kind": "all"}, "compare": {"kind": "previous_period"}}, "all time"),
    ({"extra_metrics": [PAID]}, "named twice"),
    ({"filters": [{"dimension": "claims.claimed_amount", "op": ">", "values": ["lots"]}]}, "one number"),
    # A value the data does not hold would filter every row out and show a 0 as a figure.
    ({"filters": [{"dimension": "regions.name", "op": "in", "values": ["Europe"]}], "metric": PREMIUM},
     "'Europe' is not a stored value of regions.name"),
    ({"time_window": {"kind": "rolling", "n": 3}}, "missing unit"),
    ({"time_window": {"kind": "between", "start": "2026-03-01", "end": "2026-02-01"}}, "starts after it ends"),
    ({"grain": "week", "dimensions": [], "metric": PREMIUM, "chart_type": "line"}, "kept per month"),
    ({"kind": "kpi", "dimensions": [], "chart_type": None, "metric": PREMIUM,
      "time_window": {"kind": "previous", "unit": "day"}}, "kept per month"),
    ({"filters": [{"dimension": "regions.name", "op": ">", "values": [3]}]}, "not a numeric column"),
    ({"sort": {"by": "claim_count", "direction": "asc"}}, "not one of the widget's metrics"),
    ({"sort": {"by": "channels.name", "direction": "asc"}}, "not one of the widget's metrics"),
    ({"sort": {"by": "total_paid", "direction": "up"}}, "sort.direction"),
    ({"sort": {"by": "total_paid", "direction": "asc"}, "grain": "month", "chart_type": "line"}, "time order"),
    ({"sort": {"by": "total_paid", "direction": "asc"}, "ranking": {"direction": "top", "n": 3}}, "ranking already"),
    ({"sort": {"by": "total_paid", "direction": "asc"}, "kind": "kpi", "dimensions": [], "chart_type": None},
     "no dimension"),
])
def test_a_self_contradictory_or_impossible_spec_is_refused_naming_why(demo_catalog, fields, problem):
    with pytest.raises(ApplicationError) as caught:
        spec_validate(payload=_spec(**fields), catalog=demo_catalog)
    assert problem in caught.value.message


def test_every_new_field_is_kept_through_validation(demo_catalog):
    spec = spec_validate(payload=_spec(
        extra_metrics=[COUNT], chart_type="horizontal_bar", ranking={"direction": "bottom", "n": 5},
        compare={"kind": "previous_year"}, time_window={"kind": "period", "unit": "quarter", "year": 2026, "quarter": 3},
        filters=[{"dimension": "claims.claimed_amount", "op": ">=", "values": [10000]},
                 {"dimension": "products.line", "op": "not_in", "values": ["Life"]}]), catalog=demo_catalog)
    dumped = spec.model_dump(mode="json")
    assert dumped["extra_metrics"][0]["key"] == "claim_count" and dumped["metric"]["name"] == "Total paid"
    assert dumped["ranking"] == {"direction": "bottom", "n": 5} and dumped["compare"] == {"kind": "previous_year"}
    assert dumped["time_window"] == {"kind": "period", "unit": "quarter", "year": 2026, "quarter": 3}
    assert dumped["filters"][0] == {"dimension": "claims.claimed_amount", "op": ">=", "values": [10000]}
    assert dumped["labels"]["products.line"] == "product line"


def test_a_stored_spec_of_the_old_shape_still_reads(demo_catalog):
    old = _spec(time_window={"kind": "last", "n": 30, "unit": "day"}, limit=50)
    assert spec_validate(payload=old, catalog=demo_catalog).time_window.kind == "rolling"


@pytest.mark.parametrize(("fields", "sort"), [
    ({"kind": "table", "chart_type": None, "extra_metrics": [COUNT],
      "sort": {"by": "claim_count", "direction": "desc"}}, {"by": "claim_count", "direction": "desc"}),
    ({"sort": {"by": "regions.name", "direction": "asc"}}, {"by": "regions.name", "direction": "asc"}),
    ({"sort": {"by": "total_paid", "direction": "asc"}}, {"by": "total_paid", "direction": "asc"}),
    ({"sort": {"by": "total_paid", "direction": "desc"}}, None),  # the default order: no sort
    ({"sort": {"by": "total_paid", "direction": "asc"}, "ranking": {"direction": "bottom", "n": 3}}, None),
    ({"sort": "value_asc"}, {"by": "total_paid", "direction": "asc"}),  # stored before sorts named their column
    ({"sort": "label"}, {"by": "regions.name", "direction": "asc"}),
    ({"sort": "value_desc"}, None),
    ({"sort": "value_asc", "grain": "month", "chart_type": "line"}, None),  # the old SQL ignored it on a series
    ({"sort": "period", "kind": "kpi", "dimensions": [], "chart_type": None}, None),
])
def test_a_sort_names_what_it_orders_by_and_the_default_order_is_none(demo_catalog, fields, sort):
    spec = spec_validate(payload=_spec(**fields), catalog=demo_catalog)
    assert spec.model_dump(mode="json")["sort"] == sort


def test_the_api_returns_how_the_widget_read_the_request(demo_source, analyst, dashboard, client_for, settings):
    settings.BUILDER_TODAY = "2026-11-18"
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False,
                                    prompt="top 3 regions by total paid on motor claims in q3 vs q2")
    assert runner.run(request_id=request.id) == RequestStatus.READY
    body = client_for(analyst).get(f"/api/requests/{request.id}/").json()
    read = body["widget"]["interpretation"]
    assert read["window"] == {"start": "2026-07-01", "end": "2026-10-01"}
    assert read["compare"] == {"start": "2026-04-01", "end": "2026-07-01"}
    assert read["filters"] == [{"dimension": "products.line", "op": "in", "values": ["Auto"]}]
    assert read["ranking"] == {"direction": "top", "n": 3} and read["dimensions"] == ["regions.name"]
    assert read["text"].startswith(
        "Total paid (by closed date) · Auto · 1 Jul – 30 Sep 2026 vs 1 Apr – 30 Jun 2026 · top 3 regions")
    assert any("motor" in a for a in read["assumptions"])  # a value synonym: not exact, so listed
    assert read["not_applied"] == []


@pytest.mark.parametrize(("prompt", "title"), [
    ("top 5 adjusters by total paid this year", "Top 5 adjusters by Total paid · this year"),
    ("which channel had the most claims last month", "Top channel by Claim count · last month"),
    ("total paid for term life in the northeast yesterday", "Total paid · Term Life · Northeast · yesterday"),
])
def test_the_offline_title_reads_like_the_interpretation(demo_source, analyst, dashboard, settings, prompt, title):
    settings.BUILDER_TODAY = "2026-11-18"
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    assert request.widget.title == title


def test_a_word_nothing_applied_is_kept_as_not_applied(demo_source, analyst, dashboard, client_for):
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False,
                                    prompt="total paid last month for claims older than 90 days")
    assert runner.run(request_id=request.id) == RequestStatus.READY
    read = client_for(analyst).get(f"/api/requests/{request.id}/").json()["widget"]["interpretation"]
    assert "older than 90 days" in read["not_applied"]


@pytest.mark.parametrize(("prompt", "reading", "start"), [
    ("total paid by quarter", "the last 30 days, in whole quarters", "2026-10-01"),  # 30 days back is in October
    ("claim count by week last 30 days", "the last 30 days, in whole weeks", "2026-10-19"),  # the Monday of 20 Oct
    ("claim count by month last quarter", "last quarter", "2026-07-01"),  # whole months already
])
def test_the_reading_says_when_the_grain_moved_the_windows_start(demo_source, analyst, dashboard, client_for,
                                                                 settings, prompt, reading, start):
    settings.BUILDER_TODAY = "2026-11-18"
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    read = client_for(analyst).get(f"/api/requests/{request.id}/").json()["widget"]["interpretation"]
    assert (read["reading"], read["window"]["start"]) == (reading, start)


def test_a_filter_on_a_name_several_people_share_says_it_counts_them_all(demo_source, analyst, dashboard, client_for):
    from sql_gen.models import DimensionValue

    shared = DimensionValue.objects.filter(column__name="full_name", row_count=2).first()
    alone = DimensionValue.objects.filter(column__name="full_name", row_count=1).first()
    assert shared is not None and alone is not None
    notes = {}
    for value in (shared.value, alone.value):
        request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False,
                                        prompt=f"total paid for {value.lower()} last quarter")
        assert runner.run(request_id=request.id) == RequestStatus.READY
        read = client_for(analyst).get(f"/api/requests/{request.id}/").json()["widget"]["interpretation"]
        assert read["filters"] == [{"dimension": "adjusters.full_name", "op": "in", "values": [value]}]
        notes[value] = [a for a in read["assumptions"] if "are named" in a]
    assert notes == {shared.value: [f"2 adjusters are named {shared.value}: the figures count all of them."],
                     alone.value: []}


def test_a_filter_value_in_another_case_is_the_stored_one(demo_catalog):
    """A live model that writes 'west' or 'NORTHEAST' means the stored West and Northeast, not nothing."""
    spec = spec_validate(payload=_spec(filters=[{"dimension": "regions.name", "op": "not_in",
                                                "values": ["west", "NORTHEAST"]}]), catalog=demo_catalog)
    assert spec.filters[0].values == ["West", "Northeast"]


@pytest.mark.parametrize("prompt", ["claims in 2027", "total paid since 1 jan 2031"])
def test_a_period_that_has_not_begun_fails_with_that_reason_before_any_sql(demo_source, analyst, dashboard, settings,
                                                                          prompt):
    from backend.llm.models import LLMCall

    settings.BUILDER_TODAY = "2026-11-18"
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    assert runner.run(request_id=request.id) == RequestStatus.FAILED
    request.refresh_from_db()
    assert request.error_code == "invalid_window"
    assert request.error_message.startswith("This period cannot be shown: ")
    assert "2026-11-18" in request.error_message and "ask for one that has begun" in request.error_message
    assert not LLMCall.objects.filter(widget_request_id=request.id, purpose="sql_generation").exists()


@pytest.mark.parametrize(("prompt", "said"), [
    ("claims last 9999 years", "The request asks for a window of 9999 years, more than the 3650 years a widget can show"),
    ("top 150 causes by claims", "The request asks for a ranking of 150 rows, more than the 100 rows a widget can show"),
])
def test_a_request_past_a_limit_of_the_language_says_so_in_its_terms_after_one_call(demo_source, analyst, dashboard,
                                                                                  prompt, said):
    from backend.llm.models import LLMCall

    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    assert runner.run(request_id=request.id) == RequestStatus.FAILED
    request.refresh_from_db()
    assert request.error_message.startswith(said)
    assert LLMCall.objects.filter(widget_request_id=request.id).count() == 1


@pytest.mark.parametrize(("prompt", "outcome"), [
    ("adjusters last month", "all time"),
    ("adjusters this quarter vs last quarter", "cannot be shown against an earlier period"),
    ("adjusters per month this year", "cannot be shown per month"),
])
def test_a_metric_without_a_date_is_read_over_all_its_rows_or_refused(demo_source, analyst, dashboard, client_for,
                                                                      settings, prompt, outcome):
    """An admin's headcount of adjusters has no date: no window binds it, so none is shown as if it did."""
    from sql_gen.models import MetricDefinition

    settings.BUILDER_TODAY = "2026-11-18"
    MetricDefinition.objects.create(source=demo_source, key="adjuster_count", name="Adjusters", base_table="adjusters",
                                    expression="COUNT(*)", time_column="", synonyms="adjusters")
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    status = runner.run(request_id=request.id)
    request.refresh_from_db()
    if outcome != "all time":
        assert (status, request.error_code) == (RequestStatus.FAILED, "invalid_spec")
        assert outcome in request.error_message
        return
    assert status == RequestStatus.READY, request.error_message
    read = client_for(analyst).get(f"/api/requests/{request.id}/").json()["widget"]["interpretation"]
    assert read["window"] == {"start": None, "end": None}
    assert "Adjusters has no date: every row is counted, whatever the period." in read["assumptions"]
    assert "last month (shown: all time)" in read["not_applied"]


@pytest.mark.parametrize(("metric", "chart", "dimensions", "shown"), [
    ({"key": "loss_ratio", "name": "Loss ratio", "unit": "percent"}, "pie", ["regions.name"], "bar"),
    ({"key": "avg_settlement_days", "name": "Average settlement days", "unit": "days"}, "donut", ["regions.name"],
     "bar"),
    ({"key": "avg_settlement_days", "name": "Average settlement days", "unit": "days"}, "stacked_bar",
     ["regions.name", "channels.name"], "bar"),
])
def test_what_does_not_add_up_is_drawn_side_by_side_not_as_parts_of_a_whole(demo_catalog, metric, chart, dimensions,
                                                                            shown):
    spec = spec_validate(payload=_spec(kind="chart", chart_type=chart, dimensions=dimensions, metric=metric),
                         catalog=demo_catalog)
    assert spec.chart_type == shown
    assert any(a.startswith(f"Shown as {shown}s, not a {chart.replace('_', ' ')} chart") for a in spec.assumptions)


def test_a_pie_of_a_count_stays_a_pie(demo_catalog):
    spec = spec_validate(payload=_spec(kind="chart", chart_type="pie", dimensions=["regions.name"]),
                         catalog=demo_catalog)
    assert spec.chart_type == "pie" and not spec.assumptions


def test_a_ranking_of_two_groupings_says_it_ranks_their_pairs(demo_catalog):
    spec = spec_validate(payload=_spec(dimensions=["regions.name", "products.line"], ranking={"direction": "top", "n": 2}),
                         catalog=demo_catalog)
    assert any(a.startswith("Ranked over region and product line together: the top 2 pairs") for a in spec.assumptions)
    again = spec_validate(payload=spec.model_dump(mode="json"), catalog=demo_catalog)
    assert sum(a.startswith("Ranked over") for a in again.assumptions) == 1
