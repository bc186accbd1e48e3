"""The offline reader's "all others" row: the rest of a ranking asked for as one row, in the ways analysts say it,
and never the cause "Other", which is a value of the data."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backend.llm.api import OfflineQuery
from sql_gen.selectors import catalog
from widgets.services import refine_offline
from widgets.services.clarifier_offline import Reader
from widgets.services.spec import spec_validate
from widgets.services.spec_patch import SpecChange, spec_apply

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 18)


def read(demo: dict[str, Any], text: str) -> dict[str, Any]:
    return Reader(demo["catalog"], TODAY, hints=demo["values"]).read(text)


@pytest.mark.parametrize(("text", "ranking", "dimension"), [
    ("top 5 causes by total paid and all others", {"direction": "top", "n": 5}, "claims.cause"),
    ("top 5 causes by total paid plus the rest", {"direction": "top", "n": 5}, "claims.cause"),
    ("top 5 causes by total paid with everything else as other", {"direction": "top", "n": 5}, "claims.cause"),
    ("top 3 regions by claim count, rest grouped", {"direction": "top", "n": 3}, "regions.name"),
    ("top 3 regions by claims, the rest as others", {"direction": "top", "n": 3}, "regions.name"),
    ("bottom 4 channels by claim count and all other channels", {"direction": "bottom", "n": 4}, "channels.name"),
    ("10 biggest adjusters by total paid, lump everyone else together", {"direction": "top", "n": 10}, "adjusters.full_name"),
    ("top 5 products by claims with an 'all others' row", {"direction": "top", "n": 5}, "products.name"),
])
def test_the_rest_asked_for_as_one_row_is_the_rankings_others(demo, text, ranking, dimension):
    intent = read(demo, text)
    assert intent["ranking"] == {**ranking, "others": True}
    assert intent["dimensions"] == [dimension] and not intent["filters"] and not intent["questions"]


def test_a_ranking_said_without_a_measure_still_has_its_others_and_asks_for_the_measure(demo):
    intent = read(demo, "top 3 regions, rest grouped")
    assert intent["ranking"] == {"direction": "top", "n": 3, "others": True}
    assert [q["id"] for q in intent["questions"]] == ["metric"]


@pytest.mark.parametrize("text", ["top 5 causes by total paid and other", "top 5 causes by total paid, other only",
                                  "top 3 causes by total paid and other and fire"])
def test_other_alone_is_still_the_cause_other(demo, text):
    intent = read(demo, text)
    assert "others" not in (intent["ranking"] or {})
    assert [f["values"] for f in intent["filters"] if f["dimension"] == "claims.cause"][0][-1] == "Other"


def test_the_rest_said_of_no_ranking_makes_none(demo):
    intent = read(demo, "total paid by cause plus the rest")
    assert intent["ranking"] is None and intent["dimensions"] == ["claims.cause"]


# -- a follow-up to a ranked widget ----------------------------------------------------------------------


def _refined(catalog: dict[str, Any], ranking: dict[str, Any], words: str) -> dict[str, Any]:
    spec = spec_validate(payload={
        "kind": "chart", "title": "Claims by region", "chart_type": "bar", "dimensions": ["regions.name"],
        "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"}, "ranking": ranking,
        "time_window": {"kind": "rolling", "n": 90, "unit": "day"}}, catalog=catalog).model_dump(mode="json")
    change = SpecChange.model_validate(refine_offline.answer(OfflineQuery(context=catalog, corrections=[], prompt={
        "spec": spec, "request": words, "answers": [], "conversation": [], "today": "2026-12-02"})))
    assert not change.questions and not change.missing, change
    return spec_apply(spec=spec, change=change, catalog=catalog)


@pytest.mark.parametrize(("words", "ranking"), [
    ("add the rest as others", {"direction": "top", "n": 5, "others": True}),
    ("top 10 plus the rest", {"direction": "top", "n": 10, "others": True}),
    ("top 3", {"direction": "top", "n": 3}),
])
def test_a_follow_up_adds_the_row_to_a_ranking(demo_source, words, ranking):
    assert _refined(catalog(source=demo_source), {"direction": "top", "n": 5}, words)["ranking"] == ranking


def test_a_new_n_keeps_the_row_the_widget_has(demo_source):
    refined = _refined(catalog(source=demo_source), {"direction": "top", "n": 5, "others": True}, "top 10 instead")
    assert refined["ranking"] == {"direction": "top", "n": 10, "others": True}
