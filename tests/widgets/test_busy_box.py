"""The query box's pool starved by slow queries: what a widget request meets."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.utils import timezone

from sql_gen.services.execute import QueryFailed, sql_execute
from tests.sql_gen.conftest import pool, small_box  # noqa: F401  (fixtures)
from widgets.models import RequestStatus, WidgetRequest
from widgets.services import runner
from widgets.services.requests import widget_request_create

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = "SELECT count(*) FROM claims a, claims b, claims c"  # a legitimate query; only running it shows its cost


def _keep_busy(source, stop: threading.Event, n_threads: int = 3) -> list[threading.Thread]:
    def loop() -> None:
        while not stop.is_set():
            try:
                sql_execute(source=source, sql=SLOW)
            except QueryFailed:
                pass

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    return threads


def _to_fetch(analyst, dashboard) -> WidgetRequest:
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    for name in ("clarify", "spec", "sql"):
        assert runner.step_run(step_id=request.steps.get(name=name).id) == "done"
    return request


def test_a_busy_box_does_not_fail_a_request_for_good(demo_source, analyst, dashboard, small_box):  # noqa: F811
    """Other widgets' slow refreshes hold the box's workers. A new request's fetch waits
    max(5 s, 2 x (limit + grace)) for a worker, then fails -- not as a transient error that is
    requeued with a backoff, but for good, badged "Query failed": every query worker is busy."""
    demo_source.statement_timeout_s = 2
    demo_source.save()
    request = _to_fetch(analyst, dashboard)
    stop = threading.Event()
    threads = _keep_busy(demo_source, stop)
    time.sleep(0.5)
    try:
        outcome = runner.step_run(step_id=request.steps.get(name="fetch").id)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    request.refresh_from_db()
    assert (outcome, request.status) != ("failed", RequestStatus.FAILED), request.error_message


def test_waiting_for_a_query_worker_counts_against_the_request_budget(demo_source, analyst, dashboard,
                                                                      small_box):  # noqa: F811
    """Claim 6: each step gets what is left of the request's budget. The fetch bounds the statement's
    time limit by what is left, but not the wait for a free worker before it."""
    demo_source.statement_timeout_s = 2
    demo_source.save()
    request = _to_fetch(analyst, dashboard)
    WidgetRequest.objects.filter(id=request.id).update(deadline_at=timezone.now() + dt.timedelta(seconds=2))
    stop = threading.Event()
    threads = _keep_busy(demo_source, stop)
    time.sleep(0.5)
    started = time.monotonic()
    try:
        outcome = runner.step_run(step_id=request.steps.get(name="fetch").id)
        took = time.monotonic() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert outcome == "requeued"  # the busy box is a transient failure: the step goes back to the queue
    assert took <= 2 * 1.5, f"the fetch step took {took:.1f} s of a request with 2 s left"
