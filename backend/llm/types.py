"""The shapes every provider speaks: a tool-shaped request (with its conversation so far) in, one result out."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.errors import ApplicationError, ErrorCode

# One turn of a conversation after its first prompt, as stored with a pipeline step (JSON):
#   {"role": "assistant", "text": str, "tool_call": {"id", "name", "input"} | None, "model": str,
#    "stop_reason": str}
#   {"role": "user", "tool_result": {"id": str, "text": str, "error": True}}  (a correction of a tool call)
#   {"role": "user", "text": str}  (a correction of an answer that called no tool)
Turn = dict[str, Any]


@dataclass(frozen=True)
class Tool:
    """A tool the model is forced to call; its input is the structured payload we want."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class OfflineQuery:
    """What the offline model hands a step's offline answer: the JSON a real model would read, and the
    reasons earlier answers in this conversation were refused (oldest first)."""

    context: dict[str, Any]
    prompt: dict[str, Any]
    corrections: list[str]


OfflineAnswer = Callable[[OfflineQuery], dict[str, Any]]


@dataclass(frozen=True)
class LLMRequest:
    """One structured call.

    ``system`` and ``context`` form the long, stable prefix (instructions plus the data
    dictionary slice) that providers may cache; ``prompt`` opens the conversation and
    ``history`` is what followed it (answers and their corrections, see ``Turn``).
    ``offline`` is the step's deterministic stand-in for a model, kept beside its prompt so
    that the gateway knows no tool names.
    """

    system: str
    prompt: str
    tool: Tool
    context: str = ""
    max_tokens: int = 4096
    # Sent only to models whose capability record accepts them; ``None`` sends nothing.
    temperature: float | None = None
    top_p: float | None = None
    history: tuple[Turn, ...] = ()
    # The one retry after a truncated answer asks for more than the route's max_tokens.
    max_tokens_override: int | None = None
    offline: OfflineAnswer | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class LLMResult:
    payload: dict[str, Any] | None  # the tool call's input; None when the model called no tool
    text: str
    stop_reason: str
    usage: Usage
    latency_ms: int
    model_id: str
    provider: str
    request_id: str = ""
    tool_call_id: str = ""
    tool_name: str = ""  # the tool the answer called (a model may name another than the one forced)
    extra: dict[str, Any] = field(default_factory=dict)


class LLMError(ApplicationError):
    """A failed model call. ``retryable`` says whether trying again could succeed."""

    http_status = 503

    def __init__(self, message: str, *, retryable: bool, code: ErrorCode | str = ErrorCode.LLM_ERROR,
                 request_id: str = "") -> None:
        super().__init__(code, message)
        self.retryable = retryable
        self.request_id = request_id
        self.latency_ms = 0  # set by the gateway: how long the failed attempt took
