"""Review attacks on the gateway's handling of answers, through the real boto3 client and the fake Converse server."""
from __future__ import annotations

import json

import pytest

from backend.llm.models import LLMCall
from tests.llm.fakes import server as fake
from tests.llm.helpers import call, only

pytestmark = pytest.mark.django_db
CUT = {"answer": "SELECT SUM(paid_amount) FROM claims"}
WHOLE = {"answer": "SELECT SUM(paid_amount) FROM claims WHERE status = 'closed'"}


@pytest.fixture
def bedrock(knobs, fake_bedrock):
    only("bedrock")
    return fake_bedrock


def _limit(received) -> int:
    return received.body["inferenceConfig"]["maxTokens"]


def test_the_retry_after_a_truncated_answer_asks_for_more_than_the_first_limit(bedrock) -> None:
    """Claim 3: max_tokens -> one retry "with twice the output limit". The larger limit is computed from
    the *reported* output tokens, not from the limit that was sent: an answer cut off whose usage says
    10 output tokens (a proxy, a provider counting differently, a missing usage block) is asked again
    with maxTokens=20 -- a fifth of a percent of the first limit -- and so is cut off again for sure."""
    bedrock.script(fake.stopped("max_tokens", CUT, outputTokens=10), fake.ok(WHOLE))
    call("fast")
    first, again = bedrock.requests
    assert _limit(again) >= 2 * _limit(first), f"first limit {_limit(first)}, retry limit {_limit(again)}"


def test_an_answer_calling_another_tool_is_not_taken_as_the_requested_one(bedrock) -> None:
    """The call forces one tool; an answer whose toolUse names another tool is parsed anyway (the name is
    never compared, and answer_turn rewrites it to the requested tool in the stored conversation)."""
    body = {"output": {"message": {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "tooluse_x", "name": "delete_everything", "input": {"answer": "42"}}}]}},
        "stopReason": "tool_use", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1}}
    bedrock.script(fake.raw(200, json.dumps(body).encode()), fake.ok(WHOLE))
    assert call("fast") == WHOLE, "the answer to another tool was used"


def test_a_refusal_in_the_middle_of_a_correction_loop_fails_at_once(bedrock) -> None:
    """Held: a refusal after a correction is not parsed, retried or escalated."""
    from backend.llm.types import LLMError

    bedrock.script(fake.ok({"answer": "bad"}), fake.stopped("refusal"))
    with pytest.raises(LLMError) as caught:
        call("fast", validator=lambda p: "not good" if p["answer"] == "bad" else None)
    assert caught.value.code == "llm_refused" and len(bedrock.requests) == 2
    assert list(LLMCall.objects.order_by("id").values_list("outcome", flat=True)) == ["validation_failed", "refused"]


@pytest.fixture(params=["bedrock", "anthropic"])
def either(request, knobs):
    only(request.param)
    return request.param, request.getfixturevalue(f"fake_{request.param}")



def test_a_deeply_nested_answer_is_a_recorded_bad_response_not_a_crash(either) -> None:
    """An answer nested a few thousand levels deep (within an 8k-token output) makes the SDK's JSON parser
    raise RecursionError, which neither provider maps to an LLMError: it escapes the gateway as an
    unexpected exception (the step fails as "Something went wrong"), the attempt has no ledger row --
    so its cost is not counted toward the budget caps -- and no fallback route is tried."""
    from backend.llm.types import LLMError

    provider, server = either
    nested = "[" * 5000 + "]" * 5000
    if provider == "bedrock":
        body = ('{"output": {"message": {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", '
                '"name": "record_answer", "input": {"answer": ' + nested + '}}}]}}, "stopReason": "tool_use", '
                '"usage": {"inputTokens": 1, "outputTokens": 8000, "totalTokens": 8001}, "metrics": {"latencyMs": 1}}')
    else:
        body = ('{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6", '
                '"content": [{"type": "tool_use", "id": "toolu_1", "name": "record_answer", "input": {"answer": '
                + nested + '}}], "stop_reason": "tool_use", "stop_sequence": null, '
                '"usage": {"input_tokens": 1, "output_tokens": 8000}}')
    server.script(*[fake.raw(200, body.encode())] * 10)
    try:
        call("fast")
        outcome = "answered"
    except LLMError as exc:
        outcome = exc.code
    except RecursionError:
        outcome = "RecursionError escaped the gateway"
    rows = LLMCall.objects.count()
    assert (outcome in ("llm_bad_response", "llm_unavailable"), rows > 0) == (True, True), (outcome, rows)
