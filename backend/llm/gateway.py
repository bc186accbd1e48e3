"""``get_llm(purpose)``: the one door to every model.

Each call resolves purpose → tier → route chain from the database, applies the
daily budget, walks the chain (retries, circuit breaker, fallback: ``chain.py``),
checks the answer with the call site's validator and escalates once when it
fails. Every attempt and decision is one ledger row.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any, Callable, TypeVar

from backend.llm import config, snapshot
from backend.llm.budget import DEGRADE, REFUSE, budget_verdict
from backend.llm.chain import Clock, Run, run_chain
from backend.llm.ledger import CallContext, Entry, mark, record
from backend.llm.models import CallOutcome, GatewaySettings, LLMCall
from backend.llm.routing import Resolution, resolve, tier_named
from backend.llm.types import LLMError, LLMRequest, LLMResult

__all__ = ["CallContext", "InvalidAnswer", "LLMClient", "Validator", "get_llm"]

log = logging.getLogger(__name__)

# Returns why a payload is unacceptable, or None when it is fine.
Validator = Callable[[dict[str, Any]], "str | None"]
T = TypeVar("T")


class InvalidAnswer(Exception):
    """Raised by a ``call_parsed`` parser: the payload is unusable, for the reason given."""


class LLMClient:
    """A handle on a purpose or tier. Holds the *name* only; routes are read on every call."""

    def __init__(self, name: str, *, override_route_id: int | None = None, clock: Clock | None = None) -> None:
        self.name = name
        self.override_route_id = override_route_id
        self.clock = clock or Clock()

    def call(self, request: LLMRequest, *, context: CallContext | None = None,
             validator: Validator | None = None, deadline_s: float | None = None) -> LLMResult:
        """Run one structured call and return its result.

        Live mode walks the tier's route chain (see ``chain.run_chain``). An answer
        without the tool call, or one ``validator`` rejects, is asked again once
        with the reason fed back, on the tier's ``escalates_to`` tier when set.
        ``deadline_s`` bounds the whole call, the retry included; it can only
        shorten the tier's own deadline.

        Raises:
            LLMError: no route produced an acceptable answer (``retryable`` tells
                the caller whether trying later may help); ``budget_exceeded``
                when the daily hard cap is reached; ``llm_deadline`` when the time
                ran out.
        """
        context = context or CallContext()
        ends_at = self.clock.now() + deadline_s if deadline_s is not None else None
        knobs = snapshot.current().settings
        resolution, over_soft_cap = self._resolution(knobs, context)
        result, row = self._run(request, resolution, knobs, context, ends_at)
        problem = _problem(result, request, validator)
        if problem is None:
            return result
        mark(row, outcome=CallOutcome.VALIDATION_FAILED, error=_bad_output(problem))
        # Past the soft cap the retry stays on this tier: escalating would spend on a dearer one.
        if resolution.escalates_to and not resolution.overridden and not over_soft_cap:
            resolution = _escalated(resolution)
        result, row = self._run(with_feedback(request, problem), resolution, knobs, context, ends_at)
        problem = _problem(result, request, validator)
        if problem is not None:
            error = _bad_output(f"{problem} (still, after one retry with the error fed back)")
            mark(row, outcome=CallOutcome.VALIDATION_FAILED, error=error)
            raise error
        mark(row, outcome=CallOutcome.ESCALATED)
        return result

    def call_parsed(self, request: LLMRequest, parse: Callable[[dict[str, Any]], T], *,
                    context: CallContext | None = None, deadline_s: float | None = None) -> T:
        """Run ``call`` and return ``parse(payload)``.

        ``parse`` raises ``InvalidAnswer`` with a reason when the payload is unusable; that
        reason goes back to the model once (the escalation of ``call``). Any other exception
        from ``parse`` stops the call and propagates.

        Raises:
            InvalidAnswer: the last answer was unusable too (its reason as the message).
            LLMError: as ``call``.
        """
        parsed: list[T] = []
        last: list[InvalidAnswer] = []

        def validator(payload: dict[str, Any]) -> str | None:
            try:
                parsed.append(parse(payload))
            except InvalidAnswer as exc:
                last.append(exc)
                return str(exc)
            return None

        try:
            self.call(request, context=context, validator=validator, deadline_s=deadline_s)
        except LLMError as exc:
            if exc.code == "llm_bad_output" and last:
                raise last[-1]  # keeps the __cause__ the parser gave it
            raise
        return parsed[-1]

    def _resolution(self, knobs: GatewaySettings, context: CallContext) -> tuple[Resolution, bool]:
        """Return the resolution to run and whether spend is past a soft cap (then a tier with
        ``degrades_to`` has been swapped for that cheaper tier).

        Raises:
            LLMError: ``budget_exceeded`` past the hard cap; a misconfiguration.
        """
        resolution = resolve(self.name, override_route_id=self.override_route_id or context.override_route_id)
        verdict = budget_verdict(knobs=knobs, user_id=context.user_id)
        if verdict.kind == REFUSE:
            error = LLMError(verdict.message, retryable=False, code="budget_exceeded")
            record(_entry(resolution, context), resolution.routes[0], outcome=CallOutcome.BUDGET_REFUSED,
                   provider=resolution.routes[0].provider, error=error)
            raise error
        if verdict.kind == DEGRADE and resolution.degrades_to and not resolution.overridden:
            cheaper = tier_named(resolution.degrades_to, purpose=resolution.purpose)
            error = LLMError(f"{verdict.message}: {resolution.tier} runs on {cheaper.tier}", retryable=False,
                             code="budget_degraded")
            record(_entry(resolution, context), resolution.routes[0], outcome=CallOutcome.BUDGET_DEGRADED,
                   provider=resolution.routes[0].provider, error=error)
            return cheaper, True
        return resolution, verdict.kind == DEGRADE

    def _run(self, request: LLMRequest, resolution: Resolution, knobs: GatewaySettings,
             context: CallContext, ends_at: float | None) -> tuple[LLMResult, LLMCall]:
        offline = config.builder_mode() == config.OFFLINE
        deadline = self.clock.now() + (resolution.deadline_s or knobs.call_deadline_s)
        run = Run(entry=_entry(resolution, context), knobs=knobs, clock=self.clock,
                  deadline=deadline if ends_at is None else min(deadline, ends_at), offline=offline)
        routes = resolution.routes[:1] if offline else resolution.routes
        return run_chain(request, routes, run)


def get_llm(name: str, *, override_route_id: int | None = None) -> LLMClient:
    """Return a client for a purpose (``sql_generation``) or a tier (``reasoning``).

    ``override_route_id`` forces one route (an admin choosing the model for one
    request); its ledger rows say ``overridden``.
    """
    return LLMClient(name, override_route_id=override_route_id)


def with_feedback(request: LLMRequest, problem: str) -> LLMRequest:
    """Return ``request`` with the reason its last answer was rejected added to the prompt.

    A JSON-object prompt (what the call sites send) gains a ``previous_error`` key;
    any other prompt gains a sentence.
    """
    try:
        prompt = json.loads(request.prompt)
    except json.JSONDecodeError:
        prompt = None
    if isinstance(prompt, dict):
        return replace(request, prompt=json.dumps({**prompt, "previous_error": problem}, sort_keys=True))
    return replace(request, prompt=f"{request.prompt}\n\nYour previous answer was rejected: {problem}\n"
                                   f"Call {request.tool.name} again with a corrected answer.")


def _problem(result: LLMResult, request: LLMRequest, validator: Validator | None) -> str | None:
    if result.payload is None:
        return f"{result.model_id} answered without calling {request.tool.name}."
    return validator(result.payload) if validator else None


def _escalated(resolution: Resolution) -> Resolution:
    """Return the tier to retry on: the escalation tier, or this one when that has no usable route."""
    try:
        return tier_named(resolution.escalates_to or resolution.tier, purpose=resolution.purpose)
    except LLMError as exc:
        log.warning("not escalating %s from %s: %s", resolution.purpose, resolution.tier, exc.message)
        return resolution


def _bad_output(problem: str) -> LLMError:
    return LLMError(f"The model's answer failed its check: {problem}", retryable=False, code="llm_bad_output")


def _entry(resolution: Resolution, context: CallContext) -> Entry:
    return Entry(purpose=resolution.purpose, tier=resolution.tier, context=context,
                 overridden=resolution.overridden)
