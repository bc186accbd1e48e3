"""The widgets API: clear errors, nothing lost, and nobody sees another's private dashboard."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from widgets.models import Dashboard, RequestStatus, WidgetRequest

pytestmark = pytest.mark.django_db


def test_a_prompt_is_saved_and_its_first_step_queued_after_commit(client_for, analyst, dashboard, sent,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/",
                                            {"prompt": "  total paid\n last 30 days "}, format="json")
        assert sent == []  # nothing goes to the broker before the request and its step are committed
    for callback in callbacks:
        callback()
    assert response.status_code == 202
    saved = WidgetRequest.objects.get(id=response.json()["id"])
    assert (saved.prompt, saved.status) == ("total paid last 30 days", RequestStatus.PENDING)
    step = saved.steps.get()
    assert (step.name, step.state) == ("clarify", "queued")
    assert sent == [("run_step", (step.id,))]
    assert response.json()["current_steps"][0]["label"] == "Reading the request"


@pytest.mark.parametrize(
    ("body", "code"),
    [({"prompt": "   "}, "empty_prompt"), ({"prompt": "x" * 2001}, "prompt_too_long"), ({}, "invalid")],
)
def test_bad_prompts_get_a_clear_error_and_nothing_is_saved(client_for, analyst, dashboard, body, code):
    response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]
    assert not WidgetRequest.objects.exists()


def test_another_analysts_private_dashboard_is_not_found(client_for, other_analyst, dashboard):
    client = client_for(other_analyst)
    assert client.get(f"/api/dashboards/{dashboard.id}/").status_code == 404
    assert client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "x"}, format="json").status_code == 404
    assert client.get(f"/dashboards/{dashboard.id}/").status_code == 404
    assert dashboard.id not in [d["id"] for d in client.get("/api/dashboards/").json()["results"]]


def test_a_shared_dashboard_is_visible_but_only_its_owner_adds_widgets(client_for, other_analyst, dashboard):
    Dashboard.objects.filter(id=dashboard.id).update(is_private=False)
    client = client_for(other_analyst)
    body = client.get(f"/api/dashboards/{dashboard.id}/").json()
    assert body["can_edit"] is False
    response = client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "claims"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_another_analysts_request_is_not_found(client_for, analyst, other_analyst, dashboard):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="claims")
    assert client_for(other_analyst).get(f"/api/requests/{request.id}/").status_code == 404
    assert client_for(analyst).get(f"/api/requests/{request.id}/").status_code == 200


def test_anonymous_users_get_no_data(dashboard):
    response = APIClient().get(f"/api/dashboards/{dashboard.id}/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert APIClient().get("/").status_code == 302


def test_an_analyst_cannot_reach_admin_pages(client, analyst):
    client.force_login(analyst)
    for path in ("/admin/", "/admin/llm/tier/", "/admin/llm/llmcall/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path


def test_an_admin_reaches_the_tier_admin(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-123456789")
    client.force_login(admin)
    assert b"us.anthropic.claude-sonnet-4-6" in client.get("/admin/llm/tier/").content


class TestAnswers:
    @pytest.fixture
    def waiting(self, analyst, dashboard):
        return WidgetRequest.objects.create(
            dashboard=dashboard, user=analyst, prompt="claims by region", status=RequestStatus.NEEDS_CLARIFICATION,
            questions=[{"id": "time_window", "text": "Over what period?", "options": ["Last 30 days"]}],
        )

    def test_an_answer_queues_the_clarifier_again(self, client_for, analyst, waiting, sent,
                                                  django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(analyst).post(f"/api/requests/{waiting.id}/answers/",
                                                {"answers": {"time_window": "Last 30 days"}}, format="json")
        assert response.status_code == 202
        waiting.refresh_from_db()
        assert waiting.status == RequestStatus.PENDING and waiting.questions == []
        assert waiting.answers == [{"question": "time_window", "answer": "Last 30 days"}]
        assert sent == [("run_step", (waiting.steps.get(name="clarify").id,))]

    @pytest.mark.parametrize("answers", [{}, {"nope": "x"}, {"time_window": "  "}])
    def test_a_bad_answer_is_refused_and_the_question_stays_open(self, client_for, analyst, waiting, answers):
        response = client_for(analyst).post(f"/api/requests/{waiting.id}/answers/", {"answers": answers}, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "invalid_answer")
        waiting.refresh_from_db()
        assert waiting.status == RequestStatus.NEEDS_CLARIFICATION and waiting.questions

    def test_answering_twice_is_refused(self, client_for, analyst, waiting):
        client = client_for(analyst)
        url = f"/api/requests/{waiting.id}/answers/"
        assert client.post(url, {"answers": {"time_window": "Last 30 days"}}, format="json").status_code == 202
        second = client.post(url, {"answers": {"time_window": "Last 30 days"}}, format="json")
        assert (second.status_code, second.json()["code"]) == (400, "not_waiting")


def test_answering_one_of_two_questions_keeps_the_other_open(client_for, analyst, dashboard, sent):
    waiting = WidgetRequest.objects.create(
        dashboard=dashboard, user=analyst, prompt="something", status=RequestStatus.NEEDS_CLARIFICATION,
        questions=[{"id": "metric", "text": "Which?", "options": ["Total paid"]},
                   {"id": "time_window", "text": "When?", "options": ["Last 30 days"]}],
    )
    body = client_for(analyst).post(f"/api/requests/{waiting.id}/answers/",
                                    {"answers": {"metric": "Total paid"}}, format="json").json()
    assert body["status"] == RequestStatus.NEEDS_CLARIFICATION
    assert [q["id"] for q in body["questions"]] == ["time_window"]
    assert body["answers"] == [{"question": "metric", "answer": "Total paid"}]
    assert not waiting.steps.exists()


def test_a_dismissed_failure_stays_away_after_a_reload(client_for, analyst, dashboard):
    failed = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x", status=RequestStatus.FAILED)
    client = client_for(analyst)
    assert [r["id"] for r in client.get(f"/api/dashboards/{dashboard.id}/").json()["requests"]] == [failed.id]
    assert client.post(f"/api/requests/{failed.id}/dismiss/").status_code == 200
    assert client.get(f"/api/dashboards/{dashboard.id}/").json()["requests"] == []


def test_only_a_failed_request_can_be_dismissed(client_for, analyst, dashboard):
    pending = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x")
    response = client_for(analyst).post(f"/api/requests/{pending.id}/dismiss/")
    assert (response.status_code, response.json()["code"]) == (400, "not_failed")


@pytest.mark.parametrize("path", ["/admin/widgets/widgetrequest/{id}/change/", "/admin/jobs/outboxmessage/",
                                  "/admin/jobs/outboxmessage/?sent_at__isempty=1"])
def test_the_admin_shows_a_requests_steps_and_the_outbox(admin_client, analyst, dashboard, path):
    from widgets.services.requests import widget_request_create

    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days")
    page = admin_client.get(path.format(id=request.id))
    assert page.status_code == 200
    assert (b"clarify" in page.content) if "widgetrequest" in path else (b"run_step" in page.content)
