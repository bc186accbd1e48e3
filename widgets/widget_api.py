"""JSON API for one widget: read it, edit it, its versions, its refinements, its data and its detail.

Each view parses, calls one service or selector, renders. Anyone who may see the dashboard reads; only its
owner writes (403 for a viewer of a shared dashboard, 404 for someone who may not see it at all).
"""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.pagination import paginated
from backend.throttles import GenerationThrottle, RefreshThrottle
from widgets import selectors
from widgets.api_shapes import RequestOut, answers
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
from widgets.services.dashboards import dashboard_open
from widgets.services.detail import widget_csv, widget_detail
from widgets.services.refine import widget_refine
from widgets.services.versions import widget_undo, widget_version_restore
from widgets.widget_shapes import DeletedOut, DeletedPageOut, InsideOut, TurnPageOut, VersionPageOut, WidgetOut

TAG_WIDGETS, TAG_DASHBOARDS = ["widgets"], ["dashboards"]


def _out(widget: object, request: Request, code: int = status.HTTP_200_OK) -> Response:
    return Response(widget_out(widget, viewer=request.user), status=code)  # type: ignore[arg-type]


class WidgetDetailApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="A widget as the dashboard shows it",
                   responses=answers({200: WidgetOut}, errors=(401, 404)))
    def get(self, request: Request, widget_id: int) -> Response:
        return _out(widget_edits.widget_open(user=request.user, widget_id=widget_id), request)

    @extend_schema(tags=TAG_WIDGETS, summary="Change its title, or its kind over the same rows (owner only)", request=WidgetPatchIn,
                   responses=answers({200: WidgetOut}, errors=(400, 401, 403, 404)))
    def patch(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        data = WidgetPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        return _out(widget_edits.widget_update(user=request.user, widget=widget, **data.validated_data), request)

    @extend_schema(tags=TAG_WIDGETS, summary="Delete it (owner only; hidden and restorable)",
                   responses=answers({200: DeletedOut}, errors=(401, 403, 404)))
    def delete(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id, deleted=True)
        deleted = widget_edits.widget_delete(user=request.user, widget=widget)
        return Response({"id": deleted.id, "deleted_at": deleted.deleted_at.isoformat() if deleted.deleted_at else None})


class WidgetRestoreApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Restore a deleted widget (owner only)", request=None,
                   responses=answers({200: WidgetOut}, errors=(401, 403, 404, 409)))
    def post(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id, deleted=True)
        return _out(widget_edits.widget_undelete(user=request.user, widget=widget), request)


class WidgetVersionsApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Its versions, newest first, in pages",
                   responses=answers({200: VersionPageOut}, errors=(401, 404)))
    def get(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        return paginated(request, self, selectors.widget_versions(widget=widget),
                         lambda page: [version_out(v, current=widget.version) for v in page])


class WidgetVersionRestoreApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Show a version again (owner only; a new version)", request=None,
                   responses=answers({200: WidgetOut}, errors=(401, 403, 404)))
    def post(self, request: Request, widget_id: int, number: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        return _out(widget_version_restore(user=request.user, widget=widget, number=number), request)


class WidgetUndoApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Undo the last change (owner only; 409 nothing_to_undo at the first state)", request=None,
                   responses=answers({200: WidgetOut}, errors=(401, 403, 404, 409)))
    def post(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        return _out(widget_undo(user=request.user, widget=widget), request)


class WidgetRefineApi(APIView):
    throttle_classes = [GenerationThrottle]  # a refinement runs the model, like a new request

    @extend_schema(tags=TAG_WIDGETS, summary="A follow-up edit in words (owner only); poll /api/requests/<id>/", request=RefineIn,
                   responses=answers({202: RequestOut}, errors=(400, 401, 403, 404, 409, 429)))
    def post(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        data = RefineIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = widget_refine(user=request.user, widget=widget, prompt=data.validated_data["prompt"])
        return Response(request_out(created), status=status.HTTP_202_ACCEPTED)


class WidgetConversationApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Its conversation: the first request and each follow-up, oldest first, in pages",
                   responses=answers({200: TurnPageOut}, errors=(401, 404)))
    def get(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        return paginated(request, self, selectors.widget_conversation(widget=widget),
                         lambda page: [conversation_out(r) for r in page])


class WidgetInsideApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Its detail: interpretation, spec, SQL, component, every LLM call and the total cost",
                   responses=answers({200: InsideOut}, errors=(401, 404)))
    def get(self, request: Request, widget_id: int) -> Response:
        return Response(widget_detail(widget=widget_edits.widget_open(user=request.user, widget_id=widget_id)))


class WidgetCsvApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Its rows as CSV, with labels; a cut result ends with a row starting with #",
                   responses=answers({(200, "text/csv"): OpenApiTypes.STR}, errors=(401, 404)))
    def get(self, request: Request, widget_id: int) -> HttpResponse:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        text, truncated = widget_csv(widget=widget)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="widget-{widget.id}.csv"'
        response["X-Rows-Truncated"] = "true" if truncated else "false"
        return response


class WidgetDuplicateApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Copy it onto one of your dashboards (owner only)", request=DuplicateIn,
                   responses=answers({201: WidgetOut}, errors=(400, 401, 403, 404)))
    def post(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        data = DuplicateIn(data=request.data)
        data.is_valid(raise_exception=True)
        copy = widget_edits.widget_duplicate(user=request.user, widget=widget,
                                             dashboard_id=data.validated_data.get("dashboard_id"))
        return _out(copy, request, status.HTTP_201_CREATED)


class WidgetMoveApi(APIView):
    @extend_schema(tags=TAG_WIDGETS, summary="Move it to another of your dashboards (owner only)", request=DashboardTargetIn,
                   responses=answers({200: WidgetOut}, errors=(400, 401, 403, 404)))
    def post(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        data = DashboardTargetIn(data=request.data)
        data.is_valid(raise_exception=True)
        return _out(widget_edits.widget_move(user=request.user, widget=widget,
                                             dashboard_id=data.validated_data["dashboard_id"]), request)


class WidgetRefreshApi(APIView):
    throttle_classes = [RefreshThrottle]  # a forced run of its queries, skipping the cache

    @extend_schema(tags=TAG_WIDGETS, summary="Run its query now (owner only)", request=None,
                   responses=answers({200: WidgetOut}, errors=(401, 403, 404, 429)))
    def post(self, request: Request, widget_id: int) -> Response:
        widget = widget_edits.widget_open(user=request.user, widget_id=widget_id)
        return _out(widget_edits.widget_refresh_now(user=request.user, widget=widget), request)


class DashboardHistoryApi(APIView):
    @extend_schema(tags=TAG_DASHBOARDS, summary="A dashboard's deleted widgets, restorable, the latest first, in pages",
                   responses=answers({200: DeletedPageOut}, errors=(401, 404)))
    def get(self, request: Request, dashboard_id: int) -> Response:
        dashboard = dashboard_open(user=request.user, dashboard_id=dashboard_id, via="api")
        return paginated(request, self, selectors.dashboard_deleted_widgets(dashboard=dashboard),
                         lambda page: [{"id": w.id, "title": w.title, "deleted_at": w.deleted_at.isoformat()}
                                       for w in page if w.deleted_at])
