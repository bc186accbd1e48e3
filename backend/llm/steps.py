"""One declared shape for every model-backed step: its purpose, tool, prompt, parser, error and offline answer.

A step module declares an ``LLMStep`` once; running it is the same protocol for all of them: build
the request, ask the gateway (which corrects refused answers in the conversation and escalates),
and turn the last refusal into the step's own error.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from backend.errors import ApplicationError, ErrorCode
from backend.llm.gateway import InvalidAnswer, TurnsSaver, get_llm
from backend.llm.ledger import CallContext
from backend.llm.types import LLMRequest, OfflineAnswer, Tool, Turn

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Prompt:
    """What a step shows the model: ``context`` is the long stable part (cached), ``prompt`` the rest."""

    context: dict[str, Any]
    prompt: dict[str, Any]


@dataclass
class LLMStep(Generic[In, Out]):
    """A step whose work a model does.

    ``parse(payload, inputs)`` returns the typed result or raises ``InvalidAnswer`` with a reason the
    model can act on (and, optionally, the error to report if it is the last answer). ``offline``
    answers the same prompt deterministically when no model is configured.
    """

    name: str  # the pipeline step it serves, recorded on each ledger row
    purpose: str  # which tier serves it: an admin's choice, read per call
    tool: Tool
    system: str
    build: Callable[[In], Prompt]
    parse: Callable[[dict[str, Any], In], Out]
    error_code: ErrorCode
    offline: OfflineAnswer
    max_tokens: int = 4096

    def request(self, inputs: In, *, history: tuple[Turn, ...] = ()) -> LLMRequest:
        """Return the request for ``inputs`` with the conversation so far."""
        built = self.build(inputs)
        return LLMRequest(system=self.system, context=json.dumps(built.context, sort_keys=True),
                          prompt=json.dumps(built.prompt, sort_keys=True), tool=self.tool, max_tokens=self.max_tokens,
                          history=history, offline=self.offline)

    def run(self, inputs: In, *, context: CallContext, deadline_s: float | None = None,
            history: tuple[Turn, ...] = (), on_turn: TurnsSaver | None = None) -> Out:
        """Return the parsed answer for ``inputs``.

        Raises:
            ApplicationError: the step's ``error_code`` (or the parser's own error) when the last answer
                allowed was refused too.
            LLMError: the model could not be reached, stopped early, or the deadline passed.
        """
        context = CallContext(user_id=context.user_id, widget_request_id=context.widget_request_id,
                              override_route_id=context.override_route_id, step=self.name)
        try:
            return get_llm(self.purpose).ask(self.request(inputs, history=history),
                                             lambda payload: self.parse(payload, inputs), context=context,
                                             deadline_s=deadline_s, on_turn=on_turn)
        except InvalidAnswer as exc:
            raise exc.error or ApplicationError(self.error_code, exc.reason) from exc
