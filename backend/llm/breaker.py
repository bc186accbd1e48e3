"""A circuit breaker per route, its state in the Django cache so every process shares it.

State lives in three keys per route:

- ``fails``: consecutive retryable failures (``add`` then ``incr``: atomic on Redis
  and on the local-memory cache);
- ``open_until``: a UNIX time; the circuit is open before it and half-open after;
- ``probe``: taken with ``add`` (``SET NX`` on Redis) by the one caller allowed to
  try a half-open route. It expires on its own, so a probe that dies frees it.

No lock is held across a model call: a caller takes a decision, calls, then reports.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

from django.core.cache import cache


class Admission(str, Enum):
    CLOSED = "closed"  # call normally
    PROBE = "probe"  # half-open and this caller holds the probe
    OPEN = "open"  # skip the route


@dataclass(frozen=True)
class Breaker:
    """The breaker of one route. ``key`` names the route (its id and model)."""

    key: str
    failures: int = 3
    open_s: int = 300
    probe_ttl_s: int = 120

    def _k(self, part: str) -> str:
        return f"llm:breaker:{self.key}:{part}"

    def admit(self, *, now: float | None = None) -> Admission:
        """Return whether a caller may call the route now (and whether as the half-open probe)."""
        open_until = cache.get(self._k("open_until"))
        if open_until is None:
            return Admission.CLOSED
        if (now if now is not None else time.time()) < open_until:
            return Admission.OPEN
        if cache.add(self._k("probe"), 1, timeout=self.probe_ttl_s):
            return Admission.PROBE
        return Admission.OPEN

    def succeeded(self) -> None:
        """Close the circuit: a success clears the failure count, the open state and the probe."""
        cache.delete_many([self._k("fails"), self._k("open_until"), self._k("probe")])

    def failed(self, *, admission: Admission, now: float | None = None) -> bool:
        """Count one retryable failure; return True when it (re)opened the circuit."""
        now = now if now is not None else time.time()
        if admission is Admission.PROBE:
            self._open(now)
            return True
        cache.add(self._k("fails"), 0, timeout=None)
        try:
            count = cache.incr(self._k("fails"))
        except ValueError:  # evicted between add and incr
            cache.add(self._k("fails"), 1, timeout=None)
            count = 1
        if count >= self.failures:
            self._open(now)
            return True
        return False

    def released(self, *, admission: Admission) -> None:
        """Give the probe back without a verdict (the call failed for a non-retryable reason)."""
        if admission is Admission.PROBE:
            cache.delete(self._k("probe"))

    def state(self, *, now: float | None = None) -> str:
        """Return ``closed``, ``open`` or ``half_open``, for admin and tests; takes no probe."""
        open_until = cache.get(self._k("open_until"))
        if open_until is None:
            return "closed"
        return "open" if (now if now is not None else time.time()) < open_until else "half_open"

    def _open(self, now: float) -> None:
        cache.set(self._k("open_until"), now + self.open_s, timeout=None)
        cache.delete_many([self._k("fails"), self._k("probe")])
