"""`make bench`: the query box against a direct warm DuckDB connection, on the demo widgets' queries.

A plain script, not a test: it prints figures and asserts nothing about time. Like
``bench_sql.py`` it sets Django up on a throwaway app database, uses the 1M-claim demo warehouse at
``WAREHOUSE_PATH`` (default ``var/bench-warehouse.duckdb``, built by ``warehouse_ensure`` if missing
or different) and lets the offline model write the demo widgets' SQL.

1. Warm: per query, ``sql_execute`` through the box (a warm worker) against a DuckDB connection
   opened once in this process with the worker's engine settings (read-only, one thread, no I/O
   threads, the same memory limit), fetching the same rows and making them JSON-safe as the worker
   does. Median, min and max of 40 rounds, and the box/direct ratio of the medians. The bare
   engine (execute and fetch only) is shown too.
2. Cold: the first query of a new worker (start Python, load DuckDB, open the warehouse, run)
   against opening a connection in this process and running the same query, which is what the
   executor did for every query before the box (so the warm figures are also its old cost).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_sql import demo_widgets, django_setup  # noqa: E402

ROUNDS = 20  # per block; two blocks of each
COLD_ROUNDS = 5


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def summary(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"median {statistics.median(ms):7.2f} ms  min {min(ms):7.2f}  max {max(ms):7.2f}"


def direct_connection(path: Path) -> Any:
    """A connection with the worker's engine settings (see sql_gen/box/engines.py)."""
    import duckdb
    from django.conf import settings

    from sql_gen.box import engines

    config = engines.duckdb_config(memory_bytes=settings.QUERY_BOX_MEMORY_MB * 2**20)
    return duckdb.connect(str(path), read_only=True, config=config)


def bench_warm(widgets: list[Any], source: Any) -> None:
    from sql_gen.box.values import json_safe
    from sql_gen.services.execute import sql_execute

    conn = direct_connection(Path(source.resolved_location()))
    fetch = source.row_cap + 1

    def direct(sql: str, *, convert: bool) -> None:
        conn.execute(sql)
        rows = conn.fetchmany(fetch)
        if convert:
            [[json_safe(v) for v in row] for row in rows]

    print(f"warm: the demo widgets' queries, {2 * ROUNDS} rounds each after one warm-up, in blocks A B C C B A")
    ratios, bare_ratios = [], []
    for widget in widgets:
        sql_execute(source=source, sql=widget.sql)
        direct(widget.sql, convert=True)
        runs: dict[str, Callable[[], Any]] = {
            "box": lambda sql=widget.sql: sql_execute(source=source, sql=sql),
            "same": lambda sql=widget.sql: direct(sql, convert=True),
            "bare": lambda sql=widget.sql: direct(sql, convert=False),
        }
        samples: dict[str, list[float]] = {name: [] for name in runs}
        # Blocks of rounds in the order A B C, then C B A: a drift in the machine's speed hits all
        # three alike, and within a block one process's DuckDB does not evict the other's caches
        # (in service only the worker runs queries).
        for order in (list(runs), list(reversed(runs))):
            for name in order:
                samples[name] += [timed(runs[name]) for _ in range(ROUNDS)]
        box, same, bare = samples["box"], samples["same"], samples["bare"]
        ratios.append(statistics.median(box) / statistics.median(same))
        bare_ratios.append(statistics.median(box) / statistics.median(bare))
        print(f"  {widget.title[:60]}")
        print(f"    box                 {summary(box)}")
        print(f"    direct (baseline)   {summary(same)}   box/direct {ratios[-1]:.2f}")
        print(f"    engine only         {summary(bare)}   box/engine {bare_ratios[-1]:.2f}")
    print(f"  median box/direct ratio: {statistics.median(ratios):.2f} "
          f"(box/engine only {statistics.median(bare_ratios):.2f})")
    conn.close()


def bench_cold(widgets: list[Any], source: Any) -> None:
    from sql_gen.box import box_shutdown
    from sql_gen.services.execute import sql_execute

    sql = widgets[0].sql

    def first_query_of_a_new_worker() -> float:
        box_shutdown()  # the next call starts a worker from nothing
        return timed(lambda: sql_execute(source=source, sql=sql))

    def connect_and_run() -> None:
        conn = direct_connection(Path(source.resolved_location()))
        conn.execute(sql).fetchall()
        conn.close()

    box = [first_query_of_a_new_worker() for _ in range(COLD_ROUNDS)]
    direct = [timed(connect_and_run) for _ in range(COLD_ROUNDS)]
    print(f"cold: the first query ({widgets[0].title[:40]!r}), {COLD_ROUNDS} rounds")
    print(f"  new worker + query      {summary(box)}")
    ratio = statistics.median(box) / statistics.median(direct)
    print(f"  connect + query (old)   {summary(direct)}   ratio {ratio:.2f}")
    sql_execute(source=source, sql=sql)
    box_shutdown()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-box-") as var_dir:
        django_setup(var_dir)
        from sql_gen.selectors import default_source

        widgets = [w for w in demo_widgets() if w.sql]
        source = default_source()
        if source is None or not widgets:
            raise SystemExit("the demo source or its widgets are missing")
        bench_warm(widgets, source)
        bench_cold(widgets, source)


if __name__ == "__main__":
    main()
