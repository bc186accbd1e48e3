"""``python manage.py seed_demo``: the warehouse, its dictionary, demo users and a dashboard.

Idempotent: a second run the same day changes nothing.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sql_gen.services.demo import demo_source_seed
from sql_gen.services.warehouse import warehouse_ensure
from widgets.services.demo import demo_dashboard_seed, demo_users_seed


class Command(BaseCommand):
    help = "Build the demo warehouse (if needed) and seed its dictionary, metrics, users and dashboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, default=1_000_000, help="Claims in the demo warehouse.")

    def handle(self, *args: Any, claims: int, **options: Any) -> None:
        info = warehouse_ensure(path=settings.WAREHOUSE_PATH, claims=claims)
        state = "built" if info.built else "up to date"
        self.stdout.write(f"Warehouse {state}: {info.path} ({info.claims:,} claims, as of {info.anchor})")
        source = demo_source_seed()
        self.stdout.write(f"Data source {source.name}: {source.tables.count()} tables, {source.metrics.count()} metrics")
        logins = demo_users_seed()
        dashboard = demo_dashboard_seed()
        self.stdout.write(f"Dashboard: {dashboard.name!r} (owner: analyst)")
        self.stdout.write("Demo logins (also in var/demo-logins.json):")
        for username, password in logins.items():
            role = "admin, can open /admin/" if username == "admin" else "analyst"
            self.stdout.write(f"  {username:8} {password}   ({role})")
