"""Small builders shared by the gateway tests."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.llm.gateway import CallContext, InvalidAnswer, get_llm
from backend.llm.models import LLMCall, ModelRoute
from backend.llm.types import LLMRequest, OfflineQuery, Tool

ANSWER_TOOL = Tool("record_answer", "Record the answer.", {
    "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]})

# Returns why a payload is unacceptable, or None when it is fine.
Validator = Callable[[dict[str, Any]], "str | None"]


def offline_answer(query: OfflineQuery) -> dict[str, Any]:
    """The offline stand-in for ``ANSWER_TOOL``: it echoes the question and counts the corrections."""
    return {"answer": f"offline: {query.prompt.get('question', '')}", "corrections": len(query.corrections)}


def request(**overrides: Any) -> LLMRequest:
    fields: dict[str, Any] = {"system": "You answer briefly.", "context": '{"slice": "a long, stable prefix"}',
                              "prompt": '{"question": "what?"}', "tool": ANSWER_TOOL, "offline": offline_answer,
                              **overrides}
    return LLMRequest(**fields)


def call(name: str = "fast", *, validator: Validator | None = None, override_route_id: int | None = None,
         context: CallContext | None = None, deadline_s: float | None = None, **overrides: Any) -> dict[str, Any]:
    """Ask ``name`` and return the accepted payload; ``validator`` refuses payloads with a reason."""
    def parse(payload: dict[str, Any]) -> dict[str, Any]:
        problem = validator(payload) if validator else None
        if problem:
            raise InvalidAnswer(problem)
        return payload

    return get_llm(name, override_route_id=override_route_id).ask(
        request(**overrides), parse, context=context, deadline_s=deadline_s)


def only(provider: str) -> None:
    """Leave only ``provider``'s routes enabled."""
    ModelRoute.objects.exclude(provider=provider).update(enabled=False)


def outcomes() -> list[tuple[str, str]]:
    return list(LLMCall.objects.order_by("id").values_list("provider", "outcome"))


def answered_by() -> str:
    """Return the provider of the last ledger row: the one whose answer was taken."""
    return LLMCall.objects.order_by("-id").values_list("provider", flat=True).first() or ""
