"""``python manage.py serve``: the web server and a Dramatiq worker together.

With no ``BROKER_URL`` the worker runs inside this process on Dramatiq's stub broker (nothing else
to install); its queue lives in memory, so whatever was queued when the process last stopped is
sent again at start. With Redis or RabbitMQ, a ``run_worker`` process runs beside the web server
and is restarted whenever it dies. Ctrl-C stops both.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from typing import Any

import dramatiq
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from dramatiq import Worker

from widgets.services.recovery import steps_resend_queued

_MAX_BACKOFF_S = 30.0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class WorkerSupervisor(threading.Thread):
    """Keeps one ``run_worker`` process alive: starts it, and starts another when it dies."""

    def __init__(self, write: Any) -> None:
        super().__init__(name="worker-supervisor", daemon=True)
        self.write = write
        self.stopping = threading.Event()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def run(self) -> None:
        backoff = 1.0
        while not self.stopping.is_set():
            self.process = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=settings.BASE_DIR)
            self.write(f"Dramatiq worker: run_worker (pid {self.process.pid}) on {settings.BROKER_URL.split('@')[-1]}")
            code = self.process.wait()
            if self.stopping.is_set():
                return
            self.restarts += 1
            self.write(f"Dramatiq worker (pid {self.process.pid}) exited with {code}; restarting in {backoff:.0f} s")
            if self.stopping.wait(backoff):
                return
            backoff = min(_MAX_BACKOFF_S, backoff * 2)

    def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            process.kill()


class Command(BaseCommand):
    help = "Run the web server with a Dramatiq worker (in-process when no broker is configured)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        # Ctrl-C and a plain `kill` both end the server through the same clean-up path, even
        # when a shell started us in the background with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        if settings.DRAMATIQ_EMBEDDED:
            self._embedded(addrport)
            return
        supervisor = WorkerSupervisor(lambda line: (self.stdout.write(line), self.stdout.flush()))
        supervisor.start()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            supervisor.stop()

    def _embedded(self, addrport: str) -> None:
        # The stub broker's consumer blocks on its queue and wakes at once for a message: no need to poll.
        worker = Worker(dramatiq.get_broker(), worker_threads=settings.DRAMATIQ_WORKER_THREADS)
        worker.start()
        resent = steps_resend_queued()
        self.stdout.write("Dramatiq worker: in-process (stub broker; set BROKER_URL for Redis or RabbitMQ)"
                          + (f"; sent {resent} queued step(s) again" if resent else ""))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.stop()
