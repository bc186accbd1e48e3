"""How an answer stopped decides whether it is data: through the real boto3 and anthropic clients.

Only ``end_turn``, ``tool_use`` and ``stop_sequence`` end an answer that may be parsed. A truncated one
is asked again once with a larger output limit and never parsed; a refusal fails at once, unretried;
a context overflow fails with the reason; any other reason counts as no answer.
"""
from __future__ import annotations

from typing import Any

import pytest

from backend.llm.gateway import InvalidAnswer
from backend.llm.models import LLMCall
from backend.llm.types import LLMError
from tests.llm.fakes import server as fake
from tests.llm.helpers import call, only

pytestmark = pytest.mark.django_db

PROVIDERS = ["bedrock", "anthropic"]
# The WHERE clause a truncated SQL answer lost: were it parsed, the widget would show the whole book.
CUT_SQL = {"answer": "SELECT SUM(paid_amount) FROM claims"}
WHOLE_SQL = {"answer": "SELECT SUM(paid_amount) FROM claims WHERE status = 'closed'"}


@pytest.fixture(params=PROVIDERS)
def server(request, knobs, monkeypatch) -> Any:
    only(request.param)
    return request.getfixturevalue(f"fake_{request.param}")


def _limit(received: Any) -> int:
    body = received.body
    return body["inferenceConfig"]["maxTokens"] if "inferenceConfig" in body else body["max_tokens"]


def _rows() -> list[tuple[str, str]]:
    return list(LLMCall.objects.order_by("id").values_list("outcome", "stop_reason"))


def test_a_truncated_answer_is_never_parsed_and_is_asked_again_with_a_larger_limit(server) -> None:
    parsed: list[dict[str, Any]] = []
    server.script(fake.stopped("max_tokens", CUT_SQL), fake.ok(WHOLE_SQL))
    assert call("fast", validator=lambda p: parsed.append(p)) == WHOLE_SQL
    assert parsed == [WHOLE_SQL]  # the cut answer never reached the parser
    first, again = server.requests
    assert _limit(again) == 2 * _limit(first)
    assert len(again.body["messages"]) == 1  # asked again, not corrected: the cut answer is not in it
    assert _rows() == [("truncated", "max_tokens"), ("ok", "tool_use")]


def test_an_answer_truncated_twice_fails_with_the_reason_and_no_data(server) -> None:
    server.script(fake.stopped("max_tokens", CUT_SQL), fake.stopped("max_tokens", CUT_SQL))
    with pytest.raises(LLMError) as caught:
        call("fast", validator=lambda p: pytest.fail("a truncated answer was parsed"))
    assert (caught.value.code, caught.value.retryable) == ("llm_truncated", False)
    assert "cut off" in caught.value.message and "also after one retry" in caught.value.message
    assert len(server.requests) == 2 and [r[0] for r in _rows()] == ["truncated", "truncated"]


def test_the_larger_limit_stays_within_the_models_own(server) -> None:
    from backend.llm.models import ModelCapability

    ModelCapability.objects.filter(model_prefix="claude-sonnet-4-6").update(max_output_tokens=5000)
    server.script(fake.stopped("max_tokens", CUT_SQL), fake.ok(WHOLE_SQL))
    call("fast")
    assert _limit(server.requests[1]) == 5000


@pytest.mark.parametrize("reason", ["refusal", "content_filtered", "guardrail_intervened"])
def test_a_refusal_fails_at_once_and_is_not_retried(server, reason) -> None:
    server.script(fake.stopped(reason))
    with pytest.raises(LLMError) as caught:
        call("fast", validator=lambda p: pytest.fail("a refusal was parsed"))
    assert (caught.value.code, caught.value.retryable) == ("llm_refused", False)
    assert "declined" in caught.value.message
    assert len(server.requests) == 1 and _rows() == [("refused", reason)]


def test_a_context_overflow_fails_with_the_reason_and_no_larger_limit(server) -> None:
    server.script(fake.stopped("model_context_window_exceeded", CUT_SQL))
    with pytest.raises(LLMError) as caught:
        call("fast")
    assert (caught.value.code, caught.value.retryable) == ("llm_context_overflow", False)
    assert "context window" in caught.value.message and len(server.requests) == 1


@pytest.mark.parametrize("reason", ["pause_turn", "malformed_model_output", "malformed_tool_use",
                                    "a_reason_added_next_year"])
def test_any_other_stop_reason_is_no_answer_and_goes_back_as_a_correction(server, reason) -> None:
    server.script(fake.stopped(reason, CUT_SQL), fake.ok(WHOLE_SQL))
    assert call("fast", validator=lambda p: None if p == WHOLE_SQL else "parsed a cut answer") == WHOLE_SQL
    assert _rows() == [("validation_failed", reason), ("corrected", "tool_use")]
    assert "stopped early" in str(server.requests[1].body["messages"][2])


@pytest.mark.parametrize("reason", ["end_turn", "stop_sequence"])
def test_a_whole_answer_is_taken_whatever_normal_reason_ended_it(server, reason) -> None:
    server.script(fake.stopped(reason, WHOLE_SQL))
    assert call("fast") == WHOLE_SQL
    assert _rows() == [("ok", reason)]


def test_an_answer_stopped_early_four_times_raises_the_last_reason(server) -> None:
    server.script(*[fake.stopped("malformed_tool_use")] * 4)
    with pytest.raises(InvalidAnswer, match="stopped early"):
        call("fast")
