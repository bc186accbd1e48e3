"""The warm TypeScript checker as this process sees it: one long-lived Node process, reused across checks.

``widgets/tsx/server.mjs`` is started on first use (``subprocess`` execs at once, so starting it from a
threaded process is safe) and keeps a worker thread with the compiler and the typings loaded; the
thread runs each check under a deadline and a heap cap and is replaced when it overruns or dies. This
side watches the server itself: one that dies is restarted, one that does not answer within the
check's deadline plus a grace period is killed and restarted, and every process started is reaped.

One check runs at a time per process (a lock: the Dramatiq worker runs several threads); a thread
waits for the checker no longer than its own budget. A forked child starts a server of its own.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BOOT_TIMEOUT_S = 60.0  # Node, the compiler and the typings load in 1-5 s (20 s on a machine loaded 6x); this catches a hang
GRACE_S = 2.0  # past a check's deadline the server answers at once; past this grace it is taken for hung
CLOSE_WAIT_S = 1.0
MAX_LINE_BYTES = 4 * 2**20  # a verdict carries at most the script of a 20,000-character component
SERVER_HEAP_MB = 256  # the server's own heap; each check's thread has its own cap (``heap_mb``)


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ``js`` is the compiled script when ``ok``, else ``errors`` says why not."""

    ok: bool
    errors: list[str]
    js: str | None


class CheckerFailure(Exception):
    """No verdict. ``kind``: "time" or "memory" (the check passed the deadline or the heap cap: the
    component's doing), "crash" (the compiler failed on it), "unavailable" (the server could not
    start, died, hung or was busy; ``retryable`` says whether a later try may pass)."""

    def __init__(self, kind: str, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retryable = retryable


class _Gone(Exception):
    """The server's stdout ended: it exited."""


@dataclass(frozen=True)
class Config:
    node: str
    root: Path
    heap_mb: int
    max_checks: int = 500


class WarmChecker:
    """One server process, started when first needed; ``check`` may be called from any thread."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = bytearray()
        self._next_id = 0

    @property
    def pid(self) -> int | None:
        """The running server's pid (for tests and diagnostics), or None."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def check(self, *, props_ts: str, tsx: str, time_s: float, ends_at: float) -> Verdict:
        """Check one component within ``time_s`` of type-checking, waiting for the checker (to be free,
        to start) until ``ends_at`` (``time.monotonic()``) at the latest.

        Raises:
            CheckerFailure: no verdict (see its ``kind``).
        """
        if not self._lock.acquire(timeout=max(0.0, ends_at - time.monotonic())):
            raise CheckerFailure("unavailable", "the checker was busy with other components for the whole time left",
                                 retryable=True)
        try:
            return self._check(props_ts, tsx, time_s, ends_at)
        except (CheckerFailure, _Gone):
            raise
        except BaseException:
            # Interrupted mid-exchange (a job's time limit raised in this thread, Ctrl-C): where the
            # protocol stands is unknown, so the server goes; the next check starts a fresh one.
            self._stop("interrupted")
            raise
        finally:
            self._lock.release()

    def prestart(self) -> None:
        """Start the server now, if it is not running and no check is under way, without waiting for it."""
        if self._lock.acquire(blocking=False):
            try:
                self._ensure_started()
            except CheckerFailure:
                pass  # the check itself will say why
            finally:
                self._lock.release()

    def _check(self, props_ts: str, tsx: str, time_s: float, ends_at: float) -> Verdict:
        for attempt in (1, 2):
            self._ensure_started()
            self._next_id += 1
            request_id = self._next_id
            time_ms = max(1, int(min(time_s, ends_at - time.monotonic()) * 1000))
            try:
                self._write({"id": request_id, "props_ts": props_ts, "tsx": tsx, "time_ms": time_ms})
                self._await_start(request_id, ends_at)
            except _Gone:
                # It exited before it took the check (it died while idle, say): not this component's
                # doing, so a fresh server gets it once.
                status = self._reap()
                if attempt == 1:
                    log.warning("the TypeScript checker had exited (%s); starting it again", status)
                    continue
                raise CheckerFailure("unavailable", f"the TypeScript checker exited ({status}) before it took the "
                                     "component", retryable=True) from None
            return self._await_verdict(request_id, time.monotonic() + time_ms / 1000 + GRACE_S)
        raise AssertionError("unreachable")

    def _await_start(self, request_id: int, ends_at: float) -> None:
        boot_deadline = time.monotonic() + BOOT_TIMEOUT_S
        deadline = min(ends_at, boot_deadline)
        message = self._read(request_id, deadline)
        if message is None:
            if deadline == boot_deadline:
                self._stop("boot")
                raise CheckerFailure("unavailable", f"the TypeScript checker did not start within {BOOT_TIMEOUT_S:.0f} s",
                                     retryable=True)
            try:
                self._write({"cancel": request_id})  # it may still be starting: it drops the check then
            except _Gone:
                self._reap()
            raise CheckerFailure("unavailable", "no time was left to check the component", retryable=True)
        if message.get("event") != "started":
            self._stop("protocol")
            raise CheckerFailure("unavailable", "the TypeScript checker answered out of turn", retryable=True)

    def _await_verdict(self, request_id: int, deadline: float) -> Verdict:
        try:
            message = self._read(request_id, deadline)
        except _Gone:
            status = self._reap()
            log.warning("the TypeScript checker exited (%s) while checking a component", status)
            raise CheckerFailure("unavailable", f"the TypeScript checker stopped ({status}) while checking the "
                                 "component; it is tried again", retryable=True) from None
        if message is None:
            self._stop("hung")
            log.warning("the TypeScript checker did not answer within the check's deadline; it was killed")
            raise CheckerFailure("unavailable", "the TypeScript checker stopped answering and was restarted",
                                 retryable=True)
        if message.get("event") == "done" and isinstance(message.get("ok"), bool):
            errors = [str(e) for e in message.get("errors") or []]
            js = message.get("js")
            return Verdict(ok=message["ok"] and isinstance(js, str), errors=errors, js=js if isinstance(js, str) else None)
        if message.get("event") == "failed" and message.get("limit") in ("time", "memory", "crash"):
            if message["limit"] == "crash":
                log.error("the TypeScript checker thread failed: %s", message.get("detail"))
            raise CheckerFailure(message["limit"], str(message.get("detail") or ""))
        self._stop("protocol")
        raise CheckerFailure("unavailable", "the TypeScript checker gave no verdict", retryable=True)

    def _read(self, request_id: int, deadline: float) -> dict[str, Any] | None:
        """Return the next message about ``request_id`` (or a fatal one), None at ``deadline``.

        Raises:
            _Gone: the server exited.
            CheckerFailure: it reported it cannot start, or wrote something that is not our protocol.
        """
        while True:
            message = self._next_line(deadline)
            if message is None:
                return None
            if message.get("event") == "fatal":
                status = self._reap()
                raise CheckerFailure("unavailable", f"the TypeScript checker could not start: {message.get('error')} "
                                     f"({status})")
            if message.get("id") == request_id:
                return message
            # "ready", or what a check given up on earlier still says: nothing to act on.

    def _next_line(self, deadline: float) -> dict[str, Any] | None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(fd, 65536)
            if not data:
                raise _Gone
            self._buffer += data
            if len(self._buffer) > MAX_LINE_BYTES and b"\n" not in self._buffer:
                self._stop("output")
                raise CheckerFailure("unavailable", "the TypeScript checker wrote more than a verdict", retryable=True)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self._stop("protocol")
            raise CheckerFailure("unavailable", "the TypeScript checker wrote something other than a verdict",
                                 retryable=True)
        return message

    def _write(self, message: dict[str, Any]) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        data = (json.dumps(message) + "\n").encode("utf-8")
        try:
            while data:
                written = os.write(proc.stdin.fileno(), data)
                data = data[written:]
        except (BrokenPipeError, ConnectionResetError):
            raise _Gone from None

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        if self._proc is not None:
            log.warning("the TypeScript checker had exited (%s); starting it again", self._reap())
        config = self.config
        command = [config.node, f"--max-old-space-size={SERVER_HEAP_MB}", str(config.root / "widgets" / "tsx" / "server.mjs"),
                   f"--heap-mb={config.heap_mb}", f"--max-checks={config.max_checks}"]
        # The compiler needs no credentials: PATH and the locale, nothing else from our environment.
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
        try:
            # A session of its own: Ctrl-C in the app's terminal stops the app, which closes the pipe and so
            # ends the server, rather than killing a check half-way. A server whose app process died reads
            # end-of-file and exits.
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=config.root,
                                          env=env, bufsize=0, start_new_session=True)
        except OSError as exc:
            self._proc = None
            raise CheckerFailure("unavailable", f"Node.js could not be started ({exc.strerror or exc})") from exc
        self._buffer = bytearray()

    def _stop(self, reason: str) -> None:
        """Kill the server at once (its whole process group) and reap it."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        status = self._reap()
        if reason != "closed":  # not at exit, when logging may already be shut down
            log.info("the TypeScript checker was stopped (%s): %s", reason, status)

    def _reap(self) -> str:
        """Wait for the server's exit (it must be ending), close its pipes and say how it ended."""
        proc = self._proc
        if proc is None:
            return "not running"
        self._proc = None
        try:
            returncode = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._buffer = bytearray()
        return f"signal {-returncode}" if returncode < 0 else f"exit status {returncode}"

    def close(self) -> None:
        """End the server: close its stdin (it exits on end-of-file), kill it if it does not within a second."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=CLOSE_WAIT_S)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._stop("closed")

    def forget(self) -> None:
        """In a forked child (one thread): drop the parent's server without touching it."""
        proc = self._proc
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()  # this process's copies of the pipe ends
                    except OSError:
                        pass
            proc.returncode = 0  # not ours to wait for
        self._proc = None
        self._lock = threading.Lock()  # a thread of the parent may have held it at the fork


_checker: WarmChecker | None = None
_checker_lock = threading.Lock()


def warm_checker(config: Config) -> WarmChecker:
    """Return this process's checker for ``config``; a different config (a setting changed) replaces it."""
    global _checker
    with _checker_lock:
        old = _checker
        if old is not None and old.config == config:
            return old
        _checker = WarmChecker(config)
    if old is not None:
        old.close()
    return _checker


def checker_shutdown() -> None:
    """End this process's server (at exit, and in tests)."""
    global _checker
    with _checker_lock:
        checker, _checker = _checker, None
    if checker is not None:
        checker.close()


def _after_fork_in_child() -> None:
    global _checker, _checker_lock
    _checker_lock = threading.Lock()
    if _checker is not None:
        _checker.forget()
    _checker = None


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(checker_shutdown)
