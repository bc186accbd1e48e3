"""The clarifier (fast tier): the analyst's words → an intent, or questions with options."""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.errors import ApplicationError
from backend.llm.gateway import CallContext, InvalidAnswer, get_llm
from backend.llm.types import LLMRequest, Tool


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    text: str = Field(min_length=1, max_length=300)
    options: list[str] = Field(default_factory=list, max_length=12)


class Intent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    widget_type: Literal["kpi", "chart", "table", "custom"]
    metric_key: str | None = None
    dimensions: list[str] = Field(default_factory=list, max_length=2)
    filters: list[dict[str, Any]] = Field(default_factory=list)
    time_window: dict[str, Any] | None = None
    grain: Literal["day", "week", "month"] | None = None
    chart_type: Literal["line", "bar"] | None = None
    questions: list[Question] = Field(default_factory=list, max_length=5)


INTENT_TOOL = Tool(
    name="record_intent",
    description="Record what the analyst asked for, and any questions needed to remove ambiguity.",
    input_schema=Intent.model_json_schema(),
)

SYSTEM = (
    "You read an insurance analyst's request for a dashboard widget. Using only the metrics and dimensions in "
    "the catalog (JSON), call record_intent with the widget type (kpi, chart, table or custom), the metric key, "
    "dimension keys, filters ({dimension, values}), the time window ({kind: last, n, unit} or {kind: all}) and "
    "grain. Choose custom when the analyst asks for a visual a KPI card, line/bar chart or table does not draw "
    "(a leaderboard, gauge, progress bar, sparkline card, heatmap, ...). When the metric or the time window is "
    "not clear, leave it null and add a short question with a few clickable options (exact metric names, or "
    "phrases such as 'Last 30 days'). Earlier answers are included."
)


def intent_extract(*, prompt: str, answers: list[dict[str, str]], catalog: dict[str, Any],
                   context: CallContext) -> Intent:
    """Return the intent for a request; ``intent.questions`` is non-empty when it is ambiguous.

    Raises:
        LLMError: the model call failed.
        ApplicationError: ``invalid_intent`` when the answer does not validate.
    """
    def parse(payload: dict[str, Any]) -> Intent:
        try:
            return Intent.model_validate(payload)
        except ValidationError as exc:
            raise InvalidAnswer(f"The clarifier's answer is invalid: {exc.errors()[0]['msg']}") from exc

    request = LLMRequest(system=SYSTEM, context=json.dumps(catalog, sort_keys=True),
                         prompt=json.dumps({"request": prompt, "answers": answers}, sort_keys=True), tool=INTENT_TOOL)
    try:
        intent = get_llm("intent_extraction").call_parsed(request, parse, context=context)
    except InvalidAnswer as exc:
        raise ApplicationError("invalid_intent", str(exc)) from exc
    if intent.metric_key is None and not any(q.id == "metric" for q in intent.questions):
        intent.questions.append(Question(id="metric", text="Which measure should the widget show?",
                                         options=[m["name"] for m in catalog["metrics"]][:8]))
    return intent
