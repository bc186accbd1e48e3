"""Admin-edited routing rows (tiers, routes, purpose bindings) and the call ledger."""
from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


class Purpose(models.TextChoices):
    INTENT_EXTRACTION = "intent_extraction", "Intent extraction (clarifier)"
    SPEC_SYNTHESIS = "spec_synthesis", "Spec synthesis"
    TSX_CODEGEN = "tsx_codegen", "TSX codegen"
    SQL_GENERATION = "sql_generation", "SQL generation"


class Provider(models.TextChoices):
    BEDROCK = "bedrock", "AWS Bedrock (Converse)"
    ANTHROPIC = "anthropic", "Anthropic API"


class Tier(models.Model):
    """A named class of model (``fast``, ``reasoning``, ...) with an ordered chain of routes."""

    name = models.SlugField(max_length=40, unique=True)
    description = models.CharField(max_length=200, blank=True)
    escalates_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="When an answer fails its call site's check, the retry runs on this tier.",
    )
    degrades_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Past the daily soft budget, calls to this tier run on that tier instead.",
    )
    call_deadline_s = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="No new attempt starts after this many seconds of one call; empty uses the gateway setting.",
    )
    same_model_tries = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)],
        help_text="Answers asked of this tier's model for one step, corrections included, before the step "
                  "escalates (or fails, without an escalation tier).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.pk and (self.escalates_to_id == self.pk or self.degrades_to_id == self.pk):
            raise ValidationError("A tier cannot escalate or degrade to itself.")


_PRICE = dict(
    max_digits=10,
    decimal_places=4,
    default=Decimal("0"),
    validators=[MinValueValidator(Decimal("0"), message="A price cannot be negative.")],
    help_text="USD per 1M tokens.",
)


_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d+$")


class ModelRoute(models.Model):
    """One provider + model a tier may call; lower ``position`` is tried first."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="routes")
    position = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    model_id = models.CharField(max_length=200)
    region = models.CharField(max_length=40, blank=True,
                              help_text="Bedrock only; empty uses BEDROCK_REGION (default us-east-1).")
    max_tokens = models.PositiveIntegerField(default=4096, validators=[MinValueValidator(1)])
    timeout_s = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    price_input = models.DecimalField("input $/1M", **_PRICE)
    price_output = models.DecimalField("output $/1M", **_PRICE)
    price_cache_read = models.DecimalField("cache read $/1M", **_PRICE)
    price_cache_write = models.DecimalField("cache write $/1M", **_PRICE)

    class Meta:
        ordering = ["tier__name", "position", "id"]

    def __str__(self) -> str:
        return f"{self.tier.name}#{self.position} {self.provider}:{self.model_id}"

    def clean(self) -> None:
        if self.region and self.provider != Provider.BEDROCK:
            raise ValidationError({"region": "Only Bedrock routes have a region; leave it empty."})
        if self.region and not _AWS_REGION.match(self.region):
            raise ValidationError({"region": f"{self.region!r} is not an AWS region name such as us-east-1."})
        if not self.model_id.strip():
            raise ValidationError({"model_id": "A route needs a model id."})

    def cost_usd(self, *, input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0) -> Decimal:
        """Return the USD cost of one call's usage at this route's prices."""
        per_token = Decimal(1_000_000)
        total = (
            self.price_input * input_tokens
            + self.price_output * output_tokens
            + self.price_cache_read * cache_read
            + self.price_cache_write * cache_write
        ) / per_token
        return total.quantize(Decimal("0.000001"))


class PurposeBinding(models.Model):
    """Which tier serves a purpose."""

    purpose = models.CharField(max_length=40, choices=Purpose.choices, unique=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="purposes")

    class Meta:
        ordering = ["purpose"]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.tier.name}"


class CallOutcome(models.TextChoices):
    OK = "ok"
    RETRIED = "retried"
    FELL_BACK = "fell_back"
    CIRCUIT_OPEN = "circuit_open"
    ESCALATED = "escalated"
    CORRECTED = "corrected"  # accepted after a correction on the same tier
    VALIDATION_FAILED = "validation_failed"
    TRUNCATED = "truncated"
    REFUSED = "refused"
    BUDGET_DEGRADED = "budget_degraded"
    BUDGET_REFUSED = "budget_refused"
    ERROR = "error"


class LLMCall(models.Model):
    """One attempt at one model: the ledger that cost, latency and budgets are read from."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    purpose = models.CharField(max_length=40)
    tier = models.CharField(max_length=40)
    provider = models.CharField(max_length=20)
    requested_model = models.CharField(max_length=200, help_text="The model the route chain named.")
    model_id = models.CharField(max_length=200, help_text="The model that actually answered.")
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    stop_reason = models.CharField(max_length=60, blank=True, db_index=True,
                                   help_text="How the model's answer ended (end_turn, tool_use, max_tokens, refusal, ...).")
    step = models.CharField(max_length=40, blank=True, help_text="The pipeline step the call served.")
    latency_ms = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    request_id = models.CharField(max_length=100, blank=True, help_text="The provider's request id.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An id, not a foreign key: the gateway serves every app and depends on none.
    widget_request_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    overridden = models.BooleanField(default=False, help_text="An admin forced this route for the request.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "LLM call"

    def __str__(self) -> str:
        return f"{self.purpose} {self.provider}:{self.model_id} {self.outcome}"


class ModelCapability(models.Model):
    """What a model accepts, matched by model id prefix, so no request is built that it would refuse.

    A model no row matches gets no sampling parameter and no cache point.

    Region prefixes of Bedrock inference profiles (``us.``, ``eu.``, ...) and the
    ``anthropic.`` vendor prefix are ignored when matching; the longest prefix wins.
    """

    model_prefix = models.CharField(max_length=200, unique=True, help_text="e.g. claude-opus-4-7")
    accepts_temperature = models.BooleanField(default=True)
    accepts_top_p = models.BooleanField(default=True)
    combines_temperature_and_top_p = models.BooleanField(
        default=False, help_text="Whether temperature and top_p may be sent together (current Claude models "
                                 "refuse both in one request; then temperature alone is sent).")
    supports_prompt_cache = models.BooleanField(default=True)
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["model_prefix"]
        verbose_name_plural = "model capabilities"

    def __str__(self) -> str:
        return self.model_prefix


class GatewaySettings(models.Model):
    """The one row of gateway-wide knobs: retries, circuit breaker and daily budgets."""

    max_attempts_per_route = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])
    backoff_base_ms = models.PositiveIntegerField(default=500, help_text="First retry waits up to this long.")
    backoff_cap_ms = models.PositiveIntegerField(default=8000)
    call_deadline_s = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(1)],
        help_text="No new attempt starts after this many seconds of one call.")
    breaker_failures = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1)],
        help_text="Consecutive retryable failures that open a route's circuit.")
    breaker_open_s = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(1)], help_text="How long an open circuit stays open.")
    daily_soft_cap_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))],
        help_text="All users, today (UTC). Past it reasoning-tier calls degrade to a cheaper tier.")
    daily_hard_cap_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))],
        help_text="All users, today (UTC). Past it calls are refused.")
    user_daily_soft_cap_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])
    user_daily_hard_cap_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        verbose_name = verbose_name_plural = "gateway settings"

    def __str__(self) -> str:
        return "Gateway settings"

    def clean(self) -> None:
        for soft, hard in (("daily_soft_cap_usd", "daily_hard_cap_usd"),
                           ("user_daily_soft_cap_usd", "user_daily_hard_cap_usd")):
            low, high = getattr(self, soft), getattr(self, hard)
            if low is not None and high is not None and low > high:
                raise ValidationError({soft: "The soft cap must not exceed the hard cap."})

    @classmethod
    def current(cls) -> GatewaySettings:
        """Return the settings row, unsaved defaults when none exists yet."""
        return cls.objects.order_by("id").first() or cls()


class ConfigVersion(models.Model):
    """One row whose ``version`` database triggers change on every write to the routing tables.

    Each process keeps a snapshot of the routing rows and reloads it when this
    value differs from the one it loaded with: an admin edit (or any ``update()``)
    reaches the next call in every process, at the price of one tiny query.
    """

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "routing configuration version"
