"""What the API's answers look like, for the OpenAPI schema (drf-spectacular): documentation, not logic.

The answers themselves are built by ``widgets.serializers`` (``dashboard_out``, ``request_out``,
``widget_out``); these serializers describe them so /api/schema/ tells the truth.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from backend.fields import StrictInput
from backend.pagination import page_of
from widgets.models import RequestStatus


class ErrorOut(serializers.Serializer):
    code = serializers.CharField(help_text="A stable code (backend.errors.ErrorCode), e.g. `not_found`.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    extra = serializers.DictField(help_text="Structured detail, e.g. `fields` for a validation error.")


class DashboardOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_private = serializers.BooleanField()
    owner = serializers.CharField(help_text="The owner's username.")
    can_edit = serializers.BooleanField(help_text="The caller owns it (others, staff too, only view it).")
    deleted_at = serializers.DateTimeField(allow_null=True)
    window = serializers.DictField(
        allow_null=True, help_text="The dashboard's time window (a widget spec's window shape) with `text` and "
                                   "`dates` as it resolves today; it overrides every widget's own. Null: none.")


class LayoutEntry(StrictInput):
    id = serializers.IntegerField()
    position = serializers.IntegerField(min_value=0)
    width = serializers.IntegerField(min_value=1, max_value=3, help_text="Columns, 1 to 3.")
    height = serializers.ChoiceField(choices=["S", "M", "L"])


class LayoutIn(StrictInput):
    widgets = LayoutEntry(many=True, help_text="Some or all of the dashboard's widgets; the others follow.")


class LayoutOut(serializers.Serializer):
    widgets = LayoutEntry(many=True, help_text="Every widget of the dashboard, in order.")


class RefreshOut(serializers.Serializer):
    queued = serializers.ListField(child=serializers.IntegerField(), help_text="The widgets being refreshed.")


class StepOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    since = serializers.DateTimeField(allow_null=True)
    elapsed_s = serializers.FloatField(allow_null=True)
    error_message = serializers.CharField(allow_blank=True)


class RequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    dashboard_id = serializers.IntegerField()
    prompt = serializers.CharField()
    answers = serializers.ListField(child=serializers.DictField())
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.CharField()
    questions = serializers.ListField(child=serializers.DictField())
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    can_retry = serializers.BooleanField()
    route_override = serializers.CharField(allow_null=True)
    current_steps = StepOut(many=True)
    widget = serializers.DictField(allow_null=True, help_text="The widget once built (as in a dashboard's widgets).")


class DashboardDetailOut(DashboardOut):
    widgets = serializers.ListField(child=serializers.DictField(), help_text="Every widget, whole (not paginated).")
    requests = RequestOut(many=True, help_text="The caller's open requests on this dashboard.")


DashboardPageOut = page_of(DashboardOut, "DashboardPageOut")
RequestPageOut = page_of(RequestOut, "RequestPageOut")


_ERRORS = {
    400: "Bad input (`invalid`, `parse_error`, `json_too_deep`, `invalid_text`, or the endpoint's own codes).",
    401: "Not authenticated (`WWW-Authenticate: Bearer`).",
    403: "Authenticated but not allowed (`forbidden`).",
    404: "No such object, or another user's private one (`not_found`).",
    409: "Not in a state for this (`nothing_to_undo`, `not_deleted`, `not_refinable`).",
    413: "The body is too large (`body_too_large`).",
    429: "Too many generation or refresh calls (`throttled`, with `Retry-After`).",
}


def answers(ok: dict[int, Any], *, errors: tuple[int, ...] = (400, 401, 403, 404)) -> dict[int, Any]:
    """Return drf-spectacular ``responses``: the success shapes plus the listed error statuses, as ErrorOut."""
    return {**ok, **{status: OpenApiResponse(ErrorOut, description=_ERRORS[status]) for status in errors}}

