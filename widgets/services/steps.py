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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backend.errors import ErrorCode
from backend.jobs.outbox import outbox_send
from backend.rows import columns, insert_row, set_clause, update_rows
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
    # The conversation when its newest answer is not stored yet (``step_save_conversation``), else empty.
    unsaved: list[list[dict[str, Any]]] = field(default_factory=list)


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
    taken = _take(step_id, token, now)
    if taken is None:
        return None
    step, request, done = taken
    if request.status == RequestStatus.PENDING and update_rows(
            WidgetRequest, where={"id": request.id, "status": RequestStatus.PENDING},
            values={"status": RequestStatus.RUNNING, "updated_at": now}):
        request.status = RequestStatus.RUNNING
    return Claim(step=step, token=token, done=done)


def _take(step_id: int, token: str, now: dt.datetime) -> tuple[WidgetStep, WidgetRequest, dict[str, Any]] | None:
    """Mark a queued step of a live request running under ``token``; return it, its request (with its data
    source) and the outputs of the request's finished steps; None when it was not queued (or its request
    is gone).

    The UPDATE's RETURNING finds the request, so the claim needs no read for it; on PostgreSQL the read
    of the rest is the same statement (the UPDATE in a CTE: the SELECT sees the steps as they were, the
    claimed one queued, not done). The state is checked on the row the UPDATE locks, not in a subquery:
    PostgreSQL re-checks a concurrently updated row against the outer WHERE only, so a filter through a
    join would let two workers claim one step. The request's status is in a subquery: a request failed
    or cancelled while the step runs is caught under its lock when the step finishes.
    """
    quote, ops = connection.ops.quote_name, connection.ops
    steps, requests = quote(WidgetStep._meta.db_table), quote(WidgetRequest._meta.db_table)
    update = (f"UPDATE {steps} SET state = %s, lease_token = %s, lease_until = %s, started_at = %s, "
              f"finished_at = NULL, attempts = attempts + 1 WHERE id = %s AND state = %s AND widget_request_id IN "
              f"(SELECT id FROM {requests} WHERE status IN (%s, %s)) "
              f"RETURNING widget_request_id, name, attempts, conversation")
    params = [str(StepState.RUNNING), token, ops.adapt_datetimefield_value(now + _lease()),
              ops.adapt_datetimefield_value(now), step_id, str(StepState.QUEUED), *map(str, ACTIVE)]
    read = _ClaimRead()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH taken AS ({update}) SELECT taken.*, {read.sql} FROM taken "
                           f"JOIN {steps} s ON s.widget_request_id = taken.widget_request_id {read.joins} "
                           f"ORDER BY s.id", params)
            rows = cursor.fetchall()
        else:
            cursor.execute(update, params)
            taken = cursor.fetchone()
            cursor.execute(f"SELECT {read.sql} FROM {steps} s {read.joins} WHERE s.widget_request_id = %s "
                           f"ORDER BY s.id", [taken[0]] if taken else [None])
            rows = [(*taken, *row) for row in cursor.fetchall()] if taken else []
    if not rows:
        return None
    request_id, name, attempts, conversation = rows[0][:4]
    request, done = read.load([row[4:] for row in rows])
    conversation = WidgetStep._meta.get_field("conversation").from_db_value(conversation, None, connection)
    # The fields not loaded here load on access, as with ``only()``: nothing reads a stale default.
    step = WidgetStep.from_db(connection.alias, ["id", "widget_request_id", "name", "state", "attempts", "lease_token",
                                                 "lease_until", "started_at", "conversation"],
                              [step_id, request_id, name, StepState.RUNNING, attempts, token, now + _lease(), now,
                               conversation])
    step.widget_request = request
    return step, request, done


class _ClaimRead:
    """The claim's read of the request's steps (as ``s``), joined to the request and its data source."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        self.step = columns(WidgetStep, "s", ("id", "name", "state", "output"))
        self.request, self.source = columns(WidgetRequest, "r"), columns(DataSource, "d")
        self.sql = f"{self.step.sql}, {self.request.sql}, {self.source.sql}"
        self.joins = (f"JOIN {quote(WidgetRequest._meta.db_table)} r ON r.id = s.widget_request_id "
                      f"LEFT JOIN {quote(DataSource._meta.db_table)} d ON d.id = r.data_source_id")

    def load(self, rows: list[Any]) -> tuple[WidgetRequest, dict[str, Any]]:
        """Return the request (with its data source) and the outputs of its done steps."""
        ends = len(self.step.fields), len(self.step.fields) + len(self.request.fields)
        request = self.request.load(rows[0][ends[0]:ends[1]])
        if request.data_source_id is not None:
            request.data_source = self.source.load(rows[0][ends[1]:])
        done = {}
        for row in rows:
            if row[2] == StepState.DONE:
                step = self.step.load(row[:ends[0]])
                done[step.name] = step.output
        return request, done


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
    """Store the step's conversation as it grows, so that a retry in a later job carries on from it.

    A conversation that ends with an answer is kept with the claim and stored with the step's end (done,
    failed or requeued), one write per model call fewer: most steps end right after their answer, and a
    correction of it, the moment a later job would need it, is stored at once (committed: it outlives this
    job). A worker killed between an answer and its step's end loses that answer; the step's next run asks
    again.

    Raises:
        LeaseLost: another worker holds the step now; going on would pay for answers it cannot keep.
    """
    claim.unsaved[:] = [list(turns)]
    if turns and turns[-1]["role"] == "assistant":
        return
    if not _held_update(claim, **_unsaved(claim)):
        raise LeaseLost(f"step {claim.step.id} was taken over")


def _unsaved(claim: Claim) -> dict[str, Any]:
    """Return the step's conversation as a field to write with the step's next update, if it is not stored
    yet; it counts as stored from then on."""
    if not claim.unsaved:
        return {}
    turns = claim.unsaved.pop()
    return {"conversation": storable(turns)}


def step_finish(*, claim: Claim, output: dict[str, Any]) -> WidgetRequest | None:
    """Mark the step done with ``output`` and return its request, locked for the caller to advance;
    None when the lease was lost (another worker has the step). Call inside a transaction."""
    values = {"state": StepState.DONE, "output": storable(output), "finished_at": timezone.now(), "lease_token": "",
              "lease_until": None, "error_code": "", "error_message": "", **_unsaved(claim)}
    if connection.vendor == "postgresql":
        widget_request = _lock_and_update(claim, values)
    else:  # SQLite serializes write transactions: there is no lock to take
        widget_request = lock_request(claim.step.widget_request_id)
        widget_request = widget_request if _held_update(claim, **values) else None
    # The data source read with the claim serves the finish: a source's row is not what the lock guards.
    return _with_source(widget_request, claim.step.widget_request) if widget_request is not None else None


def _lock_and_update(claim: Claim, values: dict[str, Any]) -> WidgetRequest | None:
    """Lock the claim's request, set ``values`` on its step if the lease is still the claim's, and return the
    request as locked; None when the lease was lost. One statement: the request's row is locked before the
    step's (the UPDATE takes the step's row only once the join has the locked request), the order every
    other writer of both keeps."""
    quote = connection.ops.quote_name
    steps, requests = quote(WidgetStep._meta.db_table), quote(WidgetRequest._meta.db_table)
    locked = columns(WidgetRequest, "locked")
    assignments, params = set_clause(WidgetStep, values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH locked AS (SELECT * FROM {requests} WHERE id = %s FOR UPDATE) UPDATE {steps} SET {assignments} "
            f"FROM locked WHERE {steps}.id = %s AND {steps}.state = %s AND {steps}.lease_token = %s "
            f"AND {steps}.widget_request_id = locked.id RETURNING {locked.sql}",
            [claim.step.widget_request_id, *params, claim.step.id, str(StepState.RUNNING), claim.token])
        row = cursor.fetchone()
    return locked.load(row) if row is not None else None


def step_fail(*, claim: Claim, code: ErrorCode, message: str) -> WidgetRequest | None:
    """Mark the step failed and return its request, locked; None when the lease was lost. Call inside a
    transaction."""
    widget_request = lock_request(claim.step.widget_request_id)
    failed = _held_update(claim, state=StepState.FAILED, finished_at=timezone.now(), lease_token="",
                          lease_until=None, error_code=code, error_message=storable(message[:2000]), **_unsaved(claim))
    return widget_request if failed else None


def step_requeue(*, claim: Claim, reason: str, delay_s: float) -> bool:
    """Put the step back in the queue after a transient failure, its message delayed by ``delay_s``."""
    with transaction.atomic():
        requeued = _held_update(claim, state=StepState.QUEUED, queued_at=timezone.now(), lease_token="",
                                lease_until=None, error_message=storable(reason[:2000]), **_unsaved(claim))
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
    lost = _HEARTBEATS.add(claim)
    try:
        yield lost
    finally:
        _HEARTBEATS.remove(claim)


class _Heartbeats:
    """One thread per process beats for every step the process works on, each a third of a lease after
    its last beat: a thread started and joined for each step cost more than its beats (most steps never
    beat at all). A failed write is tried again at the next beat: a moment of database trouble must not
    hand a live step away."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: dict[str, tuple[Claim, float, threading.Event]] = {}  # by token: when it beats next, its loss
        self._thread: threading.Thread | None = None

    def add(self, claim: Claim) -> threading.Event:
        lost = threading.Event()
        with self._changed:
            self._due[claim.token] = (claim, time.monotonic() + _beat_s(), lost)
            if self._thread is None or not self._thread.is_alive():  # the first step, or a forked process
                self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
                self._thread.start()
            self._changed.notify()
        return lost

    def remove(self, claim: Claim) -> None:
        with self._changed:
            self._due.pop(claim.token, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not (due := self._next_due()):
                    self._changed.wait(timeout=None if not self._due else self._wait_s())
            for claim, lost in due:
                self._beat(claim, lost)
            connection.close()  # no connection held between beats, ten seconds apart

    def _next_due(self) -> list[tuple[Claim, threading.Event]]:
        """Return the claims whose beat is due, scheduling their next one. Call holding the condition."""
        now = time.monotonic()
        due = [(claim, lost) for claim, at, lost in self._due.values() if at <= now]
        for claim, lost in due:
            self._due[claim.token] = (claim, now + _beat_s(), lost)
        return due

    def _wait_s(self) -> float:
        return max(0.0, min(at for _, at, _ in self._due.values()) - time.monotonic())

    def _beat(self, claim: Claim, lost: threading.Event) -> None:
        try:
            if not _held_update(claim, lease_until=timezone.now() + _lease()):
                lost.set()
                self.remove(claim)
        except Exception:
            log.warning("heartbeat of step %s could not extend its lease; trying again", claim.step.id, exc_info=True)
            connection.close()


_HEARTBEATS = _Heartbeats()


def _beat_s() -> float:
    return _lease().total_seconds() / 3


def _held_update(claim: Claim, **values: Any) -> int:
    """Set ``values`` on the claimed step if its lease is still the claim's; return 1, or 0 when it was lost."""
    return update_rows(WidgetStep, where={"id": claim.step.id, "state": StepState.RUNNING, "lease_token": claim.token},
                       values=values)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.STEP_LEASE_S)
