"""SQL generation (fast tier): a metric definition plus a dictionary slice → one proven SELECT.

An answer is accepted only once it is proven: the safety check (``sql_check``), its fit to the spec
(``spec_check``: the window bounds the rows, the spec's filters and no others, no limit of its own),
then the engine's own prepare (``sql_prove``, in the query box), then, for a custom widget, its
columns against the component's Row. A failure at any of these goes back to the model as a correction. Running the
proven statement is the next step's job (``sql_execute``), not a side effect of accepting it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, OfflineQuery, Prompt, Purpose, Tool, unfence
from sql_gen.models import DataSource, MetricDefinition
from sql_gen.selectors import allowed_tables, dictionary_slice
from sql_gen.services import generate_offline
from sql_gen.services.binding import WINDOW
from sql_gen.services.execute import QueryFailed, sql_prove
from sql_gen.services.safety import CheckedSql, SqlRejected, dialect_name, sql_check
from sql_gen.services.safety_spec import spec_check

SQL_TOOL = Tool(
    name="record_sql",
    description="Record one read-only SELECT statement that computes the widget's data.",
    input_schema={
        "type": "object",
        "properties": {
            "sql": {"type": "string", "description": "One SELECT statement in the given dialect."},
            "tables_used": {"type": "array", "items": {"type": "string"}},
            "explanation": {"type": "string"},
        },
        "required": ["sql", "tables_used", "explanation"],
    },
)

SYSTEM = (
    "You write one read-only SQL SELECT for a dashboard widget, in the dialect named in the context. Use only "
    "the tables and columns in the dictionary slice and follow its guidelines. Compute each metric exactly as "
    "its definition says (expression, default filters, time column); a computed dimension is its expression. "
    "Never write a date, CURRENT_DATE, now() or date arithmetic: filter every metric's time column with "
    "time_column >= :window_start AND time_column < :window_end, placeholders our code binds at each run "
    "(a comparison re-runs the statement with the earlier window; all time binds open bounds). Output "
    "columns: the time bucket as 'period' when the spec has a grain (the bucket's first day as a DATE: "
    "CAST(DATE_TRUNC(grain, col) AS DATE) on DuckDB and PostgreSQL; on SQLite DATE(col, 'start of month') "
    "and the like, weeks starting on Monday), then one column per group-by dimension named by its label "
    "(and its key after it where a guideline says so), then one column per metric named by its key, the "
    "primary metric first; metrics over different time "
    "columns are computed in separate subqueries joined on the group columns. Filters: 'in'/'not_in' use the "
    "exact stored values given; '>', '>=', '<', '<=' compare the numeric column. The rows are filtered by the "
    "window, the spec's filters and the metric's default filters only, each a condition of its own in the WHERE "
    "of the query that reads the metric's table, joined by AND; no HAVING. A ranking is ORDER BY the "
    "primary metric (DESC for top, ASC for bottom) with LIMIT n; with a grain it ranks the dimension "
    "values over the whole window (that ORDER BY and LIMIT in a subquery without the period) and the "
    "statement keeps every period of those values. Order the rows: a time series by period; a breakdown by "
    "the spec's sort, {by, direction}, when it has one: ORDER BY the column of sort.by (a metric's key column, "
    "or a dimension's label column, alphabetical) ASC or DESC NULLS LAST, then the other group columns; "
    "without a sort, by the primary metric DESC NULLS LAST. Write no other LIMIT: the row cap is "
    "applied for you, and a result it cuts is reported as cut. When a statement you wrote comes back with an "
    "error, fix exactly that and call record_sql again."
)

# How a statement begins, once fences and the prose around it are stripped; and the words that carry one
# on after a blank line (never taken for a closing sentence).
_SQL_STARTS = ("select", "with", "(")
_SQL_CONTINUES = ("from", "where", "and", "or", "group", "having", "order", "limit", "offset", "fetch", "union",
                  "intersect", "except", "join", "left", "right", "inner", "outer", "full", "cross", "natural",
                  "on", "using", "window", "qualify", "case", "when", "then", "else", "end", "not", "as")


@dataclass(frozen=True)
class SqlInput:
    metric: MetricDefinition  # the primary metric
    spec: dict[str, Any]
    source: DataSource
    extra_metrics: tuple[MetricDefinition, ...] = ()
    # Raises ApplicationError when the statement's columns do not fit the widget (custom widgets).
    check_columns: Callable[[list[str]], None] | None = None
    ends_at: float | None = None  # time.monotonic() by which the step must be done: bounds the prove
    # The placeholder pairs a fact query may be bounded by (``spec_check``): a model's statement, the window's.
    windows: tuple[tuple[str, str], ...] = (WINDOW,)


@dataclass(frozen=True)
class GeneratedSql:
    sql: str  # checked, normalized, with its row limit: what the fetch runs
    uncapped: str  # the same without the limit the check added: what the widget keeps, checked at each run
    columns: list[str]  # as the engine's prepare named them
    explanation: str

    def as_json(self) -> dict[str, Any]:
        return {"sql": self.sql, "uncapped": self.uncapped, "columns": self.columns,
                "explanation": self.explanation}


def _build(inputs: SqlInput) -> Prompt:
    spec = inputs.spec
    keys = [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]
    slices = [dictionary_slice(metric=m, dimension_keys=keys) for m in (inputs.metric, *inputs.extra_metrics)]
    context = _merged(slices)
    return Prompt(context={**context, "dialect": inputs.source.dialect},
                  prompt={"spec": spec, "row_cap": inputs.source.row_cap,
                          "placeholders": {"window_start": "first day in the window (inclusive)",
                                           "window_end": "day after the window (exclusive)"}})


def _merged(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one slice for several metrics: every table and dimension once, the metrics in order."""
    tables: dict[str, dict[str, Any]] = {}
    dims: dict[str, dict[str, Any]] = {}
    guidelines: list[str] = []
    for part in slices:
        for table in part["tables"]:
            known = tables.setdefault(table["name"], {**table, "columns": []})
            names = {c["name"] for c in known["columns"]}
            known["columns"] += [c for c in table["columns"] if c["name"] not in names]
        dims |= {d["key"]: d for d in part["dimensions"]}
        guidelines += [g for g in part["guidelines"] if g not in guidelines]
    metrics = [part["metric"] for part in slices]
    return {"tables": list(tables.values()), "dimensions": list(dims.values()), "guidelines": guidelines,
            "metric": metrics[0], "metrics": metrics}


def _checked(answer: str, source: DataSource, time_columns: list[str]) -> CheckedSql:
    """Return the checked statement of an answer, fences and leading prose stripped. A closing sentence
    is stripped only when the whole does not parse: a statement that parses is never cut short. With
    metrics that have time columns, the statement must filter them with the window placeholders.

    Raises:
        SqlRejected: the check refused it (the whole, when cutting did not help).
    """
    def check(sql: str) -> CheckedSql:
        return sql_check(sql=sql, dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                         row_cap=source.row_cap, time_columns=time_columns, require_window=bool(time_columns))

    whole = unfence(answer, starts=_SQL_STARTS, trailing_prose=False)
    try:
        return check(whole)
    except SqlRejected as rejected:
        cut = unfence(answer, starts=_SQL_STARTS, continues=_SQL_CONTINUES)
        if cut == whole or not rejected.message.startswith("The query could not be parsed"):
            raise
        try:
            return check(cut)
        except SqlRejected:
            raise rejected from None


def _time_columns(inputs: SqlInput) -> list[str]:
    """Return the time columns of the input's metrics (both parts of a ratio), each once."""
    found: list[str] = []
    for metric in (inputs.metric, *inputs.extra_metrics):
        parts = [metric.numerator, metric.denominator] if metric.kind == MetricDefinition.Kind.RATIO else [metric]
        found += [p.time_column for p in parts if p is not None and p.time_column and p.time_column not in found]
    return found


def _parse(payload: dict[str, Any], inputs: SqlInput) -> GeneratedSql:
    """Return the proven statement.

    Raises:
        InvalidAnswer: the check, the engine or the widget refused it (each with the error to report).
        QueryFailed: the source itself is unusable (no rewrite of the statement helps).
    """
    source = inputs.source
    try:
        checked = _checked(str(payload.get("sql", "")), source, _time_columns(inputs))
        spec_check(sql=checked.uncapped, read=dialect_name(source.dialect), spec=inputs.spec,
                   context=_build(inputs).context, windows=inputs.windows)
        left = None if inputs.ends_at is None else max(1.0, inputs.ends_at - time.monotonic())
        columns = sql_prove(source=source, sql=checked.sql, deadline_s=left)
    except SqlRejected as e:
        last = SqlRejected(f"The model's SQL was rejected, also after corrections: {e.message}", **e.extra)
        raise InvalidAnswer(f"The SQL was rejected: {e.message}", error=last) from e
    except QueryFailed as e:
        if not e.statement_fault:
            raise
        raise InvalidAnswer(f"The SQL failed on the database: {e.message}", error=e) from e
    if inputs.check_columns is not None:
        try:
            inputs.check_columns(columns)
        except ApplicationError as e:
            misfit = QueryFailed(f"The query's result does not fit the widget: {e.message}", statement_fault=True)
            raise InvalidAnswer(misfit.message, error=misfit) from e
    return GeneratedSql(sql=checked.sql, uncapped=checked.uncapped, columns=columns,
                        explanation=str(payload.get("explanation", "")))


SQL = LLMStep[SqlInput, GeneratedSql](
    name="sql", purpose=Purpose.SQL_GENERATION, tool=SQL_TOOL, system=SYSTEM, build=_build, parse=_parse,
    error_code=ErrorCode.SQL_REJECTED, offline=generate_offline.answer,
)


def sql_conforms(*, inputs: SqlInput, sql: str) -> None:
    """Refuse a checked statement (``CheckedSql.uncapped``) that does not compute what ``inputs.spec`` asks
    over the dictionary as it is now (``spec_check`` against a slice built afresh): a stored statement is
    checked so at each run, as the dictionary may have changed since it was written.

    Raises:
        SqlRejected: with the reason (phrased for a model; prefix it for a person).
    """
    spec_check(sql=sql, read=dialect_name(inputs.source.dialect), spec=inputs.spec, context=_build(inputs).context,
               windows=inputs.windows)


def sql_write_offline(inputs: SqlInput) -> GeneratedSql:
    """Return the statement the deterministic generator writes for ``inputs``, accepted exactly as a model's
    answer is (the safety check, then the engine's prepare), with no model call: for statements derived
    from a widget's spec, such as its companions (a KPI's sparkline, a table's totals).

    Raises:
        ApplicationError: ``sql_rejected`` when the generator cannot write it or the check refuses it, or
            ``QueryFailed`` when the engine does.
    """
    built = _build(inputs)
    try:
        payload = generate_offline.answer(OfflineQuery(context=built.context, prompt=built.prompt, corrections=[]))
    except (KeyError, ValueError) as exc:  # a spec the dictionary no longer supports (a join that is gone)
        raise ApplicationError(ErrorCode.SQL_REJECTED, f"The statement could not be written: {exc}") from exc
    try:
        return _parse(payload, inputs)
    except InvalidAnswer as exc:
        raise exc.error or ApplicationError(ErrorCode.SQL_REJECTED, exc.reason) from exc
