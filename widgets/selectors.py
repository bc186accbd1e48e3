"""Read-side queries. Every lookup is scoped to what the user may see."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from backend.errors import NotFound
from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest


def dashboards_visible_to(*, user: AbstractBaseUser) -> QuerySet[Dashboard]:
    """Return the user's own dashboards and everyone's shared (non-private) ones."""
    return Dashboard.objects.filter(Q(owner=user) | Q(is_private=False)).select_related("owner")


def dashboard_get(*, user: AbstractBaseUser, dashboard_id: int) -> Dashboard:
    """Return the dashboard if the user may see it.

    Raises:
        NotFound: it does not exist or is another user's private dashboard (the
            two look the same, so ids cannot be probed).
    """
    dashboard = dashboards_visible_to(user=user).filter(id=dashboard_id).first()
    if dashboard is None:
        raise NotFound("No such dashboard.")
    return dashboard


def widget_request_get(*, user: AbstractBaseUser, request_id: int) -> WidgetRequest:
    """Return one of the user's own requests.

    Raises:
        NotFound: it does not exist or belongs to someone else.
    """
    found = (WidgetRequest.objects.filter(id=request_id, user=user)
             .select_related("dashboard").prefetch_related("steps").first())
    if found is None:
        raise NotFound("No such request.")
    return found


def dashboard_widgets(*, dashboard: Dashboard) -> QuerySet[Widget]:
    return dashboard.widgets.select_related("data_source")


def dashboard_open_requests(*, dashboard: Dashboard, user: AbstractBaseUser) -> QuerySet[WidgetRequest]:
    """Return the user's requests on this dashboard that have not become a widget and were not dismissed.

    A failed request that left a widget without data is not listed: that widget's badge tells the story.
    """
    return (
        dashboard.requests.filter(user=user, dismissed=False)
        .exclude(status=RequestStatus.READY)
        .exclude(status=RequestStatus.FAILED, widget__isnull=False)
        .prefetch_related("steps")
        .order_by("created_at", "id")
    )
