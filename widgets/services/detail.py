"""Reading a widget in full: its detail panel (interpretation, spec, SQL, component, every LLM call and the
total cost) and its data as CSV, with the dictionary's labels instead of codes."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot.errors import SqlglotError

from backend.llm.api import widget_request_calls
from sql_gen.services.binding import canonical
from widgets.models import Widget
from widgets.selectors import widget_vocabulary
from widgets.services.interpret import interpretation
from widgets.services.result_shape import result_readable

_GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}


def widget_detail(*, widget: Widget) -> dict[str, Any]:
    """Return the detail panel's payload: ``{interpretation, spec, sql, sql_pretty, sql_explanation, tsx, calls,
    total_cost_usd}``; ``calls`` lists every LLM call of the widget's requests (its first and each refinement)."""
    result, _ = result_readable(widget.result)
    try:
        reading = interpretation(spec=widget.spec, result=result)
    except (KeyError, TypeError, ValueError, AttributeError):
        reading = None
    request_ids = list({widget.request_id, *widget.requests.values_list("id", flat=True)})
    calls = widget_request_calls(widget_request_ids=request_ids)
    total = sum((c.cost_usd for c in calls), Decimal("0"))
    return {
        "interpretation": reading,
        "spec": widget.spec,
        "sql": widget.sql,
        "sql_pretty": sql_pretty(widget.sql, dialect=widget.data_source.dialect if widget.data_source else None),
        "sql_explanation": widget.sql_explanation or None,
        "tsx": widget.tsx or None if widget.kind == "custom" else None,
        "calls": [{"step": c.step or c.purpose, "purpose": c.purpose, "tier": c.tier, "model": c.model,
                   "latency_ms": c.latency_ms, "input_tokens": c.input_tokens, "output_tokens": c.output_tokens,
                   "cost_usd": f"{c.cost_usd:.6f}", "outcome": c.outcome, "error_code": c.error_code or None,
                   "widget_request_id": c.widget_request_id, "at": c.at.isoformat()} for c in calls],
        "total_cost_usd": f"{total:.6f}",
    }


def sql_pretty(sql: str, *, dialect: str | None = None) -> str:
    """Return ``sql`` laid out by sqlglot's pretty printer, its placeholders in the stored ``:name`` form (as
    on the card, not DuckDB's ``$name``); the text as it is when it does not parse."""
    if not sql.strip():
        return ""
    try:
        trees = sqlglot.parse(sql, read=dialect or None)
        return ";\n".join(canonical(tree).sql(dialect=dialect or None, pretty=True) for tree in trees if tree)
    except (SqlglotError, RecursionError):
        return sql


def widget_csv(*, widget: Widget) -> tuple[str, bool]:
    """Return the widget's rows as CSV text and whether the result was cut at the row cap.

    The header row holds labels (a metric's name, a dimension's label, "Month" for the period), and each
    dimension's cells their value labels ("Auto", not "AUTO"). A cut result ends with one more row, its first
    cell starting with "#", saying so: the file itself tells whoever opens it that rows are missing. Text
    that a spreadsheet would run as a formula starts with an apostrophe (``_inert``).
    """
    result, _ = result_readable(widget.result)
    result = result or {}
    columns = [str(c) for c in result.get("columns") or []]
    rows = result.get("rows") or []
    headers, value_maps = _labels(widget, columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_inert(h) for h in headers])
    for row in rows:
        cells = list(row) if isinstance(row, list) else []
        writer.writerow([_inert(_cell(v, value_maps[i] if i < len(value_maps) else None))
                         for i, v in enumerate(cells)])
    truncated = bool(result.get("truncated")) and widget.kind != "kpi"
    if truncated:
        writer.writerow([f"# Truncated: the query had more rows than the row cap; these are the first {len(rows)}."])
    return out.getvalue(), truncated


# What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list), full-width forms too:
# a warehouse label such as '=HYPERLINK("http://…?"&B3)' would otherwise run when the file is opened.
_FORMULA_STARTS = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def _inert(value: Any) -> Any:
    """Return a text cell that a spreadsheet would read as a formula with a leading apostrophe, which it
    shows as text; numbers (a negative figure included) stay numbers."""
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_STARTS) and not _number(value):
        return "'" + value
    return value


def _number(text: str) -> bool:
    """True for a figure stored as text ("-1234.50"): no formula, and it must stay a number."""
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity")


def _cell(value: Any, labels: dict[str, str] | None) -> Any:
    if value is None:
        return ""
    if labels and isinstance(value, str) and value in labels:
        return labels[value]
    return value


def _labels(widget: Widget, columns: list[str]) -> tuple[list[str], list[dict[str, str] | None]]:
    """Return each column's header label and, for a dimension's column, its values' labels."""
    spec = widget.spec if isinstance(widget.spec, dict) else {}
    vocabulary = widget_vocabulary(widgets=[widget])
    source_id = vocabulary.source_id(widget)
    metrics = [m for m in [spec.get("metric"), *(spec.get("extra_metrics") or [])] if isinstance(m, dict)]
    metric_names = {str(m.get("key")): str(m.get("name") or m.get("key")) for m in metrics}
    dims = [d for d in spec.get("dimensions") or [] if isinstance(d, str)]
    labels = {**(spec.get("labels") or {}),
              **{k: v for (s, k), v in vocabulary.dimension_labels.items() if s == source_id}}
    keys = _dimension_keys(columns, dims, labels, skip={*metric_names, "period"})
    headers: list[str] = []
    maps: list[dict[str, str] | None] = []
    for column, key in zip(columns, keys, strict=True):
        if key is not None:
            headers.append(_first_upper(labels.get(key, key)))
            maps.append(vocabulary.value_labels.get((source_id, key)))
        elif column in metric_names:
            headers.append(metric_names[column])
            maps.append(None)
        elif column == "period":
            headers.append(_GRAIN_LABELS.get(str(spec.get("grain")), "Period"))
            maps.append(None)
        else:
            headers.append(column.replace("_", " ").capitalize())
            maps.append(None)
    return headers, maps


def _first_upper(label: str) -> str:
    return label[:1].upper() + label[1:]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _dimension_keys(columns: list[str], dims: list[str], labels: dict[str, str], skip: set[str]) -> list[str | None]:
    """Return, per column, the dimension key it holds (as ``static/widgets/columns.js`` matches them)."""
    out: list[str | None] = [None] * len(columns)
    free = list(dims)
    for i, column in enumerate(columns):
        if column in skip:
            continue
        for key in free:
            names = {key, key.split(".")[-1], key.replace(".", "_"), _slug(labels.get(key, ""))}
            if column in names:
                out[i] = key
                free.remove(key)
                break
    for i, column in enumerate(columns):
        if out[i] is None and column not in skip and free:
            out[i] = free.pop(0)
    return out
