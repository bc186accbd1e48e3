"""Daily spend caps, global and per user, counted from the ledger."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.llm.gateway import CallContext, InvalidAnswer
from backend.llm.models import GatewaySettings, LLMCall
from backend.llm.types import LLMError
from tests.llm.fakes import server as fake
from tests.llm.fakes.bedrock import model_of
from tests.llm.helpers import call

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _routing(knobs, fake_bedrock) -> None:
    pass


def _spent(usd: str, *, user=None, days_ago: int = 0) -> None:
    row = LLMCall.objects.create(purpose="spec_synthesis", tier="reasoning", provider="bedrock", requested_model="m",
                                 model_id="m", outcome="ok", cost_usd=Decimal(usd), user=user)
    if days_ago:
        LLMCall.objects.filter(id=row.id).update(created_at=timezone.now() - dt.timedelta(days=days_ago))


def _new_rows() -> list[tuple[str, str]]:
    return list(LLMCall.objects.exclude(requested_model="m").order_by("id").values_list("tier", "outcome"))


def test_past_the_soft_cap_a_reasoning_purpose_runs_on_the_fast_tier() -> None:
    GatewaySettings.objects.update(daily_soft_cap_usd=Decimal("1.00"))
    _spent("1.50")
    call("reasoning")
    assert _new_rows() == [("reasoning", "budget_degraded"), ("fast", "ok")]


def test_below_the_soft_cap_nothing_degrades() -> None:
    GatewaySettings.objects.update(daily_soft_cap_usd=Decimal("1.00"))
    _spent("0.99")
    call("reasoning")
    assert _new_rows() == [("reasoning", "ok")]


def test_past_the_hard_cap_the_call_is_refused_clearly() -> None:
    GatewaySettings.objects.update(daily_soft_cap_usd=Decimal("1.00"), daily_hard_cap_usd=Decimal("2.00"))
    _spent("2.00")
    with pytest.raises(LLMError, match="reached the daily cap of \\$2.00") as caught:
        call("fast")
    assert (caught.value.code, caught.value.retryable) == ("budget_exceeded", False)
    assert _new_rows() == [("fast", "budget_refused")]


def test_yesterdays_spend_does_not_count() -> None:
    GatewaySettings.objects.update(daily_hard_cap_usd=Decimal("2.00"))
    _spent("5.00", days_ago=1)
    call("fast")
    assert _new_rows() == [("fast", "ok")]


def test_a_users_cap_counts_only_that_users_spend(analyst, other_analyst) -> None:
    GatewaySettings.objects.update(user_daily_hard_cap_usd=Decimal("1.00"))
    _spent("1.00", user=analyst)
    call("fast", context=CallContext(user_id=other_analyst.id))
    with pytest.raises(LLMError, match="your spend today"):
        call("fast", context=CallContext(user_id=analyst.id))


def test_an_override_is_not_degraded_by_the_soft_cap() -> None:
    from backend.llm.models import ModelRoute

    GatewaySettings.objects.update(daily_soft_cap_usd=Decimal("1.00"))
    _spent("1.50")
    opus = ModelRoute.objects.get(tier__name="reasoning", position=0)
    call("reasoning", override_route_id=opus.id)
    row = LLMCall.objects.exclude(requested_model="m").get()
    assert (row.requested_model, row.overridden, row.outcome) == (opus.model_id, True, "ok")


def test_past_the_soft_cap_failed_checks_stay_on_the_same_tier_not_escalated(fake_bedrock) -> None:
    GatewaySettings.objects.update(daily_soft_cap_usd=Decimal("1.00"))
    _spent("1.50")
    fake_bedrock.script(fake.no_tool(), fake.no_tool())
    with pytest.raises(InvalidAnswer):
        call("fast")
    assert _new_rows() == [("fast", "validation_failed"), ("fast", "validation_failed")]
    assert [model_of(r) for r in fake_bedrock.requests] == ["us.anthropic.claude-sonnet-4-6"] * 2


def test_below_the_soft_cap_failed_checks_escalate_to_the_reasoning_tier(fake_bedrock) -> None:
    fake_bedrock.script(fake.no_tool(), fake.no_tool())
    call("fast")
    assert _new_rows() == [("fast", "validation_failed"), ("fast", "validation_failed"), ("reasoning", "escalated")]
    assert model_of(fake_bedrock.requests[-1]) == "us.anthropic.claude-opus-4-7"
