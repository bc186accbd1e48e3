"""Spans of time said by their two ends, for the offline reader: "between 2025 and 2026", "from march to may
2026", "q1 to q3", "1 to 15 march", "between 10 jan 2025 and march 2026".

Each end is a day, a month, a quarter or a year, with or without its year. The span runs from the first day
of the first end to the last day of the second, both whole ("between 2025 and 2026" is 1 Jan 2025 – 31 Dec
2026; the window's own rules cut it at today). An end without a year takes the other end's; with neither,
the span is the latest such that has begun. Two ends joined by "and" are a span after "between", or when
they are next to each other ("q1 and q2", "2025 and 2026"); "march and may" names two months, not a span.
An end that does not exist ("q5", "30 feb") or a span that ends before it starts is a ``NoSuchDate``.
"""
from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from widgets.services.offline_date_parts import MONTH, MONTHS, YEAR, NoSuchDate, day_month, day_of, said_date

QUARTER_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_ORDINAL = "|".join(QUARTER_ORDINALS)
_JOINS = "and|to|through|thru|till|until"
Window = dict[str, Any]


def _end(i: int) -> str:
    """One end of a span: a day (``day_month``), a quarter, a month or a year; the first may be a bare day
    that takes the second's month ("1 to 15 march")."""
    bare_day = rf"|(?P<bd{i}>\d{{1,2}})(?:st|nd|rd|th)?" if i == 1 else ""
    return (rf"(?:{day_month(i)}|(?:q(?P<q{i}>\d)|(?P<qo{i}>{_ORDINAL}) quarter(?: of)?)(?: (?P<qy{i}>{YEAR}))?"
            rf"|(?P<mo{i}>{MONTH})(?: (?P<my{i}>{YEAR}))?|(?P<yr{i}>{YEAR}){bare_day})")


SPAN = re.compile(rf" (?:(?P<lead>between|from|since|in|for|during|over) )?(?:the )?{_end(1)} (?P<join>{_JOINS}) "
                  rf"(?:the )?{_end(2)}(?= )")


@dataclass(frozen=True)
class _End:
    """One end of a span, its year still unknown when it was not said."""

    unit: str  # day, month, quarter or year
    month: int = 1
    day: int = 1
    year: int | None = None

    @property
    def position(self) -> tuple[int, int]:
        """Where in its year the end begins, to order two ends of unknown years."""
        return self.month, self.day if self.unit == "day" else 1

    def first(self, year: int) -> date:
        return date(year, self.month, self.day if self.unit == "day" else 1)

    def last(self, year: int) -> date:
        """Return the end's last day in ``year``; raises ValueError for a day that year lacks."""
        if self.unit == "day":
            return date(year, self.month, self.day)
        months = {"month": 1, "quarter": 3, "year": 12}[self.unit]
        final = self.month + months - 1
        return date(year, final, monthrange(year, final)[1])


def take_span(text: str, today: date, *,
              counted: Callable[[int], bool]) -> tuple[str, Window | NoSuchDate | None, str]:
    """Return the text with the first span it says blanked out, that span's window (a ``between`` of the
    whole ends) or ``NoSuchDate``, and its words; (text, None, "") when it says none. ``counted(offset)`` tells whether a
    number at that offset of the text is a count or an amount ("top 5 to 10", "between 2000 and 2020
    dollars" after "$"), so that a span starting there is none."""
    for found in SPAN.finditer(text):
        numbered = (found.group("yr1") and found.group("yr2")) or found.group("bd1")
        if numbered and counted(found.start()):
            continue
        read = _span(found, today)
        if read is not None:
            blanked = text[: found.start()] + " " * (found.end() - found.start()) + text[found.end():]
            return blanked, read, found.group(0).strip()
    return text, None, ""


def _span(found: re.Match[str], today: date) -> Window | NoSuchDate | None:
    """Return the window of one span match, ``NoSuchDate``, or None when the words are not a span."""
    first, last = _end_of(found, 1, today), _end_of(found, 2, today)
    if isinstance(first, NoSuchDate) or isinstance(last, NoSuchDate):
        return first if isinstance(first, NoSuchDate) else last
    if first is None or last is None:
        return None
    if first.unit == "bare":
        if last.unit != "day":
            return None  # "5 to march": a count, not a day
        first = replace(first, unit="day", month=last.month, year=last.year)
    if first.year is None and last.year is None and first.unit == last.unit == "day" and \
            first.month == last.month and first.day > last.day:  # "between nov 10 and nov 5": not a year long
        said = found.group(0).strip()
        return NoSuchDate(said, f"“{said}” ends before it starts")
    start_year, end_year = _years(first, last, today)
    for end, year, i in ((first, start_year, 1), (last, end_year, 2)):
        if end.unit == "day" and _lacks(end, year):  # "29 feb" in a year read from the other end
            return _no_such_day(end, year, _end_words(found, i), today)
    start, end = first.first(start_year), last.last(end_year)
    if found.group("join") == "and" and found.group("lead") != "between" and \
            last.first(end_year) != first.last(start_year) + timedelta(days=1):
        return None  # "march and may", "q1 and q3": two periods, not the span from one to the other
    if start > end:
        said = found.group(0).strip()
        return NoSuchDate(said, f"“{said}” ends before it starts")
    return {"kind": "between", "start": start.isoformat(), "end": end.isoformat()}


def _no_such_day(end: _End, year: int, said: str, today: date) -> NoSuchDate | None:
    missing = day_of(end.month, end.day, year, today, said=said)
    return missing if isinstance(missing, NoSuchDate) else None


def _end_words(found: re.Match[str], i: int) -> str:
    """Return the words of a span match's i-th end."""
    spans = [found.span(name) for name, value in found.groupdict().items()
             if value and name[-1] == str(i) and name not in ("lead", "join")]
    return found.string[min(s for s, _ in spans): max(e for _, e in spans)]


def _lacks(end: _End, year: int) -> bool:
    try:
        end.first(year)
    except ValueError:
        return True
    return False


def _end_of(found: re.Match[str], i: int, today: date) -> _End | NoSuchDate | None:
    """Return the i-th end of a span match, ``NoSuchDate`` for one that does not exist, or None."""
    groups = found.groupdict()
    if groups.get(f"iso{i}"):
        day = said_date(found, i, today)
        return day if not isinstance(day, date) else _End("day", day.month, day.day, day.year)
    if groups.get(f"m{i}") or groups.get(f"n{i}"):
        day = said_date(found, i, today)
        if isinstance(day, NoSuchDate) or day is None:
            return day
        month, number = MONTHS[groups.get(f"m{i}") or groups[f"n{i}"]], int(groups.get(f"d{i}") or groups[f"e{i}"])
        return _End("day", month, number, int(groups[f"y{i}"]) if groups.get(f"y{i}") else None)
    if groups.get(f"q{i}") or groups.get(f"qo{i}"):
        quarter = int(groups[f"q{i}"]) if groups.get(f"q{i}") else QUARTER_ORDINALS[groups[f"qo{i}"]]
        if not 1 <= quarter <= 4:
            return no_such_quarter(quarter)
        return _End("quarter", 3 * quarter - 2, year=int(groups[f"qy{i}"]) if groups.get(f"qy{i}") else None)
    if groups.get(f"mo{i}"):
        return _End("month", MONTHS[groups[f"mo{i}"]], year=int(groups[f"my{i}"]) if groups.get(f"my{i}") else None)
    if groups.get(f"yr{i}"):
        return _End("year", year=int(groups[f"yr{i}"]))
    if groups.get(f"bd{i}"):
        return _End("bare", day=int(groups[f"bd{i}"]))
    return None


def no_such_quarter(quarter: int) -> NoSuchDate:
    return NoSuchDate(f"q{quarter}", f"A year has four quarters: there is no Q{quarter}", ("q1", "q2", "q3", "q4"))


def _years(first: _End, last: _End, today: date) -> tuple[int, int]:
    """Return the years of a span's two ends: as said; an end without one takes the other's (the year before
    or after when it comes later in the year, "from nov to feb 2026"); with neither, the latest span that
    has begun by ``today``."""
    if first.year is not None and last.year is not None:
        return first.year, last.year
    if first.year is not None:
        return first.year, first.year if last.position >= first.position else first.year + 1
    before = 0 if first.position <= last.position else 1
    if last.year is not None:
        return last.year - before, last.year
    start_year = today.year - before
    if _begins_after(first, start_year, today):
        start_year -= 1
    return start_year, start_year + before


def _begins_after(end: _End, year: int, today: date) -> bool:
    try:
        return end.first(year) > today
    except ValueError:  # 29 February of a year without one: its month tells
        return date(year, end.month, 1) > today
