"""A step's conversation with a model, kept in a provider-neutral form (see ``types.Turn``).

An answer that fails its check is not asked again from scratch: the model gets its own answer back
with the reason, as a tool result marked as an error, so it can correct exactly that. The turns are
plain JSON, so a pipeline step can store them and a retry in a later job can carry on.
"""
from __future__ import annotations

from enum import Enum

from backend.llm.types import LLMResult, Turn

# Providers need some content for an assistant turn that carried none.
NO_ANSWER = "(no answer)"


class Stop(str, Enum):
    """What a ``stop_reason`` means for the answer it ends."""

    ANSWERED = "answered"  # end_turn, tool_use, stop_sequence: the answer is whole
    TRUNCATED = "truncated"  # max_tokens: cut off, never parsed
    OVERFLOW = "overflow"  # the prompt fills the context window: a larger output limit cannot help
    REFUSED = "refused"  # refusal, content filter, guardrail: asking again will not change it
    INCOMPLETE = "incomplete"  # anything else (pause_turn, malformed output, a reason added later)


_ANSWERED = {"end_turn", "tool_use", "stop_sequence"}
_REFUSED = {"refusal", "content_filtered", "guardrail_intervened"}


def stop_kind(stop_reason: str) -> Stop:
    """Return what ``stop_reason`` (either API's spelling) means; unknown reasons are INCOMPLETE."""
    if stop_reason in _ANSWERED:
        return Stop.ANSWERED
    if stop_reason == "max_tokens":
        return Stop.TRUNCATED
    if stop_reason == "model_context_window_exceeded":
        return Stop.OVERFLOW
    if stop_reason in _REFUSED:
        return Stop.REFUSED
    return Stop.INCOMPLETE


def answer_turn(result: LLMResult, *, tool: str) -> Turn:
    """Return the assistant turn that records ``result``. A call to another tool than ``tool`` is kept as
    text only: replaying a call to a tool the request does not declare would be refused by the API."""
    call, text = None, result.text
    if result.payload is not None and result.tool_name in ("", tool):
        call = {"id": result.tool_call_id or "call_1", "name": tool, "input": result.payload}
    elif result.payload is not None:
        text = f"{text}\n(called the undeclared tool {result.tool_name[:60]!r})".strip()
    return {"role": "assistant", "text": text, "tool_call": call, "model": result.model_id,
            "stop_reason": result.stop_reason}


def correction_turn(answer: Turn, reason: str, *, tool: str) -> Turn:
    """Return the user turn that tells the model why ``answer`` was refused."""
    call = answer.get("tool_call")
    if call:
        return {"role": "user", "tool_result": {"id": call["id"], "text": f"{reason}\nCall {tool} again with "
                                                "a corrected answer.", "error": True}}
    return {"role": "user", "text": f"{reason}\nCall the tool {tool} with your answer."}


def pending_answer(history: list[Turn]) -> Turn | None:
    """Return the last turn when it is an answer not yet judged (a job stopped between the model's
    reply and its check), else None."""
    return history[-1] if history and history[-1]["role"] == "assistant" else None


def corrections(history: list[Turn]) -> list[str]:
    """Return the reasons given for refused answers, oldest first."""
    reasons = []
    for turn in history:
        if turn["role"] == "user":
            reasons.append((turn.get("tool_result") or {}).get("text") or turn.get("text", ""))
    return reasons
