"""``python manage.py probe_llm [--tier NAME]``: one tiny real call per route, as a table."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.llm.probe import probe_routes


class Command(BaseCommand):
    help = "Call every enabled route once with a tiny request and print outcome and latency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tier", help="Only this tier's routes.")

    def handle(self, *args: Any, tier: str | None = None, **options: Any) -> None:
        results = probe_routes(tier=tier)
        if not results:
            raise CommandError(f"No enabled route{' in tier ' + repr(tier) if tier else ''}.")
        header = f"{'tier':<12} {'#':>2} {'provider':<10} {'model':<44} {'outcome':<22} {'ms':>6}  detail"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in results:
            self.stdout.write(f"{r.route.tier.name:<12} {r.route.position:>2} {r.route.provider:<10} "
                              f"{r.route.model_id:<44} {r.outcome:<22} {r.latency_ms:>6}  {r.detail[:120]}")
        failed = sum(1 for r in results if r.outcome != "ok")
        if failed:
            raise CommandError(f"{failed} of {len(results)} routes did not answer.")
