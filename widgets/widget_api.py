"""JSON API for one widget: read it, edit it, its versions, its refinements, its data and its detail.

Each view parses, calls one service or selector, renders. Anyone who may see the dashboard reads; only its
owner writes (403 for a viewer of a shared dashboard, 404 for someone who may not see it at all).
"""
from __future__ import annotations

from django.http import HttpResponse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from widgets import selectors
from widgets.serializers import (
    DashboardTargetIn,
    DuplicateIn,
    RefineIn,
    WidgetPatchIn,
    conversation_out,
    request_out,
    version_out,
    widget_out,
)
from widgets.services import widget_edits
from widgets.services.detail import widget_csv, widget_detail
from widgets.services.refine import widget_refine
from widgets.services.versions import widget_undo, widget_version_restore


def _out(widget: object, request: Request, code: int = status.HTTP_200_OK) -> Response:
    return Response(widget_out(widget, viewer=request.user), status=code)  # type: ignore[arg-type]


class WidgetDetailApi(APIView):
    def get(self, request: Request, widget_id: int) -> Response:
        return _out(selectors.widget_get(user=request.user, widget_id=widget_id), request)

    def patch(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        data = WidgetPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        return _out(widget_edits.widget_update(user=request.user, widget=widget, **data.validated_data), request)

    def delete(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id, deleted=True)
        deleted = widget_edits.widget_delete(user=request.user, widget=widget)
        return Response({"id": deleted.id, "deleted_at": deleted.deleted_at.isoformat() if deleted.deleted_at else None})


class WidgetRestoreApi(APIView):
    def post(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id, deleted=True)
        return _out(widget_edits.widget_undelete(user=request.user, widget=widget), request)


class WidgetVersionsApi(APIView):
    def get(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        return Response([version_out(v, current=widget.version) for v in selectors.widget_versions(widget=widget)])


class WidgetVersionRestoreApi(APIView):
    def post(self, request: Request, widget_id: int, number: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        return _out(widget_version_restore(user=request.user, widget=widget, number=number), request)


class WidgetUndoApi(APIView):
    def post(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        return _out(widget_undo(user=request.user, widget=widget), request)


class WidgetRefineApi(APIView):
    # TODO(api): the per-user generation throttle from backend/throttles.py once it lands.
    def post(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        data = RefineIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = widget_refine(user=request.user, widget=widget, prompt=data.validated_data["prompt"])
        return Response(request_out(created), status=status.HTTP_202_ACCEPTED)


class WidgetConversationApi(APIView):
    def get(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        return Response([conversation_out(r) for r in selectors.widget_conversation(widget=widget)])


class WidgetInsideApi(APIView):
    def get(self, request: Request, widget_id: int) -> Response:
        return Response(widget_detail(widget=selectors.widget_get(user=request.user, widget_id=widget_id)))


class WidgetCsvApi(APIView):
    def get(self, request: Request, widget_id: int) -> HttpResponse:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        text, truncated = widget_csv(widget=widget)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="widget-{widget.id}.csv"'
        response["X-Rows-Truncated"] = "true" if truncated else "false"
        return response


class WidgetDuplicateApi(APIView):
    def post(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        data = DuplicateIn(data=request.data)
        data.is_valid(raise_exception=True)
        copy = widget_edits.widget_duplicate(user=request.user, widget=widget,
                                             dashboard_id=data.validated_data.get("dashboard_id"))
        return _out(copy, request, status.HTTP_201_CREATED)


class WidgetMoveApi(APIView):
    def post(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        data = DashboardTargetIn(data=request.data)
        data.is_valid(raise_exception=True)
        return _out(widget_edits.widget_move(user=request.user, widget=widget,
                                             dashboard_id=data.validated_data["dashboard_id"]), request)


class WidgetRefreshApi(APIView):
    def post(self, request: Request, widget_id: int) -> Response:
        widget = selectors.widget_get(user=request.user, widget_id=widget_id)
        return _out(widget_edits.widget_refresh_now(user=request.user, widget=widget), request)


class DashboardHistoryApi(APIView):
    def get(self, request: Request, dashboard_id: int) -> Response:
        dashboard = selectors.dashboard_get(user=request.user, dashboard_id=dashboard_id)
        deleted = selectors.dashboard_deleted_widgets(dashboard=dashboard)
        return Response({"deleted_widgets": [{"id": w.id, "title": w.title, "deleted_at": w.deleted_at.isoformat()}
                                             for w in deleted if w.deleted_at]})
