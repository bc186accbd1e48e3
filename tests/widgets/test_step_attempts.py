"""Review attacks on the step jobs: attempts, orphaned steps, and what a step's result may hold."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.jobs.models import OutboxMessage
from backend.llm.types import LLMError
from sql_gen.services.generate import SQL
from widgets.models import RequestStatus, StepState, WidgetStep
from widgets.services import runner
from widgets.services.recovery import steps_recover
from widgets.services.requests import widget_request_create, widget_request_retry

pytestmark = pytest.mark.django_db


def _down(query):
    raise LLMError("Every route of tier 'fast' failed: throttled", retryable=True, code="llm_throttled")


def test_try_again_gives_a_step_a_fresh_set_of_attempts(demo_source, analyst, dashboard, monkeypatch, settings):
    """Claim 1: a transient failure is requeued until STEP_MAX_ATTEMPTS. After Try again the step
    gets no new attempts: its counter stays at 3, so the first transient error after the retry fails
    the request at once ("gave up after 4 tries")."""
    with monkeypatch.context() as patch:
        patch.setattr(SQL, "offline", _down)
        request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                        enqueue=False)
        assert runner.run(request_id=request.id) == RequestStatus.FAILED
    assert request.steps.get(name="sql").attempts == settings.STEP_MAX_ATTEMPTS

    from sql_gen.services import generate_offline
    calls = {"n": 0}

    def flaky_once(query):  # the route is back, but the first call after the retry is throttled once
        calls["n"] += 1
        if calls["n"] == 1:
            _down(query)
        return generate_offline.answer(query)

    monkeypatch.setattr(SQL, "offline", flaky_once)
    widget_request_retry(user=analyst, request=request, enqueue=False)
    status = runner.run(request_id=request.id)
    request.refresh_from_db()
    assert status == RequestStatus.READY, (request.error_code, request.error_message)


def _step(request, name):
    return WidgetStep.objects.get(widget_request=request, name=name)


def test_a_queued_step_of_a_failed_request_is_not_resent_forever(demo_source, analyst, dashboard, monkeypatch):
    """Claim 1/2: the sweeper resends a queued step whose message was lost. It also resends, every
    STEP_REQUEUE_AFTER_S and for ever, a queued step whose request has failed -- here a custom
    widget's component, requeued after a transient error while its SQL step failed the request. Each
    round is one more outbox row and one more message that a worker claims for nothing."""
    from widgets.services.custom import COMPONENT

    request = widget_request_create(user=analyst, dashboard=dashboard, enqueue=False,
                                    prompt="custom leaderboard of total paid by region over the last 90 days")
    assert runner.step_run(step_id=_step(request, "clarify").id) == "done"
    assert runner.step_run(step_id=_step(request, "spec").id) == "done"
    monkeypatch.setattr(COMPONENT, "offline", _down)
    monkeypatch.setattr(SQL, "offline", lambda q: {"sql": "DELETE FROM claims", "tables_used": [],
                                                   "explanation": ""})
    assert runner.step_run(step_id=_step(request, "component").id) == "requeued"
    assert runner.step_run(step_id=_step(request, "sql").id) == "failed"
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED and _step(request, "component").state == StepState.QUEUED

    before = OutboxMessage.objects.count()
    now = timezone.now()
    for hour in range(1, 25):  # a day of sweeps, one an hour
        steps_recover(now=now + dt.timedelta(hours=hour))
        assert runner.step_run(step_id=_step(request, "component").id) == "skipped"  # the message does nothing
    assert OutboxMessage.objects.count() - before == 0, "messages sent for a request that has failed"


@pytest.mark.django_db(transaction=True)
def test_one_failed_heartbeat_does_not_hand_a_live_step_to_another_worker(demo_source, analyst, dashboard,
                                                                          monkeypatch, settings):
    """Claim 1: a heartbeat extends the lease while the worker is alive; the sweeper only takes steps
    whose worker died. One heartbeat write that fails (a moment of database trouble) ends the heartbeat
    thread for good: the lease runs out although the worker is still working, the sweeper requeues the
    step (a second worker pays for the same model calls), and the first worker's result is dropped."""
    import threading
    import time

    from django.db import OperationalError

    from widgets.services import steps as steps_module
    from widgets.services.clarifier import CLARIFY

    settings.STEP_LEASE_S = 3  # the heartbeat beats every second
    real_held, failed = steps_module._held_update, []

    def flaky_held(claim, **values):
        if threading.current_thread().name.startswith("heartbeat") and not failed:
            failed.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real_held(claim, **values)

    monkeypatch.setattr(steps_module, "_held_update", flaky_held)
    slow_answer = CLARIFY.offline

    def slow(query):
        time.sleep(6)  # a slow model answer: the worker is alive all along
        return slow_answer(query)

    monkeypatch.setattr(CLARIFY, "offline", slow)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                    enqueue=False)
    step = request.steps.get(name="clarify")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(runner.step_run(step_id=step.id)))
    worker.start()
    time.sleep(4.5)  # past the first lease; the heartbeat would have extended it three times
    touched = steps_recover()
    worker.join()
    assert (touched, outcome) == (0, ["done"]), "the sweeper took a live step and its result was dropped"
