"""SQL generation (fast tier): a metric definition plus a dictionary slice → one checked SELECT."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from backend.errors import ApplicationError
from backend.llm.chain import DEADLINE
from backend.llm.gateway import CallContext, InvalidAnswer, get_llm
from backend.llm.types import LLMError, LLMRequest, Tool
from sql_gen.models import DataSource, MetricDefinition
from sql_gen.selectors import allowed_tables, dictionary_slice
from sql_gen.services.execute import QueryFailed, QueryResult, sql_execute
from sql_gen.services.safety import CheckedSql, SqlRejected, sql_check

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
    "the tables and columns in the dictionary slice and follow its guidelines. Compute the metric exactly as "
    "its definition says (expression, default filters, time column). Output columns: the time bucket as "
    "'period' when the spec has a grain, then one column per dimension named by its label, then the metric "
    "value named by the metric key. A 'last N units' window means time_column > CURRENT_DATE - N units and "
    "time_column <= CURRENT_DATE. If previous_error is present, your last answer was rejected: fix that."
)


class GenerationTimedOut(ApplicationError):
    """SQL generation used up the source's ``generation_timeout_s`` budget."""

    def __init__(self, budget_s: int) -> None:
        super().__init__(
            "sql_generation_timeout",
            f"Writing the SQL took longer than this data source's {budget_s}s budget; try again or ask an "
            "admin to raise it.",
            {"budget_s": budget_s},
        )


@dataclass(frozen=True)
class GeneratedSql:
    checked: CheckedSql
    result: QueryResult  # the checked statement's rows: the check runs it
    explanation: str
    attempts: int


def sql_generate(*, metric: MetricDefinition, spec: dict[str, Any], source: DataSource,
                 context: CallContext, result_check: Callable[[QueryResult], None] | None = None) -> GeneratedSql:
    """Return checked SQL for ``spec`` over ``metric``, with its rows.

    Each answer must pass the safety check, run on the source and, when given, pass
    ``result_check`` (which raises ApplicationError when the rows do not fit the widget). When
    it does not, the gateway's escalation asks once more with the reason fed back (on the next
    tier up when one is configured). The source's ``generation_timeout_s`` bounds the whole of it.

    Raises:
        LLMError: the model could not be reached or gave no usable answer.
        SqlRejected: the last answer failed the safety check.
        QueryFailed: the last answer failed on the database or ``result_check``, or the source is unusable.
        GenerationTimedOut: the budget ran out before an answer passed.
    """
    dimension_keys = [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]
    slice_ = dictionary_slice(metric=metric, dimension_keys=dimension_keys)
    request = LLMRequest(
        system=SYSTEM, context=json.dumps({**slice_, "dialect": source.dialect}, sort_keys=True),
        prompt=json.dumps({"spec": spec, "row_cap": source.row_cap}, sort_keys=True), tool=SQL_TOOL,
    )
    allowed = allowed_tables(source=source)
    attempts = 0

    def parse(payload: dict[str, Any]) -> GeneratedSql:
        nonlocal attempts
        attempts += 1
        try:
            checked = sql_check(sql=str(payload.get("sql", "")), dialect=source.dialect,
                                allowed_tables=allowed, row_cap=source.row_cap)
            result = sql_execute(source=source, sql=checked.sql)
        except SqlRejected as e:
            raise InvalidAnswer(f"The SQL was rejected: {e.message}") from e
        except QueryFailed as e:
            if not e.statement_fault:
                raise  # the source is unusable: no rewrite of the statement helps
            raise InvalidAnswer(f"The SQL failed on the database: {e.message}") from e
        if result_check is not None:
            try:
                result_check(result)
            except ApplicationError as e:
                misfit = QueryFailed(f"The query's result does not fit the widget: {e.message}", statement_fault=True)
                raise InvalidAnswer(misfit.message) from misfit
        return GeneratedSql(checked=checked, result=result, explanation=str(payload.get("explanation", "")),
                            attempts=attempts)

    try:
        return get_llm("sql_generation").call_parsed(request, parse, context=context,
                                                     deadline_s=source.generation_timeout_s)
    except InvalidAnswer as e:
        raise e.__cause__ from None  # the SqlRejected or QueryFailed of the last answer
    except LLMError as e:
        if e.code == DEADLINE:
            raise GenerationTimedOut(source.generation_timeout_s) from e
        raise
