"""Request endpoints: cancel (the pipeline stops at its next step boundary), dismiss, and permissions."""
from __future__ import annotations

import dataclasses

import pytest
from rest_framework.test import APIClient

from widgets.models import RequestStatus, StepName, StepState, Widget, WidgetRequest
from widgets.services import pipeline, runner
from widgets.services.requests import widget_request_cancel, widget_request_create

pytestmark = pytest.mark.django_db


def test_cancelling_a_queued_request_means_no_step_runs(client_for, analyst, dashboard, demo_source):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    response = client_for(analyst).post(f"/api/requests/{request.id}/cancel/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_label"]) == ("cancelled", "Cancelled")
    assert runner.run(request_id=request.id) == RequestStatus.CANCELLED
    assert request.steps.get().state == StepState.QUEUED  # never claimed
    assert not Widget.objects.exists()


def test_a_request_cancelled_while_a_step_runs_stops_after_that_step(analyst, dashboard, demo_source, monkeypatch):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    spec = pipeline.STAGES[StepName.SPEC]

    def cancelled_meanwhile(run):
        widget_request_cancel(user=analyst, request=run.widget_request)
        return spec.work(run)

    monkeypatch.setitem(pipeline.STAGES, StepName.SPEC, dataclasses.replace(spec, work=cancelled_meanwhile))
    assert runner.run(request_id=request.id) == RequestStatus.CANCELLED
    states = dict(request.steps.values_list("name", "state"))
    assert states == {"clarify": "done", "spec": "done"}  # its work kept, nothing queued after it
    assert not Widget.objects.exists()


def test_without_cancelling_the_same_request_makes_a_widget(analyst, dashboard, demo_source):
    """The control for the test above: the pipeline does build this request."""
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    assert Widget.objects.filter(request=request).exists()


@pytest.mark.parametrize("status", [RequestStatus.READY, RequestStatus.FAILED])
def test_a_finished_request_cannot_be_cancelled(client_for, analyst, dashboard, status):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x", status=status)
    response = client_for(analyst).post(f"/api/requests/{request.id}/cancel/")
    assert (response.status_code, response.json()["code"]) == (400, "not_cancellable")
    request.refresh_from_db()
    assert request.status == status


def test_cancelling_twice_is_harmless_and_a_waiting_request_can_be_cancelled(client_for, analyst, dashboard):
    waiting = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x",
                                           status=RequestStatus.NEEDS_CLARIFICATION,
                                           questions=[{"id": "q", "text": "?", "options": []}])
    client = client_for(analyst)
    assert client.post(f"/api/requests/{waiting.id}/cancel/").json()["status"] == "cancelled"
    assert client.post(f"/api/requests/{waiting.id}/cancel/").status_code == 200
    answer = client.post(f"/api/requests/{waiting.id}/answers/", {"answers": {"q": "a"}}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (400, "not_waiting")
    # A cancelled request leaves the dashboard's open requests.
    assert client.get(f"/api/dashboards/{dashboard.id}/").json()["requests"] == []


def test_a_cancelled_request_cannot_be_retried(client_for, analyst, dashboard):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x",
                                           status=RequestStatus.CANCELLED)
    response = client_for(analyst).post(f"/api/requests/{request.id}/retry/")
    assert (response.status_code, response.json()["code"]) == (400, "not_failed")


def test_a_request_waiting_for_an_answer_can_be_dismissed(client_for, analyst, dashboard):
    waiting = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x",
                                           status=RequestStatus.NEEDS_CLARIFICATION,
                                           questions=[{"id": "q", "text": "?", "options": []}])
    assert client_for(analyst).post(f"/api/requests/{waiting.id}/dismiss/").status_code == 200
    waiting.refresh_from_db()
    assert waiting.dismissed


@pytest.mark.parametrize("action", ["", "answers/", "dismiss/", "retry/", "cancel/"])
def test_another_users_request_is_404_even_for_staff(action, client_for, analyst, other_analyst, staff, dashboard):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x", status=RequestStatus.FAILED)
    for user in (other_analyst, staff):
        client = client_for(user)
        url = f"/api/requests/{request.id}/{action}"
        response = client.get(url) if not action else client.post(url, {"answers": {"q": "a"}}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    request.refresh_from_db()
    assert (request.status, request.dismissed) == (RequestStatus.FAILED, False)


@pytest.mark.parametrize("action", ["", "answers/", "dismiss/", "retry/", "cancel/"])
def test_anonymous_callers_get_401_on_requests(action, analyst, dashboard):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x")
    url = f"/api/requests/{request.id}/{action}"
    response = APIClient().get(url) if not action else APIClient().post(url, {}, format="json")
    assert response.status_code == 401


def test_a_token_creates_polls_and_cancels_a_request(token_client, analyst, dashboard):
    client = token_client(analyst)
    made = client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "claims by region"}, format="json")
    assert made.status_code == 202
    assert client.get(f"/api/requests/{made.json()['id']}/").json()["status"] == "pending"
    assert client.post(f"/api/requests/{made.json()['id']}/cancel/").json()["status"] == "cancelled"


def test_the_request_list_holds_the_callers_own_newest_first_in_pages(client_for, analyst, other_analyst,
                                                                      dashboard):
    from widgets.models import Dashboard

    other_board = Dashboard.objects.create(owner=analyst, name="Second")
    mine = [WidgetRequest.objects.create(dashboard=board, user=analyst, prompt=f"mine {n}", status=status)
            for n, (board, status) in enumerate([(dashboard, RequestStatus.READY), (other_board, RequestStatus.FAILED),
                                                 (dashboard, RequestStatus.NEEDS_CLARIFICATION)])]
    theirs = Dashboard.objects.create(owner=other_analyst, name="Theirs", is_private=False)
    WidgetRequest.objects.create(dashboard=theirs, user=other_analyst, prompt="not yours", status=RequestStatus.READY)
    client = client_for(analyst)
    page = client.get("/api/requests/?page_size=2").json()
    assert set(page) == {"count", "next", "previous", "results"} and page["count"] == 3 and "page=2" in page["next"]
    assert [r["id"] for r in page["results"]] == [mine[2].id, mine[1].id]
    on_board = client.get(f"/api/requests/?dashboard={dashboard.id}").json()["results"]
    assert [r["prompt"] for r in on_board] == ["mine 2", "mine 0"]
    failed = client.get("/api/requests/?status=failed").json()["results"]
    assert [r["id"] for r in failed] == [mine[1].id] and failed[0]["can_retry"] is True
    for bad in ("?status=exploded", "?dashboard=1%3B%20DROP", "?dashboard=%EF%BC%91"):
        answer = client.get(f"/api/requests/{bad}")
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid"), bad
    assert APIClient().get("/api/requests/").status_code == 401
