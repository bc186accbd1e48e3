"""One box worker process as the web process sees it, and the watchdog around each of its calls.

A worker is a plain ``python -m sql_gen.box.worker`` process (``subprocess`` execs at once, so
starting one from a threaded process is safe, unlike a bare fork). While a call runs, the calling
thread watches it: past the statement's time limit plus a grace period, past the memory limit
(resident set, from /proc), or with a reply larger than the output limit, the worker is killed at
once. A PostgreSQL statement it was running is then cancelled on the server over a fresh
connection.
"""
from __future__ import annotations

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
    REPLY_OVERHEAD_BYTES,
    BoxFailure,
    FrameReader,
    FrameTooLarge,
    Limits,
    Target,
    write_all,
)  # fmt: skip

logger = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[2]
_COMMAND = [sys.executable, "-E", "-s", "-B", "-m", "sql_gen.box.worker"]
# The watchdog's period: a string built at a few GB/s outgrows the limit by ~50 MB per period
# at most before the kill, well inside the address-space margin (worker.ADDRESS_SPACE_FACTOR).
POLL_S = 0.01
BOOT_TIMEOUT_S = 30.0  # Python and DuckDB load in ~0.1 s; this only catches a worker that hangs
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


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
        # A session of its own: Ctrl-C in the terminal that started the app must not kill a query mid-way
        # (the app stops its workers itself); a worker whose parent died reads end-of-file and exits.
        self.proc = subprocess.Popen(
            _COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_ROOT, env=_worker_env(), bufsize=0,
            start_new_session=True,
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
        self._backend: int | None = None  # the PostgreSQL backend of the call under way

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
        self._backend = None
        try:
            while True:
                message = self._next(deadline, limits.memory_bytes)
                if message.get("event") == "backend":
                    self._backend = int(message["pid"])
                elif message.get("event") == "done":
                    return message
        except _Stop as stop:
            self.abandon(target, stop.limit)
            raise BoxFailure("limit", f"stopped by the watchdog ({stop.limit})", limit=stop.limit) from None
        except EOFError:
            # The request still in the pipe means the worker died before it read it (while it sat
            # idle, say): not this statement's doing, and the pool tries a fresh worker.
            untouched = _unread_bytes(self._in) > 0
            retired = self.reap()
            if untouched:
                raise BoxFailure("box", "the query worker exited before it could take the query") from None
            limit = _death_cause(retired)
            _cancel_later(target, self._backend)
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

    def abandon(self, target: Target, reason: str) -> Retired:
        """Kill the worker mid-call, and cancel the PostgreSQL statement it may be running."""
        retired = self.kill(reason)
        _cancel_later(target, self._backend)
        return retired

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
