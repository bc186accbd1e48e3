"""Refresh all: every widget that can be refreshed runs its queries again, stale or not, bypassing the cache."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.widgets.test_resolve_params import Q1, _quarter_spec, counted, make_widget
from widgets.models import Dashboard, DataOrigin, Widget
from widgets.services.resolve import widget_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_refresh_all_queues_every_widget_with_data_to_refresh_fresh_or_not(
        client_for, analyst, dashboard, demo_source, sent, django_capture_on_commit_callbacks):
    fresh = make_widget(dashboard, demo_source, result_at=timezone.now())
    stale = make_widget(dashboard, demo_source)
    sample = make_widget(dashboard, demo_source)
    Widget.objects.filter(id=sample.id).update(source=DataOrigin.SAMPLE)  # sample data stays sample data
    make_widget(dashboard, demo_source, sql="")  # nothing to run
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(analyst).post(f"/api/dashboards/{dashboard.id}/refresh/")
    assert response.status_code == 202
    assert response.json() == {"queued": [fresh.id, stale.id]}
    assert sorted(sent) == sorted([("refresh_widget", (fresh.id, True)), ("refresh_widget", (stale.id, True))])


def test_a_widget_already_being_refreshed_is_not_queued_twice(
        client_for, analyst, dashboard, demo_source, sent, django_capture_on_commit_callbacks):
    widget = make_widget(dashboard, demo_source)
    client = client_for(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/dashboards/{dashboard.id}/refresh/")
        again = client.post(f"/api/dashboards/{dashboard.id}/refresh/")
    assert again.json() == {"queued": [widget.id]}
    assert sent == [("refresh_widget", (widget.id, True))]


def test_only_the_owner_refreshes_all_a_viewer_and_staff_are_refused(
        client_for, other_analyst, django_user_model, dashboard, demo_source, sent):
    """Refresh all runs the queries again and rewrites the owner's stored results: a change, so a shared
    dashboard's viewers and staff (who read it) get 403, as for one widget's refresh; nothing is queued."""
    make_widget(dashboard, demo_source)
    url = f"/api/dashboards/{dashboard.id}/refresh/"
    assert client_for(other_analyst).post(url).status_code == 404
    Dashboard.objects.filter(id=dashboard.id).update(is_private=False)
    refused = client_for(other_analyst).post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    staff = django_user_model.objects.create_user("sam", password="pw-sam-123456", is_staff=True)
    assert client_for(staff).post(url).status_code == 403
    assert sent == []
    assert client_for(dashboard.owner).post(url).status_code == 202


def test_a_forced_refresh_runs_a_fresh_widget_again_past_the_result_cache(
        demo_source: Any, dashboard: Any, warehouse: Path, settings: Any) -> None:
    settings.BUILDER_TODAY = "2025-05-20"
    widget = make_widget(dashboard, demo_source, spec=_quarter_spec(), result={"columns": ["x"], "rows": [[1]]},
                         result_at=timezone.now() - timedelta(seconds=5))
    assert widget_refresh(widget_id=widget.id) == widget.source  # fresh: left alone
    assert Widget.objects.get(id=widget.id).result["rows"] == [[1]]
    assert widget_refresh(widget_id=widget.id, force=True) == "live"
    widget.refresh_from_db()
    assert widget.result["rows"] == [[counted(warehouse, **Q1)]]
    assert widget.refreshed_at is not None


def test_a_forced_refresh_does_not_read_the_cache(demo_source: Any, dashboard: Any, warehouse: Path, settings: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings.BUILDER_TODAY = "2025-05-20"
    widget = make_widget(dashboard, demo_source, spec=_quarter_spec(), result_at=timezone.now() - timedelta(hours=1))
    assert widget_refresh(widget_id=widget.id) == "live"
    monkeypatch.setattr(cache, "get", lambda *a, **k: pytest.fail("the cache was read"))
    Widget.objects.filter(id=widget.id).update(result_at=timezone.now())
    assert widget_refresh(widget_id=widget.id, force=True) == "live"
