"""Fuzzy matching onto the demo dictionary: typos, plurals, word order, synonyms, paraphrase,
value synonyms, adjusters' names from the values index, near-ties asked about, and words the
dictionary has nothing close to refused with the closest things there are."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from sql_gen.selectors import catalog, dimension_values
from sql_gen.services.demo import demo_source_seed
from sql_gen.services.vocabulary import (
    CLOSE_SCORE,
    MATCH_SCORE,
    Outcome,
    Vocabulary,
    decide,
    mentions,
    vocabulary_for,
    word_similarity,
)
from sql_gen.services.vocabulary import index as vocabulary_index

# The vocabulary needs no database; the module's demo catalog does, once (see ``demo``).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any, warehouse_file: Path) -> Iterator[dict[str, Any]]:
    """The demo catalog and values index over the small warehouse, seeded once for the module
    (in a transaction rolled back afterwards)."""
    with django_db_blocker.unblock(), override_settings(WAREHOUSE_PATH=warehouse_file), transaction.atomic():
        source = demo_source_seed()
        yield {"catalog": catalog(source=source), "values": dimension_values(source=source)}
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def vocab(demo: dict[str, Any]) -> Vocabulary:
    return Vocabulary(demo["catalog"], demo["values"])


def best_metric(vocab: Vocabulary, phrase: str) -> Any:
    decision = decide(vocab.match_metrics(phrase))
    assert decision.outcome == Outcome.USE, (phrase, decision)
    return decision.best


# -- metrics ---------------------------------------------------------------------------------------------

METRIC_PHRASES = [
    # exact, and the same modulo case, plurals and abbreviations
    ("total paid", "total_paid", True), ("Total Paid", "total_paid", True), ("loss ratio", "loss_ratio", True),
    ("claim counts", "claim_count", True), ("avg settlement days", "avg_settlement_days", True),
    ("payout", "total_paid", True),
    # typos
    ("totl paid", "total_paid", False), ("calims", "claim_count", False), ("earned premum", "earned_premium", False),
    ("avg setlement days", "avg_settlement_days", False), ("distinct claimnts", "distinct_claimants", False),
    ("los ratio", "loss_ratio", False), ("opne claims", "open_claims", False),
    # word order
    ("paid total", "total_paid", False), ("days settlement average", "avg_settlement_days", False),
    # synonyms
    ("payouts", "total_paid", True), ("backlog", "open_claims", True), ("claim volume", "claim_count", True),
    ("unique claimants", "distinct_claimants", True), ("premiums earned", "earned_premium", True),
    ("unresolved claims", "open_claims", True),
    # paraphrase: question forms, stems and description words
    ("how long do we take to settle", "avg_settlement_days", False),
    ("settling time", "avg_settlement_days", False),
    ("how many claims", "claim_count", True),
    ("paid", "total_paid", True), ("payd out", "total_paid", False),
]


@pytest.mark.parametrize(("phrase", "key", "exact"), METRIC_PHRASES)
def test_a_metric_is_found_through_typos_plurals_order_synonyms_and_paraphrase(vocab: Vocabulary, phrase: str,
                                                                               key: str, exact: bool) -> None:
    match = best_metric(vocab, phrase)
    assert (match.key, match.exact) == (key, exact) and match.score >= MATCH_SCORE


def test_an_exact_term_scores_100_and_a_typo_less(vocab: Vocabulary) -> None:
    assert vocab.match_metrics("total paid")[0].score == 100.0
    assert MATCH_SCORE <= vocab.match_metrics("totl paid")[0].score < 100.0


def test_a_longer_match_wins_over_a_part_of_it(vocab: Vocabulary) -> None:
    """"claims" alone is the claim count, but "open claims" names open claims, and the claim
    count (matching only a part of its words) is no rival."""
    matches = vocab.match_metrics("open claims")
    assert matches[0].key == "open_claims" and "claim_count" in [m.key for m in matches]
    assert decide(matches).outcome == Outcome.USE


# -- dimensions ----------------------------------------------------------------------------------------

DIMENSION_PHRASES = [
    ("adjuster", "adjusters.full_name"), ("adjusters", "adjusters.full_name"), ("adjustor", "adjusters.full_name"),
    ("claims handler", "adjusters.full_name"), ("adjuster team", "adjusters.team"), ("team", "adjusters.team"),
    ("causes", "claims.cause"), ("cause of loss", "claims.cause"), ("peril", "claims.cause"),
    ("product", "products.name"), ("line of business", "products.line"), ("lob", "products.line"),
    ("reigon", "regions.name"), ("territories", "regions.name"), ("chanel", "channels.name"),
    ("customer segment", "customers.segment"), ("claim status", "claims.status"),
    ("claim size", "claims.claim_size"), ("claim size band", "claims.claim_size"), ("size bands", "claims.claim_size"),
]


@pytest.mark.parametrize(("phrase", "key"), DIMENSION_PHRASES)
def test_a_dimension_is_found_by_label_synonym_plural_or_typo(vocab: Vocabulary, phrase: str, key: str) -> None:
    decision = decide(vocab.match_dimensions(phrase))
    assert decision.outcome == Outcome.USE and decision.best.key == key, decision


def test_matches_can_be_limited_to_the_dimensions_a_metric_offers(vocab: Vocabulary, demo: dict[str, Any]) -> None:
    premium = next(m for m in demo["catalog"]["metrics"] if m["key"] == "earned_premium")
    assert vocab.match_dimensions("claim size band", keys=premium["dimensions"]) == []
    assert vocab.match_dimensions("region", keys=premium["dimensions"])[0].key == "regions.name"


# -- values ------------------------------------------------------------------------------------------------

VALUE_PHRASES = [
    # values, their plurals and case
    ("Homeowners", "products.name", "Homeowners", True), ("homeowner", "products.name", "Homeowners", True),
    ("water damage", "claims.cause", "Water Damage", True), ("renter", "products.name", "Renters", True),
    ("families", "customers.segment", "Family", True), ("very large", "claims.claim_size", "Very large", True),
    # typos
    ("northest", "regions.name", "Northeast", False), ("trip cancelations", "claims.cause", "Trip Cancellation", False),
    ("lost bagage", "claims.cause", "Lost Baggage", False), ("comercial property", "products.name",
                                                             "Commercial Property", False),
    ("vandalsm", "claims.cause", "Vandalism", False), ("midwst", "regions.name", "Midwest", False),
    # value synonyms
    ("motor", "products.line", "Auto", True), ("car insurance", "products.line", "Auto", True),
    ("home insurance", "products.line", "Home", True), ("household", "products.line", "Home", True),
    ("flood", "claims.cause", "Water Damage", True), ("leak", "claims.cause", "Water Damage", True),
    ("car crash", "claims.cause", "Collision", True), ("stolen", "claims.cause", "Theft", True),
    ("rejected", "claims.status", "denied", True), ("declined", "claims.status", "denied", True),
    ("pending", "claims.status", "under_review", True), ("in review", "claims.status", "under_review", True),
    ("settled", "claims.status", "closed", True), ("smb", "customers.segment", "Small Business", True),
    ("small biz", "customers.segment", "Small Business", True), ("web", "channels.name", "Online", True),
    ("internet", "channels.name", "Online", True), ("brokers", "channels.name", "Broker", True),
    ("call centre", "channels.name", "Phone", True), ("call center", "channels.name", "Phone", True),
]


@pytest.mark.parametrize(("phrase", "dimension", "value", "exact"), VALUE_PHRASES)
def test_a_filter_word_is_matched_to_the_exact_stored_value(vocab: Vocabulary, phrase: str, dimension: str,
                                                            value: str, exact: bool) -> None:
    decision = decide(vocab.match_values(phrase))
    assert decision.outcome == Outcome.USE, decision
    assert (decision.best.dimension, decision.best.value, decision.best.exact) == (dimension, value, exact)


def test_a_value_synonym_says_it_was_one(vocab: Vocabulary) -> None:
    match = vocab.match_values("motor")[0]
    assert (match.via, match.term, match.value) == ("value_synonym", "motor", "Auto")


def test_values_can_be_limited_to_one_dimension(vocab: Vocabulary) -> None:
    assert {m.dimension for m in vocab.match_values("auto", "adjusters.team")} == {"adjusters.team"}
    assert decide(vocab.match_values("auto", ["products.line"])).best.value == "Auto"


def _indexed_only_name(demo: dict[str, Any]) -> str:
    adjusters = next(d for d in demo["catalog"]["dimensions"] if d["key"] == "adjusters.full_name")
    return next(n for n in demo["values"]["adjusters.full_name"] if n not in adjusters["values"]
                and all(len(part) > 4 for part in n.split()))


def test_an_adjuster_beyond_the_catalogs_sample_is_found_in_the_values_index(vocab: Vocabulary,
                                                                             demo: dict[str, Any]) -> None:
    name = _indexed_only_name(demo)
    decision = decide(vocab.match_values(name.lower()))
    assert decision.outcome == Outcome.USE and decision.best.exact
    assert (decision.best.dimension, decision.best.value) == ("adjusters.full_name", name)
    without_index = Vocabulary(demo["catalog"])
    assert name not in [m.value for m in without_index.match_values(name)]


def test_a_misspelled_adjuster_is_found_in_the_values_index(vocab: Vocabulary, demo: dict[str, Any]) -> None:
    name = _indexed_only_name(demo)
    first, last = name.split()
    vowel = next(i for i, ch in enumerate(last) if i and ch in "aeiou")
    typed = f"{first} {last[:vowel]}{last[vowel + 1:]}"  # one vowel left out
    decision = decide(vocab.match_values(typed, "adjusters.full_name"))
    assert decision.outcome == Outcome.USE and decision.best.value == name and not decision.best.exact


# -- near-ties are asked about ----------------------------------------------------------------------------


def test_a_word_two_values_share_equally_is_ambiguous(vocab: Vocabulary) -> None:
    decision = decide(vocab.match_values("north"))
    assert decision.outcome == Outcome.ASK and decision.reason == "ambiguous"
    assert {o.value for o in decision.options} == {"Northeast", "Northwest"}


def test_a_value_of_two_dimensions_is_ambiguous(vocab: Vocabulary) -> None:
    decision = decide(vocab.match_values("auto"))
    assert decision.outcome == Outcome.ASK
    assert {(o.dimension, o.value) for o in decision.options} >= {("products.line", "Auto"), ("adjusters.team", "Auto")}


def test_a_word_two_metrics_share_is_ambiguous(vocab: Vocabulary) -> None:
    decision = decide(vocab.match_metrics("total"))
    assert decision.outcome == Outcome.ASK and {o.key for o in decision.options} == {"total_paid", "total_claimed"}


def test_a_surname_several_adjusters_share_is_ambiguous(vocab: Vocabulary, demo: dict[str, Any]) -> None:
    names = demo["values"]["adjusters.full_name"]
    surname, count = Counter(n.split()[-1] for n in names).most_common(1)[0]
    assert count >= 2
    decision = decide(vocab.match_values(surname))
    assert decision.outcome == Outcome.ASK and decision.reason == "ambiguous"
    assert len(decision.options) >= 2 and all(o.value.endswith(surname) for o in decision.options)


def test_a_close_but_unclear_match_is_asked_about(vocab: Vocabulary) -> None:
    decision = decide(vocab.match_metrics("days"))
    assert decision.outcome == Outcome.ASK and decision.reason == "close"
    assert CLOSE_SCORE <= decision.options[0].score < MATCH_SCORE
    assert decision.options[0].key == "avg_settlement_days"


# -- what the dictionary lacks ----------------------------------------------------------------------------


@pytest.mark.parametrize(("phrase", "kind"), [
    ("NPS", "metric"), ("net promoter score", "metric"), ("customer satisfaction", "metric"), ("churn", "metric"),
    ("Europe", "value"), ("Texas", "value"), ("country", "dimension"), ("age group", "dimension"),
])
def test_a_far_off_word_gets_no_confident_match_and_the_closest_there_is(vocab: Vocabulary, phrase: str,
                                                                         kind: str) -> None:
    decision = vocab.decide(phrase, kind=kind)
    assert decision.outcome == Outcome.REFUSE and decision.best is None
    assert all(m.score < CLOSE_SCORE for m in getattr(vocab, f"match_{kind}s")(phrase))
    closest = vocab.closest(phrase, n=3, kind=kind)
    assert len(closest) == 3 and all(c.kind == kind and c.score < CLOSE_SCORE for c in closest)
    assert list(decision.options) == closest


def test_the_closest_to_customer_satisfaction_is_about_customers(vocab: Vocabulary) -> None:
    assert vocab.closest("customer satisfaction", kind="metric")[0].key == "distinct_claimants"


def test_closest_of_every_kind_mixes_them_best_first(vocab: Vocabulary) -> None:
    closest = vocab.closest("regional", n=3)
    assert closest[0].key == "regions.name" and [c.score for c in closest] == sorted(
        (c.score for c in closest), reverse=True)


def test_nothing_named_matches_nothing(vocab: Vocabulary) -> None:
    assert vocab.match_metrics("show me the") == [] and vocab.match_values("") == []
    assert decide([]).outcome == Outcome.REFUSE


# -- longer text -------------------------------------------------------------------------------------------


def test_each_mention_in_a_sentence_is_decided_on_its_own(vocab: Vocabulary) -> None:
    decisions = mentions(vocab.match_values("homeowners claims in the northest last quarter"))
    assert [(d.outcome, d.best.value) for d in decisions] == [(Outcome.USE, "Homeowners"), (Outcome.USE, "Northeast")]
    assert decisions[1].best.words == ("northest",)


def test_a_metric_is_found_inside_a_sentence_with_the_words_it_used(vocab: Vocabulary) -> None:
    match = best_metric(vocab, "top 5 causes by totl claimd last quarter")
    assert match.key == "total_claimed" and match.words == ("totl", "claimd")


# -- properties --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "known", "low", "high"), [
    ("totl", "total", 0.9, 0.99), ("northest", "northeast", 0.9, 0.99), ("calim", "claim", 0.9, 0.95),
    ("settle", "settlement", 0.85, 0.95), ("adjustor", "adjuster", 0.8, 0.9), ("auto", "auto", 1.0, 1.0),
    ("nps", "ops", 0.0, 0.0), ("car", "cat", 0.0, 0.0), ("europe", "northeast", 0.0, 0.0),
    ("center", "renter", 0.0, 0.75),
])
def test_word_similarity(typed: str, known: str, low: float, high: float) -> None:
    assert low <= word_similarity(typed, known) <= high


def test_a_dropped_vowel_is_a_lighter_slip_than_a_dropped_consonant() -> None:
    assert word_similarity("northest", "northeast") > word_similarity("northest", "northwest") + 0.05


def test_it_is_deterministic(demo: dict[str, Any], vocab: Vocabulary) -> None:
    again = Vocabulary(demo["catalog"], demo["values"])
    for phrase in ("north", "totl paid", "Smith", "auto", "Europe"):
        assert again.match_values(phrase) == vocab.match_values(phrase)
        assert again.match_metrics(phrase) == vocab.match_metrics(phrase)


def test_it_is_built_once_per_catalog_and_anew_for_an_edited_one(demo: dict[str, Any],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabulary_index, "_BUILT", {})
    first = vocabulary_for(catalog=demo["catalog"], values=demo["values"])
    assert vocabulary_for(catalog=demo["catalog"], values=demo["values"]) is first
    edited = {**demo["catalog"], "metrics": [{**m, "synonyms": [*m["synonyms"], "nps"]}
                                             if m["key"] == "claim_count" else m for m in demo["catalog"]["metrics"]]}
    rebuilt = vocabulary_for(catalog=edited, values=demo["values"])
    assert rebuilt is not first and rebuilt.match_metrics("nps")[0].key == "claim_count"


def test_a_lookup_takes_under_5_ms(vocab: Vocabulary) -> None:
    phrases = ["totl paid", "how long do we take to settle", "northest", "water damage claims handled by adjusters",
               "homeowners in the northest by adjuster team", "Europe", "smb", "claim size band"]
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for phrase in phrases:
            vocab.match_metrics(phrase)
            vocab.match_dimensions(phrase)
            vocab.match_values(phrase)
    per_lookup_ms = (time.perf_counter() - started) * 1000 / (rounds * len(phrases) * 3)
    assert per_lookup_ms < 5


def test_building_the_demo_vocabulary_is_quick(demo: dict[str, Any]) -> None:
    started = time.perf_counter()
    Vocabulary(demo["catalog"], demo["values"])
    assert time.perf_counter() - started < 0.5
