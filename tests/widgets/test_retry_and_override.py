"""Trying a failed request again, and an admin forcing one model for a request."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from backend.llm.models import LLMCall, ModelRoute
from backend.llm.types import LLMError
from sql_gen.services import generate_offline
from sql_gen.services.generate import SQL
from widgets.models import DataOrigin, RequestStatus, StepState, Widget, WidgetRequest
from widgets.services import runner as pipeline
from widgets.services.clarifier import CLARIFY
from widgets.services.requests import widget_request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="root", password="pw-root-123456", is_staff=True)


def _down(query):
    raise LLMError("Every route of tier 'fast' failed: throttled", retryable=True, code="llm_throttled")


def _failed_at_the_sql_step(analyst, dashboard, monkeypatch) -> WidgetRequest:
    with monkeypatch.context() as patch:
        patch.setattr(SQL, "offline", _down)
        request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                        enqueue=False)
        pipeline.run(request_id=request.id)
    request.refresh_from_db()
    return request


def _calls(request: WidgetRequest) -> list[str]:
    return list(LLMCall.objects.filter(widget_request_id=request.id).order_by("id").values_list("purpose", flat=True))


def test_a_badged_widget_replaces_its_failed_request_on_the_dashboard(
        client_for, demo_source, analyst, dashboard, monkeypatch):
    request = _failed_at_the_sql_step(analyst, dashboard, monkeypatch)
    body = client_for(analyst).get(f"/api/dashboards/{dashboard.id}/").json()
    assert body["requests"] == []
    [widget] = body["widgets"]
    assert (widget["request_id"], widget["source"], widget["source_label"]) == (
        request.id, "llm_unavailable", "LLM unavailable")
    assert widget["can_retry"] is True and "throttled" in widget["source_reason"]
    assert widget["result"] == {} and widget["sql"] == ""


def test_trying_again_resumes_at_the_failed_step_without_paying_for_the_earlier_ones(
        client_for, demo_source, analyst, dashboard, monkeypatch, sent, django_capture_on_commit_callbacks):
    request = _failed_at_the_sql_step(analyst, dashboard, monkeypatch)
    before = _calls(request)
    assert before[:2] == ["intent_extraction", "spec_synthesis"] and set(before[2:]) == {"sql_generation"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(analyst).post(f"/api/requests/{request.id}/retry/", {}, format="json")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["widget"]) == (RequestStatus.PENDING, None)
    sql_step = request.steps.get(name="sql")
    assert sent == [("run_step", (sql_step.id,))] and sql_step.state == StepState.QUEUED
    assert not Widget.objects.filter(request=request).exists()

    assert pipeline.run(request_id=request.id) == RequestStatus.READY
    assert _calls(request) == before + ["sql_generation"]  # the clarifier and the spec were not asked again
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.LIVE and widget.result["rows"]
    assert widget.llm_calls == LLMCall.objects.filter(widget_request_id=request.id).count()


def test_a_query_that_failed_when_run_sends_the_sql_back_to_the_model_on_retry(
        demo_source, analyst, dashboard, monkeypatch):
    from sql_gen.services.execute import QueryFailed

    corrections: list[list[str]] = []

    def remember(query):
        corrections.append(list(query.corrections))
        return generate_offline.answer(query)

    monkeypatch.setattr(SQL, "offline", remember)
    with monkeypatch.context() as patch:
        def stopped(**kwargs):
            raise QueryFailed("The query was stopped: it used more than 1 GB of memory.", statement_fault=True)

        patch.setattr("widgets.services.data.sql_execute", stopped)
        request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days",
                                        enqueue=False)
        assert pipeline.run(request_id=request.id) == RequestStatus.FAILED
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.QUERY_FAILED and "1 GB" in widget.source_reason
    assert request.steps.get(name="fetch").rewind_to == "sql"
    from widgets.services.requests import widget_request_retry

    widget_request_retry(user=analyst, request=request, enqueue=False)
    assert pipeline.run(request_id=request.id) == RequestStatus.READY
    assert corrections[0] == [] and "more than 1 GB" in corrections[1][-1]  # the model saw why, in its conversation
    assert _calls(request).count("spec_synthesis") == 1


def test_only_the_requests_owner_may_try_it_again_and_only_once_failed(
        client_for, demo_source, analyst, other_analyst, dashboard, monkeypatch):
    request = _failed_at_the_sql_step(analyst, dashboard, monkeypatch)
    assert client_for(other_analyst).post(f"/api/requests/{request.id}/retry/", {}, format="json").status_code == 404
    assert Widget.objects.filter(request=request).exists()
    owner = client_for(analyst)
    assert owner.post(f"/api/requests/{request.id}/retry/", {}, format="json").status_code == 202
    again = owner.post(f"/api/requests/{request.id}/retry/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "not_failed")


def test_a_request_that_failed_before_its_spec_can_be_tried_again(client_for, demo_source, analyst, dashboard,
                                                                 monkeypatch):
    monkeypatch.setattr(CLARIFY, "offline", _down)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    assert pipeline.run(request_id=request.id) == RequestStatus.FAILED
    assert not Widget.objects.exists()
    listed = client_for(analyst).get(f"/api/dashboards/{dashboard.id}/").json()["requests"]
    assert [r["error_code"] for r in listed] == ["llm_unavailable"]  # no widget: the request card says why
    monkeypatch.undo()
    response = client_for(analyst).post(f"/api/requests/{request.id}/retry/", {}, format="json")
    assert response.status_code == 202
    assert pipeline.run(request_id=request.id) == RequestStatus.READY


def test_an_admin_forces_a_model_for_every_call_of_one_request(client_for, demo_source, staff):
    from widgets.models import Dashboard

    board = Dashboard.objects.create(owner=staff, name="Admin board")
    route = ModelRoute.objects.get(tier__name="reasoning", provider="anthropic")
    response = client_for(staff).post(f"/api/dashboards/{board.id}/requests/",
                                      {"prompt": "total paid last 7 days", "route_id": route.id}, format="json")
    assert response.status_code == 202 and response.json()["route_override"] == str(route)
    request_id = response.json()["id"]
    assert pipeline.run(request_id=request_id) == RequestStatus.READY
    calls = LLMCall.objects.filter(widget_request_id=request_id)
    assert calls.count() == 3
    assert set(calls.values_list("requested_model", "overridden")) == {(route.model_id, True)}
    plain = widget_request_create(user=staff, dashboard=board, prompt="claim count last 7 days", enqueue=False)
    pipeline.run(request_id=plain.id)
    assert not LLMCall.objects.filter(widget_request_id=plain.id, overridden=True).exists()


def test_an_analyst_cannot_force_a_model(client_for, demo_source, analyst, dashboard):
    route = ModelRoute.objects.first()
    response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/",
                                        {"prompt": "total paid last 7 days", "route_id": route.id}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not WidgetRequest.objects.exists()


def test_a_route_that_does_not_exist_is_a_clear_error(client_for, demo_source, staff):
    from widgets.models import Dashboard

    board = Dashboard.objects.create(owner=staff, name="Admin board")
    response = client_for(staff).post(f"/api/dashboards/{board.id}/requests/",
                                      {"prompt": "total paid last 7 days", "route_id": 999999}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_route")
    assert not WidgetRequest.objects.exists()


def test_the_dashboard_page_offers_the_model_choice_to_admins_only(client, demo_source, staff, analyst, dashboard):
    from widgets.models import Dashboard

    board = Dashboard.objects.create(owner=staff, name="Admin board")
    client.force_login(staff)
    assert b'data-testid="route-override"' in client.get(f"/dashboards/{board.id}/").content
    client.force_login(analyst)
    assert b'data-testid="route-override"' not in client.get(f"/dashboards/{dashboard.id}/").content


def test_generate_widget_takes_a_route_for_admins(demo_source, staff):
    route = ModelRoute.objects.get(tier__name="fast", provider="anthropic")
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("generate_widget", "total paid last 7 days", "--user", staff.username, "--route",
                     str(route.id), stdout=out)
    assert exited.value.code == 0, out.getvalue()
    assert set(LLMCall.objects.values_list("requested_model", "overridden")) == {(route.model_id, True)}
