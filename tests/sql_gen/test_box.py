"""The query box's machinery: workers reused and replaced, their limits, the pipe protocol, and
PostgreSQL statements cancelled on the server when their worker is stopped."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from pytest_django import Settings

from sql_gen.box import BoxFailure, Limits, Target, box_call
from sql_gen.box import process as box_process
from sql_gen.box.pool import Pool
from sql_gen.box.protocol import FrameReader, FrameTooLarge, encode
from sql_gen.box.worker import ADDRESS_SPACE_FACTOR
from sql_gen.services import execute
from sql_gen.services.execute import QueryFailed, schema_columns, sql_execute, sql_prove
from sql_gen.services.introspect import schema_read
from tests.conftest import TEST_WAREHOUSE_CLAIMS
from tests.sql_gen.conftest import BOX_DSN_VAR, MEMORY_MB, duck_source, pg_source, sqlite_source

COUNT = "SELECT COUNT(*) FROM claims"
# About 0.3 s of CPU on this machine: enough that a few in a row pass a 1 s CPU allowance.
CPU_BURNER = "SELECT count(DISTINCT md5(i::VARCHAR)) FROM range(1000000) t(i)"


def limits(**fields: Any) -> Limits:
    values = {"time_s": 10.0, "cpu_s": 10, "memory_bytes": MEMORY_MB * 2**20, "output_bytes": 2**20, **fields}
    return Limits(**values)


def proc_limits(pid: int) -> dict[str, tuple[str, str]]:
    """Return /proc/PID/limits as {name: (soft, hard)}."""
    with open(f"/proc/{pid}/limits") as table:
        lines = table.read().splitlines()[1:]
    return {line[:26].strip(): (line[26:47].strip(), line[47:68].strip()) for line in lines}


# -- reuse and replacement -------------------------------------------------------------------------


def test_a_worker_is_reused_for_query_after_query(small_box: Pool, warehouse_file: Path) -> None:
    source = duck_source(warehouse_file)
    pids = set()
    for _ in range(5):
        assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]
        pids.update(small_box.workers())
    assert len(pids) == 1


def test_a_reused_worker_resets_its_cpu_limit_before_every_query(pool: Pool, warehouse_file: Path) -> None:
    """RLIMIT_CPU counts the process's whole life: without the reset the fourth query would die."""
    target = Target("duckdb", str(warehouse_file))
    for _ in range(10):
        box_call(op="run", target=target, limits=limits(cpu_s=1), workers=1, sql=CPU_BURNER, fetch=2)
    [pid] = pool.workers()
    assert not pool.retired
    soft, hard = proc_limits(pid)["Max cpu time"]
    assert hard == "unlimited" and soft != "unlimited"


def test_a_statement_past_its_cpu_allowance_is_stopped_and_its_worker_replaced(
    pool: Pool, warehouse_file: Path
) -> None:
    target = Target("duckdb", str(warehouse_file))
    box_call(op="run", target=target, limits=limits(), workers=1, sql="SELECT 1", fetch=2)
    [before] = pool.workers()
    bomb = "SELECT sum(levenshtein(repeat(status, 2000), repeat(cause, 2000))) FROM claims"
    with pytest.raises(BoxFailure) as caught:
        box_call(op="run", target=target, limits=limits(cpu_s=1), workers=1, sql=bomb, fetch=2)
    assert (caught.value.kind, caught.value.limit) == ("limit", "cpu")  # the kernel's SIGXCPU, before 10 s
    reply = box_call(op="run", target=target, limits=limits(), workers=1, sql=COUNT, fetch=2)
    assert reply["rows"] == [[TEST_WAREHOUSE_CLAIMS]]
    assert pool.workers() != [before] and [r.reason for r in pool.retired] == ["cpu"]


def test_a_worker_that_died_while_idle_is_replaced_transparently(small_box: Pool, warehouse_file: Path) -> None:
    source = duck_source(warehouse_file)
    sql_execute(source=source, sql="SELECT 1")
    [pid] = small_box.workers()
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":  # dead, not yet reaped
        time.sleep(0.01)
    assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]
    assert small_box.workers() != [pid]


def test_a_worker_killed_mid_query_fails_that_query_alone(small_box: Pool, warehouse_file: Path) -> None:
    source = duck_source(warehouse_file, statement_timeout_s=30)
    sql_execute(source=source, sql="SELECT 1")
    [pid] = small_box.workers()
    threading.Timer(0.5, os.kill, args=(pid, signal.SIGKILL)).start()
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=source, sql="SELECT count(*) FROM claims a, claims b, claims c")
    assert caught.value.extra == {"limit": "crash"} and caught.value.statement_fault
    assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]


def test_the_pool_serves_many_threads_with_its_few_workers(
    settings: Settings, pool: Pool, warehouse_file: Path
) -> None:
    settings.QUERY_BOX_WORKERS = 2
    source = duck_source(warehouse_file)

    def count(n: int) -> Any:
        return sql_execute(source=source, sql=f"SELECT COUNT(*) + {n} FROM claims").rows[0][0] - n

    with ThreadPoolExecutor(max_workers=8) as threads:
        results = list(threads.map(count, range(40)))
    assert results == [TEST_WAREHOUSE_CLAIMS] * 40
    assert len(pool.workers()) <= 2 and not pool.retired


# -- limits and environment --------------------------------------------------------------------------


def test_a_worker_runs_under_os_limits_and_without_the_apps_secrets(small_box: Pool, warehouse_file: Path) -> None:
    sql_execute(source=duck_source(warehouse_file), sql="SELECT 1")
    [pid] = small_box.workers()
    table = proc_limits(pid)
    assert table["Max file size"] == ("0", "0")  # nothing is written, not even a spill file
    assert table["Max core file size"] == ("0", "0")
    assert int(table["Max address space"][0]) == int(MEMORY_MB * 2**20 * ADDRESS_SPACE_FACTOR)
    with open(f"/proc/{pid}/environ", "rb") as environ:
        names = {item.split(b"=", 1)[0].decode() for item in environ.read().split(b"\0") if item}
    assert not names & {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ANTHROPIC_API_KEY", "SECRET_KEY",
                        "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        assert b"sql_gen.box.worker" in cmdline.read()


def test_duckdb_gets_three_quarters_of_the_memory_limit_and_one_thread(
    settings: Settings, small_box: Pool, warehouse_file: Path
) -> None:
    source = duck_source(warehouse_file)
    settings_sql = "SELECT current_setting('memory_limit'), current_setting('threads')"
    assert sql_execute(source=source, sql=settings_sql).rows == [["384.0 MiB", 1]]
    settings.QUERY_BOX_MEMORY_MB = 1024  # the same worker reopens the file with the new limit
    assert sql_execute(source=source, sql=settings_sql).rows == [["768.0 MiB", 1]]
    assert len(small_box.workers()) == 1 and not small_box.retired


def test_the_web_process_opens_no_warehouse_connection_for_any_operation(
    monkeypatch: pytest.MonkeyPatch, small_box: Pool, warehouse_file: Path, claims_sqlite_file: Path
) -> None:
    """Queries, proving and schema reads all happen in the box: here the drivers would explode."""

    def explode(*args: object, **kwargs: object) -> None:
        raise AssertionError("the web process opened a warehouse connection")

    for module, name in ((duckdb, "connect"), (sqlite3, "connect"), (psycopg, "connect")):
        monkeypatch.setattr(module, name, explode)
    for source in (duck_source(warehouse_file), sqlite_source(claims_sqlite_file)):
        assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]
        assert sql_prove(source=source, sql="SELECT status, COUNT(*) AS n FROM claims GROUP BY status") == [
            "status", "n"]
        assert "claims" in schema_read(source=source)


def test_a_reply_announcing_more_than_the_output_limit_is_refused_before_it_is_read() -> None:
    reader = FrameReader(max_bytes=100)
    assert reader.feed(encode({"event": "done", "ok": True})) == [{"event": "done", "ok": True}]
    with pytest.raises(FrameTooLarge):
        reader.feed(encode({"rows": ["x" * 200]})[:10])


def test_an_unknown_operation_is_a_programming_error(warehouse_file: Path) -> None:
    with pytest.raises(ValueError):
        box_call(op="write", target=Target("duckdb", str(warehouse_file)), limits=limits(), workers=1)


# -- schema and proving ------------------------------------------------------------------------------


def test_the_schema_of_a_duckdb_warehouse_is_read_in_the_box(pool: Pool, warehouse_file: Path) -> None:
    columns = schema_columns(source=duck_source(warehouse_file))
    assert ("claims", "claim_id", "BIGINT") in columns and ("_meta", "key", "VARCHAR") in columns


@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_proving_returns_the_columns_without_running_the_statement(
    engine: str, pool: Pool, warehouse_file: Path, claims_sqlite_file: Path
) -> None:
    """Run, the cross join would pass the 1 s limit; prepared, it is only its columns."""
    source = duck_source(warehouse_file, statement_timeout_s=1) if engine == "duckdb" else sqlite_source(
        claims_sqlite_file, statement_timeout_s=1)
    sql = "SELECT a.status, COUNT(*) AS n FROM claims a, claims b, claims c GROUP BY a.status"
    assert sql_prove(source=source, sql=sql) == ["status", "n"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [("SELECT no_such_column FROM claims", "no_such_column"), ("SELECT 1 + 'a'", "rejected the query"),
     ("SELECT 1; SELECT 2", "one statement"), ("DELETE FROM claims", "rejected the query")],
)
@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_proving_a_statement_the_engine_refuses_says_why(
    engine: str, sql: str, message: str, pool: Pool, warehouse_file: Path, claims_sqlite_file: Path
) -> None:
    if engine == "sqlite" and sql == "SELECT 1 + 'a'":
        pytest.skip("SQLite adds 1 and 'a' without complaint")
    source = duck_source(warehouse_file) if engine == "duckdb" else sqlite_source(claims_sqlite_file)
    with pytest.raises(QueryFailed) as caught:
        sql_prove(source=source, sql=sql)
    assert caught.value.statement_fault and message in caught.value.message
    assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]  # the file is untouched


@pytest.mark.integration
def test_proving_on_postgresql_prepares_and_describes_without_running(pool: Pool, pg_url: str) -> None:
    source = pg_source(statement_timeout_s=1)
    assert sql_prove(source=source, sql="SELECT pg_sleep(30) AS slept, 1 AS one") == ["slept", "one"]
    with pytest.raises(QueryFailed, match='column "no_such_column" does not exist') as caught:
        sql_prove(source=source, sql="SELECT no_such_column FROM generate_series(1, 3) g")
    assert caught.value.statement_fault
    with pytest.raises(QueryFailed, match="multiple commands"):
        sql_prove(source=source, sql="SELECT 1; SELECT 2")


@pytest.mark.integration
def test_a_postgresql_statement_runs_read_only_with_a_bounded_work_mem(pool: Pool, pg_url: str) -> None:
    source = pg_source(statement_timeout_s=3)
    settings = sql_execute(source=source, sql="SELECT current_setting('work_mem') AS w, "
                                              "current_setting('transaction_read_only') AS ro, "
                                              "current_setting('statement_timeout') AS t")
    assert settings.rows == [["32MB", "on", "3s"]]


# -- PostgreSQL: the statement is cancelled on the server --------------------------------------------


def _running(url: str, application: str) -> list[int]:
    """Return the backends of ``application`` that are running a statement (the box's FETCH)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND state = 'active'"
            " AND query LIKE 'FETCH%%'",
            [application],
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.integration
@pytest.mark.slow
def test_a_postgresql_statement_is_cancelled_on_the_server_when_its_worker_is_killed(
    small_box: Pool, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = f"box_cancel_{os.getpid()}_{time.monotonic_ns()}"
    monkeypatch.setenv(BOX_DSN_VAR, f"{pg_url}?application_name={application}")
    source = pg_source(statement_timeout_s=60)
    sql_execute(source=source, sql="SELECT 1")
    [pid] = small_box.workers()
    failure: list[QueryFailed] = []

    def run() -> None:
        try:
            sql_execute(source=source, sql="SELECT pg_sleep(60)")
        except QueryFailed as e:
            failure.append(e)

    caller = threading.Thread(target=run)
    caller.start()
    for _ in range(500):
        if _running(pg_url, application):
            break
        time.sleep(0.01)
    assert _running(pg_url, application), "the statement never started on the server"
    os.kill(pid, signal.SIGKILL)
    caller.join(10)
    assert failure and failure[0].extra == {"limit": "crash"}
    for _ in range(500):  # the cancel runs off the caller's thread
        if not _running(pg_url, application):
            break
        time.sleep(0.01)
    assert not _running(pg_url, application), "the server still runs the statement of a dead worker"


def test_a_postgresql_source_that_cannot_connect_blames_the_source_not_the_statement(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BOX_DSN_VAR, "postgresql://reader:pw@127.0.0.1:9/wh")
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=pg_source(), sql="SELECT 1")
    assert caught.value.message == "Could not connect to the PostgreSQL data source pg."
    assert not caught.value.statement_fault


def test_query_limits_follow_the_source_and_the_settings(settings: Settings, warehouse_file: Path) -> None:
    settings.QUERY_BOX_MEMORY_MB = 768
    got = execute.query_limits(source=duck_source(warehouse_file, statement_timeout_s=7))
    assert (got.time_s, got.cpu_s, got.memory_bytes, got.output_bytes) == (7, 11, 768 * 2**20, 8 * 2**20)


def test_a_sqlite_file_in_wal_mode_is_refused_with_the_fix(pool: Pool, tmp_path: Path) -> None:
    """A WAL reader writes its -shm file, and a worker writes no file: the message says what to change."""
    path = tmp_path / "wal.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE claims (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(QueryFailed, match="WAL mode") as caught:
        sql_execute(source=sqlite_source(path), sql=COUNT)
    assert not caught.value.statement_fault and "journal_mode=DELETE" in caught.value.message


def test_a_forked_process_starts_a_pool_of_its_own(small_box: Pool, warehouse_file: Path) -> None:
    """A forked child must not talk to its parent's workers over the pipes it inherited."""
    source = duck_source(warehouse_file)
    sql_execute(source=source, sql="SELECT 1")
    [parent_worker] = small_box.workers()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            from sql_gen.box.pool import box_pool

            rows = sql_execute(source=source, sql=COUNT).rows
            mine = box_pool().workers()
            os.write(write_end, f"{rows[0][0]} {mine[0] != parent_worker}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 100).decode()
    os.waitpid(child, 0)
    assert answer == f"{TEST_WAREHOUSE_CLAIMS} True"
    assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]
    assert small_box.workers() == [parent_worker]


def test_a_call_interrupted_in_its_thread_gives_back_its_worker_slot(
    small_box: Pool, warehouse_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's time limit raises in the calling thread mid-call: the worker goes, the slot does not leak."""
    source = duck_source(warehouse_file, statement_timeout_s=30)
    sql_execute(source=source, sql="SELECT 1")
    [pid] = small_box.workers()

    class JobTimeLimit(Exception):
        pass

    real_next = box_process.Worker._next

    def interrupted(self: Any, deadline: float, memory_bytes: int | None) -> Any:
        raise JobTimeLimit

    monkeypatch.setattr(box_process.Worker, "_next", interrupted)
    with pytest.raises(JobTimeLimit):
        sql_execute(source=source, sql="SELECT count(*) FROM claims a, claims b, claims c")
    monkeypatch.setattr(box_process.Worker, "_next", real_next)
    assert [r.reason for r in small_box.retired] == ["interrupted"] and not Path(f"/proc/{pid}").exists()
    assert sql_execute(source=source, sql=COUNT).rows == [[TEST_WAREHOUSE_CLAIMS]]  # one worker, free again
