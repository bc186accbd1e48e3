"""A dashboard's layout: order, width and height saved by its owner only, bad input a clear 400."""
from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest

pytestmark = pytest.mark.django_db


def make_widget(dashboard: Dashboard, title: str, *, kind: str = "kpi", **fields: Any) -> Widget:
    request = WidgetRequest.objects.create(dashboard=dashboard, user=dashboard.owner, prompt=title,
                                           status=RequestStatus.READY)
    return Widget.objects.create(dashboard=dashboard, request=request, kind=kind, title=title,
                                 spec={"kind": kind}, sql="SELECT 1", result={"columns": ["x"], "rows": [[1]]},
                                 result_at=timezone.now(), **fields)


@pytest.fixture
def three(dashboard: Dashboard) -> list[Widget]:
    return [make_widget(dashboard, "A"), make_widget(dashboard, "B", kind="chart"), make_widget(dashboard, "C")]


def layout_url(dashboard: Dashboard) -> str:
    return f"/api/dashboards/{dashboard.id}/layout/"


def titles(client: Any, dashboard: Dashboard) -> list[tuple[str, dict[str, Any]]]:
    body = client.get(f"/api/dashboards/{dashboard.id}/").json()
    return [(w["title"], w["layout"]) for w in body["widgets"]]


def test_a_new_dashboard_lists_widgets_oldest_first_with_widths_by_kind(client_for, analyst, dashboard, three):
    assert titles(client_for(analyst), dashboard) == [
        ("A", {"position": None, "width": 1, "height": "M"}),
        ("B", {"position": None, "width": 2, "height": "M"}),
        ("C", {"position": None, "width": 1, "height": "M"}),
    ]


def test_the_owner_reorders_and_resizes_and_the_dashboard_keeps_it(client_for, analyst, dashboard, three):
    a, b, c = three
    client = client_for(analyst)
    body = [{"id": c.id, "position": 0, "width": 3, "height": "L"},
            {"id": a.id, "position": 1, "width": 1, "height": "S"},
            {"id": b.id, "position": 2, "width": 2, "height": "M"}]
    response = client.post(layout_url(dashboard), {"widgets": body}, format="json")
    assert response.status_code == 200
    assert response.json()["widgets"] == [{k: e[k] for k in ("id", "position", "width", "height")} for e in body]
    assert titles(client, dashboard) == [("C", {"position": 0, "width": 3, "height": "L"}),
                                         ("A", {"position": 1, "width": 1, "height": "S"}),
                                         ("B", {"position": 2, "width": 2, "height": "M"})]


def test_widgets_not_listed_keep_their_order_after_those_placed_and_a_new_one_comes_last(
        client_for, analyst, dashboard, three):
    a, b, c = three
    client = client_for(analyst)
    response = client.post(layout_url(dashboard), {"widgets": [{"id": c.id, "position": 7, "width": 1, "height": "S"}]},
                           format="json")
    assert [w["id"] for w in response.json()["widgets"]] == [c.id, a.id, b.id]
    assert [w["position"] for w in response.json()["widgets"]] == [0, 1, 2]
    make_widget(dashboard, "D")
    assert [t for t, _ in titles(client, dashboard)] == ["C", "A", "B", "D"]


def test_saving_the_same_layout_twice_changes_nothing(client_for, analyst, dashboard, three):
    client = client_for(analyst)
    body = {"widgets": [{"id": w.id, "position": i, "width": 2, "height": "L"} for i, w in enumerate(three)]}
    first = client.post(layout_url(dashboard), body, format="json").json()
    assert client.post(layout_url(dashboard), body, format="json").json() == first


@pytest.mark.parametrize("entry", [
    {"position": 0, "width": 1, "height": "M"},  # no id
    {"id": "x", "position": 0, "width": 1, "height": "M"},
    {"id": 999_999, "position": 0, "width": 1, "height": "M"},
    {"id": "A", "position": -1, "width": 1, "height": "M"},
    {"id": "A", "position": True, "width": 1, "height": "M"},
    {"id": "A", "position": 0, "width": 0, "height": "M"},
    {"id": "A", "position": 0, "width": 4, "height": "M"},
    {"id": "A", "position": 0, "width": 1.5, "height": "M"},
    {"id": "A", "position": 0, "width": 1, "height": "XL"},
    {"id": "A", "position": 0, "width": 1, "height": ["M"]},
    {"id": "A", "position": 0, "width": 1, "height": None},
    "A",
])
def test_a_bad_entry_is_a_clear_400_and_nothing_changes(client_for, analyst, dashboard, three, entry):
    if isinstance(entry, dict) and entry.get("id") == "A":
        entry = {**entry, "id": three[0].id}
    response = client_for(analyst).post(layout_url(dashboard), {"widgets": [entry]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_layout" and response.json()["message"]
    assert not Widget.objects.filter(position__isnull=False).exists()


@pytest.mark.parametrize("body", [{}, {"widgets": []}, {"widgets": "all"}, [1, 2], {"widgets": [{}] * 50}])
def test_a_body_of_another_shape_is_a_clear_400(client_for, analyst, dashboard, three, body):
    response = client_for(analyst).post(layout_url(dashboard), body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_layout"


def test_a_widget_listed_twice_is_refused(client_for, analyst, dashboard, three):
    entry = {"id": three[0].id, "position": 0, "width": 1, "height": "M"}
    response = client_for(analyst).post(layout_url(dashboard), {"widgets": [entry, {**entry, "position": 1}]},
                                        format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_layout")


def test_another_dashboards_widget_cannot_be_placed_here(client_for, analyst, dashboard, three):
    elsewhere = make_widget(Dashboard.objects.create(owner=analyst, name="Other"), "Z")
    entry = {"id": elsewhere.id, "position": 0, "width": 1, "height": "M"}
    response = client_for(analyst).post(layout_url(dashboard), {"widgets": [entry]}, format="json")
    assert response.status_code == 400
    assert Widget.objects.get(id=elsewhere.id).position is None


def test_only_the_owner_changes_the_layout(client_for, analyst, other_analyst, dashboard, three):
    entry = {"widgets": [{"id": three[0].id, "position": 2, "width": 3, "height": "L"}]}
    assert client_for(other_analyst).post(layout_url(dashboard), entry, format="json").status_code == 404
    Dashboard.objects.filter(id=dashboard.id).update(is_private=False)
    response = client_for(other_analyst).post(layout_url(dashboard), entry, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert Widget.objects.get(id=three[0].id).width is None
    assert APIClient().post(layout_url(dashboard), entry, format="json").status_code in (401, 403)
