"""The statement against the spec it implements: the rows it reads are the rows the widget says.

``sql_check`` proves a statement safe; this proves a model's statement faithful to its spec, so that a
widget labelled "Auto · 1–30 Nov 2026" counts only Auto claims filed in that window. A query that reads
a metric's table (a fact query) must carry, each as a condition of its own in its WHERE joined to the
rest by AND:

- the window, ``>= :window_start`` and ``< :window_end`` (not under OR, NOT or CASE, nor in the select
  list): otherwise the placeholders are present but bound nothing;
- every spec filter on its column, with exactly the spec's values;
- nothing else but the metric's own default filters and join conditions (column = column).

A SELECT without FROM is refused: its rows are written in, not read.

No LIMIT but the ranking's n, no OFFSET, HAVING or QUALIFY: the row cap our code adds is reported when
it cuts, a model's own limit never is. Every check walks the sqlglot tree, in the source's dialect.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sql_gen.services.binding import PLACEHOLDERS, WINDOW, canonical
from sql_gen.services.safety import SqlRejected

logger = logging.getLogger(__name__)

_NUMERIC_OPS: dict[str, type[exp.Expression]] = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
_FLIPPED: dict[type[exp.Expression], type[exp.Expression]] = {exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE,
                                                              exp.LTE: exp.GTE}
_BOUNDS = (exp.GTE, exp.GT, exp.LT, exp.LTE)
_PASSTHROUGH = (exp.Paren, exp.Cast, exp.TryCast)


@dataclass(frozen=True)
class _Filter:
    """A spec filter: its target (a column of a table, or a computed dimension's expression) and values."""

    label: str
    table: str
    column: str | None  # None for a computed dimension, matched by ``expression``
    expression: str | None
    op: str
    values: tuple[str, ...]


def spec_check(*, sql: str, read: str, spec: dict[str, Any], context: dict[str, Any]) -> None:
    """Refuse a checked statement (``CheckedSql.uncapped``, in dialect ``read``) that does not compute
    what ``spec`` asks over the dictionary slice ``context`` the SQL step was given.

    Raises:
        SqlRejected: with a reason the model can act on.
    """
    try:
        _spec_check(sqlglot.parse_one(sql, read=read), read, spec, context)
    except SqlRejected:
        raise
    except Exception as e:  # a shape the check did not foresee is refused, never let through unchecked
        logger.exception("spec_check could not check a %s query", read)
        raise SqlRejected(f"The query could not be checked against the widget's spec ({type(e).__name__}); "
                          "write it as the plain shape the instructions give.") from None


def _spec_check(tree: exp.Expression, read: str, spec: dict[str, Any], context: dict[str, Any]) -> None:
    _check_limits(tree, spec)
    for clause in (exp.Having, exp.Qualify):
        if tree.find(clause):
            raise SqlRejected(f"{clause.key.upper()} is not allowed: a widget keeps every group of its spec; "
                              "filters belong in the WHERE of the query that reads the table.")
    facts = _fact_tables(context)
    filters = [_spec_filter(f, context) for f in spec.get("filters") or []]
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    bounding: set[int] = set()
    for select in tree.find_all(exp.Select):
        if select.args.get("from_") is None:
            raise SqlRejected(f"Every SELECT must read from a table; {_short(select, read)} writes its rows in, "
                              "and a widget shows only what the data holds.")
        aliases = _aliases(select, ctes)
        for join in select.args.get("joins") or []:
            _check_join(join, read)
        read_facts = [t for t in aliases.values() if t in facts]
        if read_facts:
            bounding |= _check_fact_where(select, read, aliases, read_facts, facts, filters)
        else:
            _check_outer_where(select, read)
    _check_placeholders(tree, bounding)


def _check_limits(tree: exp.Expression, spec: dict[str, Any]) -> None:
    ranking = spec.get("ranking") or {}
    allowed = int(ranking["n"]) if ranking.get("n") else None
    for node in tree.walk():
        if node.args.get("offset") is not None:
            raise SqlRejected("OFFSET is not allowed: a widget shows its rows from the first.")
        limit = node.args.get("limit")
        if not isinstance(limit, (exp.Limit, exp.Fetch)):
            continue
        count = limit.args.get("count" if isinstance(limit, exp.Fetch) else "expression")
        n = int(count.this) if isinstance(count, exp.Literal) and count.this.isdigit() else None
        if allowed is None:
            raise SqlRejected("Write no LIMIT: the spec has no ranking, and the row cap is applied for you "
                              "(a result it cuts is reported as cut).")
        if n != allowed:
            raise SqlRejected(f"The only LIMIT allowed is the ranking's, LIMIT {allowed}; found "
                              f"{limit.sql().strip()}.")


def _fact_tables(context: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Return, per base table of the slice's metrics (both parts of a ratio), the metric parts over it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for metric in context.get("metrics") or [context["metric"]]:
        parts = [metric["numerator"], metric["denominator"]] if metric.get("kind") == "ratio" else [metric]
        for part in parts:
            out.setdefault(part["base_table"].lower(), []).append(part)
    return out


def _spec_filter(flt: dict[str, Any], context: dict[str, Any]) -> _Filter:
    dims = {d["key"]: d for d in context.get("dimensions", [])}
    dim = dims.get(flt["dimension"])
    op = flt.get("op", "in")
    values = tuple(str(v) for v in flt.get("values") or [])
    if dim is None:  # a numeric column, named table.column
        table, column = flt["dimension"].split(".", 1)
        return _Filter(flt["dimension"], table.lower(), column.lower(), None, op, values)
    column = dim.get("column")
    return _Filter(dim.get("label") or dim["key"], dim["table"].lower(), column.lower() if column else None,
                   dim.get("expression"), op, values)


def _aliases(select: exp.Select, ctes: set[str]) -> dict[str, str | None]:
    """Return the select's own sources by alias: a base table's name, or None for a subquery or a CTE."""
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    out: dict[str, str | None] = {}
    for source in sources:
        if source is None:
            continue
        node = source.this
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name.lower() in ctes:
            out[node.alias_or_name.lower()] = None
        elif isinstance(node, exp.Table):
            out[node.alias_or_name.lower()] = node.name.lower()
        else:
            out[(node.alias_or_name or "").lower()] = None
    return out


def _conjuncts(node: exp.Expression | None) -> Iterator[exp.Expression]:
    """Yield the conditions ANDed at the top of ``node``, parentheses removed."""
    if node is None:
        return
    node = node.unnest()
    if isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _is_join_condition(node: exp.Expression) -> bool:
    """Return whether ``node`` is ``a.x = b.y`` (or null-safe, ``IS NOT DISTINCT FROM``): two columns of
    different sources, which filters no value."""
    if not isinstance(node, (exp.EQ, exp.NullSafeEQ)):
        return False
    left, right = _bare(node.this), _bare(node.expression)
    return (isinstance(left, exp.Column) and isinstance(right, exp.Column)
            and left.table.lower() != right.table.lower())


def _check_join(join: exp.Join, read: str) -> None:
    for condition in _conjuncts(join.args.get("on")):
        if not _is_join_condition(condition):
            raise SqlRejected(f"A join may only match keys (a.x = b.y); found {_short(condition, read)}. Put the "
                              "spec's filters in the WHERE of the query that reads the table.")


def _check_outer_where(select: exp.Select, read: str) -> None:
    for condition in _conjuncts(select.args["where"].this if select.args.get("where") else None):
        if not _is_join_condition(condition):
            raise SqlRejected(f"{_short(condition, read)} filters a query that does not read the metric's table; "
                              "filter in the WHERE of the query that reads it, and only as the spec says.")


def _check_fact_where(select: exp.Select, read: str, aliases: dict[str, str | None], read_facts: list[str],
                      facts: dict[str, list[dict[str, Any]]], filters: list[_Filter]) -> set[int]:
    """Check a fact query's WHERE; return the ids of its window comparisons (the ones that bound rows)."""
    where = select.args.get("where")
    parts = [p for t in read_facts for p in facts[t]]
    defaults = {_unqualified(c, read) for p in parts for c in _fragment_conjuncts(p.get("default_filters"), read)}
    seen: set[str] = set()
    matched: set[int] = set()
    bounding: set[int] = set()
    for condition in _conjuncts(where.this if where else None):
        name = _window_name(condition)
        if name is not None:
            seen.add(name)
            bounding.add(id(condition))
        elif condition.find(exp.Placeholder):
            raise _unbounded(condition.find(exp.Placeholder).name)
        elif _is_join_condition(condition) or _unqualified(condition, read) in defaults:
            continue
        else:
            matched.add(_matched_filter(condition, read, aliases, filters))
    if any(p.get("time_column") for p in parts) and not set(WINDOW) <= seen:
        table = ", ".join(read_facts)
        raise SqlRejected(f"The query that reads {table} must bound its rows with time_column >= :window_start "
                          "AND time_column < :window_end, each a condition of its own in its WHERE joined by AND "
                          "(not under OR, NOT or CASE).")
    for index, flt in enumerate(filters):
        if index not in matched:
            raise SqlRejected(f"The spec's filter on {flt.label} ({_wanted(flt)}) is missing from the query "
                              f"that reads {', '.join(read_facts)}; add it to its WHERE with AND.")
    return bounding


def _window_name(condition: exp.Expression) -> str | None:
    """Return the placeholder a comparison bounds its column by, or None."""
    if not isinstance(condition, _BOUNDS):
        return None
    for node in condition.find_all(exp.Placeholder):
        if _comparison_of(node) is condition:
            return node.name
    return None


def _comparison_of(node: exp.Placeholder) -> exp.Expression | None:
    """Return the comparison a placeholder is compared in (``sql_check`` allows no other use)."""
    return node.find_ancestor(*_BOUNDS, exp.Select)


def _matched_filter(condition: exp.Expression, read: str, aliases: dict[str, str | None],
                    filters: list[_Filter]) -> int:
    """Return the index of the spec filter ``condition`` is; refuse a condition the spec does not have, or
    one on a filter's column with other values."""
    for index, flt in enumerate(filters):
        subject = _subject(condition)
        if subject is None or not _targets(subject, flt, read, aliases):
            continue
        if not _same_values(condition, flt):
            raise SqlRejected(f"The spec filters {flt.label} as {_wanted(flt)}; the query has "
                              f"{_short(condition, read)}. Use exactly the spec's values.")
        return index
    raise SqlRejected(f"{_short(condition, read)} is a filter the widget's spec does not have; remove it (the "
                      "rows are filtered only by the window, the spec's filters and the metric's definition).")


def _subject(condition: exp.Expression) -> exp.Expression | None:
    """Return what a filter condition tests: the left of IN / NOT IN, or the non-literal side of a comparison."""
    node = condition.this if isinstance(condition, exp.Not) else condition
    if isinstance(node, exp.In):
        return node.this
    if isinstance(node, (exp.EQ, exp.NEQ, *_BOUNDS)):
        return node.expression if _literal(node.this) is not None else node.this
    return None


def _targets(subject: exp.Expression, flt: _Filter, read: str, aliases: dict[str, str | None]) -> bool:
    if flt.column is None:
        return _unqualified(subject, read) == _fragment_sql(flt.expression or "", read)
    column = _bare(subject)
    if not isinstance(column, exp.Column) or column.name.lower() != flt.column:
        return False
    return not column.table or aliases.get(column.table.lower()) == flt.table


def _same_values(condition: exp.Expression, flt: _Filter) -> bool:
    negated = isinstance(condition, (exp.Not, exp.NEQ))
    node = condition.this if isinstance(condition, exp.Not) else condition
    if flt.op in ("in", "not_in"):
        if negated != (flt.op == "not_in"):
            return False
        found = node.expressions if isinstance(node, exp.In) else [
            node.expression if _literal(node.this) is None else node.this]
        values = [_literal(v) for v in found]
        return None not in values and sorted(set(values)) == sorted(set(flt.values))  # type: ignore[type-var]
    wanted = _NUMERIC_OPS.get(flt.op)
    literal_left = _literal(node.this) is not None
    op = _FLIPPED.get(type(node), type(node)) if literal_left else type(node)
    value = _literal(node.this if literal_left else node.expression)
    return op is wanted and value is not None and _same_number(value, flt.values[0] if flt.values else "")


def _same_number(found: str, wanted: str) -> bool:
    try:
        return float(found) == float(wanted)
    except ValueError:
        return False


def _literal(node: exp.Expression | None) -> str | None:
    """Return a literal's value as text (a negative number included), or None for anything else."""
    node = node.unnest() if node is not None else None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.this}"
    return str(node.this) if isinstance(node, exp.Literal) else None


def _bare(node: exp.Expression | None) -> exp.Expression | None:
    """Return ``node`` without the parentheses and casts around it."""
    while isinstance(node, _PASSTHROUGH):
        node = node.this
    return node


def _check_placeholders(tree: exp.Expression, bounding: set[int]) -> None:
    """Refuse a placeholder whose comparison is not one of a fact query's top-level WHERE conditions."""
    for node in tree.find_all(exp.Placeholder):
        if node.name not in PLACEHOLDERS:
            continue  # sql_check refused it already
        if id(_comparison_of(node)) not in bounding:
            raise _unbounded(node.name)


def _unbounded(name: str) -> SqlRejected:
    return SqlRejected(f":{name} must bound the rows: compare the time column with it as a condition of its own "
                       "in the WHERE of the query that reads the metric's table, joined by AND (not under OR, NOT "
                       "or CASE, nor in the select list).", placeholder=name)


def _fragment_conjuncts(fragment: str | None, read: str) -> list[exp.Expression]:
    if not fragment:
        return []
    return list(_conjuncts(_parse_fragment(fragment, read)))


def _parse_fragment(fragment: str, read: str) -> exp.Expression:
    """Parse a dictionary fragment (written for the source, or in DuckDB's flavour as the offline writer reads
    it), carried to ``read`` and back the way ``sql_check`` normalizes a statement."""
    try:
        tree = sqlglot.parse_one(fragment, read=read)
    except SqlglotError:
        tree = sqlglot.parse_one(sqlglot.transpile(fragment, read="duckdb", write=read)[0], read=read)
    return sqlglot.parse_one(tree.sql(dialect=read), read=read)


def _fragment_sql(fragment: str, read: str) -> str:
    return _unqualified(_parse_fragment(fragment, read), read)


def _unqualified(node: exp.Expression, read: str) -> str:
    """Return ``node`` as SQL with its columns' table qualifiers and outer parentheses removed."""
    copy = node.unnest().copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    return copy.sql(dialect=read).lower()


def _wanted(flt: _Filter) -> str:
    if flt.op in ("in", "not_in"):
        values = ", ".join(exp.Literal.string(v).sql() for v in flt.values)
        return f"{'NOT IN' if flt.op == 'not_in' else 'IN'} ({values})"
    return f"{flt.op} {flt.values[0] if flt.values else ''}"


def _short(node: exp.Expression, read: str) -> str:
    text = (canonical(node) if node.find(exp.Placeholder) else node).sql(dialect=read)
    return text if len(text) <= 120 else text[:117] + "..."
