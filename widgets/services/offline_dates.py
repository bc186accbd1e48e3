"""The offline clarifier's reading of time: windows, comparisons and grains in an analyst's words.

Everything here reads normalized text (lower case, words separated by single spaces, padded with a
space at each end, as ``offline_text.normalize`` makes it) and returns what it found with the text
of what it used blanked out, so that "last month" is never read again as a metric or a filter.
Year-less periods ("Q3", "in march") resolve to the latest one that has begun, against *today*.

No time words vanish: a period that does not exist ("29 feb 2025", "q5") is asked about, never read as
the default window, and time words the window does not use ("2026" of "last month in 2026", "before
march") are kept as ``unread`` for "not applied" to report.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from widgets.services.offline_date_parts import MONTH, NUM, NUMBERS, UNIT, UNITS, NoSuchDate, TimeReading, number, take
from widgets.services.offline_periods import window_of
from widgets.services.offline_weeks import WEEK_NUMBER, WEEKDAYS, week_number
from widgets.services.windows import DEFAULT_WINDOW_SAID, TimeWindow, resolve

__all__ = ["WEEKDAYS", "TimeReading", "read_time"]

_MONTH, _NUM, _UNIT = MONTH, NUM, UNIT
_QUARTER_NAME = r"q[1-4]|(?:first|second|third|fourth|1st|2nd|3rd|4th) quarter"
# Answers that name a period, offered when the one asked for does not exist and nothing closer is known.
PERIOD_OPTIONS = ("Last 30 days", "Last 12 months", "Year to date", "All time")
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
    r"prior|prev|previous|last(?: one)?|yesterday)(?= |$)"
    rf"| (?:with|to) (?:the )?(?:previous|prior|preceding) (?:(?:{_NUM}) )?(?:{_UNIT}|period)?(?= |$)"
    r"| (?:mom|m/m|m m|m o m|qoq|q/q|q q|q o q|wow|w/w|w w|w o w|dod|d d|d o d|pop|month over month|"
    r"quarter over quarter|week over week|period over period|month on month|quarter on quarter|week on week)%?(?= |$)")
_COMPARE_NAMED = re.compile(
    rf" (?:vs\.?|versus|against|compared (?:to|with)|compare(?:d)? (?:to|with)) (?:the same (?:in )?|in )?"
    rf"(?P<what>q[1-4](?: 20\d\d)?|(?:{_MONTH})(?: 20\d\d)?|20\d\d|(?:week|wk|w) ?\d{{1,2}}(?: 20\d\d)?)"
    r"(?: (?:of )?(?:last|previous|prior) year| a year (?:ago|before|earlier)| the year before)?(?= |$)")
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
                    r"qtr|year|yr)s?|20\d\d)(?= )|(?<= )(?:the )?(?:calendar )?(?:year of (?P<kept2>20\d\d)|month of "
                    r"(?P<kept4>" + _MONTH + r"))(?= )")
# A fiscal year: "fy2025", "fy 25", "fiscal 2025", "fiscal year 2025", "this fiscal year", "last fy", "fytd".
_FISCAL = re.compile(r"(?<= )(?:fy ?(?P<y>20\d\d|\d\d)|fiscal (?:year |yr )?(?P<y2>20\d\d|\d\d)"
                     r"|(?P<rel>this|current|last|previous|prior) (?:fiscal (?:year|yr)|fy)"
                     r"|(?P<td>fytd|fiscal ytd|fiscal year to date|fy to date))(?= )")
# "to date" with no period before it ("total paid to date"): up to today from the start of the data.
_BARE_TO_DATE = re.compile(r" (?:(?:up )?(?:to|till|until|til) date|todate|(?:up )?(?:to|till|until|through|thru) (?:now|today)"
                           r"|to this day)(?= )")




def read_time(text: str, *, today: date) -> TimeReading:
    """Return the window, comparison and grain ``text`` names, and the text without them: with the periods
    named that do not exist (and a question about them, when no other window is read), and the time words
    the window does not use."""
    reading = TimeReading()
    reading.text = _years_said(_WHOLE.sub(_kept, _fiscal_said(text, reading.notes)), today)
    _read_grain(reading)
    compared = _read_comparison(reading)
    reading.window = window_of(reading, today)
    if reading.window is None and reading.impossible:
        reading.questions.append(_period_question(*reading.impossible[0]))
        return reading
    _to_date_words(reading, today)
    if reading.compare and reading.window is None and compared is not None:
        _window_of_comparison(reading, compared.group(0))  # "mom", "vs last year" alone
    _read_leftovers(reading, today)
    return reading


def _read_grain(reading: TimeReading) -> None:
    for grain, pattern in _GRAINS.items():
        if take(reading, pattern):
            reading.grain = grain
            return
    for grain, pattern in _GRAIN_LAST.items():
        if found := pattern.search(reading.text):
            reading.text = reading.text[:found.start()] + found.group("list") + reading.text[found.end():]
            reading.grain = grain
            return


def _read_comparison(reading: TimeReading) -> re.Match[str] | None:
    """Read the comparison into ``reading``; return the match of one said by its kind ("mom", "vs last
    year"), whose words may name the window's span."""
    if (compared := take(reading, _COMPARE_YEAR)) is not None:
        reading.compare = {"kind": "previous_year"}
    elif (compared := take(reading, _COMPARE_PERIOD)) is not None:
        reading.compare = {"kind": "previous_period"}
    elif (named := take(reading, _COMPARE_NAMED)) is not None:
        # "q3 vs q2" is the period before; "q3 2026 vs q3 2025", "october vs october last year" a year before.
        target = named.group("what")
        same_name = re.search(rf" {re.escape(target.split()[0])}(?= )", reading.text) is not None
        if (week := re.fullmatch(r"(?:week|wk|w) ?(\d{1,2})(?: 20\d\d)?", target)) is not None:  # "week 44 vs week 43"
            same_name = int(week.group(1)) in [week_number(f) for f in WEEK_NUMBER.finditer(reading.text)]
        reading.compare = {"kind": "previous_year" if same_name else "previous_period"}
    return compared


def _read_leftovers(reading: TimeReading, today: date) -> None:
    """Take out the time words left after the window ("2026" of "last month in 2026", "june" of "march and
    june"), and the periods named that do not exist, as ``unread``: the window does not use them, and they
    must not be read as anything else either."""
    left = TimeReading(text=reading.text)
    while window_of(left, today) is not None:
        pass
    reading.unread += [said for said, _ in reading.impossible] + left.unread + left.words + \
        [said for said, _ in left.impossible if said not in left.words]
    reading.text = left.text


def _period_question(said: str, problem: NoSuchDate) -> dict[str, Any]:
    """Return the question to ask about a period that does not exist, with periods that do as its options."""
    fixes = [said.replace(problem.said, fix) if problem.said in said else fix for fix in problem.fixes]
    options = [option[:1].upper() + option[1:] for option in dict.fromkeys(fixes)]
    return {"id": "period", "text": f"{problem.reason}. Which period should the widget show?",
            "options": [*options, *PERIOD_OPTIONS][:8]}


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
    take(reading, _BARE_TO_DATE)


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
    counts = [] if yearly else [number(w) for w in words if w.isdigit() or (w in NUMBERS and len(w) > 2)]
    units = [UNITS[w] for w in words if w in UNITS and UNITS[w] != "year"] if counts else []
    n, unit = (counts[0], units[0] if units else "day") if counts else (30, "day")
    reading.window = {"kind": "rolling", "n": max(1, n), "unit": unit}
    span = f"{n} {unit}s" if n != 1 else unit
    against = "the same days a year before" if yearly else f"the {span} before"
    reading.notes.append(f"{DEFAULT_WINDOW_SAID}: the last {span}, compared with {against}.")


def _kept(found: re.Match[str]) -> str:
    """Return the word a ``_WHOLE`` match keeps, padded after it to the match's length."""
    kept = found.group("kept") or found.group("kept2") or found.group("kept3") or found.group("kept4")
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


