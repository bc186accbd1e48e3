"""``python manage.py eval_prompts FILE [--today DATE] [--json]``: grade labelled prompts through the pipeline.

Exit status: 0 at or above ``--goal`` (default 0: report only), 1 below it or with a silently wrong widget.
The labels are checked against the dictionary first (``--check``: only that, no prompt is run).
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sql_gen.selectors import catalog, default_source
from sql_gen.services.warehouse import warehouse_info
from widgets.services.evaluate import Report, cases_read, evaluate, labels_check


class Command(BaseCommand):
    help = ("Run a labelled prompt file (one JSON object a line) through the real pipeline, grade each field, "
            "and print the accuracy per category with a line for each failure.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--today", help="The date the labels assume (default: the demo warehouse's anchor).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--category", action="append", default=[], help="Only these categories.")
        parser.add_argument("--goal", type=float, default=0.0, help="Fail (exit 1) below this accuracy, 0–1.")
        parser.add_argument("--check", action="store_true",
                            help="Only check the labels against the dictionary; run no prompt.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            cases = cases_read(opts["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["category"]:
            cases = [c for c in cases if c.category in opts["category"]]
        if not cases:
            raise CommandError("No prompts to run.")
        self._check_labels(cases)
        if opts["check"]:
            self.stdout.write(f"{len(cases)} labelled prompts: the labels fit the dictionary.")
            return
        today = self._today(opts["today"])
        report = evaluate(cases, today=today)
        if opts["json"]:
            self.stdout.write(json.dumps({"today": today, **report.as_json()}, indent=2, default=str))
        else:
            self._print(report, today)
        sys.exit(0 if report.accuracy >= opts["goal"] and not report.silently_wrong() else 1)

    def _check_labels(self, cases: list[Any]) -> None:
        source = default_source()
        if source is None:
            raise CommandError("No data source is configured; an admin must add one.")
        problems = labels_check(cases, catalog=catalog(source=source))
        if problems:
            shown = "\n".join(f"  {p}" for p in problems[:30])
            more = f"\n  … and {len(problems) - 30} more" if len(problems) > 30 else ""
            raise CommandError(f"{len(problems)} labels do not fit the dictionary or the label format "
                               f"(tests/widgets/prompts/README.md):\n{shown}{more}")

    def _today(self, given: str | None) -> str:
        if given:
            try:
                return date.fromisoformat(given).isoformat()
            except ValueError as exc:
                raise CommandError(f"--today must be a date like 2026-11-18, not {given!r}.") from exc
        info = warehouse_info(path=Path(settings.WAREHOUSE_PATH))
        if info is None:
            raise CommandError("No demo warehouse to take today's date from; pass --today.")
        return info.anchor.isoformat()

    def _print(self, report: Report, today: str) -> None:
        data = report.as_json()
        for failure in data["failures"]:
            fields = "; ".join(f"{k}: expected {v['expected']!r}, got {v['got']!r}" for k, v in failure["wrong"].items())
            self.stdout.write(f"✗ {failure['id']} [{failure['category']}] {failure['prompt']!r}: {fields}")
        self.stdout.write(f"\nToday pinned to {today}.")
        for name, counts in data["categories"].items():
            self.stdout.write(f"  {name:18} {counts['right']:3}/{counts['total']:<3} "
                              f"{counts['right'] / counts['total']:6.1%}")
        self.stdout.write(f"Overall: {data['right']}/{data['total']} = {data['accuracy']:.1%}")
        if data["silently_wrong"]:
            self.stdout.write(f"Silently wrong (wrong, and nothing said as not applied): {', '.join(data['silently_wrong'])}")
