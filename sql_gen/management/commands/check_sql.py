"""`manage.py check_sql`: run the SQL safety check from the shell, one query or a JSONL batch."""
from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from sql_gen.models import DataSource
from sql_gen.selectors import default_source
from sql_gen.services.safety import SqlRejected, sql_check

DEFAULT_DIALECT = "duckdb"
DEFAULT_ROW_CAP = 5000


@dataclass(frozen=True)
class Defaults:
    dialect: str
    allowed_tables: list[str]
    row_cap: int


class Command(BaseCommand):
    help = (
        "Check SQL with the safety checker. Prints ACCEPTED and the normalized SQL (exit 0) or "
        "REJECTED and the reason (exit 1). With --jsonl, reads {sql, dialect, allowed_tables} "
        "objects one per line and writes {ok, reason, sql} one per line (exit 0 once all are "
        "checked). Dialect, row cap and tables come from --source, or the default data source; explicit "
        "options win over them."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("sql", nargs="?", help="The SQL to check.")
        parser.add_argument("--source", help="Take dialect, row cap and tables from this data source.")
        parser.add_argument("--dialect", help=f"sqlglot dialect (default {DEFAULT_DIALECT}).")
        parser.add_argument(
            "--allow-table", action="append", dest="allow_tables", metavar="TABLE",
            help="A table the query may read; repeat for more.",
        )  # fmt: skip
        parser.add_argument("--row-cap", type=int, help=f"Row limit to apply (default {DEFAULT_ROW_CAP}).")
        parser.add_argument("--jsonl", type=Path, help="Check every JSON object in this file ('-' for stdin).")

    def handle(self, *args: Any, **options: Any) -> None:
        defaults = _defaults(options)
        if options["jsonl"] is not None:
            self._check_jsonl(options["jsonl"], defaults)
            return
        if not options["sql"]:
            raise CommandError("Give the SQL to check, or --jsonl FILE.")
        try:
            checked = sql_check(
                sql=options["sql"], dialect=defaults.dialect,
                allowed_tables=defaults.allowed_tables, row_cap=defaults.row_cap,
            )  # fmt: skip
        except SqlRejected as e:
            self.stdout.write(f"REJECTED: {e.message}")
            sys.exit(1)
        self.stdout.write(f"ACCEPTED (tables: {', '.join(sorted(checked.tables)) or 'none'})")
        self.stdout.write(checked.sql)

    def _check_jsonl(self, path: Path, defaults: Defaults) -> None:
        if str(path) == "-":
            self._check_lines(sys.stdin, defaults)
            return
        try:
            with path.open(encoding="utf-8") as lines:
                self._check_lines(lines, defaults)
        except OSError as e:
            raise CommandError(f"Cannot read {path}: {e.strerror}") from None

    def _check_lines(self, lines: TextIO, defaults: Defaults) -> None:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                self.stdout.write(json.dumps(_verdict(line, number, defaults)))


def _defaults(options: dict[str, Any]) -> Defaults:
    """Return the dialect, tables and row cap from the options, filled in from --source (the default
    data source when there is one and none is named, as ``run_sql`` and widgets use it)."""
    dialect, tables, row_cap = DEFAULT_DIALECT, [], DEFAULT_ROW_CAP
    source = None if options["allow_tables"] or options.get("jsonl") else default_source()
    if options["source"]:
        try:
            source = DataSource.objects.get(name=options["source"])
        except DataSource.DoesNotExist:
            raise CommandError(f"No data source named {options['source']!r}.") from None
    if source is not None:
        dialect, row_cap = source.dialect, source.row_cap
        tables = list(source.tables.values_list("name", flat=True))
    if options["row_cap"] is not None and options["row_cap"] < 1:
        raise CommandError("--row-cap must be at least 1.")
    return Defaults(
        dialect=options["dialect"] or dialect,
        allowed_tables=options["allow_tables"] or tables,
        row_cap=options["row_cap"] or row_cap,
    )


def _verdict(line: str, number: int, defaults: Defaults) -> dict[str, Any]:
    """Return ``{ok, reason, sql}`` for one JSONL line; a malformed line is a rejection."""
    try:
        item = json.loads(line)
        if not isinstance(item, dict) or not isinstance(item.get("sql"), str):
            raise ValueError("expected an object with a string 'sql'")
        tables = item.get("allowed_tables", defaults.allowed_tables)
        if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
            raise ValueError("'allowed_tables' must be a list of table names")
        if not isinstance(item.get("dialect") or "", str):
            raise ValueError("'dialect' must be a dialect name such as \"duckdb\"")
    except ValueError as e:
        return {"ok": False, "reason": f"Line {number} is not a valid item: {e}", "sql": None}
    try:
        checked = sql_check(
            sql=item["sql"], dialect=item.get("dialect") or defaults.dialect,
            allowed_tables=tables,
            row_cap=defaults.row_cap,
        )  # fmt: skip
    except SqlRejected as e:
        return {"ok": False, "reason": e.message, "sql": None}
    return {"ok": True, "reason": None, "sql": checked.sql}
