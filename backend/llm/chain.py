"""Walking a route chain: retries with backoff, the circuit breaker, fallback, one ledger row per attempt."""
from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.errors import ErrorCode
from backend.llm.breaker import Admission, Breaker
from backend.llm.ledger import Entry, record
from backend.llm.models import CallOutcome, GatewaySettings, LLMCall, ModelRoute
from backend.llm.providers import provider_for
from backend.llm.types import LLMError, LLMRequest, LLMResult

# Permanent for this route but worth trying on another one (another provider or account).
ROUTE_SPECIFIC = {ErrorCode.LLM_ACCESS_DENIED, ErrorCode.LLM_MODEL_NOT_FOUND, ErrorCode.LLM_CIRCUIT_OPEN,
                  ErrorCode.LLM_QUOTA_EXCEEDED}
DEADLINE = ErrorCode.LLM_DEADLINE  # the call's time ran out: no fault of the route, so no breaker failure


@dataclass
class Clock:
    """Time and randomness, injectable so tests never sleep for real."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random


@dataclass
class Run:
    """One call's walk: its shared ledger fields, knobs, deadline and attempt counter."""

    entry: Entry
    knobs: GatewaySettings
    clock: Clock
    deadline: float
    offline: bool = False
    attempts: int = 0
    failures: list[str] = field(default_factory=list)


def backoff_s(*, attempt: int, base_ms: int, cap_ms: int, rand: float) -> float:
    """Return the wait before retry ``attempt`` (1-based): full jitter over an exponential ceiling."""
    ceiling = min(cap_ms, base_ms * 2 ** (attempt - 1))
    return rand * ceiling / 1000


def breaker_for(route: ModelRoute, knobs: GatewaySettings) -> Breaker:
    return Breaker(key=f"{route.pk}:{route.provider}:{route.model_id}", failures=knobs.breaker_failures,
                   open_s=knobs.breaker_open_s, probe_ttl_s=route.timeout_s + 5)


def run_chain(request: LLMRequest, routes: list[ModelRoute], run: Run) -> tuple[LLMResult, LLMCall]:
    """Return the first answer of the chain and its ledger row.

    Raises:
        LLMError: a permanent error that another route would not fix, or every
            route failed (``retryable`` when any failure was).
    """
    errors: list[LLMError] = []
    for index, route in enumerate(routes):
        try:
            return _run_route(request, route, run, last=index == len(routes) - 1)
        except LLMError as exc:
            if not (exc.retryable or exc.code in ROUTE_SPECIFIC):
                raise
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    # Running out of time is what stopped the walk, whatever failed before it.
    same = len({e.code for e in errors}) == 1 or errors[-1].code == DEADLINE
    raise LLMError(f"Every route of tier {run.entry.tier!r} failed: " + " | ".join(e.message for e in errors),
                   retryable=any(e.retryable for e in errors),
                   code=errors[-1].code if same else ErrorCode.LLM_UNAVAILABLE)


def _run_route(request: LLMRequest, route: ModelRoute, run: Run, *, last: bool) -> tuple[LLMResult, LLMCall]:
    if run.offline:
        return _attempt(request, route, run, provider="offline")
    breaker = breaker_for(route, run.knobs)
    admission = breaker.admit()
    if admission is Admission.OPEN:
        error = LLMError(f"Circuit open for {route.provider}:{route.model_id} after repeated failures; "
                         "skipping it.", retryable=True, code=ErrorCode.LLM_CIRCUIT_OPEN)
        record(run.entry, route, outcome=CallOutcome.CIRCUIT_OPEN, provider=route.provider, error=error)
        raise error
    tries = 1 if admission is Admission.PROBE else run.knobs.max_attempts_per_route
    for number in range(1, tries + 1):
        try:
            result = _attempt(request, route, run, provider=route.provider, outcome_if_failed=None)
        except LLMError as exc:
            opened = _report_failure(breaker, admission, exc)
            wait = backoff_s(attempt=number, base_ms=run.knobs.backoff_base_ms, cap_ms=run.knobs.backoff_cap_ms,
                             rand=run.clock.random())
            if exc.retryable and not opened and number < tries and run.clock.now() + wait < run.deadline:
                _record_failure(run, route, exc, CallOutcome.RETRIED)
                run.clock.sleep(wait)
                continue
            fallback = not last and (exc.retryable or exc.code in ROUTE_SPECIFIC)
            _record_failure(run, route, exc, CallOutcome.FELL_BACK if fallback else CallOutcome.ERROR)
            raise
        breaker.succeeded()
        return result
    raise AssertionError("unreachable: the loop returns or raises")


def _report_failure(breaker: Breaker, admission: Admission, exc: LLMError) -> bool:
    if exc.retryable and exc.code != DEADLINE:
        return breaker.failed(admission=admission)
    breaker.released(admission=admission)
    return False


def _attempt(request: LLMRequest, route: ModelRoute, run: Run, *, provider: str,
             outcome_if_failed: str | None = CallOutcome.ERROR) -> tuple[LLMResult, LLMCall]:
    """Call the provider once; record success (and failure when ``outcome_if_failed`` says how)."""
    remaining = run.deadline - run.clock.now()
    if remaining <= 0:
        raise LLMError(f"The call ran out of its deadline before trying "
                       f"{route.provider}:{route.model_id}.", retryable=True, code=DEADLINE)
    run.attempts += 1
    started = time.perf_counter()
    bounded = within(route, remaining)
    try:
        result = provider_for(provider).complete(request, route=bounded)
    except LLMError as exc:
        exc.latency_ms = int((time.perf_counter() - started) * 1000)
        if exc.code == ErrorCode.LLM_TIMEOUT and bounded is not route:
            # Our deadline, not the route, cut this attempt short: the breaker must not count it.
            exc.code, exc.message = DEADLINE, f"{exc.message} The call's own deadline cut this attempt short."
        if outcome_if_failed:
            _record_failure(run, route, exc, outcome_if_failed, provider=provider)
        raise
    row = record(run.entry, route, outcome=CallOutcome.OK, provider=provider, attempt=run.attempts, result=result)
    return result, row


def within(route: ModelRoute, remaining_s: float) -> ModelRoute:
    """Return ``route``, or a copy whose timeout ends by the call's deadline when that comes first.

    Whole seconds, rounded up: providers keep one client per timeout, so this bounds how many.
    """
    if remaining_s >= route.timeout_s:
        return route
    clipped = copy.copy(route)
    clipped.timeout_s = max(1, math.ceil(remaining_s))
    return clipped


def _record_failure(run: Run, route: ModelRoute, exc: LLMError, outcome: str, *, provider: str = "") -> None:
    record(run.entry, route, outcome=outcome, provider=provider or route.provider, attempt=run.attempts,
           error=exc, latency_ms=exc.latency_ms)
