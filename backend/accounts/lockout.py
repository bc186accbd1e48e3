"""The answer to a login attempt django-axes has locked out (AXES_LOCKOUT_CALLABLE)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """A 429 page saying how long the lock lasts, with ``Retry-After`` in seconds."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cool_off.total_seconds() / 60))
    response = render(request, "registration/locked_out.html",
                      {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
