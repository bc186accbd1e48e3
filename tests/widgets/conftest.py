"""Fixtures for the widget tests."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker

from tests.widgets.helpers import capture_sends


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any, warehouse_file: Path) -> Iterator[dict[str, Any]]:
    """The demo catalog and values index over the small warehouse, seeded once for the module (for the
    offline reader's tests)."""
    from django.db import transaction
    from django.test import override_settings

    from sql_gen.selectors import catalog, dimension_values
    from sql_gen.services.demo import demo_source_seed

    with django_db_blocker.unblock(), override_settings(WAREHOUSE_PATH=warehouse_file), transaction.atomic():
        source = demo_source_seed()
        yield {"catalog": catalog(source=source), "values": dimension_values(source=source)}
        transaction.set_rollback(True)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """The messages handed to the broker, as (actor, args), instead of sending them."""
    return capture_sends(monkeypatch)


@pytest.fixture
def redis_broker() -> Iterator[RedisBroker]:
    """The app's actors bound to a real Redis broker (``TEST_REDIS_URL``) with the production middleware.

    Skips when Redis is not reachable (fails under CI=true).
    """
    from django.conf import settings
    from django.utils.module_loading import import_string

    from tests.conftest import service_missing
    from widgets import tasks

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    middleware = [import_string(path)() for path in settings.DRAMATIQ_BROKER["MIDDLEWARE"]]
    broker = RedisBroker(url=url, middleware=middleware, socket_connect_timeout=2, socket_timeout=5)
    try:
        broker.client.ping()
    except Exception as exc:
        service_missing(f"Redis not reachable at {url} ({exc.__class__.__name__})")
    broker.client.flushdb()
    previous, actors = dramatiq.get_broker(), [tasks.run_step, tasks.refresh_widget]
    dramatiq.set_broker(broker)
    for actor in actors:
        actor.broker = broker
        broker.declare_actor(actor)
    try:
        yield broker
    finally:
        for actor in actors:
            actor.broker = previous
        dramatiq.set_broker(previous)
        broker.close()


@pytest.fixture
def live_bedrock(monkeypatch: pytest.MonkeyPatch, llm_routing: None) -> Iterator[Any]:
    """Live mode against a local fake of Bedrock Converse (the real boto3 client) that answers each step
    as its offline answer would (``tests.widgets.live``); Anthropic routes are disabled."""
    from backend.llm.models import GatewaySettings, ModelRoute
    from tests.llm.fakes import server as fake
    from tests.llm.fakes.bedrock import FakeBedrock
    from tests.widgets import live

    server = FakeBedrock().start()
    server.default = fake.computed(live.answer)
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", server.url)
    monkeypatch.setenv("BUILDER_MODE", "live")
    ModelRoute.objects.exclude(provider="bedrock").update(enabled=False)
    GatewaySettings.objects.update(backoff_base_ms=1, backoff_cap_ms=2)
    yield server
    server.stop()


@pytest.fixture
def stub_worker() -> Iterator[Any]:
    """A worker with two threads on the embedded (stub) broker, as ``make run`` has it."""
    from dramatiq import Worker

    broker = dramatiq.get_broker()
    broker.flush_all()
    worker = Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop()
