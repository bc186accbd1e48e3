"""Read-side queries over the dictionary and metrics, shaped for prompts."""
from __future__ import annotations

from typing import Any

from sql_gen.models import DataSource, DictionaryTable, MetricDefinition, split_synonyms


def default_source() -> DataSource | None:
    return DataSource.objects.filter(is_default=True).first() or DataSource.objects.order_by("id").first()


def _tables(source: DataSource) -> dict[str, DictionaryTable]:
    """Return the source's dictionary tables by name, each with its columns, in two queries."""
    return {t.name: t for t in DictionaryTable.objects.filter(source=source).prefetch_related("columns")}


def _reachable(table: DictionaryTable) -> set[str]:
    """Return the table's name and the names of the tables its foreign keys point at."""
    return {table.name} | {c.references.split(".")[0] for c in table.columns.all() if c.references}


def metric_dimensions(*, metric: MetricDefinition, tables: dict[str, DictionaryTable] | None = None) -> list[str]:
    """Return the dimension keys (``table.column``) a metric can be grouped or filtered by:
    its base table's own dimensions and those one foreign key away. A ratio metric
    offers what both its parts offer."""
    tables = tables if tables is not None else _tables(metric.source)
    if metric.kind == MetricDefinition.Kind.RATIO:
        num = metric_dimensions(metric=metric.numerator, tables=tables)
        den = set(metric_dimensions(metric=metric.denominator, tables=tables))
        return [k for k in num if k in den]
    base = tables.get(metric.base_table)
    if base is None:
        return []
    reachable = _reachable(base)
    return [c.key for t in tables.values() if t.name in reachable for c in t.columns.all() if c.is_dimension]


def catalog(*, source: DataSource) -> dict[str, Any]:
    """Return the metrics and dimensions of ``source`` as the clarifier and spec prompts see them."""
    tables = _tables(source)
    metrics = MetricDefinition.objects.filter(source=source).select_related("numerator", "denominator", "source")
    return {
        "metrics": [
            {
                "key": m.key,
                "name": m.name,
                "description": m.description,
                "synonyms": split_synonyms(m.synonyms),
                "unit": m.unit,
                "dimensions": metric_dimensions(metric=m, tables=tables),
            }
            for m in metrics
        ],
        "dimensions": [
            {
                "key": c.key,
                "label": c.display_label(),
                "description": c.description,
                "synonyms": split_synonyms(c.synonyms),
                "values": c.sample_values,
            }
            for t in tables.values() for c in t.columns.all() if c.is_dimension
        ],
    }


def _metric_out(metric: MetricDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": metric.key,
        "name": metric.name,
        "kind": metric.kind,
        "description": metric.description,
        "base_table": metric.base_table,
        "expression": metric.expression,
        "time_column": metric.time_column,
        "default_filters": metric.default_filters,
    }
    if metric.kind == MetricDefinition.Kind.RATIO:
        out["numerator"] = _metric_out(metric.numerator)
        out["denominator"] = _metric_out(metric.denominator)
    return out


def _base_tables(metric: MetricDefinition) -> set[str]:
    if metric.kind == MetricDefinition.Kind.RATIO:
        return _base_tables(metric.numerator) | _base_tables(metric.denominator)
    return {metric.base_table}


def dictionary_slice(*, metric: MetricDefinition, dimension_keys: list[str]) -> dict[str, Any]:
    """Return only the tables and columns a query for ``metric`` by ``dimension_keys`` needs:
    the base tables in full, and of each dimension table its key and the dimension column."""
    tables = _tables(metric.source)
    bases = _base_tables(metric)
    dimension_tables = {key.split(".")[0] for key in dimension_keys} - bases
    # What the base tables' foreign keys point at: the key a dimension table is joined on.
    join_targets = {c.references for name in bases if name in tables for c in tables[name].columns.all()
                    if c.references}
    tables_out, dims_out, guidelines = [], [], []
    for table in (tables[name] for name in sorted(bases | dimension_tables) if name in tables):
        columns = [
            c for c in table.columns.all()
            if table.name in bases or c.key in dimension_keys or c.key in join_targets
        ]
        tables_out.append({
            "name": table.name,
            "description": table.description,
            "columns": [
                {"name": c.name, "type": c.data_type, "description": c.description, "references": c.references}
                for c in columns
            ],
        })
        if table.ai_guidelines:
            guidelines.append(f"{table.name}: {table.ai_guidelines}")
        dims_out += [
            {"key": c.key, "table": table.name, "column": c.name, "label": c.display_label()}
            for c in columns if c.key in dimension_keys
        ]
    return {"tables": tables_out, "dimensions": dims_out, "guidelines": guidelines, "metric": _metric_out(metric)}


def allowed_tables(*, source: DataSource) -> set[str]:
    """Return the names of the tables the dictionary lists for ``source``: the SQL allowlist."""
    return {name.lower() for name in source.tables.values_list("name", flat=True)}
