"""Per-user throttles on the endpoints that start paid work: 429 with Retry-After; exempt group and switch."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from widgets.models import RequestStatus, WidgetRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def throttled(settings):
    settings.API_THROTTLE_ENABLED = True
    settings.API_THROTTLE_RATES = {"generation": "3/min"}
    cache.clear()
    yield
    cache.clear()


def _create(client, dashboard):
    return client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "total paid last 7 days"},
                       format="json")


def test_the_fourth_generation_call_in_a_minute_is_429_with_retry_after(throttled, client_for, analyst, dashboard):
    client = client_for(analyst)
    assert [_create(client, dashboard).status_code for _ in range(3)] == [202, 202, 202]
    response = _create(client, dashboard)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and 0 < int(response["Retry-After"]) <= 60
    assert body["extra"]["retry_after_s"] == int(response["Retry-After"])
    assert WidgetRequest.objects.count() == 3
    # Reading is not generation.
    assert client.get(f"/api/dashboards/{dashboard.id}/").status_code == 200


def test_create_answer_and_retry_share_one_budget(throttled, client_for, analyst, dashboard):
    client = client_for(analyst)
    waiting = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x",
                                           status=RequestStatus.NEEDS_CLARIFICATION,
                                           questions=[{"id": "q", "text": "?", "options": []}])
    failed = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="y", status=RequestStatus.FAILED)
    assert _create(client, dashboard).status_code == 202
    assert client.post(f"/api/requests/{waiting.id}/answers/", {"answers": {"q": "a"}},
                       format="json").status_code == 202
    assert client.post(f"/api/requests/{failed.id}/retry/").status_code == 202
    assert client.post(f"/api/requests/{failed.id}/retry/").status_code == 429


def test_the_budget_is_per_user(throttled, client_for, analyst, other_analyst, dashboard):
    from widgets.models import Dashboard

    mine = client_for(analyst)
    for _ in range(3):
        _create(mine, dashboard)
    assert _create(mine, dashboard).status_code == 429
    theirs = Dashboard.objects.create(owner=other_analyst, name="Theirs")
    assert _create(client_for(other_analyst), theirs).status_code == 202


def test_the_exempt_group_is_never_throttled(throttled, client_for, analyst, dashboard, settings):
    analyst.groups.add(Group.objects.create(name=settings.API_THROTTLE_EXEMPT_GROUP))
    client = client_for(analyst)
    assert {_create(client, dashboard).status_code for _ in range(6)} == {202}


def test_the_switch_turns_throttles_off(throttled, client_for, analyst, dashboard, settings):
    settings.API_THROTTLE_ENABLED = False
    client = client_for(analyst)
    assert {_create(client, dashboard).status_code for _ in range(5)} == {202}


def test_the_rate_is_read_when_a_call_is_checked(throttled, client_for, analyst, dashboard, settings):
    settings.API_THROTTLE_RATES = {"generation": "1/hour"}
    client = client_for(analyst)
    assert _create(client, dashboard).status_code == 202
    response = _create(client, dashboard)
    assert response.status_code == 429 and int(response["Retry-After"]) > 60


def test_refreshing_has_a_budget_of_its_own_shared_by_a_widget_and_its_dashboard(settings, client_for, analyst,
                                                                                   dashboard):
    """A forced refresh runs the widget's queries in the query box every widget shares, skipping the cache; a
    token script looping it was never refused."""
    settings.API_THROTTLE_ENABLED = True
    settings.API_THROTTLE_RATES = {"generation": "1/min", "refresh": "2/min"}
    cache.clear()
    client = client_for(analyst)
    assert [client.post(f"/api/dashboards/{dashboard.id}/refresh/").status_code for _ in range(2)] == [202, 202]
    again = client.post("/api/widgets/999/refresh/")  # the budget is checked before the widget is looked up
    assert again.status_code == 429 and again.json()["code"] == "throttled" and int(again["Retry-After"]) > 0
    assert _create(client_for(analyst), dashboard).status_code == 202  # the generation budget is another
    cache.clear()
