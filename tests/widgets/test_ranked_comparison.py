"""A ranking compared with an earlier window, end to end on the demo warehouse and the offline pipeline:
every group ranked now carries its own earlier value (the ``earlier`` companion), on build and on refresh."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sql_gen.services.execute import sql_execute
from widgets.models import Widget, WidgetRequest
from widgets.services import runner
from widgets.services.companions import EARLIER
from widgets.services.requests import widget_request_create
from widgets.services.resolve import widget_refresh

pytestmark = pytest.mark.django_db

PROMPT = "top 1 region by total paid in {month} vs the month before"


def _build(dashboard: Any, prompt: str) -> Widget:
    created = widget_request_create(user=dashboard.owner, dashboard=dashboard, prompt=prompt, enqueue=False)
    status = runner.run(request_id=created.id)
    assert status == "ready", WidgetRequest.objects.get(id=created.id).error_message
    return Widget.objects.get(request_id=created.id)


def _earlier_by_region(widget: Widget, source: Any) -> dict[str, Any]:
    """Every region's value in the earlier window, from the unranked statement bound to that window."""
    window = widget.result["compare"]["window"]
    ran = sql_execute(source=source, sql=widget.companions[EARLIER]["sql"],
                      params={"window_start": dt.date.fromisoformat(window["start"]),
                              "window_end": dt.date.fromisoformat(window["end"])})
    return {row[0]: row[1] for row in ran.rows}


def _months_back(n: int) -> list[str]:
    """The names of the n whole months before the current one ("March 2026"), latest first: the demo
    warehouse is generated up to today, so which months' rankings differ depends on the day the tests run."""
    first = dt.date.today().replace(day=1)
    out = []
    for _ in range(n):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first.strftime("%B %Y"))
    return out


def _ranking_that_changed(dashboard: Any, source: Any) -> tuple[Widget, dict[str, Any]]:
    """Build the ranking for recent months until one whose top region was not the month before's top."""
    for month in _months_back(12):
        widget = _build(dashboard, PROMPT.format(month=month))
        earlier = _earlier_by_region(widget, source)
        own = sorted(earlier, key=lambda region: -earlier[region])[:1]  # the earlier month's own top region
        if set(own) != {row[0] for row in widget.result["rows"]}:
            return widget, earlier
    raise AssertionError("no month of the last 12 has a top region other than the month before's")


def test_each_ranked_group_has_its_earlier_value_on_build_and_on_refresh(demo_source, dashboard):
    widget, earlier = _ranking_that_changed(dashboard, demo_source)
    assert widget.spec["ranking"] == {"direction": "top", "n": 1} and widget.spec["compare"]
    assert EARLIER in widget.companions and "LIMIT" not in widget.companions[EARLIER]["sql"].upper()
    for fresh in (False, True):
        if fresh:
            widget_refresh(widget_id=widget.id, force=True)
            widget.refresh_from_db()
        ranked = [row[0] for row in widget.result["rows"]]
        assert len(ranked) == 1
        assert [d["group"][0] for d in widget.result["deltas"]] == ranked
        assert [d["previous"] for d in widget.result["deltas"]] == [earlier.get(r) for r in ranked]
        assert sorted(row[0] for row in widget.result["compare"]["rows"]) == sorted(r for r in ranked if r in earlier)


def test_a_widget_stored_without_it_gets_it_on_its_next_refresh(demo_source, dashboard):
    widget = _build(dashboard, PROMPT.format(month=_months_back(1)[0]))
    Widget.objects.filter(id=widget.id).update(companions={})
    widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    assert EARLIER in widget.companions
    earlier = _earlier_by_region(widget, demo_source)
    assert [d["previous"] for d in widget.result["deltas"]] == [earlier.get(d["group"][0]) for d in widget.result["deltas"]]
