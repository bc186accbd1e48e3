"""Resolving a widget's data: serve the stored result at once, refresh it in the background.

The dashboard never runs a query. It reads each widget's last good result, and when that is
older than the widget's ``cache_ttl_s`` it queues ``refresh_widget`` (once: a cache lock drops
duplicate requests). The job re-checks the stored SQL against the source's current allowlist,
takes the result from the Django cache when another widget computed the same query within the
TTL, or runs it read-only. A failure keeps the last good data and records why on the widget.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from backend.errors import ApplicationError
from backend.text import storable
from sql_gen.models import DataSource
from sql_gen.selectors import default_source
from sql_gen.services.binding import Params, params_key
from sql_gen.services.execute import QueryFailed, QueryResult, sql_execute
from sql_gen.services.safety import CheckedSql, SqlRejected
from widgets import selectors
from widgets.models import Dashboard, DataOrigin, Widget
from widgets.services.companions import EARLIER, companions_data, companions_derive, earlier_sql
from widgets.services.custom import ResultShapeMismatch, widget_props
from widgets.services.dashboards import require_owner
from widgets.services.data import source_today, widget_data
from widgets.services.drift import OutOfDate, widget_statement_current
from widgets.services.others import OTHERS

log = logging.getLogger(__name__)

_RESULT_KEY = "widget-result:v1:{source}:{digest}"
_LOCK_KEY = "widget-refresh:v1:{widget}"
FAILURE_ORIGINS = {DataOrigin.LLM_UNAVAILABLE, DataOrigin.SQL_REJECTED, DataOrigin.QUERY_FAILED,
                   DataOrigin.OUT_OF_DATE}


@dataclass(frozen=True)
class Badge:
    source: str  # a DataOrigin value as shown: a fresh "live" result turns "cached" once stale
    label: str
    reason: str
    age_s: int | None  # seconds since the shown data was computed; None without data
    stale: bool  # older than the widget's TTL: a refresh is (or will be) under way


def widget_badge(*, widget: Widget, now: datetime) -> Badge:
    """Return what the widget's source badge says at ``now``."""
    age = int((now - widget.result_at).total_seconds()) if widget.result_at else None
    stale = widget_is_stale(widget=widget, now=now)
    origin = DataOrigin(widget.source) if widget.source in DataOrigin.values else DataOrigin.LIVE
    reason = widget.source_reason
    if origin == DataOrigin.LIVE and stale:
        origin = DataOrigin.CACHED
        every = _duration(widget.cache_ttl_s)
        reason = reason or f"Older than its {every} refresh interval; refreshing in the background."
    elif origin == DataOrigin.SAMPLE:
        reason = reason or "Illustrative numbers, not read from the warehouse."
    return Badge(source=origin.value, label=origin.label, reason=reason, age_s=age, stale=stale)


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    return f"{seconds // 60}-minute" if seconds % 60 == 0 else f"{seconds}-second"


def widget_is_stale(*, widget: Widget, now: datetime) -> bool:
    """Return True when the widget's data should be refreshed: older than its TTL, or missing.

    Sample data is never refreshed into real data behind the analyst's back, and a widget
    without SQL has nothing to run.
    """
    if widget.source == DataOrigin.SAMPLE or not widget.sql:
        return False
    last = widget.refreshed_at if widget.source in FAILURE_ORIGINS else widget.result_at
    return last is None or (now - last).total_seconds() > widget.cache_ttl_s


def widgets_refresh_stale(*, widgets: list[Widget], now: datetime) -> list[int]:
    """Queue a background refresh for each stale widget not already queued; return their ids.

    Returns at once: the job runs after the current transaction commits.
    """
    queued = [w.id for w in widgets if widget_is_stale(widget=w, now=now) and _lock(w)]
    for widget_id in queued:
        _enqueue(widget_id)
    return queued


def widget_can_refresh(*, widget: Widget) -> bool:
    """Tell whether asking for a refresh can change the widget's data: it has SQL, and its data is not sample
    data (which stays sample data until the analyst rebuilds it)."""
    return bool(widget.sql) and widget.source != DataOrigin.SAMPLE


def widgets_refresh_all(*, widgets: list[Widget]) -> list[int]:
    """Queue a refresh of every widget that can be refreshed, stale or not, that runs its queries again
    rather than reading the result cache ("Refresh all"); return their ids, those already being refreshed
    included. Returns at once: each job runs after the current transaction commits."""
    refreshable = [w for w in widgets if widget_can_refresh(widget=w)]
    for widget in refreshable:
        if _lock(widget):
            _enqueue(widget.id, force=True)
    return [w.id for w in refreshable]


def dashboard_refresh_all(*, user: AbstractBaseUser, dashboard: Dashboard) -> list[int]:
    """"Refresh all" on a dashboard: its owner's only, as the refresh of one widget is. Viewers of a shared
    dashboard and staff read it; running its queries again, and rewriting the owner's stored results, is a
    change. Returns the ids queued (``widgets_refresh_all``).

    Raises:
        Forbidden: the user does not own the dashboard.
    """
    require_owner(user=user, dashboard=dashboard, doing="refresh its widgets")
    return widgets_refresh_all(widgets=list(selectors.dashboard_widgets(dashboard=dashboard)))


def _lock(widget: Widget) -> bool:
    """Take the widget's refresh lock; it expires by itself if the job dies. False when the cache cannot
    be reached either: the stored data is shown, and the next load tries again."""
    source = widget.data_source
    timeout = max(30, 3 * (source.statement_timeout_s if source else 10))
    try:
        return cache.add(_LOCK_KEY.format(widget=widget.id), 1, timeout=timeout)
    except Exception as exc:  # the cache's own errors differ per backend
        log.warning("widget %s not refreshed: the cache is unreachable (%s)", widget.id, exc)
        return False


def _enqueue(widget_id: int, *, force: bool = False) -> None:
    """Queue a refresh once the transaction commits. A broker that is down never fails the page that
    asked: the lock is released, so the next load tries again."""
    from widgets.tasks import refresh_widget

    def send() -> None:
        try:
            if force:
                refresh_widget.send(widget_id, True)
            else:
                refresh_widget.send(widget_id)
        except Exception as exc:  # the brokers' errors differ; all mean "not queued"
            log.warning("refresh of widget %s not queued (%s); the next load tries again", widget_id, exc)
            cache.delete(_LOCK_KEY.format(widget=widget_id))

    transaction.on_commit(send)


def widget_refresh(*, widget_id: int, now: datetime | None = None, force: bool = False) -> str:
    """Refresh one widget's data and return its new ``source``; "missing" if it is gone.

    Safe to run twice: a widget that is no longer stale is left alone, unless ``force`` (the analyst asked):
    then its queries run again, not read from the result cache. Never raises for a rejected or failed
    query; those are recorded on the widget with their reason.
    """
    now = now or timezone.now()
    widget = Widget.objects.select_related("data_source").filter(id=widget_id).first()
    if widget is None:
        return "missing"
    try:
        if not (widget_can_refresh(widget=widget) if force else widget_is_stale(widget=widget, now=now)):
            return widget.source
        return _refresh(widget, now, force=force)
    finally:
        cache.delete(_LOCK_KEY.format(widget=widget_id))


def _refresh(widget: Widget, now: datetime, *, force: bool = False) -> str:
    source = widget.data_source or default_source()
    try:
        if source is None:
            raise QueryFailed("No data source is configured; an admin must add one.")
        # The dictionary may have changed since the widget was built: its statement is checked against it now.
        current = widget_statement_current(widget=widget, source=source, today=source_today(source, now=now))
        result, computed_at, origin = _run_for_today(source, current.checked, widget, now, force=force)
        _check_fits(widget, result)
        if current.rewritten:  # the note for the card, the check's reason for whoever asks why
            result |= {"dictionary_note": current.rewritten, "dictionary_reason": current.reason}
    except OutOfDate as e:
        return _record_failure(widget, DataOrigin.OUT_OF_DATE, e.message, now)
    except SqlRejected as e:
        return _record_failure(widget, DataOrigin.SQL_REJECTED, e.message, now)
    except ResultShapeMismatch as e:
        reason = f"The new result does not fit this widget's component: {e.message}"
        return _record_failure(widget, DataOrigin.QUERY_FAILED, reason, now)
    except ApplicationError as e:  # QueryFailed and the like: safe to show
        return _record_failure(widget, DataOrigin.QUERY_FAILED, e.message, now)
    except Exception as e:  # a bug or a driver surprise: the badge says so, the details go to the log
        log.exception("widget %s refresh crashed", widget.id)
        reason = (
            f"The refresh stopped on an unexpected error ({type(e).__name__}); "
            "an admin can find it in the server log."
        )
        return _record_failure(widget, DataOrigin.QUERY_FAILED, reason, now)
    shaped = result_shape(kind=widget.kind, result=result)
    try:
        return _record_result(widget, shaped, computed_at, origin, now)
    except Exception as e:  # a result the app database cannot store must not crash every load's refresh
        log.exception("widget %s refresh result could not be stored", widget.id)
        reason = f"The refreshed result could not be stored ({type(e).__name__}); an admin can find it in the server log."
        return _record_failure(widget, DataOrigin.QUERY_FAILED, reason, now)


def _check_fits(widget: Widget, result: dict[str, Any]) -> None:
    """Check that a custom widget's component can draw ``result``; other kinds draw any shape.

    Raises:
        ResultShapeMismatch: the result's columns or values no longer fit the component's Row.
        ApplicationError: ``invalid_spec`` from a stored spec the component could not have been built for.
    """
    if widget.kind == "custom":
        widget_props(spec=widget.spec, result=result)


def run_under_spec(*, source: DataSource, checked: CheckedSql, widget: Widget, spec: dict[str, Any],
                   now: datetime) -> tuple[dict[str, Any], datetime]:
    """Return the widget's data as ``spec`` (the widget's own with another window: the dashboard's) reads
    it today, and when its oldest part was computed: the same statements, bound to the spec's bounds, each
    run taken from the result cache when computed within the widget's TTL. The companions' windows follow.

    Raises:
        QueryFailed, SqlRejected: a statement failed or is refused now.
        ValueError: the spec's window cannot be resolved for today.
    """
    window = spec.get("time_window")
    companions = {name: ({**c, "spec": {**c["spec"], "time_window": window}}
                         if isinstance(c, dict) and isinstance(c.get("spec"), dict) else c)
                  for name, c in _companions(widget, source, source_today(source, now=now)).items()}
    result, at, _ = _run_for_today(source, checked, widget, now, spec=spec, companions=companions)
    return result_shape(kind=widget.kind, result=result), at


def _run_for_today(source: DataSource, checked: CheckedSql, widget: Widget, now: datetime, *,
                   force: bool = False, spec: dict[str, Any] | None = None,
                   companions: dict[str, Any] | None = None) -> tuple[dict[str, Any], datetime, DataOrigin]:
    """Return the widget's data for the window as it is today (and its comparison), each bound run
    taken from the cache when another widget computed it within the TTL: (result, when the oldest part
    was computed, LIVE when any part ran now, else CACHED). ``spec`` and ``companions`` stand in for the
    widget's own (the dashboard's window)."""
    runs: list[tuple[datetime, DataOrigin]] = []

    def run(*, source: DataSource, sql: str, params: Params | None, deadline_s: float | None = None) -> QueryResult:
        # The widget's statement binds what it uses; a companion's run has bound only its own already.
        used = _used(params, checked.placeholders) if sql == checked.sql else params
        result, at, origin = _cached_or_run(source, sql, widget, now, params=used, force=force)
        runs.append((at, origin))
        return QueryResult(columns=result["columns"], rows=result["rows"], truncated=result["truncated"])

    today = source_today(source, now=now)
    if companions is None:
        companions = _companions(widget, source, today)
    result = widget_data(source=source, spec=spec or widget.spec, sql=checked.sql, today=today, run=run,
                         compare_sql=earlier_sql(source=source, companions=companions))
    # The sparkline and totals are refreshed with the rows they go with; one that fails says why in the result.
    result |= companions_data(source=source, companions=companions, today=today, run=run, shown=result)
    origin = DataOrigin.LIVE if any(o == DataOrigin.LIVE for _, o in runs) else DataOrigin.CACHED
    return result, min(at for at, _ in runs), origin


def _companions(widget: Widget, source: DataSource, today: date) -> dict[str, Any]:
    """Return the widget's companions; a KPI, a table or a compared ranking stored before they existed gets
    them now (written without a model call, so a refresh costs none), kept for the next refresh."""
    stored, spec = widget.companions or {}, widget.spec
    lacking = ((not stored and widget.kind in ("kpi", "table"))
               or (spec.get("ranking") and spec.get("compare") and spec.get("dimensions") and EARLIER not in stored)
               or ((spec.get("ranking") or {}).get("others") and OTHERS not in stored))
    if not lacking:
        return stored
    derived = companions_derive(spec=widget.spec, source=source, today=today)
    if derived:
        Widget.objects.filter(id=widget.id).update(companions=derived)
        widget.companions = derived
    return derived


def _used(params: Params | None, placeholders: frozenset[str]) -> dict[str, date | None] | None:
    """Return the values the statement binds: others change neither its rows nor its cache key."""
    if params is None:
        return None
    return {name: value for name, value in params.items() if name in placeholders}


def _cached_or_run(
    source: DataSource, sql: str, widget: Widget, now: datetime, params: Params | None = None,
    force: bool = False,
) -> tuple[dict[str, Any], datetime, DataOrigin]:
    """Return (result, when it was computed, LIVE or CACHED), caching a fresh result under the SQL
    and the values bound to it (the same statement over another window is another result). With
    ``force`` the statement runs whatever the cache holds.

    Another widget's cached result is used only while it is fresh by this widget's TTL: one
    cached under a longer TTL would otherwise leave this widget stale on every load.
    """
    key = _result_key(source, sql, params)
    hit = None if force else cache.get(key)
    if hit is not None:
        at = datetime.fromisoformat(hit["at"])
        if (now - at).total_seconds() <= widget.cache_ttl_s:
            return hit["result"], at, DataOrigin.CACHED
    ran = sql_execute(source=source, sql=sql, params=params)
    result = _as_dict(ran)
    cache.set(key, {"result": result, "at": now.isoformat()}, timeout=widget.cache_ttl_s)
    return result, now, DataOrigin.LIVE


def _result_key(source: DataSource, sql: str, params: Params | None = None) -> str:
    """Return the cache key of a result: the source, the SQL text and the values bound, an open bound
    and its sentinel date alike. A statement without values keeps the key it always had."""
    material = f"{sql}\x00{params_key(params)}" if params else sql
    return _RESULT_KEY.format(source=source.pk, digest=hashlib.sha256(material.encode()).hexdigest())


def _as_dict(result: QueryResult) -> dict[str, Any]:
    return {"columns": result.columns, "rows": result.rows, "truncated": result.truncated}


def result_shape(*, kind: str, result: dict[str, Any]) -> dict[str, Any]:
    """Return ``result`` shaped for a widget of ``kind``: a KPI shows one row, the rest all rows."""
    rows = result.get("rows", [])
    if kind == "kpi" and len(rows) > 1:
        return {**result, "rows": rows[:1], "truncated": True}
    return dict(result)


def _record_result(widget: Widget, result: dict[str, Any], computed_at: datetime, origin: DataOrigin,
                   now: datetime) -> str:
    """Store a good result unless a newer one landed meanwhile (check-and-set on result_at)."""
    reason = "" if origin == DataOrigin.LIVE else "Reused the cached result of the same query."
    Widget.objects.filter(id=widget.id, result_at=widget.result_at).update(
        result=result, result_at=computed_at, source=origin, source_reason=reason, refreshed_at=now,
    )
    return origin.value


def _record_failure(widget: Widget, origin: DataOrigin, reason: str, now: datetime) -> str:
    """Keep the last good data; say what went wrong and since when."""
    log.warning("widget %s refresh failed (%s): %s", widget.id, origin.value, reason)
    if widget.result_at:
        shown = timezone.localtime(widget.result_at).strftime("%Y-%m-%d %H:%M")
        reason = f"{reason} Showing the last good data, from {shown}."
    Widget.objects.filter(id=widget.id).update(source=origin, source_reason=storable(reason[:2000]), refreshed_at=now)
    return origin.value
