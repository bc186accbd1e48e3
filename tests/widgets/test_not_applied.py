"""What a widget did not apply: every content word of a request is used by the spec, is a function or filler
word, or is reported as the phrase around it ("excluding weekends"). A qualifier nothing applied is never
dropped silently, and an ordinary request reports nothing."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sql_gen.selectors import catalog
from widgets.models import RequestStatus
from widgets.services import runner
from widgets.services.applied import not_applied
from widgets.services.requests import widget_request_create

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 18)


@pytest.fixture(autouse=True)
def _demo(demo_source: Any) -> Any:
    return demo_source


def _read(analyst: Any, dashboard: Any, settings: Any, prompt: str) -> dict[str, Any]:
    settings.BUILDER_TODAY = TODAY.isoformat()
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    return request.widget.spec


@pytest.mark.parametrize(("prompt", "reported"), [
    ("total paid by region last month excluding weekends", "excluding weekends"),
    ("total paid by region last month net of recoveries", "net of recoveries"),
    ("claim count by region last month, only litigated ones", "only litigated"),  # "litigated claims" is refused
    ("claim count by status over the last 90 days excluding weekends", "excluding weekends"),
    ("total paid last month except fraud cases", "except fraud cases"),
    ("total paid last month without subrogation", "without subrogation"),
    ("total paid this year minus reserves", "minus reserves"),
    ("claim count this month just reopened ones", "just reopened"),
    ("claim count by region which were escalated last month", "which were escalated"),
    ("total paid last month excluding catastrophe events", "excluding catastrophe events"),
    ("claim count last week only weekdays", "only weekdays"),
    ("claims count last month on weekends", "weekends"),
    ("claim count last month where the claimant is a minor", "is a minor"),
    ("total paid by region last month for claims older than 90 days", "older than 90 days"),
])
def test_a_qualifier_nothing_applied_is_reported_as_its_phrase(analyst, dashboard, settings, prompt, reported):
    assert reported in _read(analyst, dashboard, settings, prompt)["not_applied"]


@pytest.mark.parametrize(("prompt", "reported"), [
    ("claim count by status over the last 90 days excluding weekends <script>alert(1)</script>", "<script>"),
    ("claim count by status over the last 90 days <b>excluding weekends</b>", "<b>"),
])
def test_markup_in_a_request_is_reported_not_dropped(analyst, dashboard, settings, prompt, reported):
    found = _read(analyst, dashboard, settings, prompt)["not_applied"]
    assert reported in found and "excluding weekends" in found
    assert not any(tag.startswith("</") for tag in found)  # a closing tag is its opening tag's


@pytest.mark.parametrize(("prompt", "reported"), [
    ("Авто claim count last month", ["Авто"]),
    ("claim count last month for 自動車, please", ["自動車"]),
    ("total paid by region last month, Авто и дом", ["Авто", "и", "дом"]),
])
def test_words_in_letters_the_reader_drops_are_reported_not_dropped(analyst, dashboard, settings, prompt, reported):
    spec = _read(analyst, dashboard, settings, prompt)
    assert spec["not_applied"] == reported and spec["filters"] == []


@pytest.mark.parametrize("prompt", [
    # ordinary requests of tune.jsonl that are read in full, and filler around them
    "distinct claimants by cause of loss in september",
    "backlog of unresolved claims per adjuster team",
    "opne claims per lin of business",
    "total paid over the last 6 months",
    "open claims filed last week",
    "how much was claimed in november",
    "paid in the midwest last month by line",
    "open claims for the property team by adjuster",
    "declined claims per adjuster team last month",
    "home claims where we paid more than $20k, last 12 months",
    "fastest 3 adjuster teams at settling claims last quarter",
    "open claims last 7 days vs prior 7 days",
    "donut chart: claims by status last month",
    "distinct claimants plus total claimed by segment, ytd",
    "list of the 15 adjusters with the most open claims",
    "show me total paid last month pls",
    "can you give me a chart of claim count by region last month",
    "i need total paid by product this year",
    "claim count by region last month, only motor claims",
    "claim count by product last month, just the southeast",
    "total paid by region last month excluding homeowners",
    "top three product lines by claimed amount this year",
    "claim count by stauts this month",
    "open claims worth more than 30k",
    "claims where status is not closed",
    "state wise claims last month",
    "total paid to date",
    "claims since march to date",
    "claim count mom",
    "total paid fy2025",
    "open claims by cust segment last month",  # a dimension's name with a word shortened
    "total claimed per sales chan last quarter",
])
def test_an_ordinary_request_reports_nothing(analyst, dashboard, settings, prompt):
    assert _read(analyst, dashboard, settings, prompt)["not_applied"] == []


def test_an_unknown_value_after_in_is_refused_naming_it(analyst, dashboard, settings):
    settings.BUILDER_TODAY = TODAY.isoformat()
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False,
                                    prompt="avg settlement days last quarter for litigated claims")
    assert runner.run(request_id=request.id) == RequestStatus.FAILED
    request.refresh_from_db()
    assert "litigated" in request.error_message


def test_a_filter_the_spec_lacks_is_reported_whatever_the_model_said(demo_source):
    spec = {"metric": {"key": "total_paid"}, "dimensions": ["regions.name"], "filters": [], "not_applied": []}
    found = not_applied(words="total paid by region for motor claims last month excluding weekends", spec=spec,
                        catalog=catalog(source=demo_source), today=TODAY)
    assert "motor" in found and "excluding weekends" in found


def test_a_filter_read_from_one_word_of_a_synonym_is_reported(demo_source):
    """"biz" is one word of "small biz": it names no value, so a Small Business filter is not what it asked."""
    spec = {"metric": {"key": "total_paid"}, "dimensions": ["products.line"], "not_applied": [],
            "filters": [{"dimension": "customers.segment", "op": "in", "values": ["Small Business"]}]}
    source = catalog(source=demo_source)
    assert "biz" in not_applied(words="payouts by line of biz in sept", spec=spec, catalog=source, today=TODAY)
    assert not_applied(words="payouts by line for small biz in sept", spec=spec, catalog=source, today=TODAY) == []


@pytest.mark.parametrize(("prompt", "reported"), [
    ("a heatmap of claim count by region and cause and channel", "channel"),  # a third dimension
    ("a custom leaderboard of claim count by region with settlement days", "days"),  # one metric
    ("a custom leaderboard of total paid by region and cause last quarter", None),  # both dimensions used
    ("a custom gauge of claim count last 30 days by channel", None),
])
def test_a_custom_widgets_visual_does_not_explain_the_data_words_it_echoes(analyst, dashboard, settings, prompt,
                                                                           reported):
    """The visual repeats the request ("Asked for: …"); what it counts is still explained only by the spec."""
    spec = _read(analyst, dashboard, settings, prompt)
    assert spec["kind"] == "custom" and prompt in spec["visual"]
    if reported is None:
        assert spec["not_applied"] == []
    else:
        assert any(reported in item for item in spec["not_applied"]), spec["not_applied"]


def test_a_custom_widgets_look_words_are_explained_by_its_visual(analyst, dashboard, settings):
    spec = _read(analyst, dashboard, settings, "a colourful heatmap of claim count by region by month this year")
    assert spec["kind"] == "custom" and spec["grain"] == "month" and spec["not_applied"] == []
    assert spec["visual"].startswith("A heatmap of region by month")


@pytest.mark.parametrize("words", ["claim count by region, lowest first", "claims by cause z to a",
                                   "avg settlement days by team, fastest first", "claim count by region sorted desc"])
def test_order_words_of_a_breakdown_are_used(demo_source, words):
    spec = {"metric": {"key": "claim_count"}, "extra_metrics": [{"key": "avg_settlement_days"}],
            "dimensions": ["regions.name", "claims.cause", "adjusters.team"], "filters": [], "sort": None}
    assert not_applied(words=words, spec=spec, catalog=catalog(source=demo_source), today=TODAY) == []


def test_words_that_say_now_are_used(demo_source):
    spec = {"metric": {"key": "open_claims"}, "dimensions": [], "filters": [], "sort": None}
    for words in ("open claims right now", "open claims at the moment", "open claims as of today"):
        assert not_applied(words=words, spec=spec, catalog=catalog(source=demo_source), today=TODAY) == []


def test_order_words_of_a_single_number_are_reported(demo_source):
    spec = {"metric": {"key": "claim_count"}, "dimensions": [], "filters": [], "sort": None}
    assert not_applied(words="claim count, alphabetical", spec=spec, catalog=catalog(source=demo_source), today=TODAY)
