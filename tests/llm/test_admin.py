"""Admin forms validate routes and chains; the ledger, summary and settings pages render."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.forms import inlineformset_factory

from backend.llm.admin import ModelRouteForm, RouteChainFormSet
from backend.llm.models import GatewaySettings, LLMCall, ModelRoute, Tier

pytestmark = pytest.mark.django_db

GOOD_ROUTE = {"position": "0", "enabled": "on", "provider": "bedrock", "model_id": "us.anthropic.claude-sonnet-4-6",
              "region": "us-east-1", "max_tokens": "4096", "timeout_s": "60", "price_input": "3",
              "price_output": "15", "price_cache_read": "0.3", "price_cache_write": "3.75"}


def _route_form(**changes: str) -> ModelRouteForm:
    tier = Tier.objects.create(name="spare")
    return ModelRouteForm(data={**GOOD_ROUTE, "tier": str(tier.id), **changes})


def test_a_good_route_is_accepted() -> None:
    assert _route_form().is_valid()


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"provider": "openai"}, "provider", "Unknown provider openai: choose one of bedrock, anthropic."),
    ({"price_output": "-1"}, "price_output", "A price cannot be negative."),
    ({"price_cache_read": "-0.01"}, "price_cache_read", "A price cannot be negative."),
    ({"region": "US East"}, "region", "'US East' is not an AWS region name such as us-east-1."),
    ({"provider": "anthropic"}, "region", "Only Bedrock routes have a region; leave it empty."),
    ({"model_id": "  "}, "model_id", "This field is required."),
    ({"max_tokens": "0"}, "max_tokens", "Ensure this value is greater than or equal to 1."),
])
def test_a_bad_route_is_refused_with_a_clear_message(changes: dict[str, str], field: str, message: str) -> None:
    form = _route_form(**changes)
    assert not form.is_valid()
    assert message in form.errors[field]


def _chain(tier: Tier, routes: list[dict[str, Any]]) -> Any:
    FormSet = inlineformset_factory(Tier, ModelRoute, form=ModelRouteForm, formset=RouteChainFormSet, extra=0)
    data = {"routes-TOTAL_FORMS": str(len(routes)), "routes-INITIAL_FORMS": "0"}
    for i, route in enumerate(routes):
        data.update({f"routes-{i}-{k}": v for k, v in route.items()})
    return FormSet(data=data, instance=tier, prefix="routes")


def test_an_empty_chain_is_refused() -> None:
    formset = _chain(Tier.objects.create(name="empty"), [])
    assert not formset.is_valid()
    assert "at least one enabled route" in formset.non_form_errors()[0]


def test_a_chain_of_disabled_routes_is_refused() -> None:
    disabled = {k: v for k, v in GOOD_ROUTE.items() if k != "enabled"}
    assert not _chain(Tier.objects.create(name="off"), [disabled]).is_valid()


def test_a_chain_with_one_enabled_route_is_accepted() -> None:
    assert _chain(Tier.objects.create(name="one"), [GOOD_ROUTE]).is_valid()


def test_a_soft_cap_above_the_hard_cap_is_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="soft cap must not exceed"):
        GatewaySettings(daily_soft_cap_usd=Decimal("5"), daily_hard_cap_usd=Decimal("1")).full_clean()


@pytest.mark.parametrize("url", ["/admin/llm/tier/", "/admin/llm/modelcapability/", "/admin/llm/gatewaysettings/",
                                 "/admin/llm/llmcall/", "/admin/llm/llmcall/?outcome__exact=fell_back",
                                 "/admin/llm/llmcall/summary/?days=30"])
def test_the_gateway_admin_pages_render(admin_client, llm_routing, url: str) -> None:
    assert admin_client.get(url).status_code == 200


def test_the_ledger_filters_by_how_answers_stopped(admin_client, llm_routing) -> None:
    common = {"purpose": "sql_generation", "tier": "fast", "provider": "bedrock", "requested_model": "m"}
    LLMCall.objects.create(**common, model_id="m", outcome="truncated", stop_reason="max_tokens", error_code="cut-off")
    LLMCall.objects.create(**common, model_id="m", outcome="ok", stop_reason="tool_use", error_code="all-there")
    page = admin_client.get("/admin/llm/llmcall/?stop_reason__exact=max_tokens").content.decode()
    assert "cut-off" in page and "all-there" not in page and "1 result" in page


def _form_values(html: str) -> dict[str, str]:
    """Return the values a browser would submit from the page's form (inputs, selects, textareas)."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.values: dict[str, str] = {}
            self._select: str | None = None
            self._textarea: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
                if a.get("type") != "checkbox" or "checked" in a:
                    self.values[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
            elif tag == "select":
                self._select = a.get("name")
            elif tag == "option" and self._select and "selected" in a:
                self.values[self._select] = a.get("value", "")
            elif tag == "textarea":
                self._textarea = a.get("name")
                self.values[self._textarea or ""] = ""

        def handle_endtag(self, tag: str) -> None:
            self._select = None if tag == "select" else self._select
            self._textarea = None if tag == "textarea" else self._textarea

        def handle_data(self, data: str) -> None:
            if self._textarea:
                self.values[self._textarea] += data

    parser = Form()
    parser.feed(html)
    return parser.values


def test_a_route_edited_through_the_admin_serves_the_next_call_and_is_in_the_history(
        admin_client, llm_routing, knobs, fake_bedrock) -> None:
    from django.contrib.admin.models import LogEntry

    from tests.llm.fakes.bedrock import model_of
    from tests.llm.helpers import call

    call("fast")  # the process has loaded its routing snapshot before the edit

    tier = Tier.objects.get(name="fast")
    page = admin_client.get(f"/admin/llm/tier/{tier.id}/change/")
    values = _form_values(page.content.decode())
    first = next(k for k, v in values.items() if k.endswith("-model_id") and v == "us.anthropic.claude-sonnet-4-6")
    values[first] = "us.anthropic.claude-haiku-4-5"
    response = admin_client.post(f"/admin/llm/tier/{tier.id}/change/", values)
    assert response.status_code == 302, response.content.decode()[:2000]

    call("fast")
    assert [model_of(r) for r in fake_bedrock.requests] == ["us.anthropic.claude-sonnet-4-6",
                                                            "us.anthropic.claude-haiku-4-5"]
    entry = LogEntry.objects.get(object_id=str(tier.id))
    assert entry.user.is_superuser and "model id" in entry.get_change_message().lower()


def test_the_summary_shows_latency_percentiles_cost_and_rates(admin_client, llm_routing) -> None:
    for latency, outcome, cost in [(100, "ok", "0.10"), (200, "ok", "0.10"), (900, "escalated", "0.20"),
                                   (0, "fell_back", "0")]:
        LLMCall.objects.create(purpose="sql_generation", tier="fast", provider="bedrock", requested_model="m1",
                               model_id="m1", outcome=outcome, latency_ms=latency, cost_usd=Decimal(cost))
    from backend.llm.selectors import routing_summary

    [row] = routing_summary(days=1)
    assert (row.calls, row.p50_ms, row.p95_ms, row.cost_usd) == (4, 200, 900, Decimal("0.40"))
    assert (row.fallback_rate, row.escalation_rate, row.error_rate) == (0.25, 0.25, 0.0)
    assert b"m1" in admin_client.get("/admin/llm/llmcall/summary/?days=1").content


def test_the_tier_list_shows_an_open_circuit(admin_client, llm_routing) -> None:
    from backend.llm.chain import breaker_for

    route = ModelRoute.objects.get(tier__name="fast", position=0)
    breaker_for(route, GatewaySettings.current())._open(now=10**12)
    page = admin_client.get("/admin/llm/tier/").content.decode()
    assert "bedrock:us.anthropic.claude-sonnet-4-6 [circuit open]" in page
    assert page.count("[circuit open]") == 1  # only that route; the others stay closed


def test_the_summary_lists_cost_per_day_and_model(admin_client, llm_routing) -> None:
    import datetime as dt

    from django.utils import timezone

    from backend.llm.selectors import daily_costs

    for days_ago, cost in [(0, "0.10"), (0, "0.15"), (2, "0.40")]:
        row = LLMCall.objects.create(purpose="sql_generation", tier="fast", provider="bedrock", requested_model="m1",
                                     model_id="m1", outcome="ok", cost_usd=Decimal(cost))
        LLMCall.objects.filter(id=row.id).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    today, earlier = daily_costs(days=7)
    assert (today.calls, today.cost_usd, earlier.calls, earlier.cost_usd) == (2, Decimal("0.25"), 1, Decimal("0.40"))
    assert (today.day - earlier.day).days == 2
    assert b"0.40" in admin_client.get("/admin/llm/llmcall/summary/?days=7").content
