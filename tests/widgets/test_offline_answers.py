"""The steps' offline answers read the prompt: different words give different widgets."""
from __future__ import annotations

from typing import Any

import pytest

from backend.llm.gateway import get_llm
from backend.llm.ledger import CallContext
from backend.llm.types import LLMError, LLMRequest, Tool
from sql_gen.selectors import catalog
from sql_gen.services.demo import demo_source_seed
from widgets.services.clarifier import CLARIFY, ClarifierInput
from widgets.services.spec import SPEC, SpecInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_catalog() -> dict[str, Any]:
    return catalog(source=demo_source_seed())


def _intent(demo_catalog: dict[str, Any], text: str, answers: list[str] | None = None) -> dict[str, Any]:
    inputs = ClarifierInput(prompt=text, answers=[{"question": "q", "answer": a} for a in answers or []],
                            catalog=demo_catalog)
    return CLARIFY.run(inputs, context=CallContext()).model_dump(mode="json")


@pytest.mark.parametrize(
    ("text", "metric", "kind", "window"),
    [
        ("total paid amount over the last 30 days", "total_paid", "kpi", {"kind": "last", "n": 30, "unit": "day"}),
        ("claim count over the last 7 days", "claim_count", "kpi", {"kind": "last", "n": 7, "unit": "day"}),
        ("open claims in the past 2 weeks", "open_claims", "kpi", {"kind": "last", "n": 2, "unit": "week"}),
        ("average settlement days last quarter", "avg_settlement_days", "kpi", {"kind": "last", "n": 3, "unit": "month"}),
        ("loss ratio over the last 12 months", "loss_ratio", "kpi", {"kind": "last", "n": 12, "unit": "month"}),
        ("distinct claimants all time", "distinct_claimants", "kpi", {"kind": "all"}),
        ("monthly claim count trend over the last 12 months", "claim_count", "chart",
         {"kind": "last", "n": 12, "unit": "month"}),
        ("total paid by region last 90 days", "total_paid", "chart", {"kind": "last", "n": 90, "unit": "day"}),
        ("claims by channel as a table for the last year", "claim_count", "table", {"kind": "last", "n": 1, "unit": "year"}),
    ],
)
def test_it_reads_metric_type_and_window_from_the_words(demo_catalog, text, metric, kind, window) -> None:
    intent = _intent(demo_catalog, text)
    assert (intent["metric_key"], intent["widget_type"], intent["time_window"]) == (metric, kind, window)
    assert intent["questions"] == []


def test_it_picks_dimensions_and_filters(demo_catalog) -> None:
    intent = _intent(demo_catalog, "total paid by region and channel for Auto products in the last 30 days")
    assert intent["dimensions"] == ["regions.name", "channels.name"]
    assert intent["filters"] == [{"dimension": "products.line", "values": ["Auto"]}]


def test_it_asks_with_options_when_the_metric_and_window_are_missing(demo_catalog) -> None:
    intent = _intent(demo_catalog, "show me something about the business")
    ids = [q["id"] for q in intent["questions"]]
    assert ids == ["metric", "time_window"]
    assert "Total paid" in intent["questions"][0]["options"]
    assert "Last 30 days" in intent["questions"][1]["options"]


def test_an_answer_chosen_from_the_options_resolves_the_question(demo_catalog) -> None:
    intent = _intent(demo_catalog, "claim count by region", answers=["Last 90 days"])
    assert intent["questions"] == []
    assert intent["time_window"] == {"kind": "last", "n": 90, "unit": "day"}


def test_the_spec_follows_the_intent(demo_catalog) -> None:
    intent = _intent(demo_catalog, "weekly total paid over the last 6 months")
    spec = SPEC.run(SpecInput(request_text="x", intent=intent, catalog=demo_catalog),
                    context=CallContext()).model_dump(mode="json")
    assert spec["kind"] == "chart" and spec["grain"] == "week" and spec["chart_type"] == "line"
    assert spec["title"] == "Total paid per week · last 6 months"


def test_a_request_without_an_offline_answer_is_a_permanent_error(llm_routing) -> None:
    tool = Tool(name="summon_dragon", description="", input_schema={"type": "object"})
    with pytest.raises(LLMError) as caught:
        get_llm("fast").ask(LLMRequest(system="s", prompt="{}", tool=tool), dict)
    assert caught.value.retryable is False and "no offline answer" in caught.value.message
