"""A stored result of a damaged shape is reported, not thrown: one widget never fails its dashboard."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from widgets.models import RequestStatus, Widget, WidgetRequest
from widgets.services.result_shape import result_readable

pytestmark = pytest.mark.django_db

GOOD = {"columns": ["region", "claim_count"], "rows": [["south", 3], ["west", 4]], "truncated": False,
        "window": {"start": "2026-09-01", "end": "2026-12-01"}}
KPI_SPEC = {"kind": "kpi", "title": "Total paid", "metric": {"key": "total_paid", "name": "Total paid",
                                                            "unit": "currency"}, "dimensions": [], "filters": []}


@pytest.mark.parametrize("result", [
    "garbage", 12, ["a"], {"columns": {"a": 1}, "rows": []}, {"columns": ["a"], "rows": "x"},
    {"columns": ["a"], "rows": [None]}, {"columns": ["a"], "rows": [{"a": 5}]}, {"columns": ["a", "b"], "rows": [[1]]},
    {"columns": ["a"], "rows": [[["nested"]]]}, {"columns": [1], "rows": []}, {"rows": [[1]]},
])
def test_a_result_whose_own_rows_cannot_be_read_is_reported_with_a_reason(result: Any) -> None:
    readable, reason = result_readable(result)
    assert readable is None
    assert reason.startswith("This widget's data could not be read")


@pytest.mark.parametrize("result", [GOOD, {"columns": [], "rows": []}, {**GOOD, "rows": [["south", None]]}])
def test_a_result_of_the_right_shape_is_returned_as_is(result: dict[str, Any]) -> None:
    assert result_readable(result) == (result, "")


def test_cells_json_cannot_carry_exactly_are_made_so() -> None:
    readable, _ = result_readable({"columns": ["a", "b", "c"], "rows": [[float("nan"), float("inf"), 2**60 + 1]],
                                   "totals": {"columns": ["c"], "rows": [[-(2**60)]]}})
    assert readable is not None
    assert readable["rows"] == [[None, None, str(2**60 + 1)]]
    assert readable["totals"]["rows"] == [[str(-(2**60))]]


@pytest.mark.parametrize("result", [None, {}])
def test_a_widget_without_data_is_not_reported_as_unreadable(result: Any) -> None:
    assert result_readable(result) == (result, "")


@pytest.mark.parametrize(("part", "value", "error"), [
    ("sparkline", {"columns": ["period", "total_paid"], "rows": [None, 5, "x"]}, "sparkline_error"),
    ("totals", {"columns": ["claim_count"], "rows": [None]}, "totals_error"),
    ("compare", {"columns": ["region", "claim_count"], "rows": [None]}, None),
])
def test_a_damaged_companion_is_dropped_and_said_while_the_rows_stay(part: str, value: Any, error: str | None) -> None:
    readable, reason = result_readable({**GOOD, part: value, "deltas": [{"abs": 1}]})
    assert reason == "" and readable is not None
    assert part not in readable and readable["rows"] == GOOD["rows"]
    if error:
        assert "could not be read" in readable[error]
    if part == "compare":
        assert "deltas" not in readable  # deltas of a comparison that cannot be read are not shown either


@pytest.mark.parametrize("value", ["x", [1], {"start": 5}])
def test_damaged_deltas_or_window_are_dropped(value: Any) -> None:
    readable, _ = result_readable({**GOOD, "deltas": value, "window": value})
    assert readable is not None and "deltas" not in readable and "window" not in readable


def _add(dashboard: Any, title: str, result: Any, spec: Any = None) -> Widget:
    request = WidgetRequest.objects.create(dashboard=dashboard, user=dashboard.owner, prompt=title,
                                           status=RequestStatus.READY)
    return Widget.objects.create(dashboard=dashboard, request=request, kind="kpi", title=title,
                                 spec=spec if spec is not None else {**KPI_SPEC, "title": title}, sql="SELECT 1",
                                 result=result, source="live", cost_usd=Decimal("0"), llm_calls=1,
                                 result_at=timezone.now())


@pytest.mark.parametrize("result", ["garbage", {"columns": ["total_paid"], "rows": [None]},
                                    {"columns": {"a": 1}, "rows": []}, [1, 2]])
def test_the_dashboard_answers_with_the_other_widgets_when_one_result_is_damaged(
        client_for: Any, analyst: Any, dashboard: Any, result: Any) -> None:
    _add(dashboard, "Broken", result)
    _add(dashboard, "Fine", {"columns": ["total_paid"], "rows": [[5.0]], "window": {"start": None, "end": None}})
    response = client_for(analyst).get(f"/api/dashboards/{dashboard.id}/")
    assert response.status_code == 200
    widgets = {w["title"]: w for w in response.json()["widgets"]}
    assert widgets["Broken"]["result"] is None
    assert widgets["Broken"]["result_error"].startswith("This widget's data could not be read")
    assert widgets["Fine"]["result_error"] is None and widgets["Fine"]["result"]["rows"] == [[5.0]]


@pytest.mark.parametrize("spec", ["garbage", {"metric": None}, {"metric": {"key": "x", "name": "X"},
                                                                "filters": "x"}])
def test_a_spec_of_another_shape_does_not_fail_the_dashboard(
        client_for: Any, analyst: Any, dashboard: Any, spec: Any) -> None:
    _add(dashboard, "Odd spec", {"columns": ["x"], "rows": [[1]]}, spec=spec)
    response = client_for(analyst).get(f"/api/dashboards/{dashboard.id}/")
    assert response.status_code == 200
    assert response.json()["widgets"][0]["interpretation"] is None
