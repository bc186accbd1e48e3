"""Input parsing and output shapes for the widgets API. No logic beyond shape."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from widgets.models import Dashboard, Widget, WidgetRequest
from widgets.services.resolve import widget_badge


class PromptIn(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True, trim_whitespace=True)


class AnswersIn(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True))


def widget_out(widget: Widget, *, now: datetime | None = None) -> dict[str, Any]:
    badge = widget_badge(widget=widget, now=now or timezone.now())
    return {
        "id": widget.id,
        "kind": widget.kind,
        "title": widget.title,
        "spec": widget.spec,
        "sql": widget.sql,
        "result": widget.result,
        "result_at": widget.result_at.isoformat() if widget.result_at else None,
        "source": badge.source,
        "source_label": badge.label,
        "source_reason": badge.reason,
        "age_s": badge.age_s,
        "stale": badge.stale,
        "cache_ttl_s": widget.cache_ttl_s,
        "cost_usd": f"{widget.cost_usd:.4f}",
        "llm_calls": widget.llm_calls,
    }


def request_out(request: WidgetRequest) -> dict[str, Any]:
    widget = getattr(request, "widget", None)
    return {
        "id": request.id,
        "dashboard_id": request.dashboard_id,
        "prompt": request.prompt,
        "answers": request.answers,
        "status": request.status,
        "status_label": request.get_status_display(),
        "questions": request.questions,
        "error_code": request.error_code,
        "error_message": request.error_message,
        "widget": widget_out(widget) if widget else None,
    }


def dashboard_out(dashboard: Dashboard, *, user: Any) -> dict[str, Any]:
    return {
        "id": dashboard.id,
        "name": dashboard.name,
        "is_private": dashboard.is_private,
        "owner": dashboard.owner.get_username(),
        "can_edit": dashboard.owner_id == user.pk,
    }
