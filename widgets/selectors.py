"""Read-side queries. Every lookup is scoped to what the user may see."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from backend.errors import NotFound
from sql_gen.models import ComputedDimension, DictionaryColumn, DimensionValue, MetricDefinition, value_label
from sql_gen.selectors import default_source
from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest, WidgetVersion


def dashboards_visible_to(*, user: AbstractBaseUser) -> QuerySet[Dashboard]:
    """Return the user's own dashboards and everyone's shared (non-private) ones, none deleted."""
    return (Dashboard.objects.filter(Q(owner=user) | Q(is_private=False), deleted_at__isnull=True)
            .select_related("owner"))


def dashboard_get(*, user: AbstractBaseUser, dashboard_id: int) -> Dashboard:
    """Return the dashboard if the user may see it.

    Raises:
        NotFound: it does not exist or is another user's private dashboard (the
            two look the same, so ids cannot be probed).
    """
    dashboard = dashboards_visible_to(user=user).filter(id=dashboard_id).first()
    if dashboard is None:
        raise NotFound("No such dashboard.")
    return dashboard


def dashboard_deleted_get(*, user: AbstractBaseUser, dashboard_id: int) -> Dashboard:
    """Return one of the user's own dashboards, deleted or not (for restoring it).

    Raises:
        NotFound: the user owns no such dashboard.
    """
    dashboard = Dashboard.objects.filter(owner=user, id=dashboard_id).select_related("owner").first()
    if dashboard is None:
        raise NotFound("No such dashboard.")
    return dashboard


def dashboards_deleted_by(*, user: AbstractBaseUser) -> QuerySet[Dashboard]:
    """Return the user's own deleted dashboards, the most recently deleted first: what they may restore.

    Nobody else's ever: a deleted dashboard is hidden from everyone but its owner, staff included. They are
    kept until restored (nothing purges them), so this is all of them, not only recent ones.
    """
    return Dashboard.objects.filter(owner=user, deleted_at__isnull=False).order_by("-deleted_at", "-id")


def dashboard_staff_get(*, dashboard_id: int) -> Dashboard | None:
    """Return any live dashboard, for staff to open read-only; None when there is none."""
    return Dashboard.objects.filter(id=dashboard_id, deleted_at__isnull=True).select_related("owner").first()


def widget_requests_of(*, user: AbstractBaseUser, dashboard_id: int | None = None,
                       status: str | None = None) -> QuerySet[WidgetRequest]:
    """Return the user's own requests, newest first, on one dashboard and in one status when given."""
    found = WidgetRequest.objects.filter(user=user).select_related("dashboard").prefetch_related("steps")
    if dashboard_id is not None:
        found = found.filter(dashboard_id=dashboard_id)
    if status is not None:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-id")


def widget_request_get(*, user: AbstractBaseUser, request_id: int) -> WidgetRequest:
    """Return one of the user's own requests.

    Raises:
        NotFound: it does not exist or belongs to someone else.
    """
    found = (WidgetRequest.objects.filter(id=request_id, user=user)
             .select_related("dashboard").prefetch_related("steps").first())
    if found is None:
        raise NotFound("No such request.")
    return found


def dashboards_owned_by(*, user: AbstractBaseUser) -> QuerySet[Dashboard]:
    """Return the dashboards the user may add widgets to, the most recently made first."""
    return Dashboard.objects.filter(owner=user, deleted_at__isnull=True).order_by("-created_at", "-id")


def dashboard_widgets(*, dashboard: Dashboard) -> QuerySet[Widget]:
    """Return the dashboard's widgets that are not deleted."""
    return dashboard.widgets.filter(deleted_at__isnull=True).select_related("data_source")


def dashboard_deleted_widgets(*, dashboard: Dashboard) -> QuerySet[Widget]:
    """Return the dashboard's deleted widgets, the most recently deleted first (its history, restorable)."""
    return dashboard.widgets.filter(deleted_at__isnull=False).order_by("-deleted_at", "-id")


def widget_get(*, user: AbstractBaseUser, widget_id: int, deleted: bool = False) -> Widget:
    """Return a widget on a dashboard the user may see; a deleted one only when ``deleted`` is True.

    Raises:
        NotFound: it does not exist, is deleted (unless asked for), or is on another user's private
            dashboard (the same answer, so ids cannot be probed).
    """
    widgets = Widget.objects.filter(id=widget_id, dashboard__in=dashboards_visible_to(user=user))
    if not deleted:
        widgets = widgets.filter(deleted_at__isnull=True)
    found = widgets.select_related("dashboard", "data_source").first()
    if found is None:
        raise NotFound("No such widget.")
    return found


def widget_versions(*, widget: Widget) -> QuerySet[WidgetVersion]:
    """Return the widget's versions, newest first."""
    return widget.versions.select_related("created_by").order_by("-number")


def open_refinements(*, widget_ids: list[int]) -> dict[int, WidgetRequest]:
    """Return, per widget, its latest refinement that is not done and not put away (queued, working, asking a
    question, or failed), in one query."""
    found: dict[int, WidgetRequest] = {}
    requests = (WidgetRequest.objects.filter(widget_id__in=widget_ids, is_refinement=True, dismissed=False)
                .exclude(status__in=[RequestStatus.READY, RequestStatus.CANCELLED]).prefetch_related("steps")
                .order_by("-created_at", "-id"))
    for request in requests:
        if request.widget_id is not None:
            found.setdefault(request.widget_id, request)
    return found


def widget_conversation(*, widget: Widget) -> QuerySet[WidgetRequest]:
    """Return the widget's requests, its first one and each refinement, oldest first."""
    return widget.requests.order_by("created_at", "id")


def dashboard_open_requests(*, dashboard: Dashboard, user: AbstractBaseUser) -> QuerySet[WidgetRequest]:
    """Return the user's requests on this dashboard that have not become a widget and were not dismissed, and
    the follow-ups on its widgets still open or failed (``is_refinement``, ``widget_id``: shown on that card).

    A failed request that left a widget without data is not listed: that widget's badge tells the story.
    """
    return (
        dashboard.requests.filter(user=user, dismissed=False)
        .exclude(status__in=[RequestStatus.READY, RequestStatus.CANCELLED])
        .exclude(status=RequestStatus.FAILED, widget__isnull=False, is_refinement=False)
        .prefetch_related("steps")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class WidgetVocabulary:
    """What the dictionary says of the metrics, dimensions and values some widgets use, read in a fixed
    number of queries however many widgets there are (``widget_vocabulary``)."""

    default_source_id: int | None
    metrics: dict[tuple[int, str], MetricDefinition] = field(default_factory=dict)
    dimension_labels: dict[tuple[int, str], str] = field(default_factory=dict)
    # (source id, dimension key) -> stored value -> label, for the values the widgets' rows and filters hold
    value_labels: dict[tuple[int, str], dict[str, str]] = field(default_factory=dict)

    def source_id(self, widget: Widget) -> int | None:
        return widget.data_source_id or self.default_source_id


def widget_vocabulary(*, widgets: Iterable[Widget]) -> WidgetVocabulary:
    """Return the dictionary's entries for what ``widgets`` use, in at most six queries.

    A dimension's values come from the values index (``DimensionValue``, its label or the humanised code),
    else from the column's sample values, or a computed dimension's own labels; only values that appear in a
    widget's rows (the comparison's too) or filters are read."""
    widgets = list(widgets)
    default = default_source()
    vocabulary = WidgetVocabulary(default_source_id=default.id if default else None)
    used = [(vocabulary.source_id(w), w) for w in widgets]
    sources = {s for s, _ in used if s is not None}
    if not sources:
        return vocabulary
    keys = {key for _, w in used for key in _metric_keys(w.spec)}
    for metric in MetricDefinition.objects.filter(source_id__in=sources, key__in=keys):
        vocabulary.metrics[(metric.source_id, metric.key)] = metric
    dimensions = {key for _, w in used for key in dimension_keys(w.spec)}
    seen = {value for _, w in used for value in _values_seen(w)}
    columns = {(c.table.source_id, c.key): c for c in
               DictionaryColumn.objects.filter(table__source_id__in=sources).select_related("table")
               if c.key in dimensions}
    computed = {(d.table.source_id, d.key): d for d in
                ComputedDimension.objects.filter(table__source_id__in=sources).select_related("table")
                if d.key in dimensions}
    for place, column in columns.items():
        vocabulary.dimension_labels[place] = column.display_label()
        if column.is_dimension and not column.values_indexed_at:
            samples = column.sample_values if isinstance(column.sample_values, list) else []
            vocabulary.value_labels[place] = {str(v): value_label(str(v)) for v in samples if str(v) in seen}
    for place, dimension in computed.items():
        vocabulary.dimension_labels[place] = dimension.display_label()
        vocabulary.value_labels[place] = {v: v for v in dimension.values if v in seen}
    _indexed_labels(vocabulary, columns, seen)
    return vocabulary


def _indexed_labels(vocabulary: WidgetVocabulary, columns: dict[tuple[int, str], DictionaryColumn],
                    seen: set[str]) -> None:
    indexed = {c.id: place for place, c in columns.items() if c.is_dimension and c.values_indexed_at}
    if not indexed or not seen:
        return
    rows = DimensionValue.objects.filter(column_id__in=indexed)
    # Within SQLite's bound-parameter limit, only the values seen are read; past it, the columns' whole
    # index (at most MAX_INDEXED_VALUES each), filtered here.
    if len(seen) <= 500:
        rows = rows.filter(value__in=seen)
    for value in rows.only("column_id", "value", "label"):
        if value.value in seen:
            vocabulary.value_labels.setdefault(indexed[value.column_id], {})[value.value] = value.display_label()


def _metric_keys(spec: dict[str, Any]) -> list[str]:
    if not isinstance(spec, dict):
        return []
    metrics = [spec.get("metric") or {}, *_listed(spec.get("extra_metrics"))]
    return [m["key"] for m in metrics if isinstance(m, dict) and m.get("key")]


def dimension_keys(spec: dict[str, Any]) -> list[str]:
    """Return the dimension keys ``spec`` groups or filters by, in order, once each; [] for a spec of another shape."""
    if not isinstance(spec, dict):
        return []
    filters = [f.get("dimension") for f in _listed(spec.get("filters")) if isinstance(f, dict)]
    return list(dict.fromkeys(k for k in [*_listed(spec.get("dimensions")), *filters] if isinstance(k, str)))


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _values_seen(widget: Widget) -> set[str]:
    """Return the text cells of the widget's rows (and its comparison's) and its filters' values."""
    result = widget.result if isinstance(widget.result, dict) else {}
    compare = result.get("compare") if isinstance(result.get("compare"), dict) else {}
    seen = {cell for rows in (result.get("rows"), compare.get("rows")) for row in rows or []
            for cell in (row if isinstance(row, list) else []) if isinstance(cell, str)}
    spec = widget.spec if isinstance(widget.spec, dict) else {}
    for flt in _listed(spec.get("filters")):
        if isinstance(flt, dict):
            seen |= {str(v) for v in flt.get("values") or []}
    return seen
