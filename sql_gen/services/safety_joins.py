"""The joins of a statement against the dictionary's keys: a widget's rows are its metric's rows, once each.

A query that reads a metric's table (its base) may join a dictionary table only the way the offline writer
does: a table one of the spec's dimensions or filters reads, joined once, INNER or LEFT, on the base's column
whose ``references`` name that table (``b.channel_id = t.channel_id``). An extra table repeats the base's rows
(a customer's claims once per policy), a second read of the base pairs its rows, and a wrong key labels rows
with another table's ids: each gives a figure no definition computes. Joins of subqueries and CTEs (a ratio's
parts, ranked groups) are the other checks' business; a CTE or subquery is checked where it reads a table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from sql_gen.services.safety import SqlRejected
from sql_gen.services.safety_tree import bare, conjuncts, ctes_of, short, sources_of

_SIDES = ("", "LEFT")
_KINDS = ("", "INNER", "OUTER")


@dataclass(frozen=True)
class _Key:
    """The equality a dimension table is joined on: ``base.column = table.target``."""

    base: str
    column: str
    table: str
    target: str

    def text(self) -> str:
        return f"{self.base}.{self.column} = {self.table}.{self.target}"


def join_check(tree: exp.Expression, read: str, spec: dict[str, Any], context: dict[str, Any],
               facts: set[str]) -> None:
    """Refuse a join of a dictionary table that the spec does not need, on another key than the dictionary's,
    of a table read twice, or of a kind the writer never uses. ``facts`` are the metrics' base tables."""
    ctes = ctes_of(tree)
    needed = _needed_tables(spec, context)
    for select in tree.find_all(exp.Select):
        sources = [s for s in [select.args.get("from_"), *(select.args.get("joins") or [])] if s is not None]
        tables = {a: s for a, s in sources_of(select, ctes).items() if isinstance(s, str)}
        aliases = [a for a in (_table_alias(s, ctes) for s in sources) if a is not None]
        base = next((tables[a] for a in aliases if tables[a] in facts), None)
        if base is None or len(aliases) < 2:
            continue
        _check_once([tables[a] for a in aliases], base)
        _check_lookups(select, ctes, facts, base)
        joins = [j for j in select.args.get("joins") or [] if _table_alias(j, ctes) is not None]
        for join in joins:
            _check_kind(join, tables[_table_alias(join, ctes)])
        conditions = [c for j in joins for c in conjuncts(j.args.get("on"))]
        for alias in aliases:
            if tables[alias] != base:
                conditions = _check_joined(alias, read, tables, base, needed, context, conditions)
        if conditions:
            raise SqlRejected(f"{short(conditions[0], read)} is not a key the dictionary declares; join each table "
                              f"to {base} only ON its declared key, and put nothing else in the ON.")


def _table_alias(source: exp.Expression, ctes: dict[str, exp.Expression]) -> str | None:
    """Return the alias of a FROM or JOIN source that is a dictionary table (not a CTE or subquery), or None."""
    node = source.this
    if not isinstance(node, exp.Table) or (not node.args.get("db") and node.name.lower() in ctes):
        return None
    return node.alias_or_name.lower()


def _check_lookups(select: exp.Select, ctes: dict[str, exp.Expression], facts: set[str], base: str) -> None:
    """Refuse a subquery or CTE joined to the base's rows that reads no metric's table: a dictionary table in
    disguise, whose join the key check would not see."""
    for join in select.args.get("joins") or []:
        node = join.this
        if _table_alias(join, ctes) is not None or not isinstance(node, (exp.Table, exp.Subquery)):
            continue
        query = ctes[node.name.lower()] if isinstance(node, exp.Table) else node.this
        if not _tables_of(query, ctes) & facts:
            raise SqlRejected(f"{node.alias_or_name} is a query joined to the rows of {base} that reads none of the "
                              f"metric's tables; join a dictionary table directly (JOIN table AS t ON the key the "
                              "dictionary declares), and only one the spec uses.")


def _tables_of(query: exp.Expression, ctes: dict[str, exp.Expression], depth: int = 0) -> set[str]:
    names = {t.name.lower() for t in query.find_all(exp.Table)}
    if depth > 8:
        return names
    return names | {t for name in names & set(ctes) for t in _tables_of(ctes[name], ctes, depth + 1)}


def _check_once(names: list[str], base: str) -> None:
    if names.count(base) > 1:
        raise SqlRejected(f"{base} is read twice in one query (a self-join): each of its rows would be counted once "
                          f"per matching row. Read {base} once; the widget's figures are over its rows as they are.")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SqlRejected(f"{twice[0]} is joined twice in one query; join it once, on the key the dictionary "
                          "declares, or rows are repeated.")


def _check_kind(join: exp.Join, table: str) -> None:
    side, kind, method = (str(join.args.get(k) or "").upper() for k in ("side", "kind", "method"))
    if side not in _SIDES or kind not in _KINDS or method or join.args.get("using"):
        found = " ".join(p for p in (method, side, kind) if p) + (" JOIN … USING" if join.args.get("using") else
                                                                  " JOIN")
        raise SqlRejected(f"{table} is joined with {found.strip()}; join a dictionary table with JOIN (or LEFT "
                          "JOIN) … ON the key the dictionary declares, so that each row of the metric's table is "
                          "kept once.")


def _check_joined(alias: str, read: str, tables: dict[str, str], base: str, needed: set[str],
                  context: dict[str, Any], conditions: list[exp.Expression]) -> list[exp.Expression]:
    """Refuse the table read as ``alias`` unless the spec needs it and it is joined on its declared key; return
    the ON conditions left once that key's is taken."""
    table = tables[alias]
    if table not in needed:
        uses = ", ".join(sorted(needed - {base})) or "no other table"
        raise SqlRejected(f"{table} is joined, but the widget's spec uses none of its columns (its dimensions and "
                          f"filters read {uses}); remove the join: an extra join repeats the rows of {base} and "
                          "inflates the figures.")
    key = _declared_key(base, table, context)
    if key is None:
        raise SqlRejected(f"The dictionary declares no key from {base} to {table}, so {table} cannot be joined to "
                          f"{base}; use only what the dictionary slice gives.")
    for index, condition in enumerate(conditions):
        if _is_key(condition, key, tables, context):
            return conditions[:index] + conditions[index + 1:]
    mentioning = [c for c in conditions if any(col.table.lower() == alias for col in c.find_all(exp.Column))]
    found = short(mentioning[0], read) if mentioning else "no ON condition for it"
    raise SqlRejected(f"{table} is joined to {base} ON {key.text()} (the key the dictionary declares), and on "
                      f"nothing else; the query has {found}.")


def _needed_tables(spec: dict[str, Any], context: dict[str, Any]) -> set[str]:
    """Return the tables the spec's dimensions and filters read, as the offline writer joins them."""
    dims = {d["key"]: d for d in context.get("dimensions") or []}
    keys = [*(spec.get("dimensions") or []), *(f["dimension"] for f in spec.get("filters") or [])]
    return {(dims[k]["table"] if k in dims else k.split(".", 1)[0]).lower() for k in keys}


def _declared_key(base: str, table: str, context: dict[str, Any]) -> _Key | None:
    """Return the key the offline writer joins ``table`` to ``base`` on: the first of the base's columns whose
    ``references`` names the table."""
    for info in context.get("tables") or []:
        if info["name"].lower() != base:
            continue
        for column in info.get("columns") or []:
            target = (column.get("references") or "").lower()
            if target.count(".") == 1 and target.split(".")[0] == table:
                return _Key(base, column["name"].lower(), table, target.split(".")[1])
    return None


def _is_key(condition: exp.Expression, key: _Key, tables: dict[str, str], context: dict[str, Any]) -> bool:
    """Return whether ``condition`` is the key's equality, either way round, however it is spelled."""
    if not isinstance(condition, (exp.EQ, exp.NullSafeEQ)):
        return False
    sides = {_column_of(bare(s), tables, context) for s in (condition.this, condition.expression)}
    return sides == {(key.base, key.column), (key.table, key.target)}


def _column_of(node: exp.Expression | None, tables: dict[str, str],
               context: dict[str, Any]) -> tuple[str, str] | None:
    """Return the (table, column) a column of the select reads; an unqualified one only when one table has it."""
    if not isinstance(node, exp.Column):
        return None
    name = node.name.lower()
    if node.table:
        table = tables.get(node.table.lower())
        return (table, name) if table else None
    holders = {t for t in tables.values() if name in _columns(t, context)}
    return (holders.pop(), name) if len(holders) == 1 else None


def _columns(table: str, context: dict[str, Any]) -> set[str]:
    for info in context.get("tables") or []:
        if info["name"].lower() == table:
            return {c["name"].lower() for c in info.get("columns") or []}
    return set()
