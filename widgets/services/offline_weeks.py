"""The offline reader's week rules: an ISO week by its number, a week by a day of it, the weekend, and a
weekday. Weeks start on Monday (ISO). A week number no year has ("week 60"), or that the year asked has not
("week 53 2025"), is a ``NoSuchDate``, never the default window.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from widgets.services.offline_date_parts import MONTH_NAMES, NoSuchDate, TimeReading, day_month, said_date, take

Window = dict[str, Any]
WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3,
            "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# A week by its ISO number: "week 44", "wk 44 2025", "w44", "2025 week 44", "2025-w44" (cleaned to "2025 w44").
WEEK_NUMBER = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:iso |calendar )?(?:week|wk|w|cw) ?"
                         r"(?:no |number of |number |num |# ?)?"
                         r"(?P<w>\d{1,2})(?: (?:of )?(?P<y>20\d\d))?(?= )| (?P<y2>20\d\d) (?:week |wk |w ?)(?P<w2>\d{1,2})(?= )"
                         r"| (?:(?:in|for|during) )?(?:the )?(?P<w3>\d{1,2})(?:st|nd|rd|th) (?:iso |calendar )?week"
                         r"(?: of (?:the year )?(?P<y3>20\d\d))?(?= )")
# A week by a day of it: "the week of 26 oct", "week commencing 26 october" and "w/c 26 oct" (from its Monday),
# "week ending 1 nov" and "w/e 1 nov" (the seven days to that day).
_WEEK_OF = re.compile(rf" (?:(?:in|for|during) )?(?:the )?(?:week (?P<of>of|commencing|beginning|starting)|"
                      rf"(?P<wc>w c|wc)|week (?P<ending>ending)|(?P<we>w e)) (?:the )?(?:{day_month(1)})(?= )")
_SINCE_WEEKDAY = re.compile(rf" (?:since|from) (?:last |this )?(?P<d>{_WEEKDAY})(?= )")
_ON_WEEKDAY = re.compile(r" (?:on |last |this past )(?P<d>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?= )")
_WEEKEND = re.compile(r" (?:over |on |during |for )?(?:the |this |last |this past |past )(?:weekend)(?= )")


def week_number(found: re.Match[str]) -> int:
    return int(found.group("w") or found.group("w2") or found.group("w3"))


def _week_of(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _WEEK_OF)
    if not found:
        return None
    day = said_date(found, 1, today)
    if isinstance(day, NoSuchDate):
        reading.impossible.append((found.group(0).strip(), day))
        return None
    if day is None:
        return None
    if found.group("ending") or found.group("we"):
        start, end = day - timedelta(days=6), day
    else:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6)
    return {"kind": "between", "start": start.isoformat(), "end": end.isoformat()}


def _week_by_number(reading: TimeReading, today: date) -> Window | None:
    """An ISO week by its number, Monday to Sunday; without a year, the latest such week that has begun."""
    found = take(reading, WEEK_NUMBER)
    if not found:
        return None
    number, said = week_number(found), found.group(0).strip()
    year = found.group("y") or found.group("y2") or found.group("y3")
    monday = _monday(int(year), number) if year else next(
        (m for y in (today.year, today.year - 1) if (m := _monday(y, number)) is not None and m <= today), None)
    if monday is None:
        reading.impossible.append((said, _no_such_week(number, int(year) if year else None, today, said)))
        return None
    reading.notes.append(f"Week {number} is the ISO week {number} of {monday.isocalendar().year}, Monday to Sunday.")
    return {"kind": "between", "start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat()}


def _monday(year: int, number: int) -> date | None:
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:  # week 53 of a year of 52 weeks, or no week of that number
        return None


def _no_such_week(number: int, year: int | None, today: date, said: str) -> NoSuchDate:
    """Say why no week ``number`` (of ``year``) can be read, with weeks that can."""
    if not 1 <= number <= 53:
        return NoSuchDate(said, f"ISO weeks are numbered 1 to 52 or 53: there is no week {number}",
                          (f"week 1{f' {year}' if year else ''}", f"week 52{f' {year}' if year else ''}"))
    if year is not None:
        return NoSuchDate(said, f"{year} has no ISO week 53: its weeks run 1 to 52", (f"week 52 {year}",))
    latest = next(y for y in range(today.year - 1, 0, -1) if _monday(y, 53) is not None)
    this_year = _monday(today.year, 53)
    begins = f"{today.year} has no week 53 either" if this_year is None else \
        f"week 53 of {today.year} begins on {this_year.day} {MONTH_NAMES[this_year.month - 1][:3]} {this_year.year}"
    return NoSuchDate(said, f"{today.year - 1} had no ISO week 53, and {begins}",
                      (f"week 52 {today.year - 1}", f"week 53 {latest}"))


def _weekend(reading: TimeReading, today: date) -> Window | None:
    if not take(reading, _WEEKEND):
        return None
    saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    if saturday + timedelta(days=1) >= today:  # the weekend is not over: the one before
        saturday -= timedelta(days=7)
    return {"kind": "between", "start": saturday.isoformat(), "end": (saturday + timedelta(days=1)).isoformat()}


def _since_weekday(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _SINCE_WEEKDAY)
    return {"kind": "since", "start": weekday_before(today, found.group("d")).isoformat()} if found else None


def _on_weekday(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _ON_WEEKDAY)
    return {"kind": "period", "unit": "day", "day": weekday_before(today, found.group("d")).isoformat()} if found else None


def weekday_before(today: date, name: str) -> date:
    """Return the latest such weekday before today ("monday" on a Wednesday is two days ago; on a Monday, a week ago)."""
    return today - timedelta(days=(today.weekday() - WEEKDAYS[name]) % 7 or 7)


# In the order the window rules try them: the first two before any span, the others after the halves.
WEEK_RULES: list[Callable[[TimeReading, date], Window | None]] = [_week_of, _week_by_number, _weekend, _since_weekday,
                                                                  _on_weekday]
