"""The reply to a request for what the data lacks: near things by label, each once, or a pointer to the catalog."""
from __future__ import annotations

import pytest

from sql_gen.selectors import value_labels
from sql_gen.services.vocabulary import ValueMatch, source_vocabulary
from widgets.models import RequestStatus
from widgets.services import runner as pipeline
from widgets.services.clarifier import SUGGEST_SCORE, refusal_suggestions, unanswerable_message
from widgets.services.requests import widget_request_create

pytestmark = pytest.mark.django_db


def _message(source, term: str, kind: str, closest: list[str] | None = None) -> str:
    missing = [{"term": term, "kind": kind, "closest": closest or []}]
    return unanswerable_message(missing, vocabulary=source_vocabulary(source=source),
                                labels=value_labels(source=source))


@pytest.mark.parametrize(("term", "kind", "model_said"), [
    ("Europe", "value", ["open", "Pet", "Commercial Property"]),
    ("vip customers", "value", ["Storm", "Auto", "Auto"]),
    ("NPS", "metric", ["Distinct claimants", "Total paid"]),
    ("net promoter score", "metric", []),
    ("broker", "dimension", ["adjuster"]),
])
def test_nothing_near_suggests_nothing_and_points_to_the_catalog(demo_source, term, kind, model_said):
    message = _message(demo_source, term, kind, model_said)
    assert f"“{term}”" in message
    assert "Closest" not in message
    assert message.endswith("See what the data has: /catalog/")


def test_a_near_measure_is_suggested_by_its_name(demo_source):
    message = _message(demo_source, "combined ratio", "metric")
    assert "Closest: Loss ratio" in message and "/catalog/" not in message


def test_a_typo_of_two_values_suggests_both(demo_source):
    assert "Closest: Northeast, Northwest." in _message(demo_source, "Nortest", "value")


class _Vocabulary:
    """Stands in for the vocabulary's ranking, to pin the scores a suggestion is judged by."""

    def __init__(self, *found: ValueMatch) -> None:
        self.found = found

    def closest(self, phrase: str, n: int = 3, *, kind: str | None = None) -> list[ValueMatch]:
        return list(self.found[:n])


def _value(dimension: str, value: str, score: float) -> ValueMatch:
    return ValueMatch(dimension=dimension, value=value, score=score, exact=False, via="value", term=value, words=())


def test_suggestions_are_labels_each_once_and_only_near_ones():
    vocabulary = _Vocabulary(_value("products.line", "Auto", 60.0), _value("adjusters.team", "Auto", 60.0),
                             _value("claims.status", "under_review", 50.0), _value("claims.status", "denied", 45.0),
                             _value("claims.cause", "Storm", SUGGEST_SCORE - 0.1))
    labels = {"claims.status": {"denied": "Refused"}}
    assert refusal_suggestions(term="x", kind="value", vocabulary=vocabulary, labels=labels) == [
        "Auto", "Under review", "Refused"]
    assert refusal_suggestions(term="x", kind="value", vocabulary=_Vocabulary(
        _value("claims.cause", "Storm", SUGGEST_SCORE - 0.1))) == []


def test_the_pipeline_refuses_with_the_catalog_pointer(demo_source, analyst, dashboard):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="claims in Europe last month",
                                    enqueue=False)
    pipeline.run(request_id=request.id)
    request.refresh_from_db()
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "not_in_data")
    assert "europe" in request.error_message.lower() and "Closest" not in request.error_message
    assert "See what the data has: /catalog/" in request.error_message


def test_a_refused_request_is_not_offered_a_retry_but_other_failures_are(demo_source, analyst, dashboard):
    from widgets.serializers import request_out

    refused = widget_request_create(user=analyst, dashboard=dashboard, prompt="NPS last month", enqueue=False)
    pipeline.run(request_id=refused.id)
    refused.refresh_from_db()
    assert request_out(refused)["can_retry"] is False
    assert request_out(refused)["status_label"] == "Not in the data"  # an answer, not a fault
    refused.error_code = "llm_unavailable"
    assert request_out(refused)["can_retry"] is True
    assert request_out(refused)["status_label"] == "Failed"
