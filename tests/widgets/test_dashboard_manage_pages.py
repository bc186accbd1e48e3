"""Managing dashboards on the pages: the list's "Recently deleted" (only the user's own, restorable by a plain
form), and the dashboard page's owner controls (rename, share, delete), which nobody else gets."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from widgets import selectors
from widgets.models import Dashboard

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def deleted(owner: Any, name: str, *, ago_s: int = 60, is_private: bool = True) -> Dashboard:
    return Dashboard.objects.create(owner=owner, name=name, is_private=is_private,
                                    deleted_at=timezone.now() - timedelta(seconds=ago_s))


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="sam", password="pw-sam-123456", is_staff=True)


def test_the_selector_gives_the_users_own_deleted_dashboards_most_recent_first(analyst, other_analyst, dashboard):
    older, newer = deleted(analyst, "Older", ago_s=3600), deleted(analyst, "Newer", ago_s=5)
    deleted(other_analyst, "Bob's, deleted", is_private=False)
    assert list(selectors.dashboards_deleted_by(user=analyst)) == [newer, older]
    assert [d.name for d in selectors.dashboards_deleted_by(user=other_analyst)] == ["Bob's, deleted"]


def test_the_list_puts_own_deleted_dashboards_under_recently_deleted_with_restore(analyst, dashboard):
    gone = deleted(analyst, "Motor claims")
    page = logged_in(analyst).get("/")
    assert page.status_code == 200
    assert list(page.context["dashboards"]) == [dashboard]  # not in the list itself
    assert list(page.context["deleted"]) == [gone]
    html = page.content.decode()
    assert 'data-testid="recently-deleted"' in html
    assert f'action="/dashboards/{gone.id}/restore/"' in html
    assert "kept, with its widgets, until you restore it" in html


def test_no_one_elses_deleted_dashboard_is_ever_shown(analyst, other_analyst, staff):
    for owner, name, private in ((other_analyst, "Bob private gone", True), (other_analyst, "Bob shared gone", False),
                                 (analyst, "Ana shared gone", False)):
        deleted(owner, name, is_private=private)
    for viewer, mine in ((analyst, "Ana shared gone"), (other_analyst, None), (staff, None)):
        html = logged_in(viewer).get("/").content.decode()
        shown = {n for n in ("Bob private gone", "Bob shared gone", "Ana shared gone") if n in html}
        if viewer == other_analyst:  # Bob sees his own, and only under Recently deleted
            assert shown == {"Bob private gone", "Bob shared gone"}
        else:
            assert shown == ({mine} if mine else set()), viewer.username
    # Naming someone else's deleted dashboard in the Undo link offers nothing either.
    theirs = Dashboard.objects.get(name="Bob private gone")
    html = logged_in(analyst).get(f"/?deleted={theirs.id}").content.decode()
    assert "Bob private gone" not in html and f'data-dashboard-id="{theirs.id}"' not in html


def test_no_deleted_dashboards_no_section(analyst, dashboard):
    html = logged_in(analyst).get("/").content.decode()
    assert 'data-testid="recently-deleted"' not in html


def test_the_restore_form_brings_it_back_and_says_so(analyst):
    gone = deleted(analyst, "Motor claims")
    client = logged_in(analyst)
    response = client.post(f"/dashboards/{gone.id}/restore/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    gone.refresh_from_db()
    assert gone.deleted_at is None
    assert "Restored “Motor claims”." in response.content.decode()
    assert list(response.context["dashboards"]) == [gone] and not response.context["deleted"]


@pytest.mark.parametrize("who", ["other_analyst", "staff"])
def test_restoring_another_users_dashboard_is_404(request, analyst, who):
    gone = deleted(analyst, "Motor claims", is_private=False)
    response = logged_in(request.getfixturevalue(who)).post(f"/dashboards/{gone.id}/restore/")
    assert response.status_code == 404
    gone.refresh_from_db()
    assert gone.deleted_at is not None


def test_restore_is_a_post_and_needs_a_login(analyst):
    gone = deleted(analyst, "Motor claims")
    assert logged_in(analyst).get(f"/dashboards/{gone.id}/restore/").status_code == 405
    anonymous = Client().post(f"/dashboards/{gone.id}/restore/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    gone.refresh_from_db()
    assert gone.deleted_at is not None


def test_restoring_over_a_name_taken_meanwhile_says_what_to_do(analyst):
    gone = deleted(analyst, "Claims")
    Dashboard.objects.create(owner=analyst, name="Claims")
    response = logged_in(analyst).post(f"/dashboards/{gone.id}/restore/", follow=True)
    assert "You have another dashboard called &#x27;Claims&#x27; now; rename it first." in response.content.decode()
    gone.refresh_from_db()
    assert gone.deleted_at is not None


def test_restoring_one_that_is_not_deleted_says_so(analyst, dashboard):
    response = logged_in(analyst).post(f"/dashboards/{dashboard.id}/restore/", follow=True)
    assert "This dashboard is not deleted." in response.content.decode()


@pytest.mark.parametrize("who", ["analyst", "other_analyst", "staff"])
def test_a_deleted_dashboards_page_is_404_for_everyone(request, analyst, who):
    gone = deleted(analyst, "Motor claims", is_private=False)
    assert logged_in(request.getfixturevalue(who)).get(f"/dashboards/{gone.id}/").status_code == 404


def test_the_owner_gets_the_controls_and_others_view_only(analyst, other_analyst, staff):
    shared = Dashboard.objects.create(owner=analyst, name="Shared board", is_private=False)
    private = Dashboard.objects.create(owner=analyst, name="Private board")
    own = logged_in(analyst).get(f"/dashboards/{shared.id}/").content.decode()
    for marker in ('data-testid="dashboard-manage"', 'data-testid="rename-open"', "dashboard-manage.js",
                   ">Make private</button>", 'data-testid="dashboard-delete"'):
        assert marker in own, marker
    assert ">Share (everyone can view)</button>" in logged_in(analyst).get(f"/dashboards/{private.id}/").content.decode()
    for viewer, board in ((other_analyst, shared), (staff, shared), (staff, private)):
        html = logged_in(viewer).get(f"/dashboards/{board.id}/").content.decode()
        assert "by ana · view only" in html
        for marker in ("dashboard-manage", "rename-open", "rename-form", "share-toggle", "dashboard-delete"):
            assert marker not in html, (viewer.username, board.name, marker)
    assert logged_in(other_analyst).get(f"/dashboards/{private.id}/").status_code == 404


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the dashboard a name of 1 to 120 characters."),
    ("   ", "Give the dashboard a name of 1 to 120 characters."),
    ("x" * 121, "Give the dashboard a name of 1 to 120 characters."),
])
def test_a_refused_name_is_said_in_the_services_words(client_for, analyst, dashboard, name, message):
    for response in (client_for(analyst).patch(f"/api/dashboards/{dashboard.id}/", {"name": name}, format="json"),
                     client_for(analyst).post("/api/dashboards/", {"name": name}, format="json")):
        assert response.status_code == 400
        assert response.json()["extra"]["fields"]["name"] == [message]
    dashboard.refresh_from_db()
    assert dashboard.name == "Claims"
