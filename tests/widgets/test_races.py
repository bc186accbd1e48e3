"""Races on the PostgreSQL app database: duplicate floods, a join reached by two steps at once, retries at once."""
from __future__ import annotations

import threading

import pytest
from django.db import connections

from backend.jobs.models import OutboxMessage
from widgets.models import StepState, WidgetStep
from widgets.services import runner
from widgets.services.requests import widget_request_create, widget_request_retry
from widgets.services.steps import step_claim

# Row locks and check-and-set under real concurrency: PostgreSQL (SQLite serializes every write anyway).
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _threads(n, target):
    barrier = threading.Barrier(n)
    results: list = []

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_flood_of_duplicate_messages_claims_a_step_once(demo_source, analyst, dashboard):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                    enqueue=False)
    step = request.steps.get(name="clarify")
    claims = _threads(8, lambda i: step_claim(step_id=step.id))
    assert sum(c is not None for c in claims) == 1


def test_the_component_and_sql_join_queues_the_fetch_once(demo_source, analyst, dashboard):
    for _ in range(5):
        request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False,
                                        prompt="custom leaderboard of total paid by region over the last 90 days")
        for name in ("clarify", "spec"):
            assert runner.step_run(step_id=request.steps.get(name=name).id) == "done"
        ids = [request.steps.get(name=n).id for n in ("component", "sql")]
        before = OutboxMessage.objects.count()
        assert sorted(_threads(2, lambda i, ids=ids: runner.step_run(step_id=ids[i]))) == ["done", "done"]
        fetch = WidgetStep.objects.filter(widget_request=request, name="fetch")
        assert fetch.count() == 1 and OutboxMessage.objects.count() - before == 1


def test_two_retries_at_once_resume_once(demo_source, analyst, dashboard, monkeypatch):
    from backend.llm.types import LLMError
    from sql_gen.services.generate import SQL

    def down(query):
        raise LLMError("down", retryable=False, code="llm_error")

    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                    enqueue=False)
    with monkeypatch.context() as patch:
        patch.setattr(SQL, "offline", down)
        runner.run(request_id=request.id)
    before = OutboxMessage.objects.count()

    def retry(i):
        try:
            widget_request_retry(user=analyst, request=request)
            return "ok"
        except Exception as exc:
            return type(exc).__name__

    assert sorted(_threads(4, retry)) == ["ApplicationError"] * 3 + ["ok"]
    assert OutboxMessage.objects.count() - before == 1
    assert request.steps.get(name="sql").state == StepState.QUEUED
