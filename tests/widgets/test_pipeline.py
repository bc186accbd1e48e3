"""The real pipeline, offline model, small real warehouse: numbers must match the data."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dramatiq.middleware import Shutdown, TimeLimitExceeded

from backend.llm.models import CallOutcome, LLMCall
from backend.llm.types import LLMError
from widgets.models import DataOrigin, RequestStatus, Widget, WidgetRequest
from widgets.services import pipeline
from widgets.services.requests import widget_request_answer, widget_request_create

pytestmark = pytest.mark.django_db


def _direct(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _make(analyst, dashboard, prompt: str) -> WidgetRequest:
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)
    pipeline.run(request_id=request.id)
    request.refresh_from_db()
    return request


def test_total_paid_last_30_days_equals_the_figure_computed_directly(demo_source, warehouse, analyst, dashboard):
    request = _make(analyst, dashboard, "total paid amount over the last 30 days")
    assert request.status == RequestStatus.READY, request.error_message
    widget = request.widget
    expected = _direct(warehouse, "SELECT SUM(paid_amount) FROM claims WHERE status = 'closed' "
                                  "AND closed_date > CURRENT_DATE - 30 AND closed_date <= CURRENT_DATE")[0][0]
    assert widget.kind == "kpi"
    assert expected > 0
    assert widget.result["rows"] == [[pytest.approx(float(expected))]]
    assert widget.spec["metric"] == {"key": "total_paid", "name": "Total paid", "unit": "currency"}


def test_another_metric_or_window_gives_another_widget(demo_source, warehouse, analyst, dashboard):
    paid_30 = _make(analyst, dashboard, "total paid over the last 30 days").widget
    paid_90 = _make(analyst, dashboard, "total paid over the last 90 days").widget
    count_30 = _make(analyst, dashboard, "claim count over the last 30 days").widget
    assert len({paid_30.sql, paid_90.sql, count_30.sql}) == 3
    assert paid_90.result["rows"][0][0] > paid_30.result["rows"][0][0]
    expected = _direct(warehouse, "SELECT COUNT(*) FROM claims WHERE filed_date > CURRENT_DATE - 30 "
                                  "AND filed_date <= CURRENT_DATE")[0][0]
    assert count_30.result["rows"] == [[expected]]


def test_a_chart_by_region_matches_a_direct_group_by(demo_source, warehouse, analyst, dashboard):
    widget = _make(analyst, dashboard, "claim count by region over the last 90 days").widget
    expected = _direct(warehouse, "SELECT r.name, COUNT(*) FROM claims c JOIN regions r USING (region_id) "
                                  "WHERE c.filed_date > CURRENT_DATE - 90 AND c.filed_date <= CURRENT_DATE "
                                  "GROUP BY 1 ORDER BY 2 DESC")
    assert widget.kind == "chart" and widget.result["columns"] == ["region", "claim_count"]
    assert widget.spec["labels"] == {"regions.name": "region"}
    assert [tuple(r) for r in widget.result["rows"]] == [tuple(r) for r in expected]


def test_a_monthly_trend_has_one_row_per_month_in_order(demo_source, warehouse, analyst, dashboard):
    widget = _make(analyst, dashboard, "monthly claim count over the last 12 months").widget
    periods = [row[0] for row in widget.result["rows"]]
    assert widget.spec["grain"] == "month" and periods == sorted(periods)
    assert 12 <= len(periods) <= 13


def test_loss_ratio_divides_paid_by_earned_premium(demo_source, warehouse, analyst, dashboard):
    widget = _make(analyst, dashboard, "loss ratio all time").widget
    paid, premium = _direct(warehouse, "SELECT (SELECT SUM(paid_amount) FROM claims WHERE status = 'closed'), "
                                       "(SELECT SUM(earned_premium) FROM earned_premium_monthly)")[0]
    assert widget.result["rows"][0][0] == pytest.approx(float(paid) / float(premium))


def test_an_ambiguous_request_asks_then_finishes_with_the_chosen_option(demo_source, analyst, dashboard):
    request = _make(analyst, dashboard, "claim count by region")
    assert request.status == RequestStatus.NEEDS_CLARIFICATION
    question = request.questions[0]
    assert question["id"] == "time_window" and "Last 90 days" in question["options"]
    widget_request_answer(user=analyst, request=request, answers={"time_window": "Last 90 days"}, enqueue=False)
    assert pipeline.run(request_id=request.id) == RequestStatus.READY
    assert Widget.objects.get(request=request).spec["time_window"] == {"kind": "last", "n": 90, "unit": "day"}


def test_the_widget_carries_the_cost_and_count_of_its_llm_calls(demo_source, analyst, dashboard):
    widget = _make(analyst, dashboard, "total paid last 7 days").widget
    calls = LLMCall.objects.filter(widget_request_id=widget.request_id)
    assert sorted(calls.values_list("purpose", flat=True)) == ["intent_extraction", "spec_synthesis", "sql_generation"]
    assert widget.llm_calls == 3
    assert widget.cost_usd == sum((c.cost_usd for c in calls), Decimal("0"))


def test_running_a_request_twice_is_safe(demo_source, analyst, dashboard):
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert pipeline.run(request_id=request.id) == RequestStatus.READY
    assert Widget.objects.filter(request=request).count() == 1
    assert LLMCall.objects.filter(widget_request_id=request.id).count() == 3


def test_unsafe_sql_goes_back_once_then_fails_as_rejected(demo_source, analyst, dashboard, monkeypatch):
    from backend.llm import offline

    answers = iter(["DELETE FROM claims", "SELECT * FROM claims; DROP TABLE claims"])
    seen_errors = []

    def hostile(context, prompt):
        seen_errors.append(prompt.get("previous_error"))
        return {"sql": next(answers), "tables_used": ["claims"], "explanation": ""}

    monkeypatch.setitem(offline._HANDLERS, "record_sql", hostile)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "sql_rejected")
    assert seen_errors[0] is None and "DELETE" in seen_errors[1]  # the rejection was fed back
    widget = Widget.objects.get(request=request)  # what was understood is kept, without data
    assert (widget.source, widget.sql, widget.result) == (DataOrigin.SQL_REJECTED, "", {})
    assert "rejected" in widget.source_reason and widget.spec["metric"]["key"] == "total_paid"
    assert list(LLMCall.objects.filter(purpose="sql_generation").values_list("outcome", flat=True)) == [
        CallOutcome.VALIDATION_FAILED, CallOutcome.VALIDATION_FAILED]


def test_sql_the_database_refuses_goes_back_with_the_error_and_the_fix_is_used(
        demo_source, warehouse, analyst, dashboard, monkeypatch):
    from backend.llm import offline

    real = offline._HANDLERS["record_sql"]
    seen_errors = []

    def first_wrong_column(context, prompt):
        seen_errors.append(prompt.get("previous_error"))
        if len(seen_errors) == 1:
            return {"sql": "SELECT SUM(paid_amount_usd) AS total_paid FROM claims", "tables_used": ["claims"],
                    "explanation": ""}
        return real(context, prompt)

    monkeypatch.setitem(offline._HANDLERS, "record_sql", first_wrong_column)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert request.status == RequestStatus.READY, request.error_message
    assert "paid_amount_usd" in seen_errors[1] and "database" in seen_errors[1]
    assert request.widget.source == DataOrigin.LIVE and request.widget.result["rows"]
    assert list(LLMCall.objects.filter(purpose="sql_generation").order_by("id").values_list("outcome", flat=True)) \
        == [CallOutcome.VALIDATION_FAILED, CallOutcome.ESCALATED]


def test_a_missing_warehouse_is_not_sent_back_to_the_model(demo_source, analyst, dashboard, monkeypatch):
    demo_source.location = "/nonexistent/warehouse.duckdb"
    demo_source.save()
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "query_failed")
    assert LLMCall.objects.filter(purpose="sql_generation").count() == 1  # no rewrite can fix a missing file
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.QUERY_FAILED and "warehouse.duckdb" in widget.source_reason


def test_an_llm_outage_at_the_sql_step_keeps_the_spec_on_a_badged_widget(demo_source, analyst, dashboard,
                                                                          monkeypatch):
    from backend.llm import offline

    def down(context, prompt):
        raise LLMError("Bedrock and the Anthropic API are throttling", retryable=True, code="llm_throttled")

    monkeypatch.setitem(offline._HANDLERS, "record_sql", down)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "llm_unavailable")
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.LLM_UNAVAILABLE and "throttling" in widget.source_reason
    assert widget.llm_calls == LLMCall.objects.filter(widget_request_id=request.id).count() >= 3


def test_sql_generation_stops_at_the_sources_budget(demo_source, analyst, dashboard, monkeypatch):
    import time

    from backend.llm import offline

    demo_source.generation_timeout_s = 1
    demo_source.save()

    def slow_and_wrong(context, prompt):
        time.sleep(1.1)
        return {"sql": "SELECT * FROM secrets", "tables_used": [], "explanation": ""}

    monkeypatch.setitem(offline._HANDLERS, "record_sql", slow_and_wrong)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "sql_generation_timeout")
    assert LLMCall.objects.filter(purpose="sql_generation").count() == 1  # no time was left to ask again
    assert "1s budget" in Widget.objects.get(request=request).source_reason


def test_a_retryable_llm_failure_puts_the_request_back_for_the_next_try(demo_source, analyst, dashboard, monkeypatch):
    def down(*args, **kwargs):
        raise LLMError("throttled", retryable=True, code="llm_throttled")

    monkeypatch.setattr("backend.llm.offline.OfflineModel.complete", down)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    with pytest.raises(LLMError):
        pipeline.run(request_id=request.id, final_attempt=False)
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert pipeline.run(request_id=request.id, final_attempt=True) == RequestStatus.FAILED
    request.refresh_from_db()
    assert request.error_code == "llm_unavailable"


def test_a_missing_warehouse_fails_with_a_clear_reason(demo_source, analyst, dashboard, settings, tmp_path):
    settings.WAREHOUSE_PATH = tmp_path / "gone.duckdb"
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "query_failed")
    assert "build_warehouse" in request.error_message


def test_an_invalid_spec_goes_back_once_and_the_corrected_one_is_used(demo_source, analyst, dashboard, monkeypatch):
    from backend.llm import offline

    real = offline._HANDLERS["record_widget_spec"]
    errors = []

    def first_unknown_metric(context, prompt):
        errors.append(prompt.get("previous_error"))
        answer = real(context, prompt)
        return {**answer, "metric": {**answer["metric"], "key": "revenue_per_moon"}} if len(errors) == 1 else answer

    monkeypatch.setitem(offline._HANDLERS, "record_widget_spec", first_unknown_metric)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert request.status == RequestStatus.READY, request.error_message
    assert errors[0] is None and "revenue_per_moon" in errors[1]
    assert list(LLMCall.objects.filter(purpose="spec_synthesis").order_by("id").values_list("outcome", flat=True)) \
        == [CallOutcome.VALIDATION_FAILED, CallOutcome.ESCALATED]


def test_an_intent_invalid_twice_fails_with_the_reason(demo_source, analyst, dashboard, monkeypatch):
    from backend.llm import offline

    monkeypatch.setitem(offline._HANDLERS, "record_intent", lambda context, prompt: {"widget_type": "hologram"})
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "invalid_intent")
    assert "clarifier's answer is invalid" in request.error_message
    assert LLMCall.objects.filter(purpose="intent_extraction").count() == 2


def test_a_job_stopped_at_its_time_limit_fails_the_request_and_lets_dramatiq_see_it(
        demo_source, analyst, dashboard, monkeypatch):
    from widgets import tasks

    def too_slow(**kwargs):
        raise TimeLimitExceeded()  # what Dramatiq's TimeLimit raises in the worker thread

    monkeypatch.setattr("widgets.services.pipeline.spec_synthesize", too_slow)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    with pytest.raises(TimeLimitExceeded):
        tasks.run_widget_request.fn(request.id)
    request.refresh_from_db()
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "time_limit")
    assert request.error_message == (f"Building this widget took longer than {tasks.TIME_LIMIT_S} s and was "
                                     "stopped; try again or ask for something simpler.")
    assert pipeline.run(request_id=request.id) == RequestStatus.FAILED  # Dramatiq's retry finds nothing to do


def test_a_job_stopped_by_a_worker_shutdown_fails_the_request_saying_so(demo_source, analyst, dashboard, monkeypatch):
    def shutting_down(**kwargs):
        raise Shutdown()  # what ShutdownNotifications raises, when enabled

    monkeypatch.setattr("widgets.services.pipeline.spec_synthesize", shutting_down)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    with pytest.raises(Shutdown):
        pipeline.run(request_id=request.id)
    request.refresh_from_db()
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "interrupted")
    assert request.error_message == "The worker stopped while building this widget; try again."
