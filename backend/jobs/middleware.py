"""A Dramatiq middleware that gives every worker a maintenance thread.

The thread runs the functions named in ``settings.JOBS_MAINTENANCE`` every
``settings.JOBS_MAINTENANCE_INTERVAL_S`` seconds: the outbox relay and the sweeper of expired step
leases. Every worker runs one; all they do is check-and-set, so several at once are safe.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def maintenance_tick() -> None:
    """Run each maintenance function once; one failing does not stop the others."""
    for path in settings.JOBS_MAINTENANCE:
        try:
            function: Callable[[], Any] = import_string(path)
            function()
        except Exception:
            log.exception("maintenance %s failed", path)


class MaintenanceThread(threading.Thread):
    def __init__(self, interval_s: float) -> None:
        super().__init__(name="jobs-maintenance", daemon=True)
        self.interval_s = interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval_s):
                close_old_connections()
                maintenance_tick()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


class Maintenance(dramatiq.Middleware):
    """Start the maintenance thread when a worker boots; stop it when the worker shuts down."""

    def __init__(self) -> None:
        self.threads: dict[int, MaintenanceThread] = {}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = MaintenanceThread(settings.JOBS_MAINTENANCE_INTERVAL_S)
        self.threads[id(worker)] = thread
        thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = self.threads.pop(id(worker), None)
        if thread is not None:
            thread.stop()
