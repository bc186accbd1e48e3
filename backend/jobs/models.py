"""The transactional outbox: a job's message is a row committed with the change that calls for it."""
from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A Dramatiq message to send once the transaction that wrote it has committed.

    It is sent right after the commit; when the broker cannot take it then, the relay sends it later
    (``backend.jobs.outbox.outbox_relay``), claiming it with a check-and-set on ``claim_until`` so
    that two relays never send one row at the same time.
    """

    actor = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    delay_ms = models.PositiveIntegerField(default=0, help_text="Delivered this long after it is sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claim_until = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sent_at", "claim_until"])]

    def __str__(self) -> str:
        return f"{self.actor}{tuple(self.args)}"
