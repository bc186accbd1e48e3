"""The Anthropic API through the ``anthropic`` SDK, with a forced tool call."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import anthropic

from backend.llm.capabilities import Capability, capability_for, output_tokens
from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult, Usage

# Keyed by what they were built from, read from the environment on every call.
_clients: dict[tuple[Any, ...], anthropic.Anthropic] = {}
_clients_lock = threading.Lock()

_STATUS_CODES = {400: "llm_bad_request", 401: "llm_access_denied", 403: "llm_access_denied",
                 404: "llm_model_not_found", 429: "llm_throttled"}


def _client(route: ModelRoute) -> anthropic.Anthropic:
    key = (os.environ.get("ANTHROPIC_API_KEY"), os.environ.get("ANTHROPIC_BASE_URL") or None, route.timeout_s)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients[key] = anthropic.Anthropic(
                api_key=key[0], base_url=key[1],
                max_retries=0,  # our gateway owns retries
                timeout=route.timeout_s,
            )
    return client


def messages_arguments(request: LLMRequest, route: ModelRoute, capability: Capability | None = None) -> dict[str, Any]:
    """Return the keyword arguments of one ``messages.create`` call.

    Sampling parameters are sent only when the model accepts them; the cache
    breakpoint closes the stable prefix (system + context).
    """
    capability = capability or Capability()
    system: list[dict[str, Any]] = [{"type": "text", "text": request.system}]
    if request.context:
        system.append({"type": "text", "text": request.context})
    if capability.supports_prompt_cache:
        system[-1]["cache_control"] = {"type": "ephemeral"}
    arguments: dict[str, Any] = {
        "model": route.model_id,
        "max_tokens": output_tokens(request.max_tokens, route.max_tokens, capability),
        "system": system,
        "messages": [{"role": "user", "content": request.prompt}],
        "tools": [{
            "name": request.tool.name,
            "description": request.tool.description,
            "input_schema": request.tool.input_schema,
        }],
        "tool_choice": {"type": "tool", "name": request.tool.name},
    }
    if request.temperature is not None and capability.accepts_temperature:
        arguments["temperature"] = request.temperature
    if request.top_p is not None and capability.accepts_top_p:
        arguments["top_p"] = request.top_p
    return arguments


class AnthropicProvider:
    name = "anthropic"

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult:
        """Call ``messages.create`` once and return the tool input as the payload.

        Raises:
            LLMError: retryable for 429, 5xx/529, timeouts and connection failures;
                permanent for authentication, permission, not-found and bad requests.
        """
        arguments = messages_arguments(request, route, capability_for(route.model_id))
        started = time.perf_counter()
        try:
            message = _client(route).messages.create(**arguments)
        except (anthropic.APITimeoutError, anthropic.APIConnectionError) as exc:
            raise LLMError(f"Anthropic API unreachable for {route.model_id} ({exc.__class__.__name__}).",
                           retryable=True, code="llm_timeout") from exc
        except anthropic.APIStatusError as exc:
            raise _status_error(exc, route) from exc
        except (anthropic.APIError, ValueError) as exc:  # e.g. a 200 whose body is not JSON
            raise _malformed(exc, route) from exc
        try:
            return _result(message, route, started)
        except (TypeError, AttributeError, ValueError) as exc:  # e.g. a message without content
            raise _malformed(exc, route) from exc


def _malformed(exc: Exception, route: ModelRoute) -> LLMError:
    return LLMError(f"The Anthropic API sent a malformed reply for {route.model_id} ({exc.__class__.__name__}).",
                    retryable=True, code="llm_bad_response")


def _status_error(exc: anthropic.APIStatusError, route: ModelRoute) -> LLMError:
    status = exc.status_code
    retryable = status == 429 or status >= 500
    code = _STATUS_CODES.get(status, "llm_unavailable" if retryable else "llm_error")
    detail = exc.message
    if status in (401, 403):
        detail = f"the API key cannot use {route.model_id}: check ANTHROPIC_API_KEY and the workspace's model access ({exc.message})"
    return LLMError(f"Anthropic API {status} for {route.model_id}: {detail}", retryable=retryable, code=code,
                    request_id=exc.request_id or "")


def _result(message: Any, route: ModelRoute, started: float) -> LLMResult:
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
