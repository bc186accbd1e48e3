from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from backend.errors import ApplicationError
from sql_gen.models import (
    ComputedDimension,
    DataSource,
    DictionaryColumn,
    DictionaryTable,
    DimensionValue,
    MetricDefinition,
)
from sql_gen.services.introspect import ImportReport, schema_import, values_refresh


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    actions = ["import_schema", "refresh_values"]

    list_display = [
        "name", "engine", "dialect", "time_zone", "row_cap", "statement_timeout_s", "request_budget_s", "is_default",
    ]

    @admin.action(description="Import schema into the data dictionary (keeps descriptions)")
    def import_schema(self, request: HttpRequest, queryset: QuerySet[DataSource]) -> None:
        for source in queryset:
            self._report(request, source, lambda s: schema_import(source=s))

    @admin.action(description="Refresh the values of dimensions (the values index)")
    def refresh_values(self, request: HttpRequest, queryset: QuerySet[DataSource]) -> None:
        for source in queryset:
            self._report(request, source, lambda s: values_refresh(source=s))

    def _report(self, request: HttpRequest, source: DataSource, run: Callable[[DataSource], ImportReport]) -> None:
        try:
            report = run(source)
        except ApplicationError as e:
            self.message_user(request, f"{source.name}: {e.message}", messages.ERROR)
            return
        self.message_user(request, f"{source.name}: {report.summary()}.", messages.SUCCESS)


class DictionaryColumnInline(admin.TabularInline):
    model = DictionaryColumn
    extra = 0
    fields = [
        "name", "label", "data_type", "description", "synonyms", "is_dimension", "sample_values", "value_synonyms",
        "references",
    ]


class ComputedDimensionInline(admin.StackedInline):
    model = ComputedDimension
    extra = 0
    fields = ["name", "label", "description", "synonyms", "expression", "values", "value_synonyms"]


def _warn_unchecked(request: HttpRequest, column: DictionaryColumn) -> None:
    """Say when a column's value synonyms could not be checked: it has no known values to check them against."""
    if column.value_synonyms and not column.known_values():
        messages.warning(request, f"{column.key}: its value synonyms could not be checked, as it has no known values "
                                  "yet (no sample, no values index). Refresh the values of dimensions on the data "
                                  "source, then save it again: a synonym for a value the data does not hold would "
                                  "filter every row out.")


@admin.register(DictionaryTable)
class DictionaryTableAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "description"]
    list_filter = ["source"]
    search_fields = ["name", "description", "synonyms"]
    inlines = [DictionaryColumnInline, ComputedDimensionInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for saved in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
            if isinstance(saved, DictionaryColumn):
                _warn_unchecked(request, saved)


class DimensionValueInline(admin.TabularInline):
    """The values index, as the importer last read it: refreshed, never added by hand. Only a value's label
    (how analysts see it) is edited here; a refresh keeps it."""

    model = DimensionValue
    extra = 0
    fields = ["value", "label", "row_count"]
    readonly_fields = ["value", "row_count"]
    can_delete = False
    max_num = 0  # no rows added by hand


@admin.register(DictionaryColumn)
class DictionaryColumnAdmin(admin.ModelAdmin):
    list_display = ["__str__", "label", "is_dimension", "indexed_values_count", "values_indexed_at"]
    list_filter = ["table__source", "is_dimension"]
    search_fields = ["name", "label", "synonyms", "table__name"]
    fields = [
        "table", "name", "label", "data_type", "description", "synonyms", "is_dimension", "sample_values",
        "value_synonyms", "references", "values_indexed_at",
    ]
    readonly_fields = ["values_indexed_at"]
    inlines = [DimensionValueInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DictionaryColumn]:
        return super().get_queryset(request).select_related("table").annotate(n_values=Count("indexed_values"))

    def save_model(self, request: HttpRequest, obj: DictionaryColumn, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _warn_unchecked(request, obj)

    @admin.display(description="indexed values", ordering="n_values")
    def indexed_values_count(self, column: DictionaryColumn) -> int:
        return getattr(column, "n_values", 0)


@admin.register(ComputedDimension)
class ComputedDimensionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "label", "expression"]
    list_filter = ["table__source"]
    search_fields = ["name", "label", "synonyms"]
    fields = ["table", "name", "label", "description", "synonyms", "expression", "values", "value_synonyms"]


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "kind", "base_table", "expression", "time_column", "unit", "up_is_good", "additive"]
    list_filter = ["source", "kind", "unit", "up_is_good", "additive"]
    search_fields = ["name", "key", "synonyms"]
