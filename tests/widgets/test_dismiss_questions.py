"""Pending clarifying questions can be dismissed, and stay away."""
from __future__ import annotations

import pytest

from widgets.models import RequestStatus, WidgetRequest

pytestmark = pytest.mark.django_db
QUESTION = {"id": "metric", "text": "Which measure?", "options": ["Claim count", "Total paid"]}


def test_a_request_waiting_for_an_answer_is_dismissed_and_stays_away(client_for, analyst, dashboard):
    waiting = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="how are we doing",
                                           status=RequestStatus.NEEDS_CLARIFICATION, questions=[QUESTION])
    client = client_for(analyst)
    assert [r["id"] for r in client.get(f"/api/dashboards/{dashboard.id}/").json()["requests"]] == [waiting.id]
    response = client.post(f"/api/requests/{waiting.id}/dismiss/")
    assert response.status_code == 200
    assert client.get(f"/api/dashboards/{dashboard.id}/").json()["requests"] == []
    assert WidgetRequest.objects.get(id=waiting.id).dismissed


@pytest.mark.parametrize("status", [RequestStatus.PENDING, RequestStatus.RUNNING, RequestStatus.READY])
def test_a_request_at_work_or_done_is_not_dismissed(client_for, analyst, dashboard, status):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x", status=status)
    response = client_for(analyst).post(f"/api/requests/{request.id}/dismiss/")
    assert (response.status_code, response.json()["code"]) == (400, "not_failed")
    assert not WidgetRequest.objects.get(id=request.id).dismissed


def test_another_analysts_question_is_not_theirs_to_dismiss(client_for, analyst, other_analyst, dashboard):
    waiting = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x",
                                           status=RequestStatus.NEEDS_CLARIFICATION, questions=[QUESTION])
    assert client_for(other_analyst).post(f"/api/requests/{waiting.id}/dismiss/").status_code == 404
    assert not WidgetRequest.objects.get(id=waiting.id).dismissed
