"""Model capability records: matched by prefix across Bedrock profile names."""
from __future__ import annotations

import pytest

from backend.llm.capabilities import Capability, capability_for, normalise, output_tokens, sampling
from backend.llm.models import ModelCapability
from backend.llm.types import LLMRequest, Tool

TOOL = Tool("record_answer", "Record.", {"type": "object"})

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


def test_an_unknown_model_gets_no_sampling_parameter_and_no_cache_point(llm_routing) -> None:
    unknown = capability_for("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert unknown == Capability()
    assert (unknown.accepts_temperature, unknown.accepts_top_p, unknown.supports_prompt_cache) == (False, False, False)
    assert sampling(LLMRequest(system="s", prompt="p", tool=TOOL, temperature=0.2, top_p=0.9), unknown) == {}


def test_the_longest_prefix_wins(llm_routing) -> None:
    ModelCapability.objects.create(model_prefix="claude-opus", accepts_temperature=True)
    assert capability_for("claude-opus-4-7").accepts_temperature is False
    assert capability_for("claude-opus-4-5").accepts_temperature is True


@pytest.mark.parametrize(("requested", "route_max", "model_max", "expected"), [
    (4096, 8192, None, 4096), (9000, 8192, None, 8192), (9000, 8192, 1000, 1000), (10, 8192, 1000, 10)])
def test_output_tokens_is_the_smallest_limit(requested, route_max, model_max, expected) -> None:
    request = LLMRequest(system="s", prompt="p", tool=TOOL, max_tokens=requested)
    assert output_tokens(request, route_max, Capability(max_output_tokens=model_max)) == expected


@pytest.mark.parametrize(("override", "model_max", "expected"), [(16384, None, 16384), (16384, 10_000, 10_000)])
def test_the_retry_after_a_truncated_answer_passes_the_route_limit_not_the_models(override, model_max,
                                                                                 expected) -> None:
    request = LLMRequest(system="s", prompt="p", tool=TOOL, max_tokens=4096, max_tokens_override=override)
    assert output_tokens(request, 8192, Capability(max_output_tokens=model_max)) == expected


@pytest.mark.parametrize(("temperature", "top_p", "combines", "expected"), [
    (0.2, 0.9, False, {"temperature": 0.2}),
    (0.2, 0.9, True, {"temperature": 0.2, "top_p": 0.9}),
    (None, 0.9, False, {"top_p": 0.9}),
    (0.2, None, False, {"temperature": 0.2}),
    (None, None, True, {}),
])
def test_temperature_and_top_p_together_only_where_the_model_combines_them(temperature, top_p, combines,
                                                                           expected) -> None:
    model = Capability(accepts_temperature=True, accepts_top_p=True, combines_temperature_and_top_p=combines)
    request = LLMRequest(system="s", prompt="p", tool=TOOL, temperature=temperature, top_p=top_p)
    assert sampling(request, model) == expected


def test_sonnet_is_seeded_as_taking_either_sampling_parameter_but_not_both(llm_routing) -> None:
    sonnet = capability_for("us.anthropic.claude-sonnet-4-6")
    request = LLMRequest(system="s", prompt="p", tool=TOOL, temperature=0.0, top_p=0.5)
    assert sampling(request, sonnet) == {"temperature": 0.0}
