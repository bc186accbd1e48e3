"""The web process's side of the box: a few worker processes, and a watchdog around every call.

Workers are plain ``python -m sql_gen.box.worker`` processes (``subprocess`` execs at once, so
starting one from a threaded process is safe, unlike a bare fork). They are started when first
needed, kept for later calls so DuckDB stays warm, and replaced when one dies or is stopped.
While a call runs, the calling thread watches the worker: past the statement's time limit plus
a grace period, past the memory limit (resident set, from /proc), or with a reply larger than the
output limit, the worker is killed at once. A PostgreSQL statement it was running is then
cancelled on the server over a fresh connection.
"""
from __future__ import annotations

import atexit
import fcntl
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sql_gen.box.protocol import (
    REPLY_OVERHEAD_BYTES, BoxFailure, FrameReader, FrameTooLarge, Limits, Target, encode, request, write_all,
)  # fmt: skip

logger = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[2]
_COMMAND = [sys.executable, "-E", "-s", "-B", "-m", "sql_gen.box.worker"]
# The watchdog's period: a string built at a few GB/s outgrows the limit by ~50 MB per period
# at most before the kill, well inside the address-space margin (worker.ADDRESS_SPACE_FACTOR).
POLL_S = 0.01
BOOT_TIMEOUT_S = 30.0  # Python and DuckDB load in ~0.3 s; this only catches a worker that hangs
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_RETIRED_KEPT = 50


def grace_s(time_s: float) -> float:
    """Return how long past its time limit a statement may run before its worker is killed:
    enough for the engine to stop it itself and reply, well under half the limit."""
    return min(2.0, max(0.25, time_s * 0.25))


@dataclass(frozen=True)
class Retired:
    """A worker the pool let go, and why (``reason`` is a limit name, "died" or "closed")."""

    pid: int
    reason: str
    peak_rss_bytes: int
    returncode: int | None


class _Stop(Exception):
    """The watchdog stops the worker: ``limit`` is the limit it passed."""

    def __init__(self, limit: str) -> None:
        super().__init__(limit)
        self.limit = limit


class Worker:
    """One worker process; used by one thread at a time (the pool sees to that)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            _COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_ROOT, env=_worker_env(), bufsize=0
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.pid = self.proc.pid
        self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self._poller = select.poll()
        self._poller.register(self._out, select.POLLIN)
        self._reader = FrameReader(max_bytes=REPLY_OVERHEAD_BYTES)
        self._frames: deque[dict[str, Any]] = deque()
        self._ready = False
        self.peak_rss_bytes = 0

    def alive(self) -> bool:
        return self.proc.returncode is None and self.proc.poll() is None

    def call(self, payload: bytes, *, target: Target, limits: Limits) -> dict[str, Any]:
        """Send one request and return the worker's reply. Raises BoxFailure ("box") when the
        worker cannot take it, ("limit") when the watchdog stopped it or it died running it."""
        self._await_ready()
        try:
            write_all(self._in, payload)
        except OSError:
            raise BoxFailure("box", "the query worker exited before it could take the query") from None
        self._reader.max_bytes = limits.output_bytes + REPLY_OVERHEAD_BYTES
        deadline = time.monotonic() + limits.time_s + grace_s(limits.time_s)
        backend: int | None = None
        try:
            while True:
                message = self._next(deadline, limits.memory_bytes)
                if message.get("event") == "backend":
                    backend = int(message["pid"])
                elif message.get("event") == "done":
                    return message
        except _Stop as stop:
            self.kill(stop.limit)
            _cancel_later(target, backend)
            raise BoxFailure("limit", f"stopped by the watchdog ({stop.limit})", limit=stop.limit) from None
        except EOFError:
            # The request still in the pipe means the worker died before it read it (while it sat
            # idle, say): not this statement's doing, and the pool tries a fresh worker.
            untouched = _unread_bytes(self._in) > 0
            retired = self.reap()
            if untouched:
                raise BoxFailure("box", "the query worker exited before it could take the query") from None
            limit = _death_cause(retired)
            _cancel_later(target, backend)
            raise BoxFailure("limit", f"the worker died running the query ({limit})", limit=limit) from None

    def _await_ready(self) -> None:
        if self._ready:
            return
        try:
            message = self._next(time.monotonic() + BOOT_TIMEOUT_S, None)
        except (_Stop, EOFError):
            self.kill("boot")
            raise BoxFailure("box", "a query worker could not start") from None
        if message.get("event") != "ready":
            self.kill("boot")
            raise BoxFailure("box", "a query worker started wrongly")
        self._ready = True

    def _next(self, deadline: float, memory_bytes: int | None) -> dict[str, Any]:
        """Return the next message; raise _Stop at a limit, EOFError when the worker is gone."""
        while not self._frames:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Stop("time")
            if self._poller.poll(min(POLL_S, remaining) * 1000):
                data = os.read(self._out, self._reader.wanted())
                if not data:
                    raise EOFError
                try:
                    self._frames.extend(self._reader.feed(data))
                except FrameTooLarge:
                    raise _Stop("output") from None
                except ValueError:
                    raise _Stop("crash") from None  # not our protocol: trust nothing more from it
                if self._frames:
                    break  # a reply in hand: no need to look at the worker's memory
            if memory_bytes is not None and self.rss_bytes() > memory_bytes:
                raise _Stop("memory")
        return self._frames.popleft()

    def rss_bytes(self) -> int:
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as statm:
                rss = int(statm.read().split()[1]) * _PAGE_BYTES
        except (OSError, IndexError, ValueError):
            return 0  # gone: the pipe says so next
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        return rss

    def _high_water(self) -> None:
        """Take the kernel's peak resident size of the worker's memory (VmHWM) into account.

        Not ru_maxrss from wait4: Linux carries the forking parent's high-water mark across exec,
        so a worker started from a 500 MB web process would seem to have used 500 MB.
        """
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                line = next((ln for ln in status if ln.startswith(b"VmHWM:")), b"VmHWM: 0 kB")
            self.peak_rss_bytes = max(self.peak_rss_bytes, int(line.split()[1]) * 1024)
        except (OSError, ValueError):
            pass

    def kill(self, reason: str) -> Retired:
        """Kill the worker at once and reap it; return what it became."""
        self._high_water()
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.reap(reason)

    def close(self) -> Retired:
        """Let the worker end by closing its pipe; kill it if it does not within a second."""
        self._high_water()
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            pass
        return self.kill("closed")

    def reap(self, reason: str = "died") -> Retired:
        """Wait for the worker's exit (it must be ending); return what it became."""
        if self.proc.returncode is None:
            try:
                self.proc.wait()
            except ChildProcessError:
                self.proc.returncode = -1
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        return Retired(self.pid, reason, self.peak_rss_bytes, self.proc.returncode)

    def forget(self) -> None:
        """In a forked child: drop the pipes without touching the process (the parent's)."""
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc.returncode = 0


def _unread_bytes(fd: int) -> int:
    """Return how many bytes written to a pipe were never read (Linux answers on the write end)."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0


def _death_cause(retired: Retired) -> str:
    # The kernel sends SIGXCPU at the soft CPU limit; anything else is a crash (an engine abort,
    # or the kernel's OOM killer).
    return "cpu" if retired.returncode == -signal.SIGXCPU else "crash"


def _worker_env() -> dict[str, str]:
    """Return the worker's environment: no app secrets, cloud keys or Django settings."""
    kept = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR"}}
    # libpq reads PG* variables (PGPASSWORD, PGSSLMODE, ...) for what a DSN leaves out.
    kept.update({k: v for k, v in os.environ.items() if k.startswith("PG")})
    kept["MALLOC_ARENA_MAX"] = "2"  # glibc reserves 64 MB of address space per arena otherwise
    return kept


def _cancel_later(target: Target, backend: int | None) -> None:
    """Cancel the PostgreSQL statement a stopped worker was running, off the caller's thread:
    the server does not notice a vanished client until it next writes to it."""
    if target.engine == "postgresql" and backend is not None:
        threading.Thread(target=_cancel, args=(target.location, backend), daemon=True).start()


def _cancel(dsn: str, backend: int) -> None:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=5, autocommit=True) as conn:
            conn.execute("SELECT pg_cancel_backend(%s)", [backend])
    except psycopg.Error as e:
        logger.warning("could not cancel PostgreSQL backend %s: %s", backend, e)


class Pool:
    """Up to ``size`` workers, shared by the threads of one process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._count = 0  # idle and busy workers, and slots being started
        self._alive: set[Worker] = set()  # every worker not yet let go, for forget()
        self.retired: deque[Retired] = deque(maxlen=_RETIRED_KEPT)

    def call(self, *, message: dict[str, Any], target: Target, limits: Limits, size: int) -> dict[str, Any]:
        """Run one request in a worker and return its reply. Raises BoxFailure."""
        payload = encode(message)
        for attempt in (1, 2):
            worker = self._acquire(size, wait_s=max(5.0, 2 * (limits.time_s + grace_s(limits.time_s))))
            try:
                reply = worker.call(payload, target=target, limits=limits)
            except BoxFailure as failure:
                self._replace(worker, failure.limit or "died", size)
                if failure.kind == "box" and attempt == 1:
                    continue  # the worker was gone before it took the query: try a fresh one
                raise
            if not reply.get("ok") and reply.get("limit") in ("memory", "cpu"):
                self._replace(worker, str(reply["limit"]), size)  # over its limit: a fresh process
            else:
                self._release(worker, size)
            return reply
        raise AssertionError("unreachable")

    def _acquire(self, size: int, *, wait_s: float) -> Worker:
        deadline = time.monotonic() + wait_s
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()  # the most recently used: its caches are warmest
                    if worker.alive():
                        return worker
                    self._count -= 1
                    self._alive.discard(worker)
                    self.retired.append(worker.reap())
                if self._count < size:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BoxFailure("box", "every query worker is busy; try again shortly")
                self._cond.wait(remaining)
        return self._start()

    def _start(self) -> Worker:
        """Start a worker for a slot already counted; free the slot if it cannot start."""
        try:
            worker = Worker()
            with self._cond:
                self._alive.add(worker)
            return worker
        except OSError as e:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise BoxFailure("box", f"a query worker could not start ({e.strerror or e})") from None

    def _release(self, worker: Worker, size: int) -> None:
        with self._cond:
            keep = self._count <= size
            if keep:
                self._idle.append(worker)
            else:
                self._count -= 1
            self._cond.notify()
        if not keep:
            self._let_go(worker.close())

    def _replace(self, worker: Worker, reason: str, size: int) -> None:
        """Let a stopped or dead worker go and start its successor now, so it boots meanwhile."""
        retired = worker.reap(reason) if not worker.alive() else worker.kill(reason)
        self._let_go(retired)
        if reason not in ("died", "closed", "boot"):
            logger.warning("query worker %s stopped (%s) at %.0f MB resident",
                           retired.pid, reason, retired.peak_rss_bytes / 2**20)
        with self._cond:
            self._count -= 1
            spare = self._count < size
            if spare:
                self._count += 1
            self._cond.notify()
        if spare:
            try:
                successor = self._start()
            except BoxFailure:
                return
            with self._cond:
                self._idle.insert(0, successor)
                self._cond.notify()

    def _let_go(self, retired: Retired) -> None:
        with self._cond:
            self._alive = {w for w in self._alive if w.pid != retired.pid}
        self.retired.append(retired)

    def workers(self) -> list[int]:
        """Return the pids of the idle workers (for tests and diagnostics)."""
        with self._cond:
            return [w.pid for w in self._idle]

    def close(self) -> None:
        """Stop the idle workers; busy ones are stopped when their call returns."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            self._let_go(worker.close())

    def forget(self) -> None:
        with self._cond:
            for worker in self._alive:
                worker.forget()
            self._idle, self._alive, self._count = [], set(), 0


_pool: Pool | None = None
_pool_lock = threading.Lock()


def box_pool() -> Pool:
    """Return this process's pool, made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool()
        return _pool


def box_call(*, op: str, target: Target, limits: Limits, workers: int, sql: str = "", fetch: int = 0) -> dict[str, Any]:
    """Run ``op`` ("run", "prove" or "schema") in a worker and return the reply.

    The reply is ``{"ok": True, "columns": [...], "rows": [[...], ...]}``: at most ``fetch`` rows
    for "run", none for "prove", (table, column, type) rows for "schema". Raises BoxFailure when
    the database refused the statement, the source could not be opened, the statement hit a limit
    (the worker's own or the watchdog's) or no worker could take the call; ValueError for an
    unknown op or engine.
    """
    message = request(op=op, target=target, limits=limits, sql=sql, fetch=fetch)
    reply = box_pool().call(message=message, target=target, limits=limits, size=max(1, workers))
    if not reply.get("ok"):
        raise BoxFailure.from_wire(reply)
    return reply


def box_shutdown() -> None:
    """Stop this process's idle workers (at exit, and in tests)."""
    with _pool_lock:
        pool = _pool
    if pool is not None:
        pool.close()


def _after_fork_in_child() -> None:
    # A forked process must not share its parent's workers; closing the inherited pipe ends also
    # lets those workers see end-of-file when the parent exits.
    global _pool
    if _pool is not None:
        _pool.forget()
    _pool = None


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(box_shutdown)
