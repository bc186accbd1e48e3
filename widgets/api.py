"""JSON API for the dashboard page: parse, call one service or selector, render."""
from __future__ import annotations

from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from widgets import selectors
from widgets.serializers import AnswersIn, PromptIn, dashboard_out, request_out, widget_out
from widgets.services.layout import dashboard_layout_set, widget_layout
from widgets.services.requests import (
    widget_request_answer,
    widget_request_create,
    widget_request_dismiss,
    widget_request_retry,
)
from widgets.services.resolve import widgets_refresh_stale


class DashboardListApi(APIView):
    def get(self, request: Request) -> Response:
        dashboards = selectors.dashboards_visible_to(user=request.user)
        return Response([dashboard_out(d, user=request.user) for d in dashboards])


class DashboardDetailApi(APIView):
    def get(self, request: Request, dashboard_id: int) -> Response:
        dashboard = selectors.dashboard_get(user=request.user, dashboard_id=dashboard_id)
        body = dashboard_out(dashboard, user=request.user)
        # Stored results go out at once; stale ones are refreshed in the background for the next load.
        widgets, now = list(selectors.dashboard_widgets(dashboard=dashboard)), timezone.now()
        widgets_refresh_stale(widgets=widgets, now=now)
        vocabulary = selectors.widget_vocabulary(widgets=widgets)
        body["widgets"] = [widget_out(w, now=now, vocabulary=vocabulary) for w in widgets]
        body["requests"] = [
            request_out(r) for r in selectors.dashboard_open_requests(dashboard=dashboard, user=request.user)
        ]
        return Response(body)


class WidgetRequestCreateApi(APIView):
    def post(self, request: Request, dashboard_id: int) -> Response:
        dashboard = selectors.dashboard_get(user=request.user, dashboard_id=dashboard_id)
        data = PromptIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = widget_request_create(user=request.user, dashboard=dashboard, prompt=data.validated_data["prompt"],
                                        route_override_id=data.validated_data.get("route_id"))
        return Response(request_out(created), status=status.HTTP_202_ACCEPTED)


class WidgetRequestDetailApi(APIView):
    def get(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(found))


class WidgetRequestAnswerApi(APIView):
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        data = AnswersIn(data=request.data)
        data.is_valid(raise_exception=True)
        updated = widget_request_answer(user=request.user, request=found, answers=data.validated_data["answers"])
        return Response(request_out(updated), status=status.HTTP_202_ACCEPTED)


class WidgetRequestDismissApi(APIView):
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(widget_request_dismiss(user=request.user, request=found)))


class WidgetRequestRetryApi(APIView):
    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.widget_request_get(user=request.user, request_id=request_id)
        return Response(request_out(widget_request_retry(user=request.user, request=found)),
                        status=status.HTTP_202_ACCEPTED)


class DashboardLayoutApi(APIView):
    def post(self, request: Request, dashboard_id: int) -> Response:
        dashboard = selectors.dashboard_get(user=request.user, dashboard_id=dashboard_id)
        body = request.data if isinstance(request.data, dict) else {}
        placed = dashboard_layout_set(user=request.user, dashboard=dashboard, widgets=body.get("widgets"),
                                      shown=list(selectors.dashboard_widgets(dashboard=dashboard)))
        return Response({"widgets": [{"id": w.id, **widget_layout(w)} for w in placed]})
