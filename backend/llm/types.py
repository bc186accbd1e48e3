"""The shapes every provider speaks: a tool-shaped request in, one result type out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tool:
    """A tool the model is forced to call; its input is the structured payload we want."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class LLMRequest:
    """One structured call.

    ``system`` and ``context`` form the long, stable prefix (instructions plus the
    data dictionary slice) that providers may cache; ``prompt`` is the part that
    changes from call to call.
    """

    system: str
    prompt: str
    tool: Tool
    context: str = ""
    max_tokens: int = 4096
    # Sent only to models whose capability record accepts them; ``None`` sends nothing.
    temperature: float | None = None
    top_p: float | None = None


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class LLMResult:
    payload: dict[str, Any] | None
    text: str
    stop_reason: str
    usage: Usage
    latency_ms: int
    model_id: str
    provider: str
    request_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class LLMError(Exception):
    """A failed model call. ``retryable`` says whether trying again could succeed."""

    def __init__(self, message: str, *, retryable: bool, code: str = "llm_error", request_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.request_id = request_id
        self.latency_ms = 0  # set by the gateway: how long the failed attempt took
