"""Work that recovers: a broker that is down, workers killed mid-step, a broker that restarts, a restart of
the in-process mode. Nothing is stored that never runs, and no request answers 500 because of it."""
from __future__ import annotations

import datetime as dt
import os
import random
import signal
import threading
import time
from typing import Any

import dramatiq
import pytest
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from backend.errors import ErrorCode
from backend.jobs.models import OutboxMessage
from backend.jobs.outbox import outbox_relay
from tests.conftest import service_missing
from tests.llm.fakes import server as fake
from tests.llm.fakes.bedrock import FakeBedrock
from tests.widgets import live, procs
from tests.widgets.helpers import capture_sends, wait_for
from widgets.models import DataOrigin, RequestStatus, StepState, Widget, WidgetRequest, WidgetStep
from widgets.services import runner
from widgets.services.recovery import steps_recover, steps_resend_queued
from widgets.services.requests import widget_request_create

LATER = dt.timedelta(seconds=10)  # past the outbox's grace period


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every send to the broker fails the way an unreachable Redis does; returns the attempts made."""
    attempts: list[int] = []

    def refuse(self: Any, **kwargs: Any) -> None:
        attempts.append(1)
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(dramatiq.Actor, "send_with_options", refuse)
    return attempts


# --- the broker is down ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_request_made_while_the_broker_is_down_is_accepted_and_sent_once_it_is_back(
        client_for, demo_source, analyst, dashboard, broker_down, sent_later, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/",
                                            {"prompt": "total paid last 7 days"}, format="json")
    assert response.status_code == 202 and response.json()["status"] == RequestStatus.PENDING
    assert broker_down  # it was tried, right after the commit
    [message] = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert "Connection refused" in message.last_error and message.send_attempts == 1
    sent = sent_later()  # the broker is back
    assert outbox_relay(now=timezone.now() + LATER) == 1
    step = WidgetRequest.objects.get(id=response.json()["id"]).steps.get()
    assert sent == [("run_step", (step.id,))] and not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_trying_again_while_the_broker_is_down_is_accepted_too(client_for, demo_source, analyst, dashboard,
                                                                broker_down, django_capture_on_commit_callbacks,
                                                                monkeypatch):
    from sql_gen.services.generate import SQL

    with monkeypatch.context() as patch:
        patch.setattr(SQL, "offline", _throttled)
        request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                        enqueue=False)
        assert runner.run(request_id=request.id) == RequestStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(analyst).post(f"/api/requests/{request.id}/retry/", {}, format="json")
    assert response.status_code == 202 and response.json()["status"] == RequestStatus.PENDING
    assert OutboxMessage.objects.filter(sent_at__isnull=True, args=[request.steps.get(name="sql").id]).exists()


@pytest.mark.django_db
def test_a_dashboard_with_a_stale_widget_loads_while_the_broker_is_down(
        client_for, demo_source, analyst, dashboard, broker_down, django_capture_on_commit_callbacks):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    runner.run(request_id=request.id)
    Widget.objects.update(result_at=timezone.now() - dt.timedelta(hours=2))
    client = client_for(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/api/dashboards/{dashboard.id}/")
    assert response.status_code == 200 and response.json()["widgets"][0]["stale"] is True
    assert broker_down  # the refresh was tried and could not be queued
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"/api/dashboards/{dashboard.id}/").status_code == 200
    assert len(broker_down) == 2  # the lock was let go, so the next load tried again


def _throttled(query: Any) -> Any:
    from backend.llm.types import LLMError

    raise LLMError("throttled", retryable=True, code="llm_throttled")


@pytest.fixture
def sent_later(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Return ``back()``: from then on sends are captured (the broker is reachable again)."""
    return lambda: capture_sends(monkeypatch)


# --- the sweeper -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_step_whose_worker_died_is_sent_again_and_done_once(demo_source, analyst, dashboard, sent):
    from widgets.services.steps import step_claim

    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    step = request.steps.get()
    step_claim(step_id=step.id)  # a worker took it, and was killed
    assert steps_recover() == 0  # its lease has not run out yet
    WidgetStep.objects.filter(id=step.id).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert steps_recover() == 1
    step.refresh_from_db()
    assert (step.state, step.attempts, step.lease_token) == (StepState.QUEUED, 1, "")
    assert runner.run(request_id=request.id) == RequestStatus.READY
    assert Widget.objects.filter(request=request).count() == 1


@pytest.mark.django_db
def test_a_step_that_wore_out_its_workers_fails_the_request_and_try_again_finishes_it(
        demo_source, analyst, dashboard, sent, settings, client_for):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    runner.step_run(step_id=request.steps.get().id)  # clarify
    spec = request.steps.get(name="spec")
    WidgetStep.objects.filter(id=spec.id).update(state=StepState.RUNNING, attempts=settings.STEP_MAX_ATTEMPTS,
                                                 lease_token="dead", lease_until=timezone.now())
    assert steps_recover(now=timezone.now() + dt.timedelta(seconds=1)) == 1
    request.refresh_from_db()
    assert (request.status, request.error_code) == (RequestStatus.FAILED, ErrorCode.WORKER_LOST)
    assert "Designing the widget" in request.error_message and "try again" in request.error_message
    assert client_for(analyst).post(f"/api/requests/{request.id}/retry/", {}, format="json").status_code == 202
    assert runner.run(request_id=request.id) == RequestStatus.READY


@pytest.mark.django_db
def test_a_step_queued_too_long_has_its_message_sent_again(demo_source, analyst, dashboard, sent, settings):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    step = request.steps.get()
    assert steps_recover() == 0
    later = timezone.now() + dt.timedelta(seconds=settings.STEP_REQUEUE_AFTER_S + 1)
    assert steps_recover(now=later) == 1
    assert OutboxMessage.objects.filter(actor="run_step", args=[step.id]).count() == 1


@pytest.mark.django_db
def test_the_in_process_mode_sends_what_was_queued_again_at_start(demo_source, analyst, dashboard, sent):
    queued = [widget_request_create(user=analyst, dashboard=dashboard, prompt=f"total paid last {n} days",
                                    enqueue=False).steps.get().id for n in (7, 30)]
    assert steps_resend_queued() == 2
    assert sorted(OutboxMessage.objects.values_list("args", flat=True)) == [[queued[0]], [queued[1]]]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_serve_in_process_picks_up_what_was_queued_before_it_started(demo_source, analyst, dashboard):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    serve = procs.manage("serve", f"127.0.0.1:{procs.free_port()}",
                         env=procs.app_env(BROKER_URL=None, BUILDER_MODE="offline"))
    try:
        procs.read_until(serve, "sent 1 queued step(s) again")
        done = wait_for(request.id, {RequestStatus.READY, RequestStatus.FAILED})
    finally:
        procs.stop(serve)
    assert done.status == RequestStatus.READY, done.error_message


# --- real processes on real Redis and PostgreSQL ---------------------------------------------------------

@pytest.fixture
def fake_model() -> Any:
    """A fake Bedrock in this process answering as the offline model would, 300 ms a call."""
    server = FakeBedrock().start()
    server.default = fake.computed(live.answer, delay_s=0.3)
    yield server
    server.stop()


@pytest.fixture
def own_redis() -> Any:
    """(url, restart) of a Redis server of this test's own: restarting it must not disturb other tests."""
    try:
        with procs.private_redis() as server:
            yield server
    except FileNotFoundError:
        service_missing("redis-server is not installed (apt-get install redis-server)")


def _live_env(model: FakeBedrock, broker_url: str, **extra: Any) -> dict[str, str]:
    return procs.app_env(BROKER_URL=broker_url, BUILDER_MODE="live", BEDROCK_ENDPOINT_URL=model.url,
                         STEP_LEASE_S=2, STEP_REQUEUE_AFTER_S=4, STEP_MAX_ATTEMPTS=30,
                         JOBS_MAINTENANCE_INTERVAL_MS=200, **extra)


def _live_routes() -> None:
    from backend.llm.models import GatewaySettings, ModelRoute

    ModelRoute.objects.exclude(provider="bedrock").update(enabled=False)
    GatewaySettings.objects.update(backoff_base_ms=50, backoff_cap_ms=200)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_broker_unreachable_at_create_and_at_retry_loses_nothing(client_for, demo_source, analyst,
                                                                        dashboard, redis_broker):
    from widgets import tasks

    down = RedisBroker(url=f"redis://127.0.0.1:{procs.free_port()}/0", socket_connect_timeout=1)
    dramatiq.set_broker(down)
    tasks.run_step.broker = down
    down.declare_actor(tasks.run_step)
    client = client_for(analyst)
    created = client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "total paid last 7 days"},
                          format="json")
    assert created.status_code == 202
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1
    dramatiq.set_broker(redis_broker)
    tasks.run_step.broker = redis_broker
    worker = dramatiq.Worker(redis_broker, worker_threads=2, worker_timeout=10)
    worker.start()
    try:
        assert outbox_relay(now=timezone.now() + LATER) == 1
        done = wait_for(created.json()["id"], {RequestStatus.READY, RequestStatus.FAILED})
    finally:
        worker.stop()
    assert done.status == RequestStatus.READY, done.error_message


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_twenty_requests_complete_exactly_once_while_workers_are_killed_mid_step(
        demo_source, analyst, dashboard, fake_model, own_redis):
    url, _ = own_redis
    _live_routes()
    env = _live_env(fake_model, url)
    workers = [procs.manage("run_worker", "--threads", "2", env=env) for _ in range(3)]
    kills: list[int] = []
    try:
        for worker in workers:
            procs.read_until(worker, "worker ready")
        requests = _twenty_requests(analyst, dashboard, url)
        killer = threading.Thread(target=_kill_twenty, args=(workers, env, kills), daemon=True)
        killer.start()
        killer.join(timeout=120)
        done = [wait_for(r, {RequestStatus.READY, RequestStatus.FAILED}, timeout=120) for r in requests]
    finally:
        for worker in workers:
            procs.stop(worker)
    assert len(kills) == 20
    assert [d.status for d in done] == [RequestStatus.READY] * 20, [d.error_message for d in done]
    for request in done:
        assert Widget.objects.filter(request=request).count() == 1
        assert request.widget.source == DataOrigin.LIVE and request.widget.result["rows"]
    steps = WidgetStep.objects.filter(widget_request__in=requests)
    assert not steps.exclude(state=StepState.DONE).exists()
    assert steps.filter(attempts__gt=1).exists()  # the kills did land mid-step


def _twenty_requests(analyst: Any, dashboard: Any, url: str) -> list[int]:
    """Create twenty requests whose first messages go to the private Redis."""
    from django.utils.module_loading import import_string

    from widgets import tasks

    broker = RedisBroker(url=url, middleware=[import_string("dramatiq.middleware.TimeLimit")()])
    previous = dramatiq.get_broker()
    dramatiq.set_broker(broker)
    tasks.run_step.broker = broker
    broker.declare_actor(tasks.run_step)
    try:
        prompts = [f"total paid last {n} days" for n in range(5, 15)] + \
                  [f"claim count by region last {n} days" for n in range(20, 30)]
        return [widget_request_create(user=analyst, dashboard=dashboard, prompt=p).id for p in prompts]
    finally:
        tasks.run_step.broker = previous
        dramatiq.set_broker(previous)


def _kill_twenty(workers: list[Any], env: dict[str, str], kills: list[int]) -> None:
    """Kill -9 a random worker twenty times at varied moments, starting a new one each time."""
    chance = random.Random(20)
    for _ in range(20):
        time.sleep(chance.uniform(0.15, 0.9))
        index = chance.randrange(len(workers))
        victim = workers[index]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        kills.append(victim.pid)
        workers[index] = procs.manage("run_worker", "--threads", "2", env=env)


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_requests_in_flight_complete_when_the_broker_restarts(demo_source, analyst, dashboard, fake_model,
                                                             own_redis):
    url, restart = own_redis
    _live_routes()
    env = _live_env(fake_model, url)
    worker = procs.manage("run_worker", "--threads", "2", env=env)
    try:
        procs.read_until(worker, "worker ready")
        requests = _twenty_requests(analyst, dashboard, url)[:6]
        time.sleep(1.0)  # some steps done, some running, some queued in Redis
        restart()  # every queued message is gone with the old server
        done = [wait_for(r, {RequestStatus.READY, RequestStatus.FAILED}, timeout=90) for r in requests]
    finally:
        procs.stop(worker)
    assert [d.status for d in done] == [RequestStatus.READY] * 6, [d.error_message for d in done]
    assert Widget.objects.filter(request__in=requests).count() == 6


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_serve_restarts_a_worker_that_died(demo_source, analyst, dashboard, redis_broker):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    serve = procs.manage("serve", f"127.0.0.1:{procs.free_port()}",
                         env=procs.app_env(BROKER_URL=url, BUILDER_MODE="offline"))
    try:
        first = procs.read_until(serve, "run_worker (pid")
        pid = int(first.split("(pid ")[1].split(")")[0])
        os.kill(pid, signal.SIGKILL)
        procs.read_until(serve, "restarting")
        procs.read_until(serve, "run_worker (pid")
        request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days")
        done = wait_for(request.id, {RequestStatus.READY, RequestStatus.FAILED})
    finally:
        procs.stop(serve)
    assert done.status == RequestStatus.READY, done.error_message


@pytest.mark.django_db
def test_a_step_left_queued_by_a_failed_request_is_not_resent_until_a_retry(demo_source, analyst, dashboard, sent,
                                                                           settings):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    WidgetRequest.objects.filter(id=request.id).update(status=RequestStatus.FAILED)
    later = timezone.now() + dt.timedelta(seconds=settings.STEP_REQUEUE_AFTER_S + 1)
    assert steps_recover(now=later) == 0 and steps_resend_queued() == 0
    assert not OutboxMessage.objects.exists()
