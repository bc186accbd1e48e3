"""The Anthropic API through the ``anthropic`` SDK, with a forced tool call."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import anthropic

from backend.errors import ErrorCode
from backend.llm.capabilities import Capability, capability_for, output_tokens, sampling
from backend.llm.conversation import NO_ANSWER
from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult, Turn, Usage

# Keyed by what they were built from, read from the environment on every call.
_clients: dict[tuple[Any, ...], anthropic.Anthropic] = {}
_clients_lock = threading.Lock()

_STATUS_CODES = {400: ErrorCode.LLM_BAD_REQUEST, 401: ErrorCode.LLM_ACCESS_DENIED, 403: ErrorCode.LLM_ACCESS_DENIED,
                 404: ErrorCode.LLM_MODEL_NOT_FOUND, 429: ErrorCode.LLM_THROTTLED}


def _client(route: ModelRoute) -> anthropic.Anthropic:
    """Return a client for the route's timeout.

    Raises:
        LLMError: ``llm_access_denied`` (another route may still serve) when no API key is configured.
    """
    key = (os.environ.get("ANTHROPIC_API_KEY"), os.environ.get("ANTHROPIC_BASE_URL") or None, route.timeout_s)
    if not key[0]:
        raise LLMError("ANTHROPIC_API_KEY is not set on this server.", retryable=False,
                       code=ErrorCode.LLM_ACCESS_DENIED)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients[key] = anthropic.Anthropic(
                api_key=key[0], base_url=key[1],
                max_retries=0,  # our gateway owns retries
                timeout=route.timeout_s,
            )
    return client


def messages_arguments(request: LLMRequest, route: ModelRoute, capability: Capability) -> dict[str, Any]:
    """Return the keyword arguments of one ``messages.create`` call.

    Sampling parameters are sent only when the model accepts them; the cache
    breakpoint closes the stable prefix (system + context).
    """
    system: list[dict[str, Any]] = [{"type": "text", "text": request.system}]
    if request.context:
        system.append({"type": "text", "text": request.context})
    if capability.supports_prompt_cache:
        system[-1]["cache_control"] = {"type": "ephemeral"}
    arguments: dict[str, Any] = {
        "model": route.model_id,
        "max_tokens": output_tokens(request, route.max_tokens, capability),
        "system": system,
        "messages": [{"role": "user", "content": request.prompt}, *map(_message, request.history)],
        "tools": [{
            "name": request.tool.name,
            "description": request.tool.description,
            "input_schema": request.tool.input_schema,
        }],
        "tool_choice": {"type": "tool", "name": request.tool.name},
    }
    arguments.update(sampling(request, capability))
    return arguments


def _message(turn: Turn) -> dict[str, Any]:
    """Return one turn of the conversation in the Messages API's form: an answer is the assistant's
    text and tool_use blocks; a correction of a tool call is a ``tool_result`` with ``is_error``."""
    if turn["role"] == "assistant":
        content: list[dict[str, Any]] = [{"type": "text", "text": turn["text"]}] if turn.get("text", "").strip() else []
        call = turn.get("tool_call")
        if call:
            content.append({"type": "tool_use", "id": call["id"], "name": call["name"], "input": call["input"]})
        return {"role": "assistant", "content": content or [{"type": "text", "text": NO_ANSWER}]}
    result = turn.get("tool_result")
    if result:
        return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": result["id"],
                                             "content": result["text"], "is_error": True}]}
    return {"role": "user", "content": turn["text"]}


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
                           retryable=True, code=ErrorCode.LLM_TIMEOUT) from exc
        except anthropic.APIStatusError as exc:
            raise _status_error(exc, route) from exc
        except (anthropic.APIError, ValueError, RecursionError) as exc:  # a body not JSON, or nested too deeply
            raise _malformed(exc, route) from exc
        try:
            return _result(message, route, started)
        except (TypeError, AttributeError, ValueError) as exc:  # e.g. a message without content
            raise _malformed(exc, route) from exc


def _malformed(exc: Exception, route: ModelRoute) -> LLMError:
    return LLMError(f"The Anthropic API sent a malformed reply for {route.model_id} ({exc.__class__.__name__}).",
                    retryable=True, code=ErrorCode.LLM_BAD_RESPONSE)


def _status_error(exc: anthropic.APIStatusError, route: ModelRoute) -> LLMError:
    status = exc.status_code
    retryable = status == 429 or status >= 500
    code = _STATUS_CODES.get(status, ErrorCode.LLM_UNAVAILABLE if retryable else ErrorCode.LLM_ERROR)
    detail = exc.message
    if status in (401, 403):
        detail = f"the API key cannot use {route.model_id}: check ANTHROPIC_API_KEY and the workspace's model access ({exc.message})"
    return LLMError(f"Anthropic API {status} for {route.model_id}: {detail}", retryable=retryable, code=code,
                    request_id=exc.request_id or "")


def _result(message: Any, route: ModelRoute, started: float) -> LLMResult:
    call = next((b for b in message.content if b.type == "tool_use"), None)
    payload = call.input if call is not None else None
    usage = message.usage
    return LLMResult(
        payload=payload if isinstance(payload, dict) else None,
        tool_call_id=call.id if call is not None else "",
        tool_name=call.name if call is not None else "",
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
