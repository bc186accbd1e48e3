"""Server-rendered pages; the dashboard page drives the JSON API from static JS."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from backend.errors import ApplicationError, NotFound
from backend.llm.models import ModelRoute
from widgets import selectors
from widgets.services.requests import dashboard_create as create_dashboard


@login_required
def dashboard_list(request: HttpRequest) -> HttpResponse:
    dashboards = selectors.dashboards_visible_to(user=request.user)
    return render(request, "widgets/dashboard_list.html", {"dashboards": dashboards})


@login_required
@require_POST
def dashboard_create(request: HttpRequest) -> HttpResponse:
    try:
        dashboard = create_dashboard(
            user=request.user,
            name=request.POST.get("name", ""),
            is_private=request.POST.get("shared") != "on",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-list")
    return redirect("dashboard-detail", dashboard_id=dashboard.id)


@login_required
def dashboard_detail(request: HttpRequest, dashboard_id: int) -> HttpResponse:
    try:
        dashboard = selectors.dashboard_get(user=request.user, dashboard_id=dashboard_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    can_edit = dashboard.owner_id == request.user.pk
    # Admins may force one model for a request (recorded as such in the call ledger).
    routes = ModelRoute.objects.select_related("tier").order_by("tier__name", "position") \
        if can_edit and request.user.is_staff else []
    return render(
        request,
        "widgets/dashboard.html",
        {"dashboard": dashboard, "can_edit": can_edit, "routes": routes},
    )
