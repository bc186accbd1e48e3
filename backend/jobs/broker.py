"""Dramatiq's Redis broker with consumers woken by a publish, instead of polling an empty queue.

Dramatiq's Redis consumer polls an empty queue, backing off up to the worker timeout. A short timeout
is what makes the next step of a widget start within milliseconds of the last one's commit, and it
cost a poll every few milliseconds per queue, idle or not: about 12 % of a core per idle worker on a
2-core machine, competing with every step's work. Here each enqueue also publishes on its queue's
channel, and a consumer that found nothing waits on that channel, up to the worker timeout: a message
is fetched as soon as it is sent, and an idle worker wakes a few times a second.

The queue in Redis is unchanged: a message sent by a plain ``RedisBroker`` (no publish) is still
fetched, at the next timeout. A consumer whose prefetch is full (every worker thread busy) polls at
Dramatiq's shortest backoff, as a freed thread publishes nothing.
"""
from __future__ import annotations

import time
from typing import Any

import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message

_BUSY_POLL_S = 0.005  # Dramatiq's own shortest backoff


class WakingRedisBroker(RedisBroker):
    """A ``RedisBroker`` whose enqueue wakes the consumers of the message's queue."""

    @property
    def consumer_class(self) -> type[_RedisConsumer]:
        return _WakingConsumer

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        enqueued = super().enqueue(message, delay=delay)
        try:
            self.client.publish(wake_channel(self.namespace, enqueued.queue_name), b"")
        except redis.RedisError:  # the message is in the queue: a consumer fetches it at its next timeout
            pass
        return enqueued


def wake_channel(namespace: str, queue_name: str) -> str:
    return f"{namespace}:wake:{queue_name}"


class _WakingConsumer(_RedisConsumer):
    def __init__(self, broker: WakingRedisBroker, queue_name: str, prefetch: int, timeout: int) -> None:
        super().__init__(broker, queue_name, prefetch, timeout)
        # Subscribed before the first fetch: a publish after a fetch that found nothing waits in the socket.
        self.wake = broker.client.pubsub(ignore_subscribe_messages=True)
        try:
            self.wake.subscribe(wake_channel(broker.namespace, queue_name))
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None

    def __next__(self) -> MessageProxy | None:
        try:
            if not self.message_cache and self.outstanding_message_count < self.prefetch:
                self.message_cache = self.broker.do_fetch(self.queue_name,
                                                          self.prefetch - self.outstanding_message_count)
            if self.message_cache:
                return self._cached()
            if self.outstanding_message_count >= self.prefetch:
                time.sleep(_BUSY_POLL_S)
            else:
                self._wait(self.timeout / 1000)
            return None
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None

    def _cached(self) -> MessageProxy | None:
        data = self.message_cache.pop(0)
        if data is None:  # as Dramatiq's own consumer: skip it (dramatiq#266)
            return None
        message = Message.decode(data)
        self.queued_message_ids.add(message.message_id)
        return MessageProxy(message)

    def _wait(self, timeout_s: float) -> None:
        """Return once a message was published on the queue's channel, or after ``timeout_s``; read every
        wake-up waiting, so that one fetch answers them all."""
        ends = time.monotonic() + timeout_s
        woken: Any = self.wake.get_message(timeout=timeout_s)
        while woken is None and (left := ends - time.monotonic()) > 0:
            woken = self.wake.get_message(timeout=left)  # a subscribe confirmation, read and ignored
        while self.wake.get_message(timeout=0) is not None:
            pass

    def close(self) -> None:
        try:
            self.wake.close()
        finally:
            super().close()
