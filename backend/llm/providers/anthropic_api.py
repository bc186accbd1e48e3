"""The Anthropic API through the ``anthropic`` SDK, with a forced tool call."""
from __future__ import annotations

import os
import time
from typing import Any

import anthropic

from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult, Usage


def messages_arguments(request: LLMRequest, route: ModelRoute) -> dict[str, Any]:
    """Return the keyword arguments of one ``messages.create`` call."""
    system: list[dict[str, Any]] = [{"type": "text", "text": request.system}]
    if request.context:
        system.append({"type": "text", "text": request.context, "cache_control": {"type": "ephemeral"}})
    return {
        "model": route.model_id,
        "max_tokens": min(request.max_tokens, route.max_tokens),
        "system": system,
        "messages": [{"role": "user", "content": request.prompt}],
        "tools": [{
            "name": request.tool.name,
            "description": request.tool.description,
            "input_schema": request.tool.input_schema,
        }],
        "tool_choice": {"type": "tool", "name": request.tool.name},
    }


class AnthropicProvider:
    name = "anthropic"

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult:
        """Call ``messages.create`` once and return the tool input as the payload.

        Raises:
            LLMError: retryable for 429, 5xx, timeouts and connection failures;
                permanent for authentication, permission, not-found and bad requests.
        """
        started = time.perf_counter()
        client = anthropic.Anthropic(
            api_key=os.environ.get("ANTHROPIC_API_KEY"),
            base_url=os.environ.get("ANTHROPIC_BASE_URL") or None,
            max_retries=0,  # our gateway owns retries
            timeout=route.timeout_s,
        )
        try:
            message = client.messages.create(**messages_arguments(request, route))
        except (anthropic.APITimeoutError, anthropic.APIConnectionError) as exc:
            raise LLMError(f"Anthropic API unreachable ({exc.__class__.__name__}).", retryable=True,
                           code="llm_timeout") from exc
        except anthropic.APIStatusError as exc:
            retryable = exc.status_code == 429 or exc.status_code >= 500
            raise LLMError(f"Anthropic API {exc.status_code} for {route.model_id}: {exc.message}",
                           retryable=retryable, code="llm_throttled" if exc.status_code == 429 else "llm_error") from exc
        payload = next((b.input for b in message.content if b.type == "tool_use"), None)
        usage = message.usage
        return LLMResult(
            payload=payload if isinstance(payload, dict) else None,
            text="".join(getattr(b, "text", "") for b in message.content if b.type == "text"),
            stop_reason=message.stop_reason or "",
            usage=Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
                cache_write_tokens=usage.cache_creation_input_tokens or 0,
            ),
            latency_ms=int((time.perf_counter() - started) * 1000),
            model_id=message.model or route.model_id,
            provider="anthropic",
            request_id=getattr(message, "_request_id", None) or message.id,
        )
