"""The dashboard's time window: every widget over a dated metric runs its own statement again with the
window's bounds (no new SQL), its comparison moving with it; the others say why they are not affected."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from sql_gen.models import MetricDefinition
from sql_gen.selectors import allowed_tables
from sql_gen.services.safety import sql_check
from tests.widgets.test_resolve_params import Q1, Q2, WINDOWED, _quarter_spec, counted, make_widget
from widgets.models import Dashboard, Widget
from widgets.services import resolve
from widgets.services.dashboard_window import window_clean

pytestmark = pytest.mark.django_db
Q1_WINDOW = {"kind": "between", "start": "2025-01-01", "end": "2025-03-31"}
Q4 = {"window_start": date(2024, 10, 1), "window_end": date(2025, 1, 1)}


@pytest.fixture(autouse=True)
def _today(settings: Any) -> Iterator[None]:
    settings.BUILDER_TODAY = "2025-08-02"  # the widgets' own window, the previous quarter, is Q2 2025
    cache.clear()
    yield
    cache.clear()


def url(dashboard: Dashboard) -> str:
    return f"/api/dashboards/{dashboard.id}/"


def own_result(warehouse: Path) -> dict[str, Any]:
    return {"columns": ["claim_count"], "rows": [[counted(warehouse, **Q2)]], "truncated": False,
            "window": {"start": "2025-04-01", "end": "2025-07-01"}}


def test_the_owner_sets_a_window_and_every_dated_widget_runs_with_its_bounds(
        client_for, analyst, dashboard, demo_source, warehouse):
    widget = make_widget(dashboard, demo_source, spec=_quarter_spec(), result=own_result(warehouse),
                         result_at=timezone.now())
    client = client_for(analyst)
    response = client.patch(url(dashboard), {"window": Q1_WINDOW}, format="json")
    assert response.status_code == 200
    assert response.json()["window"] == {**Q1_WINDOW, "text": "1 Jan – 31 Mar 2025", "dates": "1 Jan – 31 Mar 2025"}

    shown = client.get(url(dashboard)).json()["widgets"][0]
    assert (shown["window_applied"], shown["window_status"], shown["window_reason"]) == (True, "applied", None)
    assert shown["result"]["rows"] == [[counted(warehouse, **Q1)]]
    assert shown["interpretation"]["window"] == {"start": "2025-01-01", "end": "2025-04-01"}
    assert "1 Jan – 31 Mar 2025" in shown["interpretation"]["text"]
    assert shown["sql"] == WINDOWED  # the same statement, other bounds
    stored = Widget.objects.get(id=widget.id)
    assert stored.result["rows"] == [[counted(warehouse, **Q2)]] and stored.spec == _quarter_spec()


def test_a_widget_under_the_window_says_its_own_window_in_words(
        client_for, analyst, dashboard, demo_source, warehouse):
    spec = {**_quarter_spec(), "compare": {"kind": "previous_year"}}
    make_widget(dashboard, demo_source, spec=spec, result=own_result(warehouse), result_at=timezone.now())
    client = client_for(analyst)
    assert client.get(url(dashboard)).json()["widgets"][0]["window_own"] is None  # no dashboard window
    Dashboard.objects.filter(id=dashboard.id).update(window=Q1_WINDOW)
    shown = client.get(url(dashboard)).json()["widgets"][0]
    # The card's title may say its own window; the page names it beside the dashboard's, which is shown.
    assert shown["window_own"] == "last quarter"  # the comparison is not replaced: it moves with the window
    assert shown["interpretation"]["reading"] == "1 Jan – 31 Mar 2025 vs the same period last year"


def test_clearing_the_window_shows_each_widgets_own_again(client_for, analyst, dashboard, demo_source, warehouse):
    make_widget(dashboard, demo_source, spec=_quarter_spec(), result=own_result(warehouse), result_at=timezone.now())
    client = client_for(analyst)
    client.patch(url(dashboard), {"window": Q1_WINDOW}, format="json")
    assert client.patch(url(dashboard), {"window": None}, format="json").json()["window"] is None
    shown = client.get(url(dashboard)).json()["widgets"][0]
    assert shown["window_applied"] is None
    assert shown["result"]["rows"] == [[counted(warehouse, **Q2)]]


def test_a_comparison_moves_with_the_dashboards_window(client_for, analyst, dashboard, demo_source, warehouse):
    spec = {**_quarter_spec(), "compare": {"kind": "previous_period"}}
    make_widget(dashboard, demo_source, spec=spec, result=own_result(warehouse), result_at=timezone.now())
    Dashboard.objects.filter(id=dashboard.id).update(window={"kind": "period", "unit": "quarter", "year": 2025,
                                                             "quarter": 1})
    shown = client_for(analyst).get(url(dashboard)).json()["widgets"][0]
    assert shown["result"]["compare"]["window"] == {"start": "2024-10-01", "end": "2025-01-01"}
    assert shown["result"]["compare"]["rows"] == [[counted(warehouse, **Q4)]]
    assert shown["result"]["rows"] == [[counted(warehouse, **Q1)]]


def test_the_runs_are_cached_on_the_bound_values(client_for, analyst, dashboard, demo_source, warehouse):
    make_widget(dashboard, demo_source, spec=_quarter_spec(), result=own_result(warehouse), result_at=timezone.now())
    Dashboard.objects.filter(id=dashboard.id).update(window=Q1_WINDOW)
    client = client_for(analyst)
    first = client.get(url(dashboard)).json()["widgets"][0]["result"]
    with mock.patch("widgets.services.resolve.sql_execute") as execute:
        again = client.get(url(dashboard)).json()["widgets"][0]["result"]
    execute.assert_not_called()
    assert again == first
    checked = sql_check(sql=WINDOWED, dialect=demo_source.dialect, allowed_tables=allowed_tables(source=demo_source),
                        row_cap=demo_source.row_cap).sql
    bound = {"window_start": date(2025, 1, 1), "window_end": date(2025, 4, 1)}
    assert cache.get(resolve._result_key(demo_source, checked, bound))["result"]["rows"] == first["rows"]


def test_a_widget_over_a_metric_without_a_date_says_it_is_not_affected(
        client_for, analyst, dashboard, demo_source, warehouse):
    MetricDefinition.objects.create(source=demo_source, key="adjuster_count", name="Adjusters",
                                    base_table="adjusters", expression="COUNT(*)", time_column="")
    spec = {"kind": "kpi", "title": "Adjusters", "metric": {"key": "adjuster_count", "name": "Adjusters",
                                                            "unit": "count"}, "time_window": {"kind": "all"}}
    widget = make_widget(dashboard, demo_source, spec=spec, sql="SELECT COUNT(*) AS adjuster_count FROM adjusters",
                         result={"columns": ["adjuster_count"], "rows": [[120]]}, result_at=timezone.now())
    Dashboard.objects.filter(id=dashboard.id).update(window=Q1_WINDOW)
    shown = client_for(analyst).get(url(dashboard)).json()["widgets"][0]
    assert (shown["window_applied"], shown["window_status"]) == (False, "not_affected")
    assert shown["window_reason"] == "Adjusters has no date to filter on."
    assert shown["result"]["rows"] == [[120]] and shown["id"] == widget.id


def test_a_statement_that_fails_under_the_window_keeps_the_widgets_own_data(
        client_for, analyst, dashboard, demo_source, warehouse):
    make_widget(dashboard, demo_source, spec=_quarter_spec(), result=own_result(warehouse), result_at=timezone.now())
    Dashboard.objects.filter(id=dashboard.id).update(window=Q1_WINDOW)
    from sql_gen.services.execute import QueryFailed
    with mock.patch("widgets.services.resolve.sql_execute", side_effect=QueryFailed("The warehouse is away.")):
        response = client_for(analyst).get(url(dashboard))
    assert response.status_code == 200
    shown = response.json()["widgets"][0]
    assert (shown["window_applied"], shown["window_status"]) == (False, "failed")
    assert "The warehouse is away." in shown["window_reason"]
    assert shown["result"]["rows"] == [[counted(warehouse, **Q2)]]


@pytest.mark.parametrize("window", [
    {"kind": "rolling", "n": 30},  # no unit
    {"kind": "rolling", "n": 0, "unit": "day"},
    {"kind": "fortnight"},
    {"kind": "since", "start": "2031-01-01"},  # begins after today
    {"kind": "between", "start": "2025-05-01", "end": "2025-04-01"},
    {"kind": "rolling", "n": 30, "unit": "day", "extra": 1},
    {"kind": "all", "n": 3},
    {"kind": "between", "start": "2026-01-01", "end": "9999-12-31"},  # a day past it is off the calendar: was a 500
    "last 30 days",
    [1, 2],
])
def test_a_bad_window_is_a_clear_400_and_nothing_changes(client_for, analyst, dashboard, window):
    response = client_for(analyst).patch(url(dashboard), {"window": window}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_window" and response.json()["message"]
    assert Dashboard.objects.get(id=dashboard.id).window is None


def test_only_the_owner_sets_the_window(client_for, other_analyst, dashboard):
    Dashboard.objects.filter(id=dashboard.id).update(is_private=False)
    response = client_for(other_analyst).patch(url(dashboard), {"window": Q1_WINDOW}, format="json")
    assert response.status_code == 403
    assert Dashboard.objects.get(id=dashboard.id).window is None


def test_a_window_is_stored_in_the_specs_shape():
    assert window_clean({"kind": "to_date", "unit": "year"}) == {"kind": "to_date", "unit": "year"}
    assert window_clean({"kind": "between", "start": "2025-01-01", "end": "2025-01-31"}) == {
        "kind": "between", "start": "2025-01-01", "end": "2025-01-31"}
    assert window_clean(None) is None


def test_a_dated_widget_whose_query_has_no_bounds_is_written_again_and_takes_the_window(
        client_for, analyst, dashboard, demo_source, warehouse):
    """Its metric has a date, so the window should apply; its statement (built before windows were bound)
    cannot take one, and no longer computes what its spec asks. It is written again from the spec, with no
    model call, and runs with the window's bounds."""
    widget = make_widget(dashboard, demo_source, spec=_quarter_spec(), sql="SELECT COUNT(*) AS claim_count FROM claims",
                         result=own_result(warehouse), result_at=timezone.now())
    Dashboard.objects.filter(id=dashboard.id).update(window=Q1_WINDOW)
    shown = client_for(analyst).get(url(dashboard)).json()["widgets"][0]
    assert (shown["window_applied"], shown["window_status"]) == (True, "applied")
    assert shown["result"]["rows"] == [[counted(warehouse, **Q1)]]
    assert ":window_start" in Widget.objects.get(id=widget.id).sql
