"""`make bench`: the warm TSX checker against a Node start per check, on the offline components.

A plain script, not a test: it prints figures and asserts nothing about time. Inputs are the six
components the offline model writes (``widgets/services/custom_offline.py``: ranked bars, ranked
bars for the latest period, columns, sparkline, big number, progress bar) with their generated Props.

1. Cold: ``node widgets/tsx/check.mjs`` started per check, as ``tsx_compile`` did before the warm
   checker (the same flags and environment): wall time and CPU seconds (Node's, from rusage) per check.
2. Warm: ``tsx_compile`` through this process's warm checker. Its first check (Node, the compiler
   and the typings loading) is shown on its own; then median and p95 over the rounds, and the
   server's CPU seconds per check (from /proc). Target: median ≤ 0.2 s.
3. End to end: one offline custom widget request ("custom leaderboard of total paid by region over
   the last 90 days") run through the pipeline in this process on a small warehouse, with the warm
   checker and with the cold one-shot in its place.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COLD_ROUNDS = 1  # per component
WARM_ROUNDS = 8  # per component
E2E_ROUNDS = 3
E2E_CLAIMS = 20_000
TARGET_MEDIAN_S = 0.2
CUSTOM_PROMPT = "custom leaderboard of total paid by region over the last 90 days"
PAID = {"key": "total_paid", "name": "Total paid", "unit": "currency"}
WINDOW = {"kind": "rolling", "n": 90, "unit": "day"}


def spec(**over: Any) -> dict[str, Any]:
    return {"kind": "custom", "title": "Total paid", "metric": PAID, "dimensions": [], "filters": [],
            "time_window": WINDOW, "grain": None, "labels": {}, **over}


SHAPES = {
    "ranked bars": (spec(dimensions=["regions.name"], limit=50), ""),
    "ranked bars, latest period": (spec(dimensions=["regions.name", "channels.name"], grain="month"), "top 5"),
    "columns": (spec(grain="week"), ""),
    "sparkline": (spec(grain="week", visual="a sparkline of the weeks"), ""),
    "big number": (spec(time_window={"kind": "all"}), ""),
    "progress bar": (spec(metric={"key": "loss_ratio", "name": "Loss ratio", "unit": "percent"}), "loss ratio gauge"),
}


def django_setup(var_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["BUILDER_VAR_DIR"] = var_dir
    os.environ["BUILDER_MODE"] = "offline"
    os.environ.pop("DATABASE_URL", None)
    os.environ["WAREHOUSE_PATH"] = str(Path(var_dir) / "warehouse.duckdb")
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    import django

    django.setup()


def components() -> list[tuple[str, str, str]]:
    """(name, props_ts, tsx) of each offline component."""
    from backend.llm.api import OfflineQuery
    from widgets.services import custom_offline
    from widgets.services.custom import props_interface

    made = []
    for name, (shape, request) in SHAPES.items():
        tsx = custom_offline.answer(OfflineQuery({}, {"spec": shape, "request": request}, []))["tsx"]
        made.append((name, props_interface(shape), tsx))
    return made


class ColdChecker:
    """What tsx_compile did before the warm checker: one Node start per check."""

    def prestart(self) -> None:
        pass  # nothing was started ahead

    def check(self, *, props_ts: str, tsx: str, time_s: float, ends_at: float) -> Any:
        from widgets.services.tsx import HEAP_MB
        from widgets.services.tsx_checker import Verdict

        done = subprocess.run(
            ["node", f"--max-old-space-size={max(HEAP_MB, 1024)}", str(ROOT / "widgets" / "tsx" / "check.mjs")],
            input=json.dumps({"props_ts": props_ts, "tsx": tsx}), capture_output=True, text=True, encoding="utf-8",
            timeout=120, cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}, check=True,
            start_new_session=True,
        )
        verdict = json.loads(done.stdout)
        return Verdict(ok=verdict["ok"], errors=verdict["errors"], js=verdict["js"])


def child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(label: str, samples: list[float], cpu: float | None = None) -> str:
    text = (f"  {label:<34} n={len(samples):<3} median {statistics.median(samples):6.3f} s  "
            f"p95 {p95(samples):6.3f} s  max {max(samples):6.3f} s")
    return text + (f"  CPU {cpu:5.2f} s/check" if cpu is not None else "")


def bench_checks(made: list[tuple[str, str, str]]) -> tuple[float, float]:
    from widgets.services import tsx

    cold_checker = ColdChecker()
    cold: list[float] = []
    cpu_before = child_cpu_s()
    for _ in range(COLD_ROUNDS):
        for _name, props_ts, tsx_source in made:
            started = time.perf_counter()
            verdict = cold_checker.check(props_ts=props_ts, tsx=tsx_source, time_s=30, ends_at=0)
            cold.append(time.perf_counter() - started)
            assert verdict.ok, verdict.errors
    cold_cpu = (child_cpu_s() - cpu_before) / len(cold)

    started = time.perf_counter()
    tsx.tsx_compile(tsx=made[0][2], props_ts=made[0][1])
    first = time.perf_counter() - started
    pid = tsx.tsx_checker_pid()
    assert pid is not None
    warm: list[float] = []
    cpu_before = proc_cpu_s(pid)
    for _ in range(WARM_ROUNDS):
        for _name, props_ts, tsx_source in made:
            started = time.perf_counter()
            tsx.tsx_compile(tsx=tsx_source, props_ts=props_ts)
            warm.append(time.perf_counter() - started)
    warm_cpu = (proc_cpu_s(pid) - cpu_before) / len(warm)
    assert tsx.tsx_checker_pid() == pid, "the warm checker was restarted during the run"

    print(f"checks of the {len(made)} offline components (load average {os.getloadavg()[0]:.1f} at the end)")
    print(line("cold: a Node start per check", cold, cold_cpu))
    print(f"  {'warm: first check (Node loading)':<34} {first:6.3f} s")
    print(line("warm: checker reused", warm, warm_cpu))
    median = statistics.median(warm)
    verdict = "met" if median <= TARGET_MEDIAN_S else "NOT met"
    print(f"  warm/cold median {median / statistics.median(cold):.3f} ({statistics.median(cold) / median:.1f}x faster); "
          f"target median <= {TARGET_MEDIAN_S} s: {verdict}")
    return statistics.median(cold), median


def bench_request() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from sql_gen.services.demo import demo_source_seed
    from sql_gen.services.warehouse import warehouse_ensure
    from widgets.models import Dashboard, RequestStatus
    from widgets.services import runner, tsx
    from widgets.services.requests import widget_request_create

    call_command("migrate", verbosity=0)
    warehouse_ensure(path=Path(settings.WAREHOUSE_PATH), claims=E2E_CLAIMS)
    demo_source_seed()
    user = get_user_model().objects.create_user(username="bench")
    dashboard = Dashboard.objects.create(owner=user, name="Bench")

    def one() -> float:
        started = time.perf_counter()
        request = widget_request_create(user=user, dashboard=dashboard, prompt=CUSTOM_PROMPT, enqueue=False)
        status = runner.run(request_id=request.id)
        took = time.perf_counter() - started
        assert status == RequestStatus.READY, (status, request.id)
        return took

    one()  # the checker, the warehouse and the caches warm
    warm = [one() for _ in range(E2E_ROUNDS)]
    real = tsx.warm_checker
    tsx.warm_checker = lambda config: ColdChecker()  # type: ignore[assignment]
    try:
        cold = [one() for _ in range(E2E_ROUNDS)]
    finally:
        tsx.warm_checker = real  # type: ignore[assignment]
    print(f"offline custom widget request, end to end (pipeline in this process, {E2E_CLAIMS:,}-claim warehouse)")
    print(line("with a Node start per check", cold))
    print(line("with the warm checker", warm))
    saved = statistics.median(cold) - statistics.median(warm)
    print(f"  {saved:.2f} s less per request; warm/cold median {statistics.median(warm) / statistics.median(cold):.2f}")


def main() -> None:
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        print("tsx check bench skipped: Node.js not found")
        return
    with tempfile.TemporaryDirectory(prefix="bench-tsx-") as var_dir:
        django_setup(var_dir)
        from widgets.services.tsx import tsx_checker_available
        from widgets.services.tsx_checker import checker_shutdown

        problem = tsx_checker_available()
        if problem:
            print(f"tsx check bench skipped: {problem}")
            return
        try:
            bench_checks(components())
            if "--no-request" not in sys.argv:
                bench_request()
        finally:
            checker_shutdown()


if __name__ == "__main__":
    main()
