"""The one check of a stored result's shape before anything reads it (the API, the interpretation, the
browser): a widget's ``result`` is JSON written by earlier code, edited by hand or damaged, and one bad
widget must never fail the dashboard it sits on.

``result_readable`` returns the result as the readers expect it (``columns`` a list of names, ``rows`` a
list of lists as long as ``columns``) or None with the reason it cannot be read. A companion part (the
sparkline, the totals, the comparison, the deltas, the "all others" row) that is damaged is dropped, and its ``*_error`` says so,
without making the widget's own rows unreadable.

Cells JSON cannot carry as they are are made so: NaN and infinities (which strict JSON refuses) become
null, and integers beyond 2**53 become their exact digits as text (a browser's number would round them).
"""
from __future__ import annotations

import math
from typing import Any

UNREADABLE = "This widget's data could not be read"
_TABLES = ("sparkline", "totals", "compare", "others")
_ERRORS = {"sparkline": "sparkline", "totals": "totals", "others": "'all others' row"}


def result_readable(result: Any) -> tuple[dict[str, Any] | None, str]:
    """Return ``(result, "")`` with damaged companion parts dropped, the result itself for a widget without
    data (None or {}) with an empty reason, or ``(None, reason)`` when its own columns or rows cannot be read. Never raises."""
    if result is None or result == {}:  # no data yet, or a widget built without data (its badge says why)
        return result, ""
    problem = _table_problem(result)
    if problem:
        return None, f"{UNREADABLE}: {problem}."
    out = {**result, "rows": _exact_rows(result["rows"])}
    for name in _TABLES:
        part = out.get(name)
        if part is None:
            continue
        part_problem = _table_problem(part)
        if part_problem:
            out.pop(name)
            if name in _ERRORS:
                out[f"{name}_error"] = f"The stored {_ERRORS[name]} could not be read: {part_problem}."
            if name == "compare":
                out.pop("deltas", None)
        else:
            out[name] = {**part, "rows": _exact_rows(part["rows"])}
    if isinstance(out.get("others"), dict):
        out["others"] = _others_readable(out["others"])
    deltas = out.get("deltas")
    if deltas is not None and not (isinstance(deltas, list) and all(isinstance(d, dict) for d in deltas)):
        out.pop("deltas")
    window = out.get("window")
    if window is not None and not (isinstance(window, dict)
                                   and all(isinstance(v, (str, type(None))) for v in window.values())):
        out.pop("window")
    if out.get("today") is not None and not isinstance(out["today"], str):
        out.pop("today")
    return out, ""


def _others_readable(others: dict[str, Any]) -> dict[str, Any]:
    """Return the "all others" row with a damaged earlier part dropped (said in ``compare_error``) and a count of
    groups that is no count read as unknown."""
    out = {**others}
    if not isinstance(out.get("groups"), int) or isinstance(out.get("groups"), bool):
        out["groups"] = None
    earlier = out.get("compare")
    if earlier is not None:
        problem = _table_problem(earlier)
        if problem:
            out.pop("compare")
            out.pop("delta", None)
            out["compare_error"] = f"The stored earlier value could not be read: {problem}."
        else:
            out["compare"] = {**earlier, "rows": _exact_rows(earlier["rows"])}
    if out.get("delta") is not None and not isinstance(out["delta"], dict):
        out.pop("delta")
    return out


_SAFE = 2**53


def _exact(cell: Any) -> Any:
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    if isinstance(cell, int) and not isinstance(cell, bool) and abs(cell) > _SAFE:
        return str(cell)
    return cell


def _exact_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return [[_exact(cell) for cell in row] for row in rows]


def _table_problem(table: Any) -> str:
    """Return why ``table`` is not ``{"columns": [names], "rows": [[cells]]}``, or an empty string."""
    if not isinstance(table, dict):
        return f"the result is a {type(table).__name__}, not an object"
    columns, rows = table.get("columns"), table.get("rows")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        return "its columns are not a list of names"
    if not isinstance(rows, list):
        return "its rows are not a list"
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list):
            return f"row {number} is not a list of values"
        if len(row) != len(columns):
            return f"row {number} has {len(row)} values for {len(columns)} columns"
        if any(isinstance(cell, (list, dict)) for cell in row):
            return f"row {number} holds a nested value"
    return ""
