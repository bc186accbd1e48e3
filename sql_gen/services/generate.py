"""SQL generation (fast tier): a metric definition plus a dictionary slice → one checked SELECT."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from backend.errors import ApplicationError
from backend.llm.gateway import CallContext, get_llm
from backend.llm.types import LLMRequest, Tool
from sql_gen.models import DataSource, MetricDefinition
from sql_gen.selectors import allowed_tables, dictionary_slice
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
    explanation: str
    attempts: int


def sql_generate(*, metric: MetricDefinition, spec: dict[str, Any], source: DataSource,
                 context: CallContext) -> GeneratedSql:
    """Return checked SQL for ``spec`` over ``metric``.

    A rejected answer goes back to the model once, with the reason, if the source's
    ``generation_timeout_s`` budget is not spent. The budget is checked before each call (the
    gateway bounds a call by its route's own timeout; it cannot yet take the remaining budget).

    Raises:
        LLMError: the model call failed.
        SqlRejected: the second answer failed the safety check too.
        GenerationTimedOut: the budget ran out before an answer passed the check.
    """
    deadline = time.monotonic() + source.generation_timeout_s
    dimension_keys = [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]
    slice_ = dictionary_slice(metric=metric, dimension_keys=dimension_keys)
    llm_context = json.dumps({**slice_, "dialect": source.dialect}, sort_keys=True)
    allowed = allowed_tables(source=source)

    def ask(previous_error: str | None) -> dict[str, Any]:
        prompt: dict[str, Any] = {"spec": spec, "row_cap": source.row_cap}
        if previous_error:
            prompt["previous_error"] = previous_error
        if time.monotonic() >= deadline:
            raise GenerationTimedOut(source.generation_timeout_s)
        result = get_llm("sql_generation").call(
            LLMRequest(system=SYSTEM, context=llm_context, prompt=json.dumps(prompt, sort_keys=True), tool=SQL_TOOL),
            context=context,
        )
        return result.payload or {}

    def check(payload: dict[str, Any], attempts: int) -> GeneratedSql:
        checked = sql_check(sql=str(payload.get("sql", "")), dialect=source.dialect,
                            allowed_tables=allowed, row_cap=source.row_cap)
        return GeneratedSql(checked=checked, explanation=str(payload.get("explanation", "")), attempts=attempts)

    try:
        return check(ask(None), attempts=1)
    except SqlRejected as exc:
        return check(ask(exc.message), attempts=2)
