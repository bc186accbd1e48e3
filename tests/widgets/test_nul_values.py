"""A NUL character in a query result or a model's answer: PostgreSQL's jsonb refuses it, so it is replaced."""
from __future__ import annotations

import pytest

from sql_gen.services.generate import SQL
from widgets.models import RequestStatus, StepState
from widgets.services import runner
from widgets.services.requests import widget_request_create

pytestmark = pytest.mark.django_db

NUL_SQL = {"sql": "SELECT SUM(paid_amount) AS total_paid, chr(0) AS note FROM claims "
                  "WHERE closed_date >= :window_start AND closed_date < :window_end AND status = 'closed'",
           "tables_used": ["claims"], "explanation": "total paid"}


def test_a_nul_in_a_query_result_is_stored_as_a_replacement_character(demo_source, analyst, dashboard, monkeypatch):
    """chr() is on the allowlist and warehouse text may hold NUL anyway; PostgreSQL's jsonb refuses
    \\u0000. The value is stored as U+FFFD, on every app database, and the widget is built."""
    monkeypatch.setattr(SQL, "offline", lambda query: NUL_SQL)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    assert request.widget.result["rows"][0][1] == "\ufffd"
    assert not request.steps.exclude(state=StepState.DONE).exists()


def test_a_nul_in_a_models_answer_is_stored_too(demo_source, analyst, dashboard, monkeypatch):
    from sql_gen.services import generate_offline

    def with_nul(query):
        return {**generate_offline.answer(query), "explanation": "sums\x00paid"}

    monkeypatch.setattr(SQL, "offline", with_nul)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    step = request.steps.get(name="sql")
    assert step.output["explanation"] == "sums\ufffdpaid"
    assert step.conversation[-1]["tool_call"]["input"]["explanation"] == "sums\ufffdpaid"


def test_a_refused_answer_holding_a_nul_is_recorded_and_corrected(demo_source, analyst, dashboard, monkeypatch):
    from backend.llm.models import LLMCall
    from sql_gen.services import generate_offline

    def first_broken(query):
        if not query.corrections:
            return {"sql": "SELECT \x00 FROM nowhere", "tables_used": [], "explanation": "\x00"}
        return generate_offline.answer(query)

    monkeypatch.setattr(SQL, "offline", first_broken)
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="total paid last 30 days",
                                    enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    assert LLMCall.objects.filter(purpose="sql_generation", outcome="validation_failed").exists()
