"""``python manage.py run_worker``: one Dramatiq worker process for a real broker (Redis or RabbitMQ).

It runs the actors of every app with ``--threads`` threads, is woken by each message sent to Redis
(``backend.jobs.broker``: the next step of a widget starts within milliseconds of the last one's
commit) and polls an idle queue every ``DRAMATIQ_WORKER_TIMEOUT_MS`` besides, and its maintenance
thread relays the outbox and recovers steps whose worker died.
SIGTERM or Ctrl-C stops it after the running jobs finish (up to ``--shutdown-timeout``).
"""
from __future__ import annotations

import signal
import threading
from typing import Any

import dramatiq
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from dramatiq import Worker


class Command(BaseCommand):
    help = "Run a Dramatiq worker (actors, outbox relay, step recovery) on the configured BROKER_URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=settings.DRAMATIQ_WORKER_THREADS)
        parser.add_argument("--shutdown-timeout", type=float, default=30.0,
                            help="Seconds to let running jobs finish on SIGTERM.")

    def handle(self, *args: Any, threads: int, shutdown_timeout: float, **options: Any) -> None:
        if settings.DRAMATIQ_EMBEDDED:
            raise CommandError("BROKER_URL is not set: the in-process broker only works inside `manage.py serve`.")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        worker = Worker(dramatiq.get_broker(), worker_threads=max(1, threads),
                        worker_timeout=settings.DRAMATIQ_WORKER_TIMEOUT_MS)
        worker.start()
        self.stdout.write(f"worker ready: {threads} threads on {settings.BROKER_URL.split('@')[-1]}", ending="\n")
        self.stdout.flush()
        stop.wait()
        worker.stop(timeout=int(shutdown_timeout * 1000))
