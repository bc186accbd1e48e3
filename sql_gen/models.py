"""Data sources, the data dictionary and metric definitions, all edited in admin."""
from __future__ import annotations

import os
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


def split_synonyms(text: str) -> list[str]:
    """Return the comma-separated synonyms in ``text``, trimmed and lower-cased."""
    return [s.strip().lower() for s in text.split(",") if s.strip()]


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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

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

    def clean(self) -> None:
        if self.references and self.references.count(".") != 1:
            raise ValidationError({"references": "Write the target as table.column."})
        if not isinstance(self.sample_values, list):
            raise ValidationError({"sample_values": "Sample values must be a JSON list."})


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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.SIMPLE:
            missing = [f for f in ("base_table", "expression") if not getattr(self, f)]
            if missing:
                raise ValidationError({f: "Required for an aggregation metric." for f in missing})
        elif not (self.numerator_id and self.denominator_id):
            raise ValidationError("A ratio metric needs a numerator and a denominator metric.")
