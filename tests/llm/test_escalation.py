"""A call site's validator: a rejected answer is asked again once, with the reason, a tier up."""
from __future__ import annotations

import json
from typing import Any

import pytest

from backend.llm.models import LLMCall, Tier
from backend.llm.types import LLMError
from tests.llm.fakes import server as fake
from tests.llm.fakes.bedrock import model_of
from tests.llm.helpers import call

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fakes(knobs, fake_bedrock) -> None:
    pass


def _no_drop_table(payload: dict[str, Any]) -> str | None:
    return "DROP is not allowed" if "DROP" in payload.get("answer", "") else None


def _rows() -> list[tuple[str, str, str]]:
    return list(LLMCall.objects.order_by("id").values_list("tier", "requested_model", "outcome"))


def test_a_rejected_answer_is_retried_on_the_next_tier_up_with_the_reason(fake_bedrock) -> None:
    fake_bedrock.script(fake.ok({"answer": "DROP TABLE x"}), fake.ok({"answer": "SELECT 1"}))
    assert call("fast", validator=_no_drop_table).payload == {"answer": "SELECT 1"}
    assert _rows() == [("fast", "us.anthropic.claude-sonnet-4-6", "validation_failed"),
                       ("reasoning", "us.anthropic.claude-opus-4-7", "escalated")]
    assert model_of(fake_bedrock.requests[1]) == "us.anthropic.claude-opus-4-7"
    prompt = json.loads(fake_bedrock.requests[1].body["messages"][0]["content"][0]["text"])
    assert prompt == {"question": "what?", "previous_error": "DROP is not allowed"}


def test_a_tier_without_escalation_retries_on_itself(fake_bedrock) -> None:
    Tier.objects.filter(name="fast").update(escalates_to=None)
    fake_bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "SELECT 1"}))
    call("fast", validator=_no_drop_table)
    assert [row[0] for row in _rows()] == ["fast", "fast"]


def test_an_escalation_tier_without_an_enabled_route_retries_on_the_same_tier(fake_bedrock) -> None:
    from backend.llm.models import ModelRoute

    ModelRoute.objects.filter(tier__name="reasoning").update(enabled=False)
    fake_bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "SELECT 1"}))
    assert call("fast", validator=_no_drop_table).payload == {"answer": "SELECT 1"}
    assert [(row[0], row[2]) for row in _rows()] == [("fast", "validation_failed"), ("fast", "escalated")]


def test_a_plain_text_prompt_gets_the_reason_as_a_sentence(fake_bedrock) -> None:
    fake_bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "SELECT 1"}))
    call("fast", validator=_no_drop_table, prompt="Write the query.")
    text = fake_bedrock.requests[1].body["messages"][0]["content"][0]["text"]
    assert text.startswith("Write the query.") and "rejected: DROP is not allowed" in text


def test_a_second_rejection_is_a_permanent_error_and_escalates_only_once(fake_bedrock) -> None:
    fake_bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "DROP"}))
    with pytest.raises(LLMError, match="DROP is not allowed") as caught:
        call("fast", validator=_no_drop_table)
    assert (caught.value.code, caught.value.retryable) == ("llm_bad_output", False)
    assert [row[2] for row in _rows()] == ["validation_failed", "validation_failed"]
    assert len(fake_bedrock.requests) == 2


def test_an_accepted_first_answer_is_not_escalated(fake_bedrock) -> None:
    call("fast", validator=_no_drop_table)
    assert [row[2] for row in _rows()] == ["ok"]
