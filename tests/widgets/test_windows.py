"""Window resolution against a pinned *today*: the rules of ``widgets.services.windows``, with exact dates."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widgets.services.windows import (
    Bounds,
    Comparison,
    TimeWindow,
    Unit,
    bucket_start,
    buckets,
    describe,
    describe_dates,
    latest_period,
    resolve,
    today_in,
)

T = date(2026, 11, 18)  # a Wednesday
PREVIOUS_PERIOD = Comparison(kind="previous_period")
PREVIOUS_YEAR = Comparison(kind="previous_year")
UNITS: list[Unit] = ["day", "week", "month", "quarter", "year"]


def d(text: str) -> date:
    return date.fromisoformat(text)


def w(kind: str, **fields: Any) -> TimeWindow:
    return TimeWindow(kind=kind, **fields)


def window_of(window: TimeWindow, today: date = T, grain: Unit | None = None) -> tuple[str, str]:
    bounds = resolve(window, today=today, grain=grain).window
    return str(bounds.start), str(bounds.end)


def compare_of(window: TimeWindow, today: date = T, grain: Unit | None = None,
               compare: Comparison = PREVIOUS_PERIOD) -> tuple[str, str]:
    bounds = resolve(window, today=today, grain=grain, compare=compare).compare
    assert bounds is not None
    return str(bounds.start), str(bounds.end)


@pytest.mark.parametrize(("window", "expected"), [
    (w("rolling", n=30, unit="day"), ("2026-10-20", "2026-11-19")),
    (w("rolling", n=1, unit="day"), ("2026-11-18", "2026-11-19")),
    (w("rolling", n=6, unit="week"), ("2026-10-08", "2026-11-19")),
    (w("rolling", n=3, unit="month"), ("2026-08-19", "2026-11-19")),
    (w("rolling", n=12, unit="month"), ("2025-11-19", "2026-11-19")),
    (w("rolling", n=2, unit="quarter"), ("2026-05-19", "2026-11-19")),
    (w("rolling", n=1, unit="year"), ("2025-11-19", "2026-11-19")),
    (w("current", unit="day"), ("2026-11-18", "2026-11-19")),
    (w("current", unit="week"), ("2026-11-16", "2026-11-19")),
    (w("current", unit="month"), ("2026-11-01", "2026-11-19")),
    (w("current", unit="quarter"), ("2026-10-01", "2026-11-19")),
    (w("to_date", unit="week"), ("2026-11-16", "2026-11-19")),
    (w("to_date", unit="month"), ("2026-11-01", "2026-11-19")),
    (w("to_date", unit="year"), ("2026-01-01", "2026-11-19")),
    (w("previous", unit="day"), ("2026-11-17", "2026-11-18")),
    (w("previous", unit="week"), ("2026-11-09", "2026-11-16")),
    (w("previous", unit="month"), ("2026-10-01", "2026-11-01")),
    (w("previous", unit="quarter"), ("2026-07-01", "2026-10-01")),
    (w("previous", unit="year"), ("2025-01-01", "2026-01-01")),
    (w("period", unit="quarter", year=2026, quarter=3), ("2026-07-01", "2026-10-01")),
    (w("period", unit="quarter", year=2026, quarter=4), ("2026-10-01", "2026-11-19")),
    (w("period", unit="month", year=2026, month=3), ("2026-03-01", "2026-04-01")),
    (w("period", unit="year", year=2025), ("2025-01-01", "2026-01-01")),
    (w("period", unit="year", year=2026), ("2026-01-01", "2026-11-19")),
    (w("period", unit="day", day=d("2026-02-28")), ("2026-02-28", "2026-03-01")),
    (w("period", unit="day", day=T), ("2026-11-18", "2026-11-19")),
    (w("since", start=d("2026-03-01")), ("2026-03-01", "2026-11-19")),
    (w("since", start=T), ("2026-11-18", "2026-11-19")),
    (w("between", start=d("2026-03-01"), end=d("2026-04-15")), ("2026-03-01", "2026-04-16")),
    (w("between", start=d("2026-11-01"), end=d("2027-01-31")), ("2026-11-01", "2026-11-19")),
])
def test_it_resolves_each_kind_of_window_against_today(window: TimeWindow, expected: tuple[str, str]) -> None:
    assert window_of(window) == expected


def test_all_time_is_open_at_both_ends() -> None:
    resolved = resolve(w("all"), today=T)
    assert resolved.window == Bounds(None, None)
    assert resolved.params() == {"window_start": None, "window_end": None}
    assert not resolved.partial_last and not resolved.aligned


@pytest.mark.parametrize(("window", "today", "expected"), [
    (w("rolling", n=1, unit="month"), d("2026-03-31"), ("2026-03-01", "2026-04-01")),  # 31 Mar - 1 month = 28 Feb
    (w("rolling", n=1, unit="month"), d("2026-05-31"), ("2026-05-01", "2026-06-01")),
    (w("rolling", n=1, unit="year"), d("2028-02-29"), ("2027-03-01", "2028-03-01")),  # 29 Feb 2027 is 28 Feb
    (w("rolling", n=1, unit="month"), d("2028-03-30"), ("2028-03-01", "2028-03-31")),  # 29 Feb 2028 exists
    (w("to_date", unit="week"), d("2026-01-01"), ("2025-12-29", "2026-01-02")),  # a Thursday: ISO week began in 2025
    (w("previous", unit="week"), d("2026-01-04"), ("2025-12-22", "2025-12-29")),
    (w("previous", unit="week"), d("2026-01-05"), ("2025-12-29", "2026-01-05")),
    (w("previous", unit="month"), d("2026-01-15"), ("2025-12-01", "2026-01-01")),
    (w("previous", unit="day"), d("2028-03-01"), ("2028-02-29", "2028-03-01")),
    (w("period", unit="month", year=2028, month=2), d("2028-06-01"), ("2028-02-01", "2028-03-01")),
    (w("period", unit="year", year=2026), d("2026-12-31"), ("2026-01-01", "2027-01-01")),
])
def test_it_handles_month_ends_leap_years_and_iso_weeks(window: TimeWindow, today: date,
                                                        expected: tuple[str, str]) -> None:
    assert window_of(window, today) == expected


@pytest.mark.parametrize(("window", "message"), [
    (w("period", unit="quarter", year=2027, quarter=4), "Q4 2027 has not begun"),
    (w("period", unit="month", year=2026, month=12), "December 2026 has not begun"),
    (w("period", unit="day", day=d("2026-11-19")), "19 Nov 2026 has not begun"),
    (w("since", start=d("2026-11-19")), "begins after today"),
    (w("between", start=d("2026-12-01"), end=d("2026-12-31")), "begins after today"),
])
def test_it_refuses_a_window_that_begins_after_today(window: TimeWindow, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve(window, today=T)


@pytest.mark.parametrize("fields", [
    {"kind": "rolling", "unit": "day"},
    {"kind": "rolling", "n": 3},
    {"kind": "rolling", "n": 0, "unit": "day"},
    {"kind": "rolling", "n": 3651, "unit": "day"},
    {"kind": "rolling", "n": 3, "unit": "fortnight"},
    {"kind": "current"},
    {"kind": "previous", "unit": "month", "year": 2026},
    {"kind": "all", "unit": "day"},
    {"kind": "period", "unit": "quarter", "year": 2026},
    {"kind": "period", "unit": "quarter", "year": 2026, "quarter": 5},
    {"kind": "period", "unit": "month", "year": 2026, "month": 13},
    {"kind": "period", "unit": "week", "year": 2026},
    {"kind": "period", "year": 2026},
    {"kind": "period", "unit": "day", "year": 2026, "day": "2026-03-01"},
    {"kind": "since"},
    {"kind": "since", "start": "2026-03-01", "end": "2026-04-01"},
    {"kind": "between", "start": "2026-03-01"},
    {"kind": "between", "start": "2026-04-02", "end": "2026-04-01"},
    {"kind": "lately"},
    {"kind": "all", "colour": "red"},
])
def test_it_refuses_a_window_whose_fields_do_not_fit_its_kind(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TimeWindow(**fields)


def test_its_refusal_names_what_is_missing_and_what_is_unused() -> None:
    with pytest.raises(ValueError, match="takes n, unit: missing n; unused start"):
        TimeWindow(kind="rolling", unit="day", start=T)


@pytest.mark.parametrize(("window", "grain", "expected", "aligned"), [
    (w("rolling", n=12, unit="month"), "month", ("2025-12-01", "2026-11-19"), True),
    (w("rolling", n=8, unit="week"), "week", ("2026-09-28", "2026-11-19"), True),
    (w("rolling", n=14, unit="day"), "day", ("2026-11-05", "2026-11-19"), False),
    (w("rolling", n=4, unit="quarter"), "quarter", ("2026-01-01", "2026-11-19"), True),
    (w("rolling", n=30, unit="day"), "week", ("2026-10-19", "2026-11-19"), True),
    (w("rolling", n=90, unit="day"), "month", ("2026-08-01", "2026-11-19"), True),
    (w("rolling", n=7, unit="day"), "month", ("2026-11-01", "2026-11-19"), True),
    (w("rolling", n=3, unit="month"), "week", ("2026-08-17", "2026-11-19"), True),
    (w("previous", unit="quarter"), "month", ("2026-07-01", "2026-10-01"), False),
    (w("previous", unit="month"), "week", ("2026-09-28", "2026-11-01"), True),
    (w("to_date", unit="year"), "week", ("2025-12-29", "2026-11-19"), True),
    (w("current", unit="month"), "day", ("2026-11-01", "2026-11-19"), False),
    (w("since", start=d("2026-03-15")), "month", ("2026-03-01", "2026-11-19"), True),
    (w("between", start=d("2026-03-04"), end=d("2026-03-10")), "week", ("2026-03-02", "2026-03-11"), True),
])
def test_a_grain_makes_the_window_whole_buckets(window: TimeWindow, grain: Unit, expected: tuple[str, str],
                                                aligned: bool) -> None:
    resolved = resolve(window, today=T, grain=grain)
    assert (str(resolved.window.start), str(resolved.window.end)) == expected
    assert resolved.aligned is aligned


def test_all_time_with_a_grain_stays_open() -> None:
    resolved = resolve(w("all"), today=T, grain="month")
    assert resolved.window == Bounds(None, None)
    assert not resolved.aligned and not resolved.partial_last


@pytest.mark.parametrize(("window", "grain", "partial"), [
    (w("rolling", n=12, unit="month"), "month", True),
    (w("rolling", n=30, unit="day"), "week", True),
    (w("rolling", n=14, unit="day"), "day", True),  # today is the last day bucket, and it is not over
    (w("previous", unit="week"), "day", False),
    (w("between", start=d("2026-03-01"), end=d("2026-03-10")), "day", False),
    (w("previous", unit="quarter"), "month", False),
    (w("previous", unit="month"), "week", True),  # 1 Nov is a Sunday: the last week runs into November
    (w("previous", unit="week"), "week", False),
    (w("to_date", unit="quarter"), "month", True),
    (w("period", unit="year", year=2025), "quarter", False),
    # Without a grain nothing is drawn by period: a running window's total is not a partial bucket.
    (w("current", unit="day"), None, False),
    (w("current", unit="month"), None, False),
    (w("to_date", unit="year"), None, False),
    (w("period", unit="quarter", year=2026, quarter=4), None, False),
    (w("period", unit="day", day=T), None, False),
    (w("period", unit="quarter", year=2026, quarter=3), None, False),
    (w("previous", unit="month"), None, False),
    (w("rolling", n=30, unit="day"), None, False),
    (w("since", start=d("2026-03-01")), None, False),
    (w("between", start=d("2026-11-01"), end=d("2026-12-31")), None, False),
])
def test_it_says_whether_the_last_bucket_is_partial(window: TimeWindow, grain: Unit | None, partial: bool) -> None:
    assert resolve(window, today=T, grain=grain).partial_last is partial


@pytest.mark.parametrize(("window", "today", "grain", "expected"), [
    (w("previous", unit="month"), T, None, ("2026-09-01", "2026-10-01")),
    (w("previous", unit="quarter"), T, None, ("2026-04-01", "2026-07-01")),
    (w("previous", unit="year"), T, None, ("2024-01-01", "2025-01-01")),
    (w("previous", unit="day"), T, None, ("2026-11-16", "2026-11-17")),
    (w("previous", unit="quarter"), T, "month", ("2026-04-01", "2026-07-01")),
    (w("to_date", unit="quarter"), T, None, ("2026-07-01", "2026-08-19")),
    (w("current", unit="week"), T, None, ("2026-11-09", "2026-11-12")),
    (w("to_date", unit="month"), d("2026-03-31"), None, ("2026-02-01", "2026-03-01")),
    (w("to_date", unit="year"), d("2028-02-29"), None, ("2027-01-01", "2027-03-02")),  # 60 days
    (w("current", unit="day"), T, None, ("2026-11-17", "2026-11-18")),
    (w("period", unit="quarter", year=2026, quarter=3), T, None, ("2026-04-01", "2026-07-01")),
    (w("period", unit="year", year=2025), T, None, ("2024-01-01", "2025-01-01")),
    (w("period", unit="month", year=2026, month=3), T, None, ("2026-02-01", "2026-03-01")),
    (w("period", unit="quarter", year=2026, quarter=4), T, None, ("2026-07-01", "2026-08-19")),
    (w("rolling", n=30, unit="day"), T, None, ("2026-09-20", "2026-10-20")),
    (w("rolling", n=30, unit="day"), T, "week", ("2026-09-18", "2026-10-19")),
    (w("rolling", n=12, unit="month"), T, "month", ("2024-12-01", "2025-11-19")),
    (w("rolling", n=8, unit="week"), T, "week", ("2026-08-03", "2026-09-24")),
    (w("rolling", n=14, unit="day"), T, "day", ("2026-10-22", "2026-11-05")),
    (w("since", start=d("2026-11-01")), T, None, ("2026-10-14", "2026-11-01")),
    (w("between", start=d("2026-03-01"), end=d("2026-03-10")), T, None, ("2026-02-19", "2026-03-01")),
    (w("previous", unit="month"), T, "week", ("2026-08-25", "2026-09-28")),  # aligned: the span before
])
def test_previous_period_is_the_span_just_before_the_resolved_window(window: TimeWindow, today: date,
                                                                     grain: Unit | None,
                                                                     expected: tuple[str, str]) -> None:
    assert compare_of(window, today, grain) == expected


@pytest.mark.parametrize(("window", "today", "expected"), [
    (w("to_date", unit="year"), T, ("2025-01-01", "2025-11-19")),
    (w("previous", unit="quarter"), T, ("2025-07-01", "2025-10-01")),
    (w("current", unit="day"), d("2028-02-29"), ("2027-02-28", "2027-03-01")),
    (w("rolling", n=1, unit="year"), d("2028-02-29"), ("2026-03-01", "2027-03-01")),
    (w("between", start=d("2028-01-01"), end=d("2028-02-28")), d("2028-06-01"), ("2027-01-01", "2027-03-01")),
    (w("period", unit="month", year=2029, month=2), d("2029-06-01"), ("2028-02-01", "2028-03-01")),
])
def test_previous_year_moves_both_bounds_a_year_back(window: TimeWindow, today: date,
                                                     expected: tuple[str, str]) -> None:
    assert compare_of(window, today, compare=PREVIOUS_YEAR) == expected


def test_params_carry_the_comparison_bounds() -> None:
    resolved = resolve(w("previous", unit="month"), today=T, compare=PREVIOUS_PERIOD)
    assert resolved.params() == {"window_start": d("2026-10-01"), "window_end": d("2026-11-01"),
                                 "compare_start": d("2026-09-01"), "compare_end": d("2026-10-01")}


@pytest.mark.parametrize("compare", [PREVIOUS_PERIOD, PREVIOUS_YEAR])
def test_all_time_cannot_be_compared(compare: Comparison) -> None:
    with pytest.raises(ValueError, match="all time has nothing before it"):
        resolve(w("all"), today=T, compare=compare)
    with pytest.raises(ValueError, match="all time has nothing before it"):
        describe(w("all"), compare)


@pytest.mark.parametrize(("window", "compare"), [
    (w("since", start=date.min), PREVIOUS_PERIOD), (w("between", start=date.min, end=d("0001-03-01")), PREVIOUS_PERIOD),
    (w("since", start=date.min), PREVIOUS_YEAR), (w("between", start=d("2026-01-01"), end=date.max), None),
])
def test_bounds_past_the_calendars_first_or_last_day_are_a_value_error(window: TimeWindow,
                                                                       compare: Comparison | None) -> None:
    """Callers report a ValueError as a window that cannot be used (400 ``invalid_window``, or a card that says
    the dashboard's window failed on it); an OverflowError was a 500: on PATCH of a dashboard's window ending
    9999-12-31, and on the dashboard itself for each widget with a comparison under "since 0001-01-01"."""
    with pytest.raises(ValueError):
        resolve(window, today=T, compare=compare)


@pytest.mark.parametrize(("zone", "instant", "expected"), [
    ("UTC", "2026-11-18T23:59", "2026-11-18"),
    ("America/New_York", "2026-03-08T04:30", "2026-03-07"),  # EST, hours before the spring change
    ("America/New_York", "2026-03-09T04:30", "2026-03-09"),  # EDT: under EST it would still be 8 Mar
    ("America/New_York", "2026-11-02T04:30", "2026-11-01"),  # EST again: under EDT it would be 2 Nov
    ("Australia/Lord_Howe", "2026-10-03T13:15", "2026-10-03"),  # +10:30
    ("Australia/Lord_Howe", "2026-10-04T13:15", "2026-10-05"),  # +11:00 after the half-hour change
    ("Australia/Lord_Howe", "2026-04-04T13:15", "2026-04-05"),
    ("Australia/Lord_Howe", "2026-04-05T13:15", "2026-04-05"),
    ("Pacific/Kiritimati", "2026-11-18T10:30", "2026-11-19"),
    ("Pacific/Pago_Pago", "2026-11-18T10:30", "2026-11-17"),
])
def test_today_in_a_zone_follows_its_offset_on_that_day(zone: str, instant: str, expected: str) -> None:
    now = datetime.fromisoformat(instant).replace(tzinfo=UTC)
    assert today_in(zone, now) == d(expected)


def test_today_in_defaults_to_the_current_instant() -> None:
    assert today_in("UTC") == datetime.now(UTC).date()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "America", "../etc/passwd"])
def test_today_in_refuses_an_unknown_zone(zone: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        today_in(zone, datetime(2026, 11, 18, tzinfo=UTC))


def test_today_in_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="time zone"):
        today_in("UTC", datetime(2026, 11, 18, 12))


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"month": 12}, 2025),
    ({"month": 11}, 2026),
    ({"quarter": 4}, 2026),
    ({"quarter": 1}, 2026),
])
def test_latest_period_is_the_latest_one_begun(kwargs: dict[str, int], expected: int) -> None:
    assert latest_period(T, **kwargs) == expected


def test_latest_period_in_january_looks_back_a_year_for_a_later_quarter() -> None:
    assert latest_period(d("2026-01-10"), quarter=2) == 2025


@pytest.mark.parametrize("kwargs", [{}, {"quarter": 1, "month": 1}])
def test_latest_period_needs_exactly_one_of_quarter_and_month(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        latest_period(T, **kwargs)


@pytest.mark.parametrize(("day", "grain", "expected"), [
    ("2026-11-18", "day", "2026-11-18"),
    ("2026-11-18", "week", "2026-11-16"),
    ("2026-11-16", "week", "2026-11-16"),
    ("2026-01-01", "week", "2025-12-29"),
    ("2027-01-03", "week", "2026-12-28"),
    ("2026-11-18", "month", "2026-11-01"),
    ("2026-11-18", "quarter", "2026-10-01"),
    ("2026-03-31", "quarter", "2026-01-01"),
    ("2026-11-18", "year", "2026-01-01"),
])
def test_bucket_start_is_the_first_day_of_the_bucket(day: str, grain: Unit, expected: str) -> None:
    assert bucket_start(d(day), grain) == d(expected)


@pytest.mark.parametrize(("bounds", "grain", "first", "last", "count"), [
    (Bounds(d("2025-12-01"), d("2026-11-19")), "month", "2025-12-01", "2026-11-01", 12),
    (Bounds(d("2026-09-28"), d("2026-11-19")), "week", "2026-09-28", "2026-11-16", 8),
    (Bounds(d("2026-11-05"), d("2026-11-19")), "day", "2026-11-05", "2026-11-18", 14),
    (Bounds(d("2028-01-01"), d("2029-01-01")), "day", "2028-01-01", "2028-12-31", 366),
    (Bounds(d("2025-12-29"), d("2026-11-19")), "week", "2025-12-29", "2026-11-16", 47),
    (Bounds(d("2026-01-01"), d("2026-11-19")), "quarter", "2026-01-01", "2026-10-01", 4),
    (Bounds(d("2026-10-20"), d("2026-11-19")), "week", "2026-10-19", "2026-11-16", 5),  # unaligned start
])
def test_buckets_lists_every_bucket_start(bounds: Bounds, grain: Unit, first: str, last: str, count: int) -> None:
    starts = buckets(bounds, grain)
    assert (str(starts[0]), str(starts[-1]), len(starts)) == (first, last, count)


@pytest.mark.parametrize("bounds", [Bounds(None, None), Bounds(T, None), Bounds(None, T)])
def test_buckets_refuses_open_bounds(bounds: Bounds) -> None:
    with pytest.raises(ValueError, match="open"):
        buckets(bounds, "month")


@pytest.mark.parametrize(("window", "compare", "expected"), [
    (w("all"), None, "all time"),
    (w("rolling", n=30, unit="day"), None, "the last 30 days"),
    (w("rolling", n=1, unit="month"), None, "the past month"),
    (w("rolling", n=30, unit="day"), PREVIOUS_PERIOD, "the last 30 days vs the 30 days before"),
    (w("previous", unit="quarter"), PREVIOUS_PERIOD, "last quarter vs the quarter before"),
    (w("previous", unit="day"), None, "yesterday"),
    (w("current", unit="day"), PREVIOUS_PERIOD, "today vs yesterday"),
    (w("current", unit="month"), None, "this month"),
    (w("to_date", unit="year"), PREVIOUS_YEAR, "year to date vs the same period last year"),
    (w("to_date", unit="quarter"), PREVIOUS_PERIOD, "quarter to date vs the same period last quarter"),
    (w("period", unit="quarter", year=2026, quarter=3), None, "Q3 2026"),
    (w("period", unit="quarter", year=2026, quarter=1), PREVIOUS_PERIOD, "Q1 2026 vs Q4 2025"),
    (w("period", unit="month", year=2026, month=3), None, "March 2026"),
    (w("period", unit="year", year=2025), PREVIOUS_PERIOD, "2025 vs 2024"),
    (w("period", unit="day", day=d("2026-03-01")), None, "1 Mar 2026"),
    (w("since", start=d("2026-03-01")), None, "since 1 Mar 2026"),
    (w("since", start=d("2026-03-01")), PREVIOUS_PERIOD, "since 1 Mar 2026 vs the period before"),
    (w("between", start=d("2026-03-01"), end=d("2026-04-15")), None, "1 Mar – 15 Apr 2026"),
])
def test_describe_says_the_window_in_relative_words(window: TimeWindow, compare: Comparison | None,
                                                    expected: str) -> None:
    assert describe(window, compare) == expected


@pytest.mark.parametrize(("bounds", "expected"), [
    (Bounds(d("2026-07-01"), d("2026-10-01")), "1 Jul – 30 Sep 2026"),
    (Bounds(d("2026-11-01"), d("2026-11-19")), "1–18 Nov 2026"),
    (Bounds(d("2026-11-18"), d("2026-11-19")), "18 Nov 2026"),
    (Bounds(d("2025-12-01"), d("2026-11-19")), "1 Dec 2025 – 18 Nov 2026"),
    (Bounds(d("2025-01-01"), d("2026-01-01")), "1 Jan – 31 Dec 2025"),
    (Bounds(None, None), "all time"),
])
def test_describe_dates_shows_the_last_day_inclusive(bounds: Bounds, expected: str) -> None:
    assert describe_dates(bounds) == expected


def test_describe_dates_of_a_resolved_window_follows_today() -> None:
    window = w("previous", unit="quarter")
    resolved = resolve(window, today=T, compare=PREVIOUS_PERIOD)
    assert (describe_dates(resolved.window), describe_dates(_need(resolved.compare))) == (
        "1 Jul – 30 Sep 2026", "1 Apr – 30 Jun 2026")


def _need(bounds: Bounds | None) -> Bounds:
    assert bounds is not None
    return bounds


def _windows() -> st.SearchStrategy[TimeWindow]:
    days = st.dates(date(2000, 1, 1), date(2100, 12, 31))
    return st.one_of(
        st.just(w("all")),
        st.builds(lambda n, unit: w("rolling", n=n, unit=unit), st.integers(1, 3650),
                  st.sampled_from(["day", "week", "month", "quarter"])),
        st.builds(lambda n: w("rolling", n=n, unit="year"), st.integers(1, 1000)),
        st.builds(lambda kind, unit: w(kind, unit=unit), st.sampled_from(["current", "to_date", "previous"]),
                  st.sampled_from(UNITS)),
        st.builds(lambda year: w("period", unit="year", year=year), st.integers(2000, 2100)),
        st.builds(lambda year, q: w("period", unit="quarter", year=year, quarter=q), st.integers(2000, 2100),
                  st.integers(1, 4)),
        st.builds(lambda year, m: w("period", unit="month", year=year, month=m), st.integers(2000, 2100),
                  st.integers(1, 12)),
        st.builds(lambda day: w("period", unit="day", day=day), days),
        st.builds(lambda start: w("since", start=start), days),
        st.builds(lambda a, b: w("between", start=min(a, b), end=max(a, b)), days, days),
    )


def _resolve_or_skip(window: TimeWindow, today: date, grain: Unit | None, compare: Comparison | None) -> Any:
    try:
        return resolve(window, today=today, grain=grain, compare=compare)
    except ValueError as exc:  # only a window in the future, or a comparison on all time, may be refused
        assert "not begun" in str(exc) or "after today" in str(exc) or window.kind == "all"
        return None


@given(window=_windows(), today=st.dates(date(2010, 1, 1), date(2090, 12, 31)),
       grain=st.none() | st.sampled_from(UNITS), compare=st.sampled_from([None, PREVIOUS_PERIOD, PREVIOUS_YEAR]))
def test_every_window_is_a_nonempty_span_that_never_reaches_past_tomorrow(
        window: TimeWindow, today: date, grain: Unit | None, compare: Comparison | None) -> None:
    resolved = _resolve_or_skip(window, today, grain, compare)
    if resolved is None or resolved.window.start is None:
        return
    start, end = resolved.window.start, resolved.window.end
    assert start < end <= today + timedelta(days=1)
    if resolved.compare is not None:
        assert resolved.compare.start < resolved.compare.end
    if compare == PREVIOUS_PERIOD:
        assert resolved.compare.end <= start
    if grain is not None:
        starts = buckets(resolved.window, grain)
        assert starts[0] == start == bucket_start(start, grain)
        assert bucket_start(end - timedelta(days=1), grain) == starts[-1]
        assert all(bucket_start(s, grain) == s for s in starts)


DEC_8 = date(2026, 12, 8)


@pytest.mark.parametrize(("window", "today", "compare", "expected_window", "expected_compare"), [
    # A running quarter: the same months of the quarter before, the one matching the running month in full.
    (w("current", unit="quarter"), DEC_8, PREVIOUS_PERIOD, ("2026-10-01", "2026-12-09"), ("2026-07-01", "2026-10-01")),
    (w("current", unit="quarter"), T, PREVIOUS_PERIOD, ("2026-10-01", "2026-11-19"), ("2026-07-01", "2026-09-01")),
    (w("current", unit="month"), DEC_8, PREVIOUS_YEAR, ("2026-12-01", "2026-12-09"), ("2025-12-01", "2026-01-01")),
    (w("current", unit="month"), DEC_8, PREVIOUS_PERIOD, ("2026-12-01", "2026-12-09"), ("2026-11-01", "2026-12-01")),
    (w("to_date", unit="year"), T, PREVIOUS_YEAR, ("2026-01-01", "2026-11-19"), ("2025-01-01", "2025-12-01")),
    # The last 30 days grown to Nov and Dec so far: Sep and Oct, not the 38 days before 1 Nov.
    (w("rolling", n=30, unit="day"), DEC_8, PREVIOUS_PERIOD, ("2026-11-01", "2026-12-09"), ("2026-09-01", "2026-11-01")),
    (w("rolling", n=3, unit="month"), DEC_8, PREVIOUS_PERIOD, ("2026-10-01", "2026-12-09"), ("2026-07-01", "2026-10-01")),
    (w("since", start=d("2026-10-15")), DEC_8, PREVIOUS_PERIOD, ("2026-10-01", "2026-12-09"), ("2026-07-01", "2026-10-01")),
    # Whole months already: nothing moves.
    (w("previous", unit="month"), DEC_8, PREVIOUS_PERIOD, ("2026-11-01", "2026-12-01"), ("2026-10-01", "2026-11-01")),
    (w("previous", unit="quarter"), DEC_8, PREVIOUS_YEAR, ("2026-07-01", "2026-10-01"), ("2025-07-01", "2025-10-01")),
])
def test_a_metric_kept_per_month_is_compared_over_whole_months(
        window: TimeWindow, today: date, compare: Comparison, expected_window: tuple[str, str],
        expected_compare: tuple[str, str]) -> None:
    resolved = resolve(window, today=today, compare=compare, data_grain="month")
    assert (str(resolved.window.start), str(resolved.window.end)) == expected_window
    assert (str(_need(resolved.compare).start), str(_need(resolved.compare).end)) == expected_compare
    assert resolved.grain == "month" and resolved.partial_last is (expected_window[1] == str(today + timedelta(days=1)))


def test_without_a_data_grain_a_running_quarter_is_compared_day_for_day() -> None:
    assert compare_of(w("current", unit="quarter"), today=DEC_8) == ("2026-07-01", "2026-09-08")
    assert compare_of(w("current", unit="month"), today=DEC_8, compare=PREVIOUS_YEAR) == ("2025-12-01", "2025-12-09")


@given(window=_windows(), today=st.dates(date(2010, 1, 1), date(2090, 12, 31)),
       data_grain=st.sampled_from(["month", "quarter", "year"]), compare=st.sampled_from([PREVIOUS_PERIOD, PREVIOUS_YEAR]))
def test_a_comparison_over_a_data_grain_covers_whole_buckets_and_stays_before_the_window(
        window: TimeWindow, today: date, data_grain: Unit, compare: Comparison) -> None:
    try:
        resolved = resolve(window, today=today, compare=compare, data_grain=data_grain)
    except ValueError:
        return
    before = _need(resolved.compare)
    assert before.start is not None and before.end is not None and before.start < before.end
    assert bucket_start(before.start, data_grain) == before.start
    assert bucket_start(before.end, data_grain) == before.end
    if compare == PREVIOUS_PERIOD:
        assert before.end <= _need(resolved.window).start  # type: ignore[operator]
