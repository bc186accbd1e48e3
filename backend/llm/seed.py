"""The routing rows a fresh install starts with (the two-tier ADR), applied by a data migration."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

# Prices in USD per 1M tokens: input, output, cache read, cache write.
SONNET_PRICES = (Decimal("3"), Decimal("15"), Decimal("0.30"), Decimal("3.75"))
OPUS_PRICES = (Decimal("5"), Decimal("25"), Decimal("0.50"), Decimal("6.25"))

TIERS: dict[str, dict[str, Any]] = {
    "fast": {
        "description": "Single-pass parses and flat tool outputs: the clarifier and SQL generation.",
        "routes": [
            ("bedrock", "us.anthropic.claude-sonnet-4-6", "us-east-1", SONNET_PRICES),
            ("anthropic", "claude-sonnet-4-6", "", SONNET_PRICES),
        ],
    },
    "reasoning": {
        "description": "Deeply nested specs and TSX codegen.",
        "routes": [
            ("bedrock", "us.anthropic.claude-opus-4-7", "us-east-1", OPUS_PRICES),
            ("anthropic", "claude-opus-4-7", "", OPUS_PRICES),
        ],
    },
}

PURPOSES = {
    "intent_extraction": "fast",
    "spec_synthesis": "reasoning",
    "tsx_codegen": "reasoning",
    "sql_generation": "fast",
}


# What each model accepts: (accepts_temperature, accepts_top_p, supports_prompt_cache, max_output_tokens).
CAPABILITIES = {
    "claude-opus-4-7": (False, False, True, 32_000),
    "claude-sonnet-4-6": (True, True, True, 64_000),
}
ESCALATIONS = {"fast": "reasoning"}
DEGRADATIONS = {"reasoning": "fast"}


def seed_routing(apps: Any, schema_editor: Any = None) -> None:
    """Create every seeded row (tiers, routes, purposes, capabilities, settings) where missing."""
    seed_tiers(apps)
    seed_gateway(apps)


def seed_gateway(apps: Any, schema_editor: Any = None) -> None:
    """Link the seeded tiers (escalation, degradation), add capabilities and the settings row."""
    Tier = apps.get_model("llm", "Tier")
    for field, links in (("escalates_to", ESCALATIONS), ("degrades_to", DEGRADATIONS)):
        for source, target in links.items():
            Tier.objects.filter(name=source, **{f"{field}__isnull": True}).update(
                **{field: Tier.objects.filter(name=target).first()})
    ModelCapability = apps.get_model("llm", "ModelCapability")
    for prefix, (temperature, top_p, cache, max_out) in CAPABILITIES.items():
        ModelCapability.objects.get_or_create(model_prefix=prefix, defaults={
            "accepts_temperature": temperature, "accepts_top_p": top_p, "supports_prompt_cache": cache,
            "max_output_tokens": max_out})
    GatewaySettings = apps.get_model("llm", "GatewaySettings")
    if not GatewaySettings.objects.exists():
        GatewaySettings.objects.create()


def seed_tiers(apps: Any, schema_editor: Any = None) -> None:
    """Create the seeded tiers, routes and purpose bindings where they are missing."""
    Tier = apps.get_model("llm", "Tier")
    ModelRoute = apps.get_model("llm", "ModelRoute")
    PurposeBinding = apps.get_model("llm", "PurposeBinding")
    for name, spec in TIERS.items():
        tier, created = Tier.objects.get_or_create(name=name, defaults={"description": spec["description"]})
        if not created:
            continue
        for position, (provider, model_id, region, prices) in enumerate(spec["routes"]):
            ModelRoute.objects.create(
                tier=tier, position=position, provider=provider, model_id=model_id, region=region,
                max_tokens=8192 if name == "reasoning" else 4096, timeout_s=120 if name == "reasoning" else 60,
                price_input=prices[0], price_output=prices[1], price_cache_read=prices[2], price_cache_write=prices[3],
            )
    for purpose, tier_name in PURPOSES.items():
        PurposeBinding.objects.get_or_create(purpose=purpose, defaults={"tier": Tier.objects.get(name=tier_name)})
