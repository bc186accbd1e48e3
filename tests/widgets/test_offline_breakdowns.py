"""The offline reader's skills around breakdowns and answers, on the demo dictionary: a breakdown by something
that is no dimension refused, never dropped; a dimension's name typed without its vowels; the rows named
before "by <measure>"; "total claims" counted; a superlative before plural rows ordering every row; a measure
the data lacks asked of "<value> claims"; an answer that names one of a question's options put in place of
the words it settles; a state as it stands counted all time when the words say now; what a negation excludes, and no further; "the
last 7" with no unit; and the evaluation's count of silently wrong widgets."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backend.llm.api import OfflineQuery
from widgets.services import clarifier_offline
from widgets.services.clarifier_offline import Reader
from widgets.services.evaluate import Case, Outcome, Report
from widgets.services.offline_words import abbreviates, claims_counted

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 18)


def read(demo: dict[str, Any], text: str) -> dict[str, Any]:
    return Reader(demo["catalog"], TODAY, hints=demo["values"]).read(text)


def answered(demo: dict[str, Any], request: str, *answers: str) -> dict[str, Any]:
    prompt = {"request": request, "answers": [{"answer": a} for a in answers], "today": TODAY.isoformat(),
              "value_hints": demo["values"]}
    return clarifier_offline.answer(OfflineQuery(demo["catalog"], prompt, []))


@pytest.mark.parametrize(("text", "term"), [
    ("open claims broken down by branch", "branch"),
    ("total paid split by policyholder this year", "policyholder"),
    ("claims grouped by customers", "customers"),
    ("total paid by claimant last month", "claimant"),
    ("claims per claimant", "claimant"),
    ("claim volume for each customer, last week", "customer"),
])
def test_a_breakdown_by_something_that_is_no_dimension_is_refused_naming_it(demo: dict[str, Any], text: str,
                                                                            term: str) -> None:
    intent = read(demo, text)
    assert [m["term"] for m in intent["missing"]] == [term]
    assert intent["missing"][0]["kind"] == "dimension"
    assert intent["dimensions"] == [] and intent["questions"] == []


@pytest.mark.parametrize(("text", "dims", "filters"), [
    ("claims broken down by month this year", [], []),  # a grain, read with the window
    ("claims by broker", [], [{"dimension": "channels.name", "op": "in", "values": ["Broker"]}]),
    ("claims split by adjuster team", ["adjusters.team"], []),
    ("top 5 causes by total paid", ["claims.cause"], []),
])
def test_a_lead_followed_by_a_grain_a_value_or_a_dimension_is_no_refusal(demo: dict[str, Any], text: str,
                                                                         dims: list[str], filters: list[Any]) -> None:
    intent = read(demo, text)
    assert intent["missing"] == []
    assert intent["dimensions"] == dims and intent["filters"] == filters


@pytest.mark.parametrize(("typed", "word", "expected"), [
    ("regn", "region", True), ("rgn", "region", True), ("chnl", "channel", True), ("adjstr", "adjuster", True),
    ("prdcts", "products", True), ("sgmt", "segment", False),  # a consonant left out: a guess, not a spelling
    ("reg", "region", False), ("rgion", "region", True), ("region", "region", False), ("cgn", "region", False),
])
def test_a_word_written_without_its_vowels_abbreviates_it(typed: str, word: str, expected: bool) -> None:
    assert abbreviates(typed, word) is expected


@pytest.mark.parametrize(("text", "dimension"), [
    ("no of clms by regn this wk", "regions.name"),
    ("claims by chnl", "channels.name"),
    ("total paid by adjstr", "adjusters.full_name"),
])
def test_a_dimension_typed_without_its_vowels_is_that_dimension_and_said_so(demo: dict[str, Any], text: str,
                                                                           dimension: str) -> None:
    intent = read(demo, text)
    assert intent["dimensions"] == [dimension] and intent["missing"] == []
    assert any(a.startswith("Read “") for a in intent["assumptions"])


@pytest.mark.parametrize(("text", "dimension", "sort"), [
    ("regions by total claimed", "regions.name", None),
    ("regions a-z by total claimed last month", "regions.name", {"by": "regions.name", "direction": "asc"}),
    ("segments in reverse alphabetical order by avg settlement days ytd", "customers.segment",
     {"by": "customers.segment", "direction": "desc"}),
    ("lines of business highest to lowest by loss ratio this year", "products.line",
     {"by": "loss_ratio", "direction": "desc"}),
])
def test_the_rows_named_before_by_a_measure_are_the_breakdown(demo: dict[str, Any], text: str, dimension: str,
                                                              sort: dict[str, str] | None) -> None:
    intent = read(demo, text)
    assert intent["dimensions"] == [dimension]
    assert intent["chart_type"] is None  # "lines of business" names a dimension, not a line chart
    assert intent["sort"] == sort


def test_total_claims_is_the_claims_counted_unless_an_amount_follows(demo: dict[str, Any]) -> None:
    assert claims_counted(" total clms last wk ") == " number of claims last wk "
    assert claims_counted(" total claims value by region ") == " total claims value by region "
    assert read(demo, "total claims last week")["metric_key"] == "claim_count"
    assert read(demo, "total claimed last week")["metric_key"] == "total_claimed"


@pytest.mark.parametrize(("text", "direction"), [
    ("top regions by total paid", "desc"),
    ("worst adjuster teams by settlement time", "desc"),  # up is bad for settlement time: the longest first
    ("fastest adjusters this year", "asc"),
])
def test_a_superlative_before_plural_rows_orders_every_row(demo: dict[str, Any], text: str, direction: str) -> None:
    intent = read(demo, text)
    assert intent["ranking"] is None
    assert intent["sort"] == {"by": intent["metric_key"], "direction": direction}


def test_a_superlative_before_one_row_still_ranks(demo: dict[str, Any]) -> None:
    assert read(demo, "fastest adjuster team last month")["ranking"] == {"direction": "bottom", "n": 1}


def test_claims_set_against_a_measure_on_a_scatter_is_the_claim_count(demo: dict[str, Any]) -> None:
    intent = read(demo, "scatter of claims vs total paid by channel this month")
    assert [intent["metric_key"], *intent["extra_metric_keys"]] == ["claim_count", "total_paid"]
    assert intent["dimensions"] == ["channels.name"]


@pytest.mark.parametrize(("text", "term"), [
    ("fraud referrals on motor claims last quarter", "fraud referrals"),
    ("agent commission on life claims", "agent commission"),
])
def test_a_measure_the_data_lacks_asked_of_value_claims_is_refused(demo: dict[str, Any], text: str,
                                                                   term: str) -> None:
    assert [m["term"] for m in read(demo, text)["missing"]] == [term]


def test_a_verb_before_the_claims_names_no_measure(demo: dict[str, Any]) -> None:
    intent = read(demo, "tally claims for motor")
    assert intent["missing"] == [] and intent["metric_key"] == "claim_count"


@pytest.mark.parametrize(("request_text", "said", "value"), [
    ("claim count southwast this qtr", "Southeast", "Southeast"),
    ("claim count southwast this qtr", "southwest", "Southwest"),
    ("total claimed kevin martine since september", "Kevin Martinez", "Kevin Martinez"),
    ("total claimed kevin martine since september", "kevin martin", "Kevin Martin"),
])
def test_an_answer_naming_one_of_the_options_settles_the_question(demo: dict[str, Any], request_text: str, said: str,
                                                                  value: str) -> None:
    first = answered(demo, request_text)
    assert len(first["questions"]) == 1 and value in first["questions"][0]["options"]
    intent = answered(demo, request_text, said)
    assert intent["questions"] == []
    assert [f["values"] for f in intent["filters"]] == [[value]]


@pytest.mark.parametrize("text", ["open claims right now", "open claims at the moment by adjuster team",
                                  "how many open claims do we have currently"])
def test_a_state_as_it_stands_said_now_is_counted_whatever_its_date(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["metric_key"] == "open_claims" and intent["missing"] == []
    assert intent["time_window"] == {"kind": "all"}
    assert any("as they stand now" in a for a in intent["assumptions"])


@pytest.mark.parametrize("text", ["how many claims are open today", "current backlog", "current open claims by team"])
def test_today_or_current_of_a_state_as_it_stands_is_now(demo: dict[str, Any], text: str) -> None:
    assert read(demo, text)["time_window"] == {"kind": "all"}


def test_claims_filed_today_are_still_todays(demo: dict[str, Any]) -> None:
    assert read(demo, "open claims filed today")["time_window"] == {"kind": "current", "unit": "day"}
    assert read(demo, "claims in the current quarter")["time_window"] == {"kind": "current", "unit": "quarter"}


def test_a_ranking_of_single_claims_is_refused(demo: dict[str, Any]) -> None:
    intent = read(demo, "show the 10 biggest claims this week")
    assert [(m["term"], m["kind"]) for m in intent["missing"]] == [("single claims", "dimension")]
    assert read(demo, "most claims this month")["missing"] == []


@pytest.mark.parametrize("text", ["open claims", "total paid right now", "open claims and total paid right now"])
def test_without_now_or_for_a_flow_the_default_window_stays(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["time_window"] is None and intent["missing"] == []  # the clarifier's default, which says so


def test_the_catalog_says_which_metrics_count_a_state_as_it_stands(demo: dict[str, Any]) -> None:
    standing = {m["key"] for m in demo["catalog"]["metrics"] if m["as_it_stands"]}
    assert standing == {"open_claims"}


@pytest.mark.parametrize(("text", "filters"), [
    ("motor claims other than theft", {("claims.cause", "not_in"): ["Theft"], ("products.line", "in"): ["Auto"]}),
    ("claims not denied in the west", {("claims.status", "not_in"): ["denied"], ("regions.name", "in"): ["West"]}),
    ("claims, excluding auto line, in the west", {("products.line", "not_in"): ["Auto"],
                                                  ("regions.name", "in"): ["West"]}),
    ("claims without theft or fire in the west", {("claims.cause", "not_in"): ["Fire", "Theft"],
                                                  ("regions.name", "in"): ["West"]}),
    ("claims excluding auto and home", {("products.line", "not_in"): ["Auto", "Home"]}),
    ("claims other than in the west", {("regions.name", "not_in"): ["West"]}),
    ("claims not from brokers in the west", {("channels.name", "not_in"): ["Broker"], ("regions.name", "in"): ["West"]}),
])
def test_a_negation_excludes_what_it_governs_and_no_more(demo: dict[str, Any], text: str,
                                                         filters: dict[tuple[str, str], list[str]]) -> None:
    intent = read(demo, text)
    assert {(f["dimension"], f["op"]): f["values"] for f in intent["filters"]} == filters


@pytest.mark.parametrize(("text", "n"), [("claims last 7", 7), ("total paid last 14 by region", 14),
                                         ("claims in the last 90", 90)])
def test_the_last_n_with_no_unit_is_days_and_said_so(demo: dict[str, Any], text: str, n: int) -> None:
    intent = read(demo, text)
    assert intent["time_window"] == {"kind": "rolling", "n": n, "unit": "day"}
    assert any("names no unit" in a for a in intent["assumptions"])


@pytest.mark.parametrize("text", ["top 5 causes by total paid this quarter vs last", "claims this month vs last",
                                  "total paid this year vs the last one"])
def test_vs_last_alone_compares_with_the_period_before(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["compare"] == {"kind": "previous_period"} and intent["missing"] == []


def test_the_measure_asked_about_is_one_that_breaks_down_by_the_rows(demo: dict[str, Any]) -> None:
    by_cause = read(demo, "top 5 causes this month")["questions"][0]["options"]
    assert "Claim count" in by_cause and "Earned premium" not in by_cause and "Loss ratio" not in by_cause
    assert "Earned premium" in read(demo, "top regions")["questions"][0]["options"]


def test_the_last_n_things_is_a_ranking_not_days(demo: dict[str, Any]) -> None:
    intent = read(demo, "the last 5 adjusters")
    assert intent["time_window"] is None and intent["ranking"] == {"direction": "top", "n": 5}


def _outcome(expect: str, got: dict[str, Any]) -> Outcome:
    case = Case(id="x", category="unanswerable", prompt="p", expect={"outcome": expect})
    return Outcome(case=case, got=got, wrong={"outcome": (expect, got["outcome"])})


def test_a_widget_where_a_refusal_was_wanted_is_silently_wrong_unless_it_says_so() -> None:
    silent = _outcome("refuse", {"outcome": "widget"})
    reported = _outcome("refuse", {"outcome": "widget", "not_applied": ["fraud referrals"]})
    assumed = _outcome("clarify", {"outcome": "widget", "assumptions": ["Read “x” as Y."]})
    asked = _outcome("widget", {"outcome": "clarify"})
    assert Report([silent, reported, assumed, asked]).silently_wrong() == [silent]
