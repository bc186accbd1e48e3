"""No input makes the API answer 500."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BODIES = [
    {"prompt": "total paid\x00 last 7 days"}, {"prompt": ["a"]}, {"prompt": {"a": 1}}, {"prompt": 10**400},
    {"prompt": "x", "route_id": 10**30}, {"prompt": "x", "route_id": "1e3"}, {"prompt": "x", "route_id": True},
    '{"prompt": "\\ud800 total"}', {"prompt": "a" * 100_000}, {}, "[1]", '"x"', "{",
]
ANSWERS = ['{"answers": {"q1": "\\udfff"}}', "[]", {"answers": {"q1": "\x00"}}, {"answers": {"q1": ["x"]}},
           {"answers": []}, {"answers": {"\x00": "a"}}, {"answers": {"q" * 10000: "a"}}, {"answers": None}]
IDS = ["99999999999999999999999", "0", "-1"]


def _post(client, url, body):
    if isinstance(body, str):
        return client.post(url, data=body, content_type="application/json")
    return client.post(url, body, format="json")


def test_the_api_never_answers_500(client_for, demo_source, django_user_model, dashboard, analyst):
    staff = django_user_model.objects.create_user(username="root", password="pw-root-123456", is_staff=True)
    from widgets.models import Dashboard

    board = Dashboard.objects.create(owner=staff, name="Admin")
    bad = []
    for user, board_id in ((analyst, dashboard.id), (staff, board.id)):
        client = client_for(user)
        for body in BODIES:
            response = _post(client, f"/api/dashboards/{board_id}/requests/", body)
            if response.status_code >= 500:
                bad.append((user.username, body if len(str(body)) < 80 else "long", response.status_code))
        request_id = client.post(f"/api/dashboards/{board_id}/requests/", {"prompt": "claim count by region"},
                                 format="json").json()["id"]
        from widgets.models import RequestStatus, WidgetRequest
        WidgetRequest.objects.filter(id=request_id).update(status=RequestStatus.NEEDS_CLARIFICATION,
                                                           questions=[{"id": "q1", "text": "?", "options": []}])
        for body in ANSWERS:
            response = _post(client, f"/api/requests/{request_id}/answers/", body)
            if response.status_code >= 500:
                bad.append((user.username, "answer", str(body)[:60], response.status_code))
        for raw in IDS:
            for url in (f"/api/dashboards/{raw}/", f"/api/requests/{raw}/", f"/api/requests/{raw}/retry/"):
                response = client.post(url, {}, format="json") if "retry" in url else client.get(url)
                if response.status_code >= 500:
                    bad.append((user.username, url, response.status_code))
    assert bad == []
