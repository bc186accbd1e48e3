"""`make bench`: the pipeline as jobs, on the setup users run — PostgreSQL, Redis and a real worker process.

A plain script, not a test. It creates a throwaway PostgreSQL database, starts a fake Bedrock in this
process that answers every call after exactly 300 ms (as the offline model would, so the widgets are
real), and one ``run_worker`` process on Redis. Then, per widget:

1. Hand-off: the time from one step's commit (the write that queues the next, inside the committing
   transaction) to the next step starting in the worker, against the floor of any hand-off through
   Dramatiq measured in the same run (a bare message to a no-op actor). Goal: ≤ 10 ms at the median.
2. Wall time against the critical path: request created → widget ready, against the sum of its
   sequential model latencies (the component and the SQL of a custom widget run side by side: the
   longer counts) plus the queries' own time (the widget's statement, comparison and companions, warm).
   Goal: ≤ 1.05× for standard widgets.

Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 (BENCH_PG_URL, BENCH_REDIS_URL);
without them it says so and exits 0.
"""
from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
DATABASE = f"bench_pipeline_{os.getpid()}"
LATENCY_S = 0.3
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
STANDARD = ("total paid amount over the last 30 days", "claim count by region over the last 90 days",
            "monthly claim count over the last 12 months")
CUSTOM = ("custom leaderboard of total paid by region over the last 90 days",)
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret", "AWS_DEFAULT_REGION":
    "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true", "ANTHROPIC_API_KEY": "sk-ant-fake", "ANTHROPIC_BASE_URL":
    "http://127.0.0.1:9", "LOG_LEVEL": "WARNING", "BUILDER_MODE": "live", "DJANGO_SETTINGS_MODULE": "backend.settings",
}


def services_missing() -> str | None:
    import psycopg
    import redis

    try:
        psycopg.connect(f"{PG}/postgres", connect_timeout=3).close()
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    problem = services_missing()
    if problem:
        print(f"pipeline bench skipped: needs PostgreSQL and Redis ({problem})")
        return
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {DATABASE}")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as var_dir:
            run(var_dir)
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def run(var_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(FAKE_ENV, BUILDER_VAR_DIR=var_dir, DATABASE_URL=f"{PG}/{DATABASE}", BROKER_URL=REDIS,
                      WAREHOUSE_PATH=os.environ.get("WAREHOUSE_PATH", str(ROOT / "var" / "bench-warehouse.duckdb")))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    model, worker = _start(var_dir)
    try:
        floor = dramatiq_floor_ms()
        measured = [measure(prompt) for prompt in STANDARD + CUSTOM for _ in range(ROUNDS)]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        model.stop()
    report(measured, floor)


def _start(var_dir: str) -> tuple[Any, subprocess.Popen[str]]:
    import redis
    from django.conf import settings

    from backend.llm.models import ModelRoute
    from sql_gen.services.demo import demo_source_seed
    from sql_gen.services.warehouse import warehouse_ensure
    from tests.llm.fakes import server as fake
    from tests.llm.fakes.bedrock import FakeBedrock
    from tests.widgets import live

    info = warehouse_ensure(path=Path(settings.WAREHOUSE_PATH), claims=1_000_000)
    print(f"warehouse: {info.path} ({info.claims:,} claims); fake model: {LATENCY_S * 1000:.0f} ms a call")
    demo_source_seed()
    ModelRoute.objects.exclude(provider="bedrock").update(enabled=False)
    redis.Redis.from_url(REDIS).flushdb()
    model = FakeBedrock().start()
    model.default = fake.computed(live.answer, delay_s=LATENCY_S)
    env = {**os.environ, "BEDROCK_ENDPOINT_URL": model.url, "PYTHONUNBUFFERED": "1"}
    os.environ["BEDROCK_ENDPOINT_URL"] = model.url
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--threads", "4"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    line = worker.stdout.readline()
    if "worker ready" not in line:
        raise SystemExit(f"the worker did not start: {line}")
    return model, worker


def measure(prompt: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from backend.llm.models import LLMCall
    from widgets.models import Dashboard, RequestStatus, WidgetRequest
    from widgets.services.requests import widget_request_create

    user, _ = get_user_model().objects.get_or_create(username="bench")
    dashboard, _ = Dashboard.objects.get_or_create(owner=user, name="Bench")
    request = widget_request_create(user=user, dashboard=dashboard, prompt=prompt)
    # The times come from the rows' own timestamps: how often this loop looks does not change them.
    while (found := WidgetRequest.objects.get(id=request.id)).status not in (RequestStatus.READY, RequestStatus.FAILED):
        time.sleep(0.05)
    if found.status != RequestStatus.READY:
        raise SystemExit(f"{prompt!r} failed: {found.error_message}")
    steps = list(found.steps.order_by("started_at"))
    latency = {c.step: c.latency_ms for c in LLMCall.objects.filter(widget_request_id=found.id, outcome="ok")}
    model_ms = latency["clarify"] + latency["spec"] + max(latency["sql"], latency.get("component", 0))
    return {
        "prompt": prompt, "custom": "component" in latency,
        "wall_ms": (found.updated_at - found.created_at).total_seconds() * 1000,
        "critical_ms": model_ms + query_ms(found.widget),
        "handoffs_ms": _handoffs(steps),
        "spent_ms": _spent(found, steps, latency),
    }


def _spent(request: Any, steps: list[Any], latency: dict[str, int]) -> dict[str, float]:
    """Where a widget's time went besides the model: each step's own work (its time running, less its model
    call's latency), the gaps between steps, and the ends (created → first step, last step → ready)."""
    spent = {f"{s.name} work": (s.finished_at - s.started_at).total_seconds() * 1000 - latency.get(s.name, 0)
             for s in steps if s.started_at and s.finished_at}
    spent["start"] = (steps[0].started_at - request.created_at).total_seconds() * 1000
    spent["finish"] = (request.updated_at - max(s.finished_at for s in steps)).total_seconds() * 1000
    ends = sorted((s.started_at, s.finished_at) for s in steps)
    spent["gaps"] = sum(max(0.0, (b[0] - a[1]).total_seconds() * 1000) for a, b in itertools.pairwise(ends))
    return spent


def _handoffs(steps: list[Any]) -> list[float]:
    """Each later step's start after the write that queued it: its outbox row, inserted in the transaction
    that finished the step before (so the figure includes that transaction's commit: an upper bound)."""
    from backend.jobs.models import OutboxMessage

    queued = {m.args[0]: m.created_at for m in OutboxMessage.objects.filter(args__in=[[s.id] for s in steps])}
    return [(s.started_at - queued[s.id]).total_seconds() * 1000 for s in steps[1:] if s.id in queued]


def query_ms(widget: Any) -> float:
    """The statements' own time: the median of three warm runs of everything the fetch step runs for the
    widget — its statement, its comparison and its companions (a KPI's sparkline, a table's totals) — through
    the same functions and the query box."""
    import datetime as dt

    from sql_gen.selectors import default_source
    from widgets.services.companions import companions_data
    from widgets.services.data import widget_data

    source = default_source()
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = widget_data(source=source, spec=widget.spec, sql=widget.sql)
        companions_data(source=source, companions=widget.companions or {},
                        today=dt.date.fromisoformat(result["today"]))
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def dramatiq_floor_ms(rounds: int = 100) -> float:
    """The median time from sending a bare Dramatiq message to its no-op actor starting, on the same Redis,
    with the app's broker class and worker timeout: the floor of any hand-off through Dramatiq."""
    import dramatiq
    from django.conf import settings
    from django.utils.module_loading import import_string

    broker = import_string(settings.DRAMATIQ_BROKER["BROKER"])(url=REDIS.rsplit("/", 1)[0] + "/13")
    broker.client.flushdb()
    started: dict[int, float] = {}

    @dramatiq.actor(broker=broker, actor_name="bench_noop")
    def noop(i: int) -> None:
        started[i] = time.perf_counter()

    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=settings.DRAMATIQ_WORKER_TIMEOUT_MS)
    worker.start()
    sent: dict[int, float] = {}
    try:
        for i in range(rounds):
            time.sleep(0.02)  # idle between messages, as between the steps of a widget
            sent[i] = time.perf_counter()
            noop.send(i)
        time.sleep(0.5)
    finally:
        worker.stop()
        broker.client.flushdb()
    return statistics.median((started[i] - sent[i]) * 1000 for i in sent if i in started)


def report(measured: list[dict[str, Any]], floor_ms: float) -> None:
    handoffs = sorted(g for m in measured for g in m["handoffs_ms"])
    p50, p95 = statistics.median(handoffs), handoffs[int(0.95 * (len(handoffs) - 1))]
    print(f"hand-off, commit → next step running: {len(handoffs)} hand-offs, median {p50:.1f} ms, p95 {p95:.1f} ms "
          f"(goal ≤ 10 ms at the median)")
    print(f"  baseline, a bare Dramatiq message to a no-op actor: median {floor_ms:.2f} ms; "
          f"hand-off/baseline {p50 / floor_ms:.1f}x")
    print(f"wall time against the critical path (model calls at {LATENCY_S * 1000:.0f} ms + the query), "
          f"median of {ROUNDS}:")
    for prompt in dict.fromkeys(m["prompt"] for m in measured):
        runs = [m for m in measured if m["prompt"] == prompt]
        wall = statistics.median(m["wall_ms"] for m in runs)
        critical = statistics.median(m["critical_ms"] for m in runs)
        kind = "custom" if runs[0]["custom"] else "standard"
        print(f"  {prompt[:52]:52} {kind:8} wall {wall:7.0f} ms  critical {critical:7.0f} ms  "
              f"ratio {wall / critical:.3f}")
    print("  where the rest went, standard widgets (median ms; a step's work excludes its model call):")
    plain = [m for m in measured if not m["custom"]]
    parts = dict.fromkeys(k for m in plain for k in m["spent_ms"])
    print("   " + ", ".join(f"{k} {statistics.median(m['spent_ms'].get(k, 0) for m in plain):.0f}" for k in parts))
    standard = [m["wall_ms"] / m["critical_ms"] for m in measured if not m["custom"]]
    print(f"  standard widgets: median ratio {statistics.median(standard):.3f} (goal ≤ 1.05)")


if __name__ == "__main__":
    main()
