"""Importing a data source's schema into the data dictionary.

Reads table and column names and types from the source's default schema in the query box, over
the same read-only connections as widget queries (see ``execute.py``): nothing here touches the
warehouse from the web process.
Existing tables and columns keep their descriptions, labels, synonyms and guidelines; only a
changed data type is updated. Tables whose name starts with ``_`` (such as the demo warehouse's
``_meta``) are internal and skipped. An imported table joins the SQL allowlist,
so an admin should delete any table widgets must not read.

Values: every text *dimension* with at most ``MAX_INDEXED_VALUES`` distinct values has all of
them in the values index (``DimensionValue``), refreshed by ``values_refresh`` (which the import
runs last), so that a filter word can be matched against every value, not only a sample; a
dimension with more is not indexed, and the report says so. A column without sample values gets
a short sample (``SAMPLE_SIZE``, the most frequent) for prompts: a dimension from its index, any
other text column only when it has at most ``MAX_SAMPLED_DISTINCT`` values (a status; never a
name, which may be personal data).
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from sqlglot import exp

from sql_gen.models import (
    MAX_VALUE_CHARS,
    ComputedDimension,
    DataSource,
    DictionaryColumn,
    DictionaryTable,
    DimensionValue,
)
from sql_gen.services.execute import QueryFailed, schema_columns, sql_execute
from sql_gen.services.expressions import computed_expression_check
from sql_gen.services.safety import SqlRejected
from sql_gen.services.synonyms import dangling_value_synonyms

logger = logging.getLogger(__name__)

Schema = dict[str, list[tuple[str, str]]]  # table -> [(column, data type)] in column order

MAX_INDEXED_VALUES = 1000
SAMPLE_SIZE = 12
MAX_SAMPLED_DISTINCT = 20
_TEXT_TYPES = ("VARCHAR", "TEXT", "CHAR", "CHARACTER", "STRING", "NVARCHAR")


@dataclass
class ImportReport:
    tables_created: list[str] = field(default_factory=list)
    columns_created: int = 0
    types_updated: int = 0
    samples_filled: int = 0
    missing: list[str] = field(default_factory=list)  # in the dictionary, no longer in the source
    values_indexed: list[str] = field(default_factory=list)  # dimension keys whose values index was refreshed
    notes: list[str] = field(default_factory=list)  # dimensions not indexed, and why

    def summary(self) -> str:
        return (
            f"{len(self.tables_created)} new tables, {self.columns_created} new columns, "
            f"{self.types_updated} types updated, {self.samples_filled} columns given sample values, "
            f"{len(self.values_indexed)} dimensions' values indexed"
            + (f"; not found in the source: {', '.join(self.missing)}" if self.missing else "")
            + (f"; {'; '.join(self.notes)}" if self.notes else "")
        )


def schema_import(*, source: DataSource) -> ImportReport:
    """Add the source's tables and columns to the dictionary and return what changed.

    Raises:
        QueryFailed: the source cannot be opened or read.
    """
    schema = schema_read(source=source)
    report = ImportReport()
    with transaction.atomic():
        for name, columns in schema.items():
            table, created = DictionaryTable.objects.get_or_create(source=source, name=name)
            if created:
                report.tables_created.append(name)
            _import_columns(table, columns, report)
            _fill_samples(source, table, report)
        known = DictionaryColumn.objects.filter(table__source=source).select_related("table")
        report.missing = sorted(
            c.key for c in known if c.name not in {n for n, _ in schema.get(c.table.name, [])}
        )
    values_refresh(source=source, report=report)
    return report


def _import_columns(table: DictionaryTable, columns: list[tuple[str, str]], report: ImportReport) -> None:
    existing = {c.name: c for c in table.columns.all()}
    for name, data_type in columns:
        column = existing.get(name)
        if column is None:
            DictionaryColumn.objects.create(table=table, name=name, data_type=data_type)
            report.columns_created += 1
        elif column.data_type.upper() != data_type.upper():
            DictionaryColumn.objects.filter(id=column.id).update(data_type=data_type)
            report.types_updated += 1


def _fill_samples(source: DataSource, table: DictionaryTable, report: ImportReport) -> None:
    """Give each text column that is not a dimension, and has no sample values, a sample when it
    has few distinct values (dimensions get theirs from the values index)."""
    for column in table.columns.filter(sample_values=[], is_dimension=False):
        if not _is_text(column):
            continue
        try:
            counts = _value_counts(source, table.name, column.name, MAX_SAMPLED_DISTINCT + 1)
        except QueryFailed:
            continue  # a slow or odd column keeps no samples; the import goes on
        if len(counts) <= MAX_SAMPLED_DISTINCT:
            DictionaryColumn.objects.filter(id=column.id).update(sample_values=_sample(counts))
            report.samples_filled += 1


def values_refresh(*, source: DataSource, report: ImportReport | None = None) -> ImportReport:
    """Refresh the values index of every text dimension of ``source`` from the warehouse, through
    the query box, and return the report (``report`` extended when given).

    A dimension with at most MAX_INDEXED_VALUES distinct values gets all of them (and a sample when
    it has none); one with more loses its index, with a note. A computed dimension whose expression
    yields a label its values do not list gets a note too.

    Raises:
        QueryFailed: the source cannot be opened or read (a statement the database refuses for
            one column is a note, and the refresh goes on).
    """
    report = report if report is not None else ImportReport()
    columns = DictionaryColumn.objects.filter(table__source=source, is_dimension=True).select_related("table")
    for column in columns:
        if _is_text(column):
            _index_column(source, column, report)
    for computed in ComputedDimension.objects.filter(table__source=source).select_related("table"):
        _check_computed(source, computed, report)
    return report


def _index_column(source: DataSource, column: DictionaryColumn, report: ImportReport) -> None:
    try:
        counts = _value_counts(source, column.table.name, column.name, MAX_INDEXED_VALUES + 1)
    except QueryFailed as e:
        if not e.statement_fault:
            raise
        report.notes.append(f"{column.key}: values not indexed ({e.message})")
        return
    if len(counts) > MAX_INDEXED_VALUES:
        with transaction.atomic():
            DimensionValue.objects.filter(column=column).delete()
            DictionaryColumn.objects.filter(id=column.id).update(values_indexed_at=None)
        report.notes.append(f"{column.key}: more than {MAX_INDEXED_VALUES} distinct values, not indexed")
        return
    kept = [(value, n) for value, n in counts if len(value) <= MAX_VALUE_CHARS]
    if len(kept) < len(counts):
        report.notes.append(f"{column.key}: {len(counts) - len(kept)} values longer than {MAX_VALUE_CHARS} "
                            "characters left out of the index")
    with transaction.atomic():
        _replace_index(column, dict(kept))
        changes = {"values_indexed_at": timezone.now()}
        if not column.sample_values:
            changes["sample_values"] = _sample(kept)
            report.samples_filled += 1
        DictionaryColumn.objects.filter(id=column.id).update(**changes)
    report.values_indexed.append(column.key)
    gone = dangling_value_synonyms(column.value_synonyms, [value for value, _ in kept])
    if gone:
        said = ", ".join(f"{word!r} → {value!r}" for word, value in sorted(gone.items()))
        report.notes.append(f"{column.key}: value synonyms stand for values no longer in the data ({said}); they "
                            "are not used until an admin points them at a value that is, and widgets filtering on "
                            "those values are flagged out of date")


def _replace_index(column: DictionaryColumn, counts: dict[str, int]) -> None:
    """Make the column's index hold exactly ``counts`` (value -> rows), touching only what changed."""
    existing = {v.value: v for v in DimensionValue.objects.filter(column=column)}
    DimensionValue.objects.filter(id__in=[v.id for value, v in existing.items() if value not in counts]).delete()
    DimensionValue.objects.bulk_create(
        [DimensionValue(column=column, value=value, row_count=n) for value, n in counts.items() if value not in existing]
    )
    changed = [v for value, v in existing.items() if value in counts and v.row_count != counts[value]]
    for v in changed:
        v.row_count = counts[v.value]
    DimensionValue.objects.bulk_update(changed, ["row_count"])


def _check_computed(source: DataSource, computed: ComputedDimension, report: ImportReport) -> None:
    """Note the labels a computed dimension yields in the data that its values do not list."""
    try:
        checked = computed_expression_check(
            expression=computed.expression, table=computed.table.name, dialect=source.dialect,
            columns=computed.table.columns.values_list("name", flat=True),
        )
    except SqlRejected as e:
        report.notes.append(f"{computed.key}: its expression is refused ({e.message})")
        return
    sql = (
        exp.select(exp.maybe_parse(checked.sql, dialect=source.dialect).as_("value"))
        .distinct().from_(exp.table_(computed.table.name, quoted=True))
        .limit(MAX_INDEXED_VALUES + 1).sql(dialect=source.dialect)
    )
    try:
        rows = _rows(source, sql)
    except QueryFailed as e:
        if not e.statement_fault:
            raise
        report.notes.append(f"{computed.key}: its expression failed on the database ({e.message})")
        return
    unlisted = sorted({str(r[0]) for r in rows if r[0] is not None} - set(computed.values))
    if unlisted:
        report.notes.append(f"{computed.key} yields {', '.join(unlisted[:5])}, which its values do not list")


def _value_counts(source: DataSource, table: str, column: str, limit: int) -> list[tuple[str, int]]:
    """Return up to ``limit`` (value, rows) of a column, most frequent first; raises QueryFailed."""
    col = exp.column(column, quoted=True)
    sql = (
        exp.select(col.copy(), exp.Count(this=exp.Star()).as_("n"))
        .from_(exp.table_(table, quoted=True)).where(col.copy().is_(exp.null()).not_())
        .group_by(col.copy()).order_by(exp.Ordered(this=exp.column("n"), desc=True), col.copy())
        .limit(limit).sql(dialect=source.dialect)
    )
    return [(str(value), int(n)) for value, n in _rows(source, sql)]


def _rows(source: DataSource, sql: str) -> list[list[object]]:
    """Return the rows of one of the importer's statements (each limited to what it needs, at most
    MAX_INDEXED_VALUES + 1 rows), through the query box. The source's row cap is for widgets'
    results, so a lower one is raised for this unsaved copy. Raises QueryFailed."""
    if source.row_cap <= MAX_INDEXED_VALUES:
        source = copy.copy(source)
        source.row_cap = MAX_INDEXED_VALUES + 1
    return sql_execute(source=source, sql=sql, row_cap=MAX_INDEXED_VALUES + 1).rows


def _sample(counts: list[tuple[str, int]]) -> list[str]:
    """Return the SAMPLE_SIZE most frequent values (none overlong), alphabetically."""
    return sorted([value for value, _ in counts if len(value) <= MAX_VALUE_CHARS][:SAMPLE_SIZE])


def _is_text(column: DictionaryColumn) -> bool:
    return column.data_type.upper().startswith(_TEXT_TYPES)


def schema_read(*, source: DataSource) -> Schema:
    """Return the source's tables (internal ``_`` tables left out) and their columns.

    Raises:
        QueryFailed: the source cannot be opened or read.
    """
    rows = schema_columns(source=source)
    schema: Schema = {}
    for table, column, data_type in rows:
        if not table.startswith("_"):
            schema.setdefault(table, []).append((column, data_type.upper()))
    return schema
