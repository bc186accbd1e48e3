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

PROMPT = "top 1 region by total paid in March 2026 vs the month before"  # February's top region was another


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


def test_each_ranked_group_has_its_earlier_value_on_build_and_on_refresh(demo_source, dashboard):
    widget = _build(dashboard, PROMPT)
    assert widget.spec["ranking"] == {"direction": "top", "n": 1} and widget.spec["compare"]
    assert EARLIER in widget.companions and "LIMIT" not in widget.companions[EARLIER]["sql"].upper()
    earlier = _earlier_by_region(widget, demo_source)
    own = sorted(earlier, key=lambda region: -earlier[region])[:1]  # the earlier month's own top region
    assert set(own) != {row[0] for row in widget.result["rows"]}, "the case needs a ranking that changed"
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
    widget = _build(dashboard, PROMPT)
    Widget.objects.filter(id=widget.id).update(companions={})
    widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    assert EARLIER in widget.companions
    earlier = _earlier_by_region(widget, demo_source)
    assert [d["previous"] for d in widget.result["deltas"]] == [earlier.get(d["group"][0]) for d in widget.result["deltas"]]
