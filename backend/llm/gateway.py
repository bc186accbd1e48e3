"""``get_llm(purpose)``: the one door to every model.

Each call resolves purpose → tier → route chain from the database, picks the
provider for the current mode (the offline model, or the live route chain),
and writes one ledger row per attempt.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from backend.llm import config
from backend.llm.models import CallOutcome, LLMCall, ModelRoute
from backend.llm.providers import provider_for
from backend.llm.routing import resolve
from backend.llm.types import LLMError, LLMRequest, LLMResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallContext:
    """Who and what a call serves, for the ledger and (later) budgets."""

    user_id: int | None = None
    widget_request_id: int | None = None


class LLMClient:
    """A handle on a purpose or tier. Holds the *name* only; routes are read on every call."""

    def __init__(self, name: str) -> None:
        self.name = name

    def call(self, request: LLMRequest, *, context: CallContext | None = None) -> LLMResult:
        """Run one structured call and return its result.

        Live mode walks the tier's route chain in order, falling back to the next
        route when one fails with a retryable error.

        Raises:
            LLMError: no route produced a result (``retryable`` tells the caller
                whether the whole call may be tried again later).
        """
        context = context or CallContext()
        resolution = resolve(self.name)
        if config.builder_mode() == config.OFFLINE:
            return self._attempt(request, resolution.purpose, resolution.tier, resolution.routes[0], context, offline=True)
        last_error: LLMError | None = None
        for index, route in enumerate(resolution.routes):
            try:
                return self._attempt(request, resolution.purpose, resolution.tier, route, context, offline=False,
                                     fallback_left=index < len(resolution.routes) - 1)
            except LLMError as exc:
                last_error = exc
                if not exc.retryable:
                    raise
        assert last_error is not None
        raise last_error

    def _attempt(
        self,
        request: LLMRequest,
        purpose: str,
        tier: str,
        route: ModelRoute,
        context: CallContext,
        *,
        offline: bool,
        fallback_left: bool = False,
    ) -> LLMResult:
        provider = provider_for("offline" if offline else route.provider)
        try:
            result = provider.complete(request, route=route)
        except LLMError as exc:
            outcome = CallOutcome.FELL_BACK if exc.retryable and fallback_left else CallOutcome.ERROR
            _record(purpose, tier, route, context, outcome=outcome, provider=provider.name, error=exc)
            raise
        if result.payload is None:
            exc = LLMError(f"{result.model_id} answered without calling {request.tool.name}.", retryable=False,
                           code="llm_bad_output")
            _record(purpose, tier, route, context, outcome=CallOutcome.ERROR, provider=provider.name, error=exc,
                    result=result)
            raise exc
        _record(purpose, tier, route, context, outcome=CallOutcome.OK, provider=provider.name, result=result)
        return result


def get_llm(name: str) -> LLMClient:
    """Return a client for a purpose (``sql_generation``) or a tier (``reasoning``)."""
    return LLMClient(name)


def _record(
    purpose: str,
    tier: str,
    route: ModelRoute,
    context: CallContext,
    *,
    outcome: str,
    provider: str,
    result: LLMResult | None = None,
    error: LLMError | None = None,
) -> LLMCall:
    usage = result.usage if result else None
    cost = Decimal("0")
    if result and provider != "offline":
        cost = route.cost_usd(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read=usage.cache_read_tokens,
            cache_write=usage.cache_write_tokens,
        )
    return LLMCall.objects.create(
        purpose=purpose,
        tier=tier,
        provider=provider,
        requested_model=route.model_id,
        model_id=result.model_id if result else route.model_id,
        outcome=outcome,
        error_code=error.code if error else "",
        error_message=error.message[:2000] if error else "",
        latency_ms=result.latency_ms if result else 0,
        input_tokens=usage.input_tokens if usage else 0,
        output_tokens=usage.output_tokens if usage else 0,
        cache_read_tokens=usage.cache_read_tokens if usage else 0,
        cache_write_tokens=usage.cache_write_tokens if usage else 0,
        cost_usd=cost,
        request_id=result.request_id if result else "",
        user_id=context.user_id,
        widget_request_id=context.widget_request_id,
    )
