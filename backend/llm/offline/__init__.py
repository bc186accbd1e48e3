"""The deterministic offline model.

It stands in for a real model when ``BUILDER_MODE=offline``: same request, same tool-shaped
payload, no network. Each step brings its own offline answer beside its prompt
(``LLMRequest.offline``), which reads what a real model would read — the JSON context and prompt,
and the corrections of earlier answers — so the answer depends on the prompt (another metric or
window gives another widget), never a canned reply. The gateway itself knows no tool names.
"""
from __future__ import annotations

import hashlib
import json
import time

from backend.errors import ErrorCode
from backend.llm.conversation import corrections
from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult, OfflineQuery, Usage

MODEL_ID = "offline-deterministic-1"


def _tokens(text: str) -> int:
    # A rough count (about four characters a token) so the ledger shows plausible sizes.
    return max(1, len(text) // 4)


class OfflineModel:
    name = "offline"

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult:
        """Answer ``request`` by calling its tool with the payload its offline answer derives.

        Raises:
            LLMError: (not retryable) the request has no offline answer, or its context/prompt is
                not JSON.
        """
        started = time.perf_counter()
        if request.offline is None:
            raise LLMError(f"The offline model cannot answer {request.tool.name!r}: the step gave no offline "
                           "answer.", retryable=False, code=ErrorCode.LLM_BAD_REQUEST)
        try:
            query = OfflineQuery(context=json.loads(request.context or "{}"), prompt=json.loads(request.prompt),
                                 corrections=corrections(list(request.history)))
        except json.JSONDecodeError as exc:
            raise LLMError(f"The offline model needs JSON context and prompt: {exc}", retryable=False,
                           code=ErrorCode.LLM_BAD_REQUEST) from exc
        payload = request.offline(query)
        text = json.dumps(payload, sort_keys=True)
        digest = hashlib.sha256((request.prompt + request.context + json.dumps(request.history, sort_keys=True))
                                .encode()).hexdigest()[:16]
        return LLMResult(
            payload=payload,
            text="",
            stop_reason="tool_use",
            usage=Usage(input_tokens=_tokens(request.system + request.context + request.prompt),
                        output_tokens=_tokens(text)),
            latency_ms=int((time.perf_counter() - started) * 1000),
            model_id=MODEL_ID,
            provider=self.name,
            request_id=f"offline-{digest}",
            tool_call_id=f"offline_{digest}",
            tool_name=request.tool.name,
        )
