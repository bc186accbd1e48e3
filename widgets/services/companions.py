"""A widget's companion queries: a KPI's sparkline, a table's totals row and a ranking's earlier values,
computed by the query, not the browser.

Each companion is a spec derived from the widget's own (``companion_specs``): the sparkline is the same
metric, filters and window as a series at a grain that fits the window; the totals are the same metrics,
filters and window with no dimensions, so they are right for non-additive metrics (an average of the
whole, not a sum of averages) and for truncated or ranked rows (the whole window, not the rows shown).
A ranking compared with an earlier window has ``earlier``: the same statement without the ranking, run over
the earlier window only, so that each group ranked now gets its earlier value, not only the groups that were
in the earlier window's own top N (``earlier_sql``; the widget's data keeps the groups it ranks). A ranking
with an "all others" row has ``others`` (and ``others_earlier`` with a comparison): see ``others``.

Their statements are written by the deterministic generator from the metric definitions and accepted
exactly as the widget's own statement is (safety check, then the engine's prepare): no model call, in
live mode too (``sql_write_offline``). They are stored on the widget (``Widget.companions``) and run with
its data at every fetch and refresh (``companions_data``). A companion that cannot be written or run
never fails the widget: its result says why it is missing (``sparkline_error``, ``totals_error``,
``others_error``).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from backend.errors import ApplicationError
from sql_gen.models import GRAIN_ORDER, DataSource, MetricDefinition
from sql_gen.selectors import allowed_tables, metric_finest_grain
from sql_gen.services.execute import QueryResult, sql_execute
from sql_gen.services.generate import SqlInput, sql_write_offline
from sql_gen.services.safety import sql_check
from widgets.services.data import spec_window, widget_data
from widgets.services.others import others_data, others_specs, others_windows

log = logging.getLogger(__name__)
Runner = Callable[..., QueryResult]
SPARKLINE, TOTALS, EARLIER = "sparkline", "totals", "earlier"
# A series of at most about this many points: days up to 45 days, weeks up to 26 weeks, months beyond.
_DAY_UP_TO, _WEEK_UP_TO = 45, 26 * 7
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}


def companion_specs(*, spec: dict[str, Any], metrics: Mapping[str, MetricDefinition],
                    today: dt.date) -> dict[str, dict[str, Any] | str]:
    """Return, per companion the widget has, its spec, or why it has none (a string).

    A KPI has a sparkline, a table with dimensions or a grain has totals, a ranking of a dimension with a
    comparison has its earlier values, a ranking with an "all others" row has the statements of that row;
    other widgets have none. ``metrics`` holds the definitions of the spec's metrics by key.
    """
    out: dict[str, dict[str, Any] | str] = {}
    if spec.get("kind") == "kpi":
        out[SPARKLINE] = _sparkline_spec(spec, metrics[spec["metric"]["key"]], today)
    if spec.get("kind") == "table" and (spec.get("dimensions") or spec.get("grain")):
        out[TOTALS] = {**spec, "title": f"{spec.get('title', '')}: totals", "dimensions": [], "grain": None,
                       "ranking": None, "sort": None, "compare": None}
    if spec.get("ranking") and spec.get("compare") and spec.get("dimensions"):
        out[EARLIER] = {**spec, "title": f"{spec.get('title', '')}: earlier window", "ranking": None, "sort": None,
                        "sparkline": False}
    return out | others_specs(spec, metrics)


def _sparkline_spec(spec: dict[str, Any], metric: MetricDefinition, today: dt.date) -> dict[str, Any] | str:
    if not _has_time(metric):
        return f"{metric.name} has no date to trend by."
    grain = spec.get("grain") or sparkline_grain(spec, today=today)
    finest = metric_finest_grain(metric)
    grain = max(grain, finest, key=GRAIN_ORDER.index)
    # A chart, not a KPI: a series is completed bucket by bucket (a KPI shows one number and is not).
    # ``window_grain`` is the KPI's own grain: the sparkline binds the KPI's window, not one grown to its buckets.
    return {**spec, "kind": "chart", "chart_type": "line", "title": f"{spec.get('title', '')}: trend", "grain": grain,
            "compare": None, "sparkline": False, "ranking": None, "sort": None, "window_grain": spec.get("grain")}


def sparkline_grain(spec: dict[str, Any], *, today: dt.date) -> str:
    """Return the grain of a sparkline over the spec's window: day up to 45 days, week up to 26 weeks, month
    beyond and for all time. A to-date or current period counts at its full length, so that the grain stays
    the same all through the period (a year to date is monthly in January too)."""
    window = spec.get("time_window") or {"kind": "all"}
    kind, unit = window.get("kind"), window.get("unit")
    if kind == "rolling":
        days = int(window.get("n") or 1) * _UNIT_DAYS.get(unit or "day", 1)
    elif kind in ("current", "previous", "to_date", "period"):
        days = _UNIT_DAYS.get(unit or "day", 1)
    elif kind in ("since", "between"):
        bounds = spec_window({**spec, "grain": None, "compare": None}, today=today).window
        days = (bounds.end - bounds.start).days if bounds.start and bounds.end else _WEEK_UP_TO + 1
    else:
        return "month"
    return "day" if days <= _DAY_UP_TO else "week" if days <= _WEEK_UP_TO else "month"


def _has_time(metric: MetricDefinition) -> bool:
    if metric.kind == MetricDefinition.Kind.RATIO:
        return all(p is not None and _has_time(p) for p in (metric.numerator, metric.denominator))
    return bool(metric.time_column)


def companions_write(*, spec: dict[str, Any], metrics: Mapping[str, MetricDefinition], source: DataSource,
                     today: dt.date, ends_at: float | None = None) -> dict[str, dict[str, Any]]:
    """Return the widget's companions to store: per name, ``{"spec", "sql"}`` (the statement without the row
    cap, checked again at each run) or ``{"error"}`` saying why there is none. Never raises for a companion
    that cannot be written."""
    out: dict[str, dict[str, Any]] = {}
    for name, derived in companion_specs(spec=spec, metrics=metrics, today=today).items():
        if isinstance(derived, str):
            out[name] = {"error": derived}
            continue
        keys = [derived["metric"]["key"], *(m["key"] for m in derived.get("extra_metrics") or [])]
        inputs = SqlInput(metric=metrics[keys[0]], extra_metrics=tuple(metrics[k] for k in keys[1:]), spec=derived,
                          source=source, ends_at=ends_at, windows=others_windows(derived))
        try:
            written = sql_write_offline(inputs)
        except ApplicationError as exc:
            out[name] = {"error": f"The {name} query could not be written: {exc.message}"}
            continue
        out[name] = {"spec": derived, "sql": written.uncapped or written.sql}
    return out


def companions_derive(*, spec: dict[str, Any], source: DataSource, today: dt.date) -> dict[str, dict[str, Any]]:
    """Return the companions of a widget stored before they existed (``companions_write`` for its spec, the
    metrics read from the source), or {} when its spec names no metric that is still defined. Never raises:
    whatever goes wrong, the widget's own refresh goes on without them."""
    try:
        refs = [spec["metric"], *(spec.get("extra_metrics") or [])]
        keys = [ref["key"] for ref in refs]
        metrics = {m.key: m for m in MetricDefinition.objects.select_related("numerator", "denominator", "source")
                   .filter(source=source, key__in=keys)}
        if any(key not in metrics for key in keys):
            return {}
        return companions_write(spec=spec, metrics=metrics, source=source, today=today)
    except Exception:  # an old spec of another shape: the widget is refreshed as it always was
        log.exception("the companions of a stored spec could not be derived")
        return {}


def companions_data(*, source: DataSource, companions: Mapping[str, Any], today: dt.date,
                    deadline_s: float | None = None, run: Runner | None = None,
                    shown: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return what the companions add to the widget's result: ``sparkline`` as ``{"columns", "rows", "grain",
    "partial_first", "partial_last", "truncated", "window"}`` (the KPI's own window) and ``totals`` as
    ``{"columns", "rows"}``, or, for one that could not be written or run, ``sparkline_error`` /
    ``totals_error`` saying why; with ``shown`` (the widget's own result, as ``widget_data`` returned it) a
    ranking's ``others`` or ``others_error`` (``others_data``). Never raises for a companion."""
    out: dict[str, Any] = {} if shown is None else others_data(source=source, companions=companions, shown=shown,
                                                               run=run or sql_execute, deadline_s=deadline_s)
    for name in (SPARKLINE, TOTALS):
        stored = companions.get(name)
        if not isinstance(stored, dict):
            continue
        if stored.get("error") or not stored.get("sql"):
            out[f"{name}_error"] = stored.get("error") or f"No {name} query is stored."
            continue
        try:
            out[name] = _run(source, stored, today, deadline_s, run)
        except (ApplicationError, ValueError) as exc:  # QueryFailed, SqlRejected; a window that cannot resolve
            out[f"{name}_error"] = f"The {name} could not be computed: {getattr(exc, 'message', None) or exc}"
    return out


def earlier_sql(*, source: DataSource, companions: Mapping[str, Any]) -> str | None:
    """Return the checked statement a ranking's earlier window runs (every group, not the earlier top N), or
    None when the widget has none or it is refused now (the ranked statement then runs there too, and a group
    outside the earlier top N shows no earlier value). Checked at each run, like the widget's own."""
    stored = companions.get(EARLIER)
    if not isinstance(stored, dict) or not stored.get("sql"):
        return None
    try:
        return sql_check(sql=stored["sql"], dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                         row_cap=source.row_cap).sql
    except ApplicationError:
        log.warning("the earlier-window statement of a ranking is refused now; the ranked one runs instead")
        return None


def _run(source: DataSource, stored: dict[str, Any], today: dt.date, deadline_s: float | None,
         run: Runner | None) -> dict[str, Any]:
    spec = stored["spec"]
    # Checked again at each run, like the widget's own statement: the dictionary may have changed.
    checked = sql_check(sql=stored["sql"], dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                        row_cap=source.row_cap)
    runner = run or sql_execute

    def bound(*, source: DataSource, sql: str, params: dict[str, Any] | None,
              deadline_s: float | None = None) -> QueryResult:
        # Only the values the statement uses: a companion of a metric without a date binds none.
        used = None if params is None else {k: v for k, v in params.items() if k in checked.placeholders}
        return runner(source=source, sql=sql, params=used, deadline_s=deadline_s)

    # A sparkline covers its KPI's own window (the KPI's spec is the sparkline's with its own grain), so that
    # the trend and the figure count the same days; a first or last bucket the window cuts is partial.
    window_of = {**spec, "grain": spec.get("window_grain")} if spec.get("kind") == "chart" and spec.get("grain") else None
    result = widget_data(source=source, spec=spec, sql=checked.sql, today=today, deadline_s=deadline_s, run=bound,
                         window_of=window_of)
    if spec.get("grain"):
        return {"columns": result["columns"], "rows": result["rows"], "grain": spec["grain"],
                "partial_last": result["partial_last"], "partial_first": result.get("partial_first", False),
                "truncated": result["truncated"], "window": result["window"]}
    return {"columns": result["columns"], "rows": result["rows"]}
