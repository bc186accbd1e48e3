"""The validated ``WidgetSpec`` and the spec-synthesis step (reasoning tier).

The spec is the widget language: what is measured (up to three metrics), how it is cut (dimensions,
filters), over when (a relative time window, an optional comparison, a grain), how it is ranked or sorted
and how it is drawn. Dates are never in it: a window is a relative reading ("last quarter") that each run
resolves against today (``windows.resolve``), so a refreshed widget moves with the calendar.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_serializer, model_validator

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, Prompt, Purpose, Tool
from sql_gen.models import GRAIN_ORDER
from widgets.services import spec_offline
from widgets.services.spec_sort import SORT_DESCRIPTION, Sort, sort_problem, sort_read, sort_settled
from widgets.services.windows import Comparison, TimeWindow

ChartKind = Literal["line", "area", "stacked_area", "bar", "horizontal_bar", "stacked_bar", "pie", "donut",
                    "scatter"]
Grain = Literal["day", "week", "month", "quarter", "year"]
FilterOp = Literal["in", "not_in", ">", ">=", "<", "<="]
MAX_METRICS = 3
MAX_RANK = 100


class MetricRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    unit: Literal["count", "currency", "days", "percent"]
    dated_by: str | None = Field(default=None, max_length=60,
                                 description="Filled from the catalog, not by the model: the metric's time column.")


class Filter(BaseModel):
    """``dimension`` in (or not in) a list of exact stored values, or a number compared with a numeric column."""

    model_config = ConfigDict(extra="forbid")
    dimension: str = Field(min_length=1)
    op: FilterOp = "in"
    values: list[str | int | float] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _values_fit_op(self) -> Filter:
        if self.op in ("in", "not_in"):
            self.values = [str(v) for v in self.values]
        elif len(self.values) != 1 or isinstance(self.values[0], str) or isinstance(self.values[0], bool):
            raise ValueError(f"a {self.op} filter takes exactly one number")
        return self


class Ranking(BaseModel):
    """The top or bottom ``n`` rows by the primary metric, and optionally one more: all the other groups."""

    model_config = ConfigDict(extra="forbid")
    direction: Literal["top", "bottom"]
    n: int = Field(ge=1, le=MAX_RANK)
    others: bool = Field(default=False, description="Also an 'all others' row: every group outside the n, its "
                                                    "values added up by a query. Only for metrics that add up.")

    @model_serializer(mode="wrap")
    def _others_when_asked(self, handler: Any) -> dict[str, Any]:
        """Store ``others`` only when asked: a ranking without it is {"direction", "n"}, as it always was."""
        return {k: v for k, v in handler(self).items() if k != "others" or v}


class WidgetSpec(BaseModel):
    """What a widget shows. Checked against the metric catalog by ``spec_validate``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["kpi", "chart", "table", "custom"]
    title: str = Field(min_length=1, max_length=120)
    metric: MetricRef = Field(description="The primary metric: the KPI's number, what a ranking orders by.")
    extra_metrics: list[MetricRef] = Field(
        default_factory=list, max_length=MAX_METRICS - 1,
        description="More metrics on the same rows (tables, charts sharing an axis); a scatter's y metric.")
    dimensions: list[str] = Field(default_factory=list, max_length=2, description="Group-by dimension keys.")
    filters: list[Filter] = Field(default_factory=list, max_length=10)
    time_window: TimeWindow
    compare: Comparison | None = Field(default=None, description="Also show the previous period or the same "
                                                                 "period last year.")
    grain: Grain | None = None
    chart_type: ChartKind | None = None
    ranking: Ranking | None = None
    sort: Sort | None = Field(default=None, description="Another order for a breakdown's rows than highest "
                                                         "first by the primary metric.")
    sparkline: bool = Field(default=False, description="KPI only: a small trend of the metric at ``grain``.")
    visual: str | None = Field(
        default=None, max_length=500,
        description="Custom widgets only: what the visual should look like, in a sentence or two.",
    )
    assumptions: list[str] = Field(default_factory=list, max_length=10,
                                   description="What was assumed where the request was silent.")
    not_applied: list[str] = Field(default_factory=list, max_length=20,
                                   description="Filled by our code: words of the request the spec does not use.")
    labels: dict[str, str] = Field(default_factory=dict, description="Filled from the catalog, not by the model.")
    data_grain: Grain | None = Field(
        default=None, description="Filled from the catalog, not by the model: the coarsest period a metric's data "
                                  "is kept by (earned premium per month), when coarser than a day. The window "
                                  "then covers whole such periods, for every metric of the widget.")

    @field_validator("time_window", mode="before")
    @classmethod
    def _legacy_window(cls, value: Any) -> Any:
        """Read a window stored before the calendar language ({"kind": "last", n, unit}) as a rolling one."""
        if isinstance(value, dict) and value.get("kind") == "last":
            return {"kind": "rolling", "n": value.get("n"), "unit": value.get("unit")}
        return value

    @model_validator(mode="before")
    @classmethod
    def _legacy_limit(cls, value: Any) -> Any:
        """Drop the fixed ``limit`` older specs carried: a limit now comes from a ranking or the row cap."""
        if isinstance(value, dict) and "limit" in value:
            value = {k: v for k, v in value.items() if k != "limit"}
        return value

    @model_validator(mode="before")
    @classmethod
    def _legacy_sort(cls, value: Any) -> Any:
        """Read a sort stored as one word ("value_asc", "label") as the order it gave."""
        if isinstance(value, dict) and isinstance(value.get("sort"), str):
            value = {**value, "sort": sort_read(value)}
        return value

    @property
    def metrics(self) -> list[MetricRef]:
        return [self.metric, *self.extra_metrics]

    def _order_fields(self) -> dict[str, Any]:
        """The fields the order of the rows depends on, as the dict-level sort rules read them."""
        return self.model_dump(mode="json", include={"metric", "extra_metrics", "dimensions", "grain", "ranking",
                                                     "sort"})

    @model_validator(mode="after")
    def _consistent(self) -> WidgetSpec:
        if self.sort is not None:  # the order the rows have anyway is no sort
            settled = sort_settled(self._order_fields())
            self.sort = Sort.model_validate(settled) if settled else None
        problem = _inconsistency(self)
        if problem:
            raise ValueError(problem)
        return self


def _inconsistency(spec: WidgetSpec) -> str:
    """Return what makes the spec self-contradictory, or an empty string."""
    keys = [m.key for m in spec.metrics]
    if len(set(keys)) != len(keys):
        return "a metric is named twice"
    if spec.kind == "kpi":
        if spec.dimensions:
            return "a KPI shows one number: no dimensions"
        if spec.grain and not spec.sparkline:
            return "a KPI has a grain only for its sparkline"
        if spec.extra_metrics or spec.ranking:
            return "a KPI shows one metric, unranked"
    if spec.sparkline and spec.kind != "kpi":
        return "only a KPI has a sparkline"
    if spec.kind == "custom" and spec.extra_metrics:
        return "a custom widget draws one metric: its component gets one value per row"
    if spec.kind == "chart":
        if not (spec.dimensions or spec.grain):
            return "a chart needs a dimension or a time grain for its x axis"
        if spec.chart_type is None:
            return "a chart needs a chart_type"
        problem = _chart_problem(spec)
        if problem:
            return problem
    elif spec.chart_type is not None and spec.kind != "custom":
        return "only a chart has a chart_type"
    if spec.ranking and not spec.dimensions:
        return "a ranking needs a dimension to rank"
    if spec.compare and spec.time_window.kind == "all":
        return "all time has no previous period to compare with"
    return sort_problem(spec._order_fields()) if spec.sort else ""


def _chart_problem(spec: WidgetSpec) -> str:
    chart, groups = spec.chart_type, len(spec.dimensions) + (1 if spec.grain else 0)
    if chart in ("pie", "donut") and (groups != 1 or spec.grain or spec.extra_metrics):
        return f"a {chart} chart shows one metric split by one dimension"
    if chart == "scatter" and (len(spec.metrics) != 2 or not spec.dimensions):
        return "a scatter chart plots two metrics, one point per dimension value"
    if chart in ("stacked_bar", "stacked_area") and groups != 2:
        return f"a {chart.replace('_', ' ')} chart needs two groupings (two dimensions, or a dimension and a grain)"
    if groups > 2:
        return "a chart shows at most two groupings"
    return ""


SPEC_TOOL = Tool(
    name="record_widget_spec",
    description="Record the complete widget specification.",
    input_schema=WidgetSpec.model_json_schema(),
)

SYSTEM = (
    "You design dashboard widgets for insurance analysts. Given the analyst's request, the extracted intent "
    "and the catalog of metrics and dimensions (JSON), call record_widget_spec with a complete, internally "
    "consistent spec that means exactly what the analyst asked: keep every filter, window, comparison, "
    "ranking, sort and chart kind of the intent. Use only metric keys, dimension keys and the exact stored "
    "values from the catalog. Fields: metric is the primary metric (a KPI's number, what a ranking orders by); "
    "extra_metrics holds up to two more on the same rows (a scatter's second metric). filters are "
    "{dimension, op, values}: op 'in'/'not_in' with stored values, or '>', '>=', '<', '<=' with one number "
    "on a numeric column. time_window is relative, never dates: {kind: all} | {kind: rolling, n, unit} (the "
    "last n days/weeks/months/quarters/years up to today) | {kind: current|to_date|previous, unit} (this, "
    "to-date or last calendar unit; yesterday is previous day) | {kind: period, unit: year|quarter|month, year, "
    "quarter?, month?} | {kind: since, start} | {kind: between, start, end (inclusive)}. compare is "
    "{kind: previous_period|previous_year} or null. grain is day, week, month, quarter or year for a time "
    "series. ranking is {direction: top|bottom, n, others}; others true adds one 'all others' row (every other "
    "group, added up), only when the analyst asks for the rest as one row and every metric is additive. "
    + SORT_DESCRIPTION + " To sort a table by a metric it does "
    "not show, add that metric to extra_metrics. chart_type is one of line, area, stacked_area, bar, "
    "horizontal_bar, stacked_bar, pie, donut, scatter. A KPI has no dimensions (a grain only with "
    "sparkline); a chart needs a grain or a dimension and a chart_type; pie and donut split one metric by one "
    "dimension; stacked charts need two groupings; scatter takes two metrics and a dimension. For a custom "
    "widget (a bespoke visual drawn by generated code; one metric), set visual to one or two sentences saying what it "
    "should look like. List in assumptions what you chose where the request was silent. Write a short, "
    "specific title."
)


def spec_validate(*, payload: dict[str, Any], catalog: dict[str, Any]) -> WidgetSpec:
    """Return the payload as a WidgetSpec tied to catalog metrics, each dimension named once.

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
    known_metrics = {m["key"]: m for m in catalog["metrics"]}
    refs = []
    for ref in spec.metrics:
        metric = known_metrics.get(ref.key)
        if metric is None:
            raise ApplicationError(ErrorCode.INVALID_SPEC, f"The spec names an unknown metric {ref.key!r}.")
        # The unit and name come from the definitions, not the model's memory of them.
        refs.append(MetricRef(key=metric["key"], name=metric["name"], unit=metric["unit"],
                              dated_by=metric.get("time_column")))
    spec.metric, spec.extra_metrics = refs[0], refs[1:]
    for ref in spec.metrics:
        problem = _too_fine(spec, known_metrics[ref.key])
        if problem:
            raise ApplicationError(ErrorCode.INVALID_SPEC, problem)
    _align_to_data(spec, [known_metrics[ref.key] for ref in spec.metrics])
    _undated(spec, [known_metrics[ref.key] for ref in spec.metrics])
    dimensions = {d["key"]: d for d in catalog["dimensions"]}
    numbers = {n["key"]: n for n in catalog.get("numbers", [])}
    for key in [*spec.dimensions, *(f.dimension for f in spec.filters if f.op in ("in", "not_in"))]:
        for ref in spec.metrics:
            if key not in known_metrics[ref.key]["dimensions"]:
                raise ApplicationError(ErrorCode.INVALID_SPEC, f"{ref.name} cannot be broken down by {key!r}.")
    for flt in spec.filters:
        _stored_values(flt, dimensions.get(flt.dimension))
        if flt.op not in ("in", "not_in") and flt.dimension not in numbers:
            raise ApplicationError(ErrorCode.INVALID_SPEC, f"{flt.dimension!r} is not a numeric column a "
                                                           f"{flt.op} filter can compare.")
        if flt.op not in ("in", "not_in") and any(r.key not in numbers[flt.dimension]["metrics"] for r in spec.metrics):
            raise ApplicationError(ErrorCode.INVALID_SPEC, f"{flt.dimension!r} is not a column of every metric's rows.")
    labels = {key: d["label"] for key, d in dimensions.items()} | {key: n["label"] for key, n in numbers.items()}
    used = [*spec.dimensions, *(f.dimension for f in spec.filters)]
    spec.labels = {key: labels.get(key, key) for key in used}
    _others_kept(spec, [known_metrics[ref.key] for ref in spec.metrics])
    _parts_of_a_whole(spec, [known_metrics[ref.key] for ref in spec.metrics])
    _ranked_together(spec)
    return spec


def _ranked_together(spec: WidgetSpec) -> None:
    """Say how a ranking of two groupings ranks: their pairs together ("top 2 regions for each product line" is
    the top 2 region and product line pairs, not the top 2 regions within each line, which no spec says)."""
    if spec.ranking is None or len(spec.dimensions) != 2:
        return
    first, second = (spec.labels.get(key, key) for key in spec.dimensions)
    word = "top" if spec.ranking.direction == "top" else "bottom"
    note = (f"Ranked over {first} and {second} together: the {word} {spec.ranking.n} pairs, not the {word} "
            f"{spec.ranking.n} of each {second}.")
    if note not in spec.assumptions:
        spec.assumptions = [*spec.assumptions, note][-10:]


# Charts whose marks add up to a whole, and the chart that shows the same values side by side instead.
_ADDED_UP = {"pie": "bar", "donut": "bar", "stacked_bar": "bar", "stacked_area": "line"}


def _parts_of_a_whole(spec: WidgetSpec, metrics: list[dict[str, Any]]) -> None:
    """Draw side by side what does not add up: a pie's slices and a stack's layers are parts of a whole, which
    an average or a ratio over groups is not (a pie of loss ratios labelled 18.5 % means nothing). The spec
    then shows bars (or lines) and an assumption says why; the departures report the chart asked for."""
    lacking = next((m for m in metrics if not m.get("additive")), None)
    instead = _ADDED_UP.get(spec.chart_type or "")
    if spec.kind != "chart" or lacking is None or instead is None:
        return
    asked = (spec.chart_type or "").replace("_", " ")
    spec.chart_type = instead  # type: ignore[assignment]
    spec.assumptions = [*spec.assumptions, f"Shown as {instead}s, not a {asked} chart: {lacking['name']} does not "
                                           "add up over its parts (only sums and counts do)."][-10:]


def _others_kept(spec: WidgetSpec, metrics: list[dict[str, Any]]) -> None:
    """Keep a ranking's 'all others' row only where it is exact and has a place, else leave it out saying why
    (the departures then report it as not applied): the rows shown are right either way, as with a window an
    undated metric cannot apply. Its values are the other groups' added up by a query, which is the figure
    of those groups only for sums and counts (``additive``); an average of the rest is no sum of averages."""
    if spec.ranking is None or not spec.ranking.others:
        return
    problem = _no_others(spec, metrics)
    if problem:
        spec.ranking.others = False
        spec.assumptions = [*spec.assumptions, f"No 'all others' row: {problem}."][-10:]


def _no_others(spec: WidgetSpec, metrics: list[dict[str, Any]]) -> str:
    lacking = next((m for m in metrics if not m.get("additive")), None)
    if lacking is not None:
        return f"{lacking['name']} does not add up over groups (only sums and counts do)"
    if spec.grain:
        return f"it goes with a ranking of groups, not with a series per {spec.grain}"
    if spec.kind == "custom":
        return "a custom widget draws only the rows it is given"
    if spec.kind == "chart" and (spec.chart_type == "scatter" or len(spec.dimensions) > 1):
        return f"a {(spec.chart_type or 'chart').replace('_', ' ')} chart has no place for it"
    return ""


def _stored_values(flt: Filter, dimension: dict[str, Any] | None) -> None:
    """Make the filter's values the exact stored ones ('auto' is Auto), or raise naming the one that is none:
    a value the data does not hold filters every row out, and the widget would show a 0 as a figure. Only
    a dimension whose catalog entry lists all its values can tell (not the 120 adjusters' sample)."""
    if flt.op not in ("in", "not_in") or not dimension or not dimension.get("values") \
            or not dimension.get("values_complete", True):
        return
    stored = {str(v).casefold(): str(v) for v in dimension["values"]}
    for value in flt.values:
        if str(value).casefold() not in stored:
            shown = ", ".join(list(stored.values())[:20])
            raise ApplicationError(ErrorCode.INVALID_SPEC, f"{value!r} is not a stored value of {flt.dimension}; "
                                                           f"use the exact stored values: {shown}.")
    flt.values = [stored[str(v).casefold()] for v in flt.values]


_WINDOW_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 90, "year": 365}


def _too_fine(spec: WidgetSpec, metric: dict[str, Any]) -> str:
    """Return why the spec asks the metric for finer periods than its data holds (earned premium is kept per
    month: no weekly chart of it, no figure for yesterday), or an empty string. Such a widget would fake."""
    finest = metric.get("finest_grain") or "day"
    if finest == "day":
        return ""
    if spec.grain and GRAIN_ORDER.index(spec.grain) < GRAIN_ORDER.index(finest):
        return f"{metric['name']} is kept per {finest}; it cannot be shown per {spec.grain}."
    window = spec.time_window
    days = None
    if window.kind == "rolling" and window.unit and window.n:
        days = window.n * _WINDOW_DAYS[window.unit]
    elif window.kind in ("current", "previous", "to_date") and window.unit:
        days = _WINDOW_DAYS[window.unit]
    elif window.kind == "period" and window.unit == "day":
        days = 1
    if days is not None and days < _WINDOW_DAYS[finest]:
        return f"{metric['name']} is kept per {finest}; ask for a {finest} or longer, not a shorter window."
    return ""


def _align_to_data(spec: WidgetSpec, metrics: list[dict[str, Any]]) -> None:
    """Set the spec's ``data_grain`` from its metrics, and say so when the window may then grow.

    A month's premium divided by 30 days of payments is no loss ratio: a metric kept per month is bound to
    whole months, and every other metric of the widget to the same bounds, so that a ratio's parts and a
    table's columns count the same days."""
    coarsest = max([m.get("finest_grain") or "day" for m in metrics], key=GRAIN_ORDER.index)
    spec.data_grain = None if coarsest == "day" else coarsest  # type: ignore[assignment]
    bucketed = spec.grain is not None and GRAIN_ORDER.index(spec.grain) >= GRAIN_ORDER.index(coarsest)
    if not spec.data_grain:
        return
    kept = next(m for m in metrics if (m.get("finest_grain") or "day") == coarsest)["name"]
    if not bucketed and not _whole_periods(spec.time_window, coarsest):
        _assume(spec, f"{kept} is kept per {coarsest}: the window covers whole {coarsest}s.")
    if spec.compare and spec.time_window.kind != "previous":  # last month vs the month before: whole already
        _assume(spec, f"{kept} is kept per {coarsest}: the earlier period is the same {coarsest}s in full; "
                      f"a {coarsest} still running is counted up to today.")


def _assume(spec: WidgetSpec, note: str) -> None:
    """Add ``note`` to the spec's assumptions unless it is there (the last ten are kept)."""
    if note not in spec.assumptions:
        spec.assumptions = [*spec.assumptions, note][-10:]


def _undated(spec: WidgetSpec, metrics: list[dict[str, Any]]) -> None:
    """Read a widget over a metric with no date (a headcount of adjusters) over all its rows, saying so; refuse a
    grain or a comparison of it, and a window shared with a dated metric. Nothing would bind the window: its
    dates would be shown over all the rows, and a comparison would be the same figure twice (0 %)."""
    undated = [m for m in metrics if not m.get("time_column") and m.get("kind") != "ratio"]
    if not undated:
        return
    name = undated[0]["name"]
    if spec.grain or spec.compare:
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"{name} has no date: it cannot be shown "
                                                       f"{'per ' + spec.grain if spec.grain else 'against an earlier period'}.")
    if spec.time_window.kind == "all":
        return
    if len(undated) < len(metrics):
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"{name} has no date and the other metrics do: one window "
                                                       "cannot hold them both; show them apart.")
    spec.time_window = TimeWindow(kind="all")
    spec.assumptions = [*spec.assumptions, f"{name} has no date: every row is counted, whatever the period."][-10:]


def _whole_periods(window: TimeWindow, grain: str) -> bool:
    """Tell whether the window is already whole periods of ``grain`` (or all time): a calendar month,
    quarter or year, this one so far, or the last one; a rolling window, a since or a between is not."""
    if window.kind == "all":
        return True
    return window.kind in ("period", "current", "previous", "to_date") and window.unit is not None and \
        GRAIN_ORDER.index(window.unit) >= GRAIN_ORDER.index(grain)


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
