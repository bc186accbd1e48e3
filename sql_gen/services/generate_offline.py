"""Offline SQL generation: a metric definition, a dictionary slice and a spec → one SELECT.

It writes DuckDB-flavoured SQL and lets sqlglot carry it to the source's
dialect, as a careful analyst would. The safety layer still checks the result.
"""
from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from backend.llm.api import OfflineQuery

_INTERVAL_UNIT = {"day": ("DAY", 1), "week": ("DAY", 7), "month": ("MONTH", 1), "year": ("YEAR", 1)}


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_sql`` payload: ``{sql, tables_used, explanation}``."""
    context, prompt = query.context, query.prompt
    spec, metric = prompt["spec"], context["metric"]
    dims = {d["key"]: d for d in context.get("dimensions", [])}
    tables = {t["name"]: t for t in context.get("tables", [])}
    used: set[str] = set()
    if metric.get("kind") == "ratio":
        sql = _ratio(metric, spec, dims, tables, used)
    else:
        sql = _simple(metric, spec, dims, tables, used, value_alias=metric["key"], order=True)
    dialect = context.get("dialect", "duckdb")
    sql = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]
    return {
        "sql": sql,
        "tables_used": sorted(used),
        "explanation": f"{metric['name'] if 'name' in metric else metric['key']} from {', '.join(sorted(used))}"
        f" over {_window_words(spec.get('time_window') or {})}.",
    }


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "dimension"


def _group_keys(spec: dict[str, Any], dims: dict[str, dict[str, Any]]) -> list[str]:
    keys = ["period"] if spec.get("grain") else []
    return keys + [_slug(dims[k]["label"]) for k in spec.get("dimensions", [])]


def _simple(metric: dict[str, Any], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
            tables: dict[str, dict[str, Any]], used: set[str], *, value_alias: str, order: bool) -> str:
    base = metric["base_table"]
    used.add(base)
    base_columns = {c["name"] for c in tables.get(base, {}).get("columns", [])}
    joins, aliases = _joins(base, spec, dims, tables, used)
    select = []
    if spec.get("grain"):
        select.append(f"DATE_TRUNC('{spec['grain']}', b.{metric['time_column']}) AS period")
    for key in spec.get("dimensions", []):
        select.append(f"{aliases[dims[key]['table']]}.{dims[key]['column']} AS {_slug(dims[key]['label'])}")
    select.append(f"{_qualify(metric['expression'], base_columns)} AS {value_alias}")
    where = _where(metric, spec, dims, aliases, base_columns)
    sql = f"SELECT {', '.join(select)} FROM {base} AS b" + "".join(joins)
    if where:
        sql += " WHERE " + " AND ".join(where)
    keys = _group_keys(spec, dims)
    if keys:
        sql += " GROUP BY " + ", ".join(str(i) for i in range(1, len(keys) + 1))
    if order:
        sql += _order(spec, keys, value_alias)
    return sql


def _ratio(metric: dict[str, Any], spec: dict[str, Any], dims: dict[str, dict[str, Any]],
           tables: dict[str, dict[str, Any]], used: set[str]) -> str:
    num = _simple(metric["numerator"], spec, dims, tables, used, value_alias="value", order=False)
    den = _simple(metric["denominator"], spec, dims, tables, used, value_alias="value", order=False)
    keys = _group_keys(spec, dims)
    select = [f"num.{k}" for k in keys] + [f"CAST(num.value AS DOUBLE) / NULLIF(den.value, 0) AS {metric['key']}"]
    on = " AND ".join(f"num.{k} = den.{k}" for k in keys)
    join = f" JOIN den ON {on}" if keys else " CROSS JOIN den"
    return f"WITH num AS ({num}), den AS ({den}) SELECT {', '.join(select)} FROM num{join}" + _order(
        spec, [f"num.{k}" for k in keys], metric["key"])


def _joins(base: str, spec: dict[str, Any], dims: dict[str, dict[str, Any]], tables: dict[str, dict[str, Any]],
           used: set[str]) -> tuple[list[str], dict[str, str]]:
    needed = [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]
    aliases, joins = {base: "b"}, []
    for key in needed:
        table = dims[key]["table"]
        if table in aliases:
            continue
        fk = next(c for c in tables[base]["columns"] if c.get("references", "").split(".")[0] == table)
        target = fk["references"].split(".")[1]
        aliases[table] = f"t{len(aliases)}"
        joins.append(f" JOIN {table} AS {aliases[table]} ON b.{fk['name']} = {aliases[table]}.{target}")
        used.add(table)
    return joins, aliases


def _where(metric: dict[str, Any], spec: dict[str, Any], dims: dict[str, dict[str, Any]], aliases: dict[str, str],
           base_columns: set[str]) -> list[str]:
    where = []
    window = spec.get("time_window") or {}
    if window.get("kind") == "last" and metric.get("time_column"):
        unit, per = _INTERVAL_UNIT[window["unit"]]
        column = f"b.{metric['time_column']}"
        where.append(f"{column} > CURRENT_DATE - INTERVAL '{window['n'] * per}' {unit}")
        where.append(f"{column} <= CURRENT_DATE")
    if metric.get("default_filters"):
        where.append(f"({_qualify(metric['default_filters'], base_columns)})")
    for flt in spec.get("filters", []):
        dim = dims[flt["dimension"]]
        values = ", ".join(exp.Literal.string(str(v)).sql() for v in flt["values"])
        where.append(f"{aliases[dim['table']]}.{dim['column']} IN ({values})")
    return where


def _order(spec: dict[str, Any], keys: list[str], value_alias: str) -> str:
    if spec.get("grain"):
        sql = " ORDER BY " + ", ".join(keys)
    elif keys:
        sql = f" ORDER BY {value_alias} DESC NULLS LAST, " + ", ".join(keys)
    else:
        return ""
    if spec.get("limit"):
        sql += f" LIMIT {int(spec['limit'])}"
    return sql


def _qualify(fragment: str, base_columns: set[str]) -> str:
    """Return ``fragment`` with the base table's bare columns prefixed by its alias ``b``."""
    tree = sqlglot.parse_one(fragment, read="duckdb")
    for column in tree.find_all(exp.Column):
        if not column.table and column.name in base_columns:
            column.set("table", exp.to_identifier("b"))
    return tree.sql(dialect="duckdb")


def _window_words(window: dict[str, Any]) -> str:
    if window.get("kind") == "last":
        return f"the last {window['n']} {window['unit']}(s)"
    return "all time"
