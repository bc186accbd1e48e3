"""Importing a data source's schema into the data dictionary.

Reads table and column names and types from the source's default schema in the query box, over
the same read-only connections as widget queries (see ``execute.py``): nothing here touches the
warehouse from the web process.
Existing tables and columns keep their descriptions, labels, synonyms and guidelines; only a
changed data type is updated. A text column without sample values gets its distinct values
when it has at most ``MAX_SAMPLE_VALUES`` (a status, a channel): the SQL generator then knows
how filters are spelled. Tables whose name starts with ``_`` (such as the demo warehouse's
``_meta``) are internal and skipped. An imported table joins the SQL allowlist,
so an admin should delete any table widgets must not read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from sqlglot import exp

from sql_gen.models import DataSource, DictionaryColumn, DictionaryTable
from sql_gen.services.execute import QueryFailed, schema_columns, sql_execute

Schema = dict[str, list[tuple[str, str]]]  # table -> [(column, data type)] in column order

MAX_SAMPLE_VALUES = 20
_TEXT_TYPES = ("VARCHAR", "TEXT", "CHAR", "CHARACTER", "STRING", "NVARCHAR")


@dataclass
class ImportReport:
    tables_created: list[str] = field(default_factory=list)
    columns_created: int = 0
    types_updated: int = 0
    samples_filled: int = 0
    missing: list[str] = field(default_factory=list)  # in the dictionary, no longer in the source

    def summary(self) -> str:
        return (
            f"{len(self.tables_created)} new tables, {self.columns_created} new columns, "
            f"{self.types_updated} types updated, {self.samples_filled} columns given sample values"
            + (f"; not found in the source: {', '.join(self.missing)}" if self.missing else "")
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
    """Give each text column without sample values its distinct values, when there are few."""
    for column in table.columns.filter(sample_values=[]):
        if not column.data_type.upper().startswith(_TEXT_TYPES):
            continue
        sql = (
            exp.select(exp.column(column.name, quoted=True)).distinct()
            .from_(exp.table_(table.name, quoted=True))
            .where(exp.column(column.name, quoted=True).is_(exp.null()).not_())
            .limit(MAX_SAMPLE_VALUES + 1)
            .sql(dialect=source.dialect)
        )
        try:
            rows = sql_execute(source=source, sql=sql, row_cap=MAX_SAMPLE_VALUES + 1).rows
        except QueryFailed:
            continue  # a slow or odd column keeps no samples; the import goes on
        if len(rows) <= MAX_SAMPLE_VALUES:
            DictionaryColumn.objects.filter(id=column.id).update(sample_values=sorted(str(r[0]) for r in rows))
            report.samples_filled += 1


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
