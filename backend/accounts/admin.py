from __future__ import annotations

from django.contrib import admin

from backend.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    # Nothing here can recover a key; an admin may only see and revoke.
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: object) -> bool:
        return False
