"""A follow-up as a change to a widget's spec: the typed patch the refinement clarifier returns, and its
deterministic application.

The patch names only what the follow-up changes ("weekly instead" is ``grain: week``); everything else
stays as the current spec says, so nothing the spec already says is asked or read again. ``spec_apply``
applies it, keeps the spec's shape consistent (a KPI split by region becomes a bar chart, a chart whose
kind no longer fits its rows gets one that does, unless the analyst named it) and validates the result
against the catalog like any spec.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.errors import ApplicationError, ErrorCode
from widgets.services import spec_offline
from widgets.services.clarifier import Missing, Question
from widgets.services.spec import MAX_METRICS, ChartKind, Filter, Grain, Ranking, WidgetSpec, spec_validate
from widgets.services.spec_sort import Sort, sort_problem, sort_read
from widgets.services.windows import DEFAULT_WINDOW_SAID, Comparison, TimeWindow


class SpecChange(BaseModel):
    """What a follow-up changes in the widget's current spec; every field left empty keeps what the spec says."""

    model_config = ConfigDict(extra="forbid")
    undo: bool = Field(default=False, description="Take back the last change (\"undo that\"); nothing else is read.")
    kind: Literal["kpi", "chart", "table", "custom"] | None = None
    chart_type: ChartKind | None = Field(default=None, description="A chart kind; implies kind chart.")
    grain: Grain | None = None
    clear_grain: bool = False
    time_window: TimeWindow | None = None
    compare: Comparison | None = None
    clear_compare: bool = False
    add_filters: list[Filter] = Field(default_factory=list, max_length=10, description=(
        "Filters to add; each replaces the spec's filter on the same dimension with the same op ('in' also "
        "replaces 'not_in'). Negated wording (\"without denied claims\") is op not_in."))
    remove_filters: list[str] = Field(default_factory=list, max_length=10,
                                      description="Dimension keys whose filters are removed (\"all regions\").")
    ranking: Ranking | None = None
    clear_ranking: bool = False
    sort: Sort | None = Field(default=None, description=(
        "The rows' order (\"sort by paid\", \"alphabetical\"): by one of the widget's metrics or dimensions; to "
        "sort by a metric it does not show, add it too (add_metric_keys)."))
    clear_sort: bool = Field(default=False, description="Back to the default order.")
    metric_key: str | None = Field(default=None, description="Replaces the primary metric (\"paid instead\").")
    add_metric_keys: list[str] = Field(default_factory=list, max_length=MAX_METRICS - 1)
    remove_metric_keys: list[str] = Field(default_factory=list, max_length=MAX_METRICS)
    add_dimensions: list[str] = Field(default_factory=list, max_length=2, description="\"split by region\".")
    remove_dimensions: list[str] = Field(default_factory=list, max_length=2)
    title: str | None = Field(default=None, max_length=120, description="A rename, or a title the change needs.")
    visual: str | None = Field(default=None, max_length=500, description="Custom widgets: the visual, redescribed.")
    questions: list[Question] = Field(default_factory=list, max_length=5)
    missing: list[Missing] = Field(default_factory=list, max_length=5)
    assumptions: list[str] = Field(default_factory=list, max_length=10)

    def is_empty(self) -> bool:
        """Tell whether the change changes nothing (and asks nothing)."""
        return self == SpecChange(assumptions=self.assumptions)


def spec_apply(*, spec: dict[str, Any], change: SpecChange, catalog: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` with ``change`` applied, consistent and validated against ``catalog`` (JSON-ready).

    Raises:
        ApplicationError: ``invalid_spec`` naming why the changed spec cannot be drawn (a ranking without a
            dimension, a third dimension, an unknown metric, ...).
    """
    new = copy.deepcopy(spec)
    new["metric"], new["extra_metrics"] = _metrics(spec, change, catalog)
    new["dimensions"] = _dimensions(spec, change)
    new["filters"] = _filters(spec, change)
    if change.time_window is not None:
        new["time_window"] = change.time_window.model_dump(mode="json", exclude_none=True)
        # A period is given now: the note that none was no longer holds.
        new["assumptions"] = [a for a in new.get("assumptions") or [] if not a.startswith(DEFAULT_WINDOW_SAID)]
    if change.compare is not None:
        new["compare"] = change.compare.model_dump(mode="json")
    if change.clear_compare:
        new["compare"] = None
    if change.grain is not None:
        new["grain"] = change.grain
    if change.clear_grain:
        new["grain"] = None
    if change.ranking is not None:
        new["ranking"] = change.ranking.model_dump(mode="json")
    if change.clear_ranking:
        new["ranking"] = None
    new["sort"] = None  # set once the shape is known: the kind fits the rows, not their order
    _shape(new, spec, change)
    new["sort"] = _sort(new, spec, change)
    if change.visual:
        new["visual"] = change.visual
    new["title"] = change.title or (auto_title(new, catalog) if spec.get("title") == auto_title(spec, catalog)
                                    else spec.get("title"))
    new.pop("labels", None)
    try:
        return spec_validate(payload=new, catalog=catalog).model_dump(mode="json")
    except ApplicationError as exc:  # say it as the analyst's change, not as a model's spec
        reason = re.sub(r"^The model's widget spec is invalid: (?:spec: )?(?:Value error, )?", "", exc.message)
        raise ApplicationError(exc.code, reason[:1].upper() + reason[1:], exc.extra) from exc


def _sort(new: dict[str, Any], old: dict[str, Any], change: SpecChange) -> dict[str, Any] | None:
    """Return the changed spec's sort: the one the change names (validation says if it cannot order these
    rows), else the current one while it still can (a removed column or a new grain takes it away)."""
    if change.clear_sort:
        return None
    if change.sort is not None:
        return change.sort.model_dump(mode="json")
    kept = sort_read(old)
    return None if kept is None or sort_problem({**new, "sort": kept}) else kept


def _ref(metric: dict[str, Any]) -> dict[str, Any]:
    return {"key": metric["key"], "name": metric["name"], "unit": metric["unit"]}


def _metrics(spec: dict[str, Any], change: SpecChange,
             catalog: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    known = {m["key"]: m for m in catalog["metrics"]}
    refs = [spec["metric"], *(spec.get("extra_metrics") or [])]
    for key in [change.metric_key, *change.add_metric_keys]:
        if key and key not in known:
            raise ApplicationError(ErrorCode.INVALID_SPEC, f"There is no metric {key!r}.")
    if change.metric_key:
        refs = [_ref(known[change.metric_key]), *(r for r in refs[1:] if r["key"] != change.metric_key)]
    for key in change.add_metric_keys:
        if key not in [r["key"] for r in refs]:
            refs.append(_ref(known[key]))
    refs = [r for r in refs if r["key"] not in change.remove_metric_keys]
    if not refs:
        raise ApplicationError(ErrorCode.INVALID_SPEC, "A widget needs a metric: this change would remove its last one.")
    if len(refs) > MAX_METRICS:
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"A widget shows at most {MAX_METRICS} metrics; remove one first.")
    return refs[0], refs[1:]


def _dimensions(spec: dict[str, Any], change: SpecChange) -> list[str]:
    dims = [d for d in spec.get("dimensions") or [] if d not in change.remove_dimensions]
    dims += [d for d in change.add_dimensions if d not in dims]
    if len(dims) > 2:
        raise ApplicationError(ErrorCode.INVALID_SPEC, "A widget splits by at most two dimensions; say which to drop.")
    return dims


def _filters(spec: dict[str, Any], change: SpecChange) -> list[dict[str, Any]]:
    filters = [f for f in spec.get("filters") or [] if f["dimension"] not in change.remove_filters]
    for added in change.add_filters:
        new = added.model_dump(mode="json")
        replaced = {new["op"], "not_in"} if new["op"] == "in" else {new["op"]}
        at = next((i for i, f in enumerate(filters)
                   if f["dimension"] == new["dimension"] and f.get("op", "in") in replaced), len(filters))
        # In the place of the filter it replaces: the same filter said again changes nothing.
        filters = [*filters[:at], new, *(f for f in filters[at:] if not (
            f["dimension"] == new["dimension"] and f.get("op", "in") in replaced))]
    return filters


def _shape(new: dict[str, Any], old: dict[str, Any], change: SpecChange) -> None:
    """Make the kind fit the rows, keeping any kind the analyst named (validation then says if it cannot)."""
    named_kind = "chart" if change.chart_type else change.kind
    kind = named_kind or new["kind"]
    dims, grain, metrics = new["dimensions"], new.get("grain"), 1 + len(new["extra_metrics"])
    if kind == "kpi" and not named_kind:
        trend = change.grain is not None and not new.get("sparkline")
        if dims or new.get("ranking") or trend:
            kind = "chart"
        elif metrics > 1:
            kind = "table"
    if kind == "chart" and not named_kind and not dims and not grain and old.get("dimensions"):
        kind = "kpi"  # the split was the x axis: without it, the one number
    new["kind"] = kind
    if kind != "kpi":
        new["sparkline"] = False
    elif not new.get("sparkline"):
        new["grain"] = None
    if kind == "chart":
        if not dims and not new.get("grain"):
            new["grain"] = spec_offline.grain_for(new["time_window"])
        new["chart_type"] = change.chart_type or new.get("chart_type")
        if not change.chart_type and (new["chart_type"] is None or not _fits(new)):
            new["chart_type"] = spec_offline.chart_for(dims, new.get("grain"), new.get("ranking"), metrics)
    else:
        new["chart_type"] = None
    if kind != "custom":
        new["visual"] = None


def _fits(spec: dict[str, Any]) -> bool:
    try:
        WidgetSpec.model_validate({**spec, "labels": {}})
    except ValidationError:
        return False
    return True


def auto_title(spec: dict[str, Any], catalog: dict[str, Any]) -> str:
    """Return the title the offline spec step gives ``spec``: a title the analyst never changed follows the spec."""
    labels = {d["key"]: d["label"] for d in catalog.get("dimensions", [])}
    metrics = [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]
    intent = {"ranking": spec.get("ranking"), "filters": spec.get("filters") or [], "compare": spec.get("compare")}
    try:
        return spec_offline.title_for(metrics, list(spec.get("dimensions") or []), labels, spec.get("time_window") or {},
                                   intent, spec.get("grain") if spec.get("kind") != "kpi" else None)
    except (KeyError, TypeError, ValueError):
        return ""
