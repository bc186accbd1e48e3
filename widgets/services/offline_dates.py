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
from datetime import date, timedelta
from typing import Any

from widgets.services.windows import DEFAULT_WINDOW_SAID, TimeWindow, latest_period, resolve

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
    r"| (?:yoy|y/y|y y|y o y|year over year|year on year|year-over-year|year-on-year)%?(?= |$)"
    rf"| {_VS} (?:ly|py|sply|stly)(?= |$)")  # "vs LY", "vs PY": last (prior) year; "vs SPLY": same period last year
_COMPARE_PERIOD = re.compile(
    r" (?:vs\.?|versus|against|compared (?:to|with)|compare(?:d)? (?:to|with)|relative to) (?:the )?"
    rf"(?:(?:previous|prior|last|preceding) (?:(?:{_NUM}) )?(?:{_UNIT}|period)|(?:{_UNIT}|period) before|"
    rf"(?:{_UNIT}) prior|prior (?:{_NUM})|previous (?:{_NUM})|one before|before|lw|lm|lq|pw|pm|pq|pp|"
    r"prior|prev|previous)(?= |$)"
    rf"| (?:with|to) (?:the )?(?:previous|prior|preceding) (?:(?:{_NUM}) )?(?:{_UNIT}|period)?(?= |$)"
    r"| (?:mom|m/m|m m|m o m|qoq|q/q|q q|q o q|wow|w/w|w w|w o w|dod|d d|d o d|pop|month over month|"
    r"quarter over quarter|week over week|period over period|month on month|quarter on quarter|week on week)%?(?= |$)")
_COMPARE_NAMED = re.compile(
    rf" (?:vs\.?|versus|against|compared (?:to|with)|compare(?:d)? (?:to|with)) (?:the same (?:in )?|in )?"
    rf"(?P<what>q[1-4](?: 20\d\d)?|(?:{_MONTH})(?: 20\d\d)?|20\d\d|(?:week|wk|w) ?\d{{1,2}}(?: 20\d\d)?)"
    r"(?: (?:of )?(?:last|previous|prior) year| a year (?:ago|before|earlier)| the year before)?(?= |$)")
_ROLLING = re.compile(
    rf" (?:(?:in|over|for|during|within) )?(?:the )?(?:last|past|previous|prev|trailing|prior|recent|rolling)"
    rf" (?P<n>{_NUM}) (?P<unit>{_UNIT})(?= |$)"
    rf"| (?P<n2>\d{{1,4}}) (?P<unit2>{_UNIT}) (?:rolling|trailing|back)(?= |$)")
_PAST_ONE = re.compile(rf" (?:(?:in|over|for|during) )?(?:the )?past (?P<unit>{_UNIT})(?= |$)")
_SPAN = re.compile(r" (?:(?:in|over|for|during|within) )?(?:the )?(?:last|past|previous|trailing|prior|recent)? ?"
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
_START_OF = re.compile(r" (?:since|from) (?:the )?(?:start|beginning) of (?:the |this )?(?P<unit>week|month|quarter|year)"
                       r"(?: to date)?(?= |$)")
_ALL_TIME = re.compile(r" (?:of |for |in )?(?:all[ -]time|ever|since the (?:beginning|start)|since records began|"
                       r"since inception|inception to date|itd|life to date|"
                       r"entire history|all history|lifetime)(?= |$)")
_GRAINS = {
    "day": re.compile(r" (?:daily|by day|per day|each day|day by day|by date|per date|day over day)(?= |$)"),
    "week": re.compile(r" (?:weekly|by week|per week|each week|week by week|a week|by wk|per wk|week ?wise)(?= |$)"),
    "month": re.compile(r" (?:monthly|by month|per month|each month|month by month|a month|by mo|month ?wise)(?= |$)"),
    "quarter": re.compile(r" (?:quarterly|by quarter|per quarter|each quarter|quarter by quarter|by qtr|per qtr)(?= |$)"),
    "year": re.compile(r" (?:yearly|annually|annual|by year|per year|each year|year by year)(?= |$)"),
}
# A grain named as the last of a breakdown's terms ("by region and month", "per channel & week"): the unit
# after "and" when a "by"/"per" begins the list, not a window of it ("and month to date", "and last month").
_GRAIN_LAST = {grain: re.compile(rf"(?P<list> (?:by|per) [a-z]+(?: [a-z]+){{0,2}}?) (?:and|&) {grain}s?"
                                 rf"(?! to date| so far)(?= |$)")
               for grain in ("day", "week", "month", "quarter", "year")}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3,
            "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_QUARTER_NAME = r"q[1-4]|(?:first|second|third|fourth|1st|2nd|3rd|4th) quarter"
# A named period with its year said in words ("q3 of last year", "october this year", "last year's march"):
# rewritten with the year as a number, so the period rules read it like "q3 2025".
_YEAR_IN_WORDS = re.compile(
    rf" (?P<what>{_QUARTER_NAME}|{_MONTH}|(?:week|wk) \d{{1,2}})(?: of)? (?:the )?(?P<rel>last|previous|prior|this|current)"
    r" (?:year|yr)(?= )"
    rf"| (?P<rel2>last|previous|prior|this) (?:year|yr) (?P<what2>{_QUARTER_NAME}|{_MONTH})(?= )")
_YEAR_FIRST = re.compile(rf" (?P<y>20\d\d) (?P<what>q[1-4]|{_MONTH})(?= )")
# Words that only stress a calendar period: "last full month", "the previous complete quarter", "calendar year 2025".
_WHOLE = re.compile(r"(?<= )(?:the )?(?:(?:full|calendar) )?year (?P<kept3>20\d\d)(?= )"
                    r"|(?<= )(?:(?:full|complete|completed|whole|entire|calendar) )+(?P<kept>(?:week|wk|month|mo|quarter|"
                    r"qtr|year|yr)s?|20\d\d)(?= )|(?<= )(?:the )?(?:calendar )?(?:year|month) of (?P<kept2>20\d\d|" + _MONTH +
                    r")(?= )")
_HALF = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:h(?P<h>[12])|(?P<half>first|second|1st|2nd) half)"
                   r"(?: of)?(?: (?:the )?(?P<rel>this|last|previous|prior|current) (?:year|yr)| (?P<y>20\d\d)| the year)?(?= )")
_RANGE_WORDS = r"(?:to|through|thru|till|until|-)"
_QUARTER_RANGE = re.compile(rf" (?:(?:from|between|in|for|during) )?(?:the )?q(?P<q1>[1-4]) (?:{_RANGE_WORDS}|and) "
                            r"q(?P<q2>[1-4])(?: (?P<y>20\d\d))?(?= )")
_TWO_MONTHS = re.compile(rf" (?:(?:in|for|during) )?(?P<m1>{_MONTH}) (?:and|{_RANGE_WORDS}) (?P<m2>{_MONTH})"
                         r"(?: (?P<y>20\d\d))?(?= )")
# "before october", "until q3": an end with no start, which no window here says; left unread, so it is reported.
_OPEN_END = re.compile(rf" (?:before|until|till|up to|prior to) (?:the )?(?:end of )?(?:{_QUARTER_NAME}|{_MONTH}|"
                       r"20\d\d)(?: 20\d\d)?(?= )")
_SINCE_WEEKDAY = re.compile(rf" (?:since|from) (?:last |this )?(?P<d>{_WEEKDAY})(?= )")
_ON_WEEKDAY = re.compile(r" (?:on |last |this past )(?P<d>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?= )")
_WEEKEND = re.compile(r" (?:over |on |during |for )?(?:the |this |last |this past |past )(?:weekend)(?= )")
# Shorthand windows: "l30d", "last 30d", "past 12m", "ttm" (the trailing twelve months).
_SHORT_ROLLING = re.compile(r" (?:l(?P<n>\d{1,3})(?P<u>d|w|m|q|y)|(?:last|past|trailing|prev|previous) (?P<n2>\d{1,3}) ?"
                            r"(?P<u2>d|w|m|q|y)|(?P<ttm>ttm|ltm|trailing twelve months|trailing 12m))(?= )")
_SHORT_UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}


# A week by its ISO number: "week 44", "wk 44 2025", "w44", "2025-w44" (cleaned to "2025 w44").
_WEEK_NUMBER = re.compile(r" (?:(?:in|for|during|of) )?(?:the )?(?:iso |calendar )?(?:week|wk|w|cw) ?"
                          r"(?:no |number of |number |num |# ?)?"
                          r"(?P<w>\d{1,2})(?: (?:of )?(?P<y>20\d\d))?(?= )| (?P<y2>20\d\d) w ?(?P<w2>\d{1,2})(?= )"
                          r"| (?:(?:in|for|during) )?(?:the )?(?P<w3>\d{1,2})(?:st|nd|rd|th) (?:iso |calendar )?week"
                          r"(?: of (?:the year )?(?P<y3>20\d\d))?(?= )")
# A week by a day of it: "the week of 26 oct", "week commencing 26 october" and "w/c 26 oct" (from its Monday),
# "week ending 1 nov" and "w/e 1 nov" (the seven days to that day).
_WEEK_OF = re.compile(rf" (?:(?:in|for|during) )?(?:the )?(?:week (?P<of>of|commencing|beginning|starting)|"
                      rf"(?P<wc>w c|wc)|week (?P<ending>ending)|(?P<we>w e)) (?:the )?(?:{_day_month(1)})(?= )")
# A fiscal year: "fy2025", "fy 25", "fiscal 2025", "fiscal year 2025", "this fiscal year", "last fy", "fytd".
_FISCAL = re.compile(r"(?<= )(?:fy ?(?P<y>20\d\d|\d\d)|fiscal (?:year |yr )?(?P<y2>20\d\d|\d\d)"
                     r"|(?P<rel>this|current|last|previous|prior) (?:fiscal (?:year|yr)|fy)"
                     r"|(?P<td>fytd|fiscal ytd|fiscal year to date|fy to date))(?= )")
# "to date" with no period before it ("total paid to date"): up to today from the start of the data.
_BARE_TO_DATE = re.compile(r" (?:(?:up )?(?:to|till|until|til) date|todate|(?:up )?(?:to|till|until) now|to this day)(?= )")


@dataclass
class TimeReading:
    window: dict[str, Any] | None = None
    compare: dict[str, Any] | None = None
    grain: str | None = None
    text: str = ""  # the text with what was read blanked out
    words: list[str] = field(default_factory=list)  # what was read, for the interpretation
    notes: list[str] = field(default_factory=list)  # what the reading assumed, to be listed as assumptions


def read_time(text: str, *, today: date) -> TimeReading:
    """Return the window, comparison and grain ``text`` names, and the text without them."""
    reading = TimeReading()
    reading.text = _years_said(_WHOLE.sub(_kept, _fiscal_said(text, reading.notes)), today)
    for grain, pattern in _GRAINS.items():
        if _take(reading, pattern):
            reading.grain = grain
            break
    else:
        for grain, pattern in _GRAIN_LAST.items():
            if found := pattern.search(reading.text):
                reading.text = reading.text[:found.start()] + found.group("list") + reading.text[found.end():]
                reading.grain = grain
                break
    if (compared := _take(reading, _COMPARE_YEAR)) is not None:
        reading.compare = {"kind": "previous_year"}
    elif (compared := _take(reading, _COMPARE_PERIOD)) is not None:
        reading.compare = {"kind": "previous_period"}
    elif (named := _take(reading, _COMPARE_NAMED)) is not None:
        # "q3 vs q2" is the period before; "q3 2026 vs q3 2025", "october vs october last year" a year before.
        target = named.group("what")
        same_name = re.search(rf" {re.escape(target.split()[0])}(?= )", reading.text) is not None
        if (week := re.fullmatch(r"(?:week|wk|w) ?(\d{1,2})(?: 20\d\d)?", target)) is not None:  # "week 44 vs week 43"
            said = [int(f.group("w") or f.group("w2") or f.group("w3")) for f in _WEEK_NUMBER.finditer(reading.text)]
            same_name = int(week.group(1)) in said
        reading.compare = {"kind": "previous_year" if same_name else "previous_period"}
    reading.window = _window(reading, today)
    reading.text = reading.text.lower()  # the open ends kept from the rules (see _OPEN_END)
    _to_date_words(reading, today)
    if reading.compare and reading.window is None and compared is not None:
        _window_of_comparison(reading, compared.group(0))  # "mom", "vs last year" alone
    return reading


def _to_date_words(reading: TimeReading, today: date) -> None:
    """Read "to date" with no period before it ("total paid to date") as all time, saying so; after a
    window that runs to today ("since march to date") the words add nothing and are used up."""
    found = _BARE_TO_DATE.search(reading.text)
    if found is None:
        return
    if reading.window is None:
        reading.window = {"kind": "all"}
        reading.notes.append(f"“{found.group(0).strip()}” with no period before it: all time, up to today.")
    elif not _runs_to_today(reading.window, today):
        return  # "last month to date" says something else: left to be reported
    _take(reading, _BARE_TO_DATE)


def _runs_to_today(window: dict[str, Any], today: date) -> bool:
    """Tell whether a window ends with today ("since march", "2026", "this quarter", all time)."""
    if window.get("kind") == "all":
        return True
    try:
        return resolve(TimeWindow.model_validate(window), today=today).window.end == today + timedelta(days=1)
    except ValueError:
        return False


def _window_of_comparison(reading: TimeReading, said: str) -> None:
    """Give a comparison said without a window ("mom", "wow", "yoy", "vs last year") the window every
    request without one gets, the last 30 days (one rule for a missing window, comparison or not: the
    comparison's unit names how it compares, not what), or the span it names ("vs the previous 7
    days"), and list that as an assumption with what it is compared with."""
    words = said.split()
    yearly = reading.compare == {"kind": "previous_year"}
    counts = [] if yearly else [_number(w) for w in words if w.isdigit() or (w in NUMBERS and len(w) > 2)]
    units = [UNITS[w] for w in words if w in UNITS and UNITS[w] != "year"] if counts else []
    n, unit = (counts[0], units[0] if units else "day") if counts else (30, "day")
    reading.window = {"kind": "rolling", "n": max(1, n), "unit": unit}
    span = f"{n} {unit}s" if n != 1 else unit
    against = "the same days a year before" if yearly else f"the {span} before"
    reading.notes.append(f"{DEFAULT_WINDOW_SAID}: the last {span}, compared with {against}.")


def _kept(found: re.Match[str]) -> str:
    """Return the word a ``_WHOLE`` match keeps, padded after it to the match's length."""
    kept = found.group("kept") or found.group("kept2") or found.group("kept3")
    return kept + " " * (len(found.group(0)) - len(kept))


def _years_said(text: str, today: date) -> str:
    """Return the text with a year said in words after a named period written as a number ("q3 of last year"
    is "q3 2025"), padded to its length so that offsets into the text still hold."""
    def year(found: re.Match[str]) -> str:
        relative = found.group("rel") or found.group("rel2")
        what = found.group("what") or found.group("what2")
        number = today.year if relative in ("this", "current") else today.year - 1
        said = f" {what} {number}"
        return said + " " * (len(found.group(0)) - len(said))
    text = _YEAR_IN_WORDS.sub(year, text)
    return _YEAR_FIRST.sub(lambda found: f" {found.group('what')} {found.group('y')}", text)  # "2025 q4": "q4 2025"


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
    found = _take(reading, _WEEK_OF)
    if found and (day := _date(found, 1, today)) is not None:
        if found.group("ending") or found.group("we"):
            start, end = day - timedelta(days=6), day
        else:
            start = day - timedelta(days=day.weekday())
            end = start + timedelta(days=6)
        if start <= today:
            return {"kind": "between", "start": start.isoformat(), "end": min(end, today).isoformat()}
    found = _take(reading, _WEEK_NUMBER)
    if found and (week := _week_number(found, today, reading.notes)) is not None:
        return week
    found = _take(reading, _SHORT_ROLLING)
    if found:
        if found.group("ttm"):
            return {"kind": "rolling", "n": 12, "unit": "month"}
        n, unit = found.group("n") or found.group("n2"), found.group("u") or found.group("u2")
        return {"kind": "rolling", "n": max(1, int(n)), "unit": _SHORT_UNITS[unit]}
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
    found = _take(reading, _QUARTER_RANGE)
    if found:
        first, last = int(found.group("q1")), int(found.group("q2"))
        year = int(found.group("y")) if found.group("y") else latest_period(today, quarter=last)
        start = date(year if first <= last else year - 1, 3 * first - 2, 1)
        end = date(year, 3 * last, monthrange(year, 3 * last)[1])
        return {"kind": "between", "start": start.isoformat(), "end": min(end, today).isoformat()}
    found = _two_months(reading)
    if found:
        first, last = MONTHS[found.group("m1")], MONTHS[found.group("m2")]
        year = int(found.group("y")) if found.group("y") else latest_period(today, month=last)
        start = date(year if first <= last else year - 1, first, 1)
        end = date(year, last, monthrange(year, last)[1])
        return {"kind": "between", "start": start.isoformat(), "end": min(end, today).isoformat()}
    for found in _OPEN_END.finditer(reading.text):  # kept from every rule below (upper case), and so reported
        reading.text = reading.text[: found.start()] + found.group(0).upper() + reading.text[found.end():]
    found = _take(reading, _HALF)
    if found:
        return _half(found, today)
    found = _take(reading, _WEEKEND)
    if found:
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        if saturday + timedelta(days=1) >= today:  # the weekend is not over: the one before
            saturday -= timedelta(days=7)
        return {"kind": "between", "start": saturday.isoformat(), "end": (saturday + timedelta(days=1)).isoformat()}
    found = _take(reading, _SINCE_WEEKDAY)
    if found:
        return {"kind": "since", "start": _weekday_before(today, found.group("d")).isoformat()}
    found = _take(reading, _ON_WEEKDAY)
    if found:
        return {"kind": "period", "unit": "day", "day": _weekday_before(today, found.group("d")).isoformat()}
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
        unit = UNITS.get(found.group("unit") or "") or found.group("unit2") or found.group("unit3") or {
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
    found = _year_period(reading)
    if found:
        return {"kind": "period", "unit": "year", "year": int(found.group("y"))}
    if _take(reading, _ALL_TIME):
        return {"kind": "all"}
    return None


# Words after which a number is an amount, not a year ("at least $2,000", "over 2000").
_AMOUNT_LEADS = re.compile(r"(?:^|\s)(?:\$|over|under|above|below|than|least|most|exceeding|exceeds|max|min) $")


def _year_period(reading: TimeReading) -> re.Match[str] | None:
    """A year as a period ("in 2025", "2024"), unless the number is an amount ("claims over $2000")."""
    for found in _YEAR_PERIOD.finditer(reading.text):
        before = reading.text[max(0, found.start() - 12): found.start() + 1]
        if found.group(0).strip().isdigit() and _AMOUNT_LEADS.search(before):
            continue
        reading.words.append(found.group(0).strip())
        reading.text = reading.text[: found.start()] + " " * (found.end() - found.start()) + reading.text[found.end():]
        return found
    return None


def _week_number(found: re.Match[str], today: date, notes: list[str]) -> dict[str, Any] | None:
    """An ISO week by its number (weeks start on Monday); without a year, the latest such week that has begun."""
    number = int(found.group("w") or found.group("w2") or found.group("w3"))
    year = found.group("y") or found.group("y2") or found.group("y3")
    years = [int(year)] if year else [today.year, today.year - 1]
    for candidate in years:
        try:
            monday = date.fromisocalendar(candidate, number, 1)
        except ValueError:
            continue  # week 53 of a year that has 52
        if monday <= today or year:
            sunday = monday + timedelta(days=6)
            notes.append(f"Week {number} is the ISO week {number} of {candidate}, Monday to Sunday.")
            return {"kind": "between", "start": monday.isoformat(), "end": min(sunday, today).isoformat()}
    return None


def _fiscal_said(text: str, notes: list[str]) -> str:
    """Return the text with each fiscal year said as the calendar year it is read as ("fy2025" is "2025",
    "fytd" is "ytd"), padded to its length, so that the period rules read it ("q3 fy25", "fy2025 vs
    fy2024"). The data source says no fiscal year start, so each is the calendar year, and ``notes`` says
    so: an analyst whose year starts in April must not get January silently."""
    note = "This data sets no fiscal year start, so {} is read as the calendar {}."

    def calendar(found: re.Match[str]) -> str:
        if found.group("td"):
            said, meant, shown = "ytd", "year to date (from 1 January)", "fiscal year to date"
        elif relative := found.group("rel"):
            this = relative in ("this", "current")
            said = "this yr" if this else "last yr"  # no longer than "last fy": offsets into the text hold
            meant = f"{'this' if this else 'last'} year (from January)"
            shown = f"{'this' if this else 'last'} fiscal year"
        else:
            number = found.group("y") or found.group("y2")
            year = int(number) if len(number) == 4 else 2000 + int(number)
            said, meant, shown = str(year), f"year {year} (January to December)", f"FY{year}"
        if (line := note.format(shown, meant)) not in notes:
            notes.append(line)
        return said + " " * (len(found.group(0)) - len(said))

    return _FISCAL.sub(calendar, text)


def _half(found: re.Match[str], today: date) -> dict[str, Any]:
    """A half year ("h1 2025", "the second half of last year"); without a year, the latest that has begun."""
    second = found.group("h") == "2" or found.group("half") in ("second", "2nd")
    if found.group("y"):
        year = int(found.group("y"))
    elif found.group("rel") in ("last", "previous", "prior"):
        year = today.year - 1
    else:
        year = today.year if not second or today.month >= 7 else today.year - 1
    start, end = (date(year, 7, 1), date(year, 12, 31)) if second else (date(year, 1, 1), date(year, 6, 30))
    return {"kind": "between", "start": start.isoformat(), "end": min(end, today).isoformat()}


def _two_months(reading: TimeReading) -> re.Match[str] | None:
    """Two months said as one span: "september and october" (next to each other), "jan to mar"."""
    for found in _TWO_MONTHS.finditer(reading.text):
        first, last = MONTHS[found.group("m1")], MONTHS[found.group("m2")]
        joined = found.group(0).split()[-2 if not found.group("y") else -3]
        if joined == "and" and (last - first) % 12 != 1:
            continue  # "march and may": two months apart, not one span
        if found.group(0).split()[0] in ("may", "mar") and found.group(0).split()[0] == found.group("m1"):
            continue  # "may" and "mar" are words too
        reading.words.append(found.group(0).strip())
        reading.text = reading.text[: found.start()] + " " * (found.end() - found.start()) + reading.text[found.end():]
        return found
    return None


def _weekday_before(today: date, name: str) -> date:
    """Return the latest such weekday before today ("monday" on a Wednesday is two days ago; on a Monday, a week ago)."""
    return today - timedelta(days=(today.weekday() - WEEKDAYS[name]) % 7 or 7)


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
