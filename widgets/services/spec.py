"""The validated ``WidgetSpec`` and the spec-synthesis step (reasoning tier)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, Prompt, Purpose, Tool
from widgets.services import spec_offline


class MetricRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    unit: Literal["count", "currency", "days", "percent"]


class TimeWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["last", "all"]
    n: int | None = Field(default=None, ge=1, le=3650)
    unit: Literal["day", "week", "month", "year"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> TimeWindow:
        if self.kind == "last" and (self.n is None or self.unit is None):
            raise ValueError("a 'last' window needs n and unit")
        return self


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dimension: str = Field(min_length=1)
    values: list[str] = Field(min_length=1, max_length=50)


class WidgetSpec(BaseModel):
    """What a widget shows. Checked against the metric catalog by ``spec_validate``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["kpi", "chart", "table", "custom"]
    title: str = Field(min_length=1, max_length=120)
    metric: MetricRef
    dimensions: list[str] = Field(default_factory=list, max_length=2)
    filters: list[Filter] = Field(default_factory=list, max_length=10)
    time_window: TimeWindow
    grain: Literal["day", "week", "month"] | None = None
    chart_type: Literal["line", "bar"] | None = None
    sort: Literal["period", "value_desc", "value_asc"] | None = None
    limit: int | None = Field(default=None, ge=1, le=10_000)
    visual: str | None = Field(
        default=None, max_length=500,
        description="Custom widgets only: what the visual should look like, in a sentence or two.",
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Filled from the catalog, not by the model.")

    @model_validator(mode="after")
    def _consistent(self) -> WidgetSpec:
        if self.kind == "kpi" and (self.dimensions or self.grain):
            raise ValueError("a KPI shows one number: no dimensions or grain")
        if self.kind == "chart" and not (self.dimensions or self.grain):
            raise ValueError("a chart needs a dimension or a time grain for its x axis")
        if self.kind == "chart" and self.chart_type is None:
            raise ValueError("a chart needs a chart_type (line or bar)")
        return self


SPEC_TOOL = Tool(
    name="record_widget_spec",
    description="Record the complete widget specification.",
    input_schema=WidgetSpec.model_json_schema(),
)

SYSTEM = (
    "You design dashboard widgets for insurance analysts. Given the analyst's request, the extracted intent "
    "and the catalog of metrics and dimensions (JSON), call record_widget_spec with a complete, internally "
    "consistent spec. Use only metric keys and dimension keys from the catalog. A KPI has no dimensions or "
    "grain; a chart needs a grain or a dimension and a chart_type; a table or a custom widget may have up to "
    "two dimensions and/or a grain. For a custom widget (a bespoke visual drawn by generated code), set visual "
    "to one or two sentences saying what it should look like, e.g. 'a leaderboard of regions with horizontal "
    "bars'; leave visual null for other kinds. Write a short, specific title."
)


def spec_validate(*, payload: dict[str, Any], catalog: dict[str, Any]) -> WidgetSpec:
    """Return the payload as a WidgetSpec tied to a catalog metric, each dimension named once.

    Raises:
        ApplicationError: ``invalid_spec`` naming what is wrong.
    """
    try:
        spec = WidgetSpec.model_validate(payload)
    except ValidationError as exc:
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"The model's widget spec is invalid: {_first_error(exc)}") from exc
    # A repeated dimension would group by the same column twice and, in a custom widget, declare the same
    # Row field twice (a TypeScript error no rewrite of the component can fix).
    spec.dimensions = list(dict.fromkeys(spec.dimensions))
    metric = next((m for m in catalog["metrics"] if m["key"] == spec.metric.key), None)
    if metric is None:
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"The spec names an unknown metric {spec.metric.key!r}.")
    allowed = set(metric["dimensions"])
    for key in [*spec.dimensions, *(f.dimension for f in spec.filters)]:
        if key not in allowed:
            raise ApplicationError(ErrorCode.INVALID_SPEC, f"{metric['name']} cannot be broken down by {key!r}.")
    # The unit, name and labels come from the definitions, not the model's memory of them.
    spec.metric = MetricRef(key=metric["key"], name=metric["name"], unit=metric["unit"])
    known = {d["key"]: d["label"] for d in catalog["dimensions"]}
    spec.labels = {key: known[key] for key in [*spec.dimensions, *(f.dimension for f in spec.filters)]}
    return spec


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "spec"
    return f"{where}: {err['msg']}"


@dataclass(frozen=True)
class SpecInput:
    request_text: str
    intent: dict[str, Any]
    catalog: dict[str, Any]


def _build(inputs: SpecInput) -> Prompt:
    return Prompt(context=inputs.catalog, prompt={"request": inputs.request_text, "intent": inputs.intent})


def _parse(payload: dict[str, Any], inputs: SpecInput) -> WidgetSpec:
    try:
        return spec_validate(payload=payload, catalog=inputs.catalog)
    except ApplicationError as exc:
        raise InvalidAnswer(exc.message, error=exc) from exc


SPEC = LLMStep[SpecInput, WidgetSpec](
    name="spec", purpose=Purpose.SPEC_SYNTHESIS, tool=SPEC_TOOL, system=SYSTEM, build=_build, parse=_parse,
    error_code=ErrorCode.INVALID_SPEC, offline=spec_offline.answer,
)
