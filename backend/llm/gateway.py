"""``get_llm(purpose)``: the one door to every model.

Each ``ask`` resolves purpose → tier → route chain from the database, applies the daily budget,
walks the chain (retries, circuit breaker, fallback: ``chain.py``) and acts on how the answer
stopped: a truncated answer is never parsed (it is asked again once with a larger output limit),
a refusal fails at once, a context overflow fails with the reason. An answer the caller's parser
refuses goes back to the same model as a correction in the conversation (``conversation.py``),
up to the tier's ``same_model_tries``; then once more on the tier it escalates to. Every attempt
and decision is one ledger row.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from backend.errors import ApplicationError, ErrorCode
from backend.llm import config, snapshot
from backend.llm.budget import DEGRADE, REFUSE, budget_verdict
from backend.llm.capabilities import capability_for, output_tokens
from backend.llm.chain import Clock, Run, run_chain
from backend.llm.conversation import Stop, answer_turn, correction_turn, pending_answer, stop_kind
from backend.llm.ledger import CallContext, Entry, mark, record
from backend.llm.models import CallOutcome, GatewaySettings, LLMCall
from backend.llm.routing import Resolution, resolve, tier_named
from backend.llm.types import LLMError, LLMRequest, LLMResult, Turn

__all__ = ["CallContext", "InvalidAnswer", "LLMClient", "get_llm"]

log = logging.getLogger(__name__)
T = TypeVar("T")
TurnsSaver = Callable[[list[Turn]], None]


class InvalidAnswer(Exception):
    """Raised by an ``ask`` parser: the payload is unusable, for the reason given (which goes back to
    the model). ``error`` is what the caller reports when this was the last answer allowed. ``final``: the
    answer was understood and is right, but what it asks for cannot be done (a follow-up that changes
    nothing); asking again, or a dearer tier, would answer the same, so no other answer is asked for."""

    def __init__(self, reason: str, *, error: ApplicationError | None = None, final: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
        self.final = final


class LLMClient:
    """A handle on a purpose or tier. Holds the *name* only; routes are read on every call."""

    def __init__(self, name: str, *, override_route_id: int | None = None, clock: Clock | None = None) -> None:
        self.name = name
        self.override_route_id = override_route_id
        self.clock = clock or Clock()

    def ask(self, request: LLMRequest, parse: Callable[[dict], T], *, context: CallContext | None = None,
            deadline_s: float | None = None, on_turn: TurnsSaver | None = None) -> T:
        """Return ``parse(payload)`` of the first acceptable answer.

        ``request.history`` carries on an earlier conversation; when it ends with an answer not yet
        judged, that answer is parsed before any new call. ``on_turn`` receives the conversation
        after each answer and each correction, so a caller can store it. ``deadline_s`` bounds the
        whole of it and can only shorten a tier's own deadline.

        Raises:
            InvalidAnswer: the last answer allowed was refused by ``parse`` too.
            LLMError: no route answered (``retryable`` says whether later may help); ``llm_truncated``,
                ``llm_refused`` or ``llm_context_overflow`` for an answer that stopped early;
                ``budget_exceeded`` past the daily hard cap; ``llm_deadline`` when the time ran out.
        """
        context = context or CallContext()
        ends_at = self.clock.now() + deadline_s if deadline_s is not None else None
        # One read of the routing rows serves the whole call, capability lookups included.
        with snapshot.pinned() as rows:
            knobs = rows.settings
            first, over_soft_cap = self._resolution(knobs, context, rows)
            history = list(request.history)
            save = on_turn or (lambda turns: None)
            last: InvalidAnswer | None = None
            for position, resolution in enumerate(self._plan(first, over_soft_cap=over_soft_cap, rows=rows)):
                for _ in range(max(1, resolution.same_model_tries)):
                    turn, row = self._answer(replace(request, history=tuple(history)), resolution, knobs, context,
                                             ends_at, history=history, save=save)
                    try:
                        value = _judge(turn, parse, tool=request.tool.name)
                    except InvalidAnswer as exc:
                        last = exc
                        if row is not None:
                            mark(row, outcome=CallOutcome.VALIDATION_FAILED, error=_bad_output(exc.reason))
                        if exc.final:
                            raise
                        history.append(correction_turn(turn, exc.reason, tool=request.tool.name))
                        save(history)
                        continue
                    if row is not None and last is not None:
                        mark(row, outcome=CallOutcome.ESCALATED if position else CallOutcome.CORRECTED)
                    return value
            assert last is not None  # every try was refused, or we would have returned
            raise last

    def _plan(self, first: Resolution, *, over_soft_cap: bool, rows: snapshot.Snapshot) -> list[Resolution]:
        """Return the tiers to ask in turn: this one, then the one it escalates to (once; not for an
        admin's forced route, and not past the soft cap, where escalating would spend on a dearer tier)."""
        if not first.escalates_to or first.overridden or over_soft_cap:
            return [first]
        try:
            escalated = tier_named(first.escalates_to, purpose=first.purpose, rows=rows)
        except LLMError as exc:
            log.warning("not escalating %s from %s: %s", first.purpose, first.tier, exc.message)
            return [first]
        return [first, escalated]

    def _answer(self, request: LLMRequest, resolution: Resolution, knobs: GatewaySettings, context: CallContext,
                ends_at: float | None, *, history: list[Turn], save: TurnsSaver) -> tuple[Turn, LLMCall | None]:
        """Return the next answer as a turn (added to ``history``) and its ledger row; an answer left
        unjudged by an earlier job is returned without a call (and without a row).

        Raises:
            LLMError: no route answered, or the answer was truncated twice, refused or overflowed.
        """
        pending = pending_answer(history)
        if pending is not None:
            return pending, None
        result, row = self._run(request, resolution, knobs, context, ends_at)
        if stop_kind(result.stop_reason) is Stop.TRUNCATED:
            result, row = self._again_larger(request, result, row, resolution, knobs, context, ends_at)
        _refuse_early_stops(result, row)
        turn = answer_turn(result, tool=request.tool.name)
        history.append(turn)
        save(history)
        return turn, row

    def _again_larger(self, request: LLMRequest, result: LLMResult, row: LLMCall, resolution: Resolution,
                      knobs: GatewaySettings, context: CallContext,
                      ends_at: float | None) -> tuple[LLMResult, LLMCall]:
        """Ask once more with twice the output limit (within the model's own) after a truncated answer.

        Twice the limit that was sent, not what the reply says it used: a proxy or a provider may count
        less, and asking for less than the first time would cut it off again for sure."""
        route = next((r for r in resolution.routes if r.model_id == result.model_id), resolution.routes[0])
        sent = output_tokens(request, route.max_tokens, capability_for(route.model_id))
        used = max(result.usage.output_tokens, sent, 1)
        model_max = capability_for(result.model_id).max_output_tokens
        larger = min(2 * used, model_max) if model_max else 2 * used
        cut = _truncated(result, used, retried=False)
        mark(row, outcome=CallOutcome.TRUNCATED, error=cut)
        if larger <= used:
            raise cut
        result, row = self._run(replace(request, max_tokens_override=larger), resolution, knobs, context, ends_at)
        if stop_kind(result.stop_reason) is Stop.TRUNCATED:
            error = _truncated(result, larger, retried=True)
            mark(row, outcome=CallOutcome.TRUNCATED, error=error)
            raise error
        return result, row

    def _resolution(self, knobs: GatewaySettings, context: CallContext,
                    rows: snapshot.Snapshot) -> tuple[Resolution, bool]:
        """Return the resolution to run and whether spend is past a soft cap (then a tier with
        ``degrades_to`` has been swapped for that cheaper tier).

        Raises:
            LLMError: ``budget_exceeded`` past the hard cap; a misconfiguration.
        """
        resolution = resolve(self.name, override_route_id=self.override_route_id or context.override_route_id,
                             rows=rows)
        verdict = budget_verdict(knobs=knobs, user_id=context.user_id)
        if verdict.kind == REFUSE:
            error = LLMError(verdict.message, retryable=False, code=ErrorCode.BUDGET_EXCEEDED)
            record(_entry(resolution, context), resolution.routes[0], outcome=CallOutcome.BUDGET_REFUSED,
                   provider=resolution.routes[0].provider, error=error)
            raise error
        if verdict.kind == DEGRADE and resolution.degrades_to and not resolution.overridden:
            cheaper = tier_named(resolution.degrades_to, purpose=resolution.purpose, rows=rows)
            error = LLMError(f"{verdict.message}: {resolution.tier} runs on {cheaper.tier}", retryable=False,
                             code=ErrorCode.BUDGET_DEGRADED)
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


def _judge(turn: Turn, parse: Callable[[dict], T], *, tool: str) -> T:
    """Return ``parse`` of the answer's tool input; raise InvalidAnswer for an answer that stopped
    early or called no tool (neither reaches ``parse``)."""
    if stop_kind(turn.get("stop_reason", "")) is Stop.INCOMPLETE:
        raise InvalidAnswer(f"Your answer stopped early ({turn['stop_reason']}) and was not used.")
    call = turn.get("tool_call")
    if not call:
        raise InvalidAnswer(f"{turn.get('model') or 'The model'} answered without calling {tool}.")
    return parse(call["input"])


def _refuse_early_stops(result: LLMResult, row: LLMCall) -> None:
    """Raise for an answer that must not be parsed or asked again: a refusal or a context overflow."""
    kind = stop_kind(result.stop_reason)
    if kind is Stop.REFUSED:
        error = LLMError(f"The model declined to answer ({result.stop_reason}); rephrase the request.",
                         retryable=False, code=ErrorCode.LLM_REFUSED, request_id=result.request_id)
        mark(row, outcome=CallOutcome.REFUSED, error=error)
        raise error
    if kind is Stop.OVERFLOW:
        error = LLMError(f"The request is too long for {result.model_id}'s context window; ask for less "
                         "(fewer dimensions or a smaller data dictionary).", retryable=False,
                         code=ErrorCode.LLM_CONTEXT_OVERFLOW, request_id=result.request_id)
        mark(row, outcome=CallOutcome.ERROR, error=error)
        raise error


def _truncated(result: LLMResult, limit: int, *, retried: bool) -> LLMError:
    again = ", also after one retry with a larger limit" if retried else ""
    return LLMError(f"{result.model_id}'s answer was cut off at {limit} output tokens{again}; it was not used.",
                    retryable=False, code=ErrorCode.LLM_TRUNCATED, request_id=result.request_id)


def _bad_output(problem: str) -> LLMError:
    return LLMError(f"The model's answer failed its check: {problem}", retryable=False,
                    code=ErrorCode.LLM_BAD_OUTPUT)


def _entry(resolution: Resolution, context: CallContext) -> Entry:
    return Entry(purpose=resolution.purpose, tier=resolution.tier, context=context,
                 overridden=resolution.overridden)
