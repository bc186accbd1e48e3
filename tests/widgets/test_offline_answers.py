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
        ("total paid amount over the last 30 days", "total_paid", "kpi", {"kind": "rolling", "n": 30, "unit": "day"}),
        ("claim count over the last 7 days", "claim_count", "kpi", {"kind": "rolling", "n": 7, "unit": "day"}),
        ("open claims in the past 2 weeks", "open_claims", "kpi", {"kind": "rolling", "n": 2, "unit": "week"}),
        ("average settlement days last quarter", "avg_settlement_days", "kpi", {"kind": "previous", "unit": "quarter"}),
        ("loss ratio over the last 12 months", "loss_ratio", "kpi", {"kind": "rolling", "n": 12, "unit": "month"}),
        ("distinct claimants all time", "distinct_claimants", "kpi", {"kind": "all"}),
        ("monthly claim count trend over the last 12 months", "claim_count", "chart",
         {"kind": "rolling", "n": 12, "unit": "month"}),
        ("total paid by region last 90 days", "total_paid", "chart", {"kind": "rolling", "n": 90, "unit": "day"}),
        ("claims by channel as a table for the last year", "claim_count", "table", {"kind": "previous", "unit": "year"}),
        ("ytd claims", "claim_count", "kpi", {"kind": "to_date", "unit": "year"}),
        ("total paid in q3 2026", "total_paid", "kpi", {"kind": "period", "unit": "quarter", "year": 2026, "quarter": 3}),
        ("claims since 3 march 2026", "claim_count", "kpi", {"kind": "since", "start": "2026-03-03"}),
    ],
)
def test_it_reads_metric_type_and_window_from_the_words(demo_catalog, text, metric, kind, window) -> None:
    intent = _intent(demo_catalog, text)
    assert (intent["metric_key"], intent["widget_type"], intent["time_window"]) == (metric, kind, window)
    assert intent["questions"] == [] and intent["missing"] == []


def test_it_picks_dimensions_and_filters(demo_catalog) -> None:
    intent = _intent(demo_catalog, "total paid by region and channel for Auto products in the last 30 days")
    assert intent["dimensions"] == ["regions.name", "channels.name"]
    assert intent["filters"] == [{"dimension": "products.line", "op": "in", "values": ["Auto"]}]


def test_value_synonyms_exclusions_numbers_and_rankings(demo_catalog) -> None:
    intent = _intent(demo_catalog, "top 3 regions by motor claims over $10k excluding denied, last month")
    assert intent["ranking"] == {"direction": "top", "n": 3}
    assert intent["dimensions"] == ["regions.name"]
    assert sorted(intent["filters"], key=lambda f: f["dimension"]) == [
        {"dimension": "claims.claimed_amount", "op": ">", "values": [10000]},
        {"dimension": "claims.status", "op": "not_in", "values": ["denied"]},
        {"dimension": "products.line", "op": "in", "values": ["Auto"]},
    ]


def test_without_a_measure_it_asks_and_without_a_window_it_assumes_one(demo_catalog) -> None:
    intent = _intent(demo_catalog, "show me how we are doing")
    assert [q["id"] for q in intent["questions"]] == ["metric"]
    assert "Total paid" in intent["questions"][0]["options"]
    assert intent["time_window"] == {"kind": "rolling", "n": 30, "unit": "day"}
    assert any("last 30 days" in a for a in intent["assumptions"])


def test_something_the_data_lacks_is_refused_by_name(demo_catalog) -> None:
    intent = _intent(demo_catalog, "NPS by region last month")
    assert intent["missing"] and intent["missing"][0]["term"] == "nps"
    assert intent["questions"] == []


def test_a_typed_answer_resolves_the_question(demo_catalog) -> None:
    intent = _intent(demo_catalog, "how are things by region", answers=["the claim count"])
    assert intent["questions"] == [] and intent["metric_key"] == "claim_count"


def test_the_spec_follows_the_intent(demo_catalog) -> None:
    intent = _intent(demo_catalog, "weekly total paid over the last 6 months")
    spec = SPEC.run(SpecInput(request_text="x", intent=intent, catalog=demo_catalog),
                    context=CallContext()).model_dump(mode="json")
    assert spec["kind"] == "chart" and spec["grain"] == "week" and spec["chart_type"] == "line"
    assert spec["title"] == "Total paid per week · the last 6 months"


def test_a_request_without_an_offline_answer_is_a_permanent_error(llm_routing) -> None:
    tool = Tool(name="summon_dragon", description="", input_schema={"type": "object"})
    with pytest.raises(LLMError) as caught:
        get_llm("fast").ask(LLMRequest(system="s", prompt="{}", tool=tool), dict)
    assert caught.value.retryable is False and "no offline answer" in caught.value.message
