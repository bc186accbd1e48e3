"""Dashboards: create, rename and share, soft delete and restore, and staff opening one read-only."""
from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.errors import ApplicationError, Conflict, ErrorCode, Forbidden, NotFound
from backend.text import text_problem
from widgets import selectors
from widgets.models import Dashboard, DashboardAccess

MAX_NAME_CHARS = 120
# One visit of a staff member to a dashboard is one record: the page, its API reads and the widgets opened
# in it within this time of the last record are that visit, not records of their own.
STAFF_VISIT = timedelta(minutes=30)


def _clean_name(*, user: AbstractBaseUser, name: str, exclude_id: int | None = None) -> str:
    name = name.strip()
    problem = text_problem(name)
    if problem:
        raise ApplicationError(ErrorCode.INVALID_NAME, f"A dashboard's name cannot hold {problem}.")
    if not name or len(name) > MAX_NAME_CHARS:
        raise ApplicationError(ErrorCode.INVALID_NAME, f"Give the dashboard a name of 1 to {MAX_NAME_CHARS} characters.")
    if Dashboard.objects.filter(owner=user, name=name, deleted_at__isnull=True).exclude(id=exclude_id).exists():
        raise ApplicationError(ErrorCode.INVALID_NAME, f"You already have a dashboard called {name!r}.")
    return name


def _saved(dashboard: Dashboard, *, fields: list[str]) -> Dashboard:
    """Save; a name taken meanwhile by a concurrent create (the unique constraint) is ``invalid_name``."""
    try:
        with transaction.atomic():
            dashboard.save(update_fields=fields) if dashboard.pk else dashboard.save()
    except IntegrityError as exc:
        raise ApplicationError(ErrorCode.INVALID_NAME,
                               f"You already have a dashboard called {dashboard.name!r}.") from exc
    return dashboard


def dashboard_create(*, user: AbstractBaseUser, name: str, is_private: bool = True) -> Dashboard:
    """Create a dashboard owned by ``user``.

    Raises:
        ApplicationError: ``invalid_name`` for an empty, too long or duplicate name, or one holding a
            control character.
    """
    return _saved(Dashboard(owner=user, name=_clean_name(user=user, name=name), is_private=is_private), fields=[])


def require_owner(*, user: AbstractBaseUser, dashboard: Dashboard, doing: str = "change it") -> None:
    """Raises Forbidden ("Only the dashboard's owner can <doing>.") unless ``user`` owns ``dashboard``: every
    change to a dashboard or what is on it is its owner's; viewers of a shared one and staff only read it."""
    if dashboard.owner_id != user.pk:
        raise Forbidden(f"Only the dashboard's owner can {doing}.")


def dashboard_update(*, user: AbstractBaseUser, dashboard: Dashboard, name: str | None = None,
                     is_private: bool | None = None) -> Dashboard:
    """Rename the dashboard and/or make it private or shared; return it.

    Raises:
        Forbidden: the user does not own it (staff open others' dashboards read-only).
        ApplicationError: ``invalid_name`` as ``dashboard_create``.
    """
    require_owner(user=user, dashboard=dashboard)
    fields = []
    if name is not None:
        dashboard.name = _clean_name(user=user, name=name, exclude_id=dashboard.id)
        fields.append("name")
    if is_private is not None:
        dashboard.is_private = is_private
        fields.append("is_private")
    return _saved(dashboard, fields=fields) if fields else dashboard


def dashboard_delete(*, user: AbstractBaseUser, dashboard: Dashboard) -> Dashboard:
    """Hide the dashboard from everyone (soft delete); its owner may restore it. Deleting twice is a no-op.

    Raises:
        Forbidden: the user does not own it.
    """
    require_owner(user=user, dashboard=dashboard)
    Dashboard.objects.filter(id=dashboard.id, deleted_at__isnull=True).update(deleted_at=timezone.now())
    dashboard.refresh_from_db(fields=["deleted_at"])
    return dashboard


def dashboard_restore(*, user: AbstractBaseUser, dashboard_id: int) -> Dashboard:
    """Bring back one of the user's deleted dashboards, as it was.

    Raises:
        NotFound: the user owns no such dashboard.
        Conflict: ``not_deleted`` (409, as for a widget) when it is not deleted.
        ApplicationError: ``invalid_name`` when a live dashboard took its name meanwhile (that one must be
            renamed first).
    """
    dashboard = selectors.dashboard_deleted_get(user=user, dashboard_id=dashboard_id)
    if dashboard.deleted_at is None:
        raise Conflict(ErrorCode.NOT_DELETED, "This dashboard is not deleted.")
    if Dashboard.objects.filter(owner=user, name=dashboard.name, deleted_at__isnull=True).exists():
        raise ApplicationError(ErrorCode.INVALID_NAME, f"You have another dashboard called {dashboard.name!r} now; "
                                                       "rename it first.")
    try:
        with transaction.atomic():
            restored = Dashboard.objects.filter(id=dashboard.id, deleted_at__isnull=False).update(deleted_at=None)
    except IntegrityError as exc:
        raise ApplicationError(ErrorCode.INVALID_NAME, f"You have another dashboard called {dashboard.name!r}.") from exc
    if not restored:
        raise Conflict(ErrorCode.NOT_DELETED, "This dashboard is not deleted.")
    dashboard.deleted_at = None
    return dashboard


def dashboard_open(*, user: AbstractBaseUser, dashboard_id: int, via: str) -> Dashboard:
    """Return the dashboard for ``user`` to view: their own or a shared one, or, for staff, any live one —
    read-only, each visit to another user's private dashboard recorded (``DashboardAccess``): one record
    per staff member and dashboard per ``STAFF_VISIT`` (the page and the reads it makes are one visit).

    Raises:
        NotFound: it does not exist, is deleted, or is another user's private one (for non-staff).
    """
    try:
        return selectors.dashboard_get(user=user, dashboard_id=dashboard_id)
    except NotFound:
        if not getattr(user, "is_staff", False):
            raise
    dashboard = selectors.dashboard_staff_get(dashboard_id=dashboard_id)
    if dashboard is None:
        raise NotFound("No such dashboard.")
    recent = DashboardAccess.objects.filter(dashboard=dashboard, staff=user, at__gte=timezone.now() - STAFF_VISIT)
    if not recent.exists():
        DashboardAccess.objects.create(dashboard=dashboard, staff=user, staff_username=user.get_username(), via=via)
    return dashboard
