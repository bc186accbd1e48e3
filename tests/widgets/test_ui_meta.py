"""The page's UI metadata comes from the server's enums, and the API gives each widget its vocabulary."""
from __future__ import annotations

import json
import re
from typing import Any, get_args

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sql_gen.models import DictionaryColumn, DimensionValue, MetricDefinition, Unit, value_label
from widgets.models import DataOrigin, RequestStatus, Widget, WidgetRequest
from widgets.services.spec import ChartKind
from widgets.services.ui_meta import ui_meta

pytestmark = pytest.mark.django_db


def test_every_unit_origin_and_chart_kind_of_the_enums_is_described() -> None:
    meta = ui_meta()
    assert set(meta["units"]) == set(Unit.values)
    assert set(meta["badges"]) == set(DataOrigin.values)
    assert set(meta["chart_kinds"]) == set(get_args(ChartKind))
    assert meta["units"]["currency"] == {"label": Unit.CURRENCY.label, "intl": {"style": "currency", "currency": "USD"}}
    assert meta["badges"]["sql_rejected"] == {"label": "SQL rejected", "tone": "error"}
    assert {b["tone"] for b in meta["badges"].values()} <= {"ok", "info", "warn", "error"}
    assert meta["chart_kinds"]["horizontal_bar"] == "Horizontal bar"
    assert meta["catalog_url"] == "/catalog/"


def test_the_palette_has_eight_distinct_hex_colours() -> None:
    palette = ui_meta()["palette"]
    assert len(palette) >= 8 and len(set(palette)) == len(palette)
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in palette)


def test_the_dashboard_page_carries_the_metadata_as_json(client_for, analyst, dashboard) -> None:
    html = client_for(analyst).get(f"/dashboards/{dashboard.id}/").content.decode()
    found = re.search(r'<script id="ui-meta" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no ui-meta script"
    assert json.loads(found.group(1)) == ui_meta()


@pytest.mark.parametrize(("stored", "shown"), [
    ("under_review", "Under review"), ("open", "Open"), ("Auto", "Auto"), ("North East", "North East"),
    ("a_b_c", "A b c"), ("Under_Review", "Under_Review"), ("", ""),
])
def test_a_value_without_a_label_reads_as_words_only_when_it_is_a_code(stored: str, shown: str) -> None:
    assert value_label(stored) == shown


def _widget(dashboard: Any, *, spec: dict[str, Any], rows: list[list[Any]], columns: list[str]) -> Widget:
    request = WidgetRequest.objects.create(dashboard=dashboard, user=dashboard.owner, prompt="x",
                                           status=RequestStatus.READY)
    now = timezone.now()
    return Widget.objects.create(dashboard=dashboard, request=request, kind=spec["kind"], title="t", spec=spec,
                                 sql="SELECT 1", result={"columns": columns, "rows": rows, "truncated": False},
                                 result_at=now, refreshed_at=now)


def _status_spec(**extra: Any) -> dict[str, Any]:
    return {"kind": "table", "title": "By status", "metric": {"key": "claim_count", "name": "Claim count",
                                                               "unit": "count"},
            "extra_metrics": [{"key": "gone_metric", "name": "Gone", "unit": "currency"}],
            "dimensions": ["claims.status"], "filters": [{"dimension": "regions.name", "op": "in",
                                                          "values": ["West"]}],
            "time_window": {"kind": "all"}, **extra}


def test_a_widget_has_its_metrics_dimension_labels_and_value_labels(client_for, analyst, dashboard,
                                                                   demo_source) -> None:
    status = DictionaryColumn.objects.get(table__source=demo_source, table__name="claims", name="status")
    DimensionValue.objects.filter(column=status, value="denied").update(label="Refused")
    _widget(dashboard, spec=_status_spec(), columns=["status", "claim_count"],
            rows=[["under_review", 3], ["denied", 2], ["not_a_status", 1]])
    body = client_for(analyst).get(f"/api/dashboards/{dashboard.id}/").json()
    widget = body["widgets"][0]
    count = MetricDefinition.objects.get(source=demo_source, key="claim_count")
    assert widget["metrics"] == [
        {"key": "claim_count", "name": count.name, "unit": count.unit, "up_is_good": count.up_is_good,
         "definition": count.description, "time_column": count.time_column, "additive": count.additive},
        {"key": "gone_metric", "name": "Gone", "unit": "currency"},  # no longer defined: what the spec says
    ]
    assert widget["value_labels"] == {"claims.status": {"under_review": "Under review", "denied": "Refused"},
                                      "regions.name": {"West": "West"}}
    assert widget["dimension_labels"] == {"claims.status": status.display_label(), "regions.name": "region"}


def test_a_legacy_widget_without_metrics_in_its_spec_still_lists(client_for, analyst, dashboard, demo_source) -> None:
    _widget(dashboard, spec={"kind": "kpi"}, columns=["n"], rows=[[1]])
    widget = client_for(analyst).get(f"/api/dashboards/{dashboard.id}/").json()["widgets"][0]
    assert (widget["metrics"], widget["value_labels"], widget["dimension_labels"]) == ([], {}, {})


def _queries_for(client: Any, dashboard: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/dashboards/{dashboard.id}/").status_code == 200
    return len(queries)


def test_the_dashboard_api_reads_the_vocabulary_in_the_same_queries_for_one_widget_or_eight(
        client_for, analyst, dashboard, demo_source, django_assert_max_num_queries) -> None:
    client = client_for(analyst)
    _widget(dashboard, spec=_status_spec(), columns=["status", "claim_count"], rows=[["open", 1]])
    one = _queries_for(client, dashboard)
    for _ in range(7):
        _widget(dashboard, spec=_status_spec(), columns=["status", "claim_count"], rows=[["closed", 1]])
    with django_assert_max_num_queries(one):
        body = client.get(f"/api/dashboards/{dashboard.id}/").json()
    assert len(body["widgets"]) == 8
