"""Custom (TSX) widgets: props from the spec, the offline component, and the pipeline end to end."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import call_command

from backend.errors import ApplicationError
from backend.llm.models import CallOutcome, LLMCall
from backend.llm.types import LLMError, OfflineQuery
from sql_gen.services import generate_offline
from sql_gen.services.generate import SQL
from tests.conftest import service_missing
from widgets.models import DataOrigin, RequestStatus, Widget, WidgetRequest
from widgets.serializers import widget_out
from widgets.services import clarifier_offline as offline_intent
from widgets.services import custom_offline as offline_tsx
from widgets.services import runner
from widgets.services import spec_offline as offline_spec
from widgets.services.custom import (
    COMPONENT,
    ResultShapeMismatch,
    props_interface,
    widget_props,
    widget_props_or_reason,
)
from widgets.services.requests import widget_request_create
from widgets.services.spec import WidgetSpec, spec_validate
from widgets.services.tsx import tsx_checker_available, tsx_compile

PAID = {"key": "total_paid", "name": "Total paid", "unit": "currency"}
WINDOW = {"kind": "rolling", "n": 90, "unit": "day"}
PROPS_TAIL = (
    "interface Props {\n"
    "  title: string;\n"
    '  metric: { key: string; name: string; unit: "count" | "currency" | "days" | "percent" };\n'
    "  dimensions: { key: string; label: string }[];\n"
    "  rows: Row[];\n"
    "  truncated: boolean;\n"
    "}\n"
)
BAD_TSX = "function Widget(props: Props) {\n  return <div>{props.rows.length.toFixed()}{props.nope}</div>;\n}\n"


def _spec(**over: Any) -> dict[str, Any]:
    return {"kind": "custom", "title": "Total paid", "metric": PAID, "dimensions": [], "filters": [],
            "time_window": WINDOW, "grain": None, "labels": {}, **over}


@pytest.fixture
def checker() -> None:
    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")


# --- props_interface -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "row"), [
    ({}, "interface Row { value: number | null }"),
    ({"grain": "month"}, "interface Row { period: string; value: number | null }"),
    ({"dimensions": ["regions.name"]}, 'interface Row { "regions.name": string | null; value: number | null }'),
    ({"dimensions": ["region", "channels.name"], "grain": "week"},
     'interface Row { period: string; region: string | null; "channels.name": string | null; value: number | null }'),
    ({"dimensions": ["region\n"]}, 'interface Row { "region\\n": string | null; value: number | null }'),
])
def test_props_interface_declares_one_row_field_per_result_column_in_order(over, row) -> None:
    assert props_interface(_spec(**over)) == row + "\n" + PROPS_TAIL


def test_props_interface_accepts_a_validated_spec_model() -> None:
    spec = WidgetSpec.model_validate(_spec(grain="day"))
    assert props_interface(spec).startswith("interface Row { period: string; value")


@pytest.mark.parametrize("key", ["value", "period"])
def test_props_interface_guards_against_a_bare_key_named_like_a_row_field(key) -> None:
    # A guard, not a path the pipeline takes: catalog dimension keys are always "table.column".
    with pytest.raises(ApplicationError) as exc:
        props_interface(_spec(dimensions=[key]))
    assert exc.value.code == "invalid_spec" and repr(key) in exc.value.message


# --- widget_props ----------------------------------------------------------------------------------------

def test_widget_props_maps_columns_in_order_keeping_nulls() -> None:
    spec = _spec(title="Paid by region", dimensions=["regions.name"], grain="month",
                 labels={"regions.name": "region"})
    result = {"columns": ["period", "region", "total_paid"], "truncated": True,
              "rows": [["2025-01-01", "North", 10.5], ["2025-01-01", None, None], [None, 7, 3]]}
    assert widget_props(spec=spec, result=result) == {
        "title": "Paid by region",
        "metric": PAID,
        "dimensions": [{"key": "period", "label": "month"}, {"key": "regions.name", "label": "region"}],
        "rows": [{"period": "2025-01-01", "regions.name": "North", "value": 10.5},
                 {"period": "2025-01-01", "regions.name": None, "value": None},
                 {"period": "", "regions.name": "7", "value": 3}],
        "truncated": True,
    }


def test_widget_props_of_an_empty_result_has_no_rows() -> None:
    props = widget_props(spec=_spec(), result={"columns": ["total_paid"], "rows": [], "truncated": False})
    assert props["rows"] == [] and props["dimensions"] == []


@pytest.mark.parametrize(("result", "says"), [
    ({"columns": ["total_paid"], "rows": [[1]]}, "needs 2, in this order: region, total_paid"),
    ({"columns": ["a", "b", "c"], "rows": []}, "returned 3 column(s) (a, b, c)"),
    ({"columns": ["region", "total_paid"], "rows": [["North", 1], ["South"]]}, "Row 2 of the result has 1 values"),
    ({"columns": ["region", "total_paid"], "rows": [["North", "lots"]]}, "holds 'lots', not a number"),
    ({"columns": ["region", "total_paid"], "rows": [["North", True]]}, "holds True, not a number"),
])
def test_widget_props_refuses_a_result_that_does_not_fit_the_row(result, says) -> None:
    spec = _spec(dimensions=["regions.name"], labels={"regions.name": "region"})
    with pytest.raises(ResultShapeMismatch) as exc:
        widget_props(spec=spec, result=result)
    assert exc.value.code == "result_shape_mismatch" and says in exc.value.message


SEGMENT_BY_WEEK = _spec(metric={"key": "claim_count", "name": "Claim count", "unit": "count"}, grain="week",
                        dimensions=["customers.segment"], labels={"customers.segment": "customer segment"})


@pytest.mark.parametrize("columns", [
    ["period", "customer_segment", "claim_count"],  # what the offline SQL step writes
    ["PERIOD", "Customer Segment", "Claim_Count"],
    ["week", "customers.segment", "value"],
])
def test_widget_props_accepts_the_expected_names_in_any_case_or_spelling(columns) -> None:
    result = {"columns": columns, "rows": [["2025-01-06", "Family", 4]], "truncated": False}
    rows = widget_props(spec=SEGMENT_BY_WEEK, result=result)["rows"]
    assert rows == [{"period": "2025-01-06", "customers.segment": "Family", "value": 4}]


@pytest.mark.parametrize(("columns", "says"), [
    (["customer_segment", "period", "claim_count"], "column 1 is 'customer_segment' where this custom widget needs "
                                                    "'period'"),
    (["period", "claim_count", "customer_segment"], "column 2 is 'claim_count' where this custom widget needs "
                                                    "'customer segment'"),
    (["period", "channel", "claim_count"], "column 2 is 'channel'"),
    (["period", "customer_segment", "sum(claim_id)"], "column 3 is 'sum(claim_id)' where this custom widget needs "
                                                      "'claim_count'"),
])
def test_widget_props_refuses_columns_out_of_order_or_misnamed(columns, says) -> None:
    result = {"columns": columns, "rows": [["Family", "2025-01-06", 4]], "truncated": False}
    with pytest.raises(ResultShapeMismatch) as exc:
        widget_props(spec=SEGMENT_BY_WEEK, result=result)
    assert says in exc.value.message
    assert f"returned ({', '.join(columns)}) but needs, in this order, (period, customer segment, claim_count)" \
        in exc.value.message


def test_widget_props_or_reason_says_why_instead_of_raising() -> None:
    spec = _spec(grain="week")
    assert widget_props_or_reason(spec=spec, result={}) == (None, "")
    props, reason = widget_props_or_reason(spec=spec, result={"columns": ["x"], "rows": []})
    assert props is None and "needs 2" in reason


# --- spec, intent and the offline model ------------------------------------------------------------------

@pytest.mark.parametrize(("over", "ok"), [
    ({"dimensions": ["regions.name", "channels.name"], "grain": "month"}, True),
    ({"visual": "a leaderboard of regions with horizontal bars"}, True),
    ({"visual": "x" * 500}, True),
    ({"visual": "x" * 501}, False),
    ({"dimensions": ["a", "b", "c"]}, False),
])
def test_a_custom_spec_takes_up_to_two_dimensions_a_grain_and_a_short_visual(over, ok) -> None:
    if ok:
        assert WidgetSpec.model_validate(_spec(**over)).kind == "custom"
    else:
        with pytest.raises(ValueError):
            WidgetSpec.model_validate(_spec(**over))


def test_a_dimension_named_twice_is_kept_once(demo_source) -> None:
    from sql_gen.selectors import catalog

    payload = _spec(dimensions=["regions.name", "regions.name"], metric={**PAID, "name": "whatever"})
    spec = spec_validate(payload=payload, catalog=catalog(source=demo_source))
    assert spec.dimensions == ["regions.name"]
    assert props_interface(spec).startswith('interface Row { "regions.name": string | null; value')


@pytest.mark.parametrize(("text", "kind"), [
    ("custom leaderboard of total paid by region over the last 90 days", "custom"),
    ("a leaderboard of claim count by channel last 30 days", "custom"),
    ("loss ratio gauge over the last 12 months", "custom"),
    ("total paid as a progress bar last 30 days", "custom"),
    ("a card with total paid and a sparkline, weekly, last 90 days", "custom"),
    ("league table of total paid by region last 90 days", "custom"),
    ("total paid by region last 90 days", "chart"),
    ("claims by channel as a table for the last year", "table"),
])
def test_the_offline_clarifier_recognises_custom_requests(demo_source, text, kind) -> None:
    from sql_gen.selectors import catalog

    intent = offline_intent.answer(OfflineQuery(catalog(source=demo_source), {"request": text, "answers": []}, []))
    assert intent["widget_type"] == kind


def test_the_offline_spec_of_a_custom_request_says_what_it_should_look_like(demo_source) -> None:
    from sql_gen.selectors import catalog
    from widgets.services.spec import spec_validate

    cat = catalog(source=demo_source)
    text = "custom leaderboard of total paid by region over the last 90 days"
    intent = offline_intent.answer(OfflineQuery(cat, {"request": text, "answers": []}, []))
    spec = spec_validate(payload=offline_spec.answer(OfflineQuery(cat, {"request": text, "intent": intent}, [])),
                         catalog=cat)
    assert (spec.kind, spec.dimensions, spec.grain) == ("custom", ["regions.name"], None)
    assert spec.visual is not None and "leaderboard of region" in spec.visual and text in spec.visual


SHAPES = {
    "ranked bars": (_spec(dimensions=["regions.name"], limit=50), "", 'row["regions.name"]'),
    "ranked bars, latest period": (_spec(dimensions=["regions.name", "channels.name"], grain="month"),
                                   "top 5", "const LIMIT = 5;"),
    "columns": (_spec(grain="week"), "", "<rect"),
    "sparkline": (_spec(grain="week", visual="a sparkline of the weeks"), "", "<polyline"),
    "big number": (_spec(time_window={"kind": "all"}), "", "fontSize: 40"),
    "progress bar": (_spec(metric={"key": "loss_ratio", "name": "Loss ratio", "unit": "percent"}),
                     "loss ratio gauge", "const share"),
    "heatmap, dimension by period": (_spec(dimensions=["regions.name"], grain="month"), "a heatmap", "row.period.slice(0, 7)"),
    "heatmap, two dimensions": (_spec(dimensions=["regions.name", "channels.name"]), "heat map",
                                'axis(row["channels.name"])'),
}


def test_a_heatmap_of_one_axis_is_drawn_as_bars_and_says_so() -> None:
    answer = offline_tsx.answer(OfflineQuery({}, {"spec": _spec(dimensions=["regions.name"]), "request": "heatmap"}, []))
    assert "const LIMIT" in answer["tsx"] and "Not drawn as a heatmap" in answer["explanation"]
    drawn = offline_tsx.answer(OfflineQuery({}, {"spec": _spec(dimensions=["regions.name"], grain="week"),
                                                 "request": "a heatmap of regions by week"}, []))
    assert "ACROSS_LIMIT" in drawn["tsx"] and drawn["explanation"].startswith("A heatmap by period")


@pytest.mark.parametrize("shape", SHAPES)
def test_the_offline_component_fits_the_spec_and_passes_the_real_checker(checker, shape) -> None:
    spec, request, marker = SHAPES[shape]
    tsx = offline_tsx.answer(OfflineQuery({}, {"spec": spec, "request": request}, []))["tsx"]
    assert marker in tsx and "No data for this window." in tsx
    compiled = tsx_compile(tsx=tsx, props_ts=props_interface(spec))
    assert "function Widget(" in compiled.js and "React.createElement" in compiled.js


# --- the pipeline ----------------------------------------------------------------------------------------

LEADERBOARD = "custom leaderboard of total paid by region over the last 90 days"


def _make(analyst, dashboard, prompt: str) -> WidgetRequest:
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)
    runner.run(request_id=request.id)
    request.refresh_from_db()
    return request


def _outcomes(request: WidgetRequest, purpose: str) -> list[str]:
    calls = LLMCall.objects.filter(widget_request_id=request.id, purpose=purpose).order_by("id")
    return list(calls.values_list("outcome", flat=True))


def test_a_custom_leaderboard_is_built_with_its_component_and_real_numbers(
        checker, demo_source, warehouse: Path, analyst, dashboard):
    request = _make(analyst, dashboard, LEADERBOARD)
    assert request.status == RequestStatus.READY, request.error_message
    widget = request.widget
    assert widget.kind == "custom" and widget.source == DataOrigin.LIVE
    assert 'row["regions.name"]' in widget.tsx and "function Widget(" in widget.component_js
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        expected = conn.execute(
            "SELECT r.name, SUM(c.paid_amount) FROM claims c JOIN regions r USING (region_id) WHERE c.status = "
            "'closed' AND c.closed_date > CURRENT_DATE - 90 AND c.closed_date <= CURRENT_DATE GROUP BY 1").fetchall()
    body = widget_out(widget)
    rows = body["props"]["rows"]
    assert {r["regions.name"]: r["value"] for r in rows} == pytest.approx({k: float(v) for k, v in expected})
    assert [[r["regions.name"], r["value"]] for r in rows] == widget.result["rows"]
    assert body["props"]["dimensions"] == [{"key": "regions.name", "label": "region"}]
    assert (body["component_js"], body["tsx"], body["props_error"]) == (widget.component_js, widget.tsx, None)
    assert _outcomes(request, "tsx_codegen") == [CallOutcome.OK]
    assert LLMCall.objects.get(widget_request_id=request.id, purpose="tsx_codegen").tier == "reasoning"
    assert widget.llm_calls == 4


def test_a_custom_gauge_without_dimensions_is_one_number(checker, demo_source, analyst, dashboard):
    request = _make(analyst, dashboard, "a custom gauge of claim count last 30 days")
    assert request.status == RequestStatus.READY, request.error_message
    props = widget_out(request.widget)["props"]
    assert len(props["rows"]) == 1 and set(props["rows"][0]) == {"value"} and props["rows"][0]["value"] > 0


def test_other_kinds_have_no_component_or_props(demo_source, analyst, dashboard):
    body = widget_out(_make(analyst, dashboard, "total paid over the last 30 days").widget)
    assert (body["kind"], body["tsx"], body["component_js"], body["props"]) == ("kpi", None, None, None)


def test_a_component_failing_the_check_twice_fails_the_request(
        checker, demo_source, analyst, dashboard, monkeypatch):
    seen: list[Any] = []

    def broken(query):
        seen.append(query.corrections[-1] if query.corrections else None)
        return {"tsx": BAD_TSX, "explanation": "a div"}

    monkeypatch.setattr(COMPONENT, "offline", broken)
    request = _make(analyst, dashboard, LEADERBOARD)
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "tsx_rejected")
    assert request.error_message.startswith("The model's component did not compile, also after corrections:")
    assert "line 2" in request.error_message and "nope" in request.error_message
    assert seen[0] is None and "nope" in seen[1]  # the checker's errors went back to the model
    assert _outcomes(request, "tsx_codegen") == [CallOutcome.VALIDATION_FAILED, CallOutcome.VALIDATION_FAILED]
    assert not Widget.objects.filter(request=request).exists()


def test_a_component_fixed_after_the_checkers_errors_is_used(checker, demo_source, analyst, dashboard, monkeypatch):
    seen: list[Any] = []

    def first_broken(query):
        seen.append(query.corrections[-1] if query.corrections else None)
        return {"tsx": BAD_TSX, "explanation": ""} if len(seen) == 1 else offline_tsx.answer(query)

    monkeypatch.setattr(COMPONENT, "offline", first_broken)
    request = _make(analyst, dashboard, LEADERBOARD)
    assert request.status == RequestStatus.READY, request.error_message
    assert "nope" in seen[1] and request.widget.tsx != BAD_TSX
    assert _outcomes(request, "tsx_codegen") == [CallOutcome.VALIDATION_FAILED, CallOutcome.CORRECTED]


def test_a_component_in_markdown_fences_is_taken_without_spending_a_try(checker, demo_source, analyst, dashboard,
                                                                        monkeypatch):
    def fenced(query):
        answer = offline_tsx.answer(query)
        return {**answer, "tsx": f"Here is the component:\n\n```tsx\n{answer['tsx']}```\nIt ranks the regions."}

    monkeypatch.setattr(COMPONENT, "offline", fenced)
    request = _make(analyst, dashboard, LEADERBOARD)
    assert request.status == RequestStatus.READY, request.error_message
    assert request.widget.tsx.startswith("const MUTED") and "```" not in request.widget.tsx
    assert _outcomes(request, "tsx_codegen") == [CallOutcome.OK]


def test_without_a_checker_a_custom_request_fails_saying_so_before_calling_the_model(
        demo_source, analyst, dashboard, monkeypatch):
    monkeypatch.setattr("widgets.services.tsx._node", lambda: None)
    request = _make(analyst, dashboard, LEADERBOARD)
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "tsx_unavailable")
    assert "Node.js not found" in request.error_message
    assert _outcomes(request, "tsx_codegen") == []  # its answer could not have been checked


def test_writing_the_component_stops_when_the_requests_budget_runs_out(demo_source, analyst, dashboard,
                                                                         monkeypatch):
    import datetime as dt
    import time

    from django.utils import timezone

    def slow_and_empty(query):
        time.sleep(1.1)
        return {"tsx": "", "explanation": ""}

    monkeypatch.setattr("widgets.services.pipeline.tsx_checker_available", lambda: None)
    monkeypatch.setattr(COMPONENT, "offline", slow_and_empty)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=LEADERBOARD, enqueue=False)
    while (step := request.steps.filter(state="queued").first()) and step.name != "component":
        runner.step_run(step_id=step.id)
    WidgetRequest.objects.filter(id=request.id).update(deadline_at=timezone.now() + dt.timedelta(seconds=1))
    runner.run(request_id=request.id)
    request.refresh_from_db()
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "deadline")
    assert request.error_message.startswith("Building this widget took longer than its 180 s budget and was stopped")
    assert _outcomes(request, "tsx_codegen") == [CallOutcome.VALIDATION_FAILED]  # no time was left to ask again


def test_an_llm_outage_at_the_component_step_is_retried_then_fails(demo_source, analyst, dashboard, monkeypatch):
    tries: list[int] = []

    def down(query):
        tries.append(1)
        raise LLMError("Bedrock and the Anthropic API are throttling", retryable=True, code="llm_throttled")

    monkeypatch.setattr("widgets.services.pipeline.tsx_checker_available", lambda: None)
    monkeypatch.setattr(COMPONENT, "offline", down)
    request = _make(analyst, dashboard, LEADERBOARD)
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "llm_unavailable")
    assert request.error_message == "Bedrock and the Anthropic API are throttling (gave up after 3 tries)"
    assert len(tries) == 3  # the step's attempts; each was one call on the offline route
    assert not Widget.objects.filter(request=request).exists()


def test_sql_whose_columns_do_not_fit_the_component_goes_back_then_fails(
        checker, demo_source, analyst, dashboard, monkeypatch):
    seen: list[Any] = []

    def value_only(query):
        seen.append(query.corrections[-1] if query.corrections else None)
        # Grouped as the spec says, but without the region column the component draws.
        return {"sql": "SELECT SUM(b.paid_amount) AS total_paid FROM claims AS b JOIN regions AS t1 ON b.region_id = "
                       "t1.region_id WHERE b.closed_date >= :window_start AND b.closed_date < :window_end AND "
                       "b.status = 'closed' GROUP BY t1.name", "tables_used": ["claims"], "explanation": ""}

    monkeypatch.setattr(SQL, "offline", value_only)
    request = _make(analyst, dashboard, LEADERBOARD)
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "query_failed")
    assert "needs 2, in this order: region, total_paid" in seen[1]
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.QUERY_FAILED and "does not fit the widget" in widget.source_reason
    assert widget.component_js and widget_out(widget)["props"] is None


def test_sql_whose_columns_are_out_of_order_goes_back_and_the_fix_is_used(
        checker, demo_source, analyst, dashboard, monkeypatch):
    seen: list[Any] = []

    def swapped_first(query):
        seen.append(query.corrections[-1] if query.corrections else None)
        answer = generate_offline.answer(query)
        if len(seen) == 1:  # the same numbers, region before period
            answer = {**answer, "sql": f"SELECT region, period, total_paid FROM ({answer['sql']}) AS q"}
        return answer

    monkeypatch.setattr(SQL, "offline", swapped_first)
    request = _make(analyst, dashboard, "custom leaderboard of total paid by region, monthly, last 90 days")
    assert request.status == RequestStatus.READY, request.error_message
    assert "column 1 is 'region' where this custom widget needs 'period'" in seen[1]
    assert request.widget.result["columns"] == ["period", "region", "total_paid"]


def test_generate_widget_prints_the_component(checker, demo_source, analyst, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("generate_widget", LEADERBOARD, "--user", "ana")
    out = capsys.readouterr().out
    assert exited.value.code == 0 and "Component (TSX," in out and "const MUTED" in out
    with pytest.raises(SystemExit):
        call_command("generate_widget", LEADERBOARD, "--user", "ana", "--json")
    body = json.loads(capsys.readouterr().out)
    assert "function Widget(props: Props)" in body["widget"]["tsx"] and body["widget"]["props"]["rows"]


def test_a_component_step_whose_checker_was_stopped_goes_back_to_the_queue(checker, demo_source, analyst, dashboard,
                                                                         monkeypatch):
    from widgets.services import tsx
    from widgets.services.tsx_checker import CheckerFailure

    class Stopped:
        def prestart(self) -> None:
            pass

        def check(self, **kwargs: Any) -> None:  # the checker process was killed while it checked
            raise CheckerFailure("unavailable", "the TypeScript checker stopped (signal 9) while checking the "
                                 "component; it is tried again", retryable=True)

    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=LEADERBOARD, enqueue=False)
    for name in ("clarify", "spec"):
        runner.step_run(step_id=request.steps.get(name=name).id)
    with monkeypatch.context() as patch:
        patch.setattr(tsx, "warm_checker", lambda config: Stopped())
        assert runner.step_run(step_id=request.steps.get(name="component").id) == "requeued"
    assert runner.run(request_id=request.id) == RequestStatus.READY
