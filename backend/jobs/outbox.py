"""Sending jobs through the transactional outbox, and the relay that sends what could not go at once.

``outbox_send`` writes the message as a row in the caller's transaction and sends it right after
the commit, so a job never starts before the rows it reads exist, and no row is committed whose
job can never run. When the broker is down at that moment nothing fails: the row waits, and
``outbox_relay`` (run by every worker's maintenance thread) sends it once the broker is back.
Both paths claim a row with a check-and-set before sending it, so one row is never sent by two
processes at once; a message sent twice (a crash between sending and marking) is harmless because
every actor is idempotent.
"""
from __future__ import annotations

import datetime as dt
import logging

import dramatiq
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.jobs.models import OutboxMessage
from backend.rows import insert_row, update_rows

log = logging.getLogger(__name__)

CLAIM_S = 30  # a claim a sender died holding expires after this long
GRACE_S = 2  # the relay leaves fresh rows to the sender that wrote them
KEEP_SENT = dt.timedelta(days=1)
_MAX_BACKOFF_S = 60


def outbox_send(*, actor: str, args: list[object], delay_ms: int = 0) -> OutboxMessage:
    """Write a message for ``actor`` in the current transaction; it is sent once that commits.

    The send right after the commit takes no claim: the relay leaves rows younger than ``GRACE_S`` alone,
    so this is the only sender of a fresh row, and the next step starts a database round trip sooner.
    """
    row = insert_row(OutboxMessage(actor=actor, args=list(args), delay_ms=delay_ms))
    transaction.on_commit(lambda: _send(row), robust=True)
    return row


def outbox_deliver(*, message_id: int) -> bool:
    """Send one outbox row if no one else is sending it; return whether it went out.

    A failure (broker unreachable, unknown actor) is recorded on the row and never raised: the relay
    tries again later, backing off.
    """
    return _claim(message_id) and _send(OutboxMessage.objects.get(id=message_id))


def outbox_relay(*, limit: int = 200, now: dt.datetime | None = None) -> int:
    """Send unsent rows older than the grace period whose claim (if any) has expired; return how many
    went out. Stops at the first failure: the broker is probably down for the rest too."""
    now = now or timezone.now()
    due = (OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lt=now - dt.timedelta(seconds=GRACE_S))
           .filter(Q(claim_until__isnull=True) | Q(claim_until__lt=now)).values_list("id", flat=True)[:limit])
    sent = 0
    for message_id in list(due):
        if not _claim(message_id, now):
            continue  # another relay, or the sender, has it
        if not _send(OutboxMessage.objects.get(id=message_id)):
            break
        sent += 1
    OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
    return sent


def _claim(message_id: int, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(OutboxMessage.objects.filter(
        Q(claim_until__isnull=True) | Q(claim_until__lt=now), id=message_id, sent_at__isnull=True,
    ).update(claim_until=now + dt.timedelta(seconds=CLAIM_S)))


def _send(row: OutboxMessage) -> bool:
    try:
        actor = dramatiq.get_broker().get_actor(row.actor)
        actor.send_with_options(args=tuple(row.args), delay=row.delay_ms or None)
    except Exception as exc:  # the brokers' errors differ; all of them mean "not sent"
        backoff = min(_MAX_BACKOFF_S, 2 ** min(row.send_attempts, 6))
        OutboxMessage.objects.filter(id=row.id).update(
            send_attempts=row.send_attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500],
            claim_until=timezone.now() + dt.timedelta(seconds=backoff))
        log.warning("outbox message %s (%s) not sent, retrying in %ss: %s", row.id, row.actor, backoff, exc)
        return False
    update_rows(OutboxMessage, where={"id": row.id}, values={"sent_at": timezone.now(), "claim_until": None})
    return True


def outbox_pending() -> int:
    """Return how many messages wait to be sent (for the admin and tests)."""
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()
