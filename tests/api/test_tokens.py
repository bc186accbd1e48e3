"""Personal API tokens: made on /profile/ (shown once, stored as a digest), used by scripts, revoked."""
from __future__ import annotations

import hashlib
import re

import pytest
from rest_framework.test import APIClient

from backend.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def _make_token(client, name="export script") -> str:
    made = client.post("/profile/", {"name": name})
    assert (made.status_code, made["Location"]) == (302, "/profile/")  # reloading makes no second token
    page = client.get("/profile/")
    keys = re.findall(rb'value="(wb_[A-Za-z0-9_-]+)"', page.content)
    assert b'data-testid="new-token-key"' in page.content and len(keys) == 1
    return keys[0].decode()


def test_a_token_made_on_the_profile_page_is_shown_once_and_stored_as_a_digest(client, analyst):
    client.force_login(analyst)
    key = _make_token(client)
    token = ApiToken.objects.get(user=analyst)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values_list()))  # the key itself is nowhere in the row
    again = client.get("/profile/")
    assert key.encode() not in again.content and b"export script" in again.content
    assert again["Cache-Control"].startswith("max-age=0") or "no-cache" in again["Cache-Control"]


def test_the_profile_page_is_linked_from_the_header_and_keeps_the_site_policy(client, analyst):
    client.force_login(analyst)
    home = client.get("/")
    assert b'href="/profile/"' in home.content
    page = client.get("/profile/")
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_a_token_authenticates_the_api_without_a_session_or_csrf(client, analyst, dashboard):
    client.force_login(analyst)
    key = _make_token(client)
    script = APIClient(enforce_csrf_checks=True)
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert script.get("/api/dashboards/").json()["results"][0]["id"] == dashboard.id
    created = script.post("/api/dashboards/", {"name": "From a script"}, format="json")
    assert created.status_code == 201 and created.json()["owner"] == "ana"
    assert ApiToken.objects.get(user=analyst).last_used_at is not None


def test_a_revoked_token_is_refused(client, analyst):
    client.force_login(analyst)
    key = _make_token(client)
    token = ApiToken.objects.get(user=analyst)
    assert client.post(f"/profile/tokens/{token.id}/revoke/").status_code == 302
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = script.get("/api/dashboards/")
    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert b"Revoked" in client.get("/profile/").content


@pytest.mark.parametrize("header", ["Bearer wb_not-a-real-token", "Bearer", "Bearer a b", "Bearer \xff"])
def test_a_bad_token_is_401(header, dashboard):
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=header)
    response = script.get("/api/dashboards/")
    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")


def test_a_token_of_an_inactive_user_is_refused(token_client, analyst):
    script = token_client(analyst)
    analyst.is_active = False
    analyst.save()
    assert script.get("/api/dashboards/").status_code == 401


def test_nobody_revokes_another_users_token(client, analyst, other_analyst):
    client.force_login(analyst)
    _make_token(client)
    token = ApiToken.objects.get(user=analyst)
    client.force_login(other_analyst)
    assert client.post(f"/profile/tokens/{token.id}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_profile_page_needs_a_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_empty_token_name_is_refused(client, analyst):
    client.force_login(analyst)
    assert client.post("/profile/", {"name": "   "}).status_code == 400
    assert not ApiToken.objects.exists()
