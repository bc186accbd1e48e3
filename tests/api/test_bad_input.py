"""Bad input gets a clear 4xx, never a 500: nested JSON, NUL and control characters, oversized bodies."""
from __future__ import annotations

import io
import json

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from backend.errors import ApplicationError
from backend.parsers import GuardedJSONParser, json_too_deep
from backend.text import text_problem
from widgets.models import Dashboard, RequestStatus, WidgetRequest

pytestmark = pytest.mark.django_db

NESTED = "[" * 1000 + "]" * 1000  # 2 KB: a RecursionError inside DRF's CSRF check before the guard


def _post_urls(dashboard_id: int, request_id: int) -> list[str]:
    return ["/api/dashboards/", f"/api/dashboards/{dashboard_id}/requests/", f"/api/dashboards/{dashboard_id}/restore/",
            *(f"/api/requests/{request_id}/{action}/" for action in ("answers", "dismiss", "retry", "cancel")),
            "/accounts/login/", "/dashboards/new/", "/profile/", "/admin/login/"]


@pytest.mark.parametrize("who", ["anonymous", "session", "token"])
def test_deeply_nested_json_is_refused_on_every_post_endpoint(who, analyst, dashboard, client_for, token_client):
    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x")
    client = {"anonymous": APIClient, "session": lambda: client_for(analyst),
              "token": lambda: token_client(analyst)}[who]()
    for url in _post_urls(dashboard.id, request.id):
        for body in (NESTED, '{"prompt": ' + NESTED + "}", '{"a":' * 500 + "1" + "}" * 500):
            response = client.post(url, data=body, content_type="application/json")
            assert response.status_code == 400, (url, response.status_code)
            assert response.json()["code"] == "json_too_deep", url
    patch = client.patch(f"/api/dashboards/{dashboard.id}/", data=NESTED, content_type="application/json")
    assert (patch.status_code, patch.json()["code"]) == (400, "json_too_deep")


@pytest.mark.parametrize("charset", ["utf-16-le", "utf-16", "UTF-32", "latin-1"])
def test_json_in_another_charset_than_utf8_is_415_before_any_view(client_for, analyst, charset):
    """The depth scan reads UTF-8 bytes; in UTF-16 "\u2200" is the bytes 00 22, a quote to it, and the
    brackets after it went uncounted: 40 levels created a dashboard. JSON is UTF-8 (RFC 8259)."""
    doc = '{"name": "\u2200", "x": ' + "[" * 40 + "]" * 40 + "}"
    encoding = charset.lower() if charset != "latin-1" else "utf-8"
    response = client_for(analyst).post("/api/dashboards/", data=doc.encode(encoding),
                                        content_type=f"application/json; charset={charset}")
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert not Dashboard.objects.filter(owner=analyst).exists()
    ok = client_for(analyst).post("/api/dashboards/", data=b'{"name": "Plain"}',
                                  content_type="application/json; charset=UTF-8")
    assert ok.status_code == 201, ok.json()


def test_the_parser_refuses_another_charset_when_the_middleware_is_bypassed():
    with pytest.raises(ApplicationError) as refused:
        GuardedJSONParser().parse(io.BytesIO('{"a": 1}'.encode("utf-16")), parser_context={"encoding": "utf-16"})
    assert refused.value.code == "unsupported_media_type"


def test_the_parser_refuses_depth_too_when_the_middleware_is_bypassed(settings):
    settings.API_MAX_JSON_DEPTH = 10**6  # past Python's recursion limit: json.loads raises RecursionError
    with pytest.raises(ParseError):
        GuardedJSONParser().parse(io.BytesIO(("[" * 100_000 + "]" * 100_000).encode()))
    settings.API_MAX_JSON_DEPTH = 3
    with pytest.raises(ApplicationError) as deep:
        GuardedJSONParser().parse(io.BytesIO(b'{"a": [[[1]]]}'))
    assert deep.value.code == "json_too_deep"


@pytest.mark.parametrize(("body", "limit", "deep"), [
    (b"[]", 1, False), (b"[[]]", 1, True), (b'{"a": {"b": 1}}', 2, False), (b'{"a": {"b": {}}}', 2, True),
    (b'["[[[[", "{{{{"]', 1, False),  # brackets inside strings do not count
    (b'["\\"[[[["]', 1, False),  # nor after an escaped quote
    (b'["\\\\", [[]]]', 2, True),  # an escaped backslash ends before the quote: the string closes there
    (b"[[[", 2, True), (b"not json at all", 1, False), (b"", 1, False),
])
def test_json_depth_is_counted_on_the_raw_bytes(body, limit, deep):
    assert json_too_deep(body, limit=limit) is deep


@pytest.mark.parametrize(("text", "multiline", "problem"), [
    ("Claims 2026 – ünïcode ✓", False, None), ("two\nlines\tand tabs\r", True, None),
    ("a\x00b", False, "a NUL character"), ("a\x00b", True, "a NUL character"),
    ("new\nline", False, "a control character (U+000A)"), ("bell\x07", True, "a control character (U+0007)"),
    ("esc\x1b[31m", True, "a control character (U+001B)"), ("del\x7f", False, "a control character (U+007F)"),
    ("c1\x85", True, "a control character (U+0085)"), ("lone \ud800", True, "an unpaired surrogate"),
    ("invoice\u202egpj.exe", False, "a bidirectional control character (U+202E)"),
    ("isolate\u2067x", True, "a bidirectional control character (U+2067)"),
    ("Claims\u200b", False, "an invisible character (U+200B)"), ("\ufeffname", True, "an invisible character (U+FEFF)"),
    ("a\u2028b", False, "a line separator (U+2028)"), ("a\u2028b", True, None),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", False, None),  # Persian needs the zero-width non-joiner
    ("family \U0001f468\u200d\U0001f469\u200d\U0001f467", False, None),  # an emoji sequence, its joiner
])
def test_text_problem(text, multiline, problem):
    assert text_problem(text, multiline=multiline) == problem


BAD_NAMES = ["nul\x00name", "bell\x07", "tab\there", "line\nbreak", "\ud83d", "invoice\u202egpj.exe"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_dashboard_name_with_a_control_character_is_refused_by_the_api(client_for, analyst, name):
    body = json.dumps({"name": name})  # json.dumps escapes NUL and surrogates as \\u0000, \\ud83d
    response = client_for(analyst).post("/api/dashboards/", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] in ("invalid", "invalid_text")
    assert not Dashboard.objects.exists()


@pytest.mark.parametrize("name", BAD_NAMES[:4])
def test_a_dashboard_name_with_a_control_character_is_refused_by_the_form(client, analyst, name):
    client.force_login(analyst)
    response = client.post("/dashboards/new/", {"name": name}, follow=True)
    assert response.status_code == 200 and b"cannot hold" in response.content
    assert not Dashboard.objects.exists()


def test_a_nul_in_a_rename_is_refused(client_for, analyst, dashboard):
    response = client_for(analyst).patch(f"/api/dashboards/{dashboard.id}/", data='{"name": "a\\u0000b"}',
                                         content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_text")
    dashboard.refresh_from_db()
    assert dashboard.name == "Claims"


@pytest.mark.parametrize("prompt", ["total paid \x00", "total\x1b[2J paid", "paid \ud800"])
def test_a_prompt_with_a_control_character_is_refused(client_for, analyst, dashboard, prompt):
    response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/",
                                        data=json.dumps({"prompt": prompt}), content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] in ("invalid", "invalid_text")
    assert not WidgetRequest.objects.exists()


def test_an_answer_with_a_control_character_is_refused(client_for, analyst, dashboard):
    waiting = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="x",
                                           status=RequestStatus.NEEDS_CLARIFICATION,
                                           questions=[{"id": "q1", "text": "?", "options": []}])
    response = client_for(analyst).post(f"/api/requests/{waiting.id}/answers/",
                                        data=json.dumps({"answers": {"q1": "last\x0730 days"}}),
                                        content_type="application/json")
    assert response.status_code == 400
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.NEEDS_CLARIFICATION and waiting.answers == []


def test_a_token_name_with_a_control_character_is_refused(client, analyst):
    client.force_login(analyst)
    response = client.post("/profile/", {"name": "script\x00"})
    assert response.status_code == 400 and b"NUL character" in response.content
    assert not analyst.api_tokens.exists()


def test_an_oversized_api_body_is_413(client_for, analyst, dashboard, settings):
    body = json.dumps({"prompt": "x" * (settings.API_MAX_BODY_BYTES + 1)})
    response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/requests/", data=body,
                                        content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"code": "body_too_large", "message": response.json()["message"],
                               "extra": {"max_bytes": settings.API_MAX_BODY_BYTES}}
    assert not WidgetRequest.objects.exists()


def test_an_oversized_form_post_is_a_clear_4xx(client, analyst, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(analyst)
    response = client.post("/dashboards/new/", data="name=" + "x" * 5000,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Dashboard.objects.exists()


def test_a_bad_content_length_is_400(client_for, analyst):
    response = client_for(analyst).generic("POST", "/api/dashboards/", data=b"{}", content_type="application/json",
                                           CONTENT_LENGTH="lots")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize(("path", "method", "body", "unknown"), [
    ("/api/dashboards/{dashboard}/", "patch", {"name": "Claims", "colour": "red"}, "colour"),
    ("/api/dashboards/", "post", {"name": "New one", "privte": False}, "privte"),
    ("/api/dashboards/{dashboard}/requests/", "post", {"prompt": "total paid", "model": "opus"}, "model"),
    ("/api/dashboards/{dashboard}/requests/", "post", {"prompt": "total paid", "route": 3}, "route"),
])
def test_a_field_an_endpoint_does_not_take_is_refused_by_name(client_for, analyst, dashboard, path, method, body,
                                                              unknown):
    """Ignoring it would look like success: "privte": false would leave the dashboard private, unsaid."""
    response = getattr(client_for(analyst), method)(path.format(dashboard=dashboard.id), body, format="json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "invalid" and unknown in answer["extra"]["fields"], answer
    assert "Unknown field" in answer["extra"]["fields"][unknown][0]
    assert Dashboard.objects.filter(owner=analyst).count() == 1 and WidgetRequest.objects.count() == 0


@pytest.fixture
def plain_widget(analyst, dashboard):
    """A widget row as the pipeline leaves it, without running it: the inputs below are refused before any
    service reads the widget."""
    from widgets.models import Widget

    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="claim count",
                                           status=RequestStatus.READY)
    return Widget.objects.create(dashboard=dashboard, request=request, kind="kpi", title="Claim count",
                                 spec={"kind": "kpi", "title": "Claim count"}, sql="SELECT 1")


@pytest.mark.parametrize("title", ["bell\x07", "esc\x1b[31m", "del\x7f", "line\u2028sep", "invoice\u202egpj.exe",
                                   "\ufeffClaims", 42])
def test_a_widget_title_with_a_control_character_is_refused(client_for, analyst, plain_widget, title):
    """A dashboard's name refused these; a widget's title, through the same API, stored them."""
    response = client_for(analyst).patch(f"/api/widgets/{plain_widget.id}/", data=json.dumps({"title": title}),
                                         content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] in ("invalid", "invalid_text"), response.json()
    plain_widget.refresh_from_db()
    assert plain_widget.title == "Claim count" and not plain_widget.versions.exists()


@pytest.mark.parametrize("prompt", ["top 5\x07", "only \x1b[2J motor", "weekly\x7f", "rename it to a\u202eb",
                                    "\ufeffweekly instead"])
def test_a_follow_up_with_a_control_character_is_refused(client_for, analyst, plain_widget, prompt):
    """A new request's prompt refused these; a follow-up on a widget queued them for the model."""
    response = client_for(analyst).post(f"/api/widgets/{plain_widget.id}/refine/",
                                        data=json.dumps({"prompt": prompt}), content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] in ("invalid", "invalid_text"), response.json()
    assert not WidgetRequest.objects.filter(is_refinement=True).exists()


@pytest.mark.parametrize("path", ["/api/dashboards/", "/api/requests/"])
@pytest.mark.parametrize(("query", "field"), [
    ("page=abc", "page"), ("page=0", "page"), ("page=-1", "page"), ("page=2.5", "page"), ("page=1e5", "page"),
    ("page=%D9%A1", "page"), ("page=%00", "page"),
    ("page_size=abc", "page_size"), ("page_size=0", "page_size"), ("page_size=-5", "page_size"),
    ("page_size=201", "page_size"), ("page_size=99999999999999999999", "page_size"),
])
def test_a_malformed_page_or_page_size_is_a_400_naming_it(client_for, analyst, dashboard, path, query, field):
    """DRF answered ?page=abc with 404 "Invalid page." (as if the list were missing) and ignored ?page_size=abc."""
    response = client_for(analyst).get(f"{path}?{query}")
    assert response.status_code == 400, (query, response.status_code, response.json())
    body = response.json()
    assert body["code"] == "invalid" and list(body["extra"]["fields"]) == [field], body


def test_a_page_past_the_last_is_404_saying_which(client_for, analyst, dashboard):
    client = client_for(analyst)
    assert client.get("/api/dashboards/?page=1&page_size=1").json()["count"] == 1
    assert client.get("/api/dashboards/?page=last").status_code == 200
    past = client.get("/api/dashboards/?page=2")
    assert (past.status_code, past.json()["code"]) == (404, "not_found")
    assert "no page 2" in past.json()["message"]
