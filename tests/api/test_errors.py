"""Every API error is {code, message, extra}: DRF's own, ours, and Django's (unknown URL, 500)."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from widgets.models import WidgetRequest

pytestmark = pytest.mark.django_db


def _shape(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "extra"}, body
    assert isinstance(body["message"], str) and body["message"] and isinstance(body["extra"], dict)
    return body


def test_an_anonymous_call_is_401_with_a_bearer_challenge(dashboard):
    for call in (lambda c: c.get("/api/dashboards/"), lambda c: c.post("/api/dashboards/", {}, format="json"),
                 lambda c: c.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "x"}, format="json")):
        response = call(APIClient())
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert _shape(response)["code"] == "not_authenticated"


def test_a_validation_error_names_its_field(client_for, analyst):
    response = client_for(analyst).post("/api/dashboards/", {"is_private": "maybe"}, format="json")
    body = _shape(response)
    assert (response.status_code, body["code"]) == (400, "invalid")
    assert body["message"].startswith("name: ")
    assert set(body["extra"]["fields"]) == {"name", "is_private"}


def test_a_body_that_is_not_json_is_a_parse_error(client_for, analyst):
    response = client_for(analyst).post("/api/dashboards/", data="{", content_type="application/json")
    assert (response.status_code, _shape(response)["code"]) == (400, "parse_error")


def test_a_form_body_is_an_unsupported_media_type(client_for, analyst):
    response = client_for(analyst).post("/api/dashboards/", {"name": "x"})  # multipart
    assert (response.status_code, _shape(response)["code"]) == (415, "unsupported_media_type")


def test_a_wrong_method_is_405(client_for, analyst, dashboard):
    response = client_for(analyst).put(f"/api/dashboards/{dashboard.id}/", {}, format="json")
    assert (response.status_code, _shape(response)["code"]) == (405, "method_not_allowed")


def test_an_unknown_api_url_is_a_json_404_and_a_page_stays_html(client_for, analyst):
    client = client_for(analyst)
    response = client.get("/api/no-such-thing/")
    assert (response.status_code, _shape(response)["code"]) == (404, "not_found")
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_unexpected_exception_is_a_json_500_without_a_trace(client_for, analyst, dashboard, monkeypatch):
    from widgets import selectors

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "widget_request_get", broken)
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x")
    client = client_for(analyst)
    client.raise_request_exception = False
    response = client.get(f"/api/requests/{request.id}/")
    body = _shape(response)
    assert (response.status_code, body["code"]) == (500, "internal_error")
    assert "secret" not in response.content.decode()


def test_a_session_post_without_the_csrf_token_is_403(csrf_client_for, analyst):
    response = csrf_client_for(analyst).post("/api/dashboards/", {"name": "New"}, format="json")
    body = _shape(response)
    assert (response.status_code, body["code"]) == (403, "forbidden")
    assert "CSRF" in body["message"]
