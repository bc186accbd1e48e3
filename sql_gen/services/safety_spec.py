"""The statement against the spec it implements: the rows it reads are the rows the widget says.

``sql_check`` proves a statement safe; this proves a model's statement faithful to its spec, so that a
widget labelled "Auto · 1–30 Nov 2026" counts only Auto claims filed in that window. A query that reads
a metric's table (a fact query) must carry, each as a condition of its own in its WHERE joined to the
rest by AND:

- the window, ``>= :window_start`` and ``< :window_end`` (not under OR, NOT or CASE, nor in the select
  list): otherwise the placeholders are present but bound nothing;
- every spec filter on its column, with exactly the spec's values;
- nothing else but the metric's own default filters and join conditions (column = column).

A SELECT without FROM is refused: its rows are written in, not read. Its joins must be the dictionary's
(``safety_joins``): only the tables the spec needs, each once, on the key their ``references`` declare.

No LIMIT but the ranking's n, no OFFSET, HAVING or QUALIFY: the row cap our code adds is reported when
it cuts, a model's own limit never is. Every check walks the sqlglot tree, in the source's dialect.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from sql_gen.services.binding import PLACEHOLDERS, WINDOW
from sql_gen.services.safety import SqlRejected
from sql_gen.services.safety_joins import join_check
from sql_gen.services.safety_shape import shape_check
from sql_gen.services.safety_tree import (
    bare,
    conjuncts,
    ctes_of,
    fragment_sql,
    literal,
    parse_fragment,
    short,
    sources_of,
    unqualified,
)

logger = logging.getLogger(__name__)

_NUMERIC_OPS: dict[str, type[exp.Expression]] = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
_FLIPPED: dict[type[exp.Expression], type[exp.Expression]] = {exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE,
                                                              exp.LTE: exp.GTE}
_BOUNDS = (exp.GTE, exp.GT, exp.LT, exp.LTE)


@dataclass(frozen=True)
class _Filter:
    """A spec filter: its target (a column of a table, or a computed dimension's expression) and values."""

    label: str
    table: str
    column: str | None  # None for a computed dimension, matched by ``expression``
    expression: str | None
    op: str
    values: tuple[str, ...]


def spec_check(*, sql: str, read: str, spec: dict[str, Any], context: dict[str, Any],
               windows: tuple[tuple[str, str], ...] = (WINDOW,)) -> None:
    """Refuse a checked statement (``CheckedSql.uncapped``, in dialect ``read``) that does not compute
    what ``spec`` asks over the dictionary slice ``context`` the SQL step was given. ``windows`` are the
    placeholder pairs a fact query may be bounded by: the window's; a statement our code writes over two
    windows (a ranking's "all others" in the earlier window) passes the comparison's too.

    Raises:
        SqlRejected: with a reason the model can act on.
    """
    try:
        _spec_check(sqlglot.parse_one(sql, read=read), read, spec, context, windows)
    except SqlRejected:
        raise
    except Exception as e:  # a shape the check did not foresee is refused, never let through unchecked
        logger.exception("spec_check could not check a %s query", read)
        raise SqlRejected(f"The query could not be checked against the widget's spec ({type(e).__name__}); "
                          "write it as the plain shape the instructions give.") from None


def _spec_check(tree: exp.Expression, read: str, spec: dict[str, Any], context: dict[str, Any],
                windows: tuple[tuple[str, str], ...]) -> None:
    _check_limits(tree, spec)
    for clause in (exp.Having, exp.Qualify):
        if tree.find(clause):
            raise SqlRejected(f"{clause.key.upper()} is not allowed: a widget keeps every group of its spec; "
                              "filters belong in the WHERE of the query that reads the table.")
    facts = _fact_tables(context)
    filters = [_spec_filter(f, context) for f in spec.get("filters") or []]
    ctes = ctes_of(tree)
    bounding: set[int] = set()
    reads: list[_FactRead] = []
    for select in tree.find_all(exp.Select):
        if select.args.get("from_") is None:
            raise SqlRejected(f"Every SELECT must read from a table; {short(select, read)} writes its rows in, "
                              "and a widget shows only what the data holds.")
        aliases = {a: s if isinstance(s, str) else None for a, s in sources_of(select, ctes).items()}
        for join in select.args.get("joins") or []:
            _check_join(join, read)
        read_facts = [t for t in aliases.values() if t in facts]
        if read_facts:
            fact_read = _check_fact_where(select, read, aliases, read_facts, facts, filters, windows)
            bounding |= fact_read.bounding
            reads.append(fact_read)
        else:
            _check_outer_where(select, read)
    _check_placeholders(tree, bounding)
    _check_parts_read(facts, reads, read)
    shape_check(tree, read, spec, context)
    join_check(tree, read, spec, context, set(facts))


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




def _is_join_condition(node: exp.Expression) -> bool:
    """Return whether ``node`` is ``a.x = b.y`` (or null-safe, ``IS NOT DISTINCT FROM``): two columns of
    different sources, which filters no value."""
    if not isinstance(node, (exp.EQ, exp.NullSafeEQ)):
        return False
    left, right = bare(node.this), bare(node.expression)
    return (isinstance(left, exp.Column) and isinstance(right, exp.Column)
            and left.table.lower() != right.table.lower())


def _check_join(join: exp.Join, read: str) -> None:
    for condition in conjuncts(join.args.get("on")):
        if not _is_join_condition(condition):
            raise SqlRejected(f"A join may only match keys (a.x = b.y); found {short(condition, read)}. Put the "
                              "spec's filters in the WHERE of the query that reads the table.")


def _check_outer_where(select: exp.Select, read: str) -> None:
    for condition in conjuncts(select.args["where"].this if select.args.get("where") else None):
        if not _is_join_condition(condition):
            raise SqlRejected(f"{short(condition, read)} filters a query that does not read the metric's table; "
                              "filter in the WHERE of the query that reads it, and only as the spec says.")


@dataclass
class _FactRead:
    """What one query that reads a metric's table keeps of its rows."""

    tables: list[str]
    conditions: set[str]  # its WHERE's conditions, unqualified
    dated: set[tuple[str, str]]  # (table, column) bounded by both window placeholders
    bounding: set[int]  # the ids of its window comparisons


def _check_fact_where(select: exp.Select, read: str, aliases: dict[str, str | None], read_facts: list[str],
                      facts: dict[str, list[dict[str, Any]]], filters: list[_Filter],
                      windows: tuple[tuple[str, str], ...]) -> _FactRead:
    """Check a fact query's WHERE; return what it keeps (its window comparisons are the ones that bound rows):
    bounded by one of ``windows``' pairs."""
    where = select.args.get("where")
    parts = [p for t in read_facts for p in facts[t]]
    defaults = {unqualified(c, read) for p in parts for c in _fragment_conjuncts(p.get("default_filters"), read)}
    conditions: set[str] = set()
    bounds: dict[tuple[str, str], set[str]] = {}
    matched: set[int] = set()
    bounding: set[int] = set()
    for condition in conjuncts(where.this if where else None):
        conditions.add(unqualified(condition, read))
        name = _window_name(condition)
        if name is not None:
            bounds.setdefault(_dated_column(condition, read, aliases, read_facts, facts), set()).add(name)
            bounding.add(id(condition))
        elif condition.find(exp.Placeholder):
            raise _unbounded(condition.find(exp.Placeholder).name)
        elif _is_join_condition(condition) or unqualified(condition, read) in defaults:
            continue
        else:
            matched.add(_matched_filter(condition, read, aliases, filters))
    seen = {name for names in bounds.values() for name in names}
    if any(p.get("time_column") for p in parts) and not any(set(pair) <= seen for pair in windows):
        table = ", ".join(read_facts)
        raise SqlRejected(f"The query that reads {table} must bound its rows with time_column >= :window_start "
                          "AND time_column < :window_end, each a condition of its own in its WHERE joined by AND "
                          "(not under OR, NOT or CASE).")
    for index, flt in enumerate(filters):
        if index not in matched:
            raise SqlRejected(f"The spec's filter on {flt.label} ({_wanted(flt)}) is missing from the query "
                              f"that reads {', '.join(read_facts)}; add it to its WHERE with AND.")
    dated = {column for column, names in bounds.items() if any(set(pair) <= names for pair in windows)}
    return _FactRead(tables=read_facts, conditions=conditions, dated=dated, bounding=bounding)


def _dated_column(condition: exp.Expression, read: str, aliases: dict[str, str | None], read_facts: list[str],
                  facts: dict[str, list[dict[str, Any]]]) -> tuple[str, str]:
    """Return the (table, column) a window comparison bounds; refuse one that is no metric's time column."""
    side = condition.expression if condition.this.find(exp.Placeholder) else condition.this
    column = bare(side) if isinstance(bare(side), exp.Column) else side.find(exp.Column)
    dated = {(t, p["time_column"].lower()) for t in read_facts for p in facts[t] if p.get("time_column")}
    if isinstance(column, exp.Column):
        tables = [aliases.get(column.table.lower())] if column.table else read_facts
        for table in tables:
            if (table, column.name.lower()) in dated:
                return table, column.name.lower()  # type: ignore[return-value]
    wanted = ", ".join(sorted(f"{t}.{c}" for t, c in dated)) or "no date"
    raise SqlRejected(f"The window bounds {short(side, read)}, but the metric is dated by {wanted} (its definition): "
                      "compare that column with :window_start and :window_end.")


def _check_parts_read(facts: dict[str, list[dict[str, Any]]], reads: list[_FactRead], read: str) -> None:
    """Refuse a statement in which no query over a metric's table keeps the rows its definition does: its
    default filters, and its time column bounded by the window."""
    for table, parts in facts.items():
        for part in parts:
            defaults = {unqualified(c, read) for c in _fragment_conjuncts(part.get("default_filters"), read)}
            time_column = (part.get("time_column") or "").lower()
            over = [r for r in reads if table in r.tables]
            if not over:
                continue  # the metric's expression check says it is not computed
            if not any(defaults <= r.conditions for r in over):
                raise SqlRejected(f"{part['key']} counts only the {table} rows where {part['default_filters']} (its "
                                  "definition); add that condition to the WHERE of the query that computes it.")
            if time_column and not any((table, time_column) in r.dated and defaults <= r.conditions for r in over):
                raise SqlRejected(f"{part['key']} is dated by {table}.{time_column} (its definition): bound that "
                                  "column with >= :window_start AND < :window_end in the query that computes it.")


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
    one on a filter's column with other values. A column may have several filters ("between 5k and 25k": a
    lower and an upper bound): the condition is any one of them."""
    subject, other = _subject(condition), None
    for index, flt in enumerate(filters):
        if subject is None or not _targets(subject, flt, read, aliases):
            continue
        if _same_values(condition, flt):
            return index
        other = other or flt
    if other is not None:
        raise SqlRejected(f"The spec filters {other.label} as {_wanted(other)}; the query has "
                          f"{short(condition, read)}. Use exactly the spec's values.")
    raise SqlRejected(f"{short(condition, read)} is a filter the widget's spec does not have; remove it (the "
                      "rows are filtered only by the window, the spec's filters and the metric's definition).")


def _subject(condition: exp.Expression) -> exp.Expression | None:
    """Return what a filter condition tests: the left of IN / NOT IN, or the non-literal side of a comparison."""
    node = condition.this if isinstance(condition, exp.Not) else condition
    if isinstance(node, exp.In):
        return node.this
    if isinstance(node, (exp.EQ, exp.NEQ, *_BOUNDS)):
        return node.expression if literal(node.this) is not None else node.this
    return None


def _targets(subject: exp.Expression, flt: _Filter, read: str, aliases: dict[str, str | None]) -> bool:
    if flt.column is None:
        return unqualified(subject, read) == fragment_sql(flt.expression or "", read)
    column = bare(subject)
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
            node.expression if literal(node.this) is None else node.this]
        values = [literal(v) for v in found]
        return None not in values and sorted(set(values)) == sorted(set(flt.values))  # type: ignore[type-var]
    wanted = _NUMERIC_OPS.get(flt.op)
    literal_left = literal(node.this) is not None
    op = _FLIPPED.get(type(node), type(node)) if literal_left else type(node)
    value = literal(node.this if literal_left else node.expression)
    return op is wanted and value is not None and _same_number(value, flt.values[0] if flt.values else "")


def _same_number(found: str, wanted: str) -> bool:
    try:
        return float(found) == float(wanted)
    except ValueError:
        return False






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
    return list(conjuncts(parse_fragment(fragment, read)))








def _wanted(flt: _Filter) -> str:
    if flt.op in ("in", "not_in"):
        values = ", ".join(exp.Literal.string(v).sql() for v in flt.values)
        return f"{'NOT IN' if flt.op == 'not_in' else 'IN'} ({values})"
    return f"{flt.op} {flt.values[0] if flt.values else ''}"

