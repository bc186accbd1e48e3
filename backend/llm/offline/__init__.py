"""The deterministic offline model.

It stands in for a real model when ``BUILDER_MODE=offline``: same request, same
tool-shaped payload, no network. It reads what a real model would read — the
JSON context and prompt the call sites send — so its answer depends on the
prompt (another metric or window gives another widget), never a canned reply.
"""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable

from backend.llm.models import ModelRoute
from backend.llm.offline import intent, spec, sql, tsx
from backend.llm.types import LLMError, LLMRequest, LLMResult, Usage

MODEL_ID = "offline-deterministic-1"

_HANDLERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "record_intent": intent.answer,
    "record_widget_spec": spec.answer,
    "record_sql": sql.answer,
    "record_tsx": tsx.answer,
}


def _tokens(text: str) -> int:
    # A rough count (about four characters a token) so the ledger shows plausible sizes.
    return max(1, len(text) // 4)


class OfflineModel:
    name = "offline"

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult:
        """Answer ``request`` by calling its tool with a payload derived from the prompt.

        Raises:
            LLMError: (not retryable) the tool is one this model does not know, or
                the context/prompt is not the JSON the call sites send.
        """
        started = time.perf_counter()
        handler = _HANDLERS.get(request.tool.name)
        if handler is None:
            raise LLMError(f"The offline model cannot call tool {request.tool.name!r}.", retryable=False,
                           code="llm_bad_request")
        try:
            context = json.loads(request.context or "{}")
            prompt = json.loads(request.prompt)
        except json.JSONDecodeError as exc:
            raise LLMError(f"The offline model needs JSON context and prompt: {exc}", retryable=False,
                           code="llm_bad_request") from exc
        payload = handler(context, prompt)
        text = json.dumps(payload, sort_keys=True)
        digest = hashlib.sha256((request.prompt + request.context).encode()).hexdigest()[:16]
        return LLMResult(
            payload=payload,
            text=text,
            stop_reason="tool_use",
            usage=Usage(
                input_tokens=_tokens(request.system + request.context + request.prompt),
                output_tokens=_tokens(text),
            ),
            latency_ms=int((time.perf_counter() - started) * 1000),
            model_id=MODEL_ID,
            provider=self.name,
            request_id=f"offline-{digest}",
        )
