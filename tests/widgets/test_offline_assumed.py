"""The offline reader's stated defaults and refusals, one family of phrasing at a time, on the demo dictionary:
a comparison said without a window, ISO week numbers, fiscal years on a source with no fiscal year start, a
bare "to date", a dimension named by its synonym with its table's noun or a value after it ("claim state",
"state of open"), a name the data lacks whose first word is also a measure's ("new mexico"), and a value two
dimensions share said of the claims ("auto claims"). Whatever is assumed is listed in the assumptions."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from widgets.services.clarifier_offline import Reader

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 18)  # a Wednesday, in ISO week 47


def read(demo: dict[str, Any], text: str) -> dict[str, Any]:
    return Reader(demo["catalog"], TODAY, hints=demo["values"]).read(text)


def _assumed(intent: dict[str, Any], *words: str) -> bool:
    return any(all(w in a for w in words) for a in intent["assumptions"])


@pytest.mark.parametrize(("text", "kind"), [
    ("claim count mom", "previous_period"),
    ("total paid wow", "previous_period"),
    ("open claims w/w by region", "previous_period"),
    ("claims qoq", "previous_period"),
    ("open claims yoy", "previous_year"),
    ("claims vs last year", "previous_year"),
    ("total paid, period over period", "previous_period"),
    ("claims y-o-y", "previous_year"),
    ("claims mom%", "previous_period"),
    ("total paid vs ly by region", "previous_year"),  # analysts' shorthand: last year, prior year, last month
    ("claims vs py", "previous_year"),
    ("claims vs lm", "previous_period"),
])
def test_a_comparison_without_a_window_compares_the_default_window_and_says_so(demo, text, kind) -> None:
    intent = read(demo, text)
    assert (intent["time_window"], intent["compare"]) == ({"kind": "rolling", "n": 30, "unit": "day"}, {"kind": kind})
    assert _assumed(intent, "No period was given", "last 30 days", "compared with")


def test_a_comparison_naming_its_span_compares_that_span(demo) -> None:
    intent = read(demo, "claims vs the previous 7 days")
    assert (intent["time_window"], intent["compare"]) == ({"kind": "rolling", "n": 7, "unit": "day"},
                                                          {"kind": "previous_period"})


@pytest.mark.parametrize(("text", "start", "end"), [
    ("claims in week 44", "2026-10-26", "2026-11-01"),  # ISO week 44 of this year, Monday to Sunday
    ("total paid wk44 by region", "2026-10-26", "2026-11-01"),
    ("claims week 44 2025", "2025-10-27", "2025-11-02"),
    ("claims for 2025-w44", "2025-10-27", "2025-11-02"),
    ("claims in the 44th week", "2026-10-26", "2026-11-01"),
    ("claims week 44 of last year", "2025-10-27", "2025-11-02"),
    ("claims in week 50", "2025-12-08", "2025-12-14"),  # week 50 of 2026 has not begun: the latest that has
    ("claims in week 47", "2026-11-16", "2026-11-22"),  # the running week, to its Sunday (each run cuts it at today)
])
def test_a_week_by_its_number_is_the_iso_week(demo, text, start, end) -> None:
    intent = read(demo, text)
    assert intent["time_window"] == {"kind": "between", "start": start, "end": end}
    assert _assumed(intent, "ISO week")


@pytest.mark.parametrize(("text", "start", "end"), [
    ("claims the week of 28 oct", "2026-10-26", "2026-11-01"),  # the week that day is in
    ("total paid w/c 2 november", "2026-11-02", "2026-11-08"),
    ("claims week ending 1 nov", "2026-10-26", "2026-11-01"),  # the seven days to that day
    ("claims w/e 15 nov", "2026-11-09", "2026-11-15"),
    ("claims in week #44", "2026-10-26", "2026-11-01"),
])
def test_a_week_by_a_day_of_it(demo, text, start, end) -> None:
    assert read(demo, text)["time_window"] == {"kind": "between", "start": start, "end": end}


def test_a_week_compared_with_the_week_before_by_number(demo) -> None:
    intent = read(demo, "week 44 vs week 43 claims")
    assert intent["compare"] == {"kind": "previous_period"}
    assert intent["time_window"] == {"kind": "between", "start": "2026-10-26", "end": "2026-11-01"}


@pytest.mark.parametrize(("text", "window"), [
    ("total paid fy2025", {"kind": "period", "unit": "year", "year": 2025}),
    ("claims fy 25", {"kind": "period", "unit": "year", "year": 2025}),
    ("claims for fiscal year 2024", {"kind": "period", "unit": "year", "year": 2024}),
    ("claims in fiscal 2024", {"kind": "period", "unit": "year", "year": 2024}),
    ("claims fiscal '24", {"kind": "period", "unit": "year", "year": 2024}),
    ("q3 fy2025 claims", {"kind": "period", "unit": "quarter", "year": 2025, "quarter": 3}),
    ("claims this fiscal year", {"kind": "current", "unit": "year"}),
    ("paid last fy", {"kind": "previous", "unit": "year"}),
    ("claims fytd", {"kind": "to_date", "unit": "year"}),
])
def test_a_fiscal_year_is_the_calendar_year_when_the_source_sets_no_start_and_says_so(demo, text, window) -> None:
    intent = read(demo, text)
    assert intent["time_window"] == window
    assert _assumed(intent, "no fiscal year start", "calendar")


def test_two_fiscal_years_compared(demo) -> None:
    intent = read(demo, "fy2025 vs fy2024 total paid")
    assert (intent["time_window"], intent["compare"]) == ({"kind": "period", "unit": "year", "year": 2025},
                                                          {"kind": "previous_period"})


@pytest.mark.parametrize("text", ["total paid to date", "claims to-date by region", "paid losses till date"])
def test_a_bare_to_date_is_all_time_and_says_so(demo, text) -> None:
    intent = read(demo, text)
    assert intent["time_window"] == {"kind": "all"}
    assert _assumed(intent, "date”", "all time")


@pytest.mark.parametrize(("text", "window"), [
    ("claims since march to date", {"kind": "since", "start": "2026-03-01"}),
    ("claims qtr to date", {"kind": "to_date", "unit": "quarter"}),
    ("total paid for the year to date", {"kind": "to_date", "unit": "year"}),
    ("claims this month to date", {"kind": "to_date", "unit": "month"}),
    ("claims since inception", {"kind": "all"}),
])
def test_to_date_after_a_window_that_runs_to_today_adds_nothing(demo, text, window) -> None:
    intent = read(demo, text)
    assert intent["time_window"] == window
    assert not _assumed(intent, "date”", "all time")


@pytest.mark.parametrize("text", [
    "claims by claim state",  # the table's noun before the dimension's synonym
    "total claimed by claim state and cause",
    "claims by current state",
    "state wise claims",
    "the current state of claims",
    "causes of claims this year",
])
def test_a_dimension_is_read_with_the_words_around_its_name(demo, text) -> None:
    intent = read(demo, text)
    assert intent["dimensions"][:1] in (["claims.status"], ["claims.cause"])
    assert (intent["questions"], intent["missing"]) == ([], [])


@pytest.mark.parametrize(("text", "op", "value"), [
    ("claims with a state of open", "in", "open"),  # a status, not the open-claims measure
    ("claims where status is not closed", "not_in", "closed"),
    ("claims where state = denied", "in", "denied"),
])
def test_a_dimension_named_before_its_value_is_a_filter_on_it(demo, text, op, value) -> None:
    intent = read(demo, text)
    assert intent["metric_key"] == "claim_count"
    assert intent["filters"] == [{"dimension": "claims.status", "op": op, "values": [value]}]


@pytest.mark.parametrize(("text", "metric"), [
    ("payouts in new mexico", "total_paid"),  # "new" is a word of "new claims", but here of a name
    ("total paid in new mexico last month", "total_paid"),
    ("new mexico payouts", "total_paid"),
    ("claims in the state of new mexico", "claim_count"),
])
def test_a_name_the_data_lacks_is_refused_even_when_its_first_word_names_a_measure(demo, text, metric) -> None:
    intent = read(demo, text)
    assert intent["questions"] == []
    assert [m["term"] for m in intent["missing"]] == ["new mexico"]


def test_new_claims_are_still_the_claim_count(demo) -> None:
    intent = read(demo, "new claims last week")
    assert (intent["metric_key"], intent["missing"], intent["questions"]) == ("claim_count", [], [])


@pytest.mark.parametrize("text", [
    "auto claims last month",
    "closed life claims per channel",
    "auto payouts by region",
    "commercial claims this year",
])
def test_a_shared_value_said_of_the_claims_is_the_product_line_and_says_how_to_get_the_team(demo, text) -> None:
    intent = read(demo, text)
    assert [f["dimension"] for f in intent["filters"] if f["dimension"] != "claims.status"] == ["products.line"]
    assert intent["questions"] == []
    assert _assumed(intent, "product line", "adjuster team", "team”")


@pytest.mark.parametrize(("text", "dimension"), [
    ("auto team claims", "adjusters.team"),
    ("claims for the auto line", "products.line"),
])
def test_words_naming_the_dimension_still_place_a_shared_value(demo, text, dimension) -> None:
    assert [f["dimension"] for f in read(demo, text)["filters"]] == [dimension]
