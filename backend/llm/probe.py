"""One tiny real call per route, for ``manage.py probe_llm``: does each route answer, and how fast?"""
from __future__ import annotations

import time
from dataclasses import dataclass

from backend.llm.ledger import CallContext, Entry, record
from backend.llm.models import CallOutcome, ModelRoute
from backend.llm.providers import provider_for
from backend.llm.types import LLMError, LLMRequest, Tool

PROBE_REQUEST = LLMRequest(
    system="You are a health check. Call the tool with ok=true.",
    prompt="ping",
    tool=Tool("record_probe", "Record that the model answered.",
              {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
    max_tokens=32,
)


@dataclass(frozen=True)
class ProbeResult:
    route: ModelRoute
    outcome: str
    latency_ms: int
    detail: str


def probe_routes(*, tier: str | None = None) -> list[ProbeResult]:
    """Call every enabled route (of ``tier`` when given) once, record each call, return the results.

    The probe skips retries and the circuit breaker on purpose: it reports what one call does now.
    """
    routes = ModelRoute.objects.filter(enabled=True).select_related("tier").order_by("tier__name", "position", "id")
    if tier:
        routes = routes.filter(tier__name=tier)
    return [probe_route(route=route) for route in routes]


def probe_route(*, route: ModelRoute) -> ProbeResult:
    """Return the outcome of one tiny call on ``route``, recorded in the ledger as purpose ``probe``."""
    entry = Entry(purpose="probe", tier=route.tier.name, context=CallContext())
    started = time.perf_counter()
    try:
        result = provider_for(route.provider).complete(PROBE_REQUEST, route=route)
    except LLMError as exc:
        latency = int((time.perf_counter() - started) * 1000)
        record(entry, route, outcome=CallOutcome.ERROR, provider=route.provider, attempt=1, error=exc,
               latency_ms=latency)
        return ProbeResult(route, exc.code, latency, exc.message)
    outcome = CallOutcome.OK if result.payload is not None else "no_tool_call"
    record(entry, route, outcome=CallOutcome.OK if result.payload is not None else CallOutcome.VALIDATION_FAILED,
           provider=route.provider, attempt=1, result=result)
    return ProbeResult(route, outcome, result.latency_ms, result.stop_reason)
