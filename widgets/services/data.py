"""A widget's data for one run: the window resolved against today, bound, run, compared and filled.

The stored statement never holds a date. Each run (the pipeline's fetch step, every refresh) resolves
the spec's relative window against *today* in the source's time zone, binds the bounds as
``:window_start``/``:window_end`` and runs the statement; a comparison runs the same statement again,
bound to the earlier window, so both periods are computed alike. A time series is then completed in
our code: a bucket with no rows is zero for an additive metric (counts, sums) and a gap for the rest
(averages, ratios), never skipped, and never filled past a truncation (zeros where rows were cut
would be a lie). The last bucket is marked partial when its period is not over.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Callable
from typing import Any

import sqlglot
from django.conf import settings
from sqlglot import exp

from backend.errors import ApplicationError, ErrorCode
from sql_gen.models import GRAIN_ORDER, DataSource
from sql_gen.selectors import metric_finest_grain, shared_labels, source_metrics
from sql_gen.services.entity_keys import fold_keys
from sql_gen.services.execute import QueryResult, sql_execute
from widgets.services.windows import (
    Bounds,
    Comparison,
    Resolved,
    TimeWindow,
    Unit,
    bucket_end,
    bucket_start,
    buckets,
    resolve,
    today_in,
)

log = logging.getLogger(__name__)
Runner = Callable[..., QueryResult]
StartsOf = Callable[..., dict[str, dt.date | None]]


def source_today(source: DataSource | None, *, now: dt.datetime | None = None) -> dt.date:
    """Return the date at ``now`` (default: now) in the source's time zone, or the pinned ``BUILDER_TODAY``
    (an ISO date: an eval's or a test's today)."""
    pinned = getattr(settings, "BUILDER_TODAY", "") or os.environ.get("BUILDER_TODAY", "")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return today_in(getattr(source, "time_zone", "") or "UTC", now)


def spec_window(spec: dict[str, Any], *, today: dt.date) -> Resolved:
    """Return the spec's window (and comparison) resolved for ``today`` at the spec's grain, or at its
    ``data_grain`` when that is coarser (a metric kept per month is bound to whole months).

    Raises:
        ApplicationError: ``invalid_window`` when the window begins after today, or compares all time with
            nothing.
    """
    window = TimeWindow.model_validate(spec.get("time_window") or {"kind": "all"})
    compare = Comparison.model_validate(spec["compare"]) if spec.get("compare") else None
    try:
        return resolve(window, today=today, grain=spec.get("grain"), compare=compare, data_grain=spec.get("data_grain"))
    except ValueError as exc:  # "2027 has not begun": the analyst's to change, not a fault of ours
        said = str(exc) if today.isoformat() in str(exc) else f"{exc} (today is {today.isoformat()})"
        raise ApplicationError(ErrorCode.INVALID_WINDOW, f"This period cannot be shown: {said}; ask for one that "
                                                         "has begun.") from exc


def widget_data(*, source: DataSource, spec: dict[str, Any], sql: str, today: dt.date | None = None,
                deadline_s: float | None = None, run: Runner | None = None,
                window_of: dict[str, Any] | None = None, starts_of: StartsOf | None = None,
                compare_sql: str | None = None) -> dict[str, Any]:
    """Run the widget's statement for today's window (and its comparison) and return the result to store.

    The result holds ``columns``, ``rows`` and ``truncated`` as before, plus ``window`` (the bounds bound,
    ISO dates, null for open), ``partial_last``, ``filled`` (buckets added with no rows), ``fill_note``
    (why a series was not completed, or from when it was: "No data before 1 Jan 2025") and, with a
    comparison, ``compare`` (its window, rows and truncation). ``starts_of`` gives the date each metric's
    data begins (default: ``metric_data_starts``, asked only when a series would gain buckets before its
    first row).

    With ``window_of`` (another widget's spec: a KPI's, for its sparkline) the bounds bound are that spec's,
    exactly, not the series' grown to whole buckets; ``partial_first`` then says whether the first bucket
    starts before the window does.

    With ``compare_sql`` (a ranking's statement without its ranking: the ``earlier`` companion) the
    comparison window runs that one and keeps the rows of the groups ranked now, so that every ranked group
    has its earlier value, not only those that were in the earlier window's own top N.

    Raises:
        QueryFailed: the database refused or stopped the statement (from ``run``).
        ValueError: the spec's window cannot be resolved for today.
    """
    today, run = today or source_today(source), run or sql_execute
    if "data_grain" not in spec:  # a spec stored before it was filled: its metrics' definitions tell
        spec = {**spec, "data_grain": _data_grain(source, spec)}
    resolved = spec_window(spec, today=today)
    if window_of is not None:
        own = spec_window({**window_of, "compare": None}, today=today).window
        resolved = dataclasses.replace(resolved, window=own, compare=None)
    additive = _additivity(source, spec)
    starts = _DataStarts(source, spec, starts_of or metric_data_starts, deadline_s)
    shared = shared_labels(source=source)
    main = _run_window(run, source, sql, resolved.window, deadline_s, shared)
    result = {**main, "window": _iso(resolved.window), "today": today.isoformat(),
              "partial_last": resolved.partial_last}
    if resolved.aligned and window_of is None:  # the grain moved the start: the reading says so
        result["aligned_to"] = resolved.grain
    if window_of is not None:
        result["partial_first"] = _partial_first(resolved.window, spec.get("grain"))
    result |= _complete(spec, result, resolved.window, additive, cap=source.row_cap, starts=starts)
    if resolved.compare is not None:
        before = _run_window(run, source, compare_sql or sql, resolved.compare, deadline_s, shared)
        if compare_sql:
            before = _same_groups(spec, before, result)
        before |= {"window": _iso(resolved.compare)}
        before |= _complete(spec, before, resolved.compare, additive, cap=source.row_cap, starts=starts)
        result["compare"] = before
        result["deltas"] = compare_deltas(spec, result, before)
    return result


def compare_deltas(spec: dict[str, Any], now: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    """Return, per group of the rows (one for a KPI), the primary metric now and in the comparison window,
    with the change absolute and as a fraction (None when the earlier value is zero or missing).

    A time series is compared bucket by bucket in order (this year's first month with last year's)."""
    key = spec.get("metric", {}).get("key")
    if key not in now["columns"] or key not in before["columns"]:
        return []
    at_now, at_before = now["columns"].index(key), before["columns"].index(key)
    group_now = [i for i, c in enumerate(now["columns"]) if c not in (key, "period")]
    earlier: dict[tuple[Any, ...], Any] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for row in before["rows"]:
        group = tuple(row[i] for i in group_now if i < len(row))
        n = counts[group] = counts.get(group, 0) + 1
        earlier[(*group, n)] = row[at_before]
    deltas, seen = [], {}
    for row in now["rows"]:
        group = tuple(row[i] for i in group_now)
        n = seen[group] = seen.get(group, 0) + 1
        current, previous = row[at_now], earlier.get((*group, n))
        change = current - previous if isinstance(current, (int, float)) and isinstance(previous, (int, float)) else None
        deltas.append({"group": list(group), "current": current, "previous": previous, "abs": change,
                       "pct": change / previous if change is not None and previous else None})
    return deltas


def _same_groups(spec: dict[str, Any], before: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """Return the earlier rows of the groups in ``now`` (its dimension values; a period is not a group), in
    their own order. Rows of either result without the same group columns are kept as they are."""
    metrics = {m.get("key") for m in [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]}
    groups = [c for c in now["columns"] if c not in metrics and c != "period"]
    if not groups or any(c not in before["columns"] for c in groups):
        return before
    at_now = [now["columns"].index(c) for c in groups]
    at_before = [before["columns"].index(c) for c in groups]
    ranked = {tuple(row[i] for i in at_now) for row in now["rows"]}
    return {**before, "rows": [row for row in before["rows"] if tuple(row[i] for i in at_before) in ranked]}


def _run_window(run: Runner, source: DataSource, sql: str, bounds: Bounds, deadline_s: float | None,
                shared: set[str]) -> dict[str, Any]:
    """Return the statement's result for ``bounds``, its hidden key columns folded into the labels they
    tell apart (``entity_keys``): the columns are the widget's, and two people of one name two rows."""
    ran = run(source=source, sql=sql, params={"window_start": bounds.start, "window_end": bounds.end},
              deadline_s=deadline_s)
    return fold_keys({"columns": ran.columns, "rows": ran.rows, "truncated": ran.truncated}, shared=shared)


def _partial_first(bounds: Bounds, grain: str | None) -> bool:
    """Tell whether the window starts inside its first bucket (that bucket then holds only part of its period)."""
    return bool(grain and bounds.start and bucket_start(bounds.start, grain) != bounds.start)  # type: ignore[arg-type]


def _iso(bounds: Bounds) -> dict[str, str | None]:
    return {"start": bounds.start.isoformat() if bounds.start else None,
            "end": bounds.end.isoformat() if bounds.end else None}


def _data_grain(source: DataSource, spec: dict[str, Any]) -> str | None:
    """Return the coarsest period the spec's metrics' data is kept by, when coarser than a day (as
    ``spec_validate`` fills ``data_grain``); None for metrics no longer defined."""
    keys = [m["key"] for m in [spec.get("metric") or {}, *spec.get("extra_metrics", [])] if m.get("key")]
    grains = [metric_finest_grain(m) for m in source_metrics(source=source, keys=keys).values()]
    coarsest = max(grains, key=GRAIN_ORDER.index) if grains else "day"
    return None if coarsest == "day" else coarsest


def _additivity(source: DataSource, spec: dict[str, Any]) -> dict[str, bool]:
    """Return, per metric key of the spec, whether its values add up (an empty bucket is then zero): the
    definition's ``additive``, which a ratio, an average or a distinct count never is."""
    keys = [m["key"] for m in [spec.get("metric") or {}, *spec.get("extra_metrics", [])] if m.get("key")]
    found = source_metrics(source=source, keys=keys)
    return {key: found[key].additive if key in found else False for key in keys}


def _complete(spec: dict[str, Any], result: dict[str, Any], bounds: Bounds, additive: dict[str, bool], *,
              cap: int, starts: _DataStarts | None = None) -> dict[str, Any]:
    """Return the rows with every bucket of the window present, and how many were added.

    Only for a time series (a ``period`` column) over fixed bounds; never on a truncated result, and
    not when the completed series would pass the row cap (the note says which). No bucket is added that
    ends before the metrics' data begins (a zero there would read as a collapse), and a metric's cell
    is a gap, not zero, before its own data begins; the note then says from when there is data.
    """
    grain, columns = spec.get("grain"), result["columns"]
    if not grain or "period" not in columns or spec.get("kind") == "kpi":
        return {"filled": 0, "fill_note": ""}
    if result["truncated"]:
        return {"filled": 0, "fill_note": "Empty periods are not filled in: the result was cut at the row cap."}
    if bounds.start is None or bounds.end is None:
        return {"filled": 0, "fill_note": ""}
    at = columns.index("period")
    begins, starts_at, note = _since_data(result["rows"], at, columns, bounds, grain, starts)
    starts = [d.isoformat() for d in starts_at]
    bucket_ends = {d.isoformat(): bucket_end(d, grain).isoformat() for d in starts_at}
    series_columns = [i for i, c in enumerate(columns) if c != "period" and c not in additive]
    value_columns = [i for i, c in enumerate(columns) if c in additive]
    rows = [list(r) for r in result["rows"]]
    for row in rows:
        row[at] = str(row[at])[:10] if row[at] is not None else None
    series = list(dict.fromkeys(tuple(r[i] for i in series_columns) for r in rows)) or [()]
    have = {(r[at], tuple(r[i] for i in series_columns)) for r in rows}
    missing = [(s, key) for key in series for s in starts if (s, key) not in have]
    if len(rows) + len(missing) > cap:
        return {"filled": 0, "fill_note": f"Empty periods are not filled in: the series would pass the row cap "
                                          f"of {cap:,} rows."}
    for start, key in missing:
        row: list[Any] = [None] * len(columns)
        row[at] = start
        for i, value in zip(series_columns, key, strict=True):
            row[i] = value
        for i in value_columns:
            begun = columns[i] not in begins or bucket_ends[start] > begins[columns[i]].isoformat()
            row[i] = 0 if additive[columns[i]] and begun else None
        rows.append(row)
    order = {key: n for n, key in enumerate(series)}
    rows.sort(key=lambda r: (r[at] or "", order.get(tuple(r[i] for i in series_columns), 0)))
    return {"rows": rows, "filled": len(missing), "fill_note": note}


def _since_data(rows: list[list[Any]], at: int, columns: list[str], bounds: Bounds, grain: Unit,
                starts: _DataStarts | None) -> tuple[dict[str, dt.date], list[dt.date], str]:
    """Return when each metric's data begins (asked only when the rows begin after the window does),
    the buckets to complete (none that ends before the earliest of those), and the note saying so."""
    first_row = min((str(r[at])[:10] for r in rows if r[at] is not None), default=None)
    all_buckets = buckets(bounds, grain)
    if starts is None or (first_row is not None and first_row <= _need_start(bounds).isoformat()):
        return {}, all_buckets, ""
    begins = starts.of(columns)
    earliest = min(begins.values(), default=None)
    if earliest is None:
        return begins, all_buckets, ""
    kept = [d for d in all_buckets if bucket_end(d, grain) > earliest]
    note = f"No data before {earliest.day} {earliest:%b %Y}." if len(kept) < len(all_buckets) else ""
    return begins, kept, note


def _need_start(bounds: Bounds) -> dt.date:
    if bounds.start is None:
        raise ValueError("an open window has no first bucket")
    return bounds.start


class _DataStarts:
    """The date each of a spec's metrics' data begins, asked of the warehouse at most once per run."""

    def __init__(self, source: DataSource, spec: dict[str, Any], starts_of: StartsOf, deadline_s: float | None):
        self.source, self.starts_of, self.deadline_s = source, starts_of, deadline_s
        self.keys = [m["key"] for m in [spec.get("metric") or {}, *spec.get("extra_metrics", [])] if m.get("key")]
        self.found: dict[str, dt.date] | None = None

    def of(self, columns: list[str]) -> dict[str, dt.date]:
        """Return, for the metrics among ``columns``, the date their data begins (those known only)."""
        if self.found is None:
            try:
                known = self.starts_of(source=self.source, keys=self.keys, deadline_s=self.deadline_s)
            except ApplicationError:  # a failed look-up fills as before: never worse than without it
                log.warning("the data start of %s could not be read", self.keys, exc_info=True)
                known = {}
            self.found = {k: v for k, v in known.items() if v is not None}
        return {k: v for k, v in self.found.items() if k in columns}


def metric_data_starts(*, source: DataSource, keys: list[str],
                       deadline_s: float | None = None) -> dict[str, dt.date | None]:
    """Return, per metric key, the first date of its time column in the warehouse (None: no rows, or no
    time column); a ratio begins when the later of its parts does. One small statement per column.

    Raises:
        QueryFailed: the database refused or stopped a statement.
    """
    metrics = source_metrics(source=source, keys=keys)
    cache: dict[tuple[str, str], dt.date | None] = {}

    def start(metric: Any) -> dt.date | None:
        if metric.kind == metric.Kind.RATIO:
            parts = [start(p) for p in (metric.numerator, metric.denominator) if p is not None]
            return None if not parts or None in parts else max(parts)  # type: ignore[type-var]
        if not metric.base_table or not metric.time_column:
            return None
        where = (metric.base_table, metric.time_column)
        if where not in cache:
            sql = sqlglot.select(exp.func("MIN", exp.column(metric.time_column))).from_(metric.base_table)
            rows = sql_execute(source=source, sql=sql.sql(dialect=source.dialect), deadline_s=deadline_s).rows
            cache[where] = _as_date(rows[0][0]) if rows and rows[0] else None
        return cache[where]

    return {key: start(metric) for key, metric in metrics.items()}


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
