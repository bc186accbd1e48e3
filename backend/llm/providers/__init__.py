"""Providers behind one interface: ``complete(request, route=...) -> LLMResult``."""
from __future__ import annotations

from typing import Protocol

from backend.errors import ErrorCode
from backend.llm.models import ModelRoute
from backend.llm.types import LLMError, LLMRequest, LLMResult


class Provider(Protocol):
    name: str

    def complete(self, request: LLMRequest, *, route: ModelRoute) -> LLMResult: ...


def provider_for(name: str) -> Provider:
    """Return the provider called ``name`` (``offline``, ``bedrock``, ``anthropic``).

    Raises:
        LLMError: the name is unknown (a route saved before validation existed).
    """
    if name == "offline":
        from backend.llm.offline import OfflineModel

        return OfflineModel()
    if name == "bedrock":
        from backend.llm.providers.bedrock import BedrockProvider

        return BedrockProvider()
    if name == "anthropic":
        from backend.llm.providers.anthropic_api import AnthropicProvider

        return AnthropicProvider()
    raise LLMError(f"Unknown provider {name!r}.", retryable=False, code=ErrorCode.LLM_MISCONFIGURED)
