"""A fake Bedrock runtime speaking the Converse wire format (rest-json).

``POST /model/{modelId}/converse``; errors carry ``x-amzn-ErrorType`` (which
botocore's rest-json parser reads first) and a ``__type``/``message`` body.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from tests.llm.fakes.server import Behaviour, FakeServer, Received, Reply

_ERRORS = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "server_error": (500, "InternalServerException", "The server encountered an internal error."),
    "access_denied": (403, "AccessDeniedException", ""),
    "validation": (400, "ValidationException", ""),
    "not_found": (404, "ResourceNotFoundException", ""),
    "not_ready": (429, "ModelNotReadyException", ""),
}


def model_of(received: Received) -> str:
    """Return the model id from a Converse path."""
    return unquote(received.path.split("/")[2])


class FakeBedrock(FakeServer):
    def render(self, behaviour: Behaviour, received: Received) -> Reply:
        request_id = self.next_request_id()
        if behaviour.kind in _ERRORS:
            status, error_type, message = _ERRORS[behaviour.kind]
            if behaviour.kind == "server_error":
                status = behaviour.status
            body = {"__type": error_type, "message": behaviour.message or message}
            headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id,
                       "x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/"}
            return Reply(status, json.dumps(body).encode(), headers)
        return Reply(200, json.dumps(self._converse(behaviour, received)).encode(),
                     {"Content-Type": "application/json", "x-amzn-RequestId": request_id})

    def _converse(self, behaviour: Behaviour, received: Received) -> dict[str, Any]:
        tool = received.body.get("toolConfig", {}).get("tools", [{}])[0].get("toolSpec", {}).get("name", "tool")
        if behaviour.kind == "no_tool":
            content: list[dict[str, Any]] = [{"text": "I would rather answer in prose."}]
            stop = "end_turn"
        elif behaviour.kind == "stopped":
            content = ([{"toolUse": {"toolUseId": "tooluse_1", "name": tool, "input": behaviour.payload}}]
                       if behaviour.payload is not None else [{"text": "I can't help with that."}])
            stop = behaviour.stop_reason
        elif behaviour.kind == "malformed":
            content = [{"toolUse": {"toolUseId": "tooluse_1", "name": tool, "input": "not an object"}}]
            stop = "tool_use"
        else:
            payload = behaviour.payload if behaviour.payload is not None else self.default.payload
            content = [{"toolUse": {"toolUseId": "tooluse_1", "name": tool,
                                    "input": payload if payload is not None else self.default_payload}}]
            stop = "tool_use"
        usage = {"inputTokens": 100, "outputTokens": 20, "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0,
                 **behaviour.usage}
        if stop == "max_tokens" and "outputTokens" not in behaviour.usage:  # cut off exactly at the limit
            usage["outputTokens"] = received.body.get("inferenceConfig", {}).get("maxTokens", 0)
        usage["totalTokens"] = sum(usage.values())
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": usage,
            "metrics": {"latencyMs": 1},
        }
