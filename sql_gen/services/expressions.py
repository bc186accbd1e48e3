"""Checks of the SQL fragments the dictionary holds: computed dimensions and metric expressions.

A computed dimension's expression is a value over one row of its table (a ``CASE`` over
``claimed_amount``): it is checked as the statement ``SELECT <expression> AS x FROM <table>``
by the same ``sql_check`` a widget's query meets, and refused when it reads a subquery, an
aggregate or a window, names a column the table does not have, or is more than one expression.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sql_gen.services.safety import SqlRejected, sql_check

MAX_EXPRESSION_CHARS = 4000
_ALIAS = "x"


@dataclass(frozen=True)
class CheckedExpression:
    sql: str  # the expression alone, normalized in the dialect
    outputs: list[str] | None  # the labels a CASE of string literals yields, in order; None otherwise


def computed_expression_check(*, expression: str, table: str, columns: Iterable[str],
                              dialect: str) -> CheckedExpression:
    """Return the normalized expression and, for a ``CASE`` of string literals, the labels it yields.

    Raises:
        SqlRejected: the expression is empty, does not parse as one expression, reads a subquery,
            an aggregate, a window or a column ``table`` lacks, or ``sql_check`` refuses the
            statement that wraps it; the message says which.
    """
    text = expression.strip().rstrip(";").strip()
    if not text:
        raise SqlRejected("Enter an expression, e.g. CASE WHEN amount < 100 THEN 'Small' ELSE 'Large' END.")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise SqlRejected(f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.")
    node = _one_expression(text, dialect)
    _refuse_row_crossing(node)
    _refuse_unknown_columns(node, table, {c.lower() for c in columns})
    wrapped = exp.select(node.copy().as_(_ALIAS)).from_(exp.to_table(table, quoted=False))
    try:
        sql_check(sql=wrapped.sql(dialect=dialect), dialect=dialect, allowed_tables=[table], row_cap=1)
    except SqlRejected as e:
        raise SqlRejected(f"As SELECT <expression> FROM {table}: {e.message}") from None
    return CheckedExpression(sql=node.sql(dialect=dialect), outputs=case_outputs(node))


def _one_expression(text: str, dialect: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(f"SELECT {text}", read=dialect)
    except SqlglotError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SqlRejected(f"The expression could not be parsed: {first}") from None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
        raise SqlRejected("Write one expression: not several, and no semicolons.")
    if any(tree.args.get(arg) for arg in tree.args if arg not in ("expressions", "kind")):
        raise SqlRejected("Write only the expression: no FROM, WHERE, GROUP BY or other clauses.")
    node = tree.expressions[0]
    if isinstance(node, exp.Alias):
        raise SqlRejected("Write the expression without AS: its name is the dimension's name.")
    return node


def _refuse_row_crossing(node: exp.Expression) -> None:
    """Refuse what reads beyond the row: a subquery, an aggregate, a window, a star."""
    for part in node.walk():
        if isinstance(part, exp.Query | exp.Subquery):
            raise SqlRejected("A computed dimension cannot contain a subquery.")
        if isinstance(part, exp.Window):
            raise SqlRejected("A computed dimension cannot use a window function (OVER ...).")
        if isinstance(part, exp.AggFunc):
            raise SqlRejected(
                f"A computed dimension cannot use the aggregate {part.sql_name()}: it is a value per row."
            )
        if isinstance(part, exp.Star):
            raise SqlRejected("A computed dimension cannot use *.")


def _refuse_unknown_columns(node: exp.Expression, table: str, columns: set[str]) -> None:
    for column in node.find_all(exp.Column):
        if column.table and column.table.lower() != table.lower():
            raise SqlRejected(f"The expression may read only the columns of {table}, not {column.sql()}.")
        if column.table:  # the widget's query reads the table under an alias of its own: a qualifier breaks it
            raise SqlRejected(f"Name the columns bare: {column.name}, not {column.sql()}.")
        if columns and column.name.lower() not in columns:
            raise SqlRejected(f"{table} has no column {column.name!r} in the dictionary.")


def case_outputs(node: exp.Expression) -> list[str] | None:
    """Return the string literals a top-level CASE yields (its THENs, then its ELSE), or None
    when ``node`` is not such a CASE."""
    if not isinstance(node, exp.Case):
        return None
    results = [branch.args.get("true") for branch in node.args.get("ifs") or []]
    if node.args.get("default") is not None:
        results.append(node.args["default"])
    if not results or not all(isinstance(r, exp.Literal) and r.is_string for r in results):
        return None
    out: list[str] = []
    for result in results:
        if result.this not in out:
            out.append(result.this)
    return out


def expression_additive(expression: str, *, dialect: str = "duckdb") -> bool:
    """Return True when ``expression`` is a plain sum or count (not DISTINCT): its values over two
    disjoint sets of rows add up to its value over both. Unparseable text is not additive."""
    try:
        node = sqlglot.parse_one(expression, read=dialect)
    except SqlglotError:
        return False
    if not isinstance(node, exp.Sum | exp.Count | exp.CountIf):
        return False
    return node.find(exp.Distinct) is None
