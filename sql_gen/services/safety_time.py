"""Time in a widget query: the window placeholders, and no date the statement fixes or computes itself.

Part of the parser layer (``safety.py`` calls ``time_check``). A widget's window moves on every
refresh, so the statement carries placeholders, ``time_column >= :window_start AND time_column <
:window_end``, and our code binds the bounds (see ``binding.py``). What would pin or compute a date
inside the statement is refused with a reason that says what was found: reading the clock anywhere
(``CURRENT_DATE``, ``now()``, SQLite's ``date('now')``, PostgreSQL's ``'today'::date``), and in any
comparison a date written in (``DATE '2026-01-01'``, ``'2026-01-01'::date``, a string that looks like
a date compared with a column) or date arithmetic (``col + INTERVAL 1 DAY``, ``date_add``, SQLite's
``date(col, '+1 day')``, a number added to a time column). A placeholder may only be compared with a
time column in the window's shape.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from sql_gen.services.binding import PAIRS, PLACEHOLDERS, STARTS, WINDOW, canonical, placeholder_name

_CLOCK_TYPES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in ("CurrentDate", "CurrentTime", "CurrentTimestamp", "CurrentDatetime",
                                    "CurrentTimestampLTZ", "Localtime", "Localtimestamp", "Systimestamp")
    if hasattr(exp, name)
)
_CLOCK_ANONYMOUS = frozenset(
    "now today get_current_timestamp get_current_time transaction_timestamp statement_timestamp clock_timestamp"
    " timeofday current_localtimestamp current_localtime getdate sysdate".split()
)
# PostgreSQL reads the clock for these strings when they become a date or a time ('today'::date).
_CLOCK_WORDS = frozenset({"now", "today", "tomorrow", "yesterday"})
# SQLite's date and time functions take a time value and then modifiers ('+1 day', 'start of month');
# without a time value they read the clock. Anonymous name -> arguments up to and including the value.
_SQLITE_TIME_ARGS = {"date": 1, "datetime": 1, "time": 1, "julianday": 1, "unixepoch": 1, "strftime": 2}
_TEMPORAL_CLASSES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in ("Date", "Datetime", "StrToDate", "StrToTime", "TsOrDsToDate", "TsOrDsToTimestamp",
                                    "DateStrToDate", "TimeStrToTime", "TimeStrToDate", "DateFromParts", "UnixToTime",
                                    "DateTrunc", "TimestampTrunc", "TimeToStr", "DateBin")
    if hasattr(exp, name)
)
_TEMPORAL_ANONYMOUS = frozenset(
    "make_date make_timestamp to_date to_timestamp strptime datetime date julianday unixepoch epoch_ms epoch time"
    " strftime date_part datepart time_bucket".split()
)
_DATE_ARITHMETIC: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in ("DateAdd", "DateSub", "TsOrDsAdd", "TimestampAdd", "TimestampSub", "DatetimeAdd",
                                    "DatetimeSub", "AddMonths")
    if hasattr(exp, name)
)
_DATE_ARITHMETIC_ANONYMOUS = frozenset({"date_add", "date_sub", "dateadd", "add_months"})
_BINARY_COMPARISONS: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "NullSafeEQ", "NullSafeNEQ", "Like", "ILike",
                                    "Glob", "SimilarTo")
    if hasattr(exp, name)
)
_COMPARISONS = (*_BINARY_COMPARISONS, exp.Between, exp.In)
_DATE_CASTS = tuple(getattr(exp, name) for name in ("Date", "Datetime") if hasattr(exp, name))
_FLIPPED = {exp.GTE: exp.LTE, exp.LTE: exp.GTE, exp.GT: exp.LT, exp.LT: exp.GT, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}
# A full date, or a year and month (e.g. strftime('%Y-%m', col) = '2026-03'), optionally with a time.
_DATE_TEXT = re.compile(r"\s*\d{4}-\d{1,2}(-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?\s*")
_DATE_PREFIX = re.compile(r"\d{4}-\d{2}")  # a LIKE pattern that fixes a year and month
_LEADING_PARAMETER = ("$", "@", ":", "?")  # an unquoted name SQLite would bind as a parameter

_USE_PLACEHOLDERS = (
    "filter the time column with >= :window_start and < :window_end (and :compare_start, :compare_end for a "
    "comparison period); the dates are bound when the query runs."
)
_NAMES = ", ".join(f":{name}" for name in PLACEHOLDERS[:-1]) + f" and :{PLACEHOLDERS[-1]}"


class TimeRefusal(Exception):
    """What ``time_check`` found; ``safety`` turns it into SqlRejected."""

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message, self.extra = message, extra


@dataclass
class _Uses:
    """Per placeholder, its comparisons: the time column's name in lower case, and the comparison."""

    comparisons: dict[str, list[tuple[str, exp.Expression]]] = field(default_factory=dict)

    def add(self, name: str, column: exp.Column, comparison: exp.Expression) -> None:
        self.comparisons.setdefault(name, []).append((column.name.lower(), comparison))

    def columns(self, name: str) -> set[str]:
        return {column for column, _ in self.comparisons.get(name, [])}

    def ranged(self, start: str, end: str) -> bool:
        """Return whether one column is compared with ``start`` and with ``end`` in comparisons joined by
        AND: a range, not two conditions either of which may hold."""
        return any(
            column == other and _conjoined(low, high)
            for column, low in self.comparisons.get(start, [])
            for other, high in self.comparisons.get(end, [])
        )


def _conjoined(one: exp.Expression, two: exp.Expression) -> bool:
    return bool(_and_chain(one) & _and_chain(two))


def _and_chain(node: exp.Expression) -> set[int]:
    """Return the ids of the ANDs (and parentheses) right above ``node``, up to the first other node."""
    chain, parent = set(), node.parent
    while isinstance(parent, (exp.And, exp.Paren)):
        chain.add(id(parent))
        parent = parent.parent
    return chain


def time_check(tree: exp.Expression, read: str, *, time_columns: Iterable[str] = (),
               require_window: bool = False) -> frozenset[str]:
    """Return the placeholder names the statement uses, each placeholder normalized in place to its
    lower-case name (so that it is generated as ``:name``).

    Raises TimeRefusal for a positional or unknown placeholder, the clock read anywhere, a date
    written into or computed in a comparison, a placeholder outside the window's shape, half a pair
    of placeholders, or (with ``require_window``) no ``>= :window_start`` and ``< :window_end`` on a
    time column. ``time_columns`` are the names of the time columns (a table prefix is ignored);
    without any, every column counts as one.
    """
    columns = frozenset(name.rsplit(".", 1)[-1].lower() for name in time_columns)
    names = _check_placeholders(tree, read)
    _check_clock(tree, read)
    for comparison in tree.find_all(*_COMPARISONS):
        _check_comparison(comparison, read, columns)
    uses = _Uses()
    for node in tree.find_all(exp.Placeholder):
        _check_use(node, read, columns, uses)
    _check_pairs(names, uses, columns, require_window=require_window)
    return frozenset(names)


def _check_placeholders(tree: exp.Expression, read: str) -> set[str]:
    names: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.Parameter) or (isinstance(node, exp.Placeholder) and placeholder_name(node) is None):
            shown = node.sql(dialect=read)
            raise TimeRefusal(f"Positional and engine-specific placeholders ({shown}) are not allowed; use the "
                              f"named placeholders {_NAMES}, written as :window_start.", placeholder=shown)
        if isinstance(node, exp.Identifier) and not node.quoted and node.name.startswith(_LEADING_PARAMETER):
            raise TimeRefusal(  # SQLite would bind it as a parameter; sqlglot reads it as a column
                f"{node.name} is not a placeholder this query may use; write the named placeholders as "
                f":window_start (the only ones are {_NAMES}).", placeholder=node.name)
        if isinstance(node, exp.Placeholder):
            name = placeholder_name(node) or ""
            if name not in PLACEHOLDERS:
                raise TimeRefusal(f"Unknown placeholder :{name}; the only placeholders are {_NAMES}.",
                                  placeholder=name)
            node.set("this", name)
            names.add(name)
    return names


def _check_clock(tree: exp.Expression, read: str) -> None:
    """Refuse anything that reads the clock, anywhere in the statement."""
    for node in tree.walk():
        if _reads_clock(node):
            shown = node.sql(dialect=read)
            raise TimeRefusal(f"{shown} reads today's date, which a widget query may not do: {_USE_PLACEHOLDERS}",
                              found=shown)


def _reads_clock(node: exp.Expression) -> bool:
    if isinstance(node, _CLOCK_TYPES):
        return True
    if isinstance(node, exp.Anonymous):
        name, count = node.name.lower(), len(node.expressions)
        return (name in _CLOCK_ANONYMOUS or (name == "age" and count == 1)
                or (name in _SQLITE_TIME_ARGS and count < _SQLITE_TIME_ARGS[name]))
    if isinstance(node, exp.Date) and node.this is None and not node.expressions:  # SQLite's date()
        return True
    if isinstance(node, exp.Literal) and node.is_string and node.name.strip().lower() in _CLOCK_WORDS:
        parent = _unparen_parent(node)
        return _is_temporal(parent) or isinstance(parent, _COMPARISONS)
    return False


def _check_comparison(comparison: exp.Expression, read: str, columns: frozenset[str]) -> None:
    """Refuse a date written into the comparison, or date arithmetic in it."""
    for node in comparison.walk():
        if _is_temporal(node) and not node.find(exp.Column, exp.Placeholder):
            shown = node.sql(dialect=read)
            raise TimeRefusal(f"The date {shown} is written into the query ({_short(comparison, read)}); a widget "
                              f"query never fixes its dates: {_USE_PLACEHOLDERS}", found=shown)
        if _is_date_arithmetic(node, columns):
            shown = _shown(node, read)
            raise TimeRefusal(
                f"Date arithmetic ({shown}) is not allowed in a filter: {_USE_PLACEHOLDERS} To filter on a "
                "duration, compare the difference of two dates (DATE_DIFF) with a number.", found=shown)
    for literal in _compared_literals(comparison):
        shown = literal.sql(dialect=read)
        raise TimeRefusal(f"The date {shown} is written into the query ({_short(comparison, read)}); a widget "
                          f"query never fixes its dates: {_USE_PLACEHOLDERS}", found=shown)


def _is_temporal(node: exp.Expression | None) -> bool:
    """Return whether ``node`` makes a date or a time from its arguments (a cast included)."""
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return node.to.is_type(*exp.DataType.TEMPORAL_TYPES)
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in _TEMPORAL_ANONYMOUS
    return isinstance(node, _TEMPORAL_CLASSES)


def _is_interval(node: exp.Expression) -> bool:
    node = node.unnest()
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return node.to.is_type(exp.DataType.Type.INTERVAL)
    return isinstance(node, exp.Interval)


def _is_date_arithmetic(node: exp.Expression, columns: frozenset[str]) -> bool:
    if isinstance(node, _DATE_ARITHMETIC):
        return True
    if isinstance(node, exp.Anonymous):
        name, count = node.name.lower(), len(node.expressions)
        return name in _DATE_ARITHMETIC_ANONYMOUS or count > _SQLITE_TIME_ARGS.get(name, count)
    if isinstance(node, (exp.Add, exp.Sub)):
        sides = (node.this, node.expression)
        return any(_is_interval(side) or _is_time_column(side, columns) for side in sides)
    return False


def _is_time_column(node: exp.Expression, columns: frozenset[str]) -> bool:
    node = node.unnest()
    return bool(columns) and isinstance(node, exp.Column) and node.name.lower() in columns


def _compared_literals(comparison: exp.Expression) -> list[exp.Literal]:
    """Return the strings that look like dates compared with a column or a placeholder."""
    if isinstance(comparison, exp.Between):
        subject, candidates = comparison.this, [comparison.args.get("low"), comparison.args.get("high")]
    elif isinstance(comparison, exp.In):
        subject, candidates = comparison.this, list(comparison.expressions)
    else:
        left, right = comparison.this, comparison.expression
        if _is_date_text(right, like=isinstance(comparison, (exp.Like, exp.ILike))):
            subject, candidates = left, [right]
        else:
            subject, candidates = right, [left]
    if subject is None or not subject.find(exp.Column, exp.Placeholder):
        return []
    like = isinstance(comparison, (exp.Like, exp.ILike))
    return [c.unnest() for c in candidates if c is not None and _is_date_text(c, like=like)]


def _is_date_text(node: exp.Expression | None, *, like: bool = False) -> bool:
    node = node.unnest() if node is not None else None
    if not (isinstance(node, exp.Literal) and node.is_string):
        return False
    text = node.name
    return bool(_DATE_PREFIX.match(text) if like else _DATE_TEXT.fullmatch(text)) or text.strip().lower() in _CLOCK_WORDS


def _check_use(node: exp.Placeholder, read: str, columns: frozenset[str], uses: _Uses) -> None:
    """Refuse a placeholder anywhere but ``time_column >= :x_start`` / ``time_column < :x_end`` (either
    way round, either side perhaps cast to a date or a timestamp). Not even as a column of the result:
    the bound values are known without it, and DuckDB's parser takes ``SELECT :x`` for an alias."""
    name = node.name
    side = _wrapped(node)
    parent = side.parent
    start = name in STARTS
    wanted = ">=" if start else "<"
    if not isinstance(parent, tuple(_FLIPPED)):
        where = _short(parent, read) if parent is not None else name
        hint = " (BETWEEN includes its end)" if isinstance(parent, exp.Between) else ""
        raise TimeRefusal(
            f":{name} may only be compared with the time column, as time_column {wanted} :{name}; found "
            f"{where}{hint}. The window includes its start and excludes its end.", placeholder=name)
    operator, other = (type(parent), parent.this) if side is parent.expression else (
        _FLIPPED[type(parent)], parent.expression)
    column = _wrapped_column(other)
    if operator is not (exp.GTE if start else exp.LT):
        subject = _shown(column, read) if column is not None else "the time column"
        raise TimeRefusal(
            f"Compare {subject} with :{name} as {subject} {wanted} :{name} (found {_short(parent, read)}): the "
            "window includes its start and excludes its end.", placeholder=name)
    if column is None or (columns and column.name.lower() not in columns):
        expected = _listed(columns) if columns else "a time column"
        raise TimeRefusal(f":{name} must be compared with {expected}; found {_short(parent, read)}.",
                          placeholder=name)
    uses.add(name, column, parent)


def _check_pairs(names: set[str], uses: _Uses, columns: frozenset[str], *, require_window: bool) -> None:
    for start, end in PAIRS:
        used = names & {start, end}
        if not used and not (require_window and (start, end) == WINDOW):
            continue
        if uses.ranged(start, end):
            continue
        seen = sorted({c for n in used for c in uses.columns(n)})
        subject = " or ".join(seen) if seen else _listed(columns) if columns else "its time column"
        raise TimeRefusal(f"The query must filter {subject} with >= :{start} and < :{end}.",
                          placeholders=[start, end])


def _wrapped(node: exp.Expression) -> exp.Expression:
    """Return the outermost of ``node``'s parentheses and casts to a date or a time around it."""
    while isinstance(node.parent, exp.Paren) or _converts(node.parent):
        node = node.parent  # type: ignore[assignment]
    return node


def _wrapped_column(node: exp.Expression | None) -> exp.Column | None:
    """Return the column inside parentheses and casts to a date or a time, if that is all there is."""
    while node is not None and not isinstance(node, exp.Column):
        if isinstance(node, exp.Paren) or _converts(node):
            node = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
            continue
        return None
    return node


def _converts(node: exp.Expression | None) -> bool:
    """Return whether ``node`` only converts its one argument to a date or a time (a cast, or SQLite's
    date(x) and datetime(x), which is how a cast is spelled there)."""
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return node.to.is_type(*exp.DataType.TEMPORAL_TYPES)
    if isinstance(node, _DATE_CASTS):
        return node.this is not None and not node.expressions and not node.args.get("zone")
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in ("date", "datetime") and len(node.expressions) == 1
    return False


def _unparen_parent(node: exp.Expression) -> exp.Expression | None:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return parent


def _listed(columns: frozenset[str]) -> str:
    return " or ".join(sorted(columns))


def _shown(node: exp.Expression, read: str) -> str:
    """Return the node as SQL, its placeholders as ``:name`` (the form the query is written in)."""
    return canonical(node).sql(dialect=read) if node.find(exp.Placeholder) else node.sql(dialect=read)


def _short(node: exp.Expression, read: str) -> str:
    text = _shown(node, read)
    return text if len(text) <= 120 else text[:117] + "..."
