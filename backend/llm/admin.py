"""Admins choose which model serves each job here; every change is in the admin history."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from backend.llm.chain import breaker_for
from backend.llm.models import GatewaySettings, LLMCall, ModelCapability, ModelRoute, Provider, PurposeBinding, Tier
from backend.llm.selectors import daily_costs, routing_summary

_PROVIDERS = ", ".join(Provider.values)


def _route_label(route: ModelRoute, knobs: GatewaySettings) -> str:
    state = breaker_for(route, knobs).state()
    return f"{route.provider}:{route.model_id}" + ("" if state == "closed" else f" [circuit {state.replace('_', '-')}]")


class ModelRouteForm(forms.ModelForm):
    class Meta:
        model = ModelRoute
        fields = "__all__"
        error_messages = {
            "provider": {"invalid_choice": f"Unknown provider %(value)s: choose one of {_PROVIDERS}."},
        }


class RouteChainFormSet(forms.BaseInlineFormSet):
    """A tier's routes: the chain must keep at least one enabled route."""

    def clean(self) -> None:
        super().clean()
        kept = [form.cleaned_data for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not any(data.get("enabled") for data in kept):
            raise forms.ValidationError("A tier needs at least one enabled route: its chain would be empty.")


class ModelRouteInline(admin.TabularInline):
    model = ModelRoute
    form = ModelRouteForm
    formset = RouteChainFormSet
    extra = 0
    ordering = ["position", "id"]
    fields = ["position", "enabled", "provider", "model_id", "region", "max_tokens", "timeout_s",
              "price_input", "price_output", "price_cache_read", "price_cache_write"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "chain", "escalates_to", "degrades_to"]
    fields = ["name", "description", "escalates_to", "degrades_to", "call_deadline_s", "same_model_tries"]
    inlines = [ModelRouteInline]

    @admin.display(description="Route chain (circuit state)")
    def chain(self, tier: Tier) -> str:
        knobs = GatewaySettings.current()
        return " → ".join(_route_label(r, knobs) for r in tier.routes.filter(enabled=True))


@admin.register(PurposeBinding)
class PurposeBindingAdmin(admin.ModelAdmin):
    list_display = ["purpose", "tier"]
    list_editable = ["tier"]
    list_display_links = ["purpose"]


@admin.register(ModelCapability)
class ModelCapabilityAdmin(admin.ModelAdmin):
    list_display = ["model_prefix", "accepts_temperature", "accepts_top_p", "combines_temperature_and_top_p",
                    "supports_prompt_cache", "max_output_tokens"]


@admin.register(GatewaySettings)
class GatewaySettingsAdmin(admin.ModelAdmin):
    """A single row: retries, circuit breaker and budgets."""

    list_display = ["__str__", "max_attempts_per_route", "breaker_failures", "breaker_open_s",
                    "daily_soft_cap_usd", "daily_hard_cap_usd"]
    fieldsets = [
        ("Retries", {"fields": ["max_attempts_per_route", "backoff_base_ms", "backoff_cap_ms", "call_deadline_s"]}),
        ("Circuit breaker", {"fields": ["breaker_failures", "breaker_open_s"]}),
        ("Daily budget (USD)", {"fields": ["daily_soft_cap_usd", "daily_hard_cap_usd", "user_daily_soft_cap_usd",
                                           "user_daily_hard_cap_usd"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not GatewaySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "purpose", "step", "tier", "provider", "model_id", "attempt", "outcome",
                    "stop_reason", "error_code", "latency_ms", "input_tokens", "output_tokens", "cost_usd", "overridden",
                    "widget_request_id"]
    list_filter = ["outcome", "stop_reason", "purpose", "step", "tier", "provider", "model_id", "overridden"]
    search_fields = ["model_id", "error_code", "request_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        summary = path("summary/", self.admin_site.admin_view(self.summary_view), name="llm_llmcall_summary")
        return [summary, *super().get_urls()]

    def summary_view(self, request: HttpRequest) -> HttpResponse:
        """The routing summary per tier and model: calls, latency percentiles, cost, rates."""
        try:
            days = max(1, min(90, int(request.GET.get("days", "7"))))
        except ValueError:
            days = 7
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": f"Routing summary, last {days} days",
            "rows": routing_summary(days=days),
            "daily": daily_costs(days=days),
            "days": days,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/llm/summary.html", context)
