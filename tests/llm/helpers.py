"""Small builders shared by the gateway tests."""
from __future__ import annotations

from typing import Any

from backend.llm.gateway import CallContext, Validator, get_llm
from backend.llm.models import LLMCall, ModelRoute
from backend.llm.types import LLMRequest, LLMResult, Tool

ANSWER_TOOL = Tool("record_answer", "Record the answer.", {
    "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]})


def request(**overrides: Any) -> LLMRequest:
    fields: dict[str, Any] = {"system": "You answer briefly.", "context": "A long, stable dictionary slice.",
                              "prompt": '{"question": "what?"}', "tool": ANSWER_TOOL, **overrides}
    return LLMRequest(**fields)


def call(name: str = "fast", *, validator: Validator | None = None, override_route_id: int | None = None,
         context: CallContext | None = None, deadline_s: float | None = None, **overrides: Any) -> LLMResult:
    return get_llm(name, override_route_id=override_route_id).call(
        request(**overrides), context=context, validator=validator, deadline_s=deadline_s)


def only(provider: str) -> None:
    """Leave only ``provider``'s routes enabled."""
    ModelRoute.objects.exclude(provider=provider).update(enabled=False)


def outcomes() -> list[tuple[str, str]]:
    return list(LLMCall.objects.order_by("id").values_list("provider", "outcome"))
