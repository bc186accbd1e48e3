from __future__ import annotations

from django.contrib import admin

from widgets.models import Dashboard, Widget, WidgetRequest


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_private", "created_at"]
    list_filter = ["is_private"]


@admin.register(WidgetRequest)
class WidgetRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "prompt", "user", "dashboard", "status", "error_code", "created_at"]
    list_filter = ["status"]
    search_fields = ["prompt"]
    readonly_fields = ["intent", "questions", "answers"]


@admin.register(Widget)
class WidgetAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "dashboard", "source", "cost_usd", "llm_calls", "result_at"]
    list_filter = ["kind", "source"]
    # Generated and checked by the pipeline: an edit here would bypass the SQL and TSX checks.
    readonly_fields = ["spec", "sql", "tsx", "component_js", "result"]
