"""Admins choose which model serves each job here; every change is in the admin history."""
from __future__ import annotations

from django.contrib import admin

from backend.llm.models import LLMCall, ModelRoute, PurposeBinding, Tier


class ModelRouteInline(admin.TabularInline):
    model = ModelRoute
    extra = 0
    ordering = ["position", "id"]
    fields = ["position", "enabled", "provider", "model_id", "region", "max_tokens", "timeout_s",
              "price_input", "price_output", "price_cache_read", "price_cache_write"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "chain"]
    inlines = [ModelRouteInline]

    @admin.display(description="Route chain")
    def chain(self, tier: Tier) -> str:
        return " → ".join(f"{r.provider}:{r.model_id}" for r in tier.routes.filter(enabled=True))


@admin.register(PurposeBinding)
class PurposeBindingAdmin(admin.ModelAdmin):
    list_display = ["purpose", "tier"]
    list_editable = ["tier"]
    list_display_links = ["purpose"]


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "purpose", "tier", "provider", "model_id", "outcome", "latency_ms",
                    "input_tokens", "output_tokens", "cost_usd", "widget_request_id"]
    list_filter = ["outcome", "purpose", "tier", "provider", "model_id"]
    search_fields = ["model_id", "error_code", "request_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
