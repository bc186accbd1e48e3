"""Corrections as a conversation: a refused answer goes back to the same model with the reason, as a
tool result marked as an error in each API's wire form; only when the tier's tries are spent does the
step escalate, once, to the next tier."""
from __future__ import annotations

from typing import Any

import pytest

from backend.llm.gateway import InvalidAnswer, get_llm
from backend.llm.models import LLMCall, ModelRoute, Tier
from tests.llm.fakes import server as fake
from tests.llm.fakes.bedrock import model_of
from tests.llm.helpers import call, only, request

pytestmark = pytest.mark.django_db

SONNET, OPUS = "us.anthropic.claude-sonnet-4-6", "us.anthropic.claude-opus-4-7"


def _no_drop_table(payload: dict[str, Any]) -> str | None:
    return "DROP is not allowed" if "DROP" in payload.get("answer", "") else None


def _rows() -> list[tuple[str, str, str]]:
    return list(LLMCall.objects.order_by("id").values_list("tier", "requested_model", "outcome"))


@pytest.fixture
def bedrock(knobs, fake_bedrock):
    only("bedrock")
    return fake_bedrock


def test_a_refused_answer_goes_back_to_the_same_model_as_a_converse_tool_result_error(bedrock) -> None:
    bedrock.script(fake.ok({"answer": "DROP TABLE x"}), fake.ok({"answer": "SELECT 1"}))
    assert call("fast", validator=_no_drop_table) == {"answer": "SELECT 1"}
    assert _rows() == [("fast", SONNET, "validation_failed"), ("fast", SONNET, "corrected")]
    first, again = bedrock.requests
    assert model_of(first) == model_of(again) == SONNET
    assert again.body["messages"][0] == first.body["messages"][0]  # the same opening prompt
    assert again.body["messages"][1] == {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "tooluse_1", "name": "record_answer", "input": {"answer": "DROP TABLE x"}}}]}
    result = again.body["messages"][2]["content"][0]["toolResult"]
    assert (result["toolUseId"], result["status"]) == ("tooluse_1", "error")
    assert "DROP is not allowed" in result["content"][0]["text"]


def test_a_refused_answer_goes_back_as_an_anthropic_tool_result_with_is_error(knobs, fake_anthropic) -> None:
    only("anthropic")
    fake_anthropic.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "SELECT 1"}))
    assert call("fast", validator=_no_drop_table) == {"answer": "SELECT 1"}
    first, again = fake_anthropic.requests
    assert first.body["model"] == again.body["model"] == "claude-sonnet-4-6"
    assert again.body["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "record_answer", "input": {"answer": "DROP"}}]}
    [block] = again.body["messages"][2]["content"]
    assert (block["type"], block["tool_use_id"], block["is_error"]) == ("tool_result", "toolu_1", True)
    assert "DROP is not allowed" in block["content"]


def test_when_the_tiers_tries_are_spent_it_escalates_once_with_the_whole_conversation(bedrock) -> None:
    bedrock.script(fake.ok({"answer": "DROP 1"}), fake.ok({"answer": "DROP 2"}), fake.ok({"answer": "SELECT 1"}))
    assert call("fast", validator=_no_drop_table) == {"answer": "SELECT 1"}
    assert _rows() == [("fast", SONNET, "validation_failed"), ("fast", SONNET, "validation_failed"),
                       ("reasoning", OPUS, "escalated")]
    escalated = bedrock.requests[2]
    assert model_of(escalated) == OPUS
    assert [m["role"] for m in escalated.body["messages"]] == ["user", "assistant", "user", "assistant", "user"]


def test_the_number_of_same_model_tries_is_the_tiers_setting(bedrock) -> None:
    Tier.objects.filter(name="fast").update(same_model_tries=3)
    bedrock.script(*[fake.ok({"answer": "DROP"})] * 2, fake.ok({"answer": "SELECT 1"}))
    call("fast", validator=_no_drop_table)
    assert [row[1] for row in _rows()] == [SONNET] * 3


def test_an_escalation_tier_escalates_no_further_and_the_last_refusal_is_raised(bedrock) -> None:
    Tier.objects.filter(name="reasoning").update(escalates_to=Tier.objects.get(name="fast"))
    bedrock.script(*[fake.ok({"answer": "DROP"})] * 4)
    with pytest.raises(InvalidAnswer, match="DROP is not allowed"):
        call("fast", validator=_no_drop_table)
    assert [row[0] for row in _rows()] == ["fast", "fast", "reasoning", "reasoning"]
    assert len(bedrock.requests) == 4


def test_a_tier_without_escalation_stops_after_its_own_tries(bedrock) -> None:
    Tier.objects.filter(name="fast").update(escalates_to=None)
    bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "DROP"}))
    with pytest.raises(InvalidAnswer):
        call("fast", validator=_no_drop_table)
    assert [row[0] for row in _rows()] == ["fast", "fast"]


def test_an_escalation_tier_without_an_enabled_route_is_skipped(bedrock) -> None:
    ModelRoute.objects.filter(tier__name="reasoning").update(enabled=False)
    bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "SELECT 1"}))
    assert call("fast", validator=_no_drop_table) == {"answer": "SELECT 1"}
    assert [(row[0], row[2]) for row in _rows()] == [("fast", "validation_failed"), ("fast", "corrected")]


def test_an_accepted_first_answer_is_neither_corrected_nor_escalated(bedrock) -> None:
    call("fast", validator=_no_drop_table)
    assert [row[2] for row in _rows()] == ["ok"]


def test_a_stored_conversation_carries_on_and_an_unjudged_answer_is_judged_without_a_call(bedrock) -> None:
    saved: list[list[dict[str, Any]]] = []
    bedrock.script(fake.ok({"answer": "DROP"}), fake.ok({"answer": "SELECT 1"}))
    get_llm("fast").ask(request(), lambda p: p if "DROP" not in p["answer"] else (_ for _ in ()).throw(
        InvalidAnswer("DROP is not allowed")), on_turn=lambda turns: saved.append(list(turns)))
    assert [[t["role"] for t in turns] for turns in saved] == [
        ["assistant"], ["assistant", "user"], ["assistant", "user", "assistant"]]
    # A job that stopped right after the model answered: the next one judges that answer, paying nothing.
    calls_before = len(bedrock.requests)
    resumed = get_llm("fast").ask(request(history=tuple(saved[-1])), dict)
    assert resumed == {"answer": "SELECT 1"} and len(bedrock.requests) == calls_before
