"""What the widget endpoints answer, for the OpenAPI schema (drf-spectacular): documentation, not logic.

The answers are built by ``widgets.serializers`` (``widget_out``, ``version_out``, ``conversation_out``) and
``widgets.services.detail``; these serializers describe them.
"""
from __future__ import annotations

from rest_framework import serializers

from backend.pagination import page_of
from widgets.models import VersionOrigin


class KindChoiceOut(serializers.Serializer):
    kind = serializers.CharField(help_text='"kpi", "table" or a chart type.')
    fits = serializers.BooleanField(help_text="It draws the same rows: a PATCH of this kind takes it.")
    reason = serializers.CharField(allow_blank=True, help_text="Why not, when it does not fit.")


class WidgetOut(serializers.Serializer):
    id = serializers.IntegerField()
    request_id = serializers.IntegerField(help_text="The request that first built it (retry goes there).")
    kind = serializers.CharField()
    title = serializers.CharField()
    spec = serializers.DictField()
    sql = serializers.CharField(allow_blank=True)
    result = serializers.DictField(allow_null=True)
    version = serializers.IntegerField(help_text="The number of the version shown.")
    version_count = serializers.IntegerField(help_text="How many versions it has (the newest's number).")
    can_edit = serializers.BooleanField(help_text="The caller owns the dashboard (others only view it).")
    kind_choices = KindChoiceOut(many=True, help_text="The kinds it can be switched to (PATCH kind) and those "
                                                      "that need a refinement, with why; empty for viewers.")
    deleted_at = serializers.DateTimeField(allow_null=True)
    refinement = serializers.DictField(allow_null=True, help_text="Its open follow-up (being worked on, asking, "
                                                                  "or failed and not put away), or null.")


class DeletedOut(serializers.Serializer):
    id = serializers.IntegerField()
    deleted_at = serializers.DateTimeField()


class VersionOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    source = serializers.ChoiceField(choices=VersionOrigin.choices, help_text="What made it.")
    change = serializers.CharField(help_text="What changed from the version before, in words.")
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    is_current = serializers.BooleanField()
    restored_from = serializers.IntegerField(allow_null=True)
    widget_request_id = serializers.IntegerField(allow_null=True)


class TurnOut(serializers.Serializer):
    request_id = serializers.IntegerField()
    prompt = serializers.CharField()
    answers = serializers.ListField(child=serializers.DictField())
    is_refinement = serializers.BooleanField()
    status = serializers.CharField()
    error_message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class CallOut(serializers.Serializer):
    step = serializers.CharField()
    purpose = serializers.CharField()
    tier = serializers.CharField()
    model = serializers.CharField()
    latency_ms = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost_usd = serializers.CharField()
    outcome = serializers.CharField()
    error_code = serializers.CharField(allow_null=True)
    widget_request_id = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()


class InsideOut(serializers.Serializer):
    interpretation = serializers.DictField(allow_null=True)
    spec = serializers.DictField()
    sql = serializers.CharField(allow_blank=True)
    sql_pretty = serializers.CharField(allow_blank=True, help_text="The SQL laid out by sqlglot's pretty printer.")
    sql_explanation = serializers.CharField(allow_null=True)
    tsx = serializers.CharField(allow_null=True, help_text="A custom widget's component source.")
    calls = CallOut(many=True, help_text="Every LLM call of its first request and each refinement.")
    total_cost_usd = serializers.CharField()


class DeletedWidgetOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    deleted_at = serializers.DateTimeField()


VersionPageOut = page_of(VersionOut, "VersionPageOut")
TurnPageOut = page_of(TurnOut, "TurnPageOut")
DeletedPageOut = page_of(DeletedWidgetOut, "DeletedPageOut")
