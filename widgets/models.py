"""Dashboards, the analysts' plain-language requests, and the widgets they become."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Dashboard(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboards")
    name = models.CharField(max_length=120)
    is_private = models.BooleanField(default=True, help_text="Private dashboards are seen by their owner only.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="uniq_dashboard_name_per_owner")]

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Queued"
    RUNNING = "running", "Working"
    NEEDS_CLARIFICATION = "needs_clarification", "Needs your answer"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class WidgetRequest(models.Model):
    """One analyst request, from the prompt to a widget or a clear failure.

    ``answers`` holds the analyst's replies to clarifying questions, oldest first;
    the clarifier reads the prompt together with them.
    """

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="widget_requests")
    prompt = models.TextField()
    answers = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=30, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    intent = models.JSONField(null=True, blank=True)
    questions = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    dismissed = models.BooleanField(default=False, help_text="A failed request the analyst has put away.")
    route_override = models.ForeignKey(
        "llm.ModelRoute", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="An admin's choice of model for every LLM call of this request.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.prompt[:60]}"


class DataOrigin(models.TextChoices):
    """Where a widget's shown data came from, or why it could not be refreshed (its source badge)."""

    LIVE = "live", "Live"
    CACHED = "cached", "Cached"
    SAMPLE = "sample", "Sample data"
    LLM_UNAVAILABLE = "llm_unavailable", "LLM unavailable"
    SQL_REJECTED = "sql_rejected", "SQL rejected"
    QUERY_FAILED = "query_failed", "Query failed"


class Widget(models.Model):
    """A widget on a dashboard: its validated spec, the checked SQL and the last good result.

    ``result``/``result_at`` always hold the last good data; a failed refresh sets ``source`` and
    ``source_reason`` and leaves them alone, so the dashboard keeps showing it and says why.
    """

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    request = models.OneToOneField(WidgetRequest, on_delete=models.PROTECT, related_name="widget")
    kind = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    spec = models.JSONField()
    sql = models.TextField()
    tsx = models.TextField(blank=True, default="", help_text="Custom widgets: the model's component source.")
    component_js = models.TextField(
        blank=True, default="", help_text="Custom widgets: the checked component compiled to JavaScript."
    )
    result = models.JSONField(default=dict, help_text="columns, rows, truncated")
    result_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=DataOrigin.choices, default=DataOrigin.LIVE)
    source_reason = models.TextField(blank=True, help_text="Why the badge says what it says.")
    data_source = models.ForeignKey(
        "sql_gen.DataSource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Where the SQL runs; empty means the default data source.",
    )
    cache_ttl_s = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(10)], help_text="Seconds before the result is refreshed."
    )
    refreshed_at = models.DateTimeField(null=True, blank=True, help_text="Last refresh attempt, good or not.")
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    llm_calls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
