"""What differs between two specs of one widget: in words (a version's ``change``), and whether the rows differ.

A version says what changed in the analyst's terms ("Chart: line → bar; Grain: month → week"); the
pipeline and the direct edits use ``same_rows`` to know whether the SQL must be written again.
"""
from __future__ import annotations

from typing import Any

from widgets.services.interpret import filter_words
from widgets.services.spec_sort import sort_settled, sort_words
from widgets.services.windows import Comparison, TimeWindow, describe

# The spec's fields the SQL and its rows depend on. Kind, chart type, title, visual and the notes
# are drawing only: the same statement serves them.
ROW_FIELDS = ("metric", "extra_metrics", "dimensions", "filters", "time_window", "compare", "grain", "ranking",
              "sort")


def display_kind(spec: dict[str, Any]) -> str:
    """Return the kind as the controls name it: the chart type for a chart ("line"), else the kind."""
    if spec.get("kind") == "chart" and spec.get("chart_type"):
        return str(spec["chart_type"])
    return str(spec.get("kind") or "")


def row_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """Return the fields the rows depend on; a KPI's grain feeds only its sparkline, not its row."""
    fields = {name: spec.get(name) or None for name in ROW_FIELDS}
    if spec.get("kind") == "kpi":
        fields["grain"] = None
    fields["sort"] = sort_settled(spec)  # a sort stored as one word, or saying the default order, is none
    if isinstance(fields["ranking"], dict) and not fields["ranking"].get("others"):  # "others": false is no row
        fields["ranking"] = {k: v for k, v in fields["ranking"].items() if k != "others"}
    return fields


def same_rows(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Return True when ``new`` is answered by the same statement as ``old``."""
    return row_fields(old) == row_fields(new)


def change_words(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Return what changed from ``old`` to ``new``, in words, semicolon-separated; "No change." when nothing did."""
    labels = {**(old.get("labels") or {}), **(new.get("labels") or {})}
    parts: list[str] = []
    if display_kind(old) != display_kind(new):
        parts.append(f"Kind: {_kind(old)} → {_kind(new)}")
    old_metrics, new_metrics = _metric_names(old), _metric_names(new)
    if old_metrics != new_metrics:
        parts.append(f"Metrics: {', '.join(old_metrics) or 'none'} → {', '.join(new_metrics) or 'none'}")
    if list(old.get("dimensions") or []) != list(new.get("dimensions") or []):
        parts.append(f"Split by: {_dims(old, labels)} → {_dims(new, labels)}")
    parts.extend(_filter_changes(old, new, labels))
    if (old.get("time_window"), old.get("compare")) != (new.get("time_window"), new.get("compare")):
        parts.append(f"Window: {_window(old)} → {_window(new)}")
    if row_fields(old)["grain"] != row_fields(new)["grain"]:
        parts.append(f"Grain: {old.get('grain') or 'none'} → {new.get('grain') or 'none'}")
    if old.get("ranking") != new.get("ranking"):
        parts.append(f"Ranking: {_ranking(old)} → {_ranking(new)}")
    if row_fields(old)["sort"] != row_fields(new)["sort"]:
        parts.append(f"Sort: {sort_words(old, labels) or 'default'} → {sort_words(new, labels) or 'default'}")
    if old.get("visual") != new.get("visual") and new.get("kind") == "custom":
        parts.append("Visual: redrawn")
    if old.get("title") != new.get("title"):
        parts.append(f"Title: “{old.get('title')}” → “{new.get('title')}”")
    return ("; ".join(parts) or "No change.")[:500]


def _kind(spec: dict[str, Any]) -> str:
    return display_kind(spec).replace("_", " ") or "none"


def _metric_names(spec: dict[str, Any]) -> list[str]:
    metrics = [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]
    return [str(m.get("name") or m.get("key")) for m in metrics if isinstance(m, dict) and m.get("key")]


def _dims(spec: dict[str, Any], labels: dict[str, str]) -> str:
    return " and ".join(labels.get(d, d) for d in spec.get("dimensions") or []) or "nothing"


def _filter_changes(old: dict[str, Any], new: dict[str, Any], labels: dict[str, str]) -> list[str]:
    before, after = old.get("filters") or [], new.get("filters") or []
    named = {**{f["dimension"]: f["dimension"].split(".")[-1].replace("_", " ") for f in [*before, *after]},
             **labels}
    added = [f for f in after if f not in before]
    removed = [f for f in before if f not in after]
    out = [f"Filter added: {filter_words(f, named)}" for f in added]
    out += [f"Filter removed: {filter_words(f, named)}" for f in removed]
    return out


def _window(spec: dict[str, Any]) -> str:
    try:
        compare = Comparison.model_validate(spec["compare"]) if spec.get("compare") else None
        return describe(TimeWindow.model_validate(spec["time_window"]), compare)
    except (KeyError, TypeError, ValueError):
        return "unreadable"


def _ranking(spec: dict[str, Any]) -> str:
    ranking = spec.get("ranking")
    if not isinstance(ranking, dict):
        return "none"
    return f"{ranking['direction']} {ranking['n']}" + (" and all others" if ranking.get("others") else "")
