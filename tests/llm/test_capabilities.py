"""Model capability records: matched by prefix across Bedrock profile names."""
from __future__ import annotations

import pytest

from backend.llm.capabilities import Capability, capability_for, normalise, output_tokens
from backend.llm.models import ModelCapability

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("model_id", "expected"), [
    ("us.anthropic.claude-opus-4-7", "claude-opus-4-7"),
    ("eu.anthropic.claude-opus-4-7", "claude-opus-4-7"),
    ("global.anthropic.claude-sonnet-4-6", "claude-sonnet-4-6"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku-20241022-v1:0"),
    ("claude-opus-4-7", "claude-opus-4-7"),
    ("meta.llama3-1-70b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0"),
])
def test_profile_and_vendor_prefixes_are_ignored(model_id: str, expected: str) -> None:
    assert normalise(model_id) == expected


def test_opus_4_7_is_seeded_as_rejecting_sampling_parameters(llm_routing) -> None:
    for model_id in ("us.anthropic.claude-opus-4-7", "claude-opus-4-7"):
        capability = capability_for(model_id)
        assert (capability.accepts_temperature, capability.accepts_top_p) == (False, False)


def test_an_unknown_model_gets_permissive_defaults(llm_routing) -> None:
    assert capability_for("us.anthropic.claude-haiku-4-5-20251001-v1:0") == Capability()


def test_the_longest_prefix_wins(llm_routing) -> None:
    ModelCapability.objects.create(model_prefix="claude-opus", accepts_temperature=True)
    assert capability_for("claude-opus-4-7").accepts_temperature is False
    assert capability_for("claude-opus-4-5").accepts_temperature is True


@pytest.mark.parametrize(("requested", "route_max", "model_max", "expected"), [
    (4096, 8192, None, 4096), (9000, 8192, None, 8192), (9000, 8192, 1000, 1000), (10, 8192, 1000, 10)])
def test_output_tokens_is_the_smallest_limit(requested, route_max, model_max, expected) -> None:
    assert output_tokens(requested, route_max, Capability(max_output_tokens=model_max)) == expected
