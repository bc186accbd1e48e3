"""Offline spec synthesis: an intent plus the catalog → a complete widget spec.

It keeps everything the intent says (filters, window, comparison, ranking, sort, chart kind) and fills
only what the intent leaves open, saying so in ``assumptions``: the chart kind that fits the rows, the
grain of a chart with nothing else on its x axis. A table sorted by a metric it does not show shows it.
"""
from __future__ import annotations

import re
from typing import Any

from backend.llm.api import OfflineQuery
from backend.text import clipped
from sql_gen.models import GRAIN_ORDER
from widgets.services.interpret import filter_words, ranked
from widgets.services.spec_sort import sort_problem, sort_settled
from widgets.services.windows import Comparison, TimeWindow, describe

MAX_METRICS = 3  # spec.MAX_METRICS: the spec module imports this one, so it cannot be imported here
_GRAIN_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_widget_spec`` payload for the prompt's intent."""
    context, prompt = query.context, query.prompt
    intent = prompt["intent"]
    metrics = {m["key"]: m for m in context.get("metrics", [])}
    labels = {d["key"]: d["label"] for d in context.get("dimensions", [])}
    chosen = [metrics[k] for k in [intent.get("metric_key"), *intent.get("extra_metric_keys", [])] if k in metrics]
    kind = intent.get("widget_type") or "kpi"
    dims = list(intent.get("dimensions") or [])
    window = intent.get("time_window") or {"kind": "all"}
    grain, chart, ranking = intent.get("grain"), intent.get("chart_type"), intent.get("ranking")
    assumptions: list[str] = []
    if kind == "custom":
        chosen = chosen[:1]  # its component gets one value per row: another metric is reported not applied
    sort = intent.get("sort")
    by = metrics.get(sort["by"]) if sort else None
    if kind == "table" and by and by not in chosen and len(chosen) < MAX_METRICS:
        chosen.append(by)  # a table sorted by a metric shows it
    if kind == "kpi" and (dims or ranking or len(chosen) > 1):
        kind = "table" if len(chosen) > 1 and not chart else "chart"
    if kind == "chart" and not dims and not grain:
        grain = grain_for(window)
        assumptions.append(f"Drawn per {grain}, the grain that fits the window.")
    finest = max([m.get("finest_grain") or "day" for m in chosen] or ["day"], key=GRAIN_ORDER.index)
    if grain and GRAIN_ORDER.index(grain) < GRAIN_ORDER.index(finest):
        assumptions.append(f"{chosen[0]['name']} is kept per {finest}: drawn per {finest}, not per {grain}.")
        grain = finest
    if kind == "chart" and chart is None:
        chart = chart_for(dims, grain, ranking, len(chosen))
    if kind != "chart":
        chart = None
    spec = {
        "kind": kind,
        "title": title_for(chosen, dims, labels, window, intent, grain),
        "metric": _ref(chosen[0]) if chosen else {"key": "", "name": "", "unit": "count"},
        "extra_metrics": [_ref(m) for m in chosen[1:]],
        "dimensions": dims,
        "filters": intent.get("filters") or [],
        "time_window": window,
        "compare": intent.get("compare"),
        "grain": grain if kind != "kpi" else None,
        "chart_type": chart,
        "ranking": ranking,
        "assumptions": assumptions,
        "visual": _visual(prompt.get("request", ""), chosen, dims, labels, grain) if kind == "custom" else None,
    }
    spec["sort"] = _fitting_sort({**spec, "sort": sort})
    return spec


def _fitting_sort(spec: dict[str, Any]) -> dict[str, Any] | None:
    """Return the intent's sort when it can order the spec's rows, else None: a sort that cannot (a time
    series is in time order) is then reported as not applied, by comparing the intent with the spec."""
    return None if sort_problem(spec) else sort_settled(spec)


def _ref(metric: dict[str, Any]) -> dict[str, Any]:
    return {"key": metric["key"], "name": metric["name"], "unit": metric["unit"]}


def chart_for(dims: list[str], grain: str | None, ranking: dict[str, Any] | None, metrics: int) -> str:
    """Return the chart kind that fits the rows when the analyst named none."""
    if metrics == 2 and dims and not grain:
        return "bar"
    if grain:
        return "line"
    if ranking:
        return "horizontal_bar"
    return "stacked_bar" if len(dims) == 2 else "bar"


def _visual(request: str, metrics: list[dict[str, Any]], dims: list[str], labels: dict[str, str],
            grain: str | None) -> str:
    """Return what a custom widget should look like: a shape that fits the data, then the analyst's words."""
    name = metrics[0]["name"] if metrics else "the metric"
    if dims and (grain or len(dims) > 1) and re.search(r"\bheat ?map\b", request.lower()):
        across = labels.get(dims[1], dims[1]) if len(dims) > 1 else grain
        shape = f"A heatmap of {labels.get(dims[0], dims[0])} by {across}, each cell shaded by {name}"
    elif dims:
        ranked = " and ".join(labels.get(d, d) for d in dims)
        shape = f"A leaderboard of {ranked} ranked by {name}, with horizontal bars"
    elif grain:
        shape = f"The latest {name} over a small column chart per {grain}"
    else:
        shape = f"One big number for {name} with a caption"
    return f"{shape}. Asked for: {request.strip()}"[:500]


def grain_for(window: dict[str, Any]) -> str:
    """Return a grain that gives a readable number of points over the window."""
    if window.get("kind") == "rolling":
        days = window["n"] * _GRAIN_DAYS[window["unit"]]
    elif window.get("kind") in ("current", "to_date", "previous"):
        days = _GRAIN_DAYS[window["unit"]]
    elif window.get("kind") == "period":
        days = _GRAIN_DAYS.get(window.get("unit") or "month", 30)
    else:
        return "month"
    return "day" if days <= 45 else "week" if days <= 120 else "month"


def title_for(metrics: list[dict[str, Any]], dims: list[str], labels: dict[str, str], window: dict[str, Any],
           intent: dict[str, Any], grain: str | None) -> str:
    title = " & ".join(m["name"] for m in metrics) or "Widget"
    ranking = intent.get("ranking")
    if ranking and dims:
        words = ranked(ranking, labels.get(dims[0], dims[0]))
        title = f"{words[:1].upper()}{words[1:]} by {title}"
    elif dims:
        title += " by " + " and ".join(labels.get(d, d) for d in dims)
    if grain:
        title += f" per {grain}"
    named = {**{f["dimension"]: f["dimension"].split(".")[-1].replace("_", " ") for f in intent.get("filters") or []},
             **labels}
    # The filters as the card's reading says them: "Total paid · Term Life, Northwest · yesterday".
    title += "".join(f" · {filter_words(f, named)}" for f in intent.get("filters") or [])
    try:
        compare = Comparison.model_validate(intent["compare"]) if intent.get("compare") else None
        title += " · " + describe(TimeWindow.model_validate(window), compare)
    except ValueError:
        pass
    return clipped(title, 120)
