"""JSON API: parse, call one service or selector, render. Errors are ``{code, message, extra}``
(backend.errors); generation endpoints share the per-user ``GenerationThrottle``."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.pagination import Pagination
from backend.throttles import GenerationThrottle, RefreshThrottle
from widgets import selectors
from widgets.api_shapes import (
    DashboardDetailOut,
    DashboardOut,
    DashboardPageOut,
    LayoutIn,
    LayoutOut,
    RefreshOut,
    RequestOut,
    RequestPageOut,
    answers,
)
from widgets.models import RequestStatus
from widgets.serializers import (
    AnswersIn,
    DashboardIn,
    DashboardPatchIn,
    PromptIn,
    dashboard_out,
    request_out,
    widget_out,
)
from widgets.services.dashboard_window import dashboard_window_set, widgets_under_window
from widgets.services.dashboards import (
    dashboard_create,
    dashboard_delete,
    dashboard_open,
    dashboard_restore,
    dashboard_update,
)
from widgets.services.layout import dashboard_layout_set, widget_layout
from widgets.services.requests import (
    widget_request_answer,
    widget_request_cancel,
    widget_request_create,
    widget_request_dismiss,
    widget_request_retry,
)
from widgets.services.resolve import dashboard_refresh_all, widgets_refresh_stale

TAG_DASHBOARDS, TAG_REQUESTS = ["dashboards"], ["requests"]


class DashboardListApi(APIView):
    @extend_schema(tags=TAG_DASHBOARDS, operation_id="dashboards_list",
                   summary="Your dashboards and everyone's shared ones, by name",
                   parameters=[OpenApiParameter("mine", bool, description="Only your own dashboards (the ones "
                                                                        "you can change).")],
                   responses=answers({200: DashboardPageOut}, errors=(401, 404)))
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        dashboards = selectors.dashboards_visible_to(user=request.user)
        if request.query_params.get("mine", "").lower() in ("1", "true", "yes"):
            dashboards = dashboards.filter(owner=request.user)
        page = paginator.paginate_queryset(dashboards, request, view=self)
        return paginator.get_paginated_response([dashboard_out(d, user=request.user) for d in page or []])

    @extend_schema(tags=TAG_DASHBOARDS, summary="Create a dashboard", request=DashboardIn,
                   responses=answers({201: DashboardOut}, errors=(400, 401)))
    def post(self, request: Request) -> Response:
        data = DashboardIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = dashboard_create(user=request.user, **data.validated_data)
        return Response(dashboard_out(created, user=request.user), status=status.HTTP_201_CREATED)


class DashboardDetailApi(APIView):
    @extend_schema(tags=TAG_DASHBOARDS, summary="A dashboard with all its widgets and your open requests",
                   description="Staff may open any dashboard, read-only; each opening of another user's private "
                               "dashboard is recorded.",
                   responses=answers({200: DashboardDetailOut}, errors=(401, 404)))
    def get(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        body = dashboard_out(dashboard, user=request.user)
        # Stored results go out at once; stale ones are refreshed in the background for the next load.
        widgets, now = list(selectors.dashboard_widgets(dashboard=dashboard)), timezone.now()
        widgets_refresh_stale(widgets=widgets, now=now)
        shown = widgets_under_window(widgets=widgets, window=dashboard.window, now=now)
        vocabulary = selectors.widget_vocabulary(widgets=[w for w, _ in shown])
        refinements = selectors.open_refinements(widget_ids=[w.id for w, _ in shown])
        body["widgets"] = [widget_out(w, now=now, vocabulary=vocabulary, viewer=request.user,
                                      refinement=refinements.get(w.id), window_view=v) for w, v in shown]
        body["requests"] = [
            request_out(r) for r in selectors.dashboard_open_requests(dashboard=dashboard, user=request.user)
        ]
        return Response(body)

    @extend_schema(tags=TAG_DASHBOARDS, summary="Rename it, or make it private or shared (owner only)",
                   request=DashboardPatchIn, responses=answers({200: DashboardOut}))
    def patch(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        data = DashboardPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        with transaction.atomic():
            if "window" in fields:
                dashboard = dashboard_window_set(user=request.user, dashboard=dashboard, window=fields.pop("window"))
            updated = dashboard_update(user=request.user, dashboard=dashboard, **fields)
        return Response(dashboard_out(updated, user=request.user))

    @extend_schema(tags=TAG_DASHBOARDS, summary="Delete it (owner only; restorable)",
                   responses=answers({200: DashboardOut}, errors=(401, 403, 404)))
    def delete(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        return Response(dashboard_out(dashboard_delete(user=request.user, dashboard=dashboard), user=request.user))


class DashboardRestoreApi(APIView):
    @extend_schema(tags=TAG_DASHBOARDS, summary="Restore a deleted dashboard (owner only)", request=None,
                   responses=answers({200: DashboardOut}, errors=(400, 401, 404, 409)))
    def post(self, request: Request, dashboard_id: int) -> Response:
        restored = dashboard_restore(user=request.user, dashboard_id=dashboard_id)
        return Response(dashboard_out(restored, user=request.user))


class WidgetRequestCreateApi(APIView):
    throttle_classes = [GenerationThrottle]

    @extend_schema(tags=TAG_REQUESTS, summary="Ask for a widget in plain language (owner only)", request=PromptIn,
                   responses=answers({202: RequestOut}, errors=(400, 401, 403, 404, 429)))
    def post(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        data = PromptIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = widget_request_create(user=request.user, dashboard=dashboard, prompt=data.validated_data["prompt"],
                                        route_override_id=data.validated_data.get("route_id"))
        return Response(request_out(created), status=status.HTTP_202_ACCEPTED)


class WidgetRequestListApi(APIView):
    @extend_schema(tags=TAG_REQUESTS, operation_id="requests_list", summary="Your requests, newest first",
                   parameters=[OpenApiParameter("dashboard", int, description="Only those on this dashboard."),
                               OpenApiParameter("status", str, enum=[s.value for s in RequestStatus],
                                                description="Only those in this status.")],
                   responses=answers({200: RequestPageOut}, errors=(400, 401, 404)))
    def get(self, request: Request) -> Response:
        dashboard, wanted = request.query_params.get("dashboard"), request.query_params.get("status")
        problems = {}
        if dashboard is not None and not (dashboard.isascii() and dashboard.isdigit() and len(dashboard) < 12):
            problems["dashboard"] = ["A dashboard id: a whole number."]
        if wanted is not None and wanted not in RequestStatus.values:
            problems["status"] = [f"One of: {', '.join(RequestStatus.values)}."]
        if problems:
            raise ValidationError(problems)
        found = selectors.widget_requests_of(user=request.user, dashboard_id=int(dashboard) if dashboard else None,
                                             status=wanted)
        paginator = Pagination()
        page = paginator.paginate_queryset(found, request, view=self)
        now = timezone.now()
        return paginator.get_paginated_response([request_out(r, now=now) for r in page or []])


class WidgetRequestDetailApi(APIView):
    @extend_schema(tags=TAG_REQUESTS, summary="One of your requests: its status, steps and questions",
                   responses=answers({200: RequestOut}, errors=(401, 404)))
    def get(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(found))


class WidgetRequestAnswerApi(APIView):
    throttle_classes = [GenerationThrottle]

    @extend_schema(tags=TAG_REQUESTS, summary="Answer its clarifying questions", request=AnswersIn,
                   responses=answers({202: RequestOut}, errors=(400, 401, 404, 429)))
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        data = AnswersIn(data=request.data)
        data.is_valid(raise_exception=True)
        updated = widget_request_answer(user=request.user, request=found, answers=data.validated_data["answers"])
        return Response(request_out(updated), status=status.HTTP_202_ACCEPTED)


class WidgetRequestDismissApi(APIView):
    @extend_schema(tags=TAG_REQUESTS, summary="Put away a failed, cancelled or unanswered request", request=None,
                   responses=answers({200: RequestOut}, errors=(400, 401, 404)))
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(widget_request_dismiss(user=request.user, request=found)))


class WidgetRequestRetryApi(APIView):
    throttle_classes = [GenerationThrottle]

    @extend_schema(tags=TAG_REQUESTS, summary="Try a failed request again from the step that failed", request=None,
                   responses=answers({202: RequestOut}, errors=(400, 401, 404, 429)))
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(widget_request_retry(user=request.user, request=found)),
                        status=status.HTTP_202_ACCEPTED)


class DashboardLayoutApi(APIView):
    @extend_schema(tags=TAG_DASHBOARDS, summary="Save the order and size of its widgets (owner only)",
                   request=LayoutIn, responses=answers({200: LayoutOut}))
    def post(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        body = request.data if isinstance(request.data, dict) else {}
        placed = dashboard_layout_set(user=request.user, dashboard=dashboard, widgets=body.get("widgets"),
                                      shown=list(selectors.dashboard_widgets(dashboard=dashboard)))
        return Response({"widgets": [{"id": w.id, **widget_layout(w)} for w in placed]})


class WidgetRequestCancelApi(APIView):
    @extend_schema(tags=TAG_REQUESTS, summary="Stop a request being built or waiting for an answer",
                   description="A step already running finishes, but nothing after it runs and no widget is made.",
                   request=None, responses=answers({200: OpenApiResponse(RequestOut)}, errors=(400, 401, 404)))
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(widget_request_cancel(user=request.user, request=found)))


class DashboardRefreshApi(APIView):
    throttle_classes = [RefreshThrottle]  # every widget's queries, now

    @extend_schema(tags=TAG_DASHBOARDS, summary="Refresh all: run every widget's queries again, in the background",
                   request=None, responses=answers({202: RefreshOut}, errors=(401, 403, 404, 429)))
    def post(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        queued = dashboard_refresh_all(user=request.user, dashboard=dashboard)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)
