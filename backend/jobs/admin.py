from __future__ import annotations

from typing import Any

from django.contrib import admin

from backend.jobs.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Messages waiting to be sent (the broker was down) and those sent in the last day. Read-only."""

    list_display = ["id", "actor", "args", "created_at", "sent_at", "send_attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "actor"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
