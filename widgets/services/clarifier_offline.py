"""Offline intent extraction: the analyst's words (and answers) → a flat intent."""
from __future__ import annotations

import re
from typing import Any

from backend.llm.api import OfflineQuery
from widgets.services.offline_text import blank_out, find_phrases, normalize

_UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
          "year": "year", "years": "year", "quarter": "quarter", "quarters": "quarter"}
_WINDOW_N = re.compile(r" (?:last|past|previous|trailing|over) (\d{1,4}) (days?|weeks?|months?|quarters?|years?) ")
_WINDOW_1 = re.compile(r" (?:last|past|previous|this|current) (day|week|month|quarter|year) ")
_ALL_TIME = re.compile(r" (all time|ever|since records began|entire history|overall) ")
_GRAIN = {
    "day": re.compile(r" (daily|by day|per day|each day|day by day) "),
    "week": re.compile(r" (weekly|by week|per week|each week|week by week) "),
    "month": re.compile(r" (monthly|by month|per month|each month|month by month) "),
}
_TABLE = re.compile(r" (table|list|listing|rows|breakdown table) ")
_CHART = re.compile(r" (chart|graph|plot|trend|trends|over time|line|bars?|histogram|time series) ")
# Words asking for a visual no built-in kind draws: a custom (generated TSX) widget.
_CUSTOM = re.compile(r" (custom|bespoke|gauge|heatmap|funnel|leaderboard|league table|scorecard|sparkline|"
                     r"progress bar|ranked bars|card with|tile with) ")
_DIMENSION_LEAD = ("by", "per", "across", "each", "every", "split by", "grouped by", "broken down by")

TIME_WINDOW_OPTIONS = ["Last 7 days", "Last 30 days", "Last 90 days", "Last 12 months", "All time"]


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_intent`` payload for the request and answers in the prompt."""
    context, prompt = query.context, query.prompt
    words = " ".join([prompt.get("request", "")] + [a.get("answer", "") for a in prompt.get("answers", [])])
    text = normalize(words)
    metrics = context.get("metrics", [])
    metric, text = _metric(text, metrics)
    allowed = set(metric["dimensions"]) if metric else {d["key"] for d in context.get("dimensions", [])}
    dimensions = [d for d in context.get("dimensions", []) if d["key"] in allowed]
    window, text = _window(text)
    grain = next((g for g, rx in _GRAIN.items() if rx.search(text)), None)
    dims, text = _dimensions(text, dimensions)
    filters = _filters(text, dimensions)
    widget_type = _widget_type(text, has_dims=bool(dims), grain=grain)
    return {
        "widget_type": widget_type,
        "metric_key": metric["key"] if metric else None,
        "dimensions": dims,
        "filters": filters,
        "time_window": window,
        "grain": grain,
        "chart_type": "line" if " line " in text else "bar" if re.search(r" bars? ", text) else None,
        "questions": _questions(metric=metric, window=window, metrics=metrics),
    }


def _metric(text: str, metrics: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
    candidates = {m["key"]: [m["name"], m["key"], *m.get("synonyms", [])] for m in metrics}
    matches = find_phrases(text, candidates)
    if not matches:
        return None, text
    best = matches[0]
    return next(m for m in metrics if m["key"] == best.key), blank_out(text, [best])


def _window(text: str) -> tuple[dict[str, Any] | None, str]:
    found = _WINDOW_N.search(text)
    if found:
        n, unit = int(found.group(1)), _UNITS[found.group(2)]
    else:
        found = _WINDOW_1.search(text)
        if found:
            n, unit = 1, _UNITS[found.group(1)]
        else:
            found = _ALL_TIME.search(text)
            if not found:
                return None, text
            return {"kind": "all"}, _cut(text, found)
    if unit == "quarter":
        n, unit = n * 3, "month"
    if n < 1:
        return None, text
    return {"kind": "last", "n": n, "unit": unit}, _cut(text, found)


def _cut(text: str, found: re.Match[str]) -> str:
    return text[: found.start()] + " " * (found.end() - found.start()) + text[found.end() :]


def _dimensions(text: str, dimensions: list[dict[str, Any]]) -> tuple[list[str], str]:
    """Return up to two dimension keys named after "by", "per", ... (and "by X and Y")."""
    names = {d["key"]: [d["label"], *d.get("synonyms", [])] for d in dimensions}
    leads = {key: [f"{lead} {p}" for p in phrases for lead in _DIMENSION_LEAD] for key, phrases in names.items()}
    matches = sorted(find_phrases(text, leads), key=lambda m: m.start)
    if matches:
        follow = {key: [f"and {p}" for p in phrases] for key, phrases in names.items()}
        after = [m for m in find_phrases(text, follow) if m.start == matches[0].end + 1]
        matches = sorted(matches + after[:1], key=lambda m: m.start)
    keys: list[str] = []
    for match in matches:
        if match.key not in keys and len(keys) < 2:
            keys.append(match.key)
    return keys, blank_out(text, matches)


def _filters(text: str, dimensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    filters = []
    for dim in dimensions:
        values = [v for v in dim.get("values", []) if re.search(rf" {re.escape(normalize(str(v)).strip())} ", text)]
        if values:
            filters.append({"dimension": dim["key"], "values": values})
    return filters


def _widget_type(text: str, *, has_dims: bool, grain: str | None) -> str:
    if _CUSTOM.search(text):
        return "custom"
    if _TABLE.search(text):
        return "table"
    if _CHART.search(text) or grain or has_dims:
        return "chart"
    return "kpi"


def _questions(*, metric: dict[str, Any] | None, window: dict[str, Any] | None,
               metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    questions = []
    if metric is None:
        questions.append({
            "id": "metric",
            "text": "Which measure should the widget show?",
            "options": [m["name"] for m in metrics][:8],
        })
    if window is None:
        questions.append({"id": "time_window", "text": "Over what period?", "options": TIME_WINDOW_OPTIONS})
    return questions
