"""The real anthropic SDK against the fake Messages server."""
from __future__ import annotations

from decimal import Decimal

import pytest

from backend.llm.models import LLMCall
from backend.llm.types import LLMError
from tests.llm.fakes import server as fake
from tests.llm.helpers import call, only, outcomes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anthropic_only(knobs, fake_anthropic) -> None:
    only("anthropic")


def test_it_forces_the_tool_and_marks_the_cached_prefix(fake_anthropic) -> None:
    result = call("fast")
    sent = fake_anthropic.requests[0]
    assert sent.path == "/v1/messages" and sent.body["model"] == "claude-sonnet-4-6"
    assert sent.body["tool_choice"] == {"type": "tool", "name": "record_answer"}
    assert sent.body["system"][-1] == {"type": "text", "text": '{"slice": "a long, stable prefix"}',
                                       "cache_control": {"type": "ephemeral"}}
    assert "sk-ant-fake-key-for-tests" in (sent.headers.get("x-api-key") or sent.headers.get("authorization", ""))
    assert result == {"ok": True}


def test_it_sends_no_sampling_parameters_to_opus_4_7(fake_anthropic) -> None:
    call("reasoning", temperature=0.3, top_p=0.5)
    body = fake_anthropic.requests[0].body
    assert body["model"] == "claude-opus-4-7" and "temperature" not in body and "top_p" not in body


def test_usage_with_cache_tokens_and_the_request_id_are_recorded(fake_anthropic) -> None:
    fake_anthropic.script(fake.ok({"answer": "x"}, input_tokens=1_000_000, output_tokens=100_000,
                                  cache_read_input_tokens=2_000_000, cache_creation_input_tokens=10_000))
    call("fast")
    row = LLMCall.objects.get()
    assert (row.cache_read_tokens, row.cache_write_tokens, row.cost_usd) == (2_000_000, 10_000, Decimal("5.137500"))
    assert row.request_id == "req_fakereq0001"


@pytest.mark.parametrize("behaviour", [fake.throttle(), fake.server_error(500), fake.not_ready()])
def test_rate_limits_and_server_errors_are_retried(fake_anthropic, behaviour) -> None:
    fake_anthropic.script(behaviour)
    call("fast")
    assert outcomes() == [("anthropic", "retried"), ("anthropic", "ok")]


def test_a_permission_error_is_actionable_and_never_retried(fake_anthropic) -> None:
    fake_anthropic.script(fake.access_denied())
    with pytest.raises(LLMError) as caught:
        call("reasoning")
    assert (caught.value.code, caught.value.retryable) == ("llm_access_denied", False)
    assert "cannot use claude-opus-4-7" in caught.value.message
    assert len(fake_anthropic.requests) == 1


def test_a_bad_request_is_not_retried(fake_anthropic) -> None:
    fake_anthropic.script(fake.validation("max_tokens: too large"))
    with pytest.raises(LLMError, match="max_tokens: too large") as caught:
        call("fast")
    assert caught.value.code == "llm_bad_request" and len(fake_anthropic.requests) == 1


def test_a_reply_slower_than_the_timeout_is_retried(fake_anthropic) -> None:
    from backend.llm.models import ModelRoute

    ModelRoute.objects.update(timeout_s=1)
    fake_anthropic.script(fake.slow(1.5))
    call("fast")
    assert [(o, c) for o, c in LLMCall.objects.order_by("id").values_list("outcome", "error_code")] == [
        ("retried", "llm_timeout"), ("ok", "")]


@pytest.mark.parametrize("reply", [
    fake.raw(200, b"<html>gateway says hi</html>", "text/html"),
    fake.raw(200, b'{"type": "message"}'),
])
def test_a_malformed_reply_is_a_retryable_gateway_error_not_a_crash(fake_anthropic, reply) -> None:
    fake_anthropic.script(reply)
    assert call("fast") == {"ok": True}
    assert outcomes() == [("anthropic", "retried"), ("anthropic", "ok")]
    assert LLMCall.objects.order_by("id").first().error_code == "llm_bad_response"
