"""A dashboard's time window: set on the dashboard, it overrides the window of every widget whose data has
a date to filter on. The stored statements bind their bounds (``:window_start``/``:window_end``), so a
widget under the dashboard's window is the same statement run again with other bounds, never new SQL; a
comparison keeps its kind and moves with the window (the period before it, or the same dates a year
earlier). Each bound run is cached under the statement and the values bound (``resolve._cached_or_run``),
so the widget's own result and its result under the dashboard's window never mix.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from pydantic import ValidationError

from backend.errors import ApplicationError, ErrorCode
from sql_gen.selectors import default_source, source_metrics
from sql_gen.services.safety import SqlRejected
from widgets.models import Dashboard, Widget
from widgets.services.dashboards import require_owner
from widgets.services.data import source_today
from widgets.services.drift import OutOfDate, widget_statement_current
from widgets.services.windows import TimeWindow, describe, describe_dates, resolve

log = logging.getLogger(__name__)


def window_clean(window: Any) -> dict[str, Any] | None:
    """Return ``window`` (the spec's window shape, e.g. ``{"kind": "rolling", "n": 30, "unit": "day"}``) as
    stored, or None to clear it.

    Raises:
        ApplicationError: ``invalid_window`` for a window of another shape, or one that begins after today.
    """
    if window is None:
        return None
    if not isinstance(window, dict):
        raise ApplicationError(ErrorCode.INVALID_WINDOW, "The window is an object such as "
                               '{"kind": "rolling", "n": 30, "unit": "day"}, or null for none.')
    try:
        parsed = TimeWindow.model_validate(window)
        resolve(parsed, today=source_today(default_source()))
    except ValidationError as exc:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()[:3])
        raise ApplicationError(ErrorCode.INVALID_WINDOW, f"That window cannot be read: {reasons}.") from None
    except ValueError as exc:
        raise ApplicationError(ErrorCode.INVALID_WINDOW, f"That window cannot be used: {exc}.") from None
    return parsed.model_dump(mode="json")


def dashboard_window_set(*, user: AbstractBaseUser, dashboard: Dashboard, window: Any) -> Dashboard:
    """Set (or, with None, clear) the dashboard's time window; return the dashboard.

    Raises:
        Forbidden: the user does not own the dashboard.
        ApplicationError: ``invalid_window`` as ``window_clean``.
    """
    require_owner(user=user, dashboard=dashboard, doing="set its time window")
    dashboard.window = window_clean(window)
    Dashboard.objects.filter(id=dashboard.id).update(window=dashboard.window)
    return dashboard


def window_out(window: dict[str, Any] | None, *, now: datetime | None = None) -> dict[str, Any] | None:
    """Return the dashboard's window for the page: the spec shape plus ``text`` ("the last 30 days") and
    ``dates`` ("3 Nov – 2 Dec 2026") as it resolves today; None without one (or one that no longer reads)."""
    if not window:
        return None
    try:
        parsed = TimeWindow.model_validate(window)
        bounds = resolve(parsed, today=source_today(default_source(), now=now)).window
    except ValueError:
        return None
    return {**window, "text": describe(parsed), "dates": describe_dates(bounds)}


@dataclass(frozen=True)
class WindowView:
    """How a widget reads under the dashboard's window: ``applied`` with the spec as run and its ``result``,
    or not, with the ``reason`` (then the widget shows its own data) and whether that is because nothing in
    its data has a date (``failed`` False: not affected) or because applying it failed (``failed`` True: its
    own figures stand in for the dashboard's). ``own`` is the widget's own window in words ("the last 30
    days"), for a card whose title says it while it shows the dashboard's."""

    applied: bool
    reason: str = ""
    failed: bool = False
    own: str = ""
    spec: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    computed_at: datetime | None = None


def spec_under_window(spec: dict[str, Any], window: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` with its window replaced by ``window``; a comparison stays, except on all time (there
    is nothing before it to compare with)."""
    changed = {**spec, "time_window": window}
    if window.get("kind") == "all":
        changed["compare"] = None
    return changed


def widget_window_view(*, widget: Widget, window: dict[str, Any], now: datetime) -> WindowView:
    """Return the widget under the dashboard's ``window``: its statement run again with the window's bounds
    (each run from the result cache when computed within the widget's TTL), or why it is not affected.
    Never raises: a run that fails says so, and the widget keeps its own data."""
    from widgets.services.resolve import run_under_spec  # resolve imports this module's readers

    reason = _not_affected(widget)
    if reason:
        return WindowView(applied=False, reason=reason)
    source = widget.data_source or default_source()
    if source is None:
        return WindowView(applied=False, failed=True, reason="No data source is configured.")
    try:
        checked = widget_statement_current(widget=widget, source=source, today=source_today(source, now=now)).checked
        if "window_start" not in checked.placeholders:
            return WindowView(applied=False, failed=True, reason="Its query has no dates to bind: build it again "
                                                                 "to give it the dashboard's window.")
        spec = spec_under_window(widget.spec, window)
        result, computed_at = run_under_spec(source=source, checked=checked, widget=widget, spec=spec, now=now)
    except OutOfDate as exc:
        return WindowView(applied=False, failed=True, reason=exc.message)
    except SqlRejected as exc:
        return WindowView(applied=False, failed=True, reason=f"Its query is refused now: {exc.message}")
    except ApplicationError as exc:
        return WindowView(applied=False, failed=True,
                          reason=f"The dashboard's window could not be applied: {exc.message}")
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("widget %s under the dashboard window: %s", widget.id, exc)
        return WindowView(applied=False, failed=True, reason=f"The dashboard's window could not be applied: {exc}")
    return WindowView(applied=True, own=_own_words(widget.spec), spec=spec, result=result, computed_at=computed_at)


def _own_words(spec: dict[str, Any]) -> str:
    """Return the spec's own window in words ("the last 30 days"; its comparison moves with the dashboard's
    window, so it is not part of what is replaced), "" for one that cannot be read."""
    try:
        return describe(TimeWindow.model_validate(spec.get("time_window") or {"kind": "all"}))
    except ValueError:  # pydantic's ValidationError included
        return ""


def _not_affected(widget: Widget) -> str:
    """Return why the dashboard's window cannot change the widget ("" when it can)."""
    spec = widget.spec if isinstance(widget.spec, dict) else {}
    if not widget.sql or not isinstance(spec.get("metric"), dict):
        return "It has no query over a metric."
    source = widget.data_source or default_source()
    refs = [spec["metric"], *(m for m in spec.get("extra_metrics") or [] if isinstance(m, dict))]
    keys = [r.get("key") for r in refs if r.get("key")]
    found = source_metrics(source=source, keys=keys) if source else {}
    if found and not any(_dated(m) for m in found.values()):
        names = " and ".join(m.name for m in found.values())
        return f"{names} {'has' if len(found) == 1 else 'have'} no date to filter on."
    return ""


def _dated(metric: Any) -> bool:
    """Tell whether the metric's data has a date (a ratio's, when one of its parts has)."""
    if metric.time_column:
        return True
    parts = [getattr(metric, "numerator", None), getattr(metric, "denominator", None)]
    return metric.kind == metric.Kind.RATIO and any(p is not None and _dated(p) for p in parts)


def widgets_under_window(*, widgets: list[Widget], window: dict[str, Any] | None,
                         now: datetime) -> list[tuple[Widget, WindowView | None]]:
    """Return each widget as the dashboard shows it under ``window``, with its view (None without a window):
    a widget the window applies to is a copy holding the spec as run and its result (never saved; the
    stored widget keeps its own), the others themselves."""
    if not window:
        return [(w, None) for w in widgets]
    shown: list[tuple[Widget, WindowView | None]] = []
    for widget in widgets:
        view = widget_window_view(widget=widget, window=window, now=now)
        if view.applied:
            under = copy.copy(widget)
            under.spec, under.result, under.result_at = view.spec, view.result, view.computed_at
            shown.append((under, view))
        else:
            shown.append((widget, view))
    return shown
