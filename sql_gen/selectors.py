"""Read-side queries over the dictionary and metrics, shaped for prompts."""
from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count
from sqlglot import exp, parse_one
from sqlglot.errors import SqlglotError

from sql_gen.models import (
    GRAIN_ORDER,
    ComputedDimension,
    DataSource,
    DictionaryColumn,
    DictionaryTable,
    DimensionValue,
    MetricDefinition,
)
from sql_gen.services.entity_keys import KEY_SUFFIX
from sql_gen.services.synonyms import dangling_value_synonyms, split_synonyms
from sql_gen.triggers import CATALOG

# A dimension with at most this many values has all of them in the catalog; others a sample.
CATALOG_ALL_VALUES = 50


def default_source() -> DataSource | None:
    return DataSource.objects.filter(is_default=True).first() or DataSource.objects.order_by("id").first()


@dataclass(frozen=True)
class _SourceRows:
    """What one source's dictionary holds, read together: shared between threads, so never changed."""

    tables: dict[str, DictionaryTable]  # by name, each with its columns and computed dimensions
    counts: dict[int, int]  # values in the index of each fully indexed column, by column id
    values: dict[int, list[str]]  # the indexed values, sorted, by column id
    metrics: dict[str, MetricDefinition]  # by key, with their parts and source


_lock = threading.Lock()
_held: dict[tuple[str, int], tuple[int, _SourceRows]] = {}  # (database alias, source id) → (version, rows)


def _rows(source: DataSource) -> _SourceRows:
    """Return the source's dictionary rows as they are in the database now.

    Each step of every widget reads the dictionary, so the rows are kept per process and read again
    only when ``sql_gen_catalogversion`` says they changed (one small query instead of six): an admin's
    edit reaches the next read in every process."""
    version, key = CATALOG.read(connection), (connection.alias, source.pk)
    held = _held.get(key)
    if version is not None and held is not None and held[0] == version:
        return held[1]
    # The version is read before the rows: a write landing in between changes it again.
    rows = _load(source)
    if version is not None:
        with _lock:
            _held[key] = (version, rows)
    return rows


def _load(source: DataSource) -> _SourceRows:
    tables = {t.name: t for t in DictionaryTable.objects.filter(source=source).prefetch_related(
        "columns", "computed_dimensions")}
    indexed = DimensionValue.objects.filter(column__table__source=source, column__values_indexed_at__isnull=False)
    counts = dict(indexed.order_by().values("column_id").annotate(n=Count("id")).values_list("column_id", "n"))
    values: dict[int, list[str]] = defaultdict(list)
    for column_id, value in DimensionValue.objects.filter(column__table__source=source).order_by(
            "column_id", "value").values_list("column_id", "value"):
        values[column_id].append(value)
    metrics = {m.key: m for m in MetricDefinition.objects.filter(source=source).select_related(
        "numerator", "denominator", "source")}
    return _SourceRows(tables=tables, counts=counts, values=dict(values), metrics=metrics)


def _tables(source: DataSource) -> dict[str, DictionaryTable]:
    """Return the source's dictionary tables by name, each with its columns and computed dimensions."""
    return _rows(source).tables


def source_metrics(*, source: DataSource, keys: list[str] | None = None) -> dict[str, MetricDefinition]:
    """Return the source's metric definitions (those of ``keys`` only, when given) by key, with their
    parts. Shared with other threads: read them, never change them."""
    metrics = _rows(source).metrics
    return dict(metrics) if keys is None else {k: metrics[k] for k in keys if k in metrics}


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
    return [key for t in tables.values() if t.name in reachable for key in _dimension_keys(t)]


def _dimension_keys(table: DictionaryTable) -> list[str]:
    """Return the table's dimension keys: its dimension columns, then its computed dimensions."""
    return [c.key for c in table.columns.all() if c.is_dimension] + [d.key for d in table.computed_dimensions.all()]


def catalog(*, source: DataSource) -> dict[str, Any]:
    """Return the metrics and dimensions of ``source`` as the clarifier and spec prompts see them.

    A metric has its ``definition`` (its description: what it counts, by which date), whether a rise
    is good (``up_is_good``), whether parts add up to the whole (``additive``), its ``time_column``
    (None for a ratio, whose parts have their own) and the dimensions it can use. A dimension has
    ``values``: all of them when there are at most CATALOG_ALL_VALUES (``values_complete``), else a
    sample (``dimension_values`` gives the rest); ``value_count`` (None when not indexed),
    ``value_synonyms`` (word -> stored value) and ``computed`` (an expression, not a column)."""
    rows = _rows(source)
    tables, counts = rows.tables, rows.counts
    listed = {cid: rows.values.get(cid, []) for cid, n in counts.items() if n <= CATALOG_ALL_VALUES}
    dimensions: list[dict[str, Any]] = []
    for table in tables.values():
        dimensions += [_column_entry(c, counts.get(c.id, 0), listed.get(c.id, []), rows.values.get(c.id, []))
                       for c in table.columns.all() if c.is_dimension]
        dimensions += [_computed_entry(d) for d in table.computed_dimensions.all()]
    metrics = list(rows.metrics.values())
    return {"metrics": [_metric_entry(m, tables) for m in metrics], "dimensions": dimensions,
            "numbers": _numbers(metrics, tables)}


_NUMERIC_TYPES = ("INT", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL")


def _numbers(metrics: list[MetricDefinition], tables: dict[str, DictionaryTable]) -> list[dict[str, Any]]:
    """Return the numeric columns a filter may compare with a number ("claims over $10k"): those of the
    metrics' own tables that are neither keys nor dimensions, with the metrics whose rows hold them."""
    numbers: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        if metric.kind == MetricDefinition.Kind.RATIO:
            continue  # a number of one part's rows would filter the other part by nothing
        for name in _base_tables(metric):
            table = tables.get(name)
            for column in table.columns.all() if table else []:
                numeric = any(t in column.data_type.upper() for t in _NUMERIC_TYPES)
                key_like = column.references or column.name.endswith("_id") or column.is_dimension
                if numeric and not key_like:
                    entry = numbers.setdefault(column.key, {"key": column.key, "label": column.name.replace("_", " "),
                                                            "description": column.description, "metrics": []})
                    if metric.key not in entry["metrics"]:
                        entry["metrics"].append(metric.key)
    return list(numbers.values())


def _metric_entry(metric: MetricDefinition, tables: dict[str, DictionaryTable]) -> dict[str, Any]:
    entry = {
        "key": metric.key,
        "name": metric.name,
        "description": metric.description,
        "definition": metric.description,
        "synonyms": split_synonyms(metric.synonyms),
        "unit": metric.unit,
        "kind": metric.kind,
        "time_column": metric.time_column or None,
        "up_is_good": metric.up_is_good,
        "additive": metric.additive,
        "as_it_stands": metric.as_it_stands,
        "finest_grain": metric_finest_grain(metric),
        "dimensions": metric_dimensions(metric=metric, tables=tables),
    }
    if metric.kind == MetricDefinition.Kind.RATIO:
        entry["parts"] = {"numerator": metric.numerator.key, "denominator": metric.denominator.key}
    return entry


def metric_finest_grain(metric: MetricDefinition) -> str:
    """Return the finest grain the metric's data holds: its own, or the coarser of a ratio's parts'."""
    grains = [metric.finest_grain]
    if metric.kind == MetricDefinition.Kind.RATIO:
        grains += [metric_finest_grain(p) for p in (metric.numerator, metric.denominator) if p is not None]
    return max(grains, key=GRAIN_ORDER.index)


def _column_entry(column: DictionaryColumn, count: int, indexed: list[str], every: list[str]) -> dict[str, Any]:
    """``count`` is the number of values in the column's index, ``indexed`` those values when there
    are at most CATALOG_ALL_VALUES, ``every`` all of them. A value synonym whose value the index no longer
    holds is left out: it would filter on a value no row has."""
    sample = [str(v) for v in column.sample_values] if isinstance(column.sample_values, list) else []
    complete = column.values_indexed_at is not None and count <= CATALOG_ALL_VALUES
    values = sample
    if complete:
        # All values: the sample's order (an admin's, or the seed's natural order) first, then the rest.
        present, sampled = set(indexed), set(sample)
        values = [v for v in sample if v in present] + [v for v in indexed if v not in sampled]
    return {
        "key": column.key,
        "label": column.display_label(),
        "description": column.description,
        "synonyms": split_synonyms(column.synonyms),
        "values": values,
        "values_complete": complete,
        "value_count": count if column.values_indexed_at is not None else None,
        "value_synonyms": _live(column.value_synonyms, every if column.values_indexed_at is not None else None),
        "computed": False,
    }


def _computed_entry(dimension: ComputedDimension) -> dict[str, Any]:
    return {
        "key": dimension.key,
        "label": dimension.display_label(),
        "description": dimension.description,
        "synonyms": split_synonyms(dimension.synonyms),
        "values": list(dimension.values),
        "values_complete": True,
        "value_count": len(dimension.values),
        "value_synonyms": _live(dimension.value_synonyms, list(dimension.values)),
        "computed": True,
    }


def _live(synonyms: Any, values: list[str] | None) -> dict[str, str]:
    """Return the value synonyms whose value is among ``values`` (all of them when the values are not known)."""
    every = dict(synonyms or {}) if isinstance(synonyms, dict) else {}
    gone = dangling_value_synonyms(every, values) if values is not None else {}
    return {word: value for word, value in every.items() if word not in gone}


def complete_values(*, source: DataSource) -> dict[str, list[str] | None]:
    """Return, per dimension key of the source, every value it holds when that is known (an indexed column, a
    computed dimension's labels), else None (a column with a sample only, or too many values to index)."""
    rows = _rows(source)
    out: dict[str, list[str] | None] = {}
    for table in rows.tables.values():
        for column in table.columns.all():
            if column.is_dimension:
                out[column.key] = list(rows.values.get(column.id, [])) if column.values_indexed_at else None
        out |= {d.key: list(d.values) for d in table.computed_dimensions.all()}
    return out


def dimension_values(*, source: DataSource, keys: list[str] | None = None) -> dict[str, list[str]]:
    """Return every indexed value of the source's dimensions (of ``keys`` only, when given) whose
    catalog entry lists only a sample: what a filter word is matched against beyond the sample."""
    rows = _rows(source)
    large = {cid for cid, n in rows.counts.items() if n > CATALOG_ALL_VALUES}
    return {c.key: list(rows.values.get(c.id, [])) for t in rows.tables.values() for c in t.columns.all()
            if c.is_dimension and c.id in large and (keys is None or c.key in keys)}


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
        "additive": metric.additive,  # a group without rows is 0 (a count, a sum), else empty (an average)
    }
    if metric.kind == MetricDefinition.Kind.RATIO:
        out["numerator"] = _metric_out(metric.numerator)
        out["denominator"] = _metric_out(metric.denominator)
    return out


def _base_tables(metric: MetricDefinition) -> set[str]:
    if metric.kind == MetricDefinition.Kind.RATIO:
        return _base_tables(metric.numerator) | _base_tables(metric.denominator)
    return {metric.base_table}


def _slug_of(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "dimension"


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
        computed = [d for d in table.computed_dimensions.all() if d.key in dimension_keys]
        read = {name for d in computed for name in _expression_columns(d.expression, metric.source.dialect)}
        keyed = {c.key_column for c in table.columns.all() if c.key in dimension_keys and c.key_column}
        columns = [
            c for c in table.columns.all()
            if table.name in bases or c.key in dimension_keys or c.key in join_targets or c.name in read
            or c.name in keyed
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
            {"key": c.key, "table": table.name, "column": c.name, "label": c.display_label(), "computed": False,
             "key_column": c.key_column or None}
            for c in columns if c.key in dimension_keys
        ]
        guidelines += [
            f"{c.key} is a label several {table.name} rows can share: group by {table.name}.{c.key_column} as "
            f"well, returned right after the label's column and named as it with {KEY_SUFFIX} (e.g. "
            f"{_slug_of(c.display_label())}{KEY_SUFFIX}), so that two of one name stay two rows"
            for c in columns if c.key in dimension_keys and c.key_column
        ]
        for d in computed:
            dims_out.append({"key": d.key, "table": table.name, "column": None, "label": d.display_label(),
                             "computed": True, "expression": d.expression, "values": list(d.values)})
            guidelines.append(
                f"{d.key} is not a column: group or filter by the expression ({d.expression}), with {table.name}'s "
                f"columns qualified by its alias, AS {d.name}; its values are {', '.join(d.values)}."
            )
    return {"tables": tables_out, "dimensions": dims_out, "guidelines": guidelines, "metric": _metric_out(metric)}


def _expression_columns(expression: str, dialect: str) -> set[str]:
    """Return the column names a (checked) computed dimension's expression reads."""
    try:
        return {c.name for c in parse_one(expression, read=dialect).find_all(exp.Column)}
    except SqlglotError:  # a stored expression that no longer parses reads nothing we can name
        return set()


def allowed_tables(*, source: DataSource) -> set[str]:
    """Return the names of the tables the dictionary lists for ``source``: the SQL allowlist."""
    return {name.lower() for name in _rows(source).tables}


def value_labels(*, source: DataSource) -> dict[str, dict[str, str]]:
    """Return, per dimension key of the source, the labels admins gave its indexed values (value -> label),
    in one query. A value without a label is missing here: ``models.value_label`` reads it then."""
    rows = (DimensionValue.objects.filter(column__table__source=source).exclude(label="")
            .values_list("column__table__name", "column__name", "value", "label"))
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for table, column, value, label in rows:
        out[f"{table}.{column}"][value] = label
    return dict(out)


def shared_labels(*, source: DataSource) -> set[str]:
    """Return the indexed values of the source's keyed labels (``key_column`` set) that more than one row
    has, such as a name two adjusters share: those a result writes with their key."""
    return set(DimensionValue.objects.filter(column__table__source=source, row_count__gt=1)
               .exclude(column__key_column="").values_list("value", flat=True))


def shared_filter_values(*, source: DataSource, filters: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """Return ``(dimension key, value, rows)`` for each value the filters name that several rows of a keyed label
    share (a name two adjusters have): a filter on it counts all of them, and the widget must say so."""
    named = {(f["dimension"], str(v)) for f in filters if f.get("op", "in") in ("in", "not_in") for v in f["values"]}
    if not named:
        return []
    rows = (DimensionValue.objects.filter(column__table__source=source, row_count__gt=1,
                                          value__in={value for _, value in named})
            .exclude(column__key_column="").values_list("column__table__name", "column__name", "value", "row_count"))
    return sorted((f"{table}.{column}", value, count) for table, column, value, count in rows
                  if (f"{table}.{column}", value) in named)

