"""Offline SQL generation: metric definitions, a dictionary slice and a spec → one SELECT.

It writes the statement a careful analyst would, in DuckDB's flavour, and lets sqlglot carry it to
the source's dialect; only the time buckets are written per engine (SQLite has no ``date_trunc``).
It never does date arithmetic: every metric with a time column is filtered by the window's
placeholders, ``>= :window_start`` and ``< :window_end``, which our code binds at each run (a
comparison runs the same statement again, bound to the earlier window). The safety layer still
checks the result.
"""
from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from backend.llm.api import OfflineQuery
from sql_gen.services.binding import COMPARE, WINDOW
from sql_gen.services.entity_keys import key_alias

_BUCKET_FUNCTION = "widget_bucket"  # a stand-in the dialect's own bucket expression replaces
_SQLITE_BUCKETS = {
    "day": "DATE({c})",
    "week": "DATE({c}, '-' || ((CAST(STRFTIME('%w', {c}) AS INTEGER) + 6) % 7) || ' days')",
    "month": "DATE({c}, 'start of month')",
    "quarter": "DATE({c}, 'start of month', '-' || ((CAST(STRFTIME('%m', {c}) AS INTEGER) - 1) % 3) || ' months')",
    "year": "DATE({c}, 'start of year')",
}
_COMPARISONS = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
_BOUNDS = {"window": WINDOW, "compare": COMPARE}  # the placeholders a fact query is bounded by
OTHERS_GROUPS = "others_groups"  # the "all others" row's count of groups; NULL on the rows of the groups shown


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_sql`` payload: ``{sql, tables_used, explanation}``."""
    context, prompt = query.context, query.prompt
    spec = prompt["spec"]
    metrics = context.get("metrics") or [context["metric"]]
    dims = {d["key"]: d for d in context.get("dimensions", [])}
    tables = {t["name"]: t for t in context.get("tables", [])}
    dialect = context.get("dialect", "duckdb")
    used: set[str] = set()
    if spec.get("others_of"):
        sql = _others(metrics, spec, dims, tables, used)
    elif spec.get("ranking") and spec.get("grain") and spec.get("dimensions"):
        sql = _ranked_series(metrics, spec, dims, tables, used)
    else:
        keys = _group_keys(spec, dims)
        sql = _grouped(metrics, spec, dims, tables, used, keys) + _order(spec, keys, metrics[0]["key"], dims)
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(lambda node: _bucket(node, dialect))
    return {
        "sql": tree.sql(dialect=dialect, pretty=True),
        "tables_used": sorted(used),
        "explanation": f"{', '.join(m.get('name', m['key']) for m in metrics)} from {', '.join(sorted(used))}, "
                       "within the bound window.",
    }


def _grouped(metrics: list[dict[str, Any]], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
             tables: dict[str, dict[str, Any]], used: set[str], keys: list[str]) -> str:
    """The group keys and one column per metric, named by its key, unordered."""
    if len(metrics) == 1:
        return _value_query(metrics[0], spec, dims, tables, used, alias=metrics[0]["key"])
    return _joined([(m, _value_query(m, spec, dims, tables, used, alias="value")) for m in metrics], keys)


def _ranked_series(metrics: list[dict[str, Any]], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
                   tables: dict[str, dict[str, Any]], used: set[str]) -> str:
    """A ranking over a time series ranks the dimension values over the whole window ("top 5 regions per
    week": the 5 regions with the most claims in the window), then keeps every period of those values.
    A LIMIT on the series' own rows would keep its n largest (period, value) rows instead."""
    whole = {**spec, "grain": None}
    rank_keys = _group_keys(whole, dims)
    ranked = _grouped(metrics, whole, dims, tables, used, rank_keys) + _order(whole, rank_keys, metrics[0]["key"], dims)
    series = {**spec, "ranking": None}
    keys = _group_keys(series, dims)
    columns = ", ".join(f"s.{c}" for c in keys + [m["key"] for m in metrics])
    on = " AND ".join(f"s.{k} = r.{k}" for k in rank_keys)
    return (f"SELECT {columns} FROM ({_grouped(metrics, series, dims, tables, used, keys)}) AS s "
            f"JOIN ({ranked}) AS r ON {on} ORDER BY " + ", ".join(f"s.{k}" for k in keys))


def _others(metrics: list[dict[str, Any]], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
            tables: dict[str, dict[str, Any]], used: set[str]) -> str:
    """A ranking's "all others" row (``others_of``): the groups ranked as the widget's own statement ranks them,
    with their values (which groups the row leaves out and what they came to, for our code to check against the
    rows shown: rows cached at another moment have other values), then one row
    of each metric added up over every other group, and how many groups that is (``OTHERS_GROUPS``, 0 when
    the ranking shows them all). A group is matched null-safely: a NULL group is a group, shown or not.
    With ``others_of`` "compare" the other groups are those outside today's ranking, their values over the
    comparison's window (``:compare_start``, ``:compare_end``). The groups are joined to a dimension's table
    by a LEFT JOIN: a row whose key finds no row there (a claim with no region) is in the NULL group, which the
    widget's inner join never shows, so it is among the others and rows plus the row add up to the totals.
    Adding up groups is exact only for metrics that add up, which the spec step sees to."""
    keys, values = _group_keys(spec, dims), [m["key"] for m in metrics]
    ranked = _grouped(metrics, spec, dims, tables, used, keys) + _order(spec, keys, values[0], dims)
    rest = {**spec, "bound_by": "compare"} if spec["others_of"] == "compare" else spec
    groups = _grouped(metrics, {**rest, "outer_dimensions": True}, dims, tables, used, keys)
    shown = ", ".join(f"s.{k} AS {k}" for k in keys)
    outside = "r.others_shown IS NULL"
    on = " AND ".join(f"g.{k} IS NOT DISTINCT FROM r.{k}" for k in keys)
    sums = ", ".join(f"SUM(CASE WHEN {outside} THEN g.{v} END) AS {v}" for v in values)
    return (f"SELECT {shown}, {', '.join(f's.{v} AS {v}' for v in values)}, NULL AS {OTHERS_GROUPS} FROM ({ranked}) AS s "
            f"UNION ALL SELECT {', '.join(f'NULL AS {k}' for k in keys)}, {sums}, "
            f"COUNT(CASE WHEN {outside} THEN 1 END) AS {OTHERS_GROUPS} FROM ({groups}) AS g "
            f"LEFT JOIN (SELECT {shown}, 1 AS others_shown FROM ({ranked}) AS s) AS r ON {on}")


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "dimension"


def _group_keys(spec: dict[str, Any], dims: dict[str, dict[str, Any]]) -> list[str]:
    """Return the group columns in result order: period, then each dimension's label, followed by its
    hidden key when the label is one several rows can share (see ``entity_keys``)."""
    keys = ["period"] if spec.get("grain") else []
    for key in spec.get("dimensions", []):
        keys.append(_slug(dims[key]["label"]))
        if dims[key].get("key_column"):
            keys.append(key_alias(_slug(dims[key]["label"])))
    return keys


def _joined(parts: list[tuple[dict[str, Any], str]], keys: list[str]) -> str:
    """Several metrics, each over its own time column: one query each, joined on the group keys that any of
    them has, so that a group only a later metric has (claims filed yesterday, none closed) keeps its row.
    Where a metric has no rows for a group, a count or sum is 0 and any other metric is left empty."""
    values = [_or_zero(f"m{i}.value", metric) + f" AS {metric['key']}" for i, (metric, _) in enumerate(parts)]
    if not keys:
        return f"SELECT {', '.join(values)} FROM ({parts[0][1]}) AS m0" + "".join(
            f" CROSS JOIN ({part}) AS m{i}" for i, (_, part) in enumerate(parts[1:], start=1))
    every = " UNION ".join(f"SELECT {', '.join(keys)} FROM ({part}) AS u{i}" for i, (_, part) in enumerate(parts))
    # Each key named again: an ORDER BY of a bare key is otherwise ambiguous on SQLite (k's or m0's).
    sql = f"SELECT {', '.join([*(f'k.{k} AS {k}' for k in keys), *values])} FROM ({every}) AS k"
    for i, (_, part) in enumerate(parts):
        on = " AND ".join(f"k.{k} IS NOT DISTINCT FROM m{i}.{k}" for k in keys)  # a NULL group is a group too
        sql += f" LEFT JOIN ({part}) AS m{i} ON {on}"
    return sql


def _or_zero(column: str, metric: dict[str, Any]) -> str:
    return f"COALESCE({column}, 0)" if metric.get("additive") else column


def _value_query(metric: dict[str, Any], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
                 tables: dict[str, dict[str, Any]], used: set[str], *, alias: str) -> str:
    """Return a query of the group keys and the metric's value, named ``alias``."""
    if metric.get("kind") == "ratio":
        num = _simple(metric["numerator"], spec, dims, tables, used, alias="value")
        den = _simple(metric["denominator"], spec, dims, tables, used, alias="value")
        keys = _group_keys(spec, dims)
        select = [f"num.{k} AS {k}" for k in keys] + [f"CAST(num.value AS DOUBLE) / NULLIF(den.value, 0) AS {alias}"]
        on = " AND ".join(f"num.{k} = den.{k}" for k in keys)
        join = f" JOIN ({den}) AS den ON {on}" if keys else f" CROSS JOIN ({den}) AS den"
        return f"SELECT {', '.join(select)} FROM ({num}) AS num{join}"
    return _simple(metric, spec, dims, tables, used, alias=alias)


def _simple(metric: dict[str, Any], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
            tables: dict[str, dict[str, Any]], used: set[str], *, alias: str) -> str:
    base = metric["base_table"]
    used.add(base)
    base_columns = {c["name"] for c in tables.get(base, {}).get("columns", [])}
    joins, aliases = _joins(base, spec, dims, tables, used)
    select = []
    if spec.get("grain"):
        select.append(f"{_BUCKET_FUNCTION}(b.{metric['time_column']}, '{spec['grain']}') AS period")
    for key in spec.get("dimensions", []):
        dim = dims[key]
        select.append(f"{_dimension_sql(dim, aliases)} AS {_slug(dim['label'])}")
        if dim.get("key_column"):
            select.append(f"{aliases[dim['table']]}.{dim['key_column']} AS {key_alias(_slug(dim['label']))}")
    select.append(f"{_qualify(metric['expression'], base_columns, 'b')} AS {alias}")
    where = _where(metric, spec, dims, aliases, base_columns)
    sql = f"SELECT {', '.join(select)} FROM {base} AS b" + "".join(joins)
    if where:
        sql += " WHERE " + " AND ".join(where)
    keys = len(select) - 1
    if keys:
        sql += " GROUP BY " + ", ".join(str(i) for i in range(1, keys + 1))
    return sql


def _dimension_sql(dim: dict[str, Any], aliases: dict[str, str]) -> str:
    """A dimension's column, or a computed dimension's expression over its table."""
    alias = aliases[dim["table"]]
    if dim.get("expression"):
        return _qualify(dim["expression"], None, alias)
    return f"{alias}.{dim['column']}"


def _joins(base: str, spec: dict[str, Any], dims: dict[str, dict[str, Any]], tables: dict[str, dict[str, Any]],
           used: set[str]) -> tuple[list[str], dict[str, str]]:
    grouped = [dims[k]["table"] for k in spec.get("dimensions", [])]
    needed = grouped + [_filter_table(f, dims) for f in spec.get("filters", [])]
    aliases, joins = {base: "b"}, []
    for table in needed:
        if table in aliases:
            continue
        fk = next((c for c in tables[base]["columns"] if c.get("references", "").split(".")[0] == table), None)
        if fk is None:
            raise ValueError(f"{base} has no key to {table}")
        target = fk["references"].split(".")[1]
        aliases[table] = f"t{len(aliases)}"
        # An outer join keeps the rows with no match as a NULL group; a filter on the table drops them either way.
        kind = "LEFT JOIN" if spec.get("outer_dimensions") and table in grouped else "JOIN"
        joins.append(f" {kind} {table} AS {aliases[table]} ON b.{fk['name']} = {aliases[table]}.{target}")
        used.add(table)
    return joins, aliases


def _filter_table(flt: dict[str, Any], dims: dict[str, dict[str, Any]]) -> str:
    dim = dims.get(flt["dimension"])
    return dim["table"] if dim else flt["dimension"].split(".")[0]


def _where(metric: dict[str, Any], spec: dict[str, Any], dims: dict[str, dict[str, Any]], aliases: dict[str, str],
           base_columns: set[str]) -> list[str]:
    where = []
    if metric.get("time_column"):
        column, (start, end) = f"b.{metric['time_column']}", _BOUNDS[spec.get("bound_by") or "window"]
        where += [f"{column} >= :{start}", f"{column} < :{end}"]
    if metric.get("default_filters"):
        where.append(f"({_qualify(metric['default_filters'], base_columns, 'b')})")
    for flt in spec.get("filters", []):
        where.append(_filter_sql(flt, dims, aliases))
    return where


def _filter_sql(flt: dict[str, Any], dims: dict[str, dict[str, Any]], aliases: dict[str, str]) -> str:
    dim = dims.get(flt["dimension"])
    if dim is not None:
        target = _dimension_sql(dim, aliases)
    else:  # a numeric column of a joined or base table, named table.column
        table, column = flt["dimension"].split(".", 1)
        target = f"{aliases[table]}.{column}"
    op = flt.get("op", "in")
    if op in _COMPARISONS:
        return f"{target} {_COMPARISONS[op]} {float(flt['values'][0])!r}"
    values = ", ".join(exp.Literal.string(str(v)).sql() for v in flt["values"])
    return f"{target} {'NOT IN' if op == 'not_in' else 'IN'} ({values})"


def _order(spec: dict[str, Any], keys: list[str], value: str, dims: dict[str, dict[str, Any]]) -> str:
    """Order by period for a time series; a ranking by the primary metric (``value``), limited to its n
    rows; a breakdown by the spec's sort (a metric's column, or a dimension's label A to Z or Z to A),
    by default the primary metric highest first. Ties, and the rest, in the order of the group keys."""
    ranking = spec.get("ranking")
    if ranking:
        direction = "DESC" if ranking["direction"] == "top" else "ASC"
        return f" ORDER BY {value} {direction} NULLS LAST, {', '.join(keys)} LIMIT {int(ranking['n'])}"
    if spec.get("grain"):
        return " ORDER BY " + ", ".join(keys)
    if not keys:
        return ""
    sort = spec.get("sort") or {"by": value, "direction": "desc"}
    column = _slug(dims[sort["by"]]["label"]) if sort["by"] in dims else sort["by"]
    rest = [k for k in keys if k != column]
    return f" ORDER BY {column} {sort['direction'].upper()} NULLS LAST" + "".join(f", {k}" for k in rest)


def _bucket(node: exp.Expression, dialect: str) -> exp.Expression:
    """Replace the bucket stand-in with the dialect's own start-of-bucket expression (a DATE)."""
    if not (isinstance(node, exp.Anonymous) and node.name.lower() == _BUCKET_FUNCTION):
        return node
    column, grain = node.expressions[0], node.expressions[1].name
    if dialect == "sqlite":
        return sqlglot.parse_one(_SQLITE_BUCKETS[grain].format(c=column.sql(dialect="sqlite")), read="sqlite")
    return sqlglot.parse_one(f"CAST(DATE_TRUNC('{grain}', {column.sql(dialect='duckdb')}) AS DATE)", read="duckdb")


def _qualify(fragment: str, base_columns: set[str] | None, alias: str) -> str:
    """Return ``fragment`` with its bare columns (those of ``base_columns``, or all) prefixed by ``alias``."""
    tree = sqlglot.parse_one(fragment, read="duckdb")
    for column in tree.find_all(exp.Column):
        if not column.table and (base_columns is None or column.name in base_columns):
            column.set("table", exp.to_identifier(alias))
    return tree.sql(dialect="duckdb")
