"""Resolve a purpose (or a tier name) to a tier and its route chain, from the database, per call.

Nothing here is cached across calls: an admin's edit applies to the very next
call in every process. The queries are two indexed lookups.
"""
from __future__ import annotations

from dataclasses import dataclass

from backend.llm.models import ModelRoute, Purpose, PurposeBinding, Tier
from backend.llm.types import LLMError


@dataclass(frozen=True)
class Resolution:
    purpose: str
    tier: str
    routes: list[ModelRoute]


def resolve(name: str) -> Resolution:
    """Return the tier and enabled routes for a purpose or a tier name.

    Raises:
        LLMError: (not retryable) the name is neither a purpose nor a tier, the
            purpose has no tier bound, or the tier has no enabled route.
    """
    if name in Purpose.values:
        binding = PurposeBinding.objects.select_related("tier").filter(purpose=name).first()
        if binding is None:
            raise LLMError(f"No tier is bound to purpose {name!r}; bind one in admin.", retryable=False, code="llm_misconfigured")
        tier = binding.tier
    else:
        tier = Tier.objects.filter(name=name).first()
        if tier is None:
            raise LLMError(f"{name!r} is neither a purpose nor a tier.", retryable=False, code="llm_misconfigured")
    routes = list(tier.routes.filter(enabled=True).order_by("position", "id"))
    if not routes:
        raise LLMError(f"Tier {tier.name!r} has no enabled route; add one in admin.", retryable=False, code="llm_misconfigured")
    return Resolution(purpose=name, tier=tier.name, routes=routes)
