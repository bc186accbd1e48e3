"""Where the spec departs from the intent it was written from: a dropped part is reported as not applied,
an added one as an assumption, whatever the model at the spec step says of its own answer."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.llm.fakes import server as fake
from tests.widgets import live
from widgets.models import RequestStatus, StepName, WidgetRequest
from widgets.services import runner
from widgets.services.departures import departures
from widgets.services.requests import widget_request_create

CATALOG = {
    "metrics": [{"key": "claim_count", "name": "Claim count"}, {"key": "total_paid", "name": "Total paid"}],
    "dimensions": [{"key": "product", "label": "product"}, {"key": "region", "label": "region"}],
    "numbers": [{"key": "paid_amount", "label": "paid amount"}],
}
INTENT = {
    "widget_type": "chart", "metric_key": "claim_count", "extra_metric_keys": [], "dimensions": ["region"],
    "filters": [{"dimension": "product", "op": "in", "values": ["Auto"]},
                {"dimension": "paid_amount", "op": ">", "values": [10000]}],
    "time_window": {"kind": "previous", "unit": "month"}, "compare": {"kind": "previous_year"}, "grain": None,
    "chart_type": "pie", "ranking": {"direction": "top", "n": 5},
}


def _spec(**changes: Any) -> dict[str, Any]:
    spec = {
        "kind": "chart", "metric": {"key": "claim_count", "name": "Claim count"}, "extra_metrics": [],
        "dimensions": ["region"], "filters": [{"dimension": "product", "op": "in", "values": ["Auto"]},
                                              {"dimension": "paid_amount", "op": ">", "values": [10000.0]}],
        "time_window": {"kind": "previous", "unit": "month"}, "compare": {"kind": "previous_year"}, "grain": None,
        "chart_type": "pie", "ranking": {"direction": "top", "n": 5}, "labels": {},
    }
    return spec | changes


def test_a_spec_that_keeps_the_intent_departs_from_nothing():
    assert departures(intent=INTENT, spec=_spec(), catalog=CATALOG) == ([], [])


@pytest.mark.parametrize(("changes", "reported"), [
    ({"filters": [{"dimension": "paid_amount", "op": ">", "values": [10000]}]}, "Auto"),
    ({"filters": [{"dimension": "product", "op": "in", "values": ["Auto"]}]}, "paid amount > 10,000"),
    ({"time_window": {"kind": "rolling", "n": 30, "unit": "day"}}, "last month (shown: the last 30 days)"),
    ({"compare": None}, "compared with the same period last year"),
    ({"metric": {"key": "total_paid", "name": "Total paid"}}, "Claim count"),
    ({"dimensions": []}, "by region"),
    ({"ranking": {"direction": "bottom", "n": 5}}, "top 5"),
    ({"chart_type": "bar"}, "a pie chart"),
])
def test_what_the_spec_dropped_or_changed_is_reported_as_not_applied(changes, reported):
    dropped, _ = departures(intent=INTENT, spec=_spec(**changes), catalog=CATALOG)
    assert dropped == [reported]


def test_what_the_spec_added_is_listed_as_an_assumption():
    spec = _spec(dimensions=["region", "product"],
                 filters=[*_spec()["filters"], {"dimension": "region", "op": "not_in", "values": ["West"]}],
                 extra_metrics=[{"key": "total_paid", "name": "Total paid"}])
    dropped, added = departures(intent=INTENT, spec=spec, catalog=CATALOG)
    assert dropped == []
    assert added == ["Also shows Total paid, which the request did not name.",
                     "Broken down by product, which the request did not ask for.",
                     "Filtered to region not West, which the request did not ask for."]


def test_a_breakdown_dropped_because_its_dimension_is_filtered_to_one_value_is_no_departure():
    intent = INTENT | {"dimensions": ["product"]}
    assert departures(intent=intent, spec=_spec(dimensions=[]), catalog=CATALOG) == ([], [])
    two = [{"dimension": "product", "op": "in", "values": ["Auto", "Home"]}]
    dropped, _ = departures(intent=intent | {"filters": two}, spec=_spec(dimensions=[], filters=two), catalog=CATALOG)
    assert dropped == ["by product"]


@pytest.mark.django_db
def test_a_live_spec_that_drops_a_filter_and_bends_the_window_says_so_on_the_widget(
        demo_source, analyst, dashboard, live_bedrock):
    """The real boto3 client against the fake: the spec model drops the intent's filter and reads 'last month'
    as the last 30 days, and reports nothing of it; the widget's not_applied does."""
    def careless(received: Any) -> dict[str, Any]:
        answer = live.answer(received)
        if live.tool_of(received) == "record_widget_spec":
            answer = copy.deepcopy(answer) | {"filters": [], "time_window": {"kind": "rolling", "n": 30, "unit": "day"},
                                              "assumptions": []}
        return answer

    live_bedrock.default = fake.computed(careless)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="motor claim count last month",
                                    enqueue=False)
    runner.run(request_id=request.id)
    done = WidgetRequest.objects.get(id=request.id)
    assert done.status == RequestStatus.READY, done.error_message
    intent = done.steps.get(name=StepName.CLARIFY).output["intent"]
    assert [f["values"] for f in intent["filters"]] == [["Auto"]]  # the clarifier read the filter
    assert done.widget.spec["filters"] == []
    assert done.widget.spec["not_applied"][:2] == ["Auto", "last month (shown: the last 30 days)"]


@pytest.mark.django_db
def test_an_offline_widget_departs_from_nothing(demo_source, analyst, dashboard):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="motor claim count last month by region",
                                    enqueue=False)
    runner.run(request_id=request.id)
    done = WidgetRequest.objects.get(id=request.id)
    assert done.status == RequestStatus.READY, done.error_message
    assert done.widget.spec["not_applied"] == []
    assert not any("did not ask for" in a or "did not name" in a for a in done.widget.spec["assumptions"])


@pytest.mark.django_db
def test_a_live_spec_titled_for_something_else_gets_the_title_of_what_it_shows(
        demo_source, analyst, dashboard, live_bedrock):
    def lying(received: Any) -> dict[str, Any]:
        answer = live.answer(received)
        if live.tool_of(received) == "record_widget_spec":
            answer = copy.deepcopy(answer) | {"title": "Total paid · Auto · last year"}
        return answer

    live_bedrock.default = fake.computed(lying)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="claim count last month", enqueue=False)
    runner.run(request_id=request.id)
    done = WidgetRequest.objects.get(id=request.id)
    assert done.status == RequestStatus.READY, done.error_message
    assert done.widget.title == "Claim count · last month"
