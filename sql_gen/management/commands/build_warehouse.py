"""``python manage.py build_warehouse``: build the demo DuckDB warehouse, or keep it if it matches.

Without ``--force`` a file already built today with the same claims and seed is left alone,
so a second ``make run`` the same day changes nothing.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sql_gen.services.warehouse import warehouse_build, warehouse_ensure


def _positive_int(text: str) -> int:
    """Return ``text`` as a positive int; raises ``argparse.ArgumentTypeError`` otherwise."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


class Command(BaseCommand):
    help = "Build the demo warehouse (claims, policies, premium) unless an identical one exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=_positive_int, default=1_000_000, help="Number of claims.")
        parser.add_argument("--seed", type=int, default=7, help="Seed of the generator.")
        parser.add_argument("--force", action="store_true", help="Rebuild even if the file is up to date.")
        parser.add_argument("--path", type=Path, default=None, help="DuckDB file (default: settings.WAREHOUSE_PATH).")

    def handle(self, *args: Any, claims: int, seed: int, force: bool, path: Path | None, **options: Any) -> None:
        started = time.monotonic()
        build = warehouse_build if force else warehouse_ensure
        info = build(path=path or settings.WAREHOUSE_PATH, claims=claims, seed=seed)
        summary = f"{info.path} ({info.claims:,} claims, seed {info.seed}, as of {info.anchor})"
        if info.built:
            self.stdout.write(f"built {summary} in {time.monotonic() - started:.1f}s")
        else:
            self.stdout.write(f"warehouse up to date: {summary}")
