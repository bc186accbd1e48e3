"""AWS Bedrock through boto3's ``bedrock-runtime`` Converse API, with a forced tool call."""
from __future__ import annotations

import os
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError as BotoConnectionError, ReadTimeoutError

from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult, Usage

# Bedrock error codes that may succeed when tried again; everything else is permanent.
RETRYABLE_CODES = {
    "ThrottlingException", "ServiceUnavailableException", "InternalServerException",
    "ModelNotReadyException", "ModelTimeoutException", "ServiceQuotaExceededException",
}


def _client(route: ModelRoute) -> Any:
    region = route.region or os.environ.get("BEDROCK_REGION") or "us-east-1"
    config = Config(
        region_name=region,
        connect_timeout=min(10, route.timeout_s),
        read_timeout=route.timeout_s,
        retries={"total_max_attempts": 1},  # our gateway owns retries
    )
    return boto3.session.Session().client(
        "bedrock-runtime", endpoint_url=os.environ.get("BEDROCK_ENDPOINT_URL") or None, config=config
    )


def converse_arguments(request: LLMRequest, route: ModelRoute) -> dict[str, Any]:
    """Return the keyword arguments of one Converse call for ``request`` on ``route``."""
    system: list[dict[str, Any]] = [{"text": request.system}]
    if request.context:
        system += [{"text": request.context}, {"cachePoint": {"type": "default"}}]
    return {
        "modelId": route.model_id,
        "system": system,
        "messages": [{"role": "user", "content": [{"text": request.prompt}]}],
        "inferenceConfig": {"maxTokens": min(request.max_tokens, route.max_tokens)},
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": request.tool.name,
                "description": request.tool.description,
                "inputSchema": {"json": request.tool.input_schema},
            }}],
            "toolChoice": {"tool": {"name": request.tool.name}},
        },
    }


class BedrockProvider:
    name = "bedrock"

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult:
        """Call Converse once and return the tool input as the payload.

        Raises:
            LLMError: retryable for throttling, 5xx, model-not-ready, timeouts and
                connection failures; permanent otherwise, with an actionable message.
        """
        started = time.perf_counter()
        try:
            response = _client(route).converse(**converse_arguments(request, route))
        except ClientError as exc:
            raise _client_error(exc, route) from exc
        except (ReadTimeoutError, BotoConnectionError) as exc:
            raise LLMError(f"Bedrock did not answer in time ({exc.__class__.__name__}).", retryable=True,
                           code="llm_timeout") from exc
        except BotoCoreError as exc:
            raise LLMError(f"Bedrock call failed: {exc}", retryable=False, code="llm_error") from exc
        return _result(response, route, started)


def _client_error(exc: ClientError, route: ModelRoute) -> LLMError:
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    message = exc.response.get("Error", {}).get("Message", "")
    if code == "AccessDeniedException":
        return LLMError(f"Model access not enabled for {route.model_id} in {route.region or 'the region'}: {message}",
                        retryable=False, code="llm_access_denied")
    if code == "ResourceNotFoundException":
        return LLMError(f"Bedrock has no model {route.model_id} in {route.region}: {message}", retryable=False,
                        code="llm_model_not_found")
    return LLMError(f"Bedrock {code}: {message}", retryable=code in RETRYABLE_CODES,
                    code="llm_throttled" if code == "ThrottlingException" else "llm_error")


def _result(response: dict[str, Any], route: ModelRoute, started: float) -> LLMResult:
    content = response.get("output", {}).get("message", {}).get("content", [])
    payload = next((block["toolUse"]["input"] for block in content if "toolUse" in block), None)
    text = "".join(block.get("text", "") for block in content)
    usage = response.get("usage", {})
    return LLMResult(
        payload=payload if isinstance(payload, dict) else None,
        text=text,
        stop_reason=response.get("stopReason", ""),
        usage=Usage(
            input_tokens=usage.get("inputTokens", 0),
            output_tokens=usage.get("outputTokens", 0),
            cache_read_tokens=usage.get("cacheReadInputTokens", 0),
            cache_write_tokens=usage.get("cacheWriteInputTokens", 0),
        ),
        latency_ms=int((time.perf_counter() - started) * 1000),
        model_id=route.model_id,
        provider="bedrock",
        request_id=response.get("ResponseMetadata", {}).get("RequestId", ""),
    )
