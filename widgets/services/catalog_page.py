"""The catalog page: the metrics and dimensions of the data source, as an analyst learns the vocabulary.

It reads the same catalog the clarifier and spec steps are given (``sql_gen.selectors.catalog``): names,
definitions, units, time columns, synonyms, finest grains, dimensions with their values and synonyms. It
never shows SQL (expressions, default filters, tables): that is the admin's side of the dictionary.
"""
from __future__ import annotations

from typing import Any

from sql_gen.models import DataSource, Grain, Unit, value_label
from sql_gen.selectors import catalog, value_labels


def catalog_page(*, source: DataSource) -> dict[str, Any]:
    """Return ``metrics`` and ``dimensions`` of ``source`` shaped for the page.

    A metric has ``key``, ``name``, ``definition``, ``unit_label``, ``time_column``, ``synonyms``,
    ``finest_grain_label`` and ``example`` (a prompt that builds a widget with it). A dimension has ``key``,
    ``label``, ``description``, ``synonyms``, ``values`` as ``{"value", "label", "synonyms"}``, and
    ``more_values`` (how many exist past those listed, or 0).
    """
    entries = catalog(source=source)
    labels = value_labels(source=source)
    units, grains = dict(Unit.choices), dict(Grain.choices)
    metrics = [{
        "key": m["key"], "name": m["name"], "definition": m["definition"], "unit_label": units.get(m["unit"], m["unit"]),
        "time_column": (m["time_column"] or "").replace("_", " "), "synonyms": m["synonyms"],
        "finest_grain_label": grains.get(m["finest_grain"], m["finest_grain"]), "example": metric_example(m),
    } for m in entries["metrics"]]
    dimensions = [_dimension(d, labels.get(d["key"], {})) for d in entries["dimensions"]]
    return {"metrics": metrics, "dimensions": sorted(dimensions, key=lambda d: d["label"].lower())}


def metric_example(metric: dict[str, Any]) -> str:
    """Return a prompt for a trend of the metric at the finest grain it allows, month or coarser."""
    grain = metric.get("finest_grain") if metric.get("finest_grain") in ("quarter", "year") else "month"
    return f"{metric['name'].lower()} by {grain} over the last 12 months" if grain == "month" else \
        f"{metric['name'].lower()} by {grain} over the last 3 years"


def _dimension(entry: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    by_value: dict[str, list[str]] = {}
    for word, value in (entry.get("value_synonyms") or {}).items():
        by_value.setdefault(value, []).append(word)
    values = [{"value": v, "label": labels.get(v) or value_label(v), "synonyms": by_value.get(v, [])}
              for v in entry["values"]]
    count = entry.get("value_count")
    more = count - len(values) if isinstance(count, int) and count > len(values) else 0
    return {"key": entry["key"], "label": entry["label"], "description": entry["description"],
            "synonyms": entry["synonyms"], "values": values, "more_values": more}
