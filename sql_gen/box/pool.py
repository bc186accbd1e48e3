"""The web process's side of the box: a few worker processes shared by its threads.

Workers (``process.py``) are started when first needed, kept for later calls so DuckDB stays warm,
and replaced when one dies or is stopped at a limit; the most recently used idle worker takes the
next call. A forked child of the web process starts a pool of its own.
"""
from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from sql_gen.box.process import Retired, Worker, grace_s
from sql_gen.box.protocol import BoxFailure, Limits, Target, encode, request

logger = logging.getLogger(__name__)

_RETIRED_KEPT = 50


class Pool:
    """Up to ``size`` workers, shared by the threads of one process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._count = 0  # idle and busy workers, and slots being started
        self._alive: set[Worker] = set()  # every worker not yet let go, for forget()
        self.retired: deque[Retired] = deque(maxlen=_RETIRED_KEPT)

    def call(self, *, message: dict[str, Any], target: Target, limits: Limits, size: int,
             wait_s: float | None = None) -> dict[str, Any]:
        """Run one request in a worker and return its reply. Raises BoxFailure.

        With ``wait_s`` (what is left of a caller's budget) the wait for a free worker and the statement
        together end within it: the statement gets what the wait left. Without it, the wait is long
        enough for a busy worker's statement to end."""
        ends_at = None if wait_s is None else time.monotonic() + wait_s
        if wait_s is None:
            wait_s = max(5.0, 2 * (limits.time_s + grace_s(limits.time_s)))
        for attempt in (1, 2):
            worker = self._acquire(size, wait_s=wait_s if ends_at is None else max(0.0, ends_at - time.monotonic()))
            try:
                limits, payload = _within(message, limits, ends_at)
            except BoxFailure:
                self._release(worker, size)
                raise
            try:
                reply = worker.call(payload, target=target, limits=limits)
            except BoxFailure as failure:
                self._replace(worker, failure.limit or "died", size)
                if failure.kind == "box" and attempt == 1:
                    continue  # the worker was gone before it took the query: try a fresh one
                raise
            except BaseException:
                # Interrupted mid-call (a job's time limit raised in this thread, Ctrl-C): the
                # worker's state is unknown, so it goes, and its slot with it.
                worker.abandon(target, "interrupted")
                self._replace(worker, "interrupted", size)
                raise
            if not reply.get("ok") and reply.get("limit") in ("memory", "cpu"):
                self._replace(worker, str(reply["limit"]), size)  # over its limit: a fresh process
            else:
                self._release(worker, size)
            return reply
        raise AssertionError("unreachable")

    def _acquire(self, size: int, *, wait_s: float) -> Worker:
        """Return an idle worker, or a new one while there are fewer than ``size``; wait up to ``wait_s``.

        Raises:
            BoxFailure: ("box") every worker stayed busy.
        """
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
        """In a forked child (one thread): drop the parent's workers. No lock is taken, since
        another thread of the parent may have held it at the fork."""
        for worker in list(self._alive):
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


def _within(message: dict[str, Any], limits: Limits, ends_at: float | None) -> tuple[Limits, bytes]:
    """Return the limits and the encoded request, its time limit cut to what is left before ``ends_at``.

    Raises:
        BoxFailure: ("box") nothing is left.
    """
    if ends_at is not None:
        left = ends_at - time.monotonic()
        if left < 0.5:
            raise BoxFailure("box", "no time was left for the query after waiting for a free query worker")
        if left < limits.time_s:
            limits = dataclasses.replace(limits, time_s=left)
            message = {**message, "limits": vars(limits)}
    return limits, encode(message)


def box_call(*, op: str, target: Target, limits: Limits, workers: int, sql: str = "", fetch: int = 0,
             params: Mapping[str, str | None] | None = None, wait_s: float | None = None) -> dict[str, Any]:
    """Run ``op`` ("run", "prove" or "schema") in a worker and return the reply.

    The reply is ``{"ok": True, "columns": [...], "rows": [[...], ...]}``: at most ``fetch`` rows
    for "run", none for "prove", (table, column, type) rows for "schema". Raises BoxFailure when
    the database refused the statement, the source could not be opened, the statement hit a limit
    (the worker's own or the watchdog's) or no worker could take the call; ValueError for an
    unknown op or engine or a parameter that is not an ISO date (see ``protocol.request``).
    ``params`` are bound by the driver to the statement's named placeholders, which ``sql`` already
    spells in the engine's form. ``wait_s`` bounds the wait for a free worker.
    """
    message = request(op=op, target=target, limits=limits, sql=sql, fetch=fetch, params=params)
    reply = box_pool().call(message=message, target=target, limits=limits, size=max(1, workers), wait_s=wait_s)
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
    global _pool, _pool_lock
    _pool_lock = threading.Lock()  # a thread of the parent may have held it at the fork
    if _pool is not None:
        _pool.forget()
    _pool = None


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(box_shutdown)
