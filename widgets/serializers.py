"""Input parsing and output shapes for the widgets API. No logic beyond shape."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from backend.errors import ErrorCode
from backend.fields import StrictInput, TextField
from backend.llm.api import route_label
from widgets.models import (
    Dashboard,
    RequestStatus,
    StepName,
    StepState,
    Widget,
    WidgetRequest,
    WidgetStep,
    WidgetVersion,
)
from widgets.selectors import WidgetVocabulary, dimension_keys, open_refinements, widget_vocabulary
from widgets.services.custom import widget_props_or_reason
from widgets.services.dashboard_window import WindowView, window_out
from widgets.services.dashboards import MAX_NAME_CHARS
from widgets.services.interpret import interpretation
from widgets.services.layout import widget_layout
from widgets.services.resolve import FAILURE_ORIGINS, widget_badge
from widgets.services.result_shape import result_readable
from widgets.services.widget_edits import kind_choices


class PromptIn(StrictInput):
    prompt = TextField(multiline=True, allow_blank=True, trim_whitespace=True)
    route_id = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                        help_text="Admins only: the model route every call of this request uses.")


class WidgetPatchIn(StrictInput):
    title = TextField(required=False, allow_blank=True, trim_whitespace=True, max_length=500)
    kind = serializers.CharField(required=False, max_length=40)


class DashboardTargetIn(StrictInput):
    dashboard_id = serializers.IntegerField(min_value=1)


class DuplicateIn(StrictInput):
    dashboard_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class RefineIn(StrictInput):
    prompt = TextField(multiline=True, allow_blank=True, trim_whitespace=True)


def version_out(version: WidgetVersion, *, current: int) -> dict[str, Any]:
    return {
        "id": version.id,
        "number": version.number,
        "source": version.origin,
        "change": version.change,
        "created_by": version.created_by.get_username() if version.created_by else None,
        "created_at": version.created_at.isoformat(),
        "is_current": version.number == current,
        "restored_from": version.restored_from,
        "widget_request_id": version.widget_request_id,
    }


def conversation_out(widget_request: WidgetRequest) -> dict[str, Any]:
    """One turn of a widget's conversation: what was asked, answered, and what came of it."""
    return {
        "request_id": widget_request.id,
        "prompt": widget_request.prompt,
        "answers": widget_request.answers,
        "is_refinement": widget_request.is_refinement,
        "status": widget_request.status,
        "error_message": widget_request.error_message,
        "created_at": widget_request.created_at.isoformat(),
    }


class AnswersIn(StrictInput):
    answers = serializers.DictField(child=TextField(multiline=True, allow_blank=True),
                                    help_text="Question id → answer text.")


# The service's own words for a name that is empty or too long, rather than DRF's "This field may not be
# blank.": the dashboard page shows the API's message as it is.
_NAME_ERRORS = {key: f"Give the dashboard a name of 1 to {MAX_NAME_CHARS} characters." for key in ("blank", "max_length")}


class DashboardIn(StrictInput):
    name = TextField(max_length=MAX_NAME_CHARS, error_messages=_NAME_ERRORS,
                     help_text=f"1 to {MAX_NAME_CHARS} characters, unique among your dashboards.")
    is_private = serializers.BooleanField(default=True, help_text="False shares it with everyone, view-only.")


class DashboardPatchIn(StrictInput):
    name = TextField(max_length=MAX_NAME_CHARS, required=False, error_messages=_NAME_ERRORS)
    is_private = serializers.BooleanField(required=False)
    window = serializers.JSONField(required=False, allow_null=True,
                                   help_text='The time window over every widget, e.g. {"kind": "rolling", "n": 30, '
                                             '"unit": "day"} (a widget spec\'s window shape); null for none.')


_UNREAD: Any = object()


def widget_out(widget: Widget, *, now: datetime | None = None, vocabulary: WidgetVocabulary | None = None,
               viewer: Any = None, refinement: WidgetRequest | None = _UNREAD,
               window_view: WindowView | None = None) -> dict[str, Any]:
    """Return the widget as the dashboard reads it. Pass the ``vocabulary`` of a list of widgets
    (``widget_vocabulary``) to read the dictionary once for all of them, the ``viewer`` (a user) for
    ``can_edit`` (without one, the dashboard's owner is reading), its open ``refinement`` when read
    for many widgets at once (``open_refinements``), and ``window_view`` when the dashboard has a time
    window (``widgets_under_window``: then ``widget`` is as shown under it)."""
    now = now or timezone.now()
    if refinement is _UNREAD:
        refinement = open_refinements(widget_ids=[widget.id]).get(widget.id)
    badge = widget_badge(widget=widget, now=now)
    vocabulary = vocabulary or widget_vocabulary(widgets=[widget])
    # Every reader below gets the result as checked here: one widget's damaged JSON never fails the page.
    result, result_error = result_readable(widget.result)
    can_edit = viewer is None or widget.dashboard.owner_id == viewer.pk
    return {
        "id": widget.id,
        "request_id": widget.request_id,
        "kind": widget.kind,
        "title": widget.title,
        "spec": widget.spec,
        "sql": widget.sql,
        "result": result,
        "result_error": result_error or None,
        "interpretation": widget_interpretation(widget, result=result),
        **_vocabulary_fields(widget, vocabulary),
        "result_at": widget.result_at.isoformat() if widget.result_at else None,
        "source": badge.source,
        "source_label": badge.label,
        "source_reason": badge.reason,
        "age_s": badge.age_s,
        "stale": badge.stale,
        "cache_ttl_s": widget.cache_ttl_s,
        "cost_usd": f"{widget.cost_usd:.4f}",
        "llm_calls": widget.llm_calls,
        # Built without data (the badge says why): trying the request again may build it.
        "can_retry": widget.result_at is None and badge.source in FAILURE_ORIGINS,
        "layout": widget_layout(widget),
        # The dashboard's window: None without one; else whether it applies, and why not: "applied",
        # "not_affected" (nothing in its data has a date) or "failed" (its own figures are shown instead).
        "window_applied": None if window_view is None else window_view.applied,
        "window_status": None if window_view is None else _window_status(window_view),
        "window_reason": window_view.reason or None if window_view is not None else None,
        # Under it, the widget's own window in words: its title may say that one, the figures do not.
        "window_own": window_view.own or None if window_view is not None and window_view.applied else None,
        **_custom_fields(widget, result),
        "version": widget.version,
        "version_count": widget.latest_version,
        "can_edit": can_edit,
        # The kind menu's list (the rule is widget_edits'); only its owner can switch.
        "kind_choices": kind_choices(spec=widget.spec or {}) if can_edit else [],
        "deleted_at": widget.deleted_at.isoformat() if widget.deleted_at else None,
        # The follow-up being worked on, asking a question or failed (not yet put away); None otherwise.
        "refinement": refinement_out(refinement, now=now) if refinement is not None else None,
    }


_SAME_AGAIN = frozenset({ErrorCode.NOT_IN_DATA, ErrorCode.NOT_REFINABLE})


def _window_status(view: WindowView) -> str:
    return "applied" if view.applied else "failed" if view.failed else "not_affected"


def refinement_out(widget_request: WidgetRequest, *, now: datetime) -> dict[str, Any]:
    """A widget's open follow-up, as its card shows it (answer with /api/requests/<id>/answers/)."""
    return {
        "id": widget_request.id,
        "prompt": widget_request.prompt,
        "status": widget_request.status,
        "status_label": status_label(widget_request),
        "questions": widget_request.questions,
        "error_code": widget_request.error_code,
        "error_message": widget_request.error_message,
        "current_steps": _current_steps(widget_request, now),
    }


def _vocabulary_fields(widget: Widget, vocabulary: WidgetVocabulary) -> dict[str, Any]:
    """The widget's metrics as defined now (a metric no longer defined: what its spec says, key, name and
    unit only), and the labels of its dimensions and of the values its rows and filters hold."""
    source_id = vocabulary.source_id(widget)
    spec = widget.spec if isinstance(widget.spec, dict) else {}
    extra = spec.get("extra_metrics")
    refs = [spec.get("metric"), *(extra if isinstance(extra, list) else [])]
    metrics = []
    for ref in (r for r in refs if isinstance(r, dict) and r.get("key")):
        metric = vocabulary.metrics.get((source_id, ref["key"]))
        metrics.append({k: ref.get(k) for k in ("key", "name", "unit")} if metric is None else {
            "key": metric.key, "name": metric.name, "unit": metric.unit, "up_is_good": metric.up_is_good,
            "definition": metric.description, "time_column": metric.time_column or None,
            "additive": metric.additive,
        })
    keys = dimension_keys(spec)
    dimension_labels = {k: vocabulary.dimension_labels[(source_id, k)] for k in keys
                        if (source_id, k) in vocabulary.dimension_labels}
    value_labels = {k: vocabulary.value_labels[(source_id, k)] for k in keys
                    if vocabulary.value_labels.get((source_id, k))}
    return {"metrics": metrics, "value_labels": value_labels, "dimension_labels": dimension_labels}


def widget_interpretation(widget: Widget, *, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """How the widget read its request, with the dates of ``result`` (its stored result as
    ``result_readable`` returns it); None for a spec that cannot be read."""
    try:
        return interpretation(spec=widget.spec, result=result)
    # A spec stored before the widget language had these fields, or one of another shape altogether.
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _custom_fields(widget: Widget, result: dict[str, Any] | None) -> dict[str, Any]:
    """A custom widget's component (source and compiled script) and the props it renders; None otherwise.
    ``props_error`` says why there are no props when a stored result does not fit the component."""
    if widget.kind != "custom":
        return {"tsx": None, "component_js": None, "props": None, "props_error": None}
    props, reason = widget_props_or_reason(spec=widget.spec, result=result)
    return {"tsx": widget.tsx, "component_js": widget.component_js, "props": props, "props_error": reason or None}


def step_out(step: WidgetStep, *, now: datetime) -> dict[str, Any]:
    since = step.started_at if step.state == StepState.RUNNING else step.queued_at
    return {
        "name": step.name,
        "label": StepName(step.name).label,
        "state": step.state,
        "attempts": step.attempts,
        "since": since.isoformat() if since else None,
        "elapsed_s": round((now - since).total_seconds(), 1) if since else None,
        "error_message": step.error_message,
    }


def _current_steps(request: WidgetRequest, now: datetime) -> list[dict[str, Any]]:
    """Return the steps being worked on or waiting for a worker (two at once for a custom widget)."""
    return [step_out(s, now=now) for s in request.steps.all() if s.state in (StepState.QUEUED, StepState.RUNNING)]


def status_label(request: WidgetRequest) -> str:
    """Return the request's status in words: a request for what the data lacks was answered ("Not in the
    data", with the reply), not broken."""
    if request.status == RequestStatus.FAILED and request.error_code == ErrorCode.NOT_IN_DATA:
        return "Not in the data"
    return request.get_status_display()


def request_out(request: WidgetRequest, *, now: datetime | None = None) -> dict[str, Any]:
    widget = getattr(request, "widget", None)
    now = now or timezone.now()
    return {
        "id": request.id,
        "dashboard_id": request.dashboard_id,
        "widget_id": request.widget_id,
        "is_refinement": request.is_refinement,
        "prompt": request.prompt,
        "answers": request.answers,
        "status": request.status,
        "status_label": status_label(request),
        "questions": request.questions,
        "error_code": request.error_code,
        "error_message": request.error_message,
        # Running again reads the same words against the same dictionary: a request for what the data
        # lacks, or a follow-up the widget already shows, is edited, not retried.
        "can_retry": request.status == RequestStatus.FAILED and request.error_code not in _SAME_AGAIN,
        "route_override": route_label(route_id=request.route_override_id) if request.route_override_id else None,
        "current_steps": _current_steps(request, now),
        "widget": widget_out(widget) if widget else None,
    }


def dashboard_out(dashboard: Dashboard, *, user: Any) -> dict[str, Any]:
    return {
        "id": dashboard.id,
        "name": dashboard.name,
        "is_private": dashboard.is_private,
        "owner": dashboard.owner.get_username(),
        "can_edit": dashboard.owner_id == user.pk,
        "window": window_out(dashboard.window),
        "deleted_at": dashboard.deleted_at.isoformat() if dashboard.deleted_at else None,
    }
