"""Small helpers shared by the widget tests."""
from __future__ import annotations

import time
from typing import Any

import dramatiq
import pytest

from widgets.models import WidgetRequest


def wait_for(request_id: int, statuses: set[str], timeout: float = 60) -> WidgetRequest:
    """Return the request once its status is one of ``statuses``; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = WidgetRequest.objects.get(id=request_id)
        if found.status in statuses:
            return found
        time.sleep(0.05)
    raise AssertionError(f"request {request_id} still {found.status} after {timeout}s")


def capture_sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """From now on, record the messages handed to the broker as (actor, args) instead of sending them."""
    messages: list[tuple[str, tuple[Any, ...]]] = []

    def capture(self: dramatiq.Actor, *, args: tuple[Any, ...] = (), kwargs: Any = None, **options: Any) -> None:
        messages.append((self.actor_name, tuple(args)))

    monkeypatch.setattr(dramatiq.Actor, "send_with_options", capture)
    return messages
