"""One widget request, start to finish: clarify → spec → (custom: TSX) → SQL → check → execute → store.

``run`` is safe to call twice for the same request: it claims the request with
a check-and-set and does nothing if another run already has it.

A custom widget's component is written and type-checked before any SQL is spent on it: a
component that fails the check, also after one correction, fails the request.

Once a spec exists, a failure to get its data still stores the widget, without data
and with a badge saying why (LLM unavailable, SQL rejected, query failed): the
analyst sees what was understood and can try again from there.

A job Dramatiq stops at its time limit fails the request with code ``time_limit``; it would
otherwise stay running for good.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from dramatiq.middleware import Interrupt, TimeLimitExceeded

from backend.errors import ApplicationError
from backend.llm.gateway import CallContext
from backend.llm.models import LLMCall
from backend.llm.types import LLMError
from sql_gen.models import MetricDefinition
from sql_gen.selectors import catalog as build_catalog
from sql_gen.selectors import default_source
from sql_gen.services.execute import QueryFailed, QueryResult
from sql_gen.services.generate import GenerationTimedOut, sql_generate
from sql_gen.services.safety import SqlRejected
from widgets.models import DataOrigin, RequestStatus, Widget, WidgetRequest
from widgets.services.clarifier import intent_extract
from widgets.services.custom import props_interface, tsx_generate, widget_props
from widgets.services.spec import spec_synthesize

log = logging.getLogger(__name__)


def run(*, request_id: int, final_attempt: bool = True, time_limit_s: int | None = None) -> str:
    """Advance a pending request as far as it can go and return its new status.

    ``time_limit_s`` is the job's own limit, named in the failure when Dramatiq stops the job.

    Raises:
        LLMError: a retryable model failure when ``final_attempt`` is False; the
            request is put back to pending so a retry can claim it again.
        Interrupt: Dramatiq stopped the job (``TimeLimitExceeded``); the request is failed first,
            since the exception (a BaseException) passes every other handler here.
    """
    claimed = WidgetRequest.objects.filter(id=request_id, status=RequestStatus.PENDING).update(
        status=RequestStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        log.info("widget request %s is not pending; nothing to do", request_id)
        return WidgetRequest.objects.filter(id=request_id).values_list("status", flat=True).first() or "missing"
    request = WidgetRequest.objects.select_related("dashboard").get(id=request_id)
    try:
        return _advance(request, final_attempt=final_attempt)
    except LLMError as exc:
        if exc.retryable and not final_attempt:
            _set_status(request, RequestStatus.PENDING)
            raise
        return _fail(request, code="llm_unavailable" if exc.retryable else exc.code, message=exc.message)
    except ApplicationError as exc:
        return _fail(request, code=exc.code, message=exc.message)
    except Exception:
        log.exception("widget request %s failed unexpectedly", request_id)
        return _fail(request, code="internal_error",
                     message="Something went wrong while building this widget; the error has been logged.")
    except Interrupt as exc:
        _interrupted(request, exc, time_limit_s=time_limit_s)
        raise


def _interrupted(request: WidgetRequest, exc: Interrupt, *, time_limit_s: int | None) -> str:
    """Fail a request whose job Dramatiq stopped; without this it would stay RUNNING for good (a retry
    only claims a pending request)."""
    log.warning("widget request %s stopped by %s", request.id, type(exc).__name__)
    if not isinstance(exc, TimeLimitExceeded):  # a worker shutdown, when ShutdownNotifications is enabled
        return _fail(request, code="interrupted",
                     message="The worker stopped while building this widget; try again.")
    took = f"longer than {time_limit_s} s" if time_limit_s else "too long"
    return _fail(request, code="time_limit",
                 message=f"Building this widget took {took} and was stopped; try again or ask for something simpler.")


def _advance(request: WidgetRequest, *, final_attempt: bool) -> str:
    source = default_source()
    if source is None:
        raise ApplicationError("no_data_source", "No data source is configured; an admin must add one.")
    catalog = build_catalog(source=source)
    context = CallContext(user_id=request.user_id, widget_request_id=request.id,
                          override_route_id=request.route_override_id)
    intent = intent_extract(prompt=request.prompt, answers=request.answers, catalog=catalog, context=context)
    request.intent = intent.model_dump(mode="json")
    if intent.questions:
        request.questions = [q.model_dump() for q in intent.questions]
        request.save(update_fields=["intent", "questions", "updated_at"])
        return _set_status(request, RequestStatus.NEEDS_CLARIFICATION)
    request.save(update_fields=["intent", "updated_at"])
    spec = spec_synthesize(request_text=request.prompt, intent=request.intent, catalog=catalog, context=context)
    metric = MetricDefinition.objects.select_related("numerator", "denominator", "source").get(
        source=source, key=spec.metric.key
    )
    spec_json = spec.model_dump(mode="json")
    draft = Widget(dashboard=request.dashboard, request=request, kind=spec.kind, title=spec.title, spec=spec_json,
                   data_source=source)
    result_check = _add_component(draft, prompt=request.prompt, context=context) if spec.kind == "custom" else None
    try:
        generated = sql_generate(metric=metric, spec=spec_json, source=source, context=context,
                                 result_check=result_check)
    except LLMError as exc:
        if exc.retryable and not final_attempt:
            raise
        return _store_failed(request, draft, DataOrigin.LLM_UNAVAILABLE, code="llm_unavailable",
                             message=f"The SQL could not be written: {exc.message}")
    except GenerationTimedOut as exc:
        return _store_failed(request, draft, DataOrigin.LLM_UNAVAILABLE, code=exc.code, message=exc.message)
    except SqlRejected as exc:
        return _store_failed(request, draft, DataOrigin.SQL_REJECTED, code=exc.code,
                             message=f"The model's SQL was rejected, also after one correction: {exc.message}")
    except QueryFailed as exc:
        return _store_failed(request, draft, DataOrigin.QUERY_FAILED, code=exc.code, message=exc.message)
    result = generated.result
    draft.sql = generated.checked.sql
    draft.result = {"columns": result.columns, "rows": result.rows, "truncated": result.truncated}
    draft.result_at = draft.refreshed_at = timezone.now()
    draft.source = DataOrigin.LIVE
    with transaction.atomic():
        _save_with_costs(draft)
        return _set_status(request, RequestStatus.READY)


def _add_component(draft: Widget, *, prompt: str, context: CallContext) -> Callable[[QueryResult], None]:
    """Write the custom widget's checked component onto ``draft``; return the check its SQL's rows must pass
    (they must map onto the component's Row: ``widget_props`` raises ResultShapeMismatch otherwise).

    Raises:
        ApplicationError: ``tsx_unavailable`` (before any model call), ``tsx_timeout`` or ``tsx_rejected``
            (from ``tsx_generate``).
        LLMError: the model could not be reached.
    """
    spec: dict[str, Any] = draft.spec
    component = tsx_generate(spec=spec, props_ts=props_interface(spec), request_text=prompt, context=context)
    draft.tsx, draft.component_js = component.tsx, component.js

    def check(result: QueryResult) -> None:
        widget_props(spec=spec, result={"columns": result.columns, "rows": result.rows, "truncated": False})

    return check


def _store_failed(request: WidgetRequest, draft: Widget, origin: DataOrigin, *, code: str, message: str) -> str:
    """Store the widget without data, its badge saying why, and fail the request with the same reason."""
    draft.source, draft.source_reason, draft.refreshed_at = origin, message[:2000], timezone.now()
    with transaction.atomic():
        _save_with_costs(draft)
        return _fail(request, code=code, message=message)


def _save_with_costs(widget: Widget) -> None:
    totals = LLMCall.objects.filter(widget_request_id=widget.request_id).aggregate(cost=Sum("cost_usd"),
                                                                                    calls=Count("id"))
    widget.cost_usd, widget.llm_calls = totals["cost"] or 0, totals["calls"]
    widget.save()


def _set_status(request: WidgetRequest, status: str) -> str:
    WidgetRequest.objects.filter(id=request.id, status=RequestStatus.RUNNING).update(
        status=status, updated_at=timezone.now()
    )
    request.status = status
    return status


def _fail(request: WidgetRequest, *, code: str, message: str) -> str:
    WidgetRequest.objects.filter(id=request.id).update(error_code=code, error_message=message[:2000])
    return _set_status(request, RequestStatus.FAILED)
