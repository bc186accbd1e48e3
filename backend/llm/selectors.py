"""Read-only views of the ledger for admin: the routing summary."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from backend.llm.models import CallOutcome, LLMCall, ModelRoute

# Outcomes that were a model answering (with a latency worth measuring).
_ANSWERED = {CallOutcome.OK, CallOutcome.ESCALATED, CallOutcome.VALIDATION_FAILED}


@dataclass(frozen=True)
class RouteSummary:
    tier: str
    model_id: str
    calls: int
    p50_ms: int
    p95_ms: int
    cost_usd: Decimal
    cost_per_day_usd: Decimal
    error_rate: float
    fallback_rate: float
    escalation_rate: float


def percentile(values: list[int], fraction: float) -> int:
    """Return the nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def routing_summary(*, days: int = 7) -> list[RouteSummary]:
    """Return one row per tier and model over the last ``days`` days, most called first."""
    since = timezone.now() - dt.timedelta(days=days)
    groups: dict[tuple[str, str], list[tuple[str, int, Decimal]]] = defaultdict(list)
    for tier, model, outcome, latency, cost in (LLMCall.objects.filter(created_at__gte=since)
                                                .values_list("tier", "model_id", "outcome", "latency_ms", "cost_usd")):
        groups[(tier, model)].append((outcome, latency, cost))
    rows = [_summarise(tier, model, calls, days) for (tier, model), calls in groups.items()]
    return sorted(rows, key=lambda row: (-row.calls, row.tier, row.model_id))


def _summarise(tier: str, model: str, calls: list[tuple[str, int, Decimal]], days: int) -> RouteSummary:
    latencies = [latency for outcome, latency, _ in calls if outcome in _ANSWERED]
    cost = sum((c for _, _, c in calls), Decimal("0"))

    def rate(*outcomes: str) -> float:
        return sum(1 for outcome, _, _ in calls if outcome in outcomes) / len(calls)

    return RouteSummary(
        tier=tier, model_id=model, calls=len(calls),
        p50_ms=percentile(latencies, 0.5), p95_ms=percentile(latencies, 0.95),
        cost_usd=cost, cost_per_day_usd=(cost / days).quantize(Decimal("0.0001")),
        error_rate=rate(CallOutcome.ERROR, CallOutcome.VALIDATION_FAILED),
        fallback_rate=rate(CallOutcome.FELL_BACK, CallOutcome.CIRCUIT_OPEN),
        escalation_rate=rate(CallOutcome.ESCALATED),
    )


@dataclass(frozen=True)
class DailyCost:
    day: dt.date
    tier: str
    model_id: str
    calls: int
    cost_usd: Decimal


def daily_costs(*, days: int = 7) -> list[DailyCost]:
    """Return calls and cost per UTC day, tier and model over the last ``days`` days, newest day first."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = (LLMCall.objects.filter(created_at__gte=since)
            .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
            .values("day", "tier", "model_id")
            .annotate(calls=Count("id"), cost=Sum("cost_usd"))
            .order_by("-day", "-cost", "tier", "model_id"))
    return [DailyCost(day=r["day"], tier=r["tier"], model_id=r["model_id"], calls=r["calls"],
                      cost_usd=r["cost"] or Decimal("0")) for r in rows]


def widget_request_spend(*, widget_request_id: int) -> tuple[Decimal, int]:
    """Return the USD cost and the number of ledger rows of one widget request's LLM calls."""
    totals = LLMCall.objects.filter(widget_request_id=widget_request_id).aggregate(cost=Sum("cost_usd"),
                                                                                   calls=Count("id"))
    return totals["cost"] or Decimal("0"), totals["calls"]


def widget_requests_spend(*, widget_request_ids: list[int]) -> tuple[Decimal, int]:
    """Return the USD cost and the number of ledger rows of the LLM calls of several widget requests."""
    totals = LLMCall.objects.filter(widget_request_id__in=widget_request_ids).aggregate(
        cost=Sum("cost_usd"), calls=Count("id"))
    return totals["cost"] or Decimal("0"), totals["calls"]


@dataclass(frozen=True)
class LedgerCall:
    """One LLM call as a widget's detail shows it."""

    widget_request_id: int | None
    step: str
    purpose: str
    tier: str
    model: str
    latency_ms: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    outcome: str
    error_code: str
    at: dt.datetime


def widget_request_calls(*, widget_request_ids: list[int]) -> list[LedgerCall]:
    """Return every LLM call of the given widget requests, oldest first."""
    rows = LLMCall.objects.filter(widget_request_id__in=widget_request_ids).order_by("created_at", "id")
    return [LedgerCall(widget_request_id=r.widget_request_id, step=r.step, purpose=r.purpose, tier=r.tier,
                       model=r.model_id, latency_ms=r.latency_ms, input_tokens=r.input_tokens,
                       output_tokens=r.output_tokens, cost_usd=r.cost_usd, outcome=r.outcome,
                       error_code=r.error_code, at=r.created_at) for r in rows]


@dataclass(frozen=True)
class RouteChoice:
    id: int
    label: str


def route_choices() -> list[RouteChoice]:
    """Return every route, enabled or not, for an admin forcing one model on a request."""
    routes = ModelRoute.objects.select_related("tier").order_by("tier__name", "position", "id")
    return [RouteChoice(id=r.pk, label=str(r) + ("" if r.enabled else " (disabled)")) for r in routes]


def route_label(*, route_id: int) -> str:
    """Return how a route is shown ("fast#0 bedrock:us.anthropic.claude-sonnet-4-6"), or "" when it is gone."""
    route = ModelRoute.objects.select_related("tier").filter(id=route_id).first()
    return str(route) if route else ""


def route_exists(*, route_id: int) -> bool:
    return ModelRoute.objects.filter(id=route_id).exists()
