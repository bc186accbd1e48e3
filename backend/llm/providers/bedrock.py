"""AWS Bedrock through boto3's ``bedrock-runtime`` Converse API, with a forced tool call."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotoConnectionError

from backend.errors import ErrorCode
from backend.llm.capabilities import Capability, capability_for, output_tokens, sampling
from backend.llm.conversation import NO_ANSWER
from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult, Turn, Usage

# Bedrock error codes that may succeed when tried again; everything else is permanent.
RETRYABLE_CODES = {
    "ThrottlingException", "ServiceUnavailableException", "InternalServerException",
    "ModelNotReadyException", "ModelTimeoutException",
}

# Clients are keyed by everything they were built from, read from the environment on every
# call: a changed endpoint or region builds a new client, an unchanged one reuses its pool.
_clients: dict[tuple[Any, ...], Any] = {}
_sessions: dict[tuple[Any, ...], boto3.session.Session] = {}
_clients_lock = threading.Lock()


def _client(route: ModelRoute) -> Any:
    region = route.region or os.environ.get("BEDROCK_REGION") or "us-east-1"
    endpoint = os.environ.get("BEDROCK_ENDPOINT_URL") or None
    identity = (os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_PROFILE"),
                os.environ.get("BEDROCK_ASSUME_ROLE_ARN") or None)
    key = (region, endpoint, route.timeout_s, *identity)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:  # boto3 sessions are not thread-safe while building a client
            # One session per identity: it keeps the parsed service model, so a new client is cheap.
            session = _sessions.get(identity) or _sessions.setdefault(identity, _session(identity[2]))
            config = Config(
                region_name=region,
                connect_timeout=min(10, route.timeout_s),
                read_timeout=route.timeout_s,
                retries={"total_max_attempts": 1},  # our gateway owns retries
            )
            client = _clients[key] = session.client(
                "bedrock-runtime", endpoint_url=endpoint, config=config)
    return client


def _session(role_arn: str | None) -> boto3.session.Session:
    """Return a session with the default credentials, or with ``role_arn`` assumed from them.

    Assumed-role credentials refresh themselves before they expire.
    """
    base = boto3.session.Session()
    if not role_arn:
        return base
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=base._session.create_client, source_credentials=base.get_credentials(),
        role_arn=role_arn, extra_args={"RoleSessionName": "widget-builder"})
    assumed = botocore.session.Session()
    assumed._credentials = DeferredRefreshableCredentials(method="assume-role",
                                                          refresh_using=fetcher.fetch_credentials)
    return boto3.session.Session(botocore_session=assumed)


def converse_arguments(request: LLMRequest, route: ModelRoute, capability: Capability) -> dict[str, Any]:
    """Return the keyword arguments of one Converse call for ``request`` on ``route``.

    Sampling parameters and the cache point are sent only when the model's
    capability record accepts them.
    """
    system: list[dict[str, Any]] = [{"text": request.system}]
    if request.context:
        system.append({"text": request.context})
    if capability.supports_prompt_cache:
        system.append({"cachePoint": {"type": "default"}})
    inference: dict[str, Any] = {"maxTokens": output_tokens(request, route.max_tokens, capability)}
    names = {"temperature": "temperature", "top_p": "topP"}
    inference.update({names[key]: value for key, value in sampling(request, capability).items()})
    return {
        "modelId": route.model_id,
        "system": system,
        "messages": [{"role": "user", "content": [{"text": request.prompt}]}, *map(_message, request.history)],
        "inferenceConfig": inference,
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": request.tool.name,
                "description": request.tool.description,
                "inputSchema": {"json": request.tool.input_schema},
            }}],
            "toolChoice": {"tool": {"name": request.tool.name}},
        },
    }


def _message(turn: Turn) -> dict[str, Any]:
    """Return one turn of the conversation in Converse's form: an answer is the assistant's text and
    ``toolUse`` blocks; a correction of a tool call is a ``toolResult`` with ``status: "error"``."""
    if turn["role"] == "assistant":
        content: list[dict[str, Any]] = [{"text": turn["text"]}] if turn.get("text", "").strip() else []
        call = turn.get("tool_call")
        if call:
            content.append({"toolUse": {"toolUseId": call["id"], "name": call["name"], "input": call["input"]}})
        return {"role": "assistant", "content": content or [{"text": NO_ANSWER}]}
    result = turn.get("tool_result")
    if result:
        return {"role": "user", "content": [{"toolResult": {"toolUseId": result["id"],
                                                            "content": [{"text": result["text"]}],
                                                            "status": "error"}}]}
    return {"role": "user", "content": [{"text": turn["text"]}]}


class BedrockProvider:
    name = "bedrock"

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult:
        """Call Converse once and return the tool input as the payload.

        Raises:
            LLMError: retryable for throttling, 5xx, model-not-ready, timeouts and
                connection failures; permanent otherwise, with an actionable message.
        """
        arguments = converse_arguments(request, route, capability_for(route.model_id))
        started = time.perf_counter()
        try:
            response = _client(route).converse(**arguments)
        except ClientError as exc:
            raise _client_error(exc, route) from exc
        except (ReadTimeoutError, BotoConnectionError) as exc:
            raise LLMError(f"Bedrock did not answer in time for {route.model_id} ({exc.__class__.__name__}).",
                           retryable=True, code=ErrorCode.LLM_TIMEOUT) from exc
        except NoCredentialsError as exc:  # this route cannot work here; another provider may
            raise LLMError("No AWS credentials are configured for Bedrock on this server.", retryable=False,
                           code=ErrorCode.LLM_ACCESS_DENIED) from exc
        except BotoCoreError as exc:
            raise LLMError(f"Bedrock call failed: {exc}", retryable=False, code=ErrorCode.LLM_ERROR) from exc
        except RecursionError as exc:  # a reply nested too deeply for the JSON parser
            raise LLMError(f"Bedrock sent a reply for {route.model_id} nested too deeply to read.", retryable=True,
                           code=ErrorCode.LLM_BAD_RESPONSE) from exc
        try:
            return _result(response, route, started)
        except (KeyError, TypeError, AttributeError) as exc:
            raise LLMError(f"Bedrock sent a malformed Converse reply for {route.model_id} ({exc!r}).",
                           retryable=True, code=ErrorCode.LLM_BAD_RESPONSE) from exc


def _client_error(exc: ClientError, route: ModelRoute) -> LLMError:
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    message = exc.response.get("Error", {}).get("Message", "")
    request_id = exc.response.get("ResponseMetadata", {}).get("RequestId", "")
    where = f"{route.model_id} in {route.region or os.environ.get('BEDROCK_REGION') or 'us-east-1'}"
    if code == "AccessDeniedException":
        return LLMError(f"Model access not enabled for {where}: enable it in the Bedrock console "
                        f"(Model access) or fix the IAM policy. Bedrock said: {message}",
                        retryable=False, code=ErrorCode.LLM_ACCESS_DENIED, request_id=request_id)
    if code == "ResourceNotFoundException":
        return LLMError(f"Bedrock has no model {where}: check the model id in admin. Bedrock said: {message}",
                        retryable=False, code=ErrorCode.LLM_MODEL_NOT_FOUND, request_id=request_id)
    if code == "ServiceQuotaExceededException":  # an account limit: retrying soon won't help, another provider may
        return LLMError(f"Bedrock quota exceeded for {where}: request an increase in Service Quotas. "
                        f"Bedrock said: {message}", retryable=False, code=ErrorCode.LLM_QUOTA_EXCEEDED, request_id=request_id)
    if code == "ValidationException":
        return LLMError(f"Bedrock refused the request for {route.model_id}: {message}", retryable=False,
                        code=ErrorCode.LLM_BAD_REQUEST, request_id=request_id)
    codes = {"ThrottlingException": ErrorCode.LLM_THROTTLED, "ModelNotReadyException": ErrorCode.LLM_MODEL_NOT_READY}
    # A proxy or VPC endpoint may answer 5xx/429 without an AWS error type: botocore then names
    # the error by its status ("502"), which is as retryable as the typed ones.
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    retryable = code in RETRYABLE_CODES or status == 429 or status >= 500
    return LLMError(f"Bedrock {code} for {route.model_id}: {message}", retryable=retryable,
                    code=codes.get(code, ErrorCode.LLM_UNAVAILABLE if retryable else ErrorCode.LLM_ERROR),
                    request_id=request_id)


def _result(response: dict[str, Any], route: ModelRoute, started: float) -> LLMResult:
    content = response.get("output", {}).get("message", {}).get("content", [])
    call = next((block["toolUse"] for block in content if "toolUse" in block), None)
    payload = call["input"] if call is not None else None
    text = "".join(block.get("text", "") for block in content)
    usage = response.get("usage", {})
    return LLMResult(
        payload=payload if isinstance(payload, dict) else None,
        tool_call_id=str(call.get("toolUseId", "")) if call is not None else "",
        tool_name=str(call.get("name", "")) if call is not None else "",
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
