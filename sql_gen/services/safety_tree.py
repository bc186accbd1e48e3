"""Reading a checked statement's sqlglot tree for ``spec_check``: conditions, sources, where a column comes
from, and expressions compared as the same computation whatever their aliases, quoting, case or parentheses."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sql_gen.services.binding import canonical

PASSTHROUGH = (exp.Paren, exp.Cast, exp.TryCast)
Source = str | exp.Expression  # a base table's name, or the query a subquery or a CTE reads
_MAX_DEPTH = 8  # subqueries followed to find where a column comes from


def conjuncts(node: exp.Expression | None) -> Iterator[exp.Expression]:
    """Yield the conditions ANDed at the top of ``node``, parentheses removed."""
    if node is None:
        return
    node = node.unnest()
    if isinstance(node, exp.And):
        yield from conjuncts(node.this)
        yield from conjuncts(node.expression)
    else:
        yield node


def bare(node: exp.Expression | None) -> exp.Expression | None:
    """Return ``node`` without the parentheses and casts around it."""
    while isinstance(node, PASSTHROUGH):
        node = node.this
    return node


def literal(node: exp.Expression | None) -> str | None:
    """Return a literal's value as text (a negative number included), or None for anything else."""
    node = node.unnest() if node is not None else None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.this}"
    return str(node.this) if isinstance(node, exp.Literal) else None


def parse_fragment(fragment: str, read: str) -> exp.Expression:
    """Parse a dictionary fragment (written for the source, or in DuckDB's flavour as the offline writer reads
    it), carried to ``read`` and back the way ``sql_check`` normalizes a statement."""
    try:
        tree = sqlglot.parse_one(fragment, read=read)
    except SqlglotError:
        tree = sqlglot.parse_one(sqlglot.transpile(fragment, read="duckdb", write=read)[0], read=read)
    return sqlglot.parse_one(tree.sql(dialect=read), read=read)


def unqualified(node: exp.Expression, read: str) -> str:
    """Return ``node`` as SQL with its columns' table qualifiers and outer parentheses removed."""
    copy = node.unnest().copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    return copy.sql(dialect=read).lower()


def fragment_sql(fragment: str, read: str) -> str:
    return unqualified(parse_fragment(fragment, read), read)


def normal(node: exp.Expression) -> exp.Expression:
    """Return a copy of ``node`` that compares equal (``==``) to any spelling of the same computation: columns
    without their table, identifiers unquoted in lower case, no parentheses (the tree keeps the precedence
    they gave), and ``COUNT(1)`` as ``COUNT(*)``."""
    copy = node.copy()
    while isinstance(copy, exp.Paren):
        copy = copy.this
    for paren in reversed(list(copy.find_all(exp.Paren))):
        paren.replace(paren.this)
    for column in list(copy.find_all(exp.Column)):
        column.set("table", None)
        column.set("db", None)
        column.set("catalog", None)
    for identifier in copy.find_all(exp.Identifier):
        identifier.set("this", identifier.name.lower())
        identifier.set("quoted", False)
    for count in list(copy.find_all(exp.Count)):
        if isinstance(count.this, exp.Literal) and not count.this.is_string:
            count.set("this", exp.Star())
    return copy


def short(node: exp.Expression, read: str) -> str:
    """Return ``node`` as SQL for a message, cut at 120 characters."""
    text = (canonical(node) if node.find(exp.Placeholder) else node).sql(dialect=read)
    return text if len(text) <= 120 else text[:117] + "..."


def ctes_of(tree: exp.Expression) -> dict[str, exp.Expression]:
    """Return the statement's CTEs by name: the query each reads."""
    return {cte.alias_or_name.lower(): cte.this for cte in tree.find_all(exp.CTE)}


def sources_of(select: exp.Select, ctes: dict[str, exp.Expression]) -> dict[str, Source]:
    """Return the select's own sources by alias: a base table's name, or the query of a subquery or a CTE."""
    out: dict[str, Source] = {}
    for source in [select.args.get("from_"), *(select.args.get("joins") or [])]:
        if source is None:
            continue
        node = source.this
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name.lower() in ctes:
            out[node.alias_or_name.lower()] = ctes[node.name.lower()]
        elif isinstance(node, exp.Table):
            out[node.alias_or_name.lower()] = node.name.lower()
        else:
            out[(node.alias_or_name or "").lower()] = node.this if isinstance(node, exp.Subquery) else node
    return out


@dataclass(frozen=True)
class Origin:
    """Where a value of a select comes from: a base table's column, or an expression computed in ``scope``."""

    table: str | None = None
    column: str | None = None
    expression: exp.Expression | None = None
    scope: exp.Select | None = None


def origin(node: exp.Expression, select: exp.Select, ctes: dict[str, exp.Expression],
           columns: dict[str, set[str]], depth: int = 0) -> Origin:
    """Return where ``node`` (an expression of ``select``) comes from, following columns through subqueries and
    CTEs to a base table's column or the expression that computes them. ``columns`` holds the dictionary's
    column names per table, to tell which of several base tables an unqualified column reads."""
    node = bare(node)
    if not isinstance(node, exp.Column) or depth > _MAX_DEPTH:
        return Origin(expression=node, scope=select)
    name, sources = node.name.lower(), sources_of(select, ctes)
    if node.table:
        found = sources.get(node.table.lower())
        candidates = [found] if found is not None else []
    else:
        candidates = [s for s in sources.values() if _holds(s, name, columns)] or list(sources.values())
    if len(candidates) != 1:
        return Origin(column=name, scope=select)
    source = candidates[0]
    if isinstance(source, str):
        return Origin(table=source, column=name, scope=select)
    inner = source.find(exp.Select) if not isinstance(source, exp.Select) else source
    if inner is None:
        return Origin(column=name, scope=select)
    for item in inner.expressions:
        if isinstance(item, exp.Star):
            return origin(exp.column(name), inner, ctes, columns, depth + 1)
        if item.alias_or_name.lower() == name:
            return origin(item.unalias(), inner, ctes, columns, depth + 1)
    return Origin(column=name, scope=select)


def _holds(source: Source, name: str, columns: dict[str, set[str]]) -> bool:
    if isinstance(source, str):
        return name in columns.get(source, {name})
    inner = source if isinstance(source, exp.Select) else source.find(exp.Select)
    return inner is not None and any(isinstance(i, exp.Star) or i.alias_or_name.lower() == name
                                     for i in inner.expressions)
