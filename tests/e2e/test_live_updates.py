"""Cached widgets update on the open page when their background refresh lands, and "Refresh all" runs every
widget again: no reload, the open disclosures kept. Real refresh jobs, on the embedded broker's worker."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.test_pages import PASSWORD, add_widget, log_in
from tests.widgets.test_resolve_params import Q1, WINDOWED, counted
from widgets.models import Dashboard, Widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]
SPEC = {"kind": "kpi", "title": "Claims filed last quarter", "metric": {"key": "claim_count", "name": "Claims",
        "unit": "count"}, "dimensions": [], "filters": [], "time_window": {"kind": "previous", "unit": "quarter"}}
OLD = {"columns": ["claim_count"], "rows": [[1]], "truncated": False,
       "window": {"start": "2025-01-01", "end": "2025-04-01"}}


@pytest.fixture
def board(django_user_model: Any, demo_source: Any, settings: Any) -> Dashboard:
    settings.BUILDER_TODAY = "2025-05-20"  # the previous quarter is Q1 2025
    cache.clear()
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=owner, name="Claims overview")


def add_kpi(board: Dashboard, source: Any, **fields: Any) -> Widget:
    widget = add_widget(board, spec=SPEC, result=OLD, data_source=source, **fields)
    Widget.objects.filter(id=widget.id).update(sql=WINDOWED)
    return widget


def open_board(page: Page, base_url: str, board: Dashboard) -> None:
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    page.evaluate("() => { window.__samePage = true; }")


def test_a_cached_widget_updates_in_place_when_its_background_refresh_lands(
    browser_page: Page, live_server: Any, worker: Any, board: Dashboard, demo_source: Any, warehouse: Path,
    screenshot: Callable[[Page, str], Path],
) -> None:
    add_kpi(board, demo_source, result_at=timezone.now() - timedelta(hours=2))
    page = browser_page
    open_board(page, live_server.url, board)
    card = page.get_by_test_id("widget-card")
    value = card.get_by_test_id("kpi-value")
    expect(card.get_by_test_id("source-badge")).to_contain_text("Cached")
    card.locator("details.sql summary").click()  # opened before the refresh lands: still open after
    screenshot(page, "cached")

    expect(value).to_have_attribute("data-value", str(counted(warehouse, **Q1)), timeout=20_000)
    expect(card.get_by_test_id("source-badge")).to_contain_text("Live")
    expect(card.locator("details.sql")).to_have_attribute("open", "")
    assert page.evaluate("() => window.__samePage === true")  # no reload
    screenshot(page, "refreshed")


def test_refresh_all_runs_every_widget_again_and_says_when_it_is_done(
    browser_page: Page, live_server: Any, worker: Any, board: Dashboard, demo_source: Any, warehouse: Path,
) -> None:
    add_kpi(board, demo_source, result_at=timezone.now())
    page = browser_page
    open_board(page, live_server.url, board)
    value = page.get_by_test_id("kpi-value")
    expect(value).to_have_attribute("data-value", "1")
    page.get_by_test_id("refresh-all").click()
    expect(value).to_have_attribute("data-value", str(counted(warehouse, **Q1)), timeout=20_000)
    expect(page.get_by_test_id("widget-status")).to_have_text("All widgets refreshed.")
    expect(page.get_by_test_id("refresh-all")).to_be_enabled()
    assert page.evaluate("() => window.__samePage === true")
