"""A ranking's "all others" row: every group outside its top (or bottom) n, added up by a query.

The row is a companion of the widget (see ``companions``): a statement the deterministic generator writes
from the spec (``others_of``), stored, checked again at each run and run with the widget's data. It ranks the
groups as the widget's statement does and, in the same statement, adds up each metric over every other group
and counts them; a NULL group is a group like any other, shown or not. Nothing is summed or subtracted here.

The statement also returns the groups it took as shown, and the row is kept only when they are the groups the
widget shows: a model's statement that orders tied groups otherwise, or rows cached at another moment than
the row, would otherwise count a group twice or not at all. The row then says why it is missing instead.

Only metrics that add up have the row (``spec._others_kept`` leaves it out of the others, saying so). With a
comparison a second statement adds up the same groups, those outside today's ranking, over the earlier window,
and the row has its delta like every ranked row.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from backend.errors import ApplicationError
from sql_gen.selectors import allowed_tables, shared_labels, source_metrics
from sql_gen.services.binding import COMPARE, WINDOW
from sql_gen.services.entity_keys import fold_keys
from sql_gen.services.execute import QueryResult
from sql_gen.services.generate_offline import OTHERS_GROUPS
from sql_gen.services.safety import sql_check
from widgets.services.data import compare_deltas
from widgets.services.interpret import NO_OTHERS_ROW, plural

Runner = Callable[..., QueryResult]
OTHERS, OTHERS_EARLIER = "others", "others_earlier"
VALUES = "values, unmatched"  # returns the shown groups with their values; keeps rows with no dimension row
LABEL = "All others"
_MISMATCH = ("it could not be matched to the rows shown: the groups it would leave out, or their values, are not "
             "those of the rows (tied groups ordered otherwise, or rows cached at another moment than the data it "
             "read); a refresh computes both again")


class _Unmatched(Exception):
    """The groups the statement ranked are not the widget's rows."""


def others_specs(spec: dict[str, Any], metrics: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any] | str]:
    """Return the specs of a ranking's "all others" statements: ``others`` over the window and, with a
    comparison, ``others_earlier`` (the same groups over the earlier window); {} for a spec without the row.
    With ``metrics`` (the definitions by key, as the dictionary has them now) each is why there is no row
    instead (a string) when a metric no longer adds up."""
    if not (spec.get("ranking") or {}).get("others") or not spec.get("dimensions") or spec.get("grain"):
        return {}
    lacking = not_additive(spec, metrics) if metrics is not None else ""
    if lacking:
        return {OTHERS: lacking, **({OTHERS_EARLIER: lacking} if spec.get("compare") else {})}
    now = {**spec, "title": f"{spec.get('title', '')}: all others", "sort": None, "others_of": "window",
           "others_checks": VALUES}
    if not spec.get("compare"):
        return {OTHERS: now}
    return {OTHERS: now, OTHERS_EARLIER: {**now, "title": f"{now['title']}, earlier window", "others_of": "compare"}}


def not_additive(spec: dict[str, Any], metrics: Mapping[str, Any]) -> str:
    """Say why the spec's ranking has no "all others" row when a metric of it does not add up over groups as the
    dictionary defines it now (an admin made a sum an average and unticked ``additive``), else ""."""
    for ref in [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]:
        found = metrics.get(ref.get("key"))
        if found is not None and not getattr(found, "additive", True):
            return (f"{NO_OTHERS_ROW}{found.name} does not add up over groups as the dictionary defines it "
                    "now (only sums and counts do), so the row is left out.")
    return ""


def others_stale(*, companions: Mapping[str, Any], spec: dict[str, Any], metrics: Mapping[str, Any]) -> bool:
    """Tell whether the stored "all others" companions no longer fit the dictionary: a statement written before
    it returned the shown groups' values, one kept for a metric that no longer adds up, or a row left out for
    a metric that adds up again. They are then written again (``drift``); none stored is not stale."""
    wanted = others_specs(spec, metrics)
    for name, now in wanted.items():
        stored = companions.get(name)
        if not isinstance(stored, dict):
            continue  # none stored yet: the refresh derives them (``resolve._companions``)
        if isinstance(now, str) != bool(stored.get("error") or not stored.get("sql")):
            return True
        if not isinstance(now, str) and (stored.get("spec") or {}).get("others_checks") != VALUES:
            return True
    return False


def others_windows(spec: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Return the placeholder pairs a statement of ``spec`` is bounded by: the window's, and for the earlier
    "all others" the comparison's too (its ranking is today's, the groups it adds up the earlier window's)."""
    return (WINDOW, COMPARE) if spec.get("others_of") == "compare" else (WINDOW,)


def others_data(*, source: Any, companions: Mapping[str, Any], shown: dict[str, Any], run: Runner,
                deadline_s: float | None = None) -> dict[str, Any]:
    """Return what the "all others" row adds to the widget's result ``shown`` (its rows, its bound windows):
    ``others`` as ``{"label", "columns" (the metric keys), "rows" (one row, or none when every group is
    shown), "groups" (how many it adds up), "note"}``, with a comparison also ``compare`` (its rows and
    window) and ``delta``; or ``others_error`` saying why there is no row. {} for a widget without one.
    Never raises."""
    stored = companions.get(OTHERS)
    if not isinstance(stored, dict):
        return {}
    if stored.get("error") or not stored.get("sql"):
        return {"others_error": stored.get("error") or "No 'all others' query is stored."}
    lacking = not_additive(stored.get("spec") or {}, _definitions(source, stored.get("spec") or {}))
    if lacking:
        return {"others_error": lacking}
    shared = shared_labels(source=source)
    try:
        row = _row(source, stored, shown, _bounds(shown, compare=False), run, deadline_s, shared)
    except _Unmatched:
        return {"others_error": f"The 'all others' row is left out: {_MISMATCH}."}
    except (ApplicationError, ValueError, KeyError) as exc:  # QueryFailed, SqlRejected; a result of another shape
        return {"others_error": f"The 'all others' row could not be computed: {_reason(exc)}"}
    earlier = companions.get(OTHERS_EARLIER)
    if row["groups"] and isinstance(shown.get("compare"), dict) and isinstance(earlier, dict):
        row |= _earlier(source, earlier, shown, row, run, deadline_s, shared)
    return {"others": row}


def _definitions(source: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Return the spec's metrics as the dictionary defines them now, by key."""
    keys = [ref.get("key", "") for ref in [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]]
    return source_metrics(source=source, keys=keys)


def _earlier(source: Any, stored: dict[str, Any], shown: dict[str, Any], row: dict[str, Any], run: Runner,
             deadline_s: float | None, shared: set[str]) -> dict[str, Any]:
    """Return the row's ``compare`` and ``delta``, or ``compare_error``: the row is kept without them."""
    if stored.get("error") or not stored.get("sql"):
        return {"compare_error": stored.get("error") or "No earlier 'all others' query is stored."}
    try:
        before = _row(source, stored, shown, _bounds(shown, compare=True), run, deadline_s, shared)
    except _Unmatched:
        return {"compare_error": f"No earlier value: {_MISMATCH}."}
    except (ApplicationError, ValueError, KeyError) as exc:
        return {"compare_error": f"The earlier 'all others' could not be computed: {_reason(exc)}"}
    before_rows = before["rows"] or [[None] * len(before["columns"])]
    earlier = {"columns": before["columns"], "rows": before_rows, "window": shown["compare"].get("window")}
    deltas = compare_deltas(stored["spec"], row, earlier)
    return {"compare": earlier, "delta": deltas[0] if deltas else None}


def _row(source: Any, stored: dict[str, Any], shown: dict[str, Any], params: dict[str, dt.date | None],
         run: Runner, deadline_s: float | None, shared: set[str]) -> dict[str, Any]:
    """Return the row of one statement, once the groups it ranked are found to be the widget's rows.

    Raises:
        _Unmatched: they are not.
        ApplicationError: the statement is refused now or fails.
    """
    spec = stored["spec"]
    # Checked again at each run, like the widget's own statement: the dictionary may have changed.
    checked = sql_check(sql=stored["sql"], dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                        row_cap=source.row_cap)
    used = {k: v for k, v in params.items() if k in checked.placeholders}
    ran = run(source=source, sql=checked.sql, params=used, deadline_s=deadline_s)
    result = fold_keys({"columns": ran.columns, "rows": ran.rows}, shared=shared)
    metrics = [m["key"] for m in [spec["metric"], *(spec.get("extra_metrics") or [])]]
    columns, at = result["columns"], result["columns"].index(OTHERS_GROUPS)
    keys = [c for c in columns if c not in metrics and c != OTHERS_GROUPS]
    ranked = [r for r in result["rows"] if r[at] is None]
    rest = [r for r in result["rows"] if r[at] is not None]
    if ran.truncated or len(rest) != 1 or not _same(_groups(ranked, columns, keys, metrics),
                                                    _groups(shown["rows"], shown["columns"], keys, metrics)):
        raise _Unmatched()
    groups = int(rest[0][at])
    values = [rest[0][columns.index(m)] for m in metrics]
    return {"label": LABEL, "columns": metrics, "rows": [values] if groups else [], "groups": groups,
            "note": "" if groups else _all_shown(spec, len(ranked))}


def _groups(rows: list[list[Any]], columns: list[str], keys: list[str],
            metrics: list[str]) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """Return the rows' groups (their values of ``keys``) with their values of ``metrics``, sorted by group;
    raises _Unmatched when a key or a metric is no column."""
    if any(k not in columns for k in [*keys, *metrics]):
        raise _Unmatched()
    at, values = [columns.index(k) for k in keys], [columns.index(m) for m in metrics]
    pairs = ((tuple(row[i] for i in at), tuple(row[i] for i in values)) for row in rows)
    return sorted(pairs, key=lambda pair: repr(pair[0]))


def _same(ranked: list[tuple[tuple[Any, ...], tuple[Any, ...]]],
          shown: list[tuple[tuple[Any, ...], tuple[Any, ...]]]) -> bool:
    """Tell whether the statement's shown groups are the widget's rows, with the same values: exactly for
    counts, within float rounding for sums (the two may add up in another order)."""
    return len(ranked) == len(shown) and all(
        a == b and len(x) == len(y) and all(_equal(u, v) for u, v in zip(x, y, strict=True))
        for (a, x), (b, y) in zip(ranked, shown, strict=True))


def _equal(mine: Any, theirs: Any) -> bool:
    if isinstance(mine, int) and isinstance(theirs, int) or mine is None or theirs is None:
        return bool(mine == theirs)
    try:
        return math.isclose(float(mine), float(theirs), rel_tol=1e-12, abs_tol=1e-9)
    except (TypeError, ValueError):
        return bool(mine == theirs)


def _bounds(shown: dict[str, Any], *, compare: bool) -> dict[str, dt.date | None]:
    """Return the values to bind: the widget's own window as its rows were bound (and the comparison's)."""
    def day(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    window = shown["window"]
    params = {"window_start": day(window.get("start")), "window_end": day(window.get("end"))}
    if compare:
        earlier = shown["compare"]["window"]
        params |= {"compare_start": day(earlier.get("start")), "compare_end": day(earlier.get("end"))}
    return params


def _all_shown(spec: dict[str, Any], count: int) -> str:
    """Say that the ranking shows every group ("All 3 regions are shown: there are no others.")."""
    dimension = spec["dimensions"][0]
    label = (spec.get("labels") or {}).get(dimension, dimension.split(".")[-1].replace("_", " "))
    if count == 1:
        return f"The only {label} is shown: there are no others."
    return f"All {count} {plural(label)} are shown: there are no others."


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc)
