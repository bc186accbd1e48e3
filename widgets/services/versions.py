"""A widget's versions: every change writes one, any can be restored, and undo takes the last change back.

The widget row holds what its current version holds (spec, SQL, component, companions) plus the data
fetched for it. ``version_write`` records the widget's state as its next version; a restore copies an
older version back onto the widget (as a new version, so the history only grows) and fetches its data.
Every write here runs under the widget's row lock, so two changes at once get two numbers, in order.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from backend.errors import Conflict, ErrorCode, NotFound
from widgets.models import DataOrigin, VersionOrigin, Widget, WidgetRequest, WidgetVersion
from widgets.services.dashboards import require_owner
from widgets.services.spec_changes import same_rows

# The fields a version copies from the widget, and back on a restore.
VERSIONED = ("kind", "title", "spec", "sql", "sql_explanation", "tsx", "component_js", "companions")


def require_editor(*, user: AbstractBaseUser, widget: Widget) -> None:
    """Raises Forbidden unless ``user`` owns the widget's dashboard (a shared dashboard is view-only to others)."""
    require_owner(user=user, dashboard=widget.dashboard, doing="change its widgets")


def lock_widget(widget_id: int) -> Widget:
    """Return the widget with its row locked until the transaction ends."""
    return Widget.objects.select_for_update(of=("self",)).select_related("dashboard", "data_source").get(id=widget_id)


def version_write(*, widget: Widget, origin: VersionOrigin, change: str, user: AbstractBaseUser | None,
                  widget_request: WidgetRequest | None = None, restored_from: int | None = None,
                  undoes: int | None = None) -> WidgetVersion:
    """Record what ``widget`` holds now (saved or not) as its next version and save the widget showing it.

    Call under the widget's lock (``lock_widget``) for a widget that exists, in the transaction that holds it.
    """
    number = widget.latest_version + 1
    widget.version = widget.latest_version = number
    widget.save()  # once, showing the version written next (a new widget needs its row for the version's key)
    return WidgetVersion.objects.create(
        widget=widget, number=number, origin=origin, change=change[:500], restored_from=restored_from,
        undoes=undoes, widget_request=widget_request, created_by=user,
        **{name: getattr(widget, name) for name in VERSIONED})


def widget_version_restore(*, user: AbstractBaseUser, widget: Widget, number: int) -> Widget:
    """Show version ``number`` again, as a new version ("restore"), with its data fetched now.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        NotFound: the widget has no such version.
    """
    require_editor(user=user, widget=widget)
    with transaction.atomic():
        locked = lock_widget(widget.id)
        old = _version(locked, number)
        _restore(locked, old, user=user, change=f"Restored version {old.number}.")
    return _fetched(locked)


def widget_undo(*, user: AbstractBaseUser, widget: Widget) -> Widget:
    """Take back the last change: show the version that was shown before it (as a new version).

    Undo after undo keeps going back (an undo's own "before" is the version before the one it restored).

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        Conflict: ``nothing_to_undo`` when the widget is at its first state.
    """
    require_editor(user=user, widget=widget)
    with transaction.atomic():
        locked = lock_widget(widget.id)
        target = undo_target(locked)
        if target is None:
            raise Conflict(ErrorCode.NOTHING_TO_UNDO, "There is nothing to undo: this is the widget as first built.")
        current = locked.version
        _restore(locked, target, user=user, change=f"Undid version {current} (back to version {target.number}).",
                 undoes=current)
    return _fetched(locked)


def undo_target(widget: Widget) -> WidgetVersion | None:
    """Return the version an undo of ``widget``'s last change shows, or None at its first state."""
    current = widget.versions.filter(number=widget.version).first()
    if current is None:
        return None
    # An undo restored version k: undoing again goes before k, not back to what was just undone.
    effective = current.restored_from if current.undoes and current.restored_from else current.number
    return widget.versions.filter(number__lt=effective).order_by("-number").first()


def _version(widget: Widget, number: int) -> WidgetVersion:
    found = widget.versions.filter(number=number).first()
    if found is None:
        raise NotFound(f"This widget has no version {number}.")
    return found


def _restore(widget: Widget, old: WidgetVersion, *, user: AbstractBaseUser, change: str,
             undoes: int | None = None) -> WidgetVersion:
    rows_change = not same_rows(widget.spec, old.spec) or widget.sql != old.sql or widget.kind != old.kind
    for name in VERSIONED:
        setattr(widget, name, getattr(old, name))
    if rows_change:
        clear_result(widget)
    return version_write(widget=widget, origin=VersionOrigin.RESTORE, change=change, user=user,
                         restored_from=old.number, undoes=undoes)


def clear_result(widget: Widget) -> None:
    """Drop data fetched for another version: the widget shows its own version's data or none."""
    widget.result, widget.result_at, widget.refreshed_at = {}, None, None
    widget.source, widget.source_reason = DataOrigin.LIVE, ""


def _fetched(widget: Widget) -> Widget:
    """Fetch the data of a widget whose result was cleared, now; return it as stored."""
    if widget.result_at is None and widget.sql:
        from widgets.services.resolve import widget_refresh

        widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    return widget
