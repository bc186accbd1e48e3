"""Dashboards, the analysts' plain-language requests, and the widgets they become."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Dashboard(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboards")
    name = models.CharField(max_length=120)
    is_private = models.BooleanField(default=True, help_text="Private dashboards are seen by their owner only.")
    window = models.JSONField(
        null=True, blank=True,
        help_text="A time window (the spec's window shape) that overrides every widget's own; empty: none.")
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted by its owner (hidden from everyone; the owner may restore it).")

    class Meta:
        ordering = ["name", "id"]
        # A deleted dashboard's name is free for a new one; restoring it then asks for another name.
        constraints = [models.UniqueConstraint(fields=["owner", "name"], condition=models.Q(deleted_at__isnull=True),
                                               name="uniq_live_dashboard_name_per_owner")]

    def __str__(self) -> str:
        return self.name


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Queued"
    RUNNING = "running", "Working"
    NEEDS_CLARIFICATION = "needs_clarification", "Needs your answer"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class DashboardAccess(models.Model):
    """A staff member opened a dashboard they could not otherwise see (another user's private one), read-only."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="staff_accesses")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="dashboard_accesses")
    staff_username = models.CharField(max_length=150, help_text="Kept should the account be deleted.")
    via = models.CharField(max_length=10, choices=[("page", "Page"), ("api", "API")])
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "dashboard accesses by staff"

    def __str__(self) -> str:
        return f"{self.staff_username} opened #{self.dashboard_id} ({self.via})"


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
    data_source = models.ForeignKey(
        "sql_gen.DataSource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The source the widget is built from: the default one when the request was made.",
    )
    deadline_at = models.DateTimeField(
        null=True, blank=True, help_text="Every step must be done by then (the source's request budget).")
    widget = models.ForeignKey(
        "Widget", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests",
        help_text="The widget this request built (its first request) or refines (a follow-up).")
    is_refinement = models.BooleanField(
        default=False, help_text="A follow-up on ``widget``: read as a change to its current spec, made into a "
                                 "new version of the same widget.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def words(self) -> str:
        """Return what the analyst said: the prompt, then each typed or chosen answer, in order."""
        return " ".join([self.prompt, *(a.get("answer", "") for a in self.answers)])

    def __str__(self) -> str:
        return f"#{self.pk} {self.prompt[:60]}"


class StepName(models.TextChoices):
    """The pipeline's steps, in the order a request meets them (see ``widgets.services.pipeline``)."""

    CLARIFY = "clarify", "Reading the request"
    SPEC = "spec", "Designing the widget"
    COMPONENT = "component", "Writing the component"
    SQL = "sql", "Writing the SQL"
    FETCH = "fetch", "Running the query"


class StepState(models.TextChoices):
    WAITING = "waiting", "Waiting for earlier steps"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class WidgetStep(models.Model):
    """One step of one widget request, worked on as a job of its own.

    Every change of ``state`` is a check-and-set. A running step holds a lease (``lease_token`` until
    ``lease_until``) that its worker's heartbeat extends; a step whose lease ran out is sent again by
    the sweeper. ``conversation`` holds the step's exchange with the model after its first prompt,
    so a retry in a later job carries on from it instead of paying for it again.
    """

    widget_request = models.ForeignKey(WidgetRequest, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=20, choices=StepName.choices)
    state = models.CharField(max_length=20, choices=StepState.choices, default=StepState.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker took this step on.")
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    conversation = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    rewind_to = models.CharField(
        max_length=20, blank=True, choices=StepName.choices,
        help_text="When this step failed because of an earlier step's work (a statement that could not run), "
                  "the step a retry starts from.")

    class Meta:
        ordering = ["widget_request_id", "id"]
        constraints = [models.UniqueConstraint(fields=["widget_request", "name"], name="uniq_step_per_request")]
        indexes = [models.Index(fields=["state", "lease_until"]), models.Index(fields=["state", "queued_at"])]

    def __str__(self) -> str:
        return f"#{self.widget_request_id} {self.name} {self.state}"


class DataOrigin(models.TextChoices):
    """Where a widget's shown data came from, or why it could not be refreshed (its source badge)."""

    LIVE = "live", "Live"
    CACHED = "cached", "Cached"
    SAMPLE = "sample", "Sample data"
    LLM_UNAVAILABLE = "llm_unavailable", "LLM unavailable"
    SQL_REJECTED = "sql_rejected", "SQL rejected"
    QUERY_FAILED = "query_failed", "Query failed"
    OUT_OF_DATE = "out_of_date", "Out of date"  # the dictionary changed under the widget: its reason says how


class WidgetHeight(models.TextChoices):
    SMALL = "S", "Small"
    MEDIUM = "M", "Medium"
    LARGE = "L", "Large"


class Widget(models.Model):
    """A widget on a dashboard: its current version's spec, checked SQL and component, and the last good
    result of that version.

    ``result``/``result_at`` always hold the last good data; a failed refresh sets ``source`` and
    ``source_reason`` and leaves them alone, so the dashboard keeps showing it and says why. Every change
    (a refinement, a direct edit, a restore) writes a ``WidgetVersion`` and copies it here; ``version`` is
    the number shown. A deleted widget keeps its row (``deleted_at``) and can be restored.
    """

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    # The request that first built it; it and every refinement point here through ``WidgetRequest.widget``.
    request = models.ForeignKey(WidgetRequest, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    spec = models.JSONField()
    sql = models.TextField()
    tsx = models.TextField(blank=True, default="", help_text="Custom widgets: the model's component source.")
    component_js = models.TextField(
        blank=True, default="", help_text="Custom widgets: the checked component compiled to JavaScript."
    )
    companions = models.JSONField(
        default=dict, blank=True,
        help_text="Queries derived from the spec and run with the widget's data: a KPI's sparkline, a table's "
                  "totals. Per name, {spec, sql} or {error} (why there is none).",
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
    sql_explanation = models.TextField(blank=True, default="", help_text="What the SQL step said its SQL does.")
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    llm_calls = models.PositiveIntegerField(default=0)
    # The dashboard's layout: unplaced widgets (null, e.g. just built) come after the placed ones, oldest first.
    position = models.PositiveIntegerField(null=True, blank=True, help_text="Order on the dashboard, from 0.")
    width = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="Columns taken (1-3); empty: by kind (charts and wide tables 2).")
    height = models.CharField(max_length=1, choices=WidgetHeight.choices, default=WidgetHeight.MEDIUM)
    version = models.PositiveIntegerField(default=0, help_text="The number of the version shown.")
    latest_version = models.PositiveIntegerField(default=0, help_text="The highest version number written.")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted (hidden, restorable) since.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [models.F("position").asc(nulls_last=True), "created_at", "id"]

    def __str__(self) -> str:
        return self.title


class VersionOrigin(models.TextChoices):
    """What made a version."""

    CREATE = "create", "Built"
    REFINE = "refine", "Refined"
    EDIT = "edit", "Edited"
    RESTORE = "restore", "Restored"


class WidgetVersion(models.Model):
    """One state of a widget, never changed once written: what it showed and how it got there.

    ``change`` says in words what differs from the version before; ``widget_request`` is the request
    (first one or refinement) that made it, none for a direct edit or a restore.
    """

    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    origin = models.CharField(max_length=10, choices=VersionOrigin.choices)
    change = models.CharField(max_length=500)
    kind = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    spec = models.JSONField()
    sql = models.TextField(blank=True, default="")
    sql_explanation = models.TextField(blank=True, default="")
    tsx = models.TextField(blank=True, default="")
    component_js = models.TextField(blank=True, default="")
    companions = models.JSONField(default=dict, blank=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True, help_text="A restore: the version copied.")
    undoes = models.PositiveIntegerField(null=True, blank=True, help_text="An undo: the version it took back.")
    widget_request = models.ForeignKey(WidgetRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="versions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["widget_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["widget", "number"], name="uniq_version_number_per_widget")]

    def __str__(self) -> str:
        return f"{self.widget_id} v{self.number} {self.origin}"
