"""``python manage.py serve``: the web server and a Dramatiq worker together.

With no ``BROKER_URL`` the worker runs inside this process on Dramatiq's stub
broker (nothing else to install); with Redis or RabbitMQ it starts
``rundramatiq`` beside the web server. Ctrl-C stops both.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

import dramatiq
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from dramatiq import Worker


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the web server with a Dramatiq worker (in-process when no broker is configured)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        from widgets import tasks  # noqa: F401  (declares the actors' queues before a worker starts)

        # Ctrl-C and a plain `kill` both end the server through the same clean-up path, even
        # when a shell started us in the background with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)

        if settings.DRAMATIQ_EMBEDDED:
            worker = Worker(dramatiq.get_broker(), worker_threads=2)
            worker.start()
            self.stdout.write("Dramatiq worker: in-process (stub broker; set BROKER_URL for Redis or RabbitMQ)")
            try:
                call_command("runserver", addrport, use_reloader=False)
            finally:
                worker.stop()
            return
        worker_process = subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2"],
            cwd=settings.BASE_DIR,
        )
        self.stdout.write(f"Dramatiq worker: rundramatiq (pid {worker_process.pid}) on {settings.BROKER_URL.split('@')[-1]}")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker_process.terminate()
            try:
                worker_process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker_process.kill()
