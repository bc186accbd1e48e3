"""The offline reader's day rules: a day and month in words ("on 15 march", "15 march 2026", "march 15th"), in
numbers ("15/03/2026", "2026/03/15"), or as an ISO date. A day that does not exist ("31 april") is a
``NoSuchDate``; a date in numbers that reads two ways ("1/3/2026") is asked about as one.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from widgets.services.offline_date_parts import (
    MONTH_NAMES,
    NoSuchDate,
    TimeReading,
    counted_at,
    day_month,
    no_such,
    said_date,
    set_aside,
    take,
    taken,
)

Window = dict[str, Any]
# A date in numbers: "15/03/2026", "3.15.26", "2026/03/15"; day or month first, whichever names a date.
_NUMERIC_DATE = re.compile(r" (?:(?P<lead>on|for|in|since|from|after|starting) )?(?:the )?(?P<said>(?P<a>\d{1,2})[/.]"
                           r"(?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})|(?P<iy>\d{4})[/.](?P<im>\d{1,2})[/.](?P<id>\d{1,2}))(?= )")
_ON_DAY = re.compile(rf" (?:on|for) (?:the )?(?:{day_month(1)})(?= |$)")
_DAY_ALONE = re.compile(rf" (?:the )?(?:{day_month(1)})(?= |$)")
# Words before a day and month that the rules before ``day_alone`` read ("since", "between"): when a day is
# still there after them, they could not use it, and it is reported rather than read as that day.
_DAY_LEADS = frozenset("since from after starting between and to until till through thru before prior of as "
                       "commencing beginning ending".split())


def numeric_date(reading: TimeReading, today: date) -> Window | None:
    """A date in numbers, as a day or, after "since", "from" or "after", a start. When both the day-first
    and the month-first readings name a date ("1/3/2026") it is asked which; when neither does, why."""
    found = take(reading, _NUMERIC_DATE)
    if not found:
        return None
    said, phrase = found.group("said"), found.group(0).strip()
    readings = _numeric_readings(found)
    if len(readings) != 1:
        shown = [f"{d.day} {MONTH_NAMES[d.month - 1][:3].lower()} {d.year}" for d in readings]
        reason = f"“{said}” can be {' or '.join(shown)}" if readings else \
            f"“{said}” is no date: neither reading of it, day or month first, names a day of a month"
        no_such(reading, phrase, NoSuchDate(said, reason, tuple(shown)))
        return None
    day = readings[0]
    if found.group("lead") in ("since", "from", "after", "starting"):
        return {"kind": "since", "start": (day + timedelta(days=found.group("lead") == "after")).isoformat()}
    return {"kind": "period", "unit": "day", "day": day.isoformat()}


def _numeric_readings(found: re.Match[str]) -> list[date]:
    """Return the dates a numeric date can be: year-first is one; otherwise day-first and month-first."""
    if found.group("iy"):
        orders = [(int(found.group("iy")), int(found.group("im")), int(found.group("id")))]
    else:
        a, b, year = int(found.group("a")), int(found.group("b")), int(found.group("y"))
        year += 2000 if year < 100 else 0
        orders = [(year, b, a), (year, a, b)]
    readings = []
    for year, month, day in orders:
        try:
            readings.append(date(year, month, day))
        except ValueError:
            continue
    return list(dict.fromkeys(readings))


def on_day(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _ON_DAY)
    return _day_window(reading, found, today) if found else None


def _day_window(reading: TimeReading, found: re.Match[str], today: date) -> Window | None:
    day = said_date(found, 1, today)
    if isinstance(day, NoSuchDate):
        no_such(reading, found.group(0).strip(), day)
        return None
    return {"kind": "period", "unit": "day", "day": day.isoformat()} if day else None


def day_alone(reading: TimeReading, today: date) -> Window | None:
    """A day and month said without "on" ("claims 15 march 2026"): that day, not its month. After a count
    ("top 10 march") the number is the count's; after a word an earlier rule reads, the day is reported."""
    for found in _DAY_ALONE.finditer(reading.text):
        before = reading.text[: found.start()].split()
        if found.group("iso1") is None and counted_at(reading.text, found.start()):
            continue
        if before and before[-1] in _DAY_LEADS:
            set_aside(reading, reading.text.rindex(before[-1], 0, found.start()), found.end())
            return None
        taken(reading, found)
        return _day_window(reading, found, today)
    return None
