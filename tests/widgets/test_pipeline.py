"""The real pipeline, offline model, small real warehouse: numbers must match the data."""
from __future__ import annotations

import datetime as dt
import itertools
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.utils import timezone
from dramatiq.middleware import Shutdown, TimeLimitExceeded

from backend.jobs.models import OutboxMessage
from backend.llm.models import CallOutcome, LLMCall
from backend.llm.types import LLMError
from sql_gen.services import generate_offline
from sql_gen.services.generate import SQL
from widgets.models import DataOrigin, RequestStatus, StepState, Widget, WidgetRequest
from widgets.services import runner as pipeline
from widgets.services import spec_offline
from widgets.services.clarifier import CLARIFY
from widgets.services.requests import widget_request_answer, widget_request_create
from widgets.services.spec import SPEC

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
    assert widget.spec["metric"] == {"key": "total_paid", "name": "Total paid", "unit": "currency", "dated_by": "closed_date"}


def test_another_metric_or_window_gives_another_widget(demo_source, warehouse, analyst, dashboard):
    paid_30 = _make(analyst, dashboard, "total paid over the last 30 days").widget
    paid_90 = _make(analyst, dashboard, "total paid over the last 90 days").widget
    count_30 = _make(analyst, dashboard, "claim count over the last 30 days").widget
    # The window is bound at each run, not written: the same metric over another window is the same statement.
    assert paid_30.sql == paid_90.sql != count_30.sql
    assert paid_30.result["window"] != paid_90.result["window"]
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


@pytest.mark.parametrize("prompt", ["loss ratio over the last 30 days", "loss ratio by region since 15 march 2026"])
def test_a_ratio_over_monthly_premium_counts_whole_months_of_both_parts(demo_source, warehouse, analyst, dashboard,
                                                                        settings, prompt):
    """Premium is kept per month: 30 days of payments over the one monthly row whose first day falls in
    them was a loss ratio of about 900 %. Both parts now count the same whole months, and the widget says so."""
    settings.BUILDER_TODAY = "2026-10-31"  # the last day of a month: the window ends on whole months too
    widget = _make(analyst, dashboard, prompt).widget
    window = widget.result["window"]
    assert window["start"].endswith("-01") and window["end"].endswith("-01"), window
    assert any("kept per month" in a for a in widget.spec["assumptions"])
    bounds = f"'{window['start']}' AND closed_date < '{window['end']}'"
    paid, premium = _direct(warehouse, f"SELECT (SELECT SUM(paid_amount) FROM claims WHERE status = 'closed' AND "
                                       f"closed_date >= {bounds}), (SELECT SUM(earned_premium) FROM "
                                       f"earned_premium_monthly WHERE month >= '{window['start']}' AND "
                                       f"month < '{window['end']}')")[0]
    values = [row[-1] for row in widget.result["rows"]]
    if len(values) == 1:
        assert values[0] == pytest.approx(float(paid) / float(premium))
    assert all(0.2 < v < 3 for v in values), values  # a loss ratio, not a month's premium against days of it


def _loss_ratio(warehouse: Path, start: str, end: str) -> float:
    """Return the loss ratio over ``[start, end)`` computed straight from the warehouse."""
    paid, premium = _direct(warehouse, f"SELECT (SELECT SUM(paid_amount) FROM claims WHERE status = 'closed' AND "
                                       f"closed_date >= '{start}' AND closed_date < '{end}'), (SELECT "
                                       f"SUM(earned_premium) FROM earned_premium_monthly WHERE month >= '{start}' "
                                       f"AND month < '{end}')")[0]
    return float(paid) / float(premium)


def _months_back(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month0 + 1, 1)


@pytest.mark.parametrize(("prompt", "months_before"), [
    ("loss ratio this quarter vs last quarter", 3), ("loss ratio this month vs same month last year", 12)])
def test_a_loss_ratio_comparison_divides_whole_months_of_payments_by_their_premium(
        demo_source, warehouse, analyst, dashboard, settings, prompt, months_before):
    """On 8 Dec, "this quarter vs last quarter" divided 1 Jul – 7 Sep payments by all of Q3's premium (58.8 %
    against 81.5 %). The earlier period is now the same months in full, both parts over the same dates."""
    today = _months_back(dt.date.today(), 4) + dt.timedelta(days=7)  # the 8th: a month well inside the data
    settings.BUILDER_TODAY = today.isoformat()
    widget = _make(analyst, dashboard, prompt).widget
    window, before = widget.result["window"], widget.result["compare"]["window"]
    this_start = dt.date.fromisoformat(window["start"])
    assert window["end"] == (today + dt.timedelta(days=1)).isoformat()
    assert before == {"start": _months_back(this_start, months_before).isoformat(),
                      "end": _months_back(today, months_before - 1).isoformat()}
    assert widget.result["rows"][0][0] == pytest.approx(_loss_ratio(warehouse, window["start"], window["end"]))
    assert widget.result["compare"]["rows"][0][0] == pytest.approx(_loss_ratio(warehouse, before["start"], before["end"]))
    assert any("same months in full" in a for a in widget.spec["assumptions"])


def test_an_ambiguous_request_asks_then_finishes_with_the_chosen_option(demo_source, analyst, dashboard):
    request = _make(analyst, dashboard, "how are we doing by region")
    assert request.status == RequestStatus.NEEDS_CLARIFICATION
    question = request.questions[0]
    assert question["id"] == "metric" and "Claim count" in question["options"]
    widget_request_answer(user=analyst, request=request, answers={"metric": "Claim count"}, enqueue=False)
    assert pipeline.run(request_id=request.id) == RequestStatus.READY
    widget = Widget.objects.get(request=request)
    assert widget.spec["metric"]["key"] == "claim_count" and widget.spec["dimensions"] == ["regions.name"]
    # No window was said: the stated default, listed as an assumption.
    assert widget.spec["time_window"] == {"kind": "rolling", "n": 30, "unit": "day"}
    assert any("last 30 days" in a for a in widget.spec["assumptions"])


def test_a_request_for_what_the_data_lacks_is_refused_by_name(demo_source, analyst, dashboard):
    request = _make(analyst, dashboard, "NPS by region last quarter")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "not_in_data")
    assert "nps" in request.error_message.lower() and "Closest" not in request.error_message  # nothing is near
    assert "See what the data has: /catalog/" in request.error_message
    assert not Widget.objects.filter(request=request).exists()


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


def test_unsafe_sql_goes_back_as_corrections_then_fails_as_rejected(demo_source, analyst, dashboard, monkeypatch):
    answers = itertools.cycle(["DELETE FROM claims", "SELECT * FROM claims; DROP TABLE claims"])
    seen_errors = []

    def hostile(query):
        seen_errors.append(query.corrections[-1] if query.corrections else None)
        return {"sql": next(answers), "tables_used": ["claims"], "explanation": ""}

    monkeypatch.setattr(SQL, "offline", hostile)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "sql_rejected")
    assert seen_errors[0] is None and "DELETE" in seen_errors[1]  # the rejection was fed back
    widget = Widget.objects.get(request=request)  # what was understood is kept, without data
    assert (widget.source, widget.sql, widget.result) == (DataOrigin.SQL_REJECTED, "", {})
    assert "rejected" in widget.source_reason and widget.spec["metric"]["key"] == "total_paid"
    assert list(LLMCall.objects.filter(purpose="sql_generation").order_by("id").values_list("tier", "outcome")) == [
        ("fast", CallOutcome.VALIDATION_FAILED)] * 2 + [("reasoning", CallOutcome.VALIDATION_FAILED)] * 2


def test_sql_the_database_refuses_goes_back_with_the_error_and_the_fix_is_used(
        demo_source, warehouse, analyst, dashboard, monkeypatch):
    seen_errors = []

    def first_wrong_column(query):
        seen_errors.append(query.corrections[-1] if query.corrections else None)
        if len(seen_errors) == 1:
            # What the widget's spec asks, with a column the database cannot take ungrouped.
            return {"sql": "SELECT SUM(b.paid_amount) AS total_paid, b.region_id AS region FROM claims "
                           "AS b WHERE b.closed_date >= :window_start AND b.closed_date < :window_end AND "
                           "b.status = 'closed'", "tables_used": ["claims"], "explanation": ""}
        return generate_offline.answer(query)

    monkeypatch.setattr(SQL, "offline", first_wrong_column)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert request.status == RequestStatus.READY, request.error_message
    assert "region_id" in seen_errors[1] and "database" in seen_errors[1]
    assert request.widget.source == DataOrigin.LIVE and request.widget.result["rows"]
    assert list(LLMCall.objects.filter(purpose="sql_generation").order_by("id").values_list("outcome", flat=True)) \
        == [CallOutcome.VALIDATION_FAILED, CallOutcome.CORRECTED]


def test_sql_in_markdown_fences_with_prose_around_it_is_taken_without_spending_a_try(
        demo_source, analyst, dashboard, monkeypatch):
    def chatty(query):
        answer = generate_offline.answer(query)
        return {**answer, "sql": f"Sure! Here is the query:\n```sql\n{answer['sql']}\n```\nIt sums closed claims."}

    monkeypatch.setattr(SQL, "offline", chatty)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert request.status == RequestStatus.READY, request.error_message
    assert request.widget.sql.startswith("SELECT") and "```" not in request.widget.sql
    assert list(LLMCall.objects.filter(purpose="sql_generation").values_list("outcome", flat=True)) == ["ok"]


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
    def down(query):
        raise LLMError("Bedrock and the Anthropic API are throttling", retryable=True, code="llm_throttled")

    monkeypatch.setattr(SQL, "offline", down)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "llm_unavailable")
    assert request.error_message.endswith("(gave up after 3 tries)")
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.LLM_UNAVAILABLE and "throttling" in widget.source_reason
    assert widget.llm_calls == LLMCall.objects.filter(widget_request_id=request.id).count() >= 3


def test_the_sql_step_stops_when_the_requests_budget_runs_out(demo_source, analyst, dashboard, monkeypatch):
    def slow_and_wrong(query):
        time.sleep(1.1)
        return {"sql": "SELECT * FROM secrets", "tables_used": [], "explanation": ""}

    monkeypatch.setattr(SQL, "offline", slow_and_wrong)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    for _ in range(2):  # clarify, spec
        pipeline.step_run(step_id=request.steps.get(state=StepState.QUEUED).id)
    WidgetRequest.objects.filter(id=request.id).update(deadline_at=timezone.now() + dt.timedelta(seconds=1))
    request.refresh_from_db()
    assert pipeline.run(request_id=request.id) == RequestStatus.FAILED
    request.refresh_from_db()
    assert request.error_code == "deadline"
    assert LLMCall.objects.filter(purpose="sql_generation").count() == 1  # no time was left to ask again
    widget = Widget.objects.get(request=request)
    assert widget.source == DataOrigin.LLM_UNAVAILABLE and "180 s budget" in widget.source_reason


def test_a_step_past_the_requests_deadline_fails_before_calling_a_model(demo_source, analyst, dashboard):
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    WidgetRequest.objects.filter(id=request.id).update(deadline_at=timezone.now() - dt.timedelta(seconds=1))
    assert pipeline.run(request_id=request.id) == RequestStatus.FAILED
    assert WidgetRequest.objects.get(id=request.id).error_code == "deadline"
    assert not LLMCall.objects.exists()


def test_a_retryable_llm_failure_puts_the_step_back_in_the_queue_with_a_backoff(demo_source, analyst, dashboard,
                                                                                 monkeypatch):
    def down(*args, **kwargs):
        raise LLMError("throttled", retryable=True, code="llm_throttled")

    monkeypatch.setattr("backend.llm.offline.OfflineModel.complete", down)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    step = request.steps.get()
    assert pipeline.step_run(step_id=step.id) == "requeued"
    step.refresh_from_db()
    assert (step.state, step.attempts, step.error_message) == (StepState.QUEUED, 1, "throttled")
    assert WidgetRequest.objects.get(id=request.id).status == RequestStatus.RUNNING
    resent = OutboxMessage.objects.get(actor="run_step", args=[step.id])
    assert resent.delay_ms == 2000  # STEP_RETRY_BACKOFF_S, doubling on each attempt
    assert pipeline.run(request_id=request.id) == RequestStatus.FAILED
    request.refresh_from_db()
    assert request.error_code == "llm_unavailable" and request.steps.get().attempts == 3


def test_a_missing_warehouse_fails_with_a_clear_reason(demo_source, analyst, dashboard, settings, tmp_path):
    settings.WAREHOUSE_PATH = tmp_path / "gone.duckdb"
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "query_failed")
    assert "build_warehouse" in request.error_message


def test_an_invalid_spec_goes_back_once_and_the_corrected_one_is_used(demo_source, analyst, dashboard, monkeypatch):
    errors = []

    def first_unknown_metric(query):
        errors.append(query.corrections[-1] if query.corrections else None)
        answer = spec_offline.answer(query)
        return {**answer, "metric": {**answer["metric"], "key": "revenue_per_moon"}} if len(errors) == 1 else answer

    monkeypatch.setattr(SPEC, "offline", first_unknown_metric)
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert request.status == RequestStatus.READY, request.error_message
    assert errors[0] is None and "revenue_per_moon" in errors[1]
    assert list(LLMCall.objects.filter(purpose="spec_synthesis").order_by("id").values_list("outcome", flat=True)) \
        == [CallOutcome.VALIDATION_FAILED, CallOutcome.CORRECTED]


def test_an_intent_invalid_on_every_try_fails_with_the_reason(demo_source, analyst, dashboard, monkeypatch):
    monkeypatch.setattr(CLARIFY, "offline", lambda query: {"widget_type": "hologram"})
    request = _make(analyst, dashboard, "total paid last 7 days")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "invalid_intent")
    assert "clarifier's answer is invalid" in request.error_message
    assert list(LLMCall.objects.filter(purpose="intent_extraction").order_by("id").values_list("tier", flat=True)) == [
        "fast", "fast", "reasoning", "reasoning"]


def test_a_job_stopped_at_its_time_limit_fails_the_request_and_lets_dramatiq_see_it(
        demo_source, analyst, dashboard, monkeypatch):
    from widgets import tasks

    def too_slow(*args, **kwargs):
        raise TimeLimitExceeded()  # what Dramatiq's TimeLimit raises in the worker thread

    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    pipeline.step_run(step_id=request.steps.get().id)
    monkeypatch.setattr(SPEC, "run", too_slow)
    with pytest.raises(TimeLimitExceeded):
        tasks.run_step.fn(request.steps.get(name="spec").id)
    request.refresh_from_db()
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "time_limit")
    assert request.error_message == (f"This step took longer than {pipeline.STEP_TIME_LIMIT_S} s and was "
                                     "stopped; try again or ask for something simpler.")
    assert pipeline.run(request_id=request.id) == RequestStatus.FAILED  # a redelivery finds nothing to do


def test_a_job_stopped_by_a_worker_shutdown_goes_back_to_the_queue_for_another_worker(
        demo_source, analyst, dashboard, monkeypatch):
    def shutting_down(*args, **kwargs):
        raise Shutdown()  # what ShutdownNotifications raises, when enabled

    monkeypatch.setattr(CLARIFY, "run", shutting_down)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 7 days", enqueue=False)
    with pytest.raises(Shutdown):
        pipeline.step_run(step_id=request.steps.get().id)
    step = request.steps.get()
    assert (step.state, step.attempts) == (StepState.QUEUED, 1)
    assert WidgetRequest.objects.get(id=request.id).status == RequestStatus.RUNNING
    monkeypatch.undo()
    assert pipeline.run(request_id=request.id) == RequestStatus.READY
