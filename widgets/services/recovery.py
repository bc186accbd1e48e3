"""Work that recovers: steps whose worker died are sent again, and messages that were lost are resent.

``steps_recover`` runs in every worker's maintenance thread (``settings.JOBS_MAINTENANCE``):

- a running step whose lease expired (its worker was killed, or hung past its heartbeat) goes back
  to the queue, or fails its request with *Try again* once its attempts are spent;
- a step queued longer than ``STEP_REQUEUE_AFTER_S`` without a worker taking it has its message sent
  again (the broker lost it in a restart). Workers that are merely busy get a duplicate, which the
  claim makes harmless.

``steps_resend_queued`` is for the in-process mode at start: its queue lived in memory, so whatever
was queued when it stopped is sent again.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.errors import ErrorCode
from backend.jobs.outbox import outbox_send
from widgets.models import StepName, StepState, WidgetStep
from widgets.services.pipeline import STAGES
from widgets.services.runner import Failure, fail_request
from widgets.services.steps import ACTIVE, ACTOR, lock_request, step_resend

log = logging.getLogger(__name__)


def steps_recover(*, now: dt.datetime | None = None) -> int:
    """Requeue or fail steps whose lease expired, resend long-queued ones; return how many were touched."""
    now = now or timezone.now()
    touched = 0
    for step in WidgetStep.objects.filter(state=StepState.RUNNING, lease_until__lt=now).order_by("id")[:100]:
        touched += _expired(step, now)
    stale = now - dt.timedelta(seconds=settings.STEP_REQUEUE_AFTER_S)
    # A step left queued by a request that failed meanwhile waits for a retry, which resends it.
    for step in WidgetStep.objects.filter(state=StepState.QUEUED, queued_at__lt=stale,
                                          widget_request__status__in=ACTIVE).order_by("id")[:100]:
        with transaction.atomic():
            touched += step_resend(step=step)
    return touched


def steps_resend_queued() -> int:
    """Send every queued step's message again; return how many."""
    sent = 0
    for step in WidgetStep.objects.filter(state=StepState.QUEUED, widget_request__status__in=ACTIVE).order_by("id"):
        with transaction.atomic():
            sent += step_resend(step=step)
    return sent


def _expired(step: WidgetStep, now: dt.datetime) -> int:
    """Take back a step whose lease ran out (check-and-set on the dead worker's token)."""
    with transaction.atomic():
        widget_request = lock_request(step.widget_request_id)
        held = WidgetStep.objects.filter(id=step.id, state=StepState.RUNNING, lease_token=step.lease_token,
                                         lease_until__lt=now)
        if step.attempts < settings.STEP_MAX_ATTEMPTS:
            if not held.update(state=StepState.QUEUED, queued_at=now, lease_token="", lease_until=None):
                return 0
            outbox_send(actor=ACTOR, args=[step.id])
            log.warning("step %s (%s) lost its worker; sent again (attempt %s)", step.id, step.name, step.attempts + 1)
            return 1
        message = (f"The worker stopped {step.attempts} times during the step “{StepName(step.name).label}”; "
                   "try again.")
        if not held.update(state=StepState.FAILED, finished_at=now, lease_token="", lease_until=None,
                           error_code=ErrorCode.WORKER_LOST, error_message=message):
            return 0
        fail_request(widget_request=widget_request, stage=STAGES[StepName(step.name)],
                     failure=Failure(ErrorCode.WORKER_LOST, message))
        return 1
