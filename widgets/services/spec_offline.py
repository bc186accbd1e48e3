"""Offline spec synthesis: an intent plus the catalog → a complete widget spec."""
from __future__ import annotations

from typing import Any

from backend.llm.api import OfflineQuery

_WINDOW_WORDS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_widget_spec`` payload for the prompt's intent."""
    context, prompt = query.context, query.prompt
    intent = prompt["intent"]
    metric = next((m for m in context.get("metrics", []) if m["key"] == intent.get("metric_key")), None)
    labels = {d["key"]: d["label"] for d in context.get("dimensions", [])}
    kind = intent.get("widget_type") or "kpi"
    dims = list(intent.get("dimensions") or [])
    window = intent.get("time_window") or {"kind": "all"}
    grain = intent.get("grain")
    if kind == "kpi":
        dims, grain = [], None
    if kind == "chart" and not dims and not grain:
        grain = _grain_for(window)
    chart_type = None
    if kind == "chart":
        chart_type = intent.get("chart_type") or ("line" if grain else "bar")
    return {
        "kind": kind,
        "title": _title(metric, dims, labels, window, grain, intent.get("filters") or []),
        "metric": {
            "key": metric["key"] if metric else "",
            "name": metric["name"] if metric else "",
            "unit": metric["unit"] if metric else "count",
        },
        "dimensions": dims,
        "filters": intent.get("filters") or [],
        "time_window": window,
        "grain": grain,
        "chart_type": chart_type,
        "sort": "period" if grain else ("value_desc" if dims else None),
        "limit": 50 if dims else None,
        "visual": _visual(prompt.get("request", ""), metric, dims, labels, grain) if kind == "custom" else None,
    }


def _visual(request: str, metric: dict[str, Any] | None, dims: list[str], labels: dict[str, str],
            grain: str | None) -> str:
    """Return what a custom widget should look like: a shape that fits the data, then the analyst's words."""
    name = metric["name"] if metric else "the metric"
    if dims:
        ranked = " and ".join(labels.get(d, d) for d in dims)
        shape = f"A leaderboard of {ranked} ranked by {name}, with horizontal bars"
    elif grain:
        shape = f"The latest {name} over a small column chart per {grain}"
    else:
        shape = f"One big number for {name} with a caption"
    return f"{shape}. Asked for: {request.strip()}"[:500]


def _grain_for(window: dict[str, Any]) -> str:
    if window.get("kind") != "last":
        return "month"
    days = window["n"] * {"day": 1, "week": 7, "month": 30, "year": 365}[window["unit"]]
    return "day" if days <= 45 else "week" if days <= 180 else "month"


def _title(metric: dict[str, Any] | None, dims: list[str], labels: dict[str, str], window: dict[str, Any],
           grain: str | None, filters: list[dict[str, Any]]) -> str:
    title = metric["name"] if metric else "Widget"
    if dims:
        title += " by " + " and ".join(labels.get(d, d) for d in dims)
    if grain:
        title += f" per {grain}"
    for f in filters:
        title += f" ({labels.get(f['dimension'], f['dimension'])}: {', '.join(map(str, f['values']))})"
    if window.get("kind") == "last":
        n, unit = window["n"], window["unit"]
        title += f" · last {unit}" if n == 1 else f" · last {n} {_WINDOW_WORDS[unit]}"
    else:
        title += " · all time"
    return title[:120]
