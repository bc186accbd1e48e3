"""The Redis broker's consumers are woken by a publish on each enqueue, not by polling (backend/jobs/broker.py)."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest

from backend.jobs.broker import WakingRedisBroker, wake_channel
from tests.conftest import service_missing

A_LONG_TIMEOUT_MS = 600_000  # a consumer that polled would not look again within the test


@pytest.fixture
def waking() -> Iterator[WakingRedisBroker]:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    broker = WakingRedisBroker(url=url, middleware=[], socket_connect_timeout=2, socket_timeout=5)
    try:
        broker.client.ping()
    except Exception as exc:
        service_missing(f"Redis not reachable at {url} ({exc.__class__.__name__})")
    broker.client.flushdb()
    try:
        yield broker
    finally:
        broker.client.flushdb()
        broker.close()


def _next_in_thread(consumer: Any) -> tuple[threading.Thread, list[Any]]:
    got: list[Any] = []

    def take() -> None:
        while not got:
            message = next(consumer)
            if message is not None:
                got.append(message)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    return thread, got


def test_an_idle_consumer_takes_a_message_as_soon_as_it_is_sent(waking: WakingRedisBroker) -> None:
    @dramatiq.actor(broker=waking, actor_name="wake_probe")
    def probe(n: int) -> None:
        pass

    consumer = waking.consume("default", prefetch=2, timeout=A_LONG_TIMEOUT_MS)
    thread, got = _next_in_thread(consumer)
    probe.send(7)
    thread.join(timeout=30)
    consumer.close()
    assert [m.args for m in got] == [(7,)], "the consumer was not woken by the message's publish"


def test_an_enqueue_publishes_on_its_queues_channel(waking: WakingRedisBroker) -> None:
    @dramatiq.actor(broker=waking, actor_name="wake_probe_2", queue_name="other")
    def probe() -> None:
        pass

    listener = waking.client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(wake_channel(waking.namespace, "other"))
    listener.get_message(timeout=5)  # the subscription's confirmation
    probe.send()
    heard = listener.get_message(timeout=30)
    listener.close()
    assert heard is not None and heard["channel"].decode() == wake_channel(waking.namespace, "other")


def test_a_message_sent_without_a_publish_is_still_fetched(waking: WakingRedisBroker) -> None:
    from dramatiq.brokers.redis import RedisBroker

    plain = RedisBroker(url=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), middleware=[])

    @dramatiq.actor(broker=plain, actor_name="wake_probe_3")
    def probe() -> None:
        pass

    probe.send()
    consumer = waking.consume("default", prefetch=2, timeout=100)
    thread, got = _next_in_thread(consumer)
    thread.join(timeout=30)
    consumer.close()
    plain.close()
    assert len(got) == 1
