"""The order of a widget's rows (``WidgetSpec.sort``), and the one set of rules every step reads it by.

Without a sort, a breakdown comes highest first by its primary metric, a time series in time order and a
ranking in its own order (top: highest first). A sort says another order: by one of the widget's
metrics, highest or lowest first, or by one of its dimensions, A to Z or Z to A. A sort that says the
order the rows have anyway is stored as none, so that two specs with the same rows compare equal and the
reading mentions only an order someone chose.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SORT_DESCRIPTION = (
    "sort is {by, direction}: by a metric key among the widget's metrics (its value; desc is highest first) or "
    "a dimension key among its dimensions (alphabetical; asc is A to Z). Leave it null for the default order: "
    "a breakdown by its primary metric, highest first; a time series (a grain) in time order; a ranking in "
    "its own order. A sort orders a breakdown only: not with a grain or a ranking, and not without a "
    "dimension."
)


class Sort(BaseModel):
    """The rows ordered by one of the widget's metrics or dimensions, one way or the other."""

    model_config = ConfigDict(extra="forbid")
    by: str = Field(min_length=1, max_length=60,
                    description="A metric key of the widget's metrics, or one of its dimension keys (A to Z).")
    direction: Literal["asc", "desc"] = Field(description="desc: highest (or Z) first; asc: lowest (or A) first.")


def _metric_keys(spec: Mapping[str, Any]) -> list[str]:
    refs = [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]
    return [str(ref["key"]) for ref in refs if isinstance(ref, Mapping) and ref.get("key")]


def default_order(spec: Mapping[str, Any]) -> dict[str, str] | None:
    """Return the order the spec's rows have without a sort, as a sort; None for a time series (time order)
    and for a single row."""
    primary = (_metric_keys(spec) or [""])[0]
    ranking = spec.get("ranking")
    if ranking:
        return {"by": primary, "direction": "desc" if ranking["direction"] == "top" else "asc"}
    if spec.get("grain") or not spec.get("dimensions"):
        return None
    return {"by": primary, "direction": "desc"}


def sort_read(spec: Mapping[str, Any]) -> dict[str, str] | None:
    """Return the spec's sort as ``{"by", "direction"}``, or None for the default order.

    A sort stored before a sort named what it orders by ("value_desc", "value_asc", "label", "period") is
    read as what the SQL did with it: it ordered a breakdown only, by the primary metric or by the labels.
    """
    sort = spec.get("sort")
    if sort is None or isinstance(sort, Mapping):
        return dict(sort) if sort else None
    dims = list(spec.get("dimensions") or [])
    if spec.get("ranking") or spec.get("grain") or not dims:
        return None
    if sort == "value_asc":
        return {"by": _metric_keys(spec)[0], "direction": "asc"}
    if sort == "label":
        return {"by": dims[0], "direction": "asc"}
    return None  # value_desc and period were the default order


def sort_settled(spec: Mapping[str, Any]) -> dict[str, str] | None:
    """Return the spec's sort, or None when it says the order the rows have anyway."""
    sort = sort_read(spec)
    return None if sort == default_order(spec) else sort


def sort_problem(spec: Mapping[str, Any]) -> str:
    """Return why the spec's (settled) sort cannot order its rows, or an empty string."""
    sort = sort_read(spec)
    if sort is None:
        return ""
    metrics, dims = _metric_keys(spec), list(spec.get("dimensions") or [])
    if not dims:
        return "a sort orders the rows of a breakdown: this widget has no dimension to sort"
    if spec.get("grain"):
        return "a time series is in time order: no sort with a grain"
    if spec.get("ranking"):
        return "a ranking already orders its rows (top: highest first; bottom: lowest first): no sort with it"
    if sort["by"] not in metrics + dims:
        return (f"sort.by {sort['by']!r} is not one of the widget's metrics ({', '.join(metrics)}) or dimensions "
                f"({', '.join(dims)}); to sort by another metric, show it too (extra_metrics)")
    return ""


def sort_words(spec: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """Return the spec's sort in words ("Total paid, lowest first"), or an empty string for the default order."""
    sort = sort_settled(spec)
    if sort is None:
        return ""
    refs = [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]
    names = {str(r["key"]): str(r.get("name") or r["key"]) for r in refs if isinstance(r, Mapping) and r.get("key")}
    return order_words(sort, metric_names=names, labels={**(spec.get("labels") or {}), **(labels or {})})


def order_words(sort: Mapping[str, str], *, metric_names: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """Return ``sort`` in words: by a metric "Total paid, highest first", by a dimension "product, Z to A"."""
    by, desc = sort["by"], sort["direction"] == "desc"
    if by in metric_names:
        return f"{metric_names[by]}, {'highest' if desc else 'lowest'} first"
    return f"{labels.get(by, by)}, {'Z to A' if desc else 'A to Z'}"
