from __future__ import annotations

from django.contrib import admin

from sql_gen.models import DataSource, DictionaryColumn, DictionaryTable, MetricDefinition


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "engine", "dialect", "row_cap", "statement_timeout_s", "is_default"]


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
