"""Where a widget's final spec departs from the intent it was written from.

The clarifier reads the request into an intent; the spec step writes the spec from it. A real model at the
spec step can drop a filter, swap a metric or bend "last month" into "the last 30 days", and the words of
the request still look used (``applied.not_applied`` checks words against the spec, and a time word is
explained by any window). So the two are compared field by field, by our code:

- what the intent asked and the spec does not keep is reported with what was not applied ("Auto", "last
  month (shown: last 30 days)");
- what the spec adds that changes the figures (a breakdown, a filter, a metric nobody asked for) is listed
  as an assumption.

A breakdown by a dimension filtered to a single value is no departure: it has one row, and the spec may
drop it (the assumption that says so is the spec's).
"""
from __future__ import annotations

from typing import Any

from widgets.services.interpret import filter_words
from widgets.services.spec_sort import default_order, order_words, sort_read
from widgets.services.windows import Comparison, TimeWindow, describe


def departures(*, intent: dict[str, Any], spec: dict[str, Any], catalog: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return what the spec dropped from the intent (for ``not_applied``) and what it added (assumptions)."""
    labels = {d["key"]: d["label"] for d in catalog.get("dimensions", [])}
    labels |= {n["key"]: n["label"] for n in catalog.get("numbers", [])} | spec.get("labels", {})
    names = {m["key"]: m["name"] for m in catalog.get("metrics", [])}
    dropped, added = _metrics(intent, spec, names)
    for part in (_dimensions(intent, spec, labels), _filters(intent, spec, labels)):
        dropped += part[0]
        added += part[1]
    dropped += _shape(intent, spec) + _sort(intent, spec, names, labels)
    return dropped, added


def _metrics(intent: dict[str, Any], spec: dict[str, Any], names: dict[str, str]) -> tuple[list[str], list[str]]:
    asked = [k for k in [intent.get("metric_key"), *intent.get("extra_metric_keys", [])] if k]
    shown = [spec["metric"]["key"], *(m["key"] for m in spec.get("extra_metrics", []))]
    dropped = [names.get(k, k) for k in asked if k not in shown]
    sorted_by = (intent.get("sort") or {}).get("by")  # a table sorted by a metric shows it: it was named
    added = [f"Also shows {names.get(k, k)}, which the request did not name." for k in shown
             if asked and k not in asked and k != sorted_by]
    return dropped, added


def _dimensions(intent: dict[str, Any], spec: dict[str, Any], labels: dict[str, str]) -> tuple[list[str], list[str]]:
    asked, shown = list(intent.get("dimensions", [])), list(spec.get("dimensions", []))
    single = {f["dimension"] for f in spec.get("filters", []) if f.get("op", "in") == "in" and len(f["values"]) == 1}
    dropped = [f"by {labels.get(k, k)}" for k in asked if k not in shown and k not in single]
    added = [f"Broken down by {labels.get(k, k)}, which the request did not ask for." for k in shown if k not in asked]
    return dropped, added


def _filters(intent: dict[str, Any], spec: dict[str, Any], labels: dict[str, str]) -> tuple[list[str], list[str]]:
    asked = {_filter_key(f): f for f in intent.get("filters", [])}
    shown = {_filter_key(f): f for f in spec.get("filters", [])}
    dropped = [filter_words(f, labels) for key, f in asked.items() if key not in shown]
    added = [f"Filtered to {filter_words(f, labels)}, which the request did not ask for." for key, f in shown.items()
             if key not in asked]
    return dropped, added


def _filter_key(flt: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    op = flt.get("op", "in")
    values = flt["values"] if op in ("in", "not_in") else [float(v) for v in flt["values"]]
    return flt["dimension"], op, tuple(sorted(str(v) for v in values))


def _shape(intent: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Return the window, comparison, grain, ranking and chart kind the intent set and the spec changed."""
    dropped = []
    asked_window, shown_window = _window(intent.get("time_window")), _window(spec.get("time_window"))
    if asked_window is not None and asked_window != shown_window:
        dropped.append(f"{describe(asked_window)} (shown: {describe(shown_window or TimeWindow(kind='all'))})")
    asked_compare, shown_compare = intent.get("compare"), spec.get("compare")
    if asked_compare and (not shown_compare or shown_compare["kind"] != asked_compare["kind"]):
        dropped.append(_compare_words(Comparison.model_validate(asked_compare)))
    if intent.get("grain") and intent["grain"] != spec.get("grain"):
        dropped.append(f"per {intent['grain']}")
    ranking, shown = _ranking(intent.get("ranking")), _ranking(spec.get("ranking"))
    if ranking and (ranking["direction"], ranking["n"]) != ((shown or {}).get("direction"), (shown or {}).get("n")):
        dropped.append(f"{ranking['direction']} {ranking['n']}")
    elif ranking and ranking["others"] and not shown["others"]:  # type: ignore[index]
        dropped.append("all others")
    chart = intent.get("chart_type")
    if chart and chart != spec.get("chart_type"):
        dropped.append(f"a {chart.replace('_', ' ')} chart")
    return dropped


def _sort(intent: dict[str, Any], spec: dict[str, Any], names: dict[str, str], labels: dict[str, str]) -> list[str]:
    """Return the order the intent asked for, when the spec's rows come in another ("sorted by Total paid,
    lowest first"). A sort that says the rows' own order is kept by leaving it out."""
    asked = intent.get("sort")
    if not asked or asked == (sort_read(spec) or default_order(spec)):
        return []
    return [f"sorted by {order_words(asked, metric_names=names, labels=labels)}"]


def _window(window: dict[str, Any] | None) -> TimeWindow | None:
    return TimeWindow.model_validate(window) if window else None


def _ranking(ranking: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"direction": ranking["direction"], "n": ranking["n"], "others": bool(ranking.get("others"))} \
        if ranking else None


def _compare_words(compare: Comparison) -> str:
    return "compared with the same period last year" if compare.kind == "previous_year" else \
        "compared with the period before"
