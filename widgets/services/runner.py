"""Running one step's work in a job: claim it, do it under a heartbeat, then finish, retry or fail it.

``step_run`` is what the ``run_step`` actor calls; it is safe under duplicate delivery and
redelivery (only a queued step can be claimed, only the lease holder can finish it). A transient
failure (a model route that is down, a worker shutting down) puts the step back in the queue with
a backoff until its attempts are spent; a permanent one fails the request with a clear message.
``run`` does a request's steps in this process, one after another: the CLI and tests use it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from dramatiq.middleware import Interrupt, TimeLimitExceeded

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import ROUTING, LLMError
from backend.text import storable
from backend.version_triggers import pinned_together
from sql_gen.services.execute import QueryFailed
from sql_gen.services.safety import SqlRejected
from sql_gen.triggers import CATALOG
from widgets.models import DataOrigin, RequestStatus, StepName, StepState, WidgetRequest, WidgetStep
from widgets.services.custom import ResultShapeMismatch
from widgets.services.pipeline import (
    STAGES,
    DeadlinePassed,
    Stage,
    StepRun,
    advance,
    request_budget_s,
    store_without_data,
    with_reused,
)
from widgets.services.steps import (
    ACTIVE,
    Claim,
    LeaseLost,
    heartbeat,
    step_claim,
    step_fail,
    step_finish,
    step_requeue,
)

log = logging.getLogger(__name__)

# Dramatiq's hard stop for one step's job; a request's own budget (``request_budget_s``) ends it sooner.
STEP_TIME_LIMIT_S = 600
_INTERNAL = "Something went wrong while building this widget; the error has been logged."


@dataclass(frozen=True)
class Failure:
    """What a step's exception means for its request."""

    code: ErrorCode
    message: str
    transient: bool = False  # trying the step again later may succeed
    origin: DataOrigin = DataOrigin.QUERY_FAILED  # the badge of a widget kept without data
    rewind_to: str = ""  # the earlier step whose work caused this failure: a retry starts there


def step_run(*, step_id: int) -> str:
    """Do one queued step and return what became of it: ``done``, ``failed``, ``requeued``, ``skipped``
    (not queued: a duplicate message) or ``lost`` (another worker took the step over meanwhile)."""
    claim = step_claim(step_id=step_id)
    if claim is None:
        log.info("step %s is not queued; nothing to do", step_id)
        return "skipped"
    stage = STAGES[StepName(claim.step.name)]
    outputs = with_reused(claim.done) if stage.after else {}  # what the steps before it made (or reused)
    try:
        # The dictionary and the model routing a step reads are each read once for the step, in one query.
        with heartbeat(claim), pinned_together(CATALOG, ROUTING):
            output = stage.work(StepRun(claim=claim, widget_request=claim.step.widget_request, outputs=outputs))
    except Interrupt as exc:
        _interrupted(claim, stage, exc)
        raise
    except LeaseLost:
        log.warning("step %s was taken over by another worker; this one stops", step_id)
        return "lost"
    except Exception as exc:
        return _failed(claim, stage, classify(stage, exc, budget_s=_budget(claim)))
    try:
        return _finish(claim, output)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the lease runs out and the sweeper sends the step again
    except Exception as exc:  # the output could not be stored or the next steps not queued
        log.exception("step %s could not be finished", step_id)
        return _failed(claim, stage, Failure(ErrorCode.INTERNAL_ERROR, f"{_INTERNAL} ({type(exc).__name__})"))


def _finish(claim: Claim, output: dict[str, Any]) -> str:
    with transaction.atomic():
        widget_request = step_finish(claim=claim, output=output)
        if widget_request is None:
            log.warning("step %s finished after losing its lease; its result is dropped", claim.step.id)
            return "lost"
        advance(widget_request=widget_request)
    return "done"


def classify(stage: Stage, exc: Exception, *, budget_s: int) -> Failure:
    """Return what ``exc``, raised by ``stage``'s work, means: transient or not, and how to show it."""
    if isinstance(exc, LLMError):
        if exc.code == ErrorCode.LLM_DEADLINE:  # the model call used up what was left of the budget
            return Failure(ErrorCode.DEADLINE, DeadlinePassed(budget_s).message, origin=DataOrigin.LLM_UNAVAILABLE)
        code = ErrorCode.LLM_UNAVAILABLE if exc.retryable else exc.code
        return Failure(code, exc.message, transient=exc.retryable, origin=DataOrigin.LLM_UNAVAILABLE)
    if isinstance(exc, SqlRejected):
        return Failure(exc.code, exc.message, origin=DataOrigin.SQL_REJECTED)
    rewind = StepName.SQL if stage.name == StepName.FETCH else ""
    if isinstance(exc, DeadlinePassed):  # out of time before the step began: writing it, or running it
        return Failure(exc.code, exc.message,
                       origin=DataOrigin.QUERY_FAILED if rewind else DataOrigin.LLM_UNAVAILABLE)
    if isinstance(exc, QueryFailed):
        return Failure(exc.code, exc.message, rewind_to=rewind if exc.statement_fault else "",
                       transient=exc.retryable)
    if isinstance(exc, ResultShapeMismatch):
        return Failure(exc.code, f"The result does not fit this widget's component: {exc.message}", rewind_to=rewind)
    if isinstance(exc, ApplicationError):  # one that may pass a moment later says so (``retryable``)
        return Failure(exc.code, exc.message, transient=bool(getattr(exc, "retryable", False)))
    if isinstance(exc, (OperationalError, InterfaceError)):  # the database went away or timed out a lock
        log.warning("step %s hit a database error: %s", stage.name, exc)
        return Failure(ErrorCode.INTERNAL_ERROR, "The app database did not answer; this step is tried again.",
                       transient=True)
    log.exception("step %s failed unexpectedly", stage.name, exc_info=exc)
    return Failure(ErrorCode.INTERNAL_ERROR, _INTERNAL)


def _budget(claim: Claim) -> int:
    return request_budget_s(source=claim.step.widget_request.data_source)


def _failed(claim: Claim, stage: Stage, failure: Failure) -> str:
    attempts = claim.step.attempts
    if failure.transient and attempts < settings.STEP_MAX_ATTEMPTS:
        delay = min(30.0, settings.STEP_RETRY_BACKOFF_S * 2 ** (attempts - 1))
        log.warning("step %s (%s) failed transiently, again in %.0fs: %s", claim.step.id, stage.name, delay,
                    failure.message)
        return "requeued" if step_requeue(claim=claim, reason=failure.message, delay_s=delay) else "lost"
    message = failure.message if not failure.transient else f"{failure.message} (gave up after {attempts} tries)"
    with transaction.atomic():
        widget_request = step_fail(claim=claim, code=failure.code, message=message)
        if widget_request is None:
            return "lost"
        if failure.rewind_to:
            WidgetStep.objects.filter(id=claim.step.id).update(rewind_to=failure.rewind_to)
        fail_request(widget_request=widget_request, stage=stage, failure=Failure(
            failure.code, message, origin=failure.origin))
    return "failed"


def fail_request(*, widget_request: WidgetRequest, stage: Stage, failure: Failure) -> None:
    """Fail a live request with the failure's reason; a step after the spec keeps the widget, without data.
    Call under the request's lock."""
    if widget_request.status not in (RequestStatus.PENDING, RequestStatus.RUNNING):
        return
    widget_request.status, widget_request.error_code = RequestStatus.FAILED, failure.code
    widget_request.error_message = storable(failure.message[:2000])
    widget_request.save(update_fields=["status", "error_code", "error_message", "updated_at"])
    if stage.keeps_widget:
        store_without_data(widget_request=widget_request, origin=failure.origin, reason=failure.message)


def _interrupted(claim: Claim, stage: Stage, exc: Interrupt) -> None:
    """A job Dramatiq stopped: past its time limit the step fails (it would not finish next time
    either); at a worker shutdown it goes back to the queue for another worker."""
    log.warning("step %s (%s) stopped by %s", claim.step.id, stage.name, type(exc).__name__)
    if not isinstance(exc, TimeLimitExceeded):
        step_requeue(claim=claim, reason="The worker stopped while working on this step.", delay_s=0)
        return
    limit = STEP_TIME_LIMIT_S
    _failed(claim, stage, Failure(ErrorCode.TIME_LIMIT, f"This step took longer than {limit} s and was stopped; "
                                  "try again or ask for something simpler."))


def run(*, request_id: int) -> str:
    """Do the request's queued steps in this process, in order, until none is left; return its status.

    Retries a transient failure at once (no backoff): for the CLI and tests, where no worker runs.
    """
    while True:
        step = WidgetStep.objects.filter(widget_request_id=request_id, state=StepState.QUEUED,
                                         widget_request__status__in=ACTIVE).order_by("id").first()
        if step is None or step_run(step_id=step.id) == "skipped":
            break
    return WidgetRequest.objects.filter(id=request_id).values_list("status", flat=True).first() or "missing"
