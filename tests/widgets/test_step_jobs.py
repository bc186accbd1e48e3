"""Each step is a job of its own: claimed by check-and-set, safe under duplicate delivery, joined once."""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.utils import timezone

from backend.llm.models import LLMCall
from tests.conftest import service_missing
from tests.llm.fakes import server as fake
from tests.widgets import live
from tests.widgets.helpers import wait_for
from widgets.models import RequestStatus, StepState, Widget, WidgetRequest, WidgetStep
from widgets.services import runner
from widgets.services.pipeline import advance
from widgets.services.recovery import steps_recover
from widgets.services.requests import widget_request_create
from widgets.services.steps import lock_request, step_claim, step_finish
from widgets.services.tsx import tsx_checker_available

LEADERBOARD = "custom leaderboard of total paid by region over the last 90 days"


def _made(analyst: Any, dashboard: Any, prompt: str = "total paid last 7 days") -> WidgetRequest:
    return widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)


@pytest.mark.django_db
def test_a_duplicated_or_redelivered_step_message_does_nothing_twice(demo_source, analyst, dashboard):
    request = _made(analyst, dashboard)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    calls = LLMCall.objects.count()
    for step in request.steps.all():
        assert runner.step_run(step_id=step.id) == "skipped"  # every message delivered again, after the fact
    assert LLMCall.objects.count() == calls and Widget.objects.filter(request=request).count() == 1


@pytest.mark.django_db
def test_a_message_for_a_step_another_worker_is_running_is_ignored(demo_source, analyst, dashboard):
    request = _made(analyst, dashboard)
    step = request.steps.get()
    held = step_claim(step_id=step.id)
    assert held is not None
    assert runner.step_run(step_id=step.id) == "skipped"
    assert not LLMCall.objects.exists()
    step.refresh_from_db()
    assert (step.state, step.lease_token, step.attempts) == (StepState.RUNNING, held.token, 1)


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_step_claim_it_exactly_once(demo_source, analyst, dashboard):
    step = _made(analyst, dashboard).steps.get()
    start, claims = threading.Barrier(8), []

    def race() -> None:
        from django.db import connection

        start.wait()
        claims.append(step_claim(step_id=step.id))
        connection.close()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(claim is not None for claim in claims) == 1


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_cannot_finish_the_step(demo_source, analyst, dashboard):
    step = _made(analyst, dashboard).steps.get()
    stalled = step_claim(step_id=step.id)
    WidgetStep.objects.filter(id=step.id).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert steps_recover() == 1  # the sweeper sends it again
    assert runner.step_run(step_id=step.id) == "done"  # another worker does it
    from django.db import transaction

    with transaction.atomic():
        assert step_finish(claim=stalled, output={"intent": {}, "questions": []}) is None
    step.refresh_from_db()
    assert step.state == StepState.DONE and step.output["intent"]["metric_key"] == "total_paid"


@pytest.mark.django_db
def test_the_join_assembles_the_widget_once_however_often_it_is_reached(demo_source, analyst, dashboard):
    request = _made(analyst, dashboard)
    runner.run(request_id=request.id)
    from django.db import transaction

    for _ in range(2):
        with transaction.atomic():
            locked = lock_request(request.id)
            assert advance(widget_request=locked) == RequestStatus.READY
    assert Widget.objects.filter(request=request).count() == 1


@pytest.mark.django_db
def test_each_step_records_its_attempts_and_timings(demo_source, analyst, dashboard):
    request = _made(analyst, dashboard)
    runner.run(request_id=request.id)
    steps = list(request.steps.order_by("id"))
    assert [s.name for s in steps] == ["clarify", "spec", "sql", "fetch"]
    for step in steps:
        assert (step.state, step.attempts) == (StepState.DONE, 1)
        assert step.queued_at <= step.started_at <= step.finished_at
    assert [c["role"] for c in steps[2].conversation] == ["assistant"]  # the SQL step's stored answer
    assert steps[3].conversation == []  # running the query asks no model


@pytest.mark.django_db(transaction=True)
def test_the_component_and_the_sql_of_a_custom_widget_are_worked_on_at_the_same_time(
        demo_source, analyst, dashboard, live_bedrock, stub_worker, client_for):
    """No clocks: the fake holds the first of the two requests until the second arrives."""
    if tsx_checker_available():
        service_missing(f"TSX checker unavailable: {tsx_checker_available()}")
    arrived = {"record_tsx": threading.Event(), "record_sql": threading.Event()}
    met: list[str] = []

    def rendezvous(received: Any) -> dict[str, Any]:
        tool = live.tool_of(received)
        if tool in arrived:
            arrived[tool].set()
            other = next(t for t in arrived if t != tool)
            if arrived[other].wait(10):
                met.append(tool)
        return live.answer(received)

    live_bedrock.default = fake.computed(rendezvous)
    response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": LEADERBOARD},
                                        format="json")
    done = wait_for(response.json()["id"], {RequestStatus.READY, RequestStatus.FAILED}, timeout=60)
    assert done.status == RequestStatus.READY, done.error_message
    assert sorted(met) == ["record_sql", "record_tsx"]  # each saw the other arrive while it was held
    assert Widget.objects.filter(request=done).count() == 1 and done.widget.component_js


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_keeps_a_long_step_from_being_taken_over(demo_source, analyst, dashboard, settings,
                                                             monkeypatch):
    settings.STEP_LEASE_S = 1  # a beat every third of a second
    from widgets.services.clarifier import CLARIFY, clarifier_offline

    def slow(query: Any) -> dict[str, Any]:
        time.sleep(2.5)
        return clarifier_offline.answer(query)

    monkeypatch.setattr(CLARIFY, "offline", slow)
    step = _made(analyst, dashboard).steps.get()
    swept: list[int] = []
    running = threading.Thread(target=lambda: runner.step_run(step_id=step.id))
    running.start()
    while running.is_alive():
        swept.append(steps_recover())
        time.sleep(0.2)
    running.join()
    step.refresh_from_db()
    assert sum(swept) == 0 and (step.state, step.attempts) == (StepState.DONE, 1)
