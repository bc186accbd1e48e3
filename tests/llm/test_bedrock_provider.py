"""The real boto3 client against the fake Converse server: what we send and how we read replies."""
from __future__ import annotations

from decimal import Decimal

import pytest

from backend.llm.gateway import InvalidAnswer
from backend.llm.models import LLMCall, ModelRoute
from backend.llm.types import LLMError
from tests.llm.fakes import server as fake
from tests.llm.fakes.bedrock import model_of
from tests.llm.helpers import call, only, outcomes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bedrock_only(knobs, fake_bedrock) -> None:
    only("bedrock")


def test_it_forces_the_tool_call(fake_bedrock) -> None:
    result = call("fast")
    sent = fake_bedrock.requests[0]
    assert sent.path.endswith("/converse") and model_of(sent) == "us.anthropic.claude-sonnet-4-6"
    assert sent.body["toolConfig"]["toolChoice"] == {"tool": {"name": "record_answer"}}
    assert result == {"ok": True}


def test_it_puts_the_cache_point_after_the_stable_prefix(fake_bedrock) -> None:
    call("fast")
    assert fake_bedrock.requests[0].body["system"] == [
        {"text": "You answer briefly."}, {"text": '{"slice": "a long, stable prefix"}'}, {"cachePoint": {"type": "default"}}]
    assert fake_bedrock.requests[0].body["messages"] == [{"role": "user", "content": [{"text": '{"question": "what?"}'}]}]


def test_it_sends_no_temperature_to_a_model_that_rejects_it(fake_bedrock) -> None:
    call("reasoning", temperature=0.2, top_p=0.9)
    assert model_of(fake_bedrock.requests[0]) == "us.anthropic.claude-opus-4-7"
    assert "temperature" not in fake_bedrock.requests[0].body["inferenceConfig"]
    assert "topP" not in fake_bedrock.requests[0].body["inferenceConfig"]


def test_it_sends_temperature_to_a_model_that_accepts_it(fake_bedrock) -> None:
    call("fast", temperature=0.2)
    assert fake_bedrock.requests[0].body["inferenceConfig"]["temperature"] == 0.2


def test_max_tokens_is_the_smallest_of_request_route_and_model(fake_bedrock) -> None:
    ModelRoute.objects.filter(tier__name="fast").update(max_tokens=1000)
    call("fast", max_tokens=2000)
    call("fast", max_tokens=300)
    assert [r.body["inferenceConfig"]["maxTokens"] for r in fake_bedrock.requests] == [1000, 300]


def test_usage_with_cache_tokens_is_recorded_and_priced(fake_bedrock) -> None:
    fake_bedrock.script(fake.ok({"answer": "x"}, inputTokens=1_000_000, outputTokens=100_000,
                                cacheReadInputTokens=2_000_000, cacheWriteInputTokens=10_000))
    result = call("fast")
    row = LLMCall.objects.get()
    assert (row.cache_read_tokens, row.cache_write_tokens) == (2_000_000, 10_000)
    assert row.cost_usd == Decimal("5.137500")  # 3.00 + 1.50 + 0.60 + 0.0375 at Sonnet's prices
    assert row.request_id == "fake-req-0001" and result == {"answer": "x"}


def test_access_denied_is_actionable_and_never_retried(fake_bedrock) -> None:
    fake_bedrock.script(fake.access_denied())
    with pytest.raises(LLMError) as caught:
        call("reasoning")
    assert "Model access not enabled for us.anthropic.claude-opus-4-7 in us-east-1" in caught.value.message
    assert (caught.value.code, caught.value.retryable) == ("llm_access_denied", False)
    assert len(fake_bedrock.requests) == 1 and outcomes() == [("bedrock", "error")]


@pytest.mark.parametrize(("behaviour", "code"), [(fake.validation(), "llm_bad_request"),
                                                 (fake.not_found(), "llm_model_not_found")])
def test_permanent_errors_are_not_retried(fake_bedrock, behaviour, code) -> None:
    fake_bedrock.script(behaviour)
    with pytest.raises(LLMError) as caught:
        call("fast")
    assert caught.value.code == code and len(fake_bedrock.requests) == 1


@pytest.mark.parametrize("behaviour", [fake.throttle(), fake.server_error(503), fake.server_error(500),
                                       fake.not_ready()])
def test_a_transient_error_is_retried_on_the_same_route(fake_bedrock, behaviour) -> None:
    fake_bedrock.script(behaviour)
    assert call("fast") == {"ok": True}
    assert outcomes() == [("bedrock", "retried"), ("bedrock", "ok")]


def test_a_reply_slower_than_the_read_timeout_is_retried(fake_bedrock) -> None:
    ModelRoute.objects.update(timeout_s=1)
    fake_bedrock.script(fake.slow(1.5))
    assert call("fast") == {"ok": True}
    row = LLMCall.objects.order_by("id").first()
    assert (row.outcome, row.error_code) == ("retried", "llm_timeout")


def test_an_answer_without_the_tool_call_is_corrected_on_the_same_model(fake_bedrock) -> None:
    fake_bedrock.script(fake.no_tool())
    assert call("fast") == {"ok": True}
    assert outcomes() == [("bedrock", "validation_failed"), ("bedrock", "corrected")]
    first, again = fake_bedrock.requests
    assert model_of(first) == model_of(again) == "us.anthropic.claude-sonnet-4-6"
    assert again.body["messages"][1] == {"role": "assistant",
                                         "content": [{"text": "I would rather answer in prose."}]}
    assert "without calling record_answer" in again.body["messages"][2]["content"][0]["text"]


def test_malformed_tool_input_is_never_taken_as_a_payload(fake_bedrock) -> None:
    fake_bedrock.script(*[fake.malformed()] * 4)
    with pytest.raises(InvalidAnswer, match="without calling record_answer"):
        call("fast")
    assert outcomes() == [("bedrock", "validation_failed")] * 4  # twice on each tier, then no more


def test_an_assumed_role_signs_the_calls_with_the_roles_credentials(fake_bedrock, monkeypatch) -> None:
    from tests.llm.fakes.sts import ACCESS_KEY, FakeSts

    sts = FakeSts().start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        monkeypatch.setenv("BEDROCK_ASSUME_ROLE_ARN", "arn:aws:iam::123456789012:role/BedrockInvoke")
        call("fast")
    finally:
        sts.stop()
    assert sts.requests[0].body["Action"] == "AssumeRole"
    assert sts.requests[0].body["RoleArn"] == "arn:aws:iam::123456789012:role/BedrockInvoke"
    assert f"Credential={ACCESS_KEY}/" in fake_bedrock.requests[0].headers["authorization"]


def test_a_bare_5xx_from_a_proxy_is_retried_like_a_typed_one(fake_bedrock) -> None:
    fake_bedrock.script(fake.raw(502, b"<html><body>502 Bad Gateway</body></html>", "text/html"))
    assert call("fast") == {"ok": True}
    assert outcomes() == [("bedrock", "retried"), ("bedrock", "ok")]


def test_a_converse_reply_missing_its_parts_is_a_retryable_gateway_error(fake_bedrock) -> None:
    fake_bedrock.script(fake.raw(200, b'{"output": {"message": {"content": [{"toolUse": {"name": "x"}}]}}}'))
    assert call("fast") == {"ok": True}
    assert outcomes() == [("bedrock", "retried"), ("bedrock", "ok")]
    assert LLMCall.objects.order_by("id").first().error_code == "llm_bad_response"
