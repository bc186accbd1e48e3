"""A fake Anthropic API speaking the Messages wire format (``POST /v1/messages``)."""
from __future__ import annotations

import json
from typing import Any

from tests.llm.fakes.server import Behaviour, FakeServer, Received, Reply

_ERRORS = {
    "throttle": (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    "server_error": (500, "api_error", "Internal server error."),
    "access_denied": (403, "permission_error", "Your API key does not have permission to use the specified resource."),
    "validation": (400, "invalid_request_error", ""),
    "not_found": (404, "not_found_error", "model: not found"),
    "not_ready": (529, "overloaded_error", "Overloaded"),
}


class FakeAnthropic(FakeServer):
    def render(self, behaviour: Behaviour, received: Received) -> Reply:
        request_id = "req_" + self.next_request_id().replace("-", "")
        headers = {"Content-Type": "application/json", "request-id": request_id}
        if behaviour.kind in _ERRORS:
            status, error_type, message = _ERRORS[behaviour.kind]
            if behaviour.kind == "server_error":
                status = behaviour.status
            body = {"type": "error", "error": {"type": error_type, "message": behaviour.message or message},
                    "request_id": request_id}
            return Reply(status, json.dumps(body).encode(), headers)
        return Reply(200, json.dumps(self._message(behaviour, received)).encode(), headers)

    def _message(self, behaviour: Behaviour, received: Received) -> dict[str, Any]:
        tool = (received.body.get("tools") or [{}])[0].get("name", "tool")
        if behaviour.kind == "no_tool":
            content: list[dict[str, Any]] = [{"type": "text", "text": "I would rather answer in prose."}]
            stop = "end_turn"
        elif behaviour.kind == "stopped":
            content = ([{"type": "tool_use", "id": "toolu_1", "name": tool, "input": behaviour.payload}]
                       if behaviour.payload is not None else [{"type": "text", "text": "I can't help with that."}])
            stop = behaviour.stop_reason
        elif behaviour.kind == "malformed":
            content = [{"type": "tool_use", "id": "toolu_1", "name": tool, "input": "not an object"}]
            stop = "tool_use"
        else:
            payload = behaviour.payload if behaviour.payload is not None else self.default.payload
            content = [{"type": "tool_use", "id": "toolu_1", "name": tool,
                        "input": payload if payload is not None else self.default_payload}]
            stop = "tool_use"
        usage = {"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 0,
                 "cache_creation_input_tokens": 0, **behaviour.usage}
        if stop == "max_tokens" and "output_tokens" not in behaviour.usage:  # cut off exactly at the limit
            usage["output_tokens"] = received.body.get("max_tokens", 0)
        return {"id": "msg_fake_1", "type": "message", "role": "assistant", "model": received.body.get("model", ""),
                "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}
