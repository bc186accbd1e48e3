"""`manage.py run_sql`: run one statement through the same check and query box a widget uses."""
from __future__ import annotations

import json
import sys
from argparse import ArgumentParser, ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backend.errors import ApplicationError
from sql_gen.models import DataSource
from sql_gen.selectors import allowed_tables, default_source
from sql_gen.services.binding import PLACEHOLDERS
from sql_gen.services.execute import QueryFailed, QueryResult, sql_execute
from sql_gen.services.safety import SqlRejected, sql_check

MAX_CELL_CHARS = 40
SHOWN_ROWS = 50  # the table is for a person; --json has every row


class Command(BaseCommand):
    help = (
        "Check a statement and run it on a data source (the default one unless --source), exactly as a "
        "widget's query runs. Prints the rows (exit 0), or why the statement was refused or stopped "
        "(exit 1). With --json, prints one object {ok, columns, rows, truncated, error}. A statement with window "
        "placeholders (:window_start, :window_end, ...) takes their dates with --param."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("sql", help="The statement to run.")
        parser.add_argument("--source", help="The data source's name (default: the default source).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of a table.")
        parser.add_argument(
            "--param", action="append", default=[], metavar="NAME=DATE", type=_param,
            help="A value for a placeholder of the statement, e.g. --param window_start=2026-01-01 (repeat it for "
                 f"each; the names are {', '.join(PLACEHOLDERS)}). An empty value or 'open' binds an open bound.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = _source(options["source"])
        params = dict(options["param"])
        try:
            checked = sql_check(sql=options["sql"], dialect=source.dialect,
                                allowed_tables=allowed_tables(source=source), row_cap=source.row_cap)
            result = sql_execute(source=source, sql=checked.sql, params=params)
        except ApplicationError as error:
            self._failed(error, as_json=options["json"])
            sys.exit(1)
        if options["json"]:
            self.stdout.write(json.dumps({"ok": True, "columns": result.columns, "rows": result.rows,
                                          "truncated": result.truncated, "error": None}))
        else:
            self._table(result, source)

    def _failed(self, error: ApplicationError, *, as_json: bool) -> None:
        if as_json:
            body = {"code": error.code, "message": error.message, "extra": error.extra}
            self.stdout.write(json.dumps({"ok": False, "columns": [], "rows": [], "truncated": False, "error": body}))
        elif isinstance(error, SqlRejected):
            self.stdout.write(f"REFUSED: {error.message}")
        elif isinstance(error, QueryFailed) and error.extra.get("limit"):
            self.stdout.write(f"STOPPED ({error.extra['limit']} limit): {error.message}")
        else:
            self.stdout.write(f"FAILED: {error.message}")

    def _table(self, result: QueryResult, source: DataSource) -> None:
        cells = [[_cell(v) for v in row] for row in result.rows[:SHOWN_ROWS]]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
        line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
        self.stdout.write(line(result.columns))
        self.stdout.write(line(["-" * w for w in widths]))
        for row in cells:
            self.stdout.write(line(row))
        count = len(result.rows)
        notes = [f"{count} row{'s' if count != 1 else ''}"]
        if count > SHOWN_ROWS:
            notes.append(f"the first {SHOWN_ROWS} shown; --json prints all")
        if result.truncated:
            notes.append(f"truncated: the query has more rows than the row cap of {source.row_cap}")
        self.stdout.write(f"({'; '.join(notes)})")


def _source(name: str | None) -> DataSource:
    if name:
        try:
            return DataSource.objects.get(name=name)
        except DataSource.DoesNotExist:
            raise CommandError(f"No data source named {name!r}.") from None
    source = default_source()
    if source is None:
        raise CommandError("No data source is configured; run `python manage.py seed_demo` or add one in admin.")
    return source


def _param(text: str) -> tuple[str, date | None]:
    """Return (name, date) from NAME=DATE; an empty DATE or "open" is an open bound (None)."""
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    if not sep or name not in PLACEHOLDERS:
        raise ArgumentTypeError(f"expected NAME=DATE with NAME one of {', '.join(PLACEHOLDERS)}, not {text!r}")
    if value.strip().lower() in ("", "open"):
        return name, None
    try:
        return name, date.fromisoformat(value.strip())
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _cell(value: Any) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value).replace("\n", " ")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"
