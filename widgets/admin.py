from __future__ import annotations

from typing import Any

from django.contrib import admin

from widgets.models import Dashboard, DashboardAccess, Widget, WidgetRequest, WidgetStep, WidgetVersion


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_private", "created_at", "deleted_at"]
    list_filter = ["is_private", ("deleted_at", admin.EmptyFieldListFilter)]


@admin.register(DashboardAccess)
class DashboardAccessAdmin(admin.ModelAdmin):
    """The audit of staff opening others' private dashboards: read-only, nobody edits or deletes it."""

    list_display = ["at", "staff_username", "dashboard", "via"]
    list_filter = ["via"]
    search_fields = ["staff_username", "dashboard__name"]
    readonly_fields = ["at", "staff", "staff_username", "dashboard", "via"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class WidgetStepInline(admin.TabularInline):
    """A request's steps as jobs: state, attempts, lease and timings. Read-only: the pipeline owns them."""

    model = WidgetStep
    extra = 0
    can_delete = False
    fields = ["name", "state", "attempts", "queued_at", "started_at", "finished_at", "lease_until", "error_code",
              "error_message", "rewind_to"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WidgetRequest)
class WidgetRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "prompt", "user", "dashboard", "status", "error_code", "created_at"]
    list_filter = ["status"]
    search_fields = ["prompt"]
    inlines = [WidgetStepInline]

    # The pipeline owns a request's state: an edit here (a status, an error) would contradict its steps.
    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False


class WidgetVersionInline(admin.TabularInline):
    """A widget's history: every version, newest first. Read-only: versions are never changed once written."""

    model = WidgetVersion
    extra = 0
    can_delete = False
    fields = ["number", "origin", "change", "kind", "title", "created_by", "created_at", "widget_request",
              "restored_from"]
    readonly_fields = fields
    ordering = ["-number"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Shown"), ("yes", "Deleted (restorable)")]

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Widget)
class WidgetAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "dashboard", "version", "source", "cost_usd", "llm_calls", "result_at",
                    "deleted_at"]
    list_filter = ["kind", "source", DeletedFilter]
    # Generated and checked by the pipeline: an edit here would bypass the SQL and TSX checks, and every
    # change of what a widget shows is a version written by the app, not an admin's edit.
    readonly_fields = ["spec", "sql", "sql_explanation", "tsx", "component_js", "companions", "result", "version",
                       "latest_version", "request"]
    inlines = [WidgetVersionInline]
