"""get_llm resolves purpose → tier → route at call time and records every call."""
from __future__ import annotations

import pytest

from backend.llm import config
from backend.llm.gateway import CallContext, get_llm
from backend.llm.models import CallOutcome, LLMCall, ModelRoute, PurposeBinding, Tier
from backend.llm.types import LLMError, LLMRequest, Tool
from tests.llm.helpers import call

pytestmark = pytest.mark.django_db

def _intent_call(name: str = "intent_extraction", **context: int) -> None:
    call(name, context=CallContext(**context))


def test_the_seeded_tiers_follow_the_adr() -> None:
    fast = Tier.objects.get(name="fast").routes.order_by("position")
    reasoning = Tier.objects.get(name="reasoning").routes.order_by("position")
    assert [(r.provider, r.model_id) for r in fast] == [
        ("bedrock", "us.anthropic.claude-sonnet-4-6"), ("anthropic", "claude-sonnet-4-6")]
    assert [(r.provider, r.model_id) for r in reasoning] == [
        ("bedrock", "us.anthropic.claude-opus-4-7"), ("anthropic", "claude-opus-4-7")]
    bound = dict(PurposeBinding.objects.values_list("purpose", "tier__name"))
    assert bound == {"intent_extraction": "fast", "sql_generation": "fast",
                     "spec_synthesis": "reasoning", "tsx_codegen": "reasoning"}


def test_every_call_is_recorded_with_purpose_tier_and_usage(django_user_model) -> None:
    user = django_user_model.objects.create_user(username="u", password="x-123456789")
    _intent_call(user_id=user.id, widget_request_id=42)
    row = LLMCall.objects.get()
    assert (row.purpose, row.tier, row.provider, row.outcome) == ("intent_extraction", "fast", "offline", "ok")
    assert row.requested_model == "us.anthropic.claude-sonnet-4-6"
    assert row.input_tokens > 0 and row.output_tokens > 0 and row.stop_reason == "tool_use"
    assert (row.user_id, row.widget_request_id) == (user.id, 42)


def test_an_admin_edit_applies_to_the_next_call_without_a_restart() -> None:
    _intent_call()
    route = Tier.objects.get(name="fast").routes.get(position=0)
    route.model_id = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    route.save()
    _intent_call()
    assert list(LLMCall.objects.order_by("id").values_list("requested_model", flat=True)) == [
        "us.anthropic.claude-sonnet-4-6", "us.anthropic.claude-haiku-4-5-20251001-v1:0"]


def test_rebinding_a_purpose_moves_it_to_another_tier() -> None:
    PurposeBinding.objects.filter(purpose="intent_extraction").update(tier=Tier.objects.get(name="reasoning"))
    _intent_call()
    assert LLMCall.objects.get().tier == "reasoning"


def test_a_tier_name_works_as_well_as_a_purpose() -> None:
    _intent_call("reasoning")
    call = LLMCall.objects.get()
    assert (call.purpose, call.tier) == ("reasoning", "reasoning")


@pytest.mark.parametrize("name", ["no_such_purpose", ""])
def test_an_unknown_name_is_a_clear_permanent_error(name: str) -> None:
    with pytest.raises(LLMError, match="neither a purpose nor a tier") as caught:
        get_llm(name).ask(LLMRequest(system="s", prompt="{}", tool=Tool("t", "", {})), dict)
    assert caught.value.retryable is False


def test_a_tier_with_every_route_disabled_says_so() -> None:
    ModelRoute.objects.filter(tier__name="fast").update(enabled=False)
    with pytest.raises(LLMError, match="no enabled route"):
        _intent_call()


def test_route_cost_uses_all_four_prices() -> None:
    route = Tier.objects.get(name="fast").routes.get(position=0)
    cost = route.cost_usd(input_tokens=1_000_000, output_tokens=100_000, cache_read=2_000_000, cache_write=10_000)
    # 3.00 + 1.50 + 0.60 + 0.0375
    assert str(cost) == "5.137500"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "offline"),
        ({"ANTHROPIC_API_KEY": "k"}, "live"),
        ({"AWS_PROFILE": "team"}, "live"),
        ({"AWS_ACCESS_KEY_ID": "AKIA"}, "live"),
        ({"ANTHROPIC_API_KEY": "k", "BUILDER_MODE": "offline"}, "offline"),
        ({"BUILDER_MODE": "live"}, "live"),
        ({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"}, "live"),
        ({"AWS_SHARED_CREDENTIALS_FILE": "{tmp}/credentials"}, "live"),
        ({"AWS_CONFIG_FILE": "{tmp}/missing"}, "offline"),
        ({"AWS_CONFIG_FILE": "{tmp}/region-only"}, "offline"),
        ({"AWS_CONFIG_FILE": "{tmp}/sso"}, "live"),
    ],
)
def test_builder_mode_is_offline_unless_credentials_or_the_setting_say_live(monkeypatch, tmp_path, env,
                                                                          expected) -> None:
    for name in ("BUILDER_MODE", "ANTHROPIC_API_KEY", *config._AWS_VARIABLES, "AWS_SHARED_CREDENTIALS_FILE",
                 "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws here
    (tmp_path / "credentials").write_text("[default]\naws_access_key_id = AKIAEXAMPLE\n")
    (tmp_path / "region-only").write_text("[default]\nregion = us-east-1\n")
    (tmp_path / "sso").write_text("[default]\nsso_session = corp\nsso_account_id = 123456789012\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    assert config.builder_mode() == expected


def test_a_bad_builder_mode_is_refused(monkeypatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("BUILDER_MODE", "sometimes")
    with pytest.raises(ImproperlyConfigured, match="BUILDER_MODE"):
        config.builder_mode()


def test_live_mode_with_an_unreachable_provider_records_the_failure_and_falls_back(monkeypatch, knobs) -> None:
    # The fake credentials point both providers at a closed local port: each route fails
    # retryably, is retried until its breaker opens, and the chain ends in a clear error.
    monkeypatch.setenv("BUILDER_MODE", "live")
    ModelRoute.objects.update(timeout_s=2)
    with pytest.raises(LLMError) as caught:
        _intent_call()
    assert caught.value.retryable is True
    outcomes = list(LLMCall.objects.order_by("id").values_list("provider", "outcome"))
    assert outcomes == [("bedrock", CallOutcome.RETRIED), ("bedrock", CallOutcome.RETRIED),
                        ("bedrock", CallOutcome.FELL_BACK), ("anthropic", CallOutcome.RETRIED),
                        ("anthropic", CallOutcome.RETRIED), ("anthropic", CallOutcome.ERROR)]


def test_an_override_forces_one_route_and_is_recorded_as_such() -> None:
    haiku = ModelRoute.objects.create(tier=Tier.objects.get(name="reasoning"), position=9, enabled=False,
                                      provider="bedrock", model_id="us.anthropic.claude-haiku-4-5", region="us-east-1")
    call("intent_extraction", override_route_id=haiku.id)
    row = LLMCall.objects.get()
    assert (row.requested_model, row.tier, row.overridden) == ("us.anthropic.claude-haiku-4-5", "reasoning", True)


def test_an_override_naming_no_route_is_a_clear_error() -> None:
    with pytest.raises(LLMError, match="No route with id 999999"):
        get_llm("fast", override_route_id=999999).ask(LLMRequest(system="s", prompt="{}", tool=Tool("t", "", {})), dict)


def test_an_override_carried_by_the_call_context_applies_to_every_purpose() -> None:
    haiku = ModelRoute.objects.create(tier=Tier.objects.get(name="fast"), position=9, enabled=False,
                                      provider="bedrock", model_id="us.anthropic.claude-haiku-4-5", region="us-east-1")
    context = CallContext(widget_request_id=7, override_route_id=haiku.id)
    call("intent_extraction", context=context)
    call("intent_extraction", context=CallContext())
    forced, plain = LLMCall.objects.order_by("id")
    assert (forced.requested_model, forced.overridden, forced.widget_request_id) == (haiku.model_id, True, 7)
    assert (plain.requested_model, plain.overridden) == ("us.anthropic.claude-sonnet-4-6", False)
