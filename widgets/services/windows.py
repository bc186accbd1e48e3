"""A widget's time window: the relative reading stored in its spec, and its dates for a given *today*.

The spec keeps what the analyst said ("last quarter vs the quarter before"); each run turns that into
half-open date bounds ``[start, end)`` that the SQL binds as ``:window_start``/``:window_end`` (and
``:compare_start``/``:compare_end``). Generated SQL then never does date arithmetic, a moving window
moves on refresh, and a test can pin *today*.

Rules that hold everywhere: weeks start on Monday (ISO); no window ends after today + 1 day, so data of
the future is never asked for; month arithmetic clamps to the month's end (31 Mar - 1 month = 28 Feb).
With a grain a window covers whole buckets: its start moves back to the start of its bucket, and a
rolling window in the grain's own unit ("last 12 months" by month) is that many buckets, the current one
included and marked partial. With a data grain (a metric kept per month) the comparison covers whole
buckets too: the same months as the window's, in full, the one matching a running month included.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

Unit = Literal["day", "week", "month", "quarter", "year"]
Kind = Literal["all", "rolling", "current", "to_date", "previous", "period", "since", "between"]

_DAY = timedelta(days=1)
_UNITS: tuple[Unit, ...] = ("day", "week", "month", "quarter", "year")  # finest first
# How every assumption of a default window begins: a later window drops them by it.
DEFAULT_WINDOW_SAID = "No period was given"
_MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_FIELDS = ("n", "unit", "year", "quarter", "month", "day", "start", "end")
_NEEDS: dict[str, frozenset[str]] = {
    "all": frozenset(),
    "rolling": frozenset({"n", "unit"}),
    "current": frozenset({"unit"}),
    "to_date": frozenset({"unit"}),
    "previous": frozenset({"unit"}),
    "since": frozenset({"start"}),
    "between": frozenset({"start", "end"}),
}
_PERIOD_NEEDS: dict[str, frozenset[str]] = {
    "year": frozenset({"unit", "year"}),
    "quarter": frozenset({"unit", "year", "quarter"}),
    "month": frozenset({"unit", "year", "month"}),
    "day": frozenset({"unit", "day"}),
}
_T = TypeVar("_T")


class TimeWindow(BaseModel):
    """The relative reading of a window, as stored in a widget spec; see the module docstring."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    n: int | None = Field(default=None, ge=1, le=3650)
    unit: Unit | None = None
    year: int | None = Field(default=None, ge=1, le=9998)
    quarter: int | None = Field(default=None, ge=1, le=4)
    month: int | None = Field(default=None, ge=1, le=12)
    day: date | None = None
    start: date | None = None
    end: date | None = None  # between: the last day, inclusive as said

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> TimeWindow:
        """Refuse a window that lacks a field its kind needs or carries one it does not use, or ends before it starts."""
        needed = self._needed()
        given = {name for name in _FIELDS if getattr(self, name) is not None}
        problems = [f"{label} {', '.join(sorted(names))}"
                    for label, names in (("missing", needed - given), ("unused", given - needed)) if names]
        if problems:
            takes = ", ".join(sorted(needed)) or "no other field"
            raise ValueError(f"a window of kind {self.kind} takes {takes}: {'; '.join(problems)}")
        if self.kind == "between" and _need(self.start) > _need(self.end):
            raise ValueError(f"a between window starts after it ends ({self.start} > {self.end})")
        return self

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: Any) -> dict[str, Any]:
        """Store only the fields the kind uses: {"kind": "previous", "unit": "quarter"}."""
        return {k: v for k, v in handler(self).items() if v is not None}

    def _needed(self) -> frozenset[str]:
        """Return the fields this kind of window takes; raises ValueError for a period of no calendar unit."""
        if self.kind != "period":
            return _NEEDS[self.kind]
        needed = _PERIOD_NEEDS.get(self.unit or "")
        if needed is None:
            raise ValueError("a period window's unit is year, quarter, month or day")
        return needed


class Comparison(BaseModel):
    """What a window is compared with: the span just before it, or the same dates a year earlier."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["previous_period", "previous_year"]


@dataclass(frozen=True)
class Bounds:
    """Half-open dates ``[start, end)``; ``None`` is an open bound (all time)."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class Resolved:
    """A window's dates for one run, with what the grain did to them (for the interpretation and the chart)."""

    window: Bounds
    compare: Bounds | None
    grain: Unit | None
    partial_last: bool  # a series' last bucket is cut by the window's end or holds today; never without a grain
    aligned: bool  # the grain changed the window's start to a bucket's start

    def params(self) -> dict[str, date | None]:
        """Return the query parameters to bind: the window's bounds, and the comparison's when there is one."""
        values = {"window_start": self.window.start, "window_end": self.window.end}
        if self.compare is not None:
            values |= {"compare_start": self.compare.start, "compare_end": self.compare.end}
        return values


@dataclass(frozen=True)
class _Reading:
    """A window's bounds before any grain, with what the comparison rules need to know about it."""

    bounds: Bounds
    unit: Unit | None  # the calendar unit of a previous, current, to_date or period window; None otherwise
    running: bool  # the window's calendar period holds today, so it is not over


def today_in(time_zone: str, now: datetime | None = None) -> date:
    """Return the date it is in ``time_zone`` at ``now`` (aware; default: the current instant).

    Raises ValueError for an unknown zone name or a naive ``now``.
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {time_zone!r}") from exc
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must carry a time zone")
    return moment.astimezone(zone).date()


def latest_period(today: date, quarter: int | None = None, month: int | None = None) -> int:
    """Return the year of the latest quarter or month of that number that has begun by ``today``.

    "December" on 2026-11-18 is December 2025. Raises ValueError unless exactly one of the two is given.
    """
    if (quarter is None) == (month is None):
        raise ValueError("give a quarter or a month, not both or neither")
    first_month = 3 * _need(quarter) - 2 if month is None else month
    return today.year if date(today.year, first_month, 1) <= today else today.year - 1


def resolve(window: TimeWindow, *, today: date, grain: Unit | None = None,
            compare: Comparison | None = None, data_grain: Unit | None = None) -> Resolved:
    """Return the window's bounds for ``today``, aligned to ``grain``, with the comparison's bounds.

    ``data_grain`` is the period a metric of the widget is kept by (earned premium: month). The comparison
    then covers whole buckets of it too, the same ones as the window: see ``_whole_before``; the window is
    aligned to the coarser of ``grain`` and ``data_grain``.

    Raises ValueError for a window that begins after today ("Q4 2027 has not begun", a since or between
    date in the future), for a comparison on all time, and for bounds past the calendar's first or last day.
    """
    _check_compare(window, compare)
    if data_grain is not None and (grain is None or _UNITS.index(grain) < _UNITS.index(data_grain)):
        grain = data_grain
    try:
        reading = _read(window, today)
        bounds = _align(window, reading.bounds, today, grain)
        compare_bounds = None
        if compare is not None:
            compare_bounds = (_previous_year(bounds) if compare.kind == "previous_year"
                              else _previous_period(window, reading, bounds, grain))
            if data_grain is not None:
                compare_bounds = _whole_before(compare_bounds, bounds, data_grain, compare)
    except OverflowError:  # date arithmetic past 0001-01-01 or 9999-12-31 ("since 0001-01-01" compared)
        raise ValueError("the window reaches past the calendar's first or last day") from None
    return Resolved(window=bounds, compare=compare_bounds, grain=grain,
                    partial_last=_partial_last(bounds, grain, today), aligned=bounds != reading.bounds)


def bucket_start(d: date, grain: Unit) -> date:
    """Return the first day of the bucket of ``grain`` that holds ``d`` (weeks start on Monday)."""
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, d.month - (d.month - 1) % 3, 1)
    return date(d.year, 1, 1)


def bucket_end(d: date, grain: Unit) -> date:
    """Return the day after the bucket of ``grain`` that holds ``d``: its exclusive end."""
    return _shift(bucket_start(d, grain), grain, 1)


def buckets(bounds: Bounds, grain: Unit) -> list[date]:
    """Return the start of every bucket that overlaps ``bounds``, oldest first: the series to fill.

    The first is the bucket holding the start (the start itself for a window resolved with this grain).
    Raises ValueError for open bounds, whose buckets only the data can tell.
    """
    if bounds.start is None or bounds.end is None:
        raise ValueError("an open window has no fixed buckets")
    starts, current = [], bucket_start(bounds.start, grain)
    while current < bounds.end:
        starts.append(current)
        current = _shift(current, grain, 1)
    return starts


def describe(window: TimeWindow, compare: Comparison | None = None) -> str:
    """Return the window in relative words, as stored with the widget: "last quarter vs the quarter before".

    Raises ValueError for a comparison on all time.
    """
    _check_compare(window, compare)
    words = _window_words(window)
    if compare is None:
        return words
    if compare.kind == "previous_year":
        return f"{words} vs the same period last year"
    return f"{words} vs {_before_words(window)}"


def describe_dates(bounds: Bounds) -> str:
    """Return the bounds as the analyst reads them, last day inclusive: "1 Jul – 30 Sep 2026", "all time"."""
    if bounds.start is None and bounds.end is None:
        return "all time"
    if bounds.start is None:
        return f"until {_day_words(_need(bounds.end) - _DAY)}"
    if bounds.end is None:
        return f"since {_day_words(bounds.start)}"
    first, last = bounds.start, bounds.end - _DAY
    if first == last:
        return _day_words(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {_MONTH_NAMES[last.month - 1][:3]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {_MONTH_NAMES[first.month - 1][:3]} – {_day_words(last)}"
    return f"{_day_words(first)} – {_day_words(last)}"


def _need(value: _T | None) -> _T:
    """Return a field the validator guarantees for this kind of window."""
    if value is None:
        raise ValueError("a field this window's kind needs is missing")
    return value


def _shift(d: date, unit: Unit, n: int) -> date:
    """Return ``d`` moved by ``n`` units (back when negative); a day past the new month's end clamps to it."""
    if unit == "day":
        return d + timedelta(days=n)
    if unit == "week":
        return d + timedelta(weeks=n)
    year, month0 = divmod(d.year * 12 + d.month - 1 + n * _MONTHS_IN[unit], 12)
    return date(year, month0 + 1, min(d.day, monthrange(year, month0 + 1)[1]))


def _check_compare(window: TimeWindow, compare: Comparison | None) -> None:
    """Raise ValueError for a comparison the window cannot have."""
    if compare is not None and window.kind == "all":
        raise ValueError("all time has nothing before it")


def _read(window: TimeWindow, today: date) -> _Reading:
    """Return the window's bounds for ``today`` before any grain; raises ValueError for a future window."""
    tomorrow = today + _DAY
    if window.kind == "all":
        return _Reading(Bounds(None, None), None, False)
    if window.kind == "period":
        return _read_period(window, today)
    if window.kind == "since" or window.kind == "between":
        start = _need(window.start)
        if start > today:
            raise ValueError(f"{_window_words(window)} begins after today ({today})")
        end = tomorrow if window.end is None else min(window.end + _DAY, tomorrow)
        return _Reading(Bounds(start, end), None, False)
    unit = _need(window.unit)
    if window.kind == "rolling":
        return _Reading(Bounds(_shift(today, unit, -_need(window.n)) + _DAY, tomorrow), None, False)
    this = bucket_start(today, unit)
    if window.kind == "previous":
        return _Reading(Bounds(_shift(this, unit, -1), this), unit, False)
    return _Reading(Bounds(this, tomorrow), unit, True)  # current and to_date


def _read_period(window: TimeWindow, today: date) -> _Reading:
    """Return a named calendar period's bounds, cut at tomorrow when it holds today."""
    unit = _need(window.unit)
    start = _period_start(window)
    if start > today:
        raise ValueError(f"{_window_words(window)} has not begun")
    end = _shift(start, unit, 1)
    return _Reading(Bounds(start, min(end, today + _DAY)), unit, end > today)


def _period_start(window: TimeWindow) -> date:
    """Return the first day of a period window."""
    if window.unit == "day":
        return _need(window.day)
    if window.unit == "quarter":
        return date(_need(window.year), 3 * _need(window.quarter) - 2, 1)
    return date(_need(window.year), window.month or 1, 1)


def _align(window: TimeWindow, bounds: Bounds, today: date, grain: Unit | None) -> Bounds:
    """Return the bounds grown to whole buckets of ``grain``: the end stays, the start moves to a bucket's start.

    A rolling window in the grain's own unit is instead the n buckets ending with the one holding today.
    """
    if grain is None or bounds.start is None:
        return bounds
    if window.kind == "rolling" and window.unit == grain:
        return Bounds(_shift(bucket_start(today, grain), grain, 1 - _need(window.n)), bounds.end)
    return Bounds(bucket_start(bounds.start, grain), bounds.end)


def _partial_last(bounds: Bounds, grain: Unit | None, today: date) -> bool:
    """Tell whether the series' last bucket is not whole: the window ends before the bucket does, or the
    bucket holds today (today's own day bucket included), so its period is not over.

    Without a grain nothing is drawn by period: a to-date total is not partial (its dates are in the
    interpretation), so this is False.
    """
    if grain is None or bounds.end is None:
        return False
    last = bucket_start(bounds.end - _DAY, grain)
    last_end = _shift(last, grain, 1)
    return last_end > bounds.end or last <= today < last_end


def _previous_period(window: TimeWindow, reading: _Reading, bounds: Bounds, grain: Unit | None) -> Bounds:
    """Return the span just before the resolved window, like for like when the window's period is running.

    A calendar window whose start the grain moved is no longer a calendar unit, so it is compared with the
    span of the same length before it, as rolling, since and between windows are.
    """
    start, end = _need(bounds.start), _need(bounds.end)
    if window.kind == "rolling" and window.unit == grain:
        return _buckets_before(bounds, grain, _need(window.n))
    if reading.unit is None or bounds != reading.bounds:
        return Bounds(start - (end - start), start)
    before = _shift(start, reading.unit, -1)
    return Bounds(before, min(before + (end - start), start) if reading.running else start)


def _buckets_before(bounds: Bounds, grain: Unit, count: int) -> Bounds:
    """Return the ``count`` buckets before an aligned window, the last cut like for like with the window's last."""
    start, end = _need(bounds.start), _need(bounds.end)
    last = bucket_start(end - _DAY, grain)
    return Bounds(_shift(start, grain, -count), min(_shift(last, grain, -count) + (end - last), start))


def _whole_before(compare: Bounds, window: Bounds, data_grain: Unit, kind: Comparison) -> Bounds:
    """Return the comparison grown to the whole buckets of ``data_grain`` it touches, never into the window.

    A month's premium cannot be cut at the 8th: the window's running month holds the premium earned so far
    and the payments so far, but an earlier month holds all of its premium, so its payments must be all of
    its payments too. "This quarter vs last quarter" on 8 Dec is then Oct–8 Dec against the same months of
    the quarter before, in full: 1 Jul – 30 Sep, not 1 Jul – 7 Sep.
    """
    start, end = _need(compare.start), _need(compare.end)
    limit = _need(window.start) if kind.kind == "previous_period" else _need(window.end)
    return Bounds(bucket_start(start, data_grain), min(bucket_end(end - _DAY, data_grain), max(limit, end)))


def _previous_year(bounds: Bounds) -> Bounds:
    """Return the bounds one year earlier; a 29 Feb start becomes 28 Feb, a 29 Feb end 1 Mar (keeping 28 Feb)."""
    start, end = _need(bounds.start), _need(bounds.end)
    year_end = date(end.year - 1, 3, 1) if (end.month, end.day) == (2, 29) else _shift(end, "year", -1)
    return Bounds(_shift(start, "year", -1), year_end)


def _window_words(window: TimeWindow) -> str:
    """Return the window in relative words: "the last 30 days", "year to date", "Q3 2026"."""
    unit = window.unit
    if window.kind == "all":
        return "all time"
    if window.kind == "since":
        return f"since {_day_words(_need(window.start))}"
    if window.kind == "between":
        return describe_dates(Bounds(_need(window.start), _need(window.end) + _DAY))
    if window.kind == "period":
        return _period_words(_need(unit), _period_start(window))
    if window.kind == "rolling":
        return f"the last {window.n} {unit}s" if window.n != 1 else f"the past {unit}"
    if unit == "day":
        return "yesterday" if window.kind == "previous" else "today"
    return {"current": f"this {unit}", "to_date": f"{unit} to date", "previous": f"last {unit}"}[window.kind]


def _before_words(window: TimeWindow) -> str:
    """Return the words for what a window is compared with under previous_period."""
    unit = window.unit
    if window.kind == "rolling":
        return f"the {window.n} {unit}s before" if window.n != 1 else f"the {unit} before"
    if window.kind == "previous":
        return f"the {unit} before"
    if window.kind == "period":
        return _period_words(_need(unit), _shift(_period_start(window), _need(unit), -1))
    if window.kind in ("current", "to_date"):
        return "yesterday" if unit == "day" else f"the same period last {unit}"
    return "the period before"


def _period_words(unit: Unit, start: date) -> str:
    """Return the name of the calendar period of ``unit`` starting on ``start``: "Q3 2026", "March 2026"."""
    if unit == "year":
        return str(start.year)
    if unit == "quarter":
        return f"Q{(start.month + 2) // 3} {start.year}"
    if unit == "month":
        return f"{_MONTH_NAMES[start.month - 1]} {start.year}"
    return _day_words(start)


def _day_words(d: date) -> str:
    """Return a date as "18 Nov 2026", independent of the locale."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1][:3]} {d.year}"
