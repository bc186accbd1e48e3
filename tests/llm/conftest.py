"""Fixtures for gateway tests: the fake provider servers, fast retry knobs, a clean breaker cache."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.llm.fakes.anthropic_api import FakeAnthropic
from tests.llm.fakes.bedrock import FakeBedrock


@pytest.fixture(autouse=True)
def _clean_breakers() -> Iterator[None]:
    # Breaker state lives in the cache, which outlives a test's database rollback.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def knobs(llm_routing: None) -> Any:
    """The gateway settings row with millisecond backoff, so retry tests do not sleep."""
    from backend.llm.models import GatewaySettings

    row = GatewaySettings.current()
    row.backoff_base_ms, row.backoff_cap_ms = 1, 2
    row.save()
    return row


@pytest.fixture
def fake_bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    server = FakeBedrock().start()
    monkeypatch.setenv("BEDROCK_ENDPOINT_URL", server.url)
    monkeypatch.setenv("BUILDER_MODE", "live")
    yield server
    server.stop()


@pytest.fixture
def fake_anthropic(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("BUILDER_MODE", "live")
    yield server
    server.stop()
