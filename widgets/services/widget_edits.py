"""Direct edits of a widget, without the model: title, kind among kinds that fit the same rows, delete and
restore, duplicate, move, and refresh now.

A kind fits the same rows when the statement the widget has answers it unchanged: the spec's row fields
(``spec_changes.ROW_FIELDS``) stay as they are and the spec with the new kind is still valid. What that
allows, from the spec language's own rules (``spec._inconsistency``):

============  =======================================================================================
to            needs (else ``kind_needs_refine``, with the spec language's reason)
============  =======================================================================================
line, area,   a chart's x axis: a dimension or a grain (at most two groupings); a KPI never fits (its
bar, h. bar   one row has no axis: "a KPI into a chart by month" is new SQL, a refinement)
stacked_*     two groupings (two dimensions, or a dimension and a grain)
pie, donut    one metric split by one dimension, no grain
scatter       two metrics and a dimension
table         any chart's rows; a KPI's one row (its sparkline's grain is dropped)
kpi           one metric, no dimension, no grain for rows, no ranking (a one-row table)
custom        never: a custom widget's component is written by the model (a refinement)
============  =======================================================================================

A custom widget changes kind only by refinement too: its component fits its own columns.
"""
from __future__ import annotations

from typing import Any, get_args

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from backend.errors import ApplicationError, ErrorCode, NotFound
from backend.text import storable
from sql_gen.selectors import default_source
from widgets import selectors
from widgets.models import Dashboard, VersionOrigin, Widget
from widgets.services.companions import companions_derive
from widgets.services.dashboards import dashboard_open
from widgets.services.data import source_today
from widgets.services.resolve import widget_refresh
from widgets.services.spec import ChartKind, WidgetSpec
from widgets.services.spec_changes import change_words, display_kind, same_rows
from widgets.services.versions import Conflict, clear_result, lock_widget, require_editor, version_write

KINDS: tuple[str, ...] = ("kpi", "table", *get_args(ChartKind))
MAX_TITLE_CHARS = 120


def widget_open(*, user: AbstractBaseUser, widget_id: int, deleted: bool = False) -> Widget:
    """Return a widget ``user`` may view (``selectors.widget_get``), or, for staff, one on any live dashboard,
    read-only, the opening of another user's private dashboard recorded as ``dashboard_open`` records it.

    Raises:
        NotFound: as ``selectors.widget_get`` for everyone who is not staff; for staff, no such widget.
    """
    try:
        return selectors.widget_get(user=user, widget_id=widget_id, deleted=deleted)
    except NotFound:
        if not getattr(user, "is_staff", False):
            raise
    widgets = Widget.objects.filter(id=widget_id, dashboard__deleted_at__isnull=True)
    found = (widgets if deleted else widgets.filter(deleted_at__isnull=True)).select_related(
        "dashboard", "data_source").first()
    if found is None:
        raise NotFound("No such widget.")
    dashboard_open(user=user, dashboard_id=found.dashboard_id, via="api")
    return found


def widget_update(*, user: AbstractBaseUser, widget: Widget, title: str | None = None,
                  kind: str | None = None) -> Widget:
    """Change the title and/or the kind (``KINDS``: "kpi", "table" or a chart type) and write a version
    ("edit"); nothing changes, and no version is written, when both are as they were.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        ApplicationError: ``invalid_title``; ``invalid_kind`` for a kind not in ``KINDS``;
            ``kind_needs_refine`` (with ``extra.reason``) for a kind the widget's rows do not fit.
    """
    require_editor(user=user, widget=widget)
    if title is not None:
        title = " ".join(storable(title).split())
        if not title or len(title) > MAX_TITLE_CHARS:
            raise ApplicationError(ErrorCode.INVALID_TITLE, f"Give the widget a title of 1 to {MAX_TITLE_CHARS} "
                                                            "characters.")
    if kind is not None and kind not in KINDS:
        raise ApplicationError(ErrorCode.INVALID_KIND, f"{kind!r} is not a kind; use one of {', '.join(KINDS)}.",
                               {"kinds": list(KINDS)})
    with transaction.atomic():
        locked = lock_widget(widget.id)
        old = locked.spec
        new = dict(old)
        if kind is not None and kind != display_kind(old):
            new = spec_with_kind(old, kind)
        if title is not None:
            new["title"] = title
        if new == old:
            return locked
        kind_changed = new["kind"] != old.get("kind")
        locked.spec, locked.kind, locked.title = new, new["kind"], new["title"]
        if kind_changed:  # a KPI and a table have other companions (sparkline, totals) and row shapes
            _rederive(locked)
        version_write(widget=locked, origin=VersionOrigin.EDIT, change=change_words(old, new), user=user)
    if locked.result_at is None and locked.sql:
        widget_refresh(widget_id=locked.id, force=True)
        locked.refresh_from_db()
    return locked


def spec_with_kind(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return ``spec`` drawn as ``kind`` over the same rows.

    Raises:
        ApplicationError: ``kind_needs_refine`` when ``kind`` needs other rows or a component.
    """
    current = display_kind(spec)
    if spec.get("kind") == "custom":
        raise _needs_refine(current, kind, "a custom widget's component is written for its own columns")
    new = dict(spec)
    if kind in ("kpi", "table"):
        new["kind"], new["chart_type"] = kind, None
    else:
        new["kind"], new["chart_type"] = "chart", kind
    if spec.get("kind") == "kpi" and kind != "kpi":
        if kind != "table":
            raise _needs_refine(current, kind, "a KPI's one number has no axis to draw; a chart over time or by "
                                               "a dimension needs new SQL")
        new["sparkline"], new["grain"] = False, None
    if kind == "kpi":
        new["sparkline"] = False
    if not same_rows(spec, new):
        reason = ("a KPI shows one number, and these rows are grouped" if kind == "kpi"
                  else "it would need other rows")
        raise _needs_refine(current, kind, reason)
    try:
        WidgetSpec.model_validate(new)
    except ValidationError as exc:
        reason = str(exc.errors()[0].get("ctx", {}).get("error") or exc.errors()[0]["msg"])
        raise _needs_refine(current, kind, reason.removeprefix("Value error, ")) from exc
    return new


def kind_choices(*, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every kind but the current one as ``{"kind", "fits", "reason"}``: whether ``widget_update`` takes
    it without new SQL (``spec_with_kind``), and if not why, as a sentence. The card's kind menu shows this
    list, so the rule lives here only. A custom widget has none: its kind changes by refinement; nor has a
    spec that no longer validates."""
    if not isinstance(spec, dict) or spec.get("kind") == "custom":
        return []
    try:
        WidgetSpec.model_validate(spec)
    except ValidationError:  # a stored spec of another shape: no switch offered, and the page still loads
        return []
    current = display_kind(spec)
    choices = []
    for kind in KINDS:
        if kind == current:
            continue
        try:
            spec_with_kind(spec, kind)
        except ApplicationError as exc:
            reason = str(exc.extra.get("reason") or exc.message)
            choices.append({"kind": kind, "fits": False, "reason": reason[:1].upper() + reason[1:] + "."})
        else:
            choices.append({"kind": kind, "fits": True, "reason": ""})
    return choices


def _needs_refine(current: str, kind: str, reason: str) -> ApplicationError:
    return ApplicationError(
        ErrorCode.KIND_NEEDS_REFINE,
        f"This {current.replace('_', ' ')} cannot become a {kind.replace('_', ' ')} over the same rows: {reason}. "
        "Ask for it as a refinement instead.", {"reason": reason, "kind": kind})


def _rederive(widget: Widget) -> None:
    """Write the companions of the widget's new kind and drop data shaped for the old one (fetched again)."""
    source = widget.data_source or default_source()
    if source is not None:
        widget.companions = companions_derive(spec=widget.spec, source=source, today=source_today(source))
    clear_result(widget)


def widget_delete(*, user: AbstractBaseUser, widget: Widget) -> Widget:
    """Hide the widget (kept, restorable from the dashboard's history); deleting a deleted one is a no-op.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
    """
    require_editor(user=user, widget=widget)
    now = timezone.now()
    Widget.objects.filter(id=widget.id, deleted_at__isnull=True).update(deleted_at=now)
    widget.refresh_from_db(fields=["deleted_at"])
    return widget


def widget_undelete(*, user: AbstractBaseUser, widget: Widget) -> Widget:
    """Show a deleted widget again, where it was.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        Conflict: ``not_deleted`` for a widget that is not deleted.
    """
    require_editor(user=user, widget=widget)
    if not Widget.objects.filter(id=widget.id, deleted_at__isnull=False).update(deleted_at=None):
        raise Conflict(ErrorCode.NOT_DELETED, "This widget is not deleted.")
    widget.deleted_at = None
    return widget


def _target_dashboard(*, user: AbstractBaseUser, dashboard_id: int) -> Dashboard:
    """Return one of ``user``'s own dashboards. Raises NotFound for any other (the same answer for all)."""
    found = Dashboard.objects.filter(id=dashboard_id, owner=user).first()
    if found is None or getattr(found, "deleted_at", None) is not None:
        raise NotFound("No such dashboard of yours.")
    return found


def widget_duplicate(*, user: AbstractBaseUser, widget: Widget, dashboard_id: int | None = None) -> Widget:
    """Copy the widget as it is now (its current version and data) onto one of ``user``'s dashboards (its
    own by default), as a new widget whose version 1 says where it came from.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        NotFound: ``dashboard_id`` is not one of ``user``'s dashboards.
    """
    require_editor(user=user, widget=widget)
    target = _target_dashboard(user=user, dashboard_id=dashboard_id or widget.dashboard_id)
    copy = Widget.objects.get(id=widget.id)
    copy.pk = copy.id = None
    copy.dashboard, copy.version, copy.latest_version, copy.deleted_at = target, 0, 0, None
    copy.created_at = None  # auto_now_add sets it again
    with transaction.atomic():
        version_write(widget=copy, origin=VersionOrigin.CREATE, user=user,
                      change=f"Duplicated from “{widget.title}” (version {widget.version}).")
    return copy


def widget_move(*, user: AbstractBaseUser, widget: Widget, dashboard_id: int) -> Widget:
    """Move the widget, with its versions and conversation, to another of ``user``'s dashboards. Not a version:
    what it shows is unchanged.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        NotFound: ``dashboard_id`` is not one of ``user``'s dashboards.
    """
    require_editor(user=user, widget=widget)
    target = _target_dashboard(user=user, dashboard_id=dashboard_id)
    Widget.objects.filter(id=widget.id).update(dashboard=target)
    widget.dashboard = target
    return widget


def widget_refresh_now(*, user: AbstractBaseUser, widget: Widget) -> Widget:
    """Run the widget's query now (not from the shared result cache) and return it with what came back; a
    failure is on its badge, the last good data kept.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard (a viewer's load refreshes stale data anyway).
    """
    require_editor(user=user, widget=widget)
    if widget.sql:
        widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    return widget

