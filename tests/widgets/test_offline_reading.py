"""The offline reader's general skills, one at a time, on the demo dictionary: abbreviated time units,
list items read apart, typos that break plural folding, chart words inside dictionary terms, rankings
judged by whether up is good, measures joined by "plus", a value of two dimensions asked unless the words
beside it place it, a value typed in full lending none of its words to a measure, a person named by a first
name or a surname alone, a dimension's name said with its value naming the filter, not a breakdown, a
dimension's name or a window's unit said with a word shortened, one word of a synonym of several naming no value,
a cause said with a noun for the loss, and a measure the data lacks refused before a value is asked."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from widgets.services.clarifier_offline import Reader, list_breaks
from widgets.services.offline_words import clean

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 18)


def read(demo: dict[str, Any], text: str) -> dict[str, Any]:
    return Reader(demo["catalog"], TODAY, hints=demo["values"]).read(text)


@pytest.mark.parametrize(("text", "window"), [
    ("claims last wk", {"kind": "previous", "unit": "week"}),
    ("claims this wk", {"kind": "current", "unit": "week"}),
    ("claims last mo", {"kind": "previous", "unit": "month"}),
    ("claims prev qtr", {"kind": "previous", "unit": "quarter"}),
    ("claims this yr", {"kind": "current", "unit": "year"}),
    ("claims in the past fortnight", {"kind": "rolling", "n": 2, "unit": "week"}),
    ("claims over the last fortnight", {"kind": "rolling", "n": 2, "unit": "week"}),
    ("claims per region, past 3 mths", {"kind": "rolling", "n": 3, "unit": "month"}),
    ("total paid last 14 dys", {"kind": "rolling", "n": 14, "unit": "day"}),
    ("open claims prev 4 months", {"kind": "rolling", "n": 4, "unit": "month"}),
    ("avg settlement days, trailing 15mths", {"kind": "rolling", "n": 15, "unit": "month"}),
    ("claimants over the past 6wks", {"kind": "rolling", "n": 6, "unit": "week"}),
    ("claims last 3yrs", {"kind": "rolling", "n": 3, "unit": "year"}),
])
def test_a_calendar_or_rolling_unit_is_read_however_it_is_shortened(demo: dict[str, Any], text: str,
                                                                       window: dict[str, Any]) -> None:
    assert read(demo, text)["time_window"] == window


@pytest.mark.parametrize(("text", "metrics"), [
    ("claim count, open claims and avg settlement days", ["claim_count", "open_claims", "avg_settlement_days"]),
    ("open claims, claim count", ["open_claims", "claim_count"]),
    ("claims plus total paid", ["claim_count", "total_paid"]),
    ("claims and average settlement days", ["claim_count", "avg_settlement_days"]),
])
def test_each_item_of_a_list_of_measures_is_read_on_its_own(demo: dict[str, Any], text: str,
                                                           metrics: list[str]) -> None:
    intent = read(demo, text)
    assert [intent["metric_key"], *intent["extra_metric_keys"]] == metrics
    assert intent["questions"] == []


def test_a_term_is_still_read_in_any_order_within_one_item(demo: dict[str, Any]) -> None:
    assert read(demo, "count of open claims")["metric_key"] == "open_claims"


def test_list_breaks_are_offsets_of_the_cleaned_words(demo: dict[str, Any]) -> None:
    words = "claims over 75,000, by region; paid"
    cleaned = clean(words)
    breaks = list_breaks(words, cleaned)
    assert [cleaned[b + 1:].split()[0] for b in breaks] == ["by", "paid"]  # the thousands comma is no break


def test_a_generic_word_beside_a_named_measure_is_no_question(demo: dict[str, Any]) -> None:
    intent = read(demo, "numbers for the web channel, last 3 months; distinct claimants")
    assert (intent["metric_key"], intent["questions"]) == ("distinct_claimants", [])
    assert read(demo, "numbers for the web channel")["questions"][0]["id"] == "metric"


@pytest.mark.parametrize(("text", "dimension"), [
    ("claim count by stauts", "claims.status"),  # a swap that plural folding would hide ("staut")
    ("open claims by statuss", "claims.status"),
])
def test_a_typo_is_matched_as_typed_when_folding_it_goes_wrong(demo: dict[str, Any], text: str,
                                                              dimension: str) -> None:
    intent = read(demo, text)
    assert intent["dimensions"] == [dimension] and intent["missing"] == []


def test_a_chart_word_inside_a_dictionary_term_names_the_dimension(demo: dict[str, Any]) -> None:
    intent = read(demo, "top three product lines by claimed amount")
    assert (intent["dimensions"], intent["chart_type"]) == (["products.line"], None)
    assert read(demo, "claims by cause as lines")["chart_type"] == "line"


@pytest.mark.parametrize(("text", "direction"), [
    ("worst 5 adjusters for settlement time", "top"),  # up is not good: the worst take longest
    ("best 5 adjusters for settlement time", "bottom"),
    ("worst 3 regions by claim count", "bottom"),  # up is good
    ("the 3 best regions by claimed amount", "top"),
])
def test_best_and_worst_follow_whether_up_is_good(demo: dict[str, Any], text: str, direction: str) -> None:
    assert read(demo, text)["ranking"]["direction"] == direction


def test_every_is_no_value(demo: dict[str, Any]) -> None:
    intent = read(demo, "medium claims, every region except the west: total claimed")
    assert intent["questions"] == []
    assert {f["dimension"] for f in intent["filters"]} == {"claims.claim_size", "regions.name"}


def test_a_plural_column_word_belongs_to_its_comparison(demo: dict[str, Any]) -> None:
    intent = read(demo, "number of claims with payouts over 12,500 by region")
    assert (intent["metric_key"], intent["extra_metric_keys"]) == ("claim_count", [])
    assert intent["filters"] == [{"dimension": "claims.paid_amount", "op": ">", "values": [12500]}]


@pytest.mark.parametrize("text", [
    "claims for life",  # Life: a product line, and an adjuster team ("life claims": test_offline_assumed)
    "loss ratio for specialty",  # even when only one of the two has the measure: the measure may be misread
    "commercial numbers last quarter",
])
def test_a_value_of_two_dimensions_is_asked_not_guessed(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert not [f for f in intent["filters"] if f["dimension"] in ("products.line", "adjusters.team")]
    [question] = [q for q in intent["questions"] if q["id"].startswith("value")]
    assert {o.split(" (")[1] for o in question["options"]} == {"product line)", "adjuster team)"}


@pytest.mark.parametrize(("text", "dimension"), [
    ("open claims for the life team", "adjusters.team"),
    ("claims for the specialty product line", "products.line"),
    ("claims for specialty last month; the adjuster team", "adjusters.team"),  # the answer places it
])
def test_words_beside_a_value_of_two_dimensions_place_it(demo: dict[str, Any], text: str, dimension: str) -> None:
    intent = read(demo, text)
    assert [f["dimension"] for f in intent["filters"]] == [dimension]
    assert intent["questions"] == []


@pytest.mark.parametrize(("text", "metric", "value"), [
    ("claims for auto premium last month", "claim_count", "Auto Premium"),  # "premium" is the product's name
    ("total paid on auto premium policies by region", "total_paid", "Auto Premium"),
    ("earned premium for auto premium", "earned_premium", "Auto Premium"),
    ("open claims on term life", "open_claims", "Term Life"),
])
def test_a_value_typed_in_full_lends_no_word_to_a_measure(demo: dict[str, Any], text: str, metric: str,
                                                          value: str) -> None:
    intent = read(demo, text)
    assert (intent["metric_key"], intent["extra_metric_keys"]) == (metric, [])
    assert intent["filters"] == [{"dimension": "products.name", "op": "in", "values": [value]}]


def test_a_value_alone_that_holds_a_measure_word_asks_for_the_measure(demo: dict[str, Any]) -> None:
    intent = read(demo, "auto premium last month")
    assert intent["metric_key"] is None
    assert [q["id"] for q in intent["questions"]] == ["metric"]


def test_an_answer_naming_one_of_two_near_values_settles_the_question(demo: dict[str, Any]) -> None:
    assert read(demo, "claims in the southest this month")["questions"]
    intent = read(demo, "claims in the southest this month; southwest, sorry")
    assert intent["filters"] == [{"dimension": "regions.name", "op": "in", "values": ["Southwest"]}]
    assert (intent["questions"], intent["missing"]) == ([], [])


@pytest.mark.parametrize(("text", "metric"), [
    ("claims from smb customers", "claim_count"),  # "customers" says what smb is; it is no measure
    ("claims from small business customers", "claim_count"),
    ("open claims for the pet product", "open_claims"),  # "open claims" stays a measure's name
])
def test_a_noun_naming_a_values_dimension_is_no_measure(demo: dict[str, Any], text: str, metric: str) -> None:
    intent = read(demo, text)
    assert (intent["metric_key"], intent["extra_metric_keys"]) == (metric, [])


@pytest.mark.parametrize(("text", "window"), [
    # a named period with its year in words
    ("payouts for q2 of last year", {"kind": "period", "unit": "quarter", "year": 2025, "quarter": 2}),
    ("claim count in march this year", {"kind": "period", "unit": "month", "year": 2026, "month": 3}),
    ("open claims, last year's april", {"kind": "period", "unit": "month", "year": 2025, "month": 4}),
    # words that only stress a calendar period
    ("claims in the last complete quarter", {"kind": "previous", "unit": "quarter"}),
    ("payouts for the previous calendar week", {"kind": "previous", "unit": "week"}),
    ("claims for calendar year 2024", {"kind": "period", "unit": "year", "year": 2024}),
    ("claims for the month of june", {"kind": "period", "unit": "month", "year": 2026, "month": 6}),
    # half years, and spans of quarters or months
    ("total paid in h2 2025", {"kind": "between", "start": "2025-07-01", "end": "2025-12-31"}),
    # the half's last day as said: each run cuts it at today, so a refresh in December still sees all of H2
    ("claims for the second half of this year", {"kind": "between", "start": "2026-07-01", "end": "2026-12-31"}),
    ("claims over q1 and q2", {"kind": "between", "start": "2026-01-01", "end": "2026-06-30"}),
    ("payouts in july and august", {"kind": "between", "start": "2026-07-01", "end": "2026-08-31"}),
    ("claims feb to apr 2025", {"kind": "between", "start": "2025-02-01", "end": "2025-04-30"}),
    # weekdays and the weekend (2026-11-18 is a Wednesday)
    ("claims since tuesday", {"kind": "since", "start": "2026-11-17"}),
    ("payouts last friday", {"kind": "period", "unit": "day", "day": "2026-11-13"}),
    ("claims over the weekend", {"kind": "between", "start": "2026-11-14", "end": "2026-11-15"}),
    # shorthand and start-of-period phrasings
    ("claims l7d", {"kind": "rolling", "n": 7, "unit": "day"}),
    ("total paid past 90d", {"kind": "rolling", "n": 90, "unit": "day"}),
    ("payouts ttm", {"kind": "rolling", "n": 12, "unit": "month"}),
    ("claims since start of quarter", {"kind": "to_date", "unit": "quarter"}),
])
def test_calendar_phrasings_resolve_to_their_period(demo: dict[str, Any], text: str, window: dict[str, Any]) -> None:
    intent = read(demo, text)
    assert intent["time_window"] == window
    assert intent["missing"] == []


def test_a_window_with_only_an_end_is_not_read_as_that_period(demo: dict[str, Any]) -> None:
    assert read(demo, "claims before september")["time_window"] is None  # left for "not applied" to report
    assert read(demo, "from march to may, claims")["time_window"]["kind"] == "between"


@pytest.mark.parametrize(("text", "filters"), [
    ("claims > 25000", [{"dimension": "claims.claimed_amount", "op": ">", "values": [25000]}]),
    ("payouts where paid >= 800", [{"dimension": "claims.paid_amount", "op": ">=", "values": [800]}]),
    ("claims that took 45+ days to settle", [{"dimension": "claims.settlement_days", "op": ">=", "values": [45]}]),
    ("claims of 20k+ by cause", [{"dimension": "claims.claimed_amount", "op": ">=", "values": [20000]}]),
    ("claims where the payout exceeds 9000", [{"dimension": "claims.paid_amount", "op": ">", "values": [9000]}]),
    ("claims settled in fewer than 12 days", [{"dimension": "claims.settlement_days", "op": "<", "values": [12]}]),
    ("claims closed within two weeks", [{"dimension": "claims.settlement_days", "op": "<", "values": [14]}]),
    ("claims of at least $2,050", [{"dimension": "claims.claimed_amount", "op": ">=", "values": [2050]}]),
    ("claims between 3k and 8k", [{"dimension": "claims.claimed_amount", "op": ">=", "values": [3000]},
                                  {"dimension": "claims.claimed_amount", "op": "<=", "values": [8000]}]),
])
def test_numeric_comparisons_in_signs_words_and_ranges(demo: dict[str, Any], text: str,
                                                      filters: list[dict[str, Any]]) -> None:
    intent = read(demo, text)
    assert intent["filters"] == filters
    assert intent["grain"] is None and intent["time_window"] is None  # "two weeks", "2050" are no time


@pytest.mark.parametrize(("text", "dims", "ranking", "metric"), [
    ("the four quickest adjuster teams", ["adjusters.team"], {"direction": "bottom", "n": 4}, "avg_settlement_days"),
    ("the most frequent perils in 2025", ["claims.cause"], {"direction": "top", "n": 1}, "claim_count"),
    ("least common channel this quarter", ["channels.name"], {"direction": "bottom", "n": 1}, "claim_count"),
    ("the 3 most common causes by total paid", ["claims.cause"], {"direction": "top", "n": 3}, "total_paid"),
    ("best performing region on loss ratio", ["regions.name"], {"direction": "bottom", "n": 1}, "loss_ratio"),
    ("highest paying products last month", ["products.name"], {"direction": "top", "n": 1}, "total_paid"),
])
def test_rankings_in_words_name_what_is_ranked(demo: dict[str, Any], text: str, dims: list[str],
                                               ranking: dict[str, Any], metric: str) -> None:
    intent = read(demo, text)
    assert (intent["dimensions"], intent["ranking"], intent["metric_key"]) == (dims, ranking, metric)


@pytest.mark.parametrize(("text", "dims"), [
    ("channels sorted by total paid", ["channels.name"]),  # the rows are named before "sorted by"
    ("causes ranked on claim count", ["claims.cause"]),
    ("territory breakdown of payouts", ["regions.name"]),  # or before a shape noun
    ("channel mix of open claims", ["channels.name"]),
    ("products table: claim count", ["products.name"]),
])
def test_the_rows_may_be_named_before_the_measure(demo: dict[str, Any], text: str, dims: list[str]) -> None:
    intent = read(demo, text)
    assert intent["dimensions"] == dims and intent["ranking"] is None and intent["missing"] == []


@pytest.mark.parametrize(("text", "filters"), [
    ("payouts outside the southeast", [{"dimension": "regions.name", "op": "not_in", "values": ["Southeast"]}]),
    ("claims for handler thomas moore", [{"dimension": "adjusters.full_name", "op": "in", "values": ["Thomas Moore"]}]),
    ("claims where the status is denied", [{"dimension": "claims.status", "op": "in", "values": ["denied"]}]),
    ("claims by adjuster john martinez", [{"dimension": "adjusters.full_name", "op": "in", "values": ["John Martinez"]}]),
    ("sum of payouts on claims handled by wei walker",
     [{"dimension": "adjusters.full_name", "op": "in", "values": ["Wei Walker"]}]),
    ("claims per adjuster for linda smith", [{"dimension": "adjusters.full_name", "op": "in", "values": ["Linda Smith"]}]),
])
def test_filter_phrasings_give_the_filter_and_no_breakdown(demo: dict[str, Any], text: str,
                                                          filters: list[dict[str, Any]]) -> None:
    intent = read(demo, text)
    assert (intent["filters"], intent["dimensions"]) == (filters, [])


@pytest.mark.parametrize(("text", "word"), [("claims for john in q3", "john"), ("open claims assigned to patel", "patel"),
                                            ("total paid by adjuster nancy", "nancy")])
def test_a_name_several_adjusters_share_is_asked_among_them(demo: dict[str, Any], text: str, word: str) -> None:
    intent = read(demo, text)
    options = intent["questions"][0]["options"]
    assert intent["missing"] == [] and intent["dimensions"] == [] and len(options) > 2
    assert all(word in option.lower().split() for option in options)


def test_a_name_one_adjuster_has_is_that_adjuster(demo: dict[str, Any]) -> None:
    intent = read(demo, "claims for lisa this year")
    assert intent["filters"] == [{"dimension": "adjusters.full_name", "op": "in", "values": ["Lisa Gonzalez"]}]
    assert intent["questions"] == [] and "Read “lisa” as Lisa Gonzalez." in intent["assumptions"]


def test_a_surname_answered_with_the_full_name_is_settled(demo: dict[str, Any]) -> None:
    intent = read(demo, "sum claimed on the claims of adjuster davis; william davis")
    assert intent["filters"] == [{"dimension": "adjusters.full_name", "op": "in", "values": ["William Davis"]}]
    assert (intent["questions"], intent["dimensions"]) == ([], [])


def test_accented_words_are_read_whole(demo: dict[str, Any]) -> None:
    """An admin's synonym with accents matches as typed, and a place the data lacks is named whole, not 'rich'."""
    import copy

    from widgets.services.applied import not_applied

    catalog = copy.deepcopy(demo["catalog"])
    cause = next(d for d in catalog["dimensions"] if d["key"] == "claims.cause")
    cause["value_synonyms"] = {**cause.get("value_synonyms", {}), "dégât des eaux": "Water Damage"}
    intent = Reader(catalog, TODAY, hints=demo["values"]).read("dégât des eaux claims in 2025")
    assert intent["filters"] == [{"dimension": "claims.cause", "op": "in", "values": ["Water Damage"]}]
    spec = {"kind": "kpi", "metric": {"key": "claim_count", "name": "Claim count"}, "filters": intent["filters"],
            "dimensions": [], "time_window": intent["time_window"]}
    assert not_applied(words="dégât des eaux claims in 2025", spec=spec, catalog=catalog, today=TODAY) == []
    refused = read(demo, "claims in Zürich last month")
    assert [m["term"] for m in refused["missing"]] == ["zurich"]


@pytest.mark.parametrize("text", ["clms by region last month", "# of clms by region last month", "clm count by region last month"])
def test_claims_shortened_is_claims(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert (intent["metric_key"], intent["dimensions"], intent["questions"]) == ("claim_count", ["regions.name"], [])


def test_an_answer_that_is_an_option_as_stored_assumes_nothing(demo: dict[str, Any]) -> None:
    """An option clicked is exact, though the request's first name and the answer's surname are apart."""
    intent = read(demo, "claims handled by priya last month; priya jackson")
    assert intent["filters"] == [{"dimension": "adjusters.full_name", "op": "in", "values": ["Priya Jackson"]}]
    assert not [a for a in intent["assumptions"] if "Priya Jackson" in a]
    typo = read(demo, "claims handled by priya last month; priya jaxson")
    assert any("Priya Jackson" in a for a in typo["assumptions"])  # a typed slip is still said


@pytest.mark.parametrize(("text", "chart"), [("payouts per region, pie", "pie"), ("column of claims by cause", "bar"),
                                             ("claims by line of business", None)])
def test_a_bare_chart_word_names_the_chart(demo: dict[str, Any], text: str, chart: str | None) -> None:
    assert read(demo, text)["chart_type"] == chart


def test_claims_joined_by_along_with_is_a_measure_of_its_own(demo: dict[str, Any]) -> None:
    intent = read(demo, "payouts as well as claims by cause")
    assert [intent["metric_key"], *intent["extra_metric_keys"]] == ["total_paid", "claim_count"]


def test_a_slip_in_a_two_word_dimension_name_is_read_as_that_name(demo: dict[str, Any]) -> None:
    intent = read(demo, "open claims per adjustor teem")
    assert intent["dimensions"] == ["adjusters.team"]
    assert any("adjuster team" in a for a in intent["assumptions"])
    assert read(demo, "top 4 regions by claimed amount")["dimensions"] == ["regions.name"]  # a measure, not a slip


@pytest.mark.parametrize(("text", "term"), [
    ("claims from new jersey", "new jersey"),  # "new" may read as "new claims", but it is part of the name
    ("claims by income group", "income group"),
    ("litigated claims last quarter", "litigated claims"),  # a word qualifying the claims themselves
    ("average claim severity", "average claim severity"),
])
def test_a_refusal_names_the_phrase_as_typed(demo: dict[str, Any], text: str, term: str) -> None:
    [missing] = read(demo, text)["missing"]
    assert missing["term"] == term


def test_a_word_qualifying_claims_in_another_list_item_is_not_theirs(demo: dict[str, Any]) -> None:
    intent = read(demo, "open claims by region; claims")  # an answer after a break: nothing qualifies the claims
    assert intent["missing"] == [] and intent["metric_key"] == "open_claims"


@pytest.mark.parametrize(("text", "window"), [
    ("payouts 2024 q3", {"kind": "period", "unit": "quarter", "year": 2024, "quarter": 3}),
    ("claims 2025 june by cause", {"kind": "period", "unit": "month", "year": 2025, "month": 6}),
])
def test_a_year_said_before_its_period_is_that_periods_year(demo: dict[str, Any], text: str,
                                                           window: dict[str, Any]) -> None:
    assert read(demo, text)["time_window"] == window


def test_an_answer_naming_one_of_two_near_values_settles_it_either_way(demo: dict[str, Any]) -> None:
    assert read(demo, "payouts for the northest")["questions"]
    intent = read(demo, "payouts for the northest; northeast")
    assert intent["filters"] == [{"dimension": "regions.name", "op": "in", "values": ["Northeast"]}]
    assert intent["questions"] == []


@pytest.mark.parametrize(("text", "dims", "grain"), [
    ("claim count by region and month this year", ["regions.name"], "month"),
    ("claims per channel & week over the last 90 days", ["channels.name"], "week"),
    ("total paid by product line and quarter in 2025", ["products.line"], "quarter"),
    ("claims by region and months", ["regions.name"], "month"),
    ("claims by region and channel", ["regions.name", "channels.name"], None),  # two dimensions, no grain
])
def test_a_grain_named_last_in_a_breakdown_is_the_grain(demo: dict[str, Any], text: str, dims: list[str],
                                                        grain: str | None) -> None:
    intent = read(demo, text)
    assert (intent["dimensions"], intent["grain"]) == (dims, grain)


def test_a_to_date_window_after_and_is_not_a_grain(demo: dict[str, Any]) -> None:
    intent = read(demo, "claims by region and month to date")
    assert intent["grain"] is None and intent["time_window"] == {"kind": "to_date", "unit": "month"}


@pytest.mark.parametrize("text", [
    "need a widget for thursday's standup",
    "something for the exec deck pls",
    "put together a board pack tile plz",
])
def test_a_request_naming_only_an_occasion_is_asked_about_not_refused(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["missing"] == [] and [q["id"] for q in intent["questions"]] == ["metric"]


@pytest.mark.parametrize("text", ["claims that arrived via broker last week", "claims coming thru the online channel"])
def test_how_claims_came_in_is_no_value_the_data_lacks(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["missing"] == [] and intent["filters"][0]["dimension"] == "channels.name"


@pytest.mark.parametrize(("text", "values"), [
    ("total paid on the home and auto lines this year", ["Auto", "Home"]),  # a noun after the list
    ("claim count for auto or home by month", ["Auto", "Home"]),  # Home is a product line only
])
def test_a_value_two_dimensions_share_is_placed_by_the_list_it_is_in(demo: dict[str, Any], text: str,
                                                                     values: list[str]) -> None:
    intent = read(demo, text)
    assert intent["questions"] == []
    assert intent["filters"] == [{"dimension": "products.line", "op": "in", "values": values}]


def test_a_shared_value_alone_is_still_asked_about(demo: dict[str, Any]) -> None:
    intent = read(demo, "total paid for auto")
    assert [q["id"] for q in intent["questions"]] == ["value_0"]


@pytest.mark.parametrize("text", [
    "ratio of payouts to earned premium by channel last year",
    "total paid as a percentage of premium for 2025",
    "paid divided by premium per region last quarter",
])
def test_a_ratio_of_two_measures_is_the_ratio_metric_built_of_them(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["metric_key"] == "loss_ratio" and not intent.get("extra_metric_keys")
    assert intent["questions"] == [] and any("Loss ratio" in a for a in intent["assumptions"])


def test_two_measures_side_by_side_stay_two(demo: dict[str, Any]) -> None:
    intent = read(demo, "total paid and earned premium by region last year")
    assert (intent["metric_key"], intent["extra_metric_keys"]) == ("total_paid", ["earned_premium"])


@pytest.mark.parametrize(("text", "ranking"), [
    ("which 7 products had the highest payouts last year", {"direction": "top", "n": 7}),
    ("what three regions saw the fewest claims in q2", {"direction": "bottom", "n": 3}),
])
def test_the_count_after_which_is_the_rankings_n(demo: dict[str, Any], text: str, ranking: dict[str, Any]) -> None:
    intent = read(demo, text)
    assert intent["ranking"] == ranking and intent["questions"] == [] and intent["missing"] == []


@pytest.mark.parametrize("text", ["which region is quickest to settle this year", "channel slowest at settling, ytd"])
def test_to_settle_after_a_speed_word_is_the_settlement_time_not_a_status(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["metric_key"] == "avg_settlement_days" and intent["filters"] == []
    assert intent["ranking"] is not None and intent["questions"] == []


@pytest.mark.parametrize("text", ["examine claims by region this month", "tally claims per channel last week",
                                  "could you analyse claims by cause in 2025"])
def test_a_verb_of_analysis_before_claims_is_no_value_the_data_lacks(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["metric_key"] == "claim_count" and intent["missing"] == [] and intent["questions"] == []


@pytest.mark.parametrize(("text", "metric", "column", "op", "value"), [
    ("claim count where the claimed amt is over 12k", "claim_count", "claims.claimed_amount", ">", 12000),
    ("claims with a paid amnt above 800", "claim_count", "claims.paid_amount", ">", 800),
    ("open claims whose settlement days exceed 20", "open_claims", "claims.settlement_days", ">", 20),
    ("avg settlement days for claims with a paid amount of at least 900", "avg_settlement_days",
     "claims.paid_amount", ">=", 900),
])
def test_a_column_named_before_a_comparison_is_filtered_not_measured(demo: dict[str, Any], text: str, metric: str,
                                                                     column: str, op: str, value: int) -> None:
    intent = read(demo, text)
    assert (intent["metric_key"], intent["extra_metric_keys"]) == (metric, [])
    assert intent["filters"] == [{"dimension": column, "op": op, "values": [value]}]


@pytest.mark.parametrize(("text", "dimension"), [
    ("open claims by cust segment last month", "customers.segment"),
    ("avg settlement days per adj team", "adjusters.team"),
    ("total claimed per sales chan in q3", "channels.name"),
    ("paid by distribution chnl this year", "channels.name"),
    ("claims by claim sz band since june", "claims.claim_size"),
])
def test_a_dimensions_name_with_a_word_shortened_is_that_dimension(demo: dict[str, Any], text: str,
                                                                   dimension: str) -> None:
    intent = read(demo, text)
    assert (intent["dimensions"], intent["filters"], intent["missing"]) == ([dimension], [], [])


@pytest.mark.parametrize("text", ["insurance claims paid last month", "payouts by line of biz in sept"])
def test_one_word_of_a_synonym_of_several_names_no_value(demo: dict[str, Any], text: str) -> None:
    """"insurance" of "car insurance", "biz" of "small biz": the synonym is a phrase."""
    assert read(demo, text)["filters"] == []


def test_a_synonym_said_whole_is_still_its_value(demo: dict[str, Any]) -> None:
    assert read(demo, "car insurance claims paid this year")["filters"] == [
        {"dimension": "products.line", "op": "in", "values": ["Auto"]}]


@pytest.mark.parametrize(("text", "cause"), [
    ("claims for stolen items last month", "Theft"),
    ("avg settlement days for vandalism incidents", "Vandalism"),
    ("fire damage claims by region", "Fire"),
    ("total paid on storm damage in q3", "Storm"),
])
def test_a_cause_said_with_a_noun_for_the_loss_is_that_cause_alone(demo: dict[str, Any], text: str,
                                                                    cause: str) -> None:
    intent = read(demo, text)
    assert intent["filters"] == [{"dimension": "claims.cause", "op": "in", "values": [cause]}]
    assert intent["missing"] == []


def test_a_cause_with_a_thing_the_data_lacks_is_still_refused(demo: dict[str, Any]) -> None:
    assert "jewelry" in read(demo, "claims for stolen jewelry")["missing"][0]["term"]


@pytest.mark.parametrize(("text", "term"), [
    ("nps for auto last month", "nps"),  # "auto": a product line and an adjuster team
    ("churn in the northest last month", "churn"),  # "northest": Northeast and Northwest alike
])
def test_a_measure_the_data_lacks_is_refused_before_a_value_is_asked(demo: dict[str, Any], text: str,
                                                                      term: str) -> None:
    intent = read(demo, text)
    assert intent["questions"] == [] and term in intent["missing"][0]["term"]


def test_a_question_about_the_measure_is_not_cut_short_by_a_verb(demo: dict[str, Any]) -> None:
    intent = read(demo, "what did the pet claims come to last quarter")
    assert intent["missing"] == [] and intent["questions"][0]["id"] == "metric"


@pytest.mark.parametrize(("text", "dimension", "values"), [
    ("claim count agent vs phone last month", "channels.name", ["Agent", "Phone"]),
    ("open claims midwest versus west", "regions.name", ["Midwest", "West"]),
])
def test_two_values_set_against_each_other_are_a_breakdown_filtered_to_them(demo: dict[str, Any], text: str,
                                                                            dimension: str,
                                                                            values: list[str]) -> None:
    intent = read(demo, text)
    assert intent["dimensions"] == [dimension]
    assert intent["filters"] == [{"dimension": dimension, "op": "in", "values": values}]


@pytest.mark.parametrize(("text", "term"), [
    ("median total paid by region", "median total paid"),
    ("mean claimed amount last month", "mean claimed amount"),
    ("payouts per claim by product", "payouts per claim"),
])
def test_a_measure_taken_another_way_than_the_dictionary_keeps_it_is_refused(demo: dict[str, Any], text: str,
                                                                            term: str) -> None:
    assert [m["term"] for m in read(demo, text)["missing"]] == [term]


def test_an_average_the_dictionary_keeps_is_read(demo: dict[str, Any]) -> None:
    assert read(demo, "mean settlement time by region")["metric_key"] == "avg_settlement_days"


@pytest.mark.parametrize("text", ["claims we reject by cause", "how many claims are we denying"])
def test_a_status_said_with_its_verb_is_that_status(demo: dict[str, Any], text: str) -> None:
    assert read(demo, text)["filters"] == [{"dimension": "claims.status", "op": "in", "values": ["denied"]}]


@pytest.mark.parametrize(("text", "window"), [
    ("claims lst 5 wks", {"kind": "rolling", "n": 5, "unit": "week"}),
    ("paid lst qtr", {"kind": "previous", "unit": "quarter"}),
])
def test_a_window_lead_shortened_is_read(demo: dict[str, Any], text: str, window: dict[str, Any]) -> None:
    assert read(demo, text)["time_window"] == window


@pytest.mark.parametrize("text", ["channels with the most claims", "segments, fewest claims first"])
def test_a_plural_with_a_superlative_and_no_number_keeps_every_row(demo: dict[str, Any], text: str) -> None:
    intent = read(demo, text)
    assert intent["ranking"] is None
    assert len(intent["dimensions"]) == 1


@pytest.mark.parametrize(("text", "sort"), [
    ("avg settlement days by team, fastest first", {"by": "avg_settlement_days", "direction": "asc"}),
    ("open claims per segment, lowest first", {"by": "open_claims", "direction": "asc"}),
    ("total claimed by channel, highest to lowest", {"by": "total_claimed", "direction": "desc"}),
    ("total paid by product, alphabetical", {"by": "products.name", "direction": "asc"}),
    ("claims by cause z to a", {"by": "claims.cause", "direction": "desc"}),
    ("claim count by product sorted by region a-z", {"by": "regions.name", "direction": "asc"}),
    ("total paid by cause sorted asc", {"by": "total_paid", "direction": "asc"}),
])
def test_the_order_said_is_the_sort(demo: dict[str, Any], text: str, sort: dict[str, str]) -> None:
    intent = read(demo, text)
    assert intent["sort"] == sort
    assert intent["ranking"] is None


def test_a_measure_sorted_by_is_the_sort_and_not_the_rows_measure(demo: dict[str, Any]) -> None:
    intent = read(demo, "table of claim count by region sorted by paid desc")
    assert intent["metric_key"] == "claim_count" and intent["extra_metric_keys"] == []
    assert intent["sort"] == {"by": "total_paid", "direction": "desc"}


def test_a_measure_sorted_by_alone_is_the_rows_measure(demo: dict[str, Any]) -> None:
    intent = read(demo, "products sorted by total paid")
    assert intent["metric_key"] == "total_paid" and intent["dimensions"] == ["products.name"]


def test_a_courtesy_after_the_request_asks_nothing(demo: dict[str, Any]) -> None:
    intent = read(demo, "open claims and total paid for the property team last week, if that's doable")
    assert intent["missing"] == [] and intent["metric_key"] == "open_claims"


def test_a_vague_question_with_a_contraction_is_asked_about(demo: dict[str, Any]) -> None:
    intent = read(demo, "how're we tracking this month?")
    assert intent["missing"] == [] and intent["questions"]


def test_payed_is_paid(demo: dict[str, Any]) -> None:
    assert read(demo, "totl payed out in september")["metric_key"] == "total_paid"
