"""Time in a widget query: the window placeholders, in one form and in the window's shape.

Part of the parser layer (``safety.py`` calls ``time_check``). A widget's window moves on every
refresh, so the statement carries placeholders, ``time_column >= :window_start AND time_column <
:window_end``, and our code binds the bounds (see ``binding.py``). Only those names are allowed, a
placeholder may only be compared with a time column in the window's shape, and a pair is used whole.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from sql_gen.services.binding import PAIRS, PLACEHOLDERS, STARTS, WINDOW, canonical, placeholder_name

_DATE_CASTS = tuple(getattr(exp, name) for name in ("Date", "Datetime") if hasattr(exp, name))
_FLIPPED = {exp.GTE: exp.LTE, exp.LTE: exp.GTE, exp.GT: exp.LT, exp.LT: exp.GT, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}
_LEADING_PARAMETER = ("$", "@", ":", "?")  # an unquoted name SQLite would bind as a parameter

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

    Raises TimeRefusal for a positional or unknown placeholder, a placeholder outside the window's
    shape, half a pair of placeholders, or (with ``require_window``) no ``>= :window_start`` and
    ``< :window_end`` on a time column. ``time_columns`` are the names of the time columns (a table prefix is ignored);
    without any, every column counts as one.
    """
    columns = frozenset(name.rsplit(".", 1)[-1].lower() for name in time_columns)
    names = _check_placeholders(tree, read)
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


def _listed(columns: frozenset[str]) -> str:
    return " or ".join(sorted(columns))


def _shown(node: exp.Expression, read: str) -> str:
    """Return the node as SQL, its placeholders as ``:name`` (the form the query is written in)."""
    return canonical(node).sql(dialect=read) if node.find(exp.Placeholder) else node.sql(dialect=read)


def _short(node: exp.Expression, read: str) -> str:
    text = _shown(node, read)
    return text if len(text) <= 120 else text[:117] + "..."
