"""Cards after the dictionary changed under their widgets: one whose filter value is gone says it is out of date,
with what changed, over its last good data; one whose computed dimension was edited says its query was written
again. Widgets are built by the real pipeline (the offline model, the demo warehouse), then refreshed."""
from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from sql_gen.models import ComputedDimension, DictionaryColumn, DimensionValue
from tests.e2e.test_dashboard_window import build, log_in
from tests.e2e.test_pages import PASSWORD
from widgets.models import Dashboard
from widgets.services.resolve import widget_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]
BANDS = ("CASE WHEN claimed_amount < 10000 THEN 'Small' WHEN claimed_amount < 25000 THEN 'Medium' "
         "WHEN claimed_amount < 100000 THEN 'Large' ELSE 'Very large' END")


def test_cards_say_the_dictionary_changed_under_them(browser_page: Page, live_server: Any, django_user_model: Any,
                                                     demo_source: Any, settings: Any, screenshot: Any) -> None:
    settings.BUILDER_TODAY = "2026-11-18"
    cache.clear()
    owner = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    board = Dashboard.objects.create(owner=owner, name="Claims overview")
    motor = build(board, "motor claim count last month")
    bands = build(board, "claim count by claim size last month")
    DimensionValue.objects.filter(column=DictionaryColumn.objects.get(table__name="products", name="line"),
                                  value="Auto").update(value="Private car")
    ComputedDimension.objects.filter(name="claim_size").update(expression=BANDS)
    for widget in (motor, bands):
        widget_refresh(widget_id=widget.id, force=True)

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server.url, owner.username)
    page.goto(f"{live_server.url}/dashboards/{board.id}/")
    cards = page.get_by_test_id("widget-card")
    expect(cards).to_have_count(2)
    gone = cards.filter(has_text="Auto · last month")
    expect(gone.get_by_test_id("source-badge")).to_contain_text("Out of date")
    expect(gone.get_by_test_id("source-reason")).to_contain_text("Auto is no longer a value of product line")
    expect(gone.get_by_test_id("source-reason")).to_contain_text("Showing the last good data")
    edited = cards.filter(has_text="by claim size")
    expect(edited.get_by_test_id("source-badge")).to_contain_text("Live")
    expect(edited.get_by_test_id("note-dictionary")).to_contain_text("Its query was written again")
    screenshot(page, "dictionary-changed")
