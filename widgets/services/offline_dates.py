"""The offline clarifier's reading of time: windows, comparisons and grains in an analyst's words.

Everything here reads normalized text (lower case, words separated by single spaces, padded with a
space at each end, as ``offline_text.normalize`` makes it) and returns what it found with the text
of what it used blanked out, so that "last month" is never read again as a metric or a filter.
Year-less periods ("Q3", "in march") resolve to the latest one that has begun, against *today*.
"""
from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from widgets.services.windows import latest_period

MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
          "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
          "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
           "thirty": 30, "sixty": 60, "ninety": 90, "couple of": 2, "few": 3}
# Spans named by a word of their own: "the past fortnight" is the last 2 weeks.
SPANS = {"fortnight": (2, "week"), "fortnights": (2, "week")}
UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "wk": "week", "wks": "week",
         "month": "month", "months": "month", "mo": "month", "mos": "month", "quarter": "quarter",
         "quarters": "quarter", "qtr": "quarter", "qtrs": "quarter", "year": "year", "years": "year",
         "yr": "year", "yrs": "year"}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = r"\d{1,4}|" + "|".join(sorted(NUMBERS, key=len, reverse=True))
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_DAY = r"(?P<d{i}>\d{{1,2}})(?:st|nd|rd|th)?"
_YEAR = r"(?P<y{i}>20\d\d|19\d\d)"


def _day_month(i: int) -> str:
    """A day and a month either way round ("1 march", "march 1st", "1st of march"), with an optional year."""
    day, year = _DAY.format(i=i), _YEAR.format(i=i)
    return (rf"(?:{day} (?:of )?(?P<m{i}>{_MONTH})|(?P<n{i}>{_MONTH}) {day.replace(f'd{i}', f'e{i}')})"
            rf"(?: {year})?|(?P<iso{i}>\d{{4}}-\d{{2}}-\d{{2}})")


_VS = r"(?:vs\.?|versus|against|compared (?:to|with)|compare(?:d)? (?:to|with)|relative to)"
_COMPARE_YEAR = re.compile(
    rf" (?:{_VS} )?(?:the )?(?:same (?:period|time|quarter|month|week|days?|dates?) (?:a |one )?(?:last|previous|"
    r"prior) year|same (?:period|time|quarter|month|week) a year (?:ago|before|earlier))(?= |$)"
    rf"| {_VS} (?:the )?(?:last year|prior year|previous year|a year (?:ago|before|earlier)|the year before)(?= |$)"
    r"| (?:yoy|y/y|y y|year over year|year on year|year-over-year|year-on-year)(?= |$)")
_COMPARE_PERIOD = re.compile(
    r" (?:vs\.?|versus|against|compared (?:to|with)|compare(?:d)? (?:to|with)|relative to) (?:the )?"
    rf"(?:(?:previous|prior|last|preceding) (?:(?:{_NUM}) )?(?:{_UNIT}|period)|(?:{_UNIT}|period) before|"
    rf"(?:{_UNIT}) prior|prior (?:{_NUM})|previous (?:{_NUM})|one before|before)(?= |$)"
    rf"| (?:with|to) (?:the )?(?:previous|prior|preceding) (?:(?:{_NUM}) )?(?:{_UNIT}|period)?(?= |$)"
    r"| (?:mom|m/m|m m|qoq|q/q|q q|wow|w/w|w w|dod|d d|month over month|quarter over quarter|week over week|"
    r"period over period|month on month|quarter on quarter|week on week)(?= |$)")
_COMPARE_NAMED = re.compile(
    rf" (?:vs\.?|versus|against|compared (?:to|with)|compare(?:d)? (?:to|with)) (?:the same (?:in )?|in )?"
    rf"(?P<what>q[1-4](?: 20\d\d)?|(?:{_MONTH})(?: 20\d\d)?|20\d\d)"
    r"(?: (?:of )?(?:last|previous|prior) year| a year (?:ago|before|earlier)| the year before)?(?= |$)")
_ROLLING = re.compile(
    rf" (?:(?:in|over|for|during|within) )?(?:the )?(?:last|past|previous|trailing|prior|recent|rolling)"
    rf" (?P<n>{_NUM}) (?P<unit>{_UNIT})(?= |$)"
    rf"| (?P<n2>\d{{1,4}}) (?P<unit2>{_UNIT}) (?:rolling|trailing|back)(?= |$)")
_PAST_ONE = re.compile(rf" (?:(?:in|over|for|during) )?(?:the )?past (?P<unit>{_UNIT})(?= |$)")
_SPAN = re.compile(r" (?:(?:in|over|for|during|within) )?(?:the )?(?:last|past|previous|trailing|prior|recent)? ?"
                   rf"(?P<span>{'|'.join(SPANS)})(?= |$)")
_TO_DATE = re.compile(r" (?P<u>w|m|q|y)td(?= |$)| (?P<unit>week|month|quarter|year)[ -]to[ -]date(?= |$)"
                      r"| so far this (?P<unit2>week|month|quarter|year)(?= |$)"
                      r"| this (?P<unit3>week|month|quarter|year) so far(?= |$)")
# One calendar unit, however it is abbreviated ("this wk", "last mo", "prev qtr"): the singular spellings of UNITS.
_ONE_UNIT = "|".join(sorted((w for w, u in UNITS.items() if u != "day" and not w.endswith("s")), key=len, reverse=True))
_CURRENT = re.compile(rf" (?:(?:in|for|during|of) )?(?:this|the current|current)(?:'s)? (?P<unit>{_ONE_UNIT})(?:'s)?"
                      r"(?= |$)")
_PREVIOUS = re.compile(r" (?:(?:in|for|during|of|from) )?(?:the )?(?:last|previous|prev|prior|past) "
                       rf"(?P<unit>{_ONE_UNIT})(?:'s)?(?= |$)")
_TODAY = re.compile(r" (?:(?:for|from|of) )?(?P<w>today|yesterday)(?:'s)?(?= |$)")
_QUARTER = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:q(?P<q>[1-4])|(?P<q2>first|second|third|fourth|1st|2nd|"
                      r"3rd|4th) quarter(?: of)?)(?: (?P<y>20\d\d))?(?= |$)")
_MONTH_PERIOD = re.compile(rf" (?:(?:in|for|during|of|from) )?(?P<m>{_MONTH})(?: (?P<y>20\d\d))?(?= |$)")
_YEAR_PERIOD = re.compile(r" (?:(?:in|for|during|of|from) )?(?P<y>20\d\d|19\d\d)(?= |$)")
_SINCE = re.compile(rf" (?:since|from|starting|after) (?:the )?(?:{_day_month(1)}|(?P<sm>{_MONTH})(?: (?P<sy>20\d\d))?"
                    rf"|(?P<syear>20\d\d))(?= |$)")
_BETWEEN = re.compile(rf" (?:between|from) (?:{_day_month(1)}) (?:and|to|until|till|through|-) "
                      rf"(?:{_day_month(2)})(?= |$)")
_MONTH_RANGE = re.compile(rf" (?:from|between) (?P<m1>{_MONTH}) (?:to|and|until|till|through|-) (?P<m2>{_MONTH})"
                          r"(?: (?P<y>20\d\d))?(?= |$)")
_ON_DAY = re.compile(rf" (?:on|for) (?:the )?(?:{_day_month(1)})(?= |$)")
_START_OF = re.compile(r" since the (?:start|beginning) of the (?P<unit>week|month|quarter|year)(?= |$)")
_ALL_TIME = re.compile(r" (?:of |for |in )?(?:all[ -]time|ever|since the (?:beginning|start)|since records began|"
                       r"entire history|all history|lifetime)(?= |$)")
_GRAINS = {
    "day": re.compile(r" (?:daily|by day|per day|each day|day by day|by date|per date|day over day)(?= |$)"),
    "week": re.compile(r" (?:weekly|by week|per week|each week|week by week|a week|by wk|per wk)(?= |$)"),
    "month": re.compile(r" (?:monthly|by month|per month|each month|month by month|a month|by mo)(?= |$)"),
    "quarter": re.compile(r" (?:quarterly|by quarter|per quarter|each quarter|quarter by quarter|by qtr|per qtr)(?= |$)"),
    "year": re.compile(r" (?:yearly|annually|annual|by year|per year|each year|year by year)(?= |$)"),
}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


@dataclass
class TimeReading:
    window: dict[str, Any] | None = None
    compare: dict[str, Any] | None = None
    grain: str | None = None
    text: str = ""  # the text with what was read blanked out
    words: list[str] = field(default_factory=list)  # what was read, for the interpretation


def read_time(text: str, *, today: date) -> TimeReading:
    """Return the window, comparison and grain ``text`` names, and the text without them."""
    reading = TimeReading(text=text)
    for grain, pattern in _GRAINS.items():
        if _take(reading, pattern):
            reading.grain = grain
            break
    if _take(reading, _COMPARE_YEAR):
        reading.compare = {"kind": "previous_year"}
    elif _take(reading, _COMPARE_PERIOD):
        reading.compare = {"kind": "previous_period"}
    elif (named := _take(reading, _COMPARE_NAMED)) is not None:
        # "q3 vs q2" is the period before; "q3 2026 vs q3 2025", "october vs october last year" a year before.
        target = named.group("what")
        same_name = re.search(rf" {re.escape(target.split()[0])}(?= )", reading.text) is not None
        reading.compare = {"kind": "previous_year" if same_name else "previous_period"}
    reading.window = _window(reading, today)
    if reading.compare and reading.window is None:
        reading.compare = None  # "vs last year" alone: the window it compares is missing
    return reading


def _take(reading: TimeReading, pattern: re.Pattern[str]) -> re.Match[str] | None:
    found = pattern.search(reading.text)
    if found:
        reading.words.append(found.group(0).strip())
        reading.text = reading.text[: found.start()] + " " * (found.end() - found.start()) + reading.text[found.end():]
    return found


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word]


def _window(reading: TimeReading, today: date) -> dict[str, Any] | None:
    found = _take(reading, _START_OF)
    if found:
        return {"kind": "to_date", "unit": found.group("unit")}
    found = _take(reading, _MONTH_RANGE)
    if found:
        first, last = MONTHS[found.group("m1")], MONTHS[found.group("m2")]
        year = int(found.group("y")) if found.group("y") else latest_period(today, month=last)
        start = date(year if first <= last else year - 1, first, 1)
        end = date(year, last, monthrange(year, last)[1])
        return {"kind": "between", "start": start.isoformat(), "end": min(end, today).isoformat()}
    found = _take(reading, _ON_DAY)
    if found and (day := _date(found, 1, today)) is not None:
        return {"kind": "period", "unit": "day", "day": day.isoformat()}
    found = _take(reading, _BETWEEN)
    if found:
        start, end = _date(found, 1, today), _date(found, 2, today)
        if start and end and found.group("y2") and not found.group("y1") and not found.group("iso1"):
            start = start.replace(year=end.year)  # "from 1 march to 15 april 2026": one year for both
        if start and end:
            if start > end:
                start = start.replace(year=start.year - 1)
            return {"kind": "between", "start": start.isoformat(), "end": end.isoformat()}
    found = _take(reading, _ROLLING)
    if found:
        n = _number(found.group("n") or found.group("n2"))
        unit = UNITS[found.group("unit") or found.group("unit2")]
        return {"kind": "rolling", "n": max(1, n), "unit": unit}
    found = _take(reading, _SPAN)
    if found:
        n, unit = SPANS[found.group("span")]
        return {"kind": "rolling", "n": n, "unit": unit}
    found = _take(reading, _TO_DATE)
    if found:
        unit = found.group("unit") or found.group("unit2") or found.group("unit3") or {
            "w": "week", "m": "month", "q": "quarter", "y": "year"}[found.group("u")]
        return {"kind": "to_date", "unit": unit}
    found = _take(reading, _TODAY)
    if found:
        return {"kind": "current" if found.group("w") == "today" else "previous", "unit": "day"}
    found = _take(reading, _SINCE)
    if found:
        return _since(found, today)
    found = _take(reading, _CURRENT)
    if found:
        return {"kind": "current", "unit": UNITS.get(found.group("unit"), found.group("unit"))}
    found = _take(reading, _PAST_ONE)
    if found:
        return {"kind": "rolling", "n": 1, "unit": UNITS[found.group("unit")]}
    found = _take(reading, _PREVIOUS)
    if found:
        return {"kind": "previous", "unit": UNITS.get(found.group("unit"), found.group("unit"))}
    found = _take(reading, _QUARTER)
    if found:
        quarter = int(found.group("q")) if found.group("q") else _ORDINALS[found.group("q2")]
        year = int(found.group("y")) if found.group("y") else latest_period(today, quarter=quarter)
        return {"kind": "period", "unit": "quarter", "year": year, "quarter": quarter}
    found = _month_period(reading)
    if found:
        month = MONTHS[found.group("m")]
        year = int(found.group("y")) if found.group("y") else latest_period(today, month=month)
        return {"kind": "period", "unit": "month", "year": year, "month": month}
    found = _take(reading, _YEAR_PERIOD)
    if found:
        return {"kind": "period", "unit": "year", "year": int(found.group("y"))}
    if _take(reading, _ALL_TIME):
        return {"kind": "all"}
    return None


def _month_period(reading: TimeReading) -> re.Match[str] | None:
    """A month name as a period; "may" and "mar" only after a preposition or before a year (they are words too)."""
    for found in _MONTH_PERIOD.finditer(reading.text):
        word = found.group("m")
        lead = found.group(0).strip().split(" ")[0]
        if word in ("may", "mar", "jun", "sep", "dec", "jan", "oct", "nov", "aug", "apr", "feb", "jul") and \
                lead == word and not found.group("y"):
            continue
        reading.words.append(found.group(0).strip())
        reading.text = reading.text[: found.start()] + " " * (found.end() - found.start()) + reading.text[found.end():]
        return found
    return None


def _since(found: re.Match[str], today: date) -> dict[str, Any] | None:
    if found.group("syear"):
        return {"kind": "since", "start": date(int(found.group("syear")), 1, 1).isoformat()}
    if found.group("sm"):
        month = MONTHS[found.group("sm")]
        year = int(found.group("sy")) if found.group("sy") else latest_period(today, month=month)
        return {"kind": "since", "start": date(year, month, 1).isoformat()}
    start = _date(found, 1, today)
    return {"kind": "since", "start": start.isoformat()} if start else None


def _date(found: re.Match[str], i: int, today: date) -> date | None:
    """Return the i-th date of a match; a year-less date is the latest such day not after today."""
    groups = found.groupdict()
    if groups.get(f"iso{i}"):
        try:
            return date.fromisoformat(groups[f"iso{i}"])
        except ValueError:
            return None
    month_word = groups.get(f"m{i}") or groups.get(f"n{i}")
    day_word = groups.get(f"d{i}") or groups.get(f"e{i}")
    if not month_word or not day_word:
        return None
    month, day = MONTHS[month_word], int(day_word)
    try:
        if groups.get(f"y{i}"):
            return date(int(groups[f"y{i}"]), month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate <= today else date(today.year - 1, month, day)
    except ValueError:
        return None
