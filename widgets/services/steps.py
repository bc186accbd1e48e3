"""The life of one pipeline step as a job: queue, claim, heartbeat, and finish — each a check-and-set.

A step is queued with its message in one transaction (the outbox), claimed by the worker that gets
the message (a duplicate or redelivered message finds it taken, or done, and does nothing), kept
alive by a heartbeat that extends its lease, and finished only by the holder of that lease: a
worker that lost its lease (it stalled, the sweeper sent the step again) cannot overwrite the work
of the one that took over. Finishing a step and queueing the next ones happen under the request's
row lock, so the join of two parallel steps is decided exactly once.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backend.errors import ErrorCode
from backend.jobs.outbox import outbox_send
from backend.rows import insert_row, select_rows, update_rows
from backend.text import storable
from sql_gen.models import DataSource
from widgets.models import RequestStatus, StepState, WidgetRequest, WidgetStep

log = logging.getLogger(__name__)

ACTOR = "run_step"
ACTIVE = (RequestStatus.PENDING, RequestStatus.RUNNING)


@dataclass(frozen=True)
class Claim:
    """A worker's hold on a running step: only ``token``'s holder may finish it. ``done`` holds the
    outputs of the request's finished steps, read with the claim: what the steps before it made."""

    step: WidgetStep
    token: str
    done: dict[str, Any]


def step_queue(*, step: WidgetStep, send: bool = True, delay_s: float = 0) -> bool:
    """Queue a waiting (or failed, for a retry) step and its message; return False if it was not
    waiting. An unsaved step is created queued. Call inside a transaction: the message goes once it
    commits."""
    if step.pk is None:
        step.state, step.queued_at = StepState.QUEUED, timezone.now()
        insert_row(step)
        queued = 1
    else:
        # A retry gives the step a fresh set of attempts: those of the run that failed are spent.
        queued = update_rows(WidgetStep, where={"id": step.id, "state": (StepState.WAITING, StepState.FAILED)},
                             values={"state": StepState.QUEUED, "queued_at": timezone.now(), "error_code": "",
                                     "error_message": "", "attempts": 0})
    if queued and send:
        outbox_send(actor=ACTOR, args=[step.id], delay_ms=int(delay_s * 1000))
    return bool(queued)


def step_resend(*, step: WidgetStep) -> bool:
    """Send a queued step's message again (its first one was lost: a broker restarted, or the request
    was failed while it waited); return False if it is no longer queued. Call inside a transaction."""
    resent = WidgetStep.objects.filter(id=step.id, state=StepState.QUEUED).update(queued_at=timezone.now())
    if resent:
        outbox_send(actor=ACTOR, args=[step.id])
    return bool(resent)


def step_claim(*, step_id: int) -> Claim | None:
    """Take a queued step of a live request; None when it is not queued (a duplicate message, or the
    request failed meanwhile) — then there is nothing to do."""
    token, now = secrets.token_hex(16), timezone.now()
    step = _take(step_id, token, now)
    if step is None:
        return None
    step.widget_request = request = _with_source(_request_row(step.widget_request_id))
    # The outputs of the request's finished steps; only the claimed step's conversation is needed, and the
    # claim's own UPDATE returned it.
    rows = select_rows(WidgetStep, fields=("id", "name", "state", "output"), where={"widget_request_id": request.id})
    done = {row.name: row.output for row in rows if row.state == StepState.DONE}
    if request.status == RequestStatus.PENDING and update_rows(
            WidgetRequest, where={"id": request.id, "status": RequestStatus.PENDING},
            values={"status": RequestStatus.RUNNING, "updated_at": now}):
        request.status = RequestStatus.RUNNING
    return Claim(step=step, token=token, done=done)


def _take(step_id: int, token: str, now: dt.datetime) -> WidgetStep | None:
    """Mark a queued step of a live request running under ``token``; return it (its request's id, name,
    attempts and conversation loaded), or None when it was not queued.

    One statement with RETURNING (SQLite 3.35+, PostgreSQL), so the claim needs no read to find its
    request. The state is checked on the row the UPDATE locks, not in a subquery: PostgreSQL re-checks a
    concurrently updated row against the outer WHERE only, so a filter through a join would let two
    workers claim one step. The request's status is in a subquery: a request failed or cancelled while
    the step runs is caught under its lock when the step finishes.
    """
    quote, ops = connection.ops.quote_name, connection.ops
    steps, requests = quote(WidgetStep._meta.db_table), quote(WidgetRequest._meta.db_table)
    until = ops.adapt_datetimefield_value(now + _lease())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {steps} SET state = %s, lease_token = %s, lease_until = %s, started_at = %s, finished_at = NULL, "
            f"attempts = attempts + 1 WHERE id = %s AND state = %s AND widget_request_id IN "
            f"(SELECT id FROM {requests} WHERE status IN (%s, %s)) "
            f"RETURNING widget_request_id, name, attempts, conversation",
            [str(StepState.RUNNING), token, until, ops.adapt_datetimefield_value(now), step_id, str(StepState.QUEUED),
             *map(str, ACTIVE)])
        row = cursor.fetchone()
    if row is None:
        return None
    request_id, name, attempts, conversation = row
    conversation = WidgetStep._meta.get_field("conversation").from_db_value(conversation, None, connection)
    # The fields not loaded here load on access, as with ``only()``: nothing reads a stale default.
    return WidgetStep.from_db(connection.alias, ["id", "widget_request_id", "name", "state", "attempts", "lease_token",
                                                 "lease_until", "started_at", "conversation"],
                              [step_id, request_id, name, StepState.RUNNING, attempts, token, now + _lease(), now,
                               conversation])


def _request_row(widget_request_id: int, *, lock: bool = False) -> WidgetRequest:
    """Return the request in one lean read; with ``lock``, its row locked until the transaction ends (a
    no-op on SQLite, whose write transactions are serialized anyway)."""
    table = connection.ops.quote_name(WidgetRequest._meta.db_table)
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    found = list(WidgetRequest.objects.raw(f"SELECT * FROM {table} WHERE id = %s{suffix}", [widget_request_id]))
    if not found:
        raise WidgetRequest.DoesNotExist(f"widget request {widget_request_id} does not exist")
    return found[0]


def _with_source(request: WidgetRequest, known: WidgetRequest | None = None) -> WidgetRequest:
    """Attach the request's data source: ``known``'s, read with the claim, or one lean read."""
    if request.data_source_id is None:
        return request
    field = WidgetRequest._meta.get_field("data_source")
    if known is not None and known.data_source_id == request.data_source_id and field.is_cached(known):
        request.data_source = known.data_source
        return request
    table = connection.ops.quote_name(DataSource._meta.db_table)
    request.data_source = next(iter(DataSource.objects.raw(f"SELECT * FROM {table} WHERE id = %s",
                                                           [request.data_source_id])), None)
    return request


class LeaseLost(Exception):
    """The step was taken over by another worker (this one stalled past its lease): stop working on it."""


def step_save_conversation(*, claim: Claim, turns: list[dict[str, Any]]) -> None:
    """Store the step's conversation as it grows (committed at once: it outlives this job).

    Raises:
        LeaseLost: another worker holds the step now; going on would pay for answers it cannot keep.
    """
    if not _held_update(claim, conversation=storable(turns)):
        raise LeaseLost(f"step {claim.step.id} was taken over")


def step_finish(*, claim: Claim, output: dict[str, Any]) -> WidgetRequest | None:
    """Mark the step done with ``output`` and return its request, locked for the caller to advance;
    None when the lease was lost (another worker has the step). Call inside a transaction."""
    # The data source read with the claim serves the finish: a source's row is not what the lock guards.
    widget_request = _with_source(lock_request(claim.step.widget_request_id), claim.step.widget_request)
    done = _held_update(claim, state=StepState.DONE, output=storable(output), finished_at=timezone.now(),
                        lease_token="", lease_until=None, error_code="", error_message="")
    return widget_request if done else None


def step_fail(*, claim: Claim, code: ErrorCode, message: str) -> WidgetRequest | None:
    """Mark the step failed and return its request, locked; None when the lease was lost. Call inside a
    transaction."""
    widget_request = lock_request(claim.step.widget_request_id)
    failed = _held_update(claim, state=StepState.FAILED, finished_at=timezone.now(), lease_token="",
                          lease_until=None, error_code=code, error_message=storable(message[:2000]))
    return widget_request if failed else None


def step_requeue(*, claim: Claim, reason: str, delay_s: float) -> bool:
    """Put the step back in the queue after a transient failure, its message delayed by ``delay_s``."""
    with transaction.atomic():
        requeued = _held_update(claim, state=StepState.QUEUED, queued_at=timezone.now(), lease_token="",
                                lease_until=None, error_message=storable(reason[:2000]))
        if requeued:
            outbox_send(actor=ACTOR, args=[claim.step.id], delay_ms=int(delay_s * 1000))
    return bool(requeued)


def lock_request(widget_request_id: int) -> WidgetRequest:
    """Return the request with its row locked until the transaction ends (a no-op
    on SQLite, whose write transactions are serialized anyway).

    Raises:
        WidgetRequest.DoesNotExist: there is no such request.
    """
    return _request_row(widget_request_id, lock=True)


@contextmanager
def heartbeat(claim: Claim) -> Iterator[threading.Event]:
    """Extend the claim's lease every third of it while the body runs. The event it yields is set when
    the lease was lost (the step was taken over)."""
    stop, lost = threading.Event(), threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(_lease().total_seconds() / 3):
                try:
                    if not _held_update(claim, lease_until=timezone.now() + _lease()):
                        lost.set()
                        return
                except Exception:  # one failed write (the database blinked) must not hand a live step away
                    log.warning("heartbeat of step %s could not extend its lease; trying again", claim.step.id,
                                exc_info=True)
                    connection.close()
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{claim.step.id}", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        stop.set()
        thread.join(timeout=5)


def _held_update(claim: Claim, **values: Any) -> int:
    """Set ``values`` on the claimed step if its lease is still the claim's; return 1, or 0 when it was lost."""
    return update_rows(WidgetStep, where={"id": claim.step.id, "state": StepState.RUNNING, "lease_token": claim.token},
                       values=values)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.STEP_LEASE_S)
