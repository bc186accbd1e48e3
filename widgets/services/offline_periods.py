"""The offline reader's window rules: each reads one way of naming a period, in order, from a ``TimeReading``.

A rule blanks out the words it used and returns the window they name. A rule whose words name no period
that exists ("29 feb 2025", "q5", "week 53" of a year of 52 weeks) keeps them with the reading's
``impossible``, never as another period; words that name only an end ("before march") are kept as
``unread``. ``window_of`` tries the rules in order until one gives a window or none uses any more words,
so a period said after an impossible one (an answer to the question it raised) is still read.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from widgets.services.offline_date_parts import (
    MONTH,
    MONTH_NAMES,
    MONTHS,
    NUM,
    UNIT,
    UNITS,
    YEAR,
    NoSuchDate,
    TimeReading,
    counted_at,
    day_month,
    no_such,
    number,
    said_date,
    set_aside,
    take,
    taken,
)
from widgets.services.offline_days import day_alone, numeric_date, on_day
from widgets.services.offline_ranges import QUARTER_ORDINALS, no_such_quarter, take_span
from widgets.services.offline_weeks import WEEK_RULES
from widgets.services.windows import latest_period

Window = dict[str, Any]
Rule = Callable[[TimeReading, date], Window | None]

SPANS = {"fortnight": (2, "week"), "fortnights": (2, "week")}  # spans named by a word of their own
_ANY_YEAR = r"[1-9]\d{3}"  # after "since" or "in", four digits are a year, however far from the data
_QUARTER_NAME = r"q[1-4]|(?:first|second|third|fourth|1st|2nd|3rd|4th) quarter"
_ROLLING = re.compile(
    rf" (?:(?:in|over|for|during|within) )?(?:the )?(?:last|past|previous|prev|trailing|prior|recent|rolling)"
    rf" (?P<n>{NUM}) (?P<unit>{UNIT})(?= |$)"
    rf"| (?P<n2>\d{{1,4}}) (?P<unit2>{UNIT}) (?:rolling|trailing|back)(?= |$)"
    rf"| since (?P<n3>{NUM}) (?P<unit3>{UNIT}) ago(?= |$)")
_PAST_ONE = re.compile(rf" (?:(?:in|over|for|during) )?(?:the )?past (?P<unit>{UNIT})(?= |$)")
_SPAN_WORD = re.compile(r" (?:(?:in|over|for|during|within) )?(?:the )?(?:last|past|previous|trailing|prior|recent)? ?"
                        rf"(?P<span>{'|'.join(SPANS)})(?= |$)")
_TO_DATE = re.compile(r" (?P<u>w|m|q|y)td(?= |$)| (?:the )?(?P<unit>week|month|quarter|year|wk|mo|qtr|yr)[ -]to[ -]date(?= |$)"
                      r"| so far this (?P<unit2>week|month|quarter|year)(?= |$)"
                      r"| this (?P<unit3>week|month|quarter|year) so far(?= |$)")
# One calendar unit, however it is abbreviated ("this wk", "last mo", "prev qtr"): the singular spellings of UNITS.
_ONE_UNIT = "|".join(sorted((w for w, u in UNITS.items() if u != "day" and not w.endswith("s")), key=len, reverse=True))
_CURRENT = re.compile(rf" (?:(?:in|for|during|of) )?(?:this|the current|current)(?:'s)? (?P<unit>{_ONE_UNIT})(?:'s)?"
                      r"(?= |$)")
_PREVIOUS = re.compile(r" (?:(?:in|for|during|of|from) )?(?:the )?(?:last|previous|prev|prior|past) "
                       rf"(?P<unit>{_ONE_UNIT})(?:'s)?(?= |$)")
# "until today", "through today": the end of a span from a date, which "to date" reads; not the day itself.
_TODAY = re.compile(r"(?<! to)(?<! until)(?<! till)(?<! through)(?<! thru) (?:(?:for|from|of) )?(?P<w>today|yesterday)"
                    r"(?:'s)?(?= |$)")
_QUARTER = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:q(?P<q>\d)|quarter (?P<q3>\d)|(?P<q2>first|second|third|"
                      r"fourth|1st|2nd|3rd|4th) quarter(?: of)?|(?P<q4>fifth|sixth|\d+(?:st|nd|rd|th)) quarter(?: of)?)"
                      rf"(?: (?P<y>{YEAR}))?(?= |$)")
# "the last quarter of 2025" is its fourth quarter, not the quarter before this one.
_END_OF_YEAR = re.compile(r" (?:(?:in|for|during) )?(?:the )?(?P<which>first|last|final) (?P<unit>quarter|qtr|month|week|wk)"
                          rf" of (?:the year )?(?P<y>{YEAR})(?= |$)")
_MONTH_PERIOD = re.compile(rf" (?:(?:in|for|during|of|from) )?(?P<m>{MONTH})(?: (?P<y>{YEAR}))?(?= |$)")
_MONTH_NUMBER = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:(?:calendar )?month (?:no |number |# ?)?(?P<n>\d{1,2})"
                           r"|(?P<n2>\d{1,2})(?:st|nd|rd|th) (?:calendar )?month(?: of)?)"
                           rf"(?: (?:of )?(?P<y>{YEAR}))?(?= |$)")
_YEAR_PERIOD = re.compile(rf" (?:(?:in|for|during|of|from) )?(?P<y>{YEAR})(?= |$)| (?:in|during) (?P<y2>{_ANY_YEAR})(?= |$)")
_SINCE = re.compile(rf" (?P<lead>since|from|starting|after) (?:the )?(?:{day_month(1)}|(?P<sm>{MONTH})(?: (?P<sy>{YEAR}))?"
                    rf"|(?P<syear>{YEAR})|(?<=since )(?P<far>{_ANY_YEAR}))(?= |$)")
# "since 50": a number after "since" that is no year, no day of a month and no count of units.
_SINCE_NUMBER = re.compile(rf" since (?:the )?(?P<n>\d{{1,3}}|\d{{5,}})(?! ?(?:st|nd|rd|th|%|k\b|m\b)| (?:of )?(?:{MONTH}"
                           rf"|{UNIT}|days?|percent|dollars?)(?= ))(?= )")
# An amount range starting with a year-like number ("from 2000 to 5000") is no date.
_AMOUNT_NEXT = re.compile(r" (?:to|and|through|thru|-) \$? ?(?!(?:19|20)\d\d )\d")
_START_OF = re.compile(r" (?:since|from) (?:the )?(?:start|beginning) of (?:the |this )?(?P<unit>week|month|quarter|year)"
                       r"(?: to date)?(?= |$)")
_ALL_TIME = re.compile(r" (?:of |for |in )?(?:all[ -]time|ever|since the (?:beginning|start)|since records began|"
                       r"since inception|inception to date|itd|life to date|"
                       r"entire history|all history|lifetime)(?= |$)")
_HALF = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:h(?P<h>\d)|(?P<half>first|second|1st|2nd) half)"
                   r"(?: of)?(?: (?:the )?(?P<rel>this|last|previous|prior|current) (?:year|yr)| (?P<y>20\d\d)| the year)?(?= )")
# "before october", "until 15 march": an end with no start, which no window here says; kept unread, so it is reported.
_OPEN_END = re.compile(rf" (?:before|until|till|up to|prior to) (?:the )?(?:end of )?(?:{day_month(1)}|{_QUARTER_NAME}|"
                       rf"{MONTH}|{_ANY_YEAR})(?: {YEAR})?(?= )")
# Shorthand windows: "l30d", "last 30d", "past 12m", "ttm" (the trailing twelve months).
_SHORT_ROLLING = re.compile(r" (?:l(?P<n>\d{1,3})(?P<u>d|w|m|q|y)|(?:last|past|trailing|prev|previous) (?P<n2>\d{1,3}) ?"
                            r"(?P<u2>d|w|m|q|y)|(?P<ttm>ttm|ltm|trailing twelve months|trailing 12m))(?= )")
# "the last 7" with no unit, at the end of the request or of its window: days, said as an assumption.
_NO_UNIT = re.compile(r" (?:in |over |for )?(?:the )?(?:last|past|trailing|prev|previous) (?P<n>\d{1,3})"
                      r"(?= (?:by|per|for|in|from|across|split|broken|and|vs|please|pls)(?= )| *$)")
_SHORT_UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}
_AMOUNT_AFTER = re.compile(r" (?:or (?:more|less|over|under|above|below)|and (?:up|above|over|under|below)|k|m|"
                           r"dollars?|usd|grand)(?= )")


def window_of(reading: TimeReading, today: date) -> Window | None:
    """Return the window of the first rule that reads one. A rule that uses words without giving a window
    (a period that does not exist, an open end) starts the rules again on the words left, so each phrase is
    read by the first rule that can read it ("since 31 april; since 30 april": the second is a since)."""
    while True:
        for rule in _RULES:
            said = reading.text
            window = rule(reading, today)
            if window is not None:
                return window
            if reading.text != said:
                break
        else:
            return None


def _start_of(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _START_OF)
    return {"kind": "to_date", "unit": found.group("unit")} if found else None


def _short_rolling(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _SHORT_ROLLING)
    if not found:
        return None
    if found.group("ttm"):
        return {"kind": "rolling", "n": 12, "unit": "month"}
    n, unit = int(found.group("n") or found.group("n2")), _SHORT_UNITS[found.group("u") or found.group("u2")]
    return _rolling_of(reading, found, n, unit)


def _rolling_of(reading: TimeReading, found: re.Match[str], n: int, unit: str) -> Window | None:
    """Return the last ``n`` units; none at all ("the last 0 days") is no period, and is asked about."""
    if n < 1:
        said = found.group(0).strip()
        no_such(reading, said, NoSuchDate(said, f"“{said}” is no period: a window is at least one {unit} long",
                                          (f"last 1 {unit}", f"last 7 {unit}s")))
        return None
    return {"kind": "rolling", "n": n, "unit": unit}


def _span(reading: TimeReading, today: date) -> Window | None:
    reading.text, read, said = take_span(reading.text, today, counted=lambda offset: counted_at(reading.text, offset))
    if read is None:
        return None
    reading.words.append(said)
    if isinstance(read, NoSuchDate):
        no_such(reading, said, read)
        return None
    return read


def _open_end(reading: TimeReading, today: date) -> Window | None:
    for found in list(_OPEN_END.finditer(reading.text)):
        set_aside(reading, found.start(), found.end())
    return None


def _half(reading: TimeReading, today: date) -> Window | None:
    """A half year ("h1 2025", "the second half of last year"); without a year, the latest that has begun."""
    found = take(reading, _HALF)
    if not found:
        return None
    if found.group("h") not in (None, "1", "2"):
        no_such(reading, found.group(0).strip(), NoSuchDate(f"h{found.group('h')}",
                                                           f"A year has two halves: there is no H{found.group('h')}",
                                                           ("h1", "h2")))
        return None
    second = found.group("h") == "2" or found.group("half") in ("second", "2nd")
    if found.group("y"):
        year = int(found.group("y"))
    elif found.group("rel") in ("last", "previous", "prior"):
        year = today.year - 1
    else:
        year = today.year if not second or today.month >= 7 else today.year - 1
    start, end = (date(year, 7, 1), date(year, 12, 31)) if second else (date(year, 1, 1), date(year, 6, 30))
    return {"kind": "between", "start": start.isoformat(), "end": end.isoformat()}


def _rolling(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _ROLLING)
    if not found:
        return None
    n = number(found.group("n") or found.group("n2") or found.group("n3"))
    return _rolling_of(reading, found, n, UNITS[found.group("unit") or found.group("unit2") or found.group("unit3")])


def _no_unit(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _NO_UNIT)
    if not found:
        return None
    n = int(found.group("n"))
    window = _rolling_of(reading, found, n, "day")
    if window is not None:
        reading.notes.append(f"“{found.group(0).strip()}” names no unit: read as the last {n} days.")
    return window


def _span_word(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _SPAN_WORD)
    if not found:
        return None
    n, unit = SPANS[found.group("span")]
    return {"kind": "rolling", "n": n, "unit": unit}


def _to_date(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _TO_DATE)
    if not found:
        return None
    unit = UNITS.get(found.group("unit") or "") or found.group("unit2") or found.group("unit3") or {
        "w": "week", "m": "month", "q": "quarter", "y": "year"}[found.group("u")]
    return {"kind": "to_date", "unit": unit}


def _today(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _TODAY)
    return {"kind": "current" if found.group("w") == "today" else "previous", "unit": "day"} if found else None


def _since(reading: TimeReading, today: date) -> Window | None:
    """Since a day, a month or a year, the first day of it on ("from march"); "after" starts the day, month
    or year after it. A number after "since" that names no date ("since 50") is asked about."""
    for found in _SINCE.finditer(reading.text):
        if (found.group("syear") or found.group("far")) and _AMOUNT_NEXT.match(reading.text, found.end()):
            continue  # "from 2000 to 5000": an amount range
        taken(reading, found)
        start = _since_start(found, today)
        if isinstance(start, NoSuchDate):
            no_such(reading, found.group(0).strip(), start)
            return None
        return {"kind": "since", "start": start.isoformat()} if start else None
    if no_date := take(reading, _SINCE_NUMBER):
        said = no_date.group(0).strip()
        no_such(reading, said, NoSuchDate(said, f"“{said}” names no date: a year has four digits (since 2025), "
                                                "a day its month (since 1 march)"))
    return None


def _since_start(found: re.Match[str], today: date) -> date | NoSuchDate | None:
    after = found.group("lead") == "after"
    if year := found.group("syear") or found.group("far"):
        return date(int(year) + after, 1, 1) if int(year) + after <= 9998 else None
    if found.group("sm"):
        month = MONTHS[found.group("sm")]
        year_of = int(found.group("sy")) if found.group("sy") else latest_period(today, month=month)
        start = date(year_of, month, 1)
        return date(year_of + month // 12, month % 12 + 1, 1) if after else start
    start = said_date(found, 1, today)
    return start + timedelta(days=1) if after and isinstance(start, date) else start


def _current(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _CURRENT)
    return {"kind": "current", "unit": UNITS.get(found.group("unit"), found.group("unit"))} if found else None


def _past_one(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _PAST_ONE)
    return {"kind": "rolling", "n": 1, "unit": UNITS[found.group("unit")]} if found else None


def _end_of_year(reading: TimeReading, today: date) -> Window | None:
    """The first or last quarter, month or week of a year said by its number."""
    found = take(reading, _END_OF_YEAR)
    if not found:
        return None
    year, first, unit = int(found.group("y")), found.group("which") == "first", UNITS[found.group("unit")]
    if unit == "quarter":
        return {"kind": "period", "unit": "quarter", "year": year, "quarter": 1 if first else 4}
    if unit == "month":
        return {"kind": "period", "unit": "month", "year": year, "month": 1 if first else 12}
    day = date(year, 1, 4) if first else date(year, 12, 28)  # always in the year's first and last ISO weeks
    monday = day - timedelta(days=day.weekday())
    reading.notes.append(f"The {found.group('which')} week of {year} is its ISO week "
                         f"{monday.isocalendar().week}, Monday to Sunday.")
    return {"kind": "between", "start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat()}


def _previous(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _PREVIOUS)
    return {"kind": "previous", "unit": UNITS.get(found.group("unit"), found.group("unit"))} if found else None


def _quarter(reading: TimeReading, today: date) -> Window | None:
    found = take(reading, _QUARTER)
    if not found:
        return None
    quarter = _ordinal(found.group("q") or found.group("q3") or found.group("q4") or found.group("q2"))
    if not 1 <= quarter <= 4:
        no_such(reading, found.group(0).strip(), no_such_quarter(quarter))
        return None
    year = int(found.group("y")) if found.group("y") else latest_period(today, quarter=quarter)
    return {"kind": "period", "unit": "quarter", "year": year, "quarter": quarter}


def _ordinal(word: str) -> int:
    """Return the number a quarter is said by: "3", "third", "3rd", "fifth"."""
    if word in QUARTER_ORDINALS:
        return QUARTER_ORDINALS[word]
    return {"fifth": 5, "sixth": 6}.get(word) or int(word.rstrip("stndrh"))


def _month_number(reading: TimeReading, today: date) -> Window | None:
    """A month by its number in the year ("month 3"), said as such in the assumptions; "month 13" is none."""
    found = take(reading, _MONTH_NUMBER)
    if not found:
        return None
    month, said = int(found.group("n") or found.group("n2")), found.group(0).strip()
    if not 1 <= month <= 12:
        no_such(reading, said, NoSuchDate(f"month {month}", f"A year has 12 months: there is no month {month}",
                                          ("month 1", "month 12")))
        return None
    year = int(found.group("y")) if found.group("y") else latest_period(today, month=month)
    reading.notes.append(f"Month {month} is read as {MONTH_NAMES[month - 1]} {year}.")
    return {"kind": "period", "unit": "month", "year": year, "month": month}


def _month_period(reading: TimeReading, today: date) -> Window | None:
    """A month name as a period; a bare abbreviation ("may", "mar", "jan") only after a preposition or before a
    year (they are words too)."""
    for found in _MONTH_PERIOD.finditer(reading.text):
        word = found.group("m")
        lead = found.group(0).strip().split(" ")[0]
        if word in ("may", "mar", "jun", "sep", "dec", "jan", "oct", "nov", "aug", "apr", "feb", "jul") and \
                lead == word and not found.group("y"):
            continue
        taken(reading, found)
        month = MONTHS[word]
        year = int(found.group("y")) if found.group("y") else latest_period(today, month=month)
        return {"kind": "period", "unit": "month", "year": year, "month": month}
    return None


def _year_period(reading: TimeReading, today: date) -> Window | None:
    """A year as a period ("in 2025", "2024", "in 1850"), unless the number is an amount ("claims over $2000",
    "claims of 2000 or more")."""
    for found in _YEAR_PERIOD.finditer(reading.text):
        bare = found.group(0).strip().isdigit()
        if (bare and counted_at(reading.text, found.start())) or _AMOUNT_AFTER.match(reading.text, found.end()) or \
                _AMOUNT_NEXT.match(reading.text, found.end()):
            continue
        taken(reading, found)
        return {"kind": "period", "unit": "year", "year": int(found.group("y") or found.group("y2"))}
    return None


def _all_time(reading: TimeReading, today: date) -> Window | None:
    return {"kind": "all"} if take(reading, _ALL_TIME) else None


_RULES: list[Rule] = [_start_of, *WEEK_RULES[:2], _short_rolling, _span, numeric_date, on_day, _open_end, _half,
                      *WEEK_RULES[2:], _rolling, _no_unit, _span_word, _to_date, _today, _since, _current, _past_one, _end_of_year,
                      _previous, day_alone, _quarter, _month_number, _month_period, _year_period, _all_time]
