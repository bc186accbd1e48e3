"""A live model's SQL against its spec: the real boto3 client against the fake Bedrock, the SQL step's first
answer edited the way a careless model would write it. Each is refused and goes back to the model as a
correction; the widget is built from the corrected statement, never from the careless one."""
from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.llm.fakes import server as fake
from tests.widgets import live
from widgets.models import RequestStatus, WidgetRequest
from widgets.services import runner
from widgets.services.requests import widget_request_create

WINDOW = r"b\.filed_date\s*>=\s*[:$]window_start\s+AND\s+b\.filed_date\s*<\s*[:$]window_end"


def _careless_first(edit: Callable[[str], str], corrections: list[str]) -> Callable[[Any], dict[str, Any]]:
    """Answer each step as offline, but the SQL step's first answer edited; keep the corrections it got."""
    def compute(received: Any) -> dict[str, Any]:
        answer = live.answer(received)
        if live.tool_of(received) != "record_sql":
            return answer
        sent = live.query_of(received).corrections
        if not sent:
            return copy.deepcopy(answer) | {"sql": edit(answer["sql"])}
        corrections.extend(sent)
        return answer

    return compute


def _build(prompt: str, edit: Callable[[str], str], live_bedrock: Any, analyst: Any, dashboard: Any
           ) -> tuple[Any, list[str]]:
    corrections: list[str] = []
    live_bedrock.default = fake.computed(_careless_first(edit, corrections))
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt=prompt, enqueue=False)
    runner.run(request_id=request.id)
    done = WidgetRequest.objects.get(id=request.id)
    assert done.status == RequestStatus.READY, done.error_message
    return done.widget, corrections


@pytest.mark.django_db
def test_a_window_ored_with_true_goes_back_to_the_model(demo_source, analyst, dashboard, live_bedrock):
    edit = lambda sql: re.sub(WINDOW, lambda m: f"{m.group(0)} OR TRUE", sql)  # noqa: E731
    widget, corrections = _build("claim count last month", edit, live_bedrock, analyst, dashboard)
    assert any(":window_start must bound the rows" in c for c in corrections), corrections
    assert "OR TRUE" not in widget.sql.upper()


@pytest.mark.django_db
def test_a_limit_of_the_models_own_goes_back_to_the_model(demo_source, analyst, dashboard, live_bedrock):
    edit = lambda sql: sql.rstrip().rstrip(";") + "\nLIMIT 2"  # noqa: E731
    widget, corrections = _build("claim count by adjuster in 2025", edit, live_bedrock, analyst, dashboard)
    assert any("Write no LIMIT" in c for c in corrections), corrections
    assert len(widget.result["rows"]) > 2


@pytest.mark.django_db
@pytest.mark.parametrize(("edit", "reason"), [
    (lambda sql: re.sub(r"\s+AND\s+t1\.line\s+IN\s+\('Auto'\)", "", sql), "filter on product line"),
    (lambda sql: sql.replace("'Auto'", "'Home'"), "Use exactly the spec's values"),
    (lambda sql: sql.replace("WHERE", "WHERE b.status <> 'denied' AND", 1), "spec does not have"),
], ids=["dropped", "other_value", "extra_where"])
def test_a_filter_dropped_changed_or_added_goes_back_to_the_model(demo_source, analyst, dashboard, live_bedrock,
                                                                   edit, reason):
    widget, corrections = _build("motor claim count last month", edit, live_bedrock, analyst, dashboard)
    assert any(reason in c for c in corrections), corrections
    assert "IN ('Auto')" in widget.sql and "'Home'" not in widget.sql and "denied" not in widget.sql


@pytest.mark.django_db
@pytest.mark.parametrize(("prompt", "edit", "reason", "kept"), [
    ("total paid last month", lambda sql: sql.replace("SUM(b.paid_amount)", "SUM(b.claimed_amount)"),
     "total_paid is SUM(paid_amount) over claims (its definition)", "SUM(b.paid_amount) AS total_paid"),
    ("claim count by cause last month", lambda sql: sql.replace("b.cause AS cause", "b.status AS cause"),
     "GROUP BY b.status is not one of the widget's groups", "b.cause AS cause"),
    ("top 5 causes by total paid last quarter", lambda sql: sql.replace("total_paid DESC", "total_paid ASC"),
     "The top 5 by total_paid puts the highest first", "ORDER BY total_paid DESC"),
], ids=["other_aggregate", "other_group", "ranking_ascending"])
def test_a_metric_group_or_ranking_order_of_its_own_goes_back_to_the_model(demo_source, analyst, dashboard,
                                                                            live_bedrock, prompt, edit, reason, kept):
    widget, corrections = _build(prompt, edit, live_bedrock, analyst, dashboard)
    assert any(reason in c for c in corrections), corrections
    assert kept in widget.sql and edit(widget.sql) != widget.sql


CHANNEL_JOIN = r"JOIN\s+channels\s+AS\s+t1\s+ON\s+b\.channel_id\s*=\s*t1\.channel_id"


@pytest.mark.django_db
@pytest.mark.parametrize(("edit", "reason"), [
    (lambda sql: re.sub(CHANNEL_JOIN, lambda m: f"{m.group(0)} JOIN policies AS p ON b.customer_id = p.customer_id",
                        sql), "policies is joined, but the widget's spec uses none of its columns"),
    (lambda sql: re.sub(CHANNEL_JOIN, lambda m: f"{m.group(0)} JOIN claims AS c2 ON b.policy_id = c2.policy_id", sql),
     "claims is read twice in one query"),
    (lambda sql: re.sub(CHANNEL_JOIN, "JOIN channels AS t1 ON b.region_id = t1.channel_id", sql),
     "channels is joined to claims ON claims.channel_id = channels.channel_id"),
], ids=["fan_out", "self_join", "wrong_key"])
def test_a_join_the_dictionary_does_not_declare_goes_back_to_the_model(demo_source, analyst, dashboard, live_bedrock,
                                                                       edit, reason):
    widget, corrections = _build("top 3 channels by total paid last month", edit, live_bedrock, analyst, dashboard)
    assert any(reason in c for c in corrections), corrections
    assert re.search(CHANNEL_JOIN, widget.sql) and edit(widget.sql) != widget.sql
    assert "policies" not in widget.sql and "c2" not in widget.sql and "region_id" not in widget.sql
