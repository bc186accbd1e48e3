"""Data sources, the data dictionary and metric definitions, all edited in admin."""
from __future__ import annotations

import os
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from sql_gen.services.expressions import computed_expression_check, expression_additive
from sql_gen.services.safety import SqlRejected
from sql_gen.services.synonyms import listed as _listed
from sql_gen.services.synonyms import synonyms_problem, value_synonyms_problem

# Names in the zoneinfo directory that are files but not places: they would follow the server.
_NOT_ZONES = {"localtime", "posixrules", "Factory"}
MAX_VALUE_CHARS = 300  # a longer text is not a dimension value, and is not indexed


def validate_time_zone(name: str) -> None:
    """Raise ValidationError unless ``name`` is an IANA time zone name, such as UTC or Europe/Paris."""
    problem = f"{name!r} is not an IANA time zone name, such as UTC, America/New_York or Europe/Paris."
    if not isinstance(name, str) or name in _NOT_ZONES:
        raise ValidationError(problem)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(problem) from None


class Engine(models.TextChoices):
    DUCKDB = "duckdb", "DuckDB"
    SQLITE = "sqlite", "SQLite"
    POSTGRESQL = "postgresql", "PostgreSQL"


_ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENGINE_DIALECTS = {"duckdb": {"duckdb"}, "sqlite": {"sqlite"}, "postgresql": {"postgres", "postgresql"}}
_SECRET_HINTS = ("://", "password", "@", "=")


class DataSource(models.Model):
    """A warehouse that widgets read from, through a read-only connection.

    ``location`` is a file path (DuckDB, SQLite) or the *name of an environment
    variable* holding a DSN (PostgreSQL), so that no secret is stored here. A
    blank location on a DuckDB source means the demo warehouse
    (``settings.WAREHOUSE_PATH``).
    """

    name = models.SlugField(max_length=60, unique=True)
    engine = models.CharField(max_length=20, choices=Engine.choices, default=Engine.DUCKDB)
    dialect = models.CharField(max_length=20, default="duckdb", help_text="sqlglot dialect name.")
    location = models.CharField(max_length=300, blank=True)
    row_cap = models.PositiveIntegerField(default=5000, validators=[MinValueValidator(1)])
    statement_timeout_s = models.PositiveIntegerField(default=10, validators=[MinValueValidator(1)])
    request_budget_s = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(10)],
        help_text="Seconds a widget request may take, every step included (model calls, checks, queries); "
                  "each step gets what is left.",
    )
    is_default = models.BooleanField(default=False)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone],
        help_text="IANA time zone (e.g. America/New_York) in which the warehouse's dates are read: "
                  "'today', 'this month' and 'yesterday' start at midnight there.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def zone(self) -> ZoneInfo:
        """Return the source's time zone; raises ZoneInfoNotFoundError if it was stored unchecked."""
        return ZoneInfo(self.time_zone)

    def resolved_location(self) -> str:
        """Return the file path or DSN this source connects to (a PostgreSQL DSN is read from
        the environment variable ``location`` names, at call time)."""
        if self.engine == Engine.POSTGRESQL:
            return os.environ.get(self.location, "")
        return self.location or str(settings.WAREHOUSE_PATH)

    def clean(self) -> None:
        """Raise ValidationError for a dialect that does not match the engine, or a location
        that would store a secret in the database or cannot be used."""
        errors: dict[str, str] = {}
        if self.dialect.lower() not in _ENGINE_DIALECTS.get(self.engine, set()):
            expected = " or ".join(sorted(_ENGINE_DIALECTS.get(self.engine, {"?"})))
            errors["dialect"] = f"A {self.get_engine_display()} source uses the {expected} dialect."
        problem = self._location_problem()
        if problem:
            errors["location"] = problem
        if errors:
            raise ValidationError(errors)

    def _location_problem(self) -> str:
        location = self.location.strip()
        if self.engine == Engine.POSTGRESQL:
            if not _ENV_VAR_NAME.match(location):
                return (
                    "Enter the name of an environment variable that holds the DSN (e.g. WAREHOUSE_DSN), "
                    "not the DSN itself: connection secrets are never stored in the database."
                )
            if not os.environ.get(location):
                return f"The environment variable {location} is not set on this server; set it and restart."
            return ""
        if any(hint in location.lower() for hint in _SECRET_HINTS):
            return "Enter a file path on this server; URLs and credentials are not allowed here."
        if self.engine == Engine.SQLITE and not location:
            return "Enter the path of the SQLite file."
        return ""


class DictionaryTable(models.Model):
    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    ai_guidelines = models.TextField(blank=True, help_text="Rules the SQL generator must follow.")

    class Meta:
        ordering = ["source__name", "name"]
        constraints = [models.UniqueConstraint(fields=["source", "name"], name="uniq_table_per_source")]

    def __str__(self) -> str:
        return f"{self.source.name}.{self.name}"

    def clean(self) -> None:
        problem = synonyms_problem(self.synonyms)
        if problem:
            raise ValidationError({"synonyms": problem})


class DictionaryColumn(models.Model):
    table = models.ForeignKey(DictionaryTable, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=120)
    label = models.CharField(max_length=80, blank=True, help_text="What analysts call it, e.g. region.")
    data_type = models.CharField(max_length=60)
    description = models.TextField(blank=True)
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    is_dimension = models.BooleanField(default=False, help_text="Widgets may group or filter by it.")
    sample_values = models.JSONField(default=list, blank=True, help_text="For low-cardinality columns.")
    references = models.CharField(
        max_length=250, blank=True, help_text="Foreign key target as table.column, e.g. regions.region_id."
    )
    value_synonyms = models.JSONField(
        default=dict, blank=True,
        help_text='Words analysts use for stored values, e.g. {"motor": "Auto", "car insurance": "Auto"}. '
                  "Each value must be spelled as stored.",
    )
    key_column = models.CharField(
        max_length=120, blank=True,
        help_text="For a label several rows can share (a person's name): the column of the same table that "
                  "identifies the row, e.g. adjuster_id. Widgets then group by it and show the label, so two "
                  "people of one name stay two rows. Blank: the label is the thing itself (a region's name).",
    )
    # Set when the values index (DimensionValue) holds every distinct value; None when the column
    # has never been indexed or has too many values to index.
    values_indexed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["table__name", "id"]
        constraints = [models.UniqueConstraint(fields=["table", "name"], name="uniq_column_per_table")]

    def __str__(self) -> str:
        return f"{self.table.name}.{self.name}"

    @property
    def key(self) -> str:
        return f"{self.table.name}.{self.name}"

    def display_label(self) -> str:
        return self.label or self.name.replace("_", " ")

    def known_values(self) -> list[str]:
        """Return every value when the index holds them all, else the sample values (maybe none)."""
        if self.pk and self.values_indexed_at:
            return list(self.indexed_values.values_list("value", flat=True))
        return [str(v) for v in self.sample_values] if isinstance(self.sample_values, list) else []

    def clean(self) -> None:
        if self.key_column and self.pk and not self.table.columns.filter(name=self.key_column).exists():
            raise ValidationError({"key_column": f"{self.table.name} has no column {self.key_column}."})
        if self.references and self.references.count(".") != 1:
            raise ValidationError({"references": "Write the target as table.column."})
        if not isinstance(self.sample_values, list):
            raise ValidationError({"sample_values": "Sample values must be a JSON list."})
        errors = {field: problem for field, problem in (
            ("synonyms", synonyms_problem(self.synonyms)),
            ("value_synonyms", value_synonyms_problem(self.value_synonyms, self.known_values())),
        ) if problem}
        if errors:
            raise ValidationError(errors)


class DimensionValue(models.Model):
    """One distinct value of a low-cardinality text dimension, as the importer last read it."""

    column = models.ForeignKey(DictionaryColumn, on_delete=models.CASCADE, related_name="indexed_values")
    value = models.CharField(max_length=MAX_VALUE_CHARS)
    label = models.CharField(
        max_length=120, blank=True,
        help_text="How the value is shown to analysts, e.g. Under review for under_review; blank: the value "
                  "itself, a code's underscores read as spaces.",
    )
    row_count = models.PositiveBigIntegerField(default=0, help_text="Rows with this value at the last refresh.")

    class Meta:
        ordering = ["column_id", "value"]
        constraints = [models.UniqueConstraint(fields=["column", "value"], name="uniq_value_per_column")]

    def __str__(self) -> str:
        return f"{self.column.key} = {self.value}"

    def display_label(self) -> str:
        return self.label or value_label(self.value)


_CODE = re.compile(r"\A[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")


def value_label(value: str) -> str:
    """Return how a stored value reads without a label of its own: a lower-case code (``under_review``,
    ``open``) as words with a capital (Under review, Open); any other value (Auto, North East) as stored."""
    if not _CODE.match(value):
        return value
    words = value.replace("_", " ")
    return words[:1].upper() + words[1:]


_DIMENSION_NAME = RegexValidator(
    r"\A[a-z][a-z0-9_]*\Z", "Use lower-case letters, digits and underscores, starting with a letter."
)


class ComputedDimension(models.Model):
    """A dimension that is an expression over one table's row, such as claim-size bands from a
    ``CASE`` over ``claimed_amount``. Its key is ``<table>.<name>``, like a column's."""

    table = models.ForeignKey(DictionaryTable, on_delete=models.CASCADE, related_name="computed_dimensions")
    name = models.CharField(max_length=60, validators=[_DIMENSION_NAME], help_text="e.g. claim_size")
    label = models.CharField(max_length=80, help_text="What analysts call it, e.g. claim size.")
    description = models.TextField(blank=True)
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    expression = models.TextField(
        help_text="SQL over this table's own columns giving one value per row, e.g. "
                  "CASE WHEN claimed_amount < 5000 THEN 'Small' ELSE 'Large' END. "
                  "No subqueries, aggregates or window functions.",
    )
    values = models.JSONField(
        default=list, blank=True,
        help_text="The labels it yields, in display order; filled from a CASE of literals when left empty.",
    )
    value_synonyms = models.JSONField(default=dict, blank=True, help_text='e.g. {"big": "Large"}')

    class Meta:
        ordering = ["table__name", "name"]
        constraints = [models.UniqueConstraint(fields=["table", "name"], name="uniq_computed_per_table")]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return f"{self.table.name}.{self.name}"

    def display_label(self) -> str:
        return self.label or self.name.replace("_", " ")

    def clean(self) -> None:
        """Raise ValidationError for a name a column already has, values that are not a list of
        distinct labels, an expression the SQL check refuses (or whose CASE yields other labels),
        and value synonyms to unknown labels. Empty values are filled from a CASE of literals."""
        table = getattr(self, "table", None)  # unset: RelatedObjectDoesNotExist, an AttributeError
        if table is None:
            return  # the form reports the missing table
        columns = list(table.columns.values_list("name", flat=True)) if table.pk else []
        if self.name in columns:
            raise ValidationError({"name": f"{table.name} already has a column {self.name!r}."})
        errors: dict[str, str] = {}
        problem = _labels_problem(self.values)
        if problem:
            errors["values"] = problem
        try:
            checked = computed_expression_check(
                expression=self.expression, table=table.name, columns=columns, dialect=table.source.dialect,
            )
        except SqlRejected as e:
            errors["expression"] = e.message
        else:
            if checked.outputs and not self.values:
                self.values = checked.outputs
            elif checked.outputs and not problem and set(checked.outputs) != set(self.values):
                errors["values"] = f"The expression yields {_listed(checked.outputs)}; list exactly those."
        problem = value_synonyms_problem(self.value_synonyms, self.values if isinstance(self.values, list) else [])
        if problem:
            errors["value_synonyms"] = problem
        problem = synonyms_problem(self.synonyms)
        if problem:
            errors["synonyms"] = problem
        if errors:
            raise ValidationError(errors)


def _labels_problem(values: Any) -> str:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        return 'Write the values as a JSON list of labels, e.g. ["Small", "Large"].'
    if len(set(values)) != len(values):
        return "Each label may be listed once."
    return ""


class Grain(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


GRAIN_ORDER = [g.value for g in Grain]


class Unit(models.TextChoices):
    COUNT = "count", "Count"
    CURRENCY = "currency", "Currency (USD)"
    DAYS = "days", "Days"
    PERCENT = "percent", "Percent"


class MetricDefinition(models.Model):
    """What a number means. A simple metric aggregates ``expression`` over ``base_table``;
    a ratio metric divides one metric by another over the same window and dimensions."""

    class Kind(models.TextChoices):
        SIMPLE = "simple", "Aggregation"
        RATIO = "ratio", "Ratio of two metrics"

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    synonyms = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="metrics")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SIMPLE)
    base_table = models.CharField(max_length=120, blank=True)
    expression = models.CharField(max_length=500, blank=True, help_text="e.g. SUM(paid_amount)")
    time_column = models.CharField(max_length=120, blank=True)
    default_filters = models.CharField(max_length=500, blank=True, help_text="A SQL predicate.")
    numerator = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    denominator = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.COUNT)
    up_is_good = models.BooleanField(
        default=True, help_text="A rise is good news (premium); untick for costs and delays (total paid, "
                                "settlement days, open claims, loss ratio).",
    )
    as_it_stands = models.BooleanField(
        default=False, help_text="Counts a state as it stands now (open claims): a widget that names no period "
                                 "counts every row in that state, whenever it was dated, not the last 30 days.",
    )
    additive = models.BooleanField(
        default=True, help_text="Values over parts add up to the whole: sums and counts. Untick for distinct "
                                "counts, averages and ratios; their totals and 'all others' are then queried.",
    )
    finest_grain = models.CharField(
        max_length=10, choices=Grain.choices, default=Grain.DAY,
        help_text="The finest period the data holds (monthly figures: month). Widgets never ask for finer; for "
                  "a ratio, the coarser of its parts' counts too.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problem = synonyms_problem(self.synonyms)
        if problem:
            raise ValidationError({"synonyms": problem})
        if self.kind == self.Kind.SIMPLE:
            missing = [f for f in ("base_table", "expression") if not getattr(self, f)]
            if missing:
                raise ValidationError({f: "Required for an aggregation metric." for f in missing})
        elif not (self.numerator_id and self.denominator_id):
            raise ValidationError("A ratio metric needs a numerator and a denominator metric.")
        dialect = self.source.dialect if self.source_id else "duckdb"
        if self.additive and not (self.kind == self.Kind.SIMPLE and expression_additive(self.expression, dialect=dialect)):
            raise ValidationError({"additive": (
                "Only a plain SUM(...) or COUNT(...) (not DISTINCT) adds up over parts; untick additive for "
                "averages, distinct counts, ratios and other expressions."
            )})


class CatalogVersion(models.Model):
    """One row whose ``version`` database triggers change on every write to the dictionary and metrics
    (``sql_gen.triggers``): each process keeps the rows it read and reloads them when this differs."""

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "dictionary version"
