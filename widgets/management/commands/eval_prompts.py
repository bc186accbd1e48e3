"""``python manage.py eval_prompts FILE [--today DATE] [--json]``: grade labelled prompts through the pipeline.

Exit status: 0 at or above ``--goal`` (default 0: report only), 1 below it or with a silently wrong widget.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sql_gen.services.warehouse import warehouse_info
from widgets.services.evaluate import Report, cases_read, evaluate


class Command(BaseCommand):
    help = ("Run a labelled prompt file (one JSON object a line) through the real pipeline, grade each field, "
            "and print the accuracy per category with a line for each failure.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--today", help="The date the labels assume (default: the demo warehouse's anchor).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--category", action="append", default=[], help="Only these categories.")
        parser.add_argument("--goal", type=float, default=0.0, help="Fail (exit 1) below this accuracy, 0–1.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            cases = cases_read(opts["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["category"]:
            cases = [c for c in cases if c.category in opts["category"]]
        if not cases:
            raise CommandError("No prompts to run.")
        today = self._today(opts["today"])
        report = evaluate(cases, today=today)
        if opts["json"]:
            self.stdout.write(json.dumps({"today": today, **report.as_json()}, indent=2, default=str))
        else:
            self._print(report, today)
        sys.exit(0 if report.accuracy >= opts["goal"] and not report.silently_wrong() else 1)

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
