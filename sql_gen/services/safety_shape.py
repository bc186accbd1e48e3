"""What a statement computes, against its spec: each metric as its definition says, grouped by the spec's groups
and no others, and a ranking ordered its way.

``spec_check`` (``safety_spec``) proves which rows a statement reads; this proves what it makes of them:

- each metric (each part of a ratio) is computed by its definition's expression (``SUM(paid_amount)`` for
  total_paid), and no other aggregate is made of a metric table's rows (a ``SUM(claimed_amount)`` in its place);
- each query that computes a metric groups by exactly the spec's groups: the period at the spec's grain over
  the metric's time column, each dimension's column (a computed dimension's expression), and the key of a label
  several rows share; no group more, none less. A ranked series ranks its groups in a query without the period;
- a ranking orders by the primary metric first, descending for a top N and ascending for a bottom N, in the
  query that carries its LIMIT.

Expressions are compared as trees (``safety_tree.normal``): aliases, quoting, case and parentheses do not
matter, what is computed does. A column is followed through subqueries and CTEs to where it comes from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from sql_gen.services.safety import SqlRejected
from sql_gen.services.safety_tree import bare, ctes_of, normal, origin, parse_fragment, short, sources_of

_TRUNCS = (exp.DateTrunc, exp.DatetimeTrunc, exp.TimestampTrunc, exp.TimeTrunc)
_GROUPINGS = (exp.Rollup, exp.Cube, exp.GroupingSets)


@dataclass(frozen=True)
class _Part:
    """A metric's aggregate as its definition writes it (a ratio has two)."""

    key: str
    table: str
    text: str
    tree: exp.Expression  # ``normal`` of the definition's expression
    time_column: str | None


@dataclass(frozen=True)
class _Key:
    """A group the spec asks for: a dimension's column, a computed dimension's expression, or the period."""

    label: str
    want: str  # how to group by it, for a message
    table: str | None = None
    column: str | None = None
    expression: exp.Expression | None = None
    period: bool = False


@dataclass(frozen=True)
class _Reading:
    """What the checks read of a statement: its CTEs and the dictionary's columns per table."""

    read: str
    ctes: dict[str, exp.Expression]
    columns: dict[str, set[str]]


def shape_check(tree: exp.Expression, read: str, spec: dict[str, Any], context: dict[str, Any]) -> None:
    """Refuse a statement whose metrics, groups or ranking order are not the spec's over ``context``.

    Raises:
        SqlRejected: with a reason the model can act on.
    """
    reading = _Reading(read, ctes_of(tree), {t["name"].lower(): {c["name"].lower() for c in t.get("columns", [])}
                                             for t in context.get("tables", [])})
    parts = _parts(context, read)
    computing = _computing(tree, parts, reading)
    keys = _keys(spec, context, read)
    grain = spec.get("grain")
    ranked_series = bool(spec.get("ranking") and grain)
    by_period = [_check_groups(select, found, keys, grain, ranked_series, reading)
                 for select, found in computing.values()]
    if grain and not any(by_period):
        period = next(k for k in keys if k.period)
        raise SqlRejected(f"The widget is a series by {grain}: group the query that computes the metric by "
                          f"{period.want}.")
    _check_ranking(tree, spec, context, parts, reading)


def _parts(context: dict[str, Any], read: str) -> list[_Part]:
    out = []
    for metric in context.get("metrics") or [context["metric"]]:
        pieces = [metric["numerator"], metric["denominator"]] if metric.get("kind") == "ratio" else [metric]
        for piece in pieces:
            out.append(_Part(piece["key"], piece["base_table"].lower(), piece["expression"],
                             normal(parse_fragment(piece["expression"], read)),
                             (piece.get("time_column") or "").lower() or None))
    return out


def _computing(tree: exp.Expression, parts: list[_Part], reading: _Reading
               ) -> dict[int, tuple[exp.Select, list[_Part]]]:
    """Return, by id, each select whose select list computes a metric part, with the parts it computes.

    Refuses a part that no select list computes, and an aggregate of a metric table's rows that is no part."""
    found: dict[int, tuple[exp.Select, list[_Part]]] = {}
    covered: set[int] = set()
    for part in parts:
        hits = [n for n in tree.find_all(type(part.tree)) if normal(n) == part.tree]
        owners = [s for s in (_listed_in(n) for n in hits) if s is not None]
        if not owners:
            raise SqlRejected(f"{part.key} is {part.text} over {part.table} (its definition); the query does not "
                              f"compute it. Compute {part.key} exactly as {part.text}.")
        for hit in hits:
            covered |= {id(n) for n in hit.walk()}
        for select in owners:
            entry = found.setdefault(id(select), (select, []))
            if part not in entry[1]:
                entry[1].append(part)
    _check_foreign(tree, parts, covered, reading)
    return found


def _listed_in(node: exp.Expression) -> exp.Select | None:
    """Return the select in whose select list ``node`` is, or None (a WHERE, an ORDER BY)."""
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        child, parent = parent, parent.parent
    return parent if parent is not None and child.arg_key == "expressions" else None


def _check_foreign(tree: exp.Expression, parts: list[_Part], covered: set[int], reading: _Reading) -> None:
    """Refuse an aggregate of a metric table's rows that is not one of the metrics' definitions."""
    tables = {p.table for p in parts}
    defined = "; ".join(dict.fromkeys(f"{p.key} is {p.text}" for p in parts))
    for select in tree.find_all(exp.Select):
        reads_facts = any(s in tables for s in sources_of(select, reading.ctes).values() if isinstance(s, str))
        for item in select.expressions:
            for aggregate in item.find_all(exp.AggFunc):
                if id(aggregate) in covered or aggregate.find_ancestor(exp.Select) is not select:
                    continue
                if _over_rows(aggregate, select, tables, reads_facts, reading):
                    raise SqlRejected(f"{short(aggregate, reading.read)} is not how the widget's metrics are "
                                      f"computed ({defined}); compute each exactly by its definition.")


def _over_rows(aggregate: exp.Expression, select: exp.Select, tables: set[str], reads_facts: bool,
               reading: _Reading) -> bool:
    """Tell whether an aggregate is made of a metric table's rows (not of values a subquery computed)."""
    columns = list(aggregate.find_all(exp.Column))
    if not columns:
        return reads_facts  # COUNT(*) over the rows the select reads
    return any(origin(c, select, reading.ctes, reading.columns).table in tables for c in columns)


def _keys(spec: dict[str, Any], context: dict[str, Any], read: str) -> list[_Key]:
    """Return the groups the spec asks for, in result order."""
    dims = {d["key"]: d for d in context.get("dimensions", [])}
    keys = []
    if spec.get("grain"):
        grain = spec["grain"]
        keys.append(_Key(f"{grain} (the period)", f"the {grain} of the metric's time column, as period", period=True))
    for key in spec.get("dimensions") or []:
        dim = dims.get(key)
        if dim is None:
            raise SqlRejected(f"The spec groups by {key}, which the dictionary does not have.")
        label = dim.get("label") or key
        table = dim["table"].lower()
        if dim.get("expression"):
            keys.append(_Key(label, f"its expression ({dim['expression']})",
                             expression=normal(parse_fragment(dim["expression"], read))))
        else:
            keys.append(_Key(label, f"{table}.{dim['column']}", table=table, column=dim["column"].lower()))
        if dim.get("key_column"):
            keys.append(_Key(f"{label}'s key {dim['key_column']}", f"{table}.{dim['key_column']}", table=table,
                             column=dim["key_column"].lower()))
    return keys


def _check_groups(select: exp.Select, parts: list[_Part], keys: list[_Key], grain: str | None,
                  ranked_series: bool, reading: _Reading) -> bool:
    """Refuse a select that computes ``parts`` grouped otherwise than by ``keys``; return whether it groups by
    the period (a ranked series' ranking query may leave it out)."""
    times = {p.time_column for p in parts if p.time_column}
    matched: set[int] = set()
    for candidates in _group_items(select):
        hit = next((i for i, key in enumerate(keys)
                    if any(_is_key(c, key, select, times, grain, reading) for c in candidates)), None)
        if hit is None:
            groups = ", ".join(k.label for k in keys)
            wanted = f"group by exactly the widget's groups ({groups})" if keys else \
                "the widget has no groups: compute one row, without GROUP BY"
            raise SqlRejected(f"GROUP BY {short(candidates[0], reading.read)} is not one of the widget's groups; "
                              f"{wanted}.")
        matched.add(hit)
    names = ", ".join(p.key for p in parts)
    for index, key in enumerate(keys):
        if index not in matched and not (key.period and ranked_series):
            raise SqlRejected(f"The widget is grouped by {key.label}; the query that computes {names} does not "
                              f"group by it: group by {key.want}.")
    return any(keys[i].period for i in matched)


def _group_items(select: exp.Select) -> list[list[exp.Expression]]:
    """Return each GROUP BY item as what it may stand for: itself, or the select-list expression it names by
    position or by alias. GROUP BY ALL stands for every select-list expression that is no aggregate."""
    group = select.args.get("group")
    if group is None:
        return []
    if any(isinstance(item, _GROUPINGS) for item in group.expressions) or any(
            group.args.get(arg) for arg in ("rollup", "cube", "grouping_sets")):
        raise SqlRejected("GROUP BY ROLLUP, CUBE or GROUPING SETS is not allowed: a widget's rows are its groups, "
                          "and its totals are a query of their own.")
    listed = select.expressions
    if group.args.get("all"):
        return [[item.unalias()] for item in listed if not item.find(exp.AggFunc)]
    items = []
    for item in group.expressions:
        if isinstance(item, exp.Literal) and not item.is_string and item.this.isdigit() \
                and 1 <= int(item.this) <= len(listed):
            items.append([listed[int(item.this) - 1].unalias()])
            continue
        named = [i.unalias() for i in listed if isinstance(item, exp.Column) and not item.table and i.alias
                 and i.alias.lower() == item.name.lower()]
        items.append([item, *named])
    return items


def _is_key(candidate: exp.Expression, key: _Key, select: exp.Select, times: set[str], grain: str | None,
            reading: _Reading) -> bool:
    found = origin(candidate, select, reading.ctes, reading.columns)
    if key.period:
        if found.expression is None:
            return grain == "day" and found.column in times
        columns = {c.name.lower() for c in found.expression.find_all(exp.Column)}
        units = {n.text("unit").lower() for n in found.expression.find_all(*_TRUNCS)}
        return bool(columns & times) and units <= {grain}
    if key.expression is not None:
        return found.expression is not None and normal(found.expression) == key.expression
    return found.expression is None and found.column == key.column and found.table in (None, key.table)


def _check_ranking(tree: exp.Expression, spec: dict[str, Any], context: dict[str, Any], parts: list[_Part],
                   reading: _Reading) -> None:
    """Refuse a ranking that is not ordered by the primary metric, highest first for a top N and lowest first
    for a bottom N, in the query that carries its LIMIT."""
    ranking = spec.get("ranking")
    if not ranking:
        return
    key = (context.get("metrics") or [context["metric"]])[0]["key"]
    top = ranking["direction"] == "top"
    wanted = f"ORDER BY {key} {'DESC' if top else 'ASC'} LIMIT {int(ranking['n'])}"
    said = f"the {ranking['direction']} {int(ranking['n'])} by {key}"
    limited = [n for n in tree.walk() if isinstance(n.args.get("limit"), (exp.Limit, exp.Fetch))]
    if not limited:
        raise SqlRejected(f"The spec ranks {said}: end the ranking query with {wanted}.")
    trees = [p.tree for p in parts if p.key == key]
    for node in limited:
        order = node.args.get("order")
        first = order.expressions[0] if order is not None and order.expressions else None
        if first is None or not _is_primary(first.this, node, key, trees, reading):
            found = f"ORDER BY {short(first.this, reading.read)}" if first is not None else "no ORDER BY"
            raise SqlRejected(f"A ranking orders by its metric first: {said} is {wanted}; the query has {found}.")
        if bool(first.args.get("desc")) != top:
            raise SqlRejected(f"{said[0].upper()}{said[1:]} puts the {'highest' if top else 'lowest'} first: "
                              f"{wanted}; the query has ORDER BY {short(first, reading.read)}.")


def _is_primary(expression: exp.Expression, node: exp.Expression, key: str, trees: list[exp.Expression],
                reading: _Reading) -> bool:
    """Tell whether an ORDER BY expression of ``node`` is the primary metric: its column (by alias or position)
    or an expression that computes it."""
    select = node if isinstance(node, exp.Select) else node.find(exp.Select)
    listed = select.expressions if select is not None else []
    candidates = [expression]
    if isinstance(expression, exp.Literal) and not expression.is_string and expression.this.isdigit() \
            and 1 <= int(expression.this) <= len(listed):
        candidates.append(listed[int(expression.this) - 1])
    elif isinstance(expression, exp.Column) and not expression.table:
        candidates += [i for i in listed if i.alias and i.alias.lower() == expression.name.lower()]
    for candidate in candidates:
        if isinstance(candidate, exp.Alias) and candidate.alias.lower() == key:
            return True
        plain = bare(candidate.unalias())
        if isinstance(plain, exp.Column) and plain.name.lower() == key:
            return True
        found = origin(candidate.unalias(), select, reading.ctes, reading.columns) if select is not None else None
        computed = found.expression if found is not None else None
        if computed is not None and any(normal(n) == t for t in trees for n in computed.find_all(type(t))):
            return True
    return False
