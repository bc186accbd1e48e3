"""The parts of a time phrase the offline reader's rules share: month names, counts and units in words, a day
and a month said either way round, and the date they name, or why no such date exists.

A date that does not exist ("29 feb 2025", "31 april") is never dropped or bent into another: it comes
back as a ``NoSuchDate`` that says why, with dates that do exist beside it, for the reader to ask about.
"""
from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
          "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
          "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
           "thirty": 30, "sixty": 60, "ninety": 90, "couple of": 2, "few": 3}
UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "wk": "week", "wks": "week",
         "month": "month", "months": "month", "mo": "month", "mos": "month", "quarter": "quarter",
         "quarters": "quarter", "qtr": "quarter", "qtrs": "quarter", "year": "year", "years": "year",
         "yr": "year", "yrs": "year"}

MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
NUM = r"\d{1,4}|" + "|".join(sorted(NUMBERS, key=len, reverse=True))
UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
YEAR = r"(?:19|20)\d\d"  # a year said alone; after "since" or "in", any year of four digits is one
_DAY = r"(?P<d{i}>\d{{1,2}})(?:st|nd|rd|th)?"
_YEARS_BACK = 8  # a year-less 29 February is the latest of the last eight years (two leap years at least)


def day_month(i: int) -> str:
    """A day and a month either way round ("1 march", "march 1st", "1st of march"), with an optional year, or
    an ISO date; its groups end in ``i`` (``d``/``m``, ``e``/``n``, ``y``, ``iso``), read by ``said_date``."""
    day = _DAY.format(i=i)
    return (rf"(?:{day} (?:of )?(?P<m{i}>{MONTH})|(?P<n{i}>{MONTH}) {day.replace(f'd{i}', f'e{i}')})"
            rf"(?: (?P<y{i}>{YEAR}))?|(?P<iso{i}>\d{{4}}-\d{{2}}-\d{{2}})")


def number(word: str) -> int:
    """Return the count a word says ("3", "three", "a couple of")."""
    return int(word) if word.isdigit() else NUMBERS[word]


@dataclass(frozen=True)
class NoSuchDate:
    """Words that name a date or period that does not exist, why, and words for ones that do."""

    said: str  # as typed, cleaned: "29 feb 2025"
    reason: str  # "2025 has no 29 February"
    fixes: tuple[str, ...] = ()  # said in place of ``said``, each names one that exists: "28 feb 2025"


@dataclass
class TimeReading:
    """What the time rules read of a text, and the text left for the rest of the reader."""

    window: dict[str, Any] | None = None
    compare: dict[str, Any] | None = None
    grain: str | None = None
    text: str = ""  # the text with what was read blanked out
    words: list[str] = field(default_factory=list)  # what was read, for the interpretation
    notes: list[str] = field(default_factory=list)  # what the reading assumed, to be listed as assumptions
    unread: list[str] = field(default_factory=list)  # time words the window does not use, to be reported
    # Periods named that do not exist, each with the words it was said in ("on 29 feb 2025").
    impossible: list[tuple[str, NoSuchDate]] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)


def take(reading: TimeReading, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """Return the first match of ``pattern`` in the reading's text, blanking it out (offsets still hold)."""
    found = pattern.search(reading.text)
    if found:
        taken(reading, found)
    return found


def taken(reading: TimeReading, found: re.Match[str]) -> None:
    """Blank out a match of the reading's text, keeping its words as read."""
    reading.words.append(found.group(0).strip())
    reading.text = reading.text[: found.start()] + " " * (found.end() - found.start()) + reading.text[found.end():]


def set_aside(reading: TimeReading, start: int, end: int) -> None:
    """Blank out ``reading.text[start:end]``, keeping its words as time words the window does not use."""
    reading.unread.append(" ".join(reading.text[start:end].split()))
    reading.text = reading.text[:start] + " " * (end - start) + reading.text[end:]


def said_date(found: re.Match[str], i: int, today: date) -> date | NoSuchDate | None:
    """Return the i-th date of a ``day_month`` match, ``NoSuchDate`` when it names none, or None when the
    match holds no i-th date. A year-less date is the latest such day not after today."""
    groups = found.groupdict()
    if groups.get(f"iso{i}"):
        return _iso_date(groups[f"iso{i}"])
    month_word, day_word = groups.get(f"m{i}") or groups.get(f"n{i}"), groups.get(f"d{i}") or groups.get(f"e{i}")
    if not month_word or not day_word:
        return None
    spans = [found.span(g) for g in (f"d{i}", f"m{i}", f"n{i}", f"e{i}", f"y{i}") if groups.get(g)]
    said = found.string[min(s for s, _ in spans): max(e for _, e in spans)]
    year = int(groups[f"y{i}"]) if groups.get(f"y{i}") else None
    return day_of(MONTHS[month_word], int(day_word), year, today, said=said)


def day_of(month: int, day: int, year: int | None, today: date, *, said: str) -> date | NoSuchDate:
    """Return that day of ``year`` (without one, the latest such day not after today), or why none exists."""
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return _no_such_day(month, day, year, said)
    for back in range(_YEARS_BACK + 1):
        try:
            candidate = date(today.year - back, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return _no_such_day(month, day, None, said)


def _iso_date(text: str) -> date | NoSuchDate:
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12 or year < 1:
        return NoSuchDate(text, f"{text} is no date: a year has months 1 to 12")
    try:
        return date(year, month, day)
    except ValueError:
        last = date(year, month, monthrange(year, month)[1])
        following = last + timedelta(days=1) if last < date.max else last
        return NoSuchDate(text, _no_such_day(month, day, year, text).reason, (last.isoformat(), following.isoformat()))


def _no_such_day(month: int, day: int, year: int | None, said: str) -> NoSuchDate:
    """Say why there is no ``day`` of ``month`` (in ``year``), with the month's last day and the next month's
    first as days that do exist."""
    name = MONTH_NAMES[month - 1]
    if (month, day) == (2, 29):
        reason = f"{year} has no 29 February: it is not a leap year" if year is not None else \
            "No 29 February has passed in the last eight years"
    else:
        days = "28 or 29" if month == 2 and year is None else monthrange(year or 2023, month)[1]
        reason = f"{name} has {days} days: there is no {day} {name}"
    in_year = f" {year}" if year is not None else ""
    last = monthrange(year if year is not None else 2023, month)[1]  # 2023: 28 February, a day every year has
    fixes = [f"{last} {_short(month)}{in_year}"]
    if day > last and month < 12:
        fixes.append(f"1 {_short(month + 1)}{in_year}")
    elif day > last and year is not None:
        fixes.append(f"1 jan {year + 1}")
    return NoSuchDate(said, reason, tuple(fixes))


def _short(month: int) -> str:
    return MONTH_NAMES[month - 1][:3].lower()


# Words after which a number is a count or an amount, not a year or a day ("top 10 march", "over 2000").
_COUNT_LEADS = re.compile(r"(?:^|\s)(?:\$|over|under|above|below|than|least|most|exceeding|exceeds|max|min|top|bottom|"
                          r"best|worst|highest|lowest|first|next|last) $")


def counted_at(text: str, offset: int) -> bool:
    """Tell whether a number starting at ``offset`` is a count or an amount, by the words before it."""
    return bool(_COUNT_LEADS.search(text[max(0, offset - 12): offset + 1]))


def no_such(reading: TimeReading, phrase: str, problem: NoSuchDate) -> None:
    """Keep a period named that does not exist with the words it was said in, to be asked about."""
    reading.impossible.append((phrase, problem))
