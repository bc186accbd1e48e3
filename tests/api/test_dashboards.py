"""The dashboard resource, with permissions: owner, other analyst, shared view, staff, anonymous, token."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from widgets.models import Dashboard, DashboardAccess
from widgets.services.dashboards import STAFF_VISIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(analyst):
    return Dashboard.objects.create(owner=analyst, name="Shared board", is_private=False)


def test_the_list_is_paginated_and_holds_own_and_shared_dashboards_only(client_for, analyst, other_analyst,
                                                                        dashboard, shared):
    theirs_private = Dashboard.objects.create(owner=other_analyst, name="Bob's")
    for n in range(3):
        Dashboard.objects.create(owner=other_analyst, name=f"Bob shared {n}", is_private=False)
    body = client_for(analyst).get("/api/dashboards/?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5 and len(body["results"]) == 2 and "page=2" in body["next"]
    everything = client_for(analyst).get("/api/dashboards/?page_size=200").json()["results"]
    assert theirs_private.id not in {d["id"] for d in everything}
    assert {d["id"]: d["can_edit"] for d in everything}[dashboard.id] is True


def test_mine_lists_only_the_callers_own_dashboards(client_for, analyst, other_analyst, dashboard, shared):
    """What a widget can be moved to: the move form reads every page of it."""
    Dashboard.objects.create(owner=other_analyst, name="Bob shared", is_private=False)
    mine = client_for(analyst).get("/api/dashboards/?mine=true&page_size=200").json()
    assert sorted(d["id"] for d in mine["results"]) == sorted([dashboard.id, shared.id]) and mine["count"] == 2
    assert client_for(analyst).get("/api/dashboards/?mine=false").json()["count"] == 3


def test_a_page_past_the_end_is_404(client_for, analyst):
    response = client_for(analyst).get("/api/dashboards/?page=9")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_create_and_a_duplicate_name(client_for, analyst):
    client = client_for(analyst)
    created = client.post("/api/dashboards/", {"name": " Claims ", "is_private": False}, format="json")
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("name", "is_private", "owner", "can_edit", "deleted_at")} == {
        "name": "Claims", "is_private": False, "owner": "ana", "can_edit": True, "deleted_at": None}
    again = client.post("/api/dashboards/", {"name": "Claims"}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "invalid_name")


def test_the_owner_renames_and_shares(client_for, analyst, dashboard):
    response = client_for(analyst).patch(f"/api/dashboards/{dashboard.id}/", {"name": "Motor", "is_private": False},
                                         format="json")
    assert response.status_code == 200 and response.json()["name"] == "Motor"
    dashboard.refresh_from_db()
    assert (dashboard.name, dashboard.is_private) == ("Motor", False)


def test_a_shared_dashboard_is_view_only_for_another_analyst(client_for, other_analyst, shared):
    client = client_for(other_analyst)
    assert client.get(f"/api/dashboards/{shared.id}/").json()["can_edit"] is False
    for response in (client.patch(f"/api/dashboards/{shared.id}/", {"name": "Mine"}, format="json"),
                     client.delete(f"/api/dashboards/{shared.id}/")):
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert client.post(f"/api/dashboards/{shared.id}/restore/").status_code == 404
    shared.refresh_from_db()
    assert (shared.name, shared.deleted_at) == ("Shared board", None)


def test_another_analysts_private_dashboard_is_404_for_every_verb(client_for, other_analyst, dashboard):
    client = client_for(other_analyst)
    for response in (client.get(f"/api/dashboards/{dashboard.id}/"),
                     client.patch(f"/api/dashboards/{dashboard.id}/", {"name": "x"}, format="json"),
                     client.delete(f"/api/dashboards/{dashboard.id}/"),
                     client.post(f"/api/dashboards/{dashboard.id}/restore/")):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_delete_is_soft_and_the_owner_restores(client_for, analyst, other_analyst, shared):
    client = client_for(analyst)
    deleted = client.delete(f"/api/dashboards/{shared.id}/")
    assert deleted.status_code == 200 and deleted.json()["deleted_at"]
    assert Dashboard.objects.filter(id=shared.id).exists()
    assert client.get(f"/api/dashboards/{shared.id}/").status_code == 404
    assert client_for(other_analyst).get(f"/api/dashboards/{shared.id}/").status_code == 404
    assert shared.id not in {d["id"] for d in client.get("/api/dashboards/").json()["results"]}
    assert client.get(f"/dashboards/{shared.id}/").status_code == 404
    restored = client.post(f"/api/dashboards/{shared.id}/restore/")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert client.get(f"/api/dashboards/{shared.id}/").status_code == 200
    again = client.post(f"/api/dashboards/{shared.id}/restore/")
    assert (again.status_code, again.json()["code"]) == (409, "not_deleted")  # as for a widget: one code, one status


def test_a_deleted_name_is_free_and_restoring_over_it_is_refused(client_for, analyst, dashboard):
    client = client_for(analyst)
    client.delete(f"/api/dashboards/{dashboard.id}/")
    assert client.post("/api/dashboards/", {"name": "Claims"}, format="json").status_code == 201
    response = client.post(f"/api/dashboards/{dashboard.id}/restore/")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_name")


def test_staff_open_any_dashboard_read_only_and_each_visit_is_recorded_once(client_for, staff, dashboard):
    client = client_for(staff)
    page = client.get(f"/dashboards/{dashboard.id}/")
    assert page.status_code == 200 and b"recorded" in page.content  # they are told
    body = client.get(f"/api/dashboards/{dashboard.id}/").json()  # the page's own read: the same visit
    assert body["id"] == dashboard.id and body["can_edit"] is False
    assert list(DashboardAccess.objects.values_list("staff_username", "dashboard_id", "via")) == [
        ("sam", dashboard.id, "page")]
    DashboardAccess.objects.update(at=timezone.now() - STAFF_VISIT - timedelta(seconds=1))
    client.get(f"/api/dashboards/{dashboard.id}/")  # a later visit, by a script
    assert list(DashboardAccess.objects.values_list("via", flat=True).order_by("id")) == ["page", "api"]
    for response in (client.patch(f"/api/dashboards/{dashboard.id}/", {"name": "x"}, format="json"),
                     client.delete(f"/api/dashboards/{dashboard.id}/"),
                     client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "claims"}, format="json")):
        assert response.status_code in (403, 404), response.status_code
    dashboard.refresh_from_db()
    assert (dashboard.name, dashboard.deleted_at) == ("Claims", None)
    # Their own and shared dashboards are not recorded; nor is a private one in their list.
    assert dashboard.id not in {d["id"] for d in client.get("/api/dashboards/").json()["results"]}


def test_staff_do_not_open_a_deleted_dashboard(client_for, analyst, staff, dashboard):
    client_for(analyst).delete(f"/api/dashboards/{dashboard.id}/")
    assert client_for(staff).get(f"/api/dashboards/{dashboard.id}/").status_code == 404
    assert not DashboardAccess.objects.exists()


def test_the_access_record_is_in_the_admin_read_only(admin_client, client_for, staff, dashboard):
    client_for(staff).get(f"/api/dashboards/{dashboard.id}/")
    page = admin_client.get("/admin/widgets/dashboardaccess/")
    assert page.status_code == 200 and b"sam" in page.content
    record = DashboardAccess.objects.get()
    assert admin_client.post(f"/admin/widgets/dashboardaccess/{record.id}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("call", ["list", "create", "get", "patch", "delete", "restore"])
def test_anonymous_callers_get_401_everywhere(call, dashboard):
    client, url = APIClient(), f"/api/dashboards/{dashboard.id}/"
    response = {"list": lambda: client.get("/api/dashboards/"),
                "create": lambda: client.post("/api/dashboards/", {"name": "x"}, format="json"),
                "get": lambda: client.get(url), "patch": lambda: client.patch(url, {"name": "x"}, format="json"),
                "delete": lambda: client.delete(url), "restore": lambda: client.post(f"{url}restore/")}[call]()
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_does_all_of_it_without_csrf(token_client, analyst):
    client = token_client(analyst)
    made = client.post("/api/dashboards/", {"name": "Scripted"}, format="json").json()
    url = f"/api/dashboards/{made['id']}/"
    assert client.patch(url, {"name": "Scripted 2"}, format="json").status_code == 200
    assert client.delete(url).status_code == 200
    assert client.post(f"{url}restore/").json()["name"] == "Scripted 2"
    assert client.get(url).json()["widgets"] == []


def test_staff_who_may_read_a_private_dashboard_are_told_403_when_they_try_to_change_it(client_for, staff, dashboard):
    """Not 404: the same staff member reads it with a 200, so "No such dashboard." on a PATCH was not true
    (403 when forbidden, 404 only for what the caller may not see). The attempts are recorded, as a visit."""
    client = client_for(staff)
    base = f"/api/dashboards/{dashboard.id}/"
    attempts = [client.patch(base, {"name": "x"}, format="json"), client.patch(base, {"window": None}, format="json"),
                client.delete(base), client.post(base + "requests/", {"prompt": "claims"}, format="json"),
                client.post(base + "layout/", {"widgets": []}, format="json"), client.post(base + "refresh/")]
    assert [(r.status_code, r.json()["code"]) for r in attempts] == [(403, "forbidden")] * len(attempts)
    dashboard.refresh_from_db()
    assert (dashboard.name, dashboard.deleted_at) == ("Claims", None)
    assert DashboardAccess.objects.filter(staff_username="sam", dashboard=dashboard).count() == 1  # one visit
