"""`make bench`: SQL safety-check throughput, and the demo widgets' queries cold and cached.

A plain script, not a test: it prints figures and asserts nothing about time. It sets Django up
on a throwaway SQLite app database (migrated here), uses the 1M-claim demo warehouse at
``WAREHOUSE_PATH`` (default ``var/bench-warehouse.duckdb``, built by ``warehouse_ensure`` if missing or
different) and the offline model to write the demo widgets' SQL.

1. Safety: statements per second of ``sql_check`` over the labelled corpus, against bare
   ``sqlglot.parse`` of the same statements in the same run (the ratio is what to compare).
2. Resolver: a refresh that misses the result cache (runs the query on the warehouse) against
   one that hits it, per demo widget; the median of a few rounds and the cached/cold ratio.
"""
from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "sql_gen" / "corpus"
DIALECTS = ("duckdb", "sqlite", "postgres")
CLAIMS = 1_000_000
ROUNDS = 5
DEMO_PROMPTS = (
    "total paid amount over the last 30 days",
    "claim count by region over the last 90 days",
    "open claims by channel as a table",
)


def django_setup(var_dir: str) -> None:
    """Point the app at a throwaway var dir (app database, secret key) and migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ["BUILDER_VAR_DIR"] = var_dir
    os.environ["BUILDER_MODE"] = "offline"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("WAREHOUSE_PATH", str(ROOT / "var" / "bench-warehouse.duckdb"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    import django
    from django.core.management import call_command

    django.setup()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to Command" for each rejected one
    call_command("migrate", verbosity=0)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def corpus() -> list[tuple[str, dict[str, Any]]]:
    return [
        (dialect, json.loads(line))
        for dialect in DIALECTS
        for line in (CORPUS / f"{dialect}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def bench_safety() -> None:
    import sqlglot

    from sql_gen.services.safety import SqlRejected, sql_check

    def check_all(items: list[tuple[str, dict[str, Any]]]) -> None:
        for dialect, item in items:
            try:
                sql_check(sql=item["sql"], dialect=dialect, allowed_tables=item["allowed_tables"], row_cap=1000)
            except SqlRejected:
                pass

    def parse_all(items: list[tuple[str, dict[str, Any]]]) -> None:
        for dialect, item in items:
            try:
                sqlglot.parse(item["sql"], read=dialect)
            except (sqlglot.errors.SqlglotError, RecursionError):
                pass

    everything = corpus()
    # Accepted statements are parsed, checked, normalized and checked again; rejected ones often
    # stop early (size and nesting caps come before the parser), so both sets are shown.
    for label, items in (("accepted", [i for i in everything if i[1]["ok"]]), ("whole corpus", everything)):
        check_s = statistics.median(timed(lambda items=items: check_all(items)) for _ in range(ROUNDS))
        parse_s = statistics.median(timed(lambda items=items: parse_all(items)) for _ in range(ROUNDS))
        print(f"safety, {label}: {len(items)} statements, median of {ROUNDS} rounds")
        print(f"  sql_check      {len(items) / check_s:10,.0f} statements/s")
        print(f"  sqlglot.parse  {len(items) / parse_s:10,.0f} statements/s (baseline)")
        print(f"  sql_check takes {check_s / parse_s:.2f}x the time of a bare parse")


def demo_widgets() -> list[Any]:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from sql_gen.services.demo import demo_source_seed
    from sql_gen.services.warehouse import warehouse_ensure
    from widgets.models import Dashboard, RequestStatus, Widget
    from widgets.services import runner as pipeline
    from widgets.services.requests import widget_request_answer, widget_request_create

    started = time.perf_counter()
    info = warehouse_ensure(path=Path(settings.WAREHOUSE_PATH), claims=CLAIMS)
    state = f"built in {time.perf_counter() - started:.1f}s" if info.built else "up to date"
    print(f"warehouse: {info.path} ({info.claims:,} claims, {state})")
    demo_source_seed()
    user = get_user_model().objects.create_user(username="bench")
    dashboard = Dashboard.objects.create(owner=user, name="Bench")
    for prompt in DEMO_PROMPTS:
        request = widget_request_create(user=user, dashboard=dashboard, prompt=prompt, enqueue=False)
        status = pipeline.run(request_id=request.id)
        while status == RequestStatus.NEEDS_CLARIFICATION:  # take the first option, as a hurried analyst would
            request.refresh_from_db()
            answers = {q["id"]: (q.get("options") or ["yes"])[0] for q in request.questions}
            widget_request_answer(user=user, request=request, answers=answers, enqueue=False)
            status = pipeline.run(request_id=request.id)
        if status != RequestStatus.READY:
            raise SystemExit(f"The offline model did not build {prompt!r}: {status}")
    return list(Widget.objects.filter(dashboard=dashboard))


def bench_resolver() -> None:
    from django.core.cache import cache
    from django.utils import timezone

    from widgets.models import Widget
    from widgets.services.resolve import widget_refresh

    def refresh(widget: Any, *, cold: bool) -> float:
        if cold:
            cache.clear()
        Widget.objects.filter(id=widget.id).update(result_at=timezone.now() - timedelta(days=1))
        seconds = timed(lambda: widget_refresh(widget_id=widget.id))
        expected = "live" if cold else "cached"
        if Widget.objects.get(id=widget.id).source != expected:
            raise SystemExit(f"widget {widget.title!r}: expected a {expected} refresh")
        return seconds

    print(f"resolver: demo widgets on the {CLAIMS:,}-claim warehouse, median of {ROUNDS} rounds")
    ratios = []
    for widget in demo_widgets():
        cold = statistics.median(refresh(widget, cold=True) for _ in range(ROUNDS))
        cached = statistics.median(refresh(widget, cold=False) for _ in range(ROUNDS))
        ratios.append(cached / cold)
        print(f"  {widget.title[:48]:48} cold {cold * 1000:8.1f} ms  cached {cached * 1000:6.1f} ms  "
              f"cached/cold {cached / cold:.3f}")
    print(f"  median cached/cold ratio: {statistics.median(ratios):.3f}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sql-") as var_dir:
        django_setup(var_dir)
        bench_safety()
        bench_resolver()


if __name__ == "__main__":
    main()
