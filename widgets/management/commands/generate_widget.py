"""``python manage.py generate_widget "PROMPT"``: the pipeline, synchronously, from a shell.

Exit status: 0 ready, 2 needs clarification, 1 failed.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.errors import ApplicationError
from widgets.models import Dashboard, RequestStatus, WidgetRequest
from widgets.serializers import request_out
from widgets.services import runner
from widgets.services.requests import widget_request_answer, widget_request_create

EXIT = {RequestStatus.READY: 0, RequestStatus.NEEDS_CLARIFICATION: 2}
TSX_LINES = 40  # of a custom widget's component, in the plain output


class Command(BaseCommand):
    help = ("Turn a plain-language prompt into a widget, printing the outcome, spec, SQL, first rows and, "
            "for a custom widget, its component's TSX.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prompt")
        parser.add_argument("--answer", action="append", default=[], help="Answer to the next open question.")
        parser.add_argument("--dashboard", default="CLI widgets", help="Dashboard name (created if missing).")
        parser.add_argument("--user", default="analyst", help="Username the widget is made for.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--rows", type=int, default=10, help="How many result rows to print.")
        parser.add_argument("--route", type=int, metavar="ID",
                            help="Force this model route (id from admin) for every LLM call; admins only.")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = get_user_model().objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"No user {opts['user']!r}; run `python manage.py seed_demo` or pass --user.")
        dashboard, _ = Dashboard.objects.get_or_create(owner=user, name=opts["dashboard"])
        try:
            request = widget_request_create(user=user, dashboard=dashboard, prompt=opts["prompt"], enqueue=False,
                                            route_override_id=opts["route"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        answers = list(opts["answer"])
        status = runner.run(request_id=request.id)
        while status == RequestStatus.NEEDS_CLARIFICATION and answers:
            request.refresh_from_db()
            given = {q["id"]: answers.pop(0) for q in request.questions if answers}
            widget_request_answer(user=user, request=request, answers=given, enqueue=False)
            status = runner.run(request_id=request.id)
        request = WidgetRequest.objects.get(id=request.id)
        body = request_out(request)
        if opts["json"]:
            self.stdout.write(json.dumps(body, indent=2, default=str))
        else:
            self._print(body, rows=opts["rows"])
        sys.exit(EXIT.get(request.status, 1))

    def _print_tsx(self, tsx: str) -> None:
        lines = tsx.splitlines()
        self.stdout.write(f"Component (TSX, {len(lines)} lines):")
        for line in lines[:TSX_LINES]:
            self.stdout.write("  " + line)
        if len(lines) > TSX_LINES:
            self.stdout.write(f"  … ({len(lines) - TSX_LINES} more lines; --json prints all of it)")

    def _print(self, body: dict[str, Any], *, rows: int) -> None:
        self.stdout.write(f"Request #{body['id']}: {body['status']}")
        if body["status"] == RequestStatus.NEEDS_CLARIFICATION:
            for q in body["questions"]:
                self.stdout.write(f"  ? {q['text']}  options: {' | '.join(q['options'])}")
            self.stdout.write("Answer with --answer \"TEXT\" (one per question, in order).")
        if body["status"] == RequestStatus.FAILED:
            self.stdout.write(f"  {body['error_code']}: {body['error_message']}")
        widget = body["widget"]
        if widget:
            self.stdout.write(f"Title: {widget['title']}")
            self.stdout.write("Spec: " + json.dumps(widget["spec"], indent=2))
            if widget["tsx"]:
                self._print_tsx(widget["tsx"])
            if not widget["result"]:
                self.stdout.write(f"No data ({widget['source_label']}): {widget['source_reason']}")
                return
            self.stdout.write("SQL:\n" + widget["sql"])
            result = widget["result"]
            self.stdout.write("Rows:")
            self.stdout.write("  " + " | ".join(result["columns"]))
            for row in result["rows"][:rows]:
                self.stdout.write("  " + " | ".join(str(v) for v in row))
            if len(result["rows"]) > rows or result["truncated"]:
                self.stdout.write(f"  … ({len(result['rows'])} rows{', truncated' if result['truncated'] else ''})")
            self.stdout.write(f"Cost: ${widget['cost_usd']} over {widget['llm_calls']} LLM calls")
