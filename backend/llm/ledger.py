"""Writing the call ledger: one row per attempt, and per gateway decision (breaker, budget)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from backend.llm.models import LLMCall, ModelRoute
from backend.llm.types import LLMError, LLMResult
from backend.rows import insert_row
from backend.text import storable


@dataclass(frozen=True)
class CallContext:
    """Who and what a call serves, for the ledger and budgets.

    ``override_route_id`` is an admin's choice of model for everything one widget
    request asks (see ``get_llm``); the ledger marks those rows ``overridden``.
    """

    user_id: int | None = None
    widget_request_id: int | None = None
    override_route_id: int | None = None
    step: str = ""


@dataclass(frozen=True)
class Entry:
    """What every row of one call shares."""

    purpose: str
    tier: str
    context: CallContext
    overridden: bool = False


def record(
    entry: Entry,
    route: ModelRoute,
    *,
    outcome: str,
    provider: str,
    attempt: int = 0,
    result: LLMResult | None = None,
    error: LLMError | None = None,
    latency_ms: int = 0,
) -> LLMCall:
    """Write one ledger row and return it; cost comes from the route's prices (offline is free)."""
    return insert_row(LLMCall(
        purpose=entry.purpose,
        tier=entry.tier,
        provider=provider,
        requested_model=route.model_id,
        model_id=result.model_id if result else route.model_id,
        attempt=attempt,
        outcome=outcome,
        error_code=error.code if error else "",
        error_message=storable(error.message[:2000]) if error else "",
        stop_reason=(result.stop_reason if result else "")[:60],
        step=entry.context.step,
        latency_ms=result.latency_ms if result else latency_ms,
        cost_usd=_cost(route, provider, result),
        request_id=(result.request_id if result else error.request_id if error else "")[:100],
        user_id=entry.context.user_id,
        widget_request_id=entry.context.widget_request_id,
        overridden=entry.overridden,
        **_tokens(result),
    ))


def _cost(route: ModelRoute, provider: str, result: LLMResult | None) -> Decimal:
    if result is None or provider == "offline":
        return Decimal("0")
    usage = result.usage
    return route.cost_usd(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                          cache_read=usage.cache_read_tokens, cache_write=usage.cache_write_tokens)


def _tokens(result: LLMResult | None) -> dict[str, Any]:
    if result is None:
        return {}
    usage = result.usage
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens, "cache_write_tokens": usage.cache_write_tokens}


def mark(row: LLMCall, *, outcome: str, error: LLMError | None = None) -> None:
    """Change the outcome of a row already written (an answer that later failed its check)."""
    row.outcome = outcome
    fields = ["outcome"]
    if error is not None:
        row.error_code, row.error_message = error.code, storable(error.message[:2000])
        fields += ["error_code", "error_message"]
    row.save(update_fields=fields)
