"""The resolver: stored data at once, background refresh through the cache, and an honest source badge."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from sql_gen.models import DictionaryTable
from sql_gen.services.execute import QueryFailed
from widgets.models import DataOrigin, RequestStatus, Widget, WidgetRequest
from widgets.serializers import widget_out
from widgets.services.resolve import result_shape, widget_badge, widget_refresh, widgets_refresh_stale

pytestmark = pytest.mark.django_db

COUNT_SQL = "SELECT COUNT(*) AS claim_count FROM claims"
OLD_RESULT = {"columns": ["claim_count"], "rows": [[42]], "truncated": False}


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def make_widget(dashboard: Any, *, age_s: int = 0, ttl_s: int = 300, **fields: Any) -> Widget:
    request = WidgetRequest.objects.create(
        dashboard=dashboard, user=dashboard.owner, prompt="claims", status=RequestStatus.READY
    )
    values = {
        "kind": "kpi", "title": "Claims", "spec": {"kind": "kpi"}, "sql": COUNT_SQL, "result": OLD_RESULT,
        "result_at": timezone.now() - timedelta(seconds=age_s), "cache_ttl_s": ttl_s, "cost_usd": Decimal("0"),
    } | fields
    return Widget.objects.create(dashboard=dashboard, request=request, **values)


def test_a_fresh_live_widget_has_a_live_badge_and_is_not_refreshed(dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=10)
    badge = widget_badge(widget=widget, now=timezone.now())
    assert (badge.source, badge.label, badge.stale) == ("live", "Live", False)
    assert widgets_refresh_stale(widgets=[widget], now=timezone.now()) == []


def test_a_live_result_older_than_its_ttl_is_shown_as_cached_with_its_age(dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, ttl_s=300)
    badge = widget_badge(widget=widget, now=timezone.now())
    assert (badge.source, badge.label, badge.stale) == ("cached", "Cached", True)
    assert 1199 <= badge.age_s <= 1201
    assert "refreshing in the background" in badge.reason


def test_sample_data_is_marked_not_real_and_never_refreshed(dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=99_999, source=DataOrigin.SAMPLE)
    badge = widget_badge(widget=widget, now=timezone.now())
    assert (badge.source, badge.label, badge.stale) == ("sample", "Sample data", False)
    assert "not read from the warehouse" in badge.reason
    with mock.patch("widgets.services.resolve.sql_execute") as execute:
        assert widget_refresh(widget_id=widget.id) == "sample"
    execute.assert_not_called()


def test_a_refresh_runs_the_query_and_stores_a_live_result(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    assert widget_refresh(widget_id=widget.id) == "live"
    widget.refresh_from_db()
    assert widget.result["columns"] == ["claim_count"] and widget.result["rows"][0][0] > 1000
    assert (widget.source, widget.source_reason) == ("live", "")
    assert (timezone.now() - widget.result_at).total_seconds() < 60


def test_a_second_widget_with_the_same_query_reuses_the_cached_result(demo_source: Any, dashboard: Any) -> None:
    first = make_widget(dashboard, age_s=1200, data_source=demo_source)
    second = make_widget(dashboard, age_s=1200, data_source=demo_source)
    widget_refresh(widget_id=first.id)
    with mock.patch("widgets.services.resolve.sql_execute") as execute:
        assert widget_refresh(widget_id=second.id) == "cached"
    execute.assert_not_called()
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.result == first.result and second.result_at == first.result_at
    assert widget_badge(widget=second, now=timezone.now()).label == "Cached"


def test_a_cached_result_older_than_this_widgets_ttl_is_not_reused(demo_source: Any, dashboard: Any) -> None:
    hourly = make_widget(dashboard, age_s=99_999, ttl_s=3600, data_source=demo_source)
    minutely = make_widget(dashboard, age_s=99_999, ttl_s=60, data_source=demo_source)
    widget_refresh(widget_id=hourly.id)
    later = timezone.now() + timedelta(minutes=5)  # the hourly result is still cached, but 5 minutes old
    assert widget_refresh(widget_id=minutely.id, now=later) == "live"
    minutely.refresh_from_db()
    assert minutely.result_at == later and not widget_badge(widget=minutely, now=later).stale


def test_running_the_refresh_twice_queries_once(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    widget_refresh(widget_id=widget.id)
    cache.clear()  # not the cache: the widget itself is fresh now
    with mock.patch("widgets.services.resolve.sql_execute") as execute:
        assert widget_refresh(widget_id=widget.id) == "live"
    execute.assert_not_called()


def test_a_failed_query_keeps_the_last_good_data_and_says_why(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    failure = QueryFailed("The query ran past the 10s time limit and was stopped.")
    with mock.patch("widgets.services.resolve.sql_execute", side_effect=failure):
        assert widget_refresh(widget_id=widget.id) == "query_failed"
    widget.refresh_from_db()
    assert widget.result == OLD_RESULT
    assert widget.source_reason.startswith("The query ran past the 10s time limit")
    assert "Showing the last good data" in widget.source_reason
    out = widget_out(widget)
    assert (out["source"], out["source_label"], out["result"]) == ("query_failed", "Query failed", OLD_RESULT)


def test_an_unexpected_error_keeps_the_last_good_data_and_names_the_error(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    with mock.patch("widgets.services.resolve.sql_execute", side_effect=TypeError("driver bug")):
        assert widget_refresh(widget_id=widget.id) == "query_failed"
    widget.refresh_from_db()
    assert widget.result == OLD_RESULT
    assert "unexpected error (TypeError)" in widget.source_reason and "driver bug" not in widget.source_reason


def test_a_failed_widget_is_retried_only_after_its_ttl(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, ttl_s=60, data_source=demo_source, source=DataOrigin.QUERY_FAILED,
                         refreshed_at=timezone.now())
    now = timezone.now()
    assert widget_badge(widget=widget, now=now).stale is False
    assert widget_badge(widget=widget, now=now + timedelta(seconds=61)).stale is True


def test_sql_reading_a_table_since_removed_from_the_dictionary_is_rejected(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    DictionaryTable.objects.filter(source=demo_source, name="claims").delete()
    with mock.patch("widgets.services.resolve.sql_execute") as execute:
        assert widget_refresh(widget_id=widget.id) == "sql_rejected"
    execute.assert_not_called()
    widget.refresh_from_db()
    assert "claims is not allowed" in widget.source_reason and widget.result == OLD_RESULT


def test_a_refresh_does_not_overwrite_a_newer_result_stored_meanwhile(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    newer = {"columns": ["claim_count"], "rows": [[7]], "truncated": False}

    def land_a_newer_result(**_: Any) -> Any:
        Widget.objects.filter(id=widget.id).update(result=newer, result_at=timezone.now())
        return mock.Mock(columns=["claim_count"], rows=[[1]], truncated=False)

    with mock.patch("widgets.services.resolve.sql_execute", side_effect=land_a_newer_result):
        widget_refresh(widget_id=widget.id)
    widget.refresh_from_db()
    assert widget.result == newer


CUSTOM_SPEC = {"kind": "custom", "title": "Claims", "metric": {"key": "claim_count", "name": "Claim count",
                                                                "unit": "count"},
               "dimensions": [], "filters": [], "time_window": {"kind": "all"}, "grain": None, "labels": {}}


def test_a_custom_widgets_refresh_that_still_fits_its_component_is_stored(demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source, kind="custom", spec=CUSTOM_SPEC)
    assert widget_refresh(widget_id=widget.id) == "live"
    widget.refresh_from_db()
    assert widget.result["rows"][0][0] > 1000 and widget_out(widget)["props_error"] is None


def test_a_custom_widgets_refresh_that_no_longer_fits_keeps_the_last_good_data(
        demo_source: Any, dashboard: Any) -> None:
    widget = make_widget(dashboard, age_s=1200, data_source=demo_source, kind="custom", spec=CUSTOM_SPEC)
    text_now = mock.Mock(columns=["claim_count"], rows=[["42 claims"]], truncated=False)  # say, a column retyped
    with mock.patch("widgets.services.resolve.sql_execute", return_value=text_now):
        assert widget_refresh(widget_id=widget.id) == "query_failed"
    widget.refresh_from_db()
    assert widget.result == OLD_RESULT
    assert widget.source_reason.startswith("The new result does not fit this widget's component: Row 1's value")
    assert "Showing the last good data" in widget.source_reason
    assert widget_out(widget)["props"]["rows"] == [{"value": 42}]


def test_a_kpi_result_is_shaped_to_one_row() -> None:
    shaped = result_shape(kind="kpi", result={"columns": ["n"], "rows": [[1], [2]], "truncated": False})
    assert shaped == {"columns": ["n"], "rows": [[1]], "truncated": True}
    assert result_shape(kind="table", result=OLD_RESULT) == OLD_RESULT


def test_the_dashboard_api_answers_with_stored_data_and_queues_one_refresh(
    analyst: Any, dashboard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    widget = make_widget(dashboard, age_s=1200)
    client = APIClient()
    client.force_login(analyst)
    with mock.patch("widgets.tasks.refresh_widget.send") as send, \
            mock.patch("widgets.services.resolve.sql_execute") as execute:
        with django_capture_on_commit_callbacks(execute=True):
            first = client.get(f"/api/dashboards/{dashboard.id}/").json()
            client.get(f"/api/dashboards/{dashboard.id}/")
    execute.assert_not_called()
    send.assert_called_once_with(widget.id)
    shown = first["widgets"][0]
    assert (shown["source"], shown["result"], shown["stale"]) == ("cached", OLD_RESULT, True)
    assert 1199 <= shown["age_s"] <= 1201


def test_the_refresh_actor_runs_the_resolver(demo_source: Any, dashboard: Any) -> None:
    from widgets.tasks import refresh_widget

    widget = make_widget(dashboard, age_s=1200, data_source=demo_source)
    refresh_widget.fn(widget.id)
    widget.refresh_from_db()
    assert widget.source == "live" and widget.result["rows"][0][0] > 1000
