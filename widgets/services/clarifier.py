"""The clarifier (fast tier): the analyst's words → an intent, or questions with options."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.errors import ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, Prompt, Purpose, Tool
from widgets.services import clarifier_offline


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


@dataclass(frozen=True)
class ClarifierInput:
    prompt: str
    answers: list[dict[str, str]]
    catalog: dict[str, Any]


def _build(inputs: ClarifierInput) -> Prompt:
    return Prompt(context=inputs.catalog, prompt={"request": inputs.prompt, "answers": inputs.answers})


def _parse(payload: dict[str, Any], inputs: ClarifierInput) -> Intent:
    """Return the intent; a missing metric always becomes a question, whatever the model forgot."""
    try:
        intent = Intent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidAnswer(f"The clarifier's answer is invalid: {exc.errors()[0]['msg']}") from exc
    if intent.metric_key is None and not any(q.id == "metric" for q in intent.questions):
        intent.questions.append(Question(id="metric", text="Which measure should the widget show?",
                                         options=[m["name"] for m in inputs.catalog["metrics"]][:8]))
    return intent


CLARIFY = LLMStep[ClarifierInput, Intent](
    name="clarify", purpose=Purpose.INTENT_EXTRACTION, tool=INTENT_TOOL, system=SYSTEM, build=_build,
    parse=_parse, error_code=ErrorCode.INVALID_INTENT, offline=clarifier_offline.answer,
)
