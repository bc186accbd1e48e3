"""Query parameters: the window placeholders a statement may use, and their binding per engine.

Generated SQL never computes a date. A statement filters its time column with named placeholders,
``time_column >= :window_start AND time_column < :window_end`` (and ``:compare_start`` /
``:compare_end`` for the period it is compared with); our code computes the bounds at each run and
the driver binds them. ``:name`` is the one canonical form, in every dialect: it is what the model
writes, what ``sql_check`` returns and what a widget stores. Only here, just before a statement
goes to the query box, is it rewritten for the engine (DuckDB ``$name``, PostgreSQL's psycopg
``%(name)s`` with every other ``%`` doubled, SQLite ``:name``), by sqlglot from the parsed tree, so
that a ``:name`` inside a string, a comment or an array slice is never taken for a placeholder.

Nothing here imports Django: the values cross the box protocol as ISO dates (or null).
"""
from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

WINDOW = ("window_start", "window_end")
COMPARE = ("compare_start", "compare_end")
# Each pair is a half-open range, start inclusive and end exclusive; these are the only names a
# statement may use (``sql_check`` refuses any other placeholder).
PAIRS = (WINDOW, COMPARE)
PLACEHOLDERS = (*WINDOW, *COMPARE)
STARTS = frozenset(pair[0] for pair in PAIRS)
ENDS = frozenset(pair[1] for pair in PAIRS)
# An open bound ("all time", "since March") is bound as the earliest or latest date every engine
# stores, never left out: the same statement then serves every window and can be re-bound later
# (a dashboard-wide window), and its predicate stays a plain range the engine can use an index or a
# zone map for, where "col >= :start OR :start IS NULL" could not. NULL would match nothing.
OPEN_START = date(1, 1, 1)
OPEN_END = date(9999, 12, 31)

Params = Mapping[str, date | None]
_ENGINE_FORMS = {"duckdb": "${name}", "postgresql": "%({name})s", "sqlite": ":{name}"}
_DIALECTS = {"duckdb": "duckdb", "sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}


class BindingError(ValueError):
    """The statement and its values do not fit: ``missing`` names placeholders without a value."""

    def __init__(self, message: str, *, missing: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.missing = sorted(missing)


@dataclass(frozen=True)
class Bound:
    """A statement in the engine's own placeholder form and the values it binds, as ISO dates."""

    sql: str
    values: dict[str, str | None] = field(default_factory=dict)


def open_bound(name: str) -> date | None:
    """Return the date an open bound named ``name`` is bound as (None for a name that is not a bound)."""
    if name in STARTS:
        return OPEN_START
    return OPEN_END if name in ENDS else None


def placeholder_names(tree: exp.Expression) -> set[str]:
    """Return the names of the named placeholders in a parsed statement, lower-cased."""
    return {name for node in tree.find_all(exp.Placeholder) if (name := placeholder_name(node))}


def placeholder_name(node: exp.Placeholder) -> str | None:
    """Return a placeholder's name, lower-cased; None for a positional one (``?``, ``$1``, ``%s``)."""
    this = node.this
    name = this.name if isinstance(this, exp.Expression) else this
    if not isinstance(name, str) or not name or name.isdigit() or node.args.get("jdbc"):
        return None
    return name.lower()


def canonical(tree: exp.Expression) -> exp.Expression:
    """Return a copy of the tree whose named placeholders generate as ``:name`` in every dialect
    (sqlglot itself would write DuckDB's ``$name`` and psycopg's ``%(name)s``)."""
    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and (name := placeholder_name(node)):
            return exp.Var(this=f":{name}")
        return node

    return tree.transform(mark)


def iso_values(names: Iterable[str], params: Params | None, *, fill_missing: bool = False) -> dict[str, str | None]:
    """Return the ISO value bound for each of ``names``: the date given, or the open bound for None.

    With ``fill_missing`` a name without a value gets its open bound (used to prove a statement,
    whose values do not matter). Raises BindingError for a name without a value otherwise, and
    TypeError for a value that is not a date (a datetime included: window bounds are whole days).
    """
    params = params or {}
    wanted = sorted(set(names))
    missing = [n for n in wanted if n not in params and not fill_missing]
    if missing:
        listed = ", ".join(f":{n}" for n in missing)
        raise BindingError(f"The query needs a value for {listed}, and none was given.", missing=missing)
    values: dict[str, str | None] = {}
    for name in wanted:
        value = params.get(name)
        if isinstance(value, datetime) or not (value is None or isinstance(value, date)):
            raise TypeError(f"The value for :{name} must be a date or None, not {type(value).__name__}.")
        value = open_bound(name) if value is None else value
        values[name] = value.isoformat() if value is not None else None
    return values


def params_key(params: Params | None, names: Iterable[str] | None = None) -> str:
    """Return the bound values as canonical text for a cache key: an open bound and its sentinel date
    give the same text, since they return the same rows. ``names`` limits it to what a statement uses."""
    params = params or {}
    used = set(params) if names is None else set(params) & set(names)
    return json.dumps(iso_values(used, params), sort_keys=True)


def bind(*, sql: str, dialect: str, engine: str, params: Params | None,
         fill_missing: bool = False) -> Bound:
    """Return ``sql`` rewritten for ``engine``'s driver, with the values of its placeholders.

    A statement without named placeholders comes back unchanged, with no values, whatever
    ``params`` holds (extra values are ignored): a PostgreSQL statement without parameters then keeps
    its single ``%`` signs. One that sqlglot cannot parse comes back unchanged too, for the engine to
    judge, unless values were given for it. Raises BindingError for a missing value (see
    ``iso_values``), positional placeholders next to named ones, or values for a statement that
    cannot be parsed; TypeError for a value that is not a date.
    """
    if ":" not in sql and "$" not in sql and "%(" not in sql:  # no named placeholder can be in there
        return Bound(sql=sql)
    read = _DIALECTS.get(dialect.lower(), dialect.lower())
    try:
        rewritten, names = _engine_form(sql, read, engine)
    except _Unparsed as e:
        if params:
            raise BindingError(f"The query could not be prepared for its values: {e}") from None
        return Bound(sql=sql)
    if not names:
        return Bound(sql=sql)
    values = iso_values(names, params, fill_missing=fill_missing)
    return Bound(sql=rewritten, values=values)


class _Unparsed(Exception):
    """sqlglot could not parse the statement (the first line of its reason)."""


# A widget's statement is bound at every run (each fetch, refresh, comparison and dashboard window): its
# engine form depends only on the text, the dialect and the engine, so it is worked out once.
@functools.lru_cache(maxsize=1024)
def _engine_form(sql: str, read: str, engine: str) -> tuple[str, frozenset[str]]:
    """Return ``sql`` in ``engine``'s placeholder form and the names it binds (none: ``sql`` as it is).
    Raises _Unparsed, or BindingError for positional placeholders next to named ones."""
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except (SqlglotError, RecursionError) as e:
        raise _Unparsed(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    nodes = list(tree.find_all(exp.Placeholder))
    names = frozenset(name for node in nodes if (name := placeholder_name(node)))
    if not names:
        return sql, names
    if len(names) != len({placeholder_name(n) for n in nodes}):
        raise BindingError("The query mixes positional and named placeholders; use named ones only.")
    return engine_sql(tree, read=read, engine=engine, avoid=sql), names


def engine_sql(tree: exp.Expression, *, read: str, engine: str, avoid: str = "") -> str:
    """Return the statement with each named placeholder in ``engine``'s form.

    Placeholders are first rendered as markers that appear nowhere else, so that PostgreSQL's other
    ``%`` signs (``LIKE 'Wat%'``, the modulo operator, a comment) can be doubled before the markers
    become ``%(name)s``: psycopg reads every ``%`` of a statement that has parameters.
    """
    form = _ENGINE_FORMS[engine]
    token = uuid.uuid4().hex
    while token in avoid:  # pragma: no cover - a 128-bit collision
        token = uuid.uuid4().hex
    marker = f"__bind_{token}_{{name}}__"

    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and (name := placeholder_name(node)):
            return exp.Var(this=marker.format(name=name))
        return node

    text = tree.transform(mark).sql(dialect=read)
    if engine == "postgresql":
        text = text.replace("%", "%%")
    names = {name for node in tree.find_all(exp.Placeholder) if (name := placeholder_name(node))}
    for name in names:
        text = text.replace(marker.format(name=name), form.format(name=name))
    return text
