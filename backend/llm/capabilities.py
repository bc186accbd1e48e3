"""What a model accepts, read per call from admin-edited rows."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backend.llm import snapshot
from backend.llm.models import ModelCapability

if TYPE_CHECKING:
    from backend.llm.types import LLMRequest

# Bedrock cross-region inference profiles and the vendor prefix name the same model.
_PROFILE_PREFIX = re.compile(r"^(?:(?:us|eu|apac|jp|au|ca|global|us-gov)\.)?(?:anthropic\.)?")


@dataclass(frozen=True)
class Capability:
    """What one model accepts. The defaults are what an unknown model gets: nothing optional, so
    that no request is built that a model might refuse."""

    accepts_temperature: bool = False
    accepts_top_p: bool = False
    supports_prompt_cache: bool = False
    max_output_tokens: int | None = None
    # Current Claude models refuse temperature and top_p in one request.
    combines_temperature_and_top_p: bool = False


# Everything on: for tests and call sites that build arguments without a capability record.
PERMISSIVE = Capability(accepts_temperature=True, accepts_top_p=True, supports_prompt_cache=True,
                        combines_temperature_and_top_p=True)


def normalise(model_id: str) -> str:
    """Return ``model_id`` without a Bedrock region or vendor prefix (``us.anthropic.x`` → ``x``)."""
    return _PROFILE_PREFIX.sub("", model_id.strip())


def capability_for(model_id: str) -> Capability:
    """Return the capability of the longest matching prefix; an unknown model gets ``Capability()``,
    which sends no sampling parameter and no cache point."""
    name = normalise(model_id)
    best: ModelCapability | None = None
    for row in snapshot.current().capabilities:
        prefix = normalise(row.model_prefix)
        if name.startswith(prefix) and (best is None or len(prefix) > len(normalise(best.model_prefix))):
            best = row
    if best is None:
        return Capability()
    return Capability(best.accepts_temperature, best.accepts_top_p, best.supports_prompt_cache,
                      best.max_output_tokens, best.combines_temperature_and_top_p)


def sampling(request: LLMRequest, capability: Capability) -> dict[str, Any]:
    """Return the sampling parameters to send (``temperature``, ``top_p``): those the request sets and
    the model accepts; temperature alone when the model takes either but not both together."""
    chosen: dict[str, Any] = {}
    if request.temperature is not None and capability.accepts_temperature:
        chosen["temperature"] = request.temperature
    if request.top_p is not None and capability.accepts_top_p:
        if not chosen or capability.combines_temperature_and_top_p:
            chosen["top_p"] = request.top_p
    return chosen


def output_tokens(request: LLMRequest, route_max: int, capability: Capability) -> int:
    """Return the max output tokens to ask for: the smallest of request, route and model limits.

    A request's ``max_tokens_override`` (the one retry after a truncated answer) passes the route's
    limit; the model's own limit still holds.
    """
    model_max = [capability.max_output_tokens] if capability.max_output_tokens else []
    if request.max_tokens_override is not None:
        return min([request.max_tokens_override, *model_max])
    return min([request.max_tokens, route_max, *model_max])
