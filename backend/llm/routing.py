"""Resolve a purpose (or a tier name) to a tier and its route chain, per call.

The rows come from ``snapshot.current()``, which re-reads them whenever the
database says they changed: an admin's edit applies to the very next call in
every process.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from backend.errors import ErrorCode
from backend.llm import snapshot
from backend.llm.models import ModelRoute, Purpose
from backend.llm.types import LLMError


@dataclass(frozen=True)
class Resolution:
    purpose: str
    tier: str
    routes: list[ModelRoute]
    escalates_to: str | None = None
    degrades_to: str | None = None
    overridden: bool = False
    deadline_s: int | None = None  # the tier's own call deadline, when it has one
    same_model_tries: int = 2  # answers asked of this tier before escalating (the first included)


def resolve(name: str, *, override_route_id: int | None = None, rows: snapshot.Snapshot | None = None) -> Resolution:
    """Return the tier and enabled routes for a purpose or a tier name.

    With ``override_route_id`` the chain is that one route (enabled or not), and the
    tier is that route's: an admin forcing a model for one request.

    Raises:
        LLMError: (not retryable) the name is neither a purpose nor a tier, the
            purpose has no tier bound, the tier has no enabled route, or the
            override names no route.
    """
    rows = rows or snapshot.current()
    if name in Purpose.values:
        tier = rows.bindings.get(name)
        if tier is None:
            raise LLMError(f"No tier is bound to purpose {name!r}; bind one in admin.", retryable=False,
                           code=ErrorCode.LLM_MISCONFIGURED)
    elif name in rows.tiers:
        tier = name
    else:
        raise LLMError(f"{name!r} is neither a purpose nor a tier.", retryable=False, code=ErrorCode.LLM_MISCONFIGURED)
    resolution = tier_named(tier, purpose=name, rows=rows)
    if override_route_id is None:
        return resolution
    route = rows.routes_by_id.get(override_route_id)
    if route is None:
        raise LLMError(f"No route with id {override_route_id} to override with.", retryable=False,
                       code=ErrorCode.LLM_MISCONFIGURED)
    return replace(resolution, tier=route.tier.name, routes=[route], overridden=True)


def tier_named(name: str, *, purpose: str, rows: snapshot.Snapshot | None = None) -> Resolution:
    """Return the resolution of the tier called ``name`` serving ``purpose``.

    Raises:
        LLMError: (not retryable) no such tier, or it has no enabled route.
    """
    rows = rows or snapshot.current()
    tier = rows.tiers.get(name)
    if tier is None:
        raise LLMError(f"No tier {name!r}.", retryable=False, code=ErrorCode.LLM_MISCONFIGURED)
    routes = rows.routes.get(name) or []
    if not routes:
        raise LLMError(f"Tier {name!r} has no enabled route; add one in admin.", retryable=False,
                       code=ErrorCode.LLM_MISCONFIGURED)
    return Resolution(
        purpose=purpose, tier=name, routes=list(routes),
        escalates_to=tier.escalates_to.name if tier.escalates_to else None,
        degrades_to=tier.degrades_to.name if tier.degrades_to else None,
        deadline_s=tier.call_deadline_s,
        same_model_tries=tier.same_model_tries,
    )
