"""What a model accepts, read per call from admin-edited rows."""
from __future__ import annotations

import re
from dataclasses import dataclass

from backend.llm import snapshot
from backend.llm.models import ModelCapability

# Bedrock cross-region inference profiles and the vendor prefix name the same model.
_PROFILE_PREFIX = re.compile(r"^(?:(?:us|eu|apac|jp|au|ca|global|us-gov)\.)?(?:anthropic\.)?")


@dataclass(frozen=True)
class Capability:
    accepts_temperature: bool = True
    accepts_top_p: bool = True
    supports_prompt_cache: bool = True
    max_output_tokens: int | None = None


def normalise(model_id: str) -> str:
    """Return ``model_id`` without a Bedrock region or vendor prefix (``us.anthropic.x`` → ``x``)."""
    return _PROFILE_PREFIX.sub("", model_id.strip())


def capability_for(model_id: str) -> Capability:
    """Return the capability of the longest matching prefix, or permissive defaults when none matches."""
    name = normalise(model_id)
    best: ModelCapability | None = None
    for row in snapshot.current().capabilities:
        prefix = normalise(row.model_prefix)
        if name.startswith(prefix) and (best is None or len(prefix) > len(normalise(best.model_prefix))):
            best = row
    if best is None:
        return Capability()
    return Capability(best.accepts_temperature, best.accepts_top_p, best.supports_prompt_cache,
                      best.max_output_tokens)


def output_tokens(requested: int, route_max: int, capability: Capability) -> int:
    """Return the max output tokens to ask for: the smallest of request, route and model limits."""
    limits = [requested, route_max] + ([capability.max_output_tokens] if capability.max_output_tokens else [])
    return min(limits)
