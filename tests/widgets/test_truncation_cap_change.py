"""Honest truncation when the source's row cap changes after a widget was built."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sql_gen.services.safety import sql_check
from tests.conftest import TEST_WAREHOUSE_CLAIMS
from widgets.models import DataOrigin, Widget
from widgets.services.resolve import widget_refresh

pytestmark = pytest.mark.django_db


def test_a_widget_keeps_its_sql_without_the_checkers_limit(demo_source, analyst, dashboard):
    from widgets.services import runner
    from widgets.services.requests import widget_request_create

    demo_source.row_cap = 3
    demo_source.save()
    request = widget_request_create(user=analyst, dashboard=dashboard, prompt="claim count by region last 90 days",
                                    enqueue=False)
    runner.run(request_id=request.id)
    request.refresh_from_db()
    widget = request.widget
    assert "LIMIT 4" not in widget.sql and widget.result["truncated"] is True and len(widget.result["rows"]) == 3


def test_a_refresh_after_the_row_cap_was_raised_still_reports_truncation(demo_source, dashboard, analyst):
    """Claim 5: the checked statement is capped at row_cap + 1 so the executor can say `truncated`.
    That limit is stored with the widget's SQL; when an admin raises the source's row cap, the refresh's
    re-check keeps it as if the model had written it ("a lower LIMIT stays"), the executor sees fewer
    rows than the new cap, and the widget shows row_cap_old + 1 rows marked complete."""
    demo_source.row_cap = 3
    demo_source.save()
    checked = sql_check(sql="SELECT claim_id FROM claims ORDER BY claim_id", dialect="duckdb",
                        allowed_tables=["claims"], row_cap=demo_source.row_cap)
    assert checked.sql.endswith("LIMIT 4") and "LIMIT" not in checked.uncapped
    sql = checked.uncapped  # what the pipeline stores on the widget
    old = timezone.now() - dt.timedelta(hours=1)
    from widgets.models import WidgetRequest

    request = WidgetRequest.objects.create(dashboard=dashboard, user=analyst, prompt="claims", status="ready")
    widget = Widget.objects.create(request=request, dashboard=dashboard, kind="table", title="Claims", spec={}, sql=sql,
                                   data_source=demo_source, result={}, result_at=old, refreshed_at=old,
                                   source=DataOrigin.LIVE)
    demo_source.row_cap = 100  # the admin raises the cap
    demo_source.save()
    widget_refresh(widget_id=widget.id)
    widget.refresh_from_db()
    rows, truncated = len(widget.result["rows"]), widget.result["truncated"]
    assert rows == 100 or truncated, f"{rows} of {TEST_WAREHOUSE_CLAIMS} rows shown, truncated={truncated}"
