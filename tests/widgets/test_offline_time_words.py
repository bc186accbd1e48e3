"""Time words the offline reader must never bend: a period that does not exist is asked about (never the
default window), a span said by its two ends covers both whole, "since" takes any year but no other
number, and time words the window does not use are reported as not applied. On the demo dictionary,
with today pinned to 2026-11-18 (a Wednesday, in ISO week 47 of a year of 53 weeks)."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backend.llm.types import OfflineQuery
from sql_gen.selectors import catalog as build_catalog
from widgets.models import RequestStatus
from widgets.services import refine_offline, runner
from widgets.services.clarifier_offline import Reader
from widgets.services.offline_words import clean
from widgets.services.requests import widget_request_answer, widget_request_create
from widgets.services.spec import spec_validate
from widgets.services.windows import DEFAULT_WINDOW_SAID, TimeWindow, resolve

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 18)


def read(demo: dict[str, Any], text: str, today: date = TODAY) -> dict[str, Any]:
    return Reader(demo["catalog"], today, hints=demo["values"]).read(text)


@pytest.mark.parametrize(("text", "reason"), [
    ("claims on 29 feb 2025", "2025 has no 29 February"),
    ("claims 29 feb 2025 by region", "2025 has no 29 February"),  # without "on": not February 2025
    ("claims on 2025-02-29", "2025 has no 29 February"),
    ("total paid 31 april", "April has 30 days"),
    ("claims since 31 june", "June has 30 days"),
    ("claims the week of 31 sept", "September has 30 days"),
    ("claims 32 jan 2026", "January has 31 days"),
    ("claims between 1 feb and 30 feb 2025", "there is no 30 February"),
    ("claims for 2026-13-01", "a year has months 1 to 12"),
    ("claims in week 53", "2025 had no ISO week 53, and week 53 of 2026 begins on 28 Dec 2026"),
    ("claims wk 53 2025", "2025 has no ISO week 53"),
    ("claims in week 60", "there is no week 60"),
    ("claims in Q5", "there is no Q5"),
    ("claims q0 2025 by product", "there is no Q0"),
    ("claims from q1 to q7", "there is no Q7"),
    ("claims in month 13", "there is no month 13"),
    ("claims in h3", "there is no H3"),
    ("claims since 50", "“since 50” names no date"),
    ("claims last 0 days", "“last 0 days” is no period"),
    ("claims from 2026 to 2025", "ends before it starts"),
    ("claims between nov 10 and nov 5", "ends before it starts"),  # not 10 Nov last year to 5 Nov this year
])
def test_a_period_that_does_not_exist_is_asked_about_never_defaulted(demo, text, reason) -> None:
    intent = read(demo, text)
    assert intent["time_window"] is None and intent["missing"] == []
    asked = [q for q in intent["questions"] if q["id"] == "period"]
    assert asked and reason in asked[0]["text"] and asked[0]["options"]
    assert not any(DEFAULT_WINDOW_SAID in a for a in intent["assumptions"])


@pytest.mark.parametrize(("text", "answer", "window"), [
    ("claims on 29 feb 2025", "On 28 feb 2025", {"kind": "period", "unit": "day", "day": "2025-02-28"}),
    ("claims since 31 april", "Since 30 apr", {"kind": "since", "start": "2026-04-30"}),
    ("claims in q5", "In q4", {"kind": "period", "unit": "quarter", "year": 2026, "quarter": 4}),
    ("claims in week 53", "Week 53 2020", {"kind": "between", "start": "2020-12-28", "end": "2021-01-03"}),
    ("claims since 50", "Last 12 months", {"kind": "rolling", "n": 12, "unit": "month"}),
])
def test_an_option_of_the_question_settles_it(demo, text, answer, window) -> None:
    question = read(demo, text)["questions"][0]
    assert answer in question["options"]
    intent = read(demo, f"{text}; {answer}")
    assert (intent["time_window"], intent["questions"]) == (window, [])


def test_week_53_is_read_in_a_year_that_has_one(demo) -> None:
    assert read(demo, "claims week 53 2020")["time_window"] == {"kind": "between", "start": "2020-12-28",
                                                                 "end": "2021-01-03"}
    # In January 2027 the latest week 53 that has begun is 2026's.
    assert read(demo, "claims in week 53", today=date(2027, 1, 10))["time_window"] == {
        "kind": "between", "start": "2026-12-28", "end": "2027-01-03"}


def test_a_year_less_29_february_is_the_latest_that_passed(demo) -> None:
    assert read(demo, "claims on 29 feb")["time_window"] == {"kind": "period", "unit": "day", "day": "2024-02-29"}


@pytest.mark.parametrize(("text", "start", "end"), [
    ("claims between 2025 and 2026", "2025-01-01", "2026-12-31"),
    ("claims 2024-2025", "2024-01-01", "2025-12-31"),
    ("claims from 2023 through 2025", "2023-01-01", "2025-12-31"),
    ("claims in 2025 and 2026", "2025-01-01", "2026-12-31"),  # next to each other: one span
    ("claims from March to May 2026", "2026-03-01", "2026-05-31"),
    ("claims jan–mar", "2026-01-01", "2026-03-31"),
    ("claims between jan and mar 2025", "2025-01-01", "2025-03-31"),
    ("claims from december to february", "2025-12-01", "2026-02-28"),  # the latest such span that has begun
    ("claims between march 2025 and may 2026", "2025-03-01", "2026-05-31"),
    ("claims between Q1 and Q3", "2026-01-01", "2026-09-30"),
    ("claims q2-q4 2025", "2025-04-01", "2025-12-31"),
    ("claims between q4 2025 and q1 2026", "2025-10-01", "2026-03-31"),
    ("claims 1-15 march", "2026-03-01", "2026-03-15"),
    ("claims from 10 jan 2025 to march 2026", "2025-01-10", "2026-03-31"),
    ("claims 2025-03-01 – 2025-04-30", "2025-03-01", "2025-04-30"),
])
def test_a_span_said_by_its_two_ends_covers_both_whole(demo, text, start, end) -> None:
    assert read(demo, text)["time_window"] == {"kind": "between", "start": start, "end": end}


def test_a_span_into_the_future_is_cut_at_today_each_run_so_a_refresh_sees_more() -> None:
    window = TimeWindow(kind="between", start=date(2025, 1, 1), end=date(2026, 12, 31))
    assert resolve(window, today=TODAY).window.end == date(2026, 11, 19)
    assert resolve(window, today=date(2027, 3, 1)).window.end == date(2027, 1, 1)  # end exclusive, 2026 whole


@pytest.mark.parametrize(("text", "window"), [
    ("claims since 1900", {"kind": "since", "start": "1900-01-01"}),  # before the data: all of it since
    ("claims since 1850", {"kind": "since", "start": "1850-01-01"}),
    ("claims in 1850", {"kind": "period", "unit": "year", "year": 1850}),
    ("claims after 2024", {"kind": "since", "start": "2025-01-01"}),  # after a year: from the next one
    ("claims after march", {"kind": "since", "start": "2026-04-01"}),
    ("claims since 3 months ago", {"kind": "rolling", "n": 3, "unit": "month"}),
    ("claims from 1 march until today", {"kind": "since", "start": "2026-03-01"}),
    ("claims 15 march 2026", {"kind": "period", "unit": "day", "day": "2026-03-15"}),  # a day, not March
    ("claims in the last quarter of 2025", {"kind": "period", "unit": "quarter", "year": 2025, "quarter": 4}),
    ("claims for the last month of 2025", {"kind": "period", "unit": "month", "year": 2025, "month": 12}),
    ("claims in the first week of 2026", {"kind": "between", "start": "2025-12-29", "end": "2026-01-04"}),
])
def test_since_after_and_named_days_read_as_said(demo, text, window) -> None:
    assert read(demo, text)["time_window"] == window


def test_a_since_in_the_future_is_refused_as_not_begun(analyst, dashboard, settings, demo_source) -> None:
    settings.BUILDER_TODAY = TODAY.isoformat()
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt="claims since 2099")
    assert runner.run(request_id=request.id) == RequestStatus.FAILED
    request.refresh_from_db()
    assert request.error_code == "invalid_window" and "begins after today" in request.error_message


@pytest.mark.parametrize(("text", "filters", "window"), [
    ("claims between 2000 and 5000", [{"dimension": "claims.claimed_amount", "op": ">=", "values": [2000]},
                                      {"dimension": "claims.claimed_amount", "op": "<=", "values": [5000]}], None),
    ("claims of 2000 or more in 2025", [{"dimension": "claims.claimed_amount", "op": ">=", "values": [2000]}],
     {"kind": "period", "unit": "year", "year": 2025}),
])
def test_an_amount_that_looks_like_a_year_stays_an_amount(demo, text, filters, window) -> None:
    intent = read(demo, text)
    assert (intent["filters"], intent["time_window"]) == (filters, window)


@pytest.mark.parametrize(("prompt", "reported"), [
    ("claims last month in 2023", "in 2023"),  # a year is no function word once the window is read
    ("claims before 2025", "before 2025"),
    ("claims until 15 march", "until 15 march"),
    ("claims q1 and q3", "q3"),  # two quarters apart: not the span between them
    ("claims in march and june 2025", "june 2025"),
    ("claims last week and this week", "last week"),
    ("claims as of 1 march", "of 1 march"),
])
def test_time_words_the_window_does_not_use_are_not_applied(analyst, dashboard, settings, demo_source, prompt,
                                                            reported) -> None:
    settings.BUILDER_TODAY = TODAY.isoformat()
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt=prompt)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    assert reported in request.widget.spec["not_applied"]


def test_a_question_about_a_date_is_answered_through_the_pipeline(analyst, dashboard, settings, demo_source) -> None:
    settings.BUILDER_TODAY = TODAY.isoformat()
    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False, prompt="claims on 29 feb 2025")
    assert runner.run(request_id=request.id) == RequestStatus.NEEDS_CLARIFICATION
    request.refresh_from_db()
    question = request.questions[0]
    assert "2025 has no 29 February" in question["text"]
    widget_request_answer(user=analyst, request=request, answers={question["id"]: "On 28 feb 2025"}, enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    assert request.widget.spec["time_window"] == {"kind": "period", "unit": "day", "day": "2025-02-28"}
    assert "on 29 feb 2025" in request.widget.spec["not_applied"]  # the words asked about are not the widget's


@pytest.mark.parametrize(("typed", "cleaned"), [
    ("jan–mar", " jan to mar "),
    ("2024-2025", " 2024 to 2025 "),
    ("Q1-Q3", " q1 to q3 "),
    ("q1-2025", " q1 2025 "),  # a period and its year
    ("2025-q4", " 2025 q4 "),
    ("1-15 march", " 1 to 15 march "),
    ("regions a-z", " regions a z "),  # no period on either side
    ("2025-03-01", " 2025-03-01 "),
])
def test_a_dash_between_two_ends_of_a_span_is_to(typed, cleaned) -> None:
    assert clean(typed) == cleaned


def test_a_follow_up_naming_a_date_that_does_not_exist_asks_and_keeps_the_window(demo_source) -> None:
    catalog = build_catalog(source=demo_source)
    spec = spec_validate(payload={"kind": "kpi", "title": "Claims", "metric": {"key": "claim_count", "name": "Claim count",
                                                                              "unit": "count"},
                                  "time_window": {"kind": "rolling", "n": 90, "unit": "day"}},
                         catalog=catalog).model_dump(mode="json")
    change = refine_offline.answer(OfflineQuery(context=catalog, corrections=[], prompt={
        "spec": spec, "request": "make it 31 april", "answers": [], "conversation": [], "today": TODAY.isoformat()}))
    assert "time_window" not in change
    assert [q["id"] for q in change["questions"]] == ["period"] and "April has 30 days" in change["questions"][0]["text"]


@pytest.mark.parametrize(("text", "window"), [
    ("claims on 03/15/2026", {"kind": "period", "unit": "day", "day": "2026-03-15"}),  # 15 is no month: month first
    ("claims on 15.03.2026", {"kind": "period", "unit": "day", "day": "2026-03-15"}),
    ("claims since 2026/03/15", {"kind": "since", "start": "2026-03-15"}),
    ("claims 2025 week 44", {"kind": "between", "start": "2025-10-27", "end": "2025-11-02"}),
    ("claims in quarter 3 2025", {"kind": "period", "unit": "quarter", "year": 2025, "quarter": 3}),
    ("claims since 2024 until 2025", {"kind": "between", "start": "2024-01-01", "end": "2025-12-31"}),
])
def test_dates_in_numbers_and_periods_by_number_are_read(demo, text, window) -> None:
    assert read(demo, text)["time_window"] == window


@pytest.mark.parametrize(("text", "reason"), [
    ("claims since 1/3/2026", "“1/3/2026” can be 1 mar 2026 or 3 jan 2026"),  # either could be meant: asked
    ("claims on 31/02/2026", "“31/02/2026” is no date"),
    ("claims in quarter 5", "there is no Q5"),
    ("claims in the fifth quarter", "there is no Q5"),
    ("claims in the 13th month", "there is no month 13"),
    ("claims 2025 week 53", "2025 has no ISO week 53"),
])
def test_a_date_in_numbers_or_a_period_by_number_that_names_none_is_asked_about(demo, text, reason) -> None:
    questions = read(demo, text)["questions"]
    assert questions and questions[0]["id"] == "period" and reason in questions[0]["text"]


def test_today_against_yesterday_is_a_comparison_with_the_day_before(demo) -> None:
    intent = read(demo, "claims today vs yesterday")
    assert (intent["time_window"], intent["compare"]) == ({"kind": "current", "unit": "day"},
                                                          {"kind": "previous_period"})
