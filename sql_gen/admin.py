from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from backend.errors import ApplicationError
from sql_gen.models import DataSource, DictionaryColumn, DictionaryTable, MetricDefinition
from sql_gen.services.introspect import schema_import


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    actions = ["import_schema"]

    list_display = [
        "name", "engine", "dialect", "row_cap", "statement_timeout_s", "request_budget_s", "is_default",
    ]

    @admin.action(description="Import schema into the data dictionary (keeps descriptions)")
    def import_schema(self, request: HttpRequest, queryset: QuerySet[DataSource]) -> None:
        for source in queryset:
            try:
                report = schema_import(source=source)
            except ApplicationError as e:
                self.message_user(request, f"{source.name}: {e.message}", messages.ERROR)
                continue
            self.message_user(request, f"{source.name}: {report.summary()}.", messages.SUCCESS)


class DictionaryColumnInline(admin.TabularInline):
    model = DictionaryColumn
    extra = 0
    fields = ["name", "label", "data_type", "description", "synonyms", "is_dimension", "sample_values", "references"]


@admin.register(DictionaryTable)
class DictionaryTableAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "description"]
    list_filter = ["source"]
    search_fields = ["name", "description", "synonyms"]
    inlines = [DictionaryColumnInline]


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "kind", "base_table", "expression", "time_column", "unit"]
    list_filter = ["source", "kind", "unit"]
    search_fields = ["name", "key", "synonyms"]
