"""Per-user throttles for endpoints that start paid work (a model call): create, answer, retry, refine; and,
with a budget of their own, for those that run queries now: a widget's refresh, a dashboard's Refresh all.

Reuse: ``throttle_classes = [GenerationThrottle]`` on a view; every view with the same ``scope`` shares
one budget per user. Rates come from ``API_THROTTLE_RATES`` when a call is checked (never frozen at
import); ``API_THROTTLE_ENABLED=false`` turns them off, and members of ``API_THROTTLE_EXEMPT_GROUP``
(tests, schema fuzzing, trusted automation) are never throttled. An answer is 429 with ``Retry-After``.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle


def throttle_exempt(user: Any) -> bool:
    """True when ``user`` is in the exempt group (or throttling is off)."""
    if not settings.API_THROTTLE_ENABLED:
        return True
    group = settings.API_THROTTLE_EXEMPT_GROUP
    return bool(group and user is not None and user.is_authenticated and user.groups.filter(name=group).exists())


class GenerationThrottle(UserRateThrottle):
    """Calls that make the pipeline run, per user, at ``API_THROTTLE_RATES["generation"]`` (e.g. "20/min")."""

    scope = "generation"

    def __init__(self) -> None:
        # UserRateThrottle reads the rate in __init__ from a class attribute filled at import: read it now.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        if throttle_exempt(request.user):
            return True
        return super().allow_request(request, view)


class RefreshThrottle(GenerationThrottle):
    """Calls that run a widget's queries now (a widget's Refresh now, a dashboard's Refresh all), per user, at
    ``API_THROTTLE_RATES["refresh"]``: no model is paid, but each takes the query box, which every widget
    shares, and a forced refresh skips the cache."""

    scope = "refresh"
