"""Input parsing and output shapes for the widgets API. No logic beyond shape."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from widgets.models import Dashboard, Widget, WidgetRequest

SOURCE_LABELS = {
    "live": "Live",
    "cached": "Cached",
    "sample": "Sample data",
}


class PromptIn(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True, trim_whitespace=True)


class AnswersIn(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True))


def widget_out(widget: Widget) -> dict[str, Any]:
    return {
        "id": widget.id,
        "kind": widget.kind,
        "title": widget.title,
        "spec": widget.spec,
        "sql": widget.sql,
        "result": widget.result,
        "result_at": widget.result_at.isoformat() if widget.result_at else None,
        "source": widget.source,
        "source_label": SOURCE_LABELS.get(widget.source, widget.source),
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
