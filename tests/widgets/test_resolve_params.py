"""The resolver and the window's bound values: the result cache is keyed on them as well as the SQL."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pytest
from django.core.cache import cache
from django.utils import timezone

from sql_gen.services.binding import OPEN_END, OPEN_START
from widgets.models import DataOrigin, RequestStatus, Widget, WidgetRequest
from widgets.services import resolve
from widgets.services.resolve import widget_refresh

pytestmark = pytest.mark.django_db

WINDOWED = ("SELECT COUNT(*) AS claim_count FROM claims WHERE filed_date >= :window_start "
            "AND filed_date < :window_end")
Q1 = {"window_start": date(2025, 1, 1), "window_end": date(2025, 4, 1)}
Q2 = {"window_start": date(2025, 4, 1), "window_end": date(2025, 7, 1)}


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def make_widget(dashboard: Any, source: Any, **fields: Any) -> Widget:
    request = WidgetRequest.objects.create(dashboard=dashboard, user=dashboard.owner, prompt="claims",
                                           status=RequestStatus.READY)
    values = {"kind": "kpi", "title": "Claims", "spec": {"kind": "kpi"}, "sql": WINDOWED, "result": {},
              "result_at": timezone.now() - timedelta(hours=1), "cache_ttl_s": 300, "cost_usd": Decimal("0"),
              "data_source": source} | fields
    return Widget.objects.create(dashboard=dashboard, request=request, **values)


def counted(warehouse: Path, window_start: date, window_end: date) -> int:
    """Count the claims filed in the window straight from the warehouse file, outside the box."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("SELECT COUNT(*) FROM claims WHERE filed_date >= ? AND filed_date < ?",
                          [window_start, window_end]).fetchone()
    assert row is not None
    return int(row[0])


def test_the_cache_key_differs_by_the_bound_values(demo_source: Any) -> None:
    key = resolve._result_key
    assert key(demo_source, WINDOWED, Q1) != key(demo_source, WINDOWED, Q2)
    assert key(demo_source, WINDOWED, Q1) != key(demo_source, WINDOWED)
    assert key(demo_source, WINDOWED, Q1) == key(demo_source, WINDOWED, dict(reversed(list(Q1.items()))))


def test_an_open_bound_and_its_sentinel_date_share_a_key(demo_source: Any) -> None:
    open_ = {"window_start": None, "window_end": None}
    assert resolve._result_key(demo_source, WINDOWED, open_) == resolve._result_key(
        demo_source, WINDOWED, {"window_start": OPEN_START, "window_end": OPEN_END})


def test_a_statement_without_values_keeps_the_key_it_always_had(demo_source: Any) -> None:
    sql = "SELECT COUNT(*) FROM claims"
    digest = hashlib.sha256(sql.encode()).hexdigest()
    assert resolve._result_key(demo_source, sql) == f"widget-result:v1:{demo_source.pk}:{digest}"
    assert resolve._result_key(demo_source, sql, {}) == resolve._result_key(demo_source, sql)


def test_the_same_sql_over_another_window_is_run_not_served_from_the_cache(
        demo_source: Any, dashboard: Any, warehouse: Path) -> None:
    widget = make_widget(dashboard, demo_source)
    now = timezone.now()
    first, _, origin = resolve._cached_or_run(demo_source, WINDOWED, widget, now, params=Q1)
    assert origin == DataOrigin.LIVE and first["rows"] == [[counted(warehouse, **Q1)]]
    with mock.patch("widgets.services.resolve.sql_execute") as execute:
        again, _, origin = resolve._cached_or_run(demo_source, WINDOWED, widget, now, params=Q1)
    execute.assert_not_called()
    assert (again, origin) == (first, DataOrigin.CACHED)
    second, _, origin = resolve._cached_or_run(demo_source, WINDOWED, widget, now, params=Q2)
    assert origin == DataOrigin.LIVE and second["rows"] == [[counted(warehouse, **Q2)]]
    assert counted(warehouse, **Q1) != counted(warehouse, **Q2)


def _quarter_spec() -> dict[str, Any]:
    return {"kind": "kpi", "title": "Claims", "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
            "time_window": {"kind": "previous", "unit": "quarter"}}


def test_a_refresh_binds_the_window_the_spec_says_for_today(
        demo_source: Any, dashboard: Any, warehouse: Path, settings: Any) -> None:
    settings.BUILDER_TODAY = "2025-05-20"  # the previous quarter is Q1 2025
    widget = make_widget(dashboard, demo_source, spec=_quarter_spec())
    assert widget_refresh(widget_id=widget.id) == "live"
    widget.refresh_from_db()
    assert widget.result["rows"] == [[counted(warehouse, **Q1)]]
    assert widget.result["window"] == {"start": "2025-01-01", "end": "2025-04-01"}


def test_the_refreshed_window_moves_with_today(demo_source: Any, dashboard: Any, warehouse: Path, settings: Any) -> None:
    widget = make_widget(dashboard, demo_source, spec=_quarter_spec())
    settings.BUILDER_TODAY = "2025-08-02"  # now the previous quarter is Q2 2025
    assert widget_refresh(widget_id=widget.id) == "live"
    widget.refresh_from_db()
    assert widget.result["rows"] == [[counted(warehouse, **Q2)]]
    assert counted(warehouse, **Q1) != counted(warehouse, **Q2)
