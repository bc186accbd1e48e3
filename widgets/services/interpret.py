"""How a widget read its request, in words and as data, computed with each result.

The ``interpretation`` object is what scripts, the API and our own checks read instead of the spec's
internal shape: the text an analyst sees ("Total paid · Auto · 1 Jul – 30 Sep 2026 vs 1 Apr – 30 Jun
2026 · top 5 causes"), the window and comparison as the dates actually bound (start inclusive, end
exclusive, null for all time), the metrics, dimensions, filters with their exact stored values, the
ranking (with ``others`` when it has an "all others" row), the sort (null for the default order),
the chart kind, and what was assumed or not applied. The relative reading ("last quarter vs the quarter
before") comes from the spec, the dates from the result, so a refreshed widget never shows stale dates.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from widgets.services.spec_sort import sort_settled, sort_words
from widgets.services.windows import Bounds, Comparison, TimeWindow, describe, describe_dates

_OPS = {"in": "", "not_in": "not ", ">": "> ", ">=": "≥ ", "<": "< ", "<=": "≤ "}


NO_OTHERS_ROW = "No 'all others' row: "  # how the reason the row is left out begins


def interpretation(*, spec: dict[str, Any], result: dict[str, Any] | None) -> dict[str, Any]:
    """Return the interpretation of ``spec`` as run to give ``result`` (None: a widget without data yet)."""
    spec = _as_run(spec, result)
    window = (result or {}).get("window")
    compare = ((result or {}).get("compare") or {}).get("window")
    metrics = [spec["metric"], *spec.get("extra_metrics", [])]
    filters = [{"dimension": f["dimension"], "op": f.get("op", "in"), "values": list(f["values"])}
               for f in spec.get("filters", [])]
    ranking = spec.get("ranking")
    return {
        "text": _text(spec, metrics, filters, window, compare),
        "reading": _reading(spec) + _grown(result),
        "window": window,
        "compare": compare,
        "metrics": [m["key"] for m in metrics],
        "dimensions": list(spec.get("dimensions", [])),
        "filters": filters,
        "grain": spec.get("grain"),
        "ranking": _ranking(ranking),
        "sort": sort_settled(spec),
        "chart": spec.get("chart_type") if spec.get("kind") == "chart" else None,
        "kind": spec.get("kind"),
        # Only a series by period has a last bucket (a result stored before that rule may say otherwise).
        "partial_last": bool(spec.get("grain")) and bool((result or {}).get("partial_last")),
        "assumptions": list(spec.get("assumptions", [])),
        "not_applied": list(spec.get("not_applied", [])),
    }


def _as_run(spec: dict[str, Any], result: dict[str, Any] | None) -> dict[str, Any]:
    """Return the spec as its result was run: a ranking whose "all others" row was left out at the run (a metric
    that no longer adds up in the dictionary) reads without it, and says why among the assumptions."""
    ranking, why = spec.get("ranking") or {}, str((result or {}).get("others_error") or "")
    if not ranking.get("others") or not why.startswith(NO_OTHERS_ROW):
        return spec
    return {**spec, "ranking": {**ranking, "others": False}, "assumptions": [*spec.get("assumptions", []), why]}


def _ranking(ranking: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the ranking as ``{"direction", "n"}``, with ``"others": true`` when it has an "all others" row."""
    if not ranking:
        return None
    return {"direction": ranking["direction"], "n": ranking["n"], **({"others": True} if ranking.get("others") else {})}


def _reading(spec: dict[str, Any]) -> str:
    window = TimeWindow.model_validate(spec.get("time_window") or {"kind": "all"})
    compare = Comparison.model_validate(spec["compare"]) if spec.get("compare") else None
    return describe(window, compare)


def _named(metric: dict[str, Any]) -> str:
    """Return a metric's name with the date it is counted by: "Total paid (by closed date)", so that
    "claims settled in October" shows whether filing or closing put a claim in October."""
    dated_by = metric.get("dated_by")
    return f"{metric['name']} (by {dated_by.replace('_', ' ')})" if dated_by else metric["name"]


def _grown(result: dict[str, Any] | None) -> str:
    """Return how the grain moved the window's start: "the last 30 days" by quarter starts on the first of its
    quarter, "the last 12 months" by month on the first of the eleventh month before this one."""
    grain = (result or {}).get("aligned_to")
    return f", in whole {grain}s" if grain else ""


def _text(spec: dict[str, Any], metrics: list[dict[str, Any]], filters: list[dict[str, Any]],
          window: dict[str, Any] | None, compare: dict[str, Any] | None) -> str:
    labels = spec.get("labels", {})
    parts = [" & ".join(_named(m) for m in metrics)]
    parts += [filter_words(flt, labels) for flt in filters]
    dates = describe_dates(_bounds(window)) if window else _reading(spec)
    if compare:
        dates += f" vs {describe_dates(_bounds(compare))}"
    parts.append(dates)
    ranking, dims = spec.get("ranking"), [labels.get(d, d) for d in spec.get("dimensions", [])]
    if ranking and dims:
        parts.append(ranked(ranking, dims[0]) + "".join(f" by {d}" for d in dims[1:])
                     + (" and all others" if ranking.get("others") else ""))
    elif dims:
        parts.append("by " + " and ".join(dims))
    if spec.get("grain"):
        parts.append(f"per {spec['grain']}")
    order = sort_words(spec)
    if order:
        parts.append(f"sorted by {order}")
    return " · ".join(parts)


def _bounds(window: dict[str, Any]) -> Bounds:
    def day(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    return Bounds(day(window.get("start")), day(window.get("end")))


def _value(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return str(value).replace("_", " ")


def filter_words(flt: dict[str, Any], labels: dict[str, str]) -> str:
    """Return a filter in words: its values alone for ``in`` ("Auto, Pet": a value says what it filters),
    else the dimension, the operator and the values ("not Denied" reads as "status not Denied")."""
    values = ", ".join(_value(v) for v in flt["values"])
    op = flt.get("op", "in")
    if op == "in":
        return values
    return f"{labels.get(flt['dimension'], flt['dimension'])} {_OPS.get(op, '')}{values}"


def ranked(ranking: dict[str, Any], label: str) -> str:
    """Return a ranking in words: "top 5 causes", and "top cause" for one (not "top 1 causes")."""
    if int(ranking["n"]) == 1:
        return f"{ranking['direction']} {label}"
    return f"{ranking['direction']} {ranking['n']} {plural(label)}"


def plural(label: str) -> str:
    """Return the plural of a dimension's label ("adjuster" → "adjusters", "category" → "categories")."""
    if label.endswith(("s", "x")):
        return label + "es"
    if label.endswith("y") and label[-2:-1] not in "aeiou":
        return label[:-1] + "ies"
    return label + "s"
