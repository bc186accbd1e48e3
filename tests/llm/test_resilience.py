"""Retries, backoff, deadline, fallback and the circuit breaker, through the real clients."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from backend.llm.chain import Clock, backoff_s, breaker_for, within
from backend.llm.gateway import LLMClient
from backend.llm.models import GatewaySettings, LLMCall, ModelRoute
from backend.llm.types import LLMError
from tests.llm.fakes import server as fake
from tests.llm.helpers import answered_by, call, outcomes, request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fakes(knobs, fake_bedrock, fake_anthropic) -> None:
    pass


def _bedrock_fast() -> ModelRoute:
    return ModelRoute.objects.get(tier__name="fast", provider="bedrock")


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 10])
@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_backoff_is_full_jitter_under_an_exponential_ceiling_and_a_cap(attempt, rand) -> None:
    wait = backoff_s(attempt=attempt, base_ms=100, cap_ms=2000, rand=rand)
    assert 0 <= wait <= min(2.0, 0.1 * 2 ** (attempt - 1))
    assert wait == pytest.approx(rand * min(2.0, 0.1 * 2 ** (attempt - 1)))


def test_retries_wait_with_the_injected_clock(fake_bedrock) -> None:
    GatewaySettings.objects.update(backoff_base_ms=1000, backoff_cap_ms=60_000)
    fake_bedrock.script(fake.throttle(), fake.throttle())
    sleeps: list[float] = []
    LLMClient("fast", clock=Clock(sleep=sleeps.append, random=lambda: 0.5)).ask(request(), dict)
    assert sleeps == [0.5, 1.0]


def test_a_route_exhausted_by_throttling_falls_back_to_the_next(fake_bedrock, fake_anthropic) -> None:
    GatewaySettings.objects.update(breaker_failures=10)
    fake_bedrock.script(fake.throttle(), fake.throttle(), fake.throttle())
    call("fast")
    assert answered_by() == "anthropic"
    assert outcomes() == [("bedrock", "retried"), ("bedrock", "retried"), ("bedrock", "fell_back"),
                          ("anthropic", "ok")]


def test_access_denied_falls_back_to_another_provider_without_a_retry(fake_bedrock, fake_anthropic) -> None:
    fake_bedrock.script(fake.access_denied())
    call("fast")
    assert answered_by() == "anthropic"
    assert outcomes() == [("bedrock", "fell_back"), ("anthropic", "ok")]


def test_a_validation_error_stops_the_call_without_a_fallback(fake_bedrock, fake_anthropic) -> None:
    fake_bedrock.script(fake.validation())
    with pytest.raises(LLMError):
        call("fast")
    assert fake_anthropic.requests == [] and outcomes() == [("bedrock", "error")]


def test_no_retry_starts_after_the_call_deadline(fake_bedrock, fake_anthropic) -> None:
    GatewaySettings.objects.update(call_deadline_s=15)
    ticks = iter(range(0, 1000, 10))  # each reading of the clock is 10 s later: the deadline is t=15
    fake_bedrock.script(fake.throttle())
    with pytest.raises(LLMError) as caught:
        LLMClient("fast", clock=Clock(now=lambda: float(next(ticks)), sleep=lambda s: None)).ask(request(), dict)
    assert caught.value.retryable is True
    assert len(fake_bedrock.requests) == 1 and fake_anthropic.requests == []
    assert outcomes() == [("bedrock", "fell_back"), ("anthropic", "error")]


def test_three_failures_open_the_breaker_and_the_next_call_skips_the_route(fake_bedrock, fake_anthropic) -> None:
    fake_bedrock.script(fake.throttle(), fake.throttle(), fake.throttle())
    call("fast")
    assert breaker_for(_bedrock_fast(), GatewaySettings.current()).state() == "open"
    call("fast")
    assert len(fake_bedrock.requests) == 3
    assert outcomes()[-2:] == [("bedrock", "circuit_open"), ("anthropic", "ok")]


def test_a_half_open_route_gets_one_probe_and_closes_on_success(fake_bedrock) -> None:
    breaker = breaker_for(_bedrock_fast(), GatewaySettings.current())
    breaker._open(now=0)  # opened long ago: half-open now
    assert breaker.state() == "half_open"
    call("fast")
    assert breaker.state() == "closed" and outcomes() == [("bedrock", "ok")]


def test_a_failed_probe_reopens_the_route_at_once(fake_bedrock, fake_anthropic) -> None:
    breaker = breaker_for(_bedrock_fast(), GatewaySettings.current())
    breaker._open(now=0)
    fake_bedrock.script(fake.server_error())
    call("fast")
    assert answered_by() == "anthropic"
    assert breaker.state() == "open" and len(fake_bedrock.requests) == 1


def test_permanent_errors_do_not_count_towards_the_breaker(fake_bedrock) -> None:
    fake_bedrock.script(*[fake.access_denied()] * 4)
    for _ in range(4):
        call("fast")
    assert breaker_for(_bedrock_fast(), GatewaySettings.current()).state() == "closed"
    assert cache.get(f"llm:breaker:{breaker_for(_bedrock_fast(), GatewaySettings.current()).key}:fails") is None


def test_an_admin_edit_of_the_threshold_applies_to_the_next_call(fake_bedrock) -> None:
    GatewaySettings.objects.update(breaker_failures=1)
    fake_bedrock.script(fake.throttle())
    call("fast")
    assert outcomes()[0] == ("bedrock", "fell_back")
    assert breaker_for(_bedrock_fast(), GatewaySettings.current()).state() == "open"


def test_a_route_reached_after_the_deadline_is_not_blamed_for_it(fake_bedrock, fake_anthropic) -> None:
    GatewaySettings.objects.update(call_deadline_s=15)
    ticks = iter(range(0, 1000, 10))
    fake_bedrock.script(fake.throttle())
    with pytest.raises(LLMError, match="deadline"):
        LLMClient("fast", clock=Clock(now=lambda: float(next(ticks)), sleep=lambda s: None)).ask(request(), dict)
    anthropic_route = ModelRoute.objects.get(tier__name="fast", provider="anthropic")
    assert cache.get(f"llm:breaker:{breaker_for(anthropic_route, GatewaySettings.current()).key}:fails") is None


def test_a_tiers_own_deadline_wins_over_the_gateway_setting(fake_bedrock, fake_anthropic) -> None:
    from backend.llm.models import Tier

    GatewaySettings.objects.update(call_deadline_s=1000)
    Tier.objects.filter(name="fast").update(call_deadline_s=15)
    ticks = iter(range(0, 1000, 10))
    fake_bedrock.script(fake.throttle())
    with pytest.raises(LLMError, match="deadline"):
        LLMClient("fast", clock=Clock(now=lambda: float(next(ticks)), sleep=lambda s: None)).ask(request(), dict)
    assert len(fake_bedrock.requests) == 1 and fake_anthropic.requests == []


def test_a_call_deadline_cuts_a_slow_attempt_short_and_says_time_ran_out(fake_bedrock, fake_anthropic) -> None:
    route = _bedrock_fast()
    assert route.timeout_s >= 10
    fake_bedrock.script(fake.slow(8))
    with pytest.raises(LLMError) as caught:
        call("fast", deadline_s=1.2)
    assert caught.value.code == "llm_deadline"
    assert fake_anthropic.requests == []  # no time was left for the fallback
    timed_out = LLMCall.objects.get(provider="bedrock")
    assert timed_out.error_code == "llm_deadline"
    assert timed_out.latency_ms < 5000  # the read timeout was 2 s (1.2 rounded up), not the route's own
    # The route did nothing wrong: a short caller deadline must not push it towards an open circuit.
    assert cache.get(f"llm:breaker:{breaker_for(route, GatewaySettings.current()).key}:fails") is None


def test_a_call_deadline_never_extends_the_tiers_deadline(fake_bedrock, fake_anthropic) -> None:
    GatewaySettings.objects.update(call_deadline_s=15)
    ticks = iter(range(0, 1000, 10))
    fake_bedrock.script(fake.throttle())
    with pytest.raises(LLMError, match="deadline"):
        LLMClient("fast", clock=Clock(now=lambda: float(next(ticks)), sleep=lambda s: None)).ask(
            request(), dict, deadline_s=10_000)
    assert len(fake_bedrock.requests) == 1 and fake_anthropic.requests == []


def test_within_clips_the_timeout_to_whole_seconds_left_and_leaves_the_route_alone() -> None:
    route = ModelRoute(provider="bedrock", model_id="m", timeout_s=30)
    assert within(route, 100) is route
    clipped = within(route, 2.1)
    assert clipped.timeout_s == 3 and route.timeout_s == 30
    assert within(route, 0.01).timeout_s == 1


def test_a_bedrock_quota_error_falls_back_at_once_with_a_pointer_to_service_quotas(fake_bedrock, fake_anthropic) -> None:
    fake_bedrock.script(fake.raw(400, b'{"__type": "ServiceQuotaExceededException", '
                                      b'"message": "The request exceeds the service quota for your account."}'))
    call("fast")
    assert answered_by() == "anthropic"
    assert outcomes() == [("bedrock", "fell_back"), ("anthropic", "ok")]
    assert "Service Quotas" in LLMCall.objects.order_by("id").first().error_message
