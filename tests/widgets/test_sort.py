"""A widget's sort, end to end: read into the intent, kept by the spec, ordered by the SQL, kept in the
result, said in the reading, compared between versions and changed by a follow-up."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from sql_gen.selectors import catalog
from tests.llm.fakes import server as fake
from tests.widgets import live
from widgets.models import RequestStatus, StepName, WidgetRequest
from widgets.services import runner
from widgets.services.departures import departures
from widgets.services.evaluate import Case, grade
from widgets.services.interpret import interpretation
from widgets.services.requests import widget_request_create
from widgets.services.spec_changes import change_words, same_rows
from widgets.services.spec_patch import SpecChange, spec_apply

PAID = {"key": "total_paid", "name": "Total paid", "unit": "currency"}
COUNT = {"key": "claim_count", "name": "Claim count", "unit": "count"}
LOWEST_PAID = {"by": "total_paid", "direction": "asc"}


def _table(**fields: Any) -> dict[str, Any]:
    return {"kind": "table", "title": "t", "metric": COUNT, "extra_metrics": [PAID], "dimensions": ["products.name"],
            "filters": [], "time_window": {"kind": "all"}, "labels": {"products.name": "product"}, **fields}


def _live_with_sort(live_bedrock: Any, sort: dict[str, Any], **intent: Any) -> None:
    """Answer the clarifier as the offline reader does, plus ``sort`` (as a model that read the order would)."""
    def reads_the_order(received: Any) -> dict[str, Any]:
        answer = live.answer(received)
        if live.tool_of(received) == "record_intent":
            answer = copy.deepcopy(answer) | {"sort": sort, **intent}
        return answer

    live_bedrock.default = fake.computed(reads_the_order)


def _built(analyst: Any, dashboard: Any, prompt: str) -> WidgetRequest:
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)
    runner.run(request_id=request.id)
    done = WidgetRequest.objects.get(id=request.id)
    assert done.status == RequestStatus.READY, done.error_message
    return done


@pytest.mark.django_db
def test_a_table_sorted_by_its_second_metric_comes_in_that_order_through_the_api(
        demo_source, analyst, dashboard, live_bedrock, client_for):
    """'table: product, claim count, paid - sort by paid, lowest first': the rows by paid, not by claim count."""
    _live_with_sort(live_bedrock, LOWEST_PAID)
    done = _built(analyst, dashboard, "claim count and total paid by product as a table")
    assert done.steps.get(name=StepName.CLARIFY).output["intent"]["sort"] == LOWEST_PAID
    assert done.widget.spec["sort"] == LOWEST_PAID
    body = client_for(analyst).get(f"/api/requests/{done.id}/").json()["widget"]
    columns, rows = body["result"]["columns"], body["result"]["rows"]
    paid = [row[columns.index("total_paid")] for row in rows]
    counts = [row[columns.index("claim_count")] for row in rows]
    assert len(rows) > 2 and paid == sorted(paid) and counts != sorted(counts, reverse=True)
    read = body["interpretation"]
    assert read["sort"] == LOWEST_PAID
    assert read["text"].endswith("· by product · sorted by Total paid, lowest first")
    assert done.widget.spec["not_applied"] == []


@pytest.mark.django_db
def test_a_table_sorted_by_a_metric_it_did_not_name_shows_that_metric(demo_source, analyst, dashboard, live_bedrock):
    _live_with_sort(live_bedrock, {"by": "total_paid", "direction": "desc"}, widget_type="table")
    spec = _built(analyst, dashboard, "claim count by product").widget.spec
    assert [m["key"] for m in [spec["metric"], *spec["extra_metrics"]]] == ["claim_count", "total_paid"]
    assert spec["sort"] == {"by": "total_paid", "direction": "desc"}
    assert not any("did not name" in a for a in spec["assumptions"])  # it was named, as the order


@pytest.mark.django_db
def test_a_chart_drawn_slowest_first_keeps_the_order_and_the_reading_says_it(demo_source, analyst, dashboard,
                                                                            live_bedrock):
    _live_with_sort(live_bedrock, {"by": "claims.cause", "direction": "asc"})
    widget = _built(analyst, dashboard, "claim count by cause as a bar chart").widget
    causes = [row[0] for row in widget.result["rows"]]
    assert len(causes) > 2 and causes == sorted(causes)
    assert "sorted by cause, A to Z" in interpretation(spec=widget.spec, result=widget.result)["text"]


@pytest.mark.django_db
def test_a_sort_a_time_series_cannot_take_is_reported_as_not_applied(demo_source, analyst, dashboard, live_bedrock):
    _live_with_sort(live_bedrock, {"by": "claim_count", "direction": "asc"})
    widget = _built(analyst, dashboard, "claim count per month last year").widget
    assert widget.spec["sort"] is None
    assert "sorted by Claim count, lowest first" in widget.spec["not_applied"]
    periods = [row[0] for row in widget.result["rows"]]
    assert periods == sorted(periods)  # in time order


@pytest.mark.parametrize(("asked", "dropped"), [
    (LOWEST_PAID, []),
    ({"by": "claim_count", "direction": "desc"}, []),  # the default order, kept by leaving it out
    ({"by": "products.name", "direction": "desc"}, ["sorted by product, Z to A"]),
])
def test_a_sort_the_spec_does_not_keep_is_a_departure(asked, dropped):
    cat = {"metrics": [COUNT, PAID], "dimensions": [{"key": "products.name", "label": "product"}]}
    intent = {"metric_key": "claim_count", "extra_metric_keys": ["total_paid"], "dimensions": ["products.name"],
              "sort": asked}
    assert departures(intent=intent, spec=_table(sort=LOWEST_PAID if asked == LOWEST_PAID else None),
                      catalog=cat)[0] == dropped


def test_the_reading_names_a_sort_only_when_it_is_not_the_default():
    assert interpretation(spec=_table(), result=None)["sort"] is None
    assert "sorted" not in interpretation(spec=_table(sort="value_desc"), result=None)["text"]  # stored before
    read = interpretation(spec=_table(sort={"by": "products.name", "direction": "desc"}), result=None)
    assert read["text"].endswith("· sorted by product, Z to A")
    assert interpretation(spec=_table(sort="value_asc"), result=None)["sort"] == {"by": "claim_count",
                                                                                 "direction": "asc"}


def test_a_new_sort_is_a_change_of_rows_said_in_words():
    assert change_words(_table(), _table(sort=LOWEST_PAID)) == "Sort: default → Total paid, lowest first"
    assert not same_rows(_table(), _table(sort=LOWEST_PAID))
    assert same_rows(_table(sort="value_desc"), _table(sort=None))  # a word stored before, saying the default


@pytest.mark.django_db
def test_a_follow_up_sets_a_sort_and_a_removed_column_takes_it_away(demo_source):
    cat = catalog(source=demo_source)
    spec = spec_apply(spec=_table(), change=SpecChange(sort=LOWEST_PAID), catalog=cat)
    assert spec["sort"] == LOWEST_PAID
    assert spec_apply(spec=spec, change=SpecChange(clear_sort=True), catalog=cat)["sort"] is None
    assert spec_apply(spec=spec, change=SpecChange(remove_metric_keys=["total_paid"]), catalog=cat)["sort"] is None
    assert spec_apply(spec=spec, change=SpecChange(grain="month"), catalog=cat)["sort"] is None
    assert spec_apply(spec=spec, change=SpecChange(chart_type="bar"), catalog=cat)["sort"] == LOWEST_PAID


def test_eval_grades_a_labelled_sort_against_the_reading():
    expect = {"outcome": "widget", "metrics": ["claim_count"], "dimensions": ["products.name"], "filters": [],
              "window": {"start": None, "end": None}, "compare": None, "ranking": None}
    got = {"outcome": "widget", **interpretation(spec=_table(extra_metrics=[], sort=None), result=None),
           "window": {"start": None, "end": None}}
    assert grade(Case(id="s1", category="table", prompt="p", expect=expect), got).right  # not labelled: not graded
    labelled = Case(id="s2", category="table", prompt="p", expect={**expect, "sort": {"by": "products.name",
                                                                                        "direction": "asc"}})
    assert grade(labelled, got).wrong == {"sort": ({"by": "products.name", "direction": "asc"}, None)}
    assert grade(Case(id="s3", category="table", prompt="p", expect={**expect, "sort": None}), got).right
