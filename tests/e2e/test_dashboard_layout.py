"""The dashboard's layout in a real browser: drag a card to reorder it and its corner to resize it, do the
same from the keyboard, then reload and see the same layout."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_cards import BAR_RESULT, BAR_SPEC, KPI_RESULT, KPI_SPEC, STATUS_RESULT, STATUS_SPEC
from tests.e2e.test_pages import PASSWORD, add_widget, log_in
from widgets.models import Dashboard, Widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    board = Dashboard.objects.create(owner=owner, name="Claims overview")
    for spec, result in ((KPI_SPEC, KPI_RESULT), (BAR_SPEC, BAR_RESULT), (STATUS_SPEC, STATUS_RESULT)):
        add_widget(board, spec=spec, result=result)
    return board


def open_board(page: Page, base_url: str, board: Dashboard) -> None:
    page.set_viewport_size(LAPTOP)
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")


def shown_order(page: Page) -> list[str]:
    return page.locator("[data-testid=widget-card]").evaluate_all("cards => cards.map(c => c.dataset.kind)")


def saved_layout(board: Dashboard) -> list[tuple[str, int | None, str]]:
    return [(w.kind, w.width, w.height) for w in Widget.objects.filter(dashboard=board)]


def drag(page: Page, handle: Any, onto: Any, *, x: float, y: float) -> None:
    """Drag ``handle`` by the mouse, in steps as a hand would, to (x, y) within ``onto`` (both in view)."""
    start, end = handle.bounding_box(), onto.bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 30, steps=4)
    page.mouse.move(end["x"] + x, end["y"] + y, steps=6)
    page.mouse.up()


def test_dragging_reorders_and_resizes_and_a_reload_keeps_the_layout(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    page = browser_page
    open_board(page, live_server.url, board)
    assert shown_order(page) == ["kpi", "chart", "table"]
    screenshot(page, "before")
    status = page.get_by_test_id("widget-status")

    chart = page.locator("[data-testid=widget-card][data-kind=chart]")
    kpi = page.locator("[data-testid=widget-card][data-kind=kpi]")
    drag(page, chart.get_by_test_id("drag-handle"), kpi, x=10, y=60)  # onto the KPI's left half: before it
    expect(status).to_have_text("Moved “Claims by region” to place 1 of 3.")
    assert shown_order(page) == ["chart", "kpi", "table"]

    kpi.get_by_test_id("resize-grip").evaluate("grip => grip.scrollIntoView({block: 'center'})")
    grip = kpi.get_by_test_id("resize-grip").bounding_box()
    track = kpi.bounding_box()
    assert grip and track
    page.mouse.move(grip["x"] + 5, grip["y"] + 5)
    page.mouse.down()
    page.mouse.move(grip["x"] + track["width"] * 0.5, grip["y"] + 60, steps=5)
    page.mouse.move(grip["x"] + track["width"] + 10, grip["y"] + 170, steps=5)  # a track to the right, down
    page.mouse.up()
    expect(status).to_have_text("“Total paid this quarter” is now 2 columns wide and Large.")
    expect(kpi).to_have_attribute("data-width", "2")
    assert kpi.bounding_box()["width"] > track["width"] * 1.8  # type: ignore[index]
    screenshot(page, "after-drag")

    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    assert shown_order(page) == ["chart", "kpi", "table"]
    expect(kpi).to_have_attribute("data-width", "2")
    expect(kpi).to_have_attribute("data-height", "L")
    expect(kpi.get_by_test_id("layout-width")).to_have_value("2")
    assert saved_layout(board) == [("chart", 2, "M"), ("kpi", 2, "L"), ("table", 1, "M")]
    screenshot(page, "reloaded")


def test_the_keyboard_moves_and_resizes_a_card_and_the_live_region_says_so(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    page = browser_page
    open_board(page, live_server.url, board)
    status = page.get_by_test_id("widget-status")
    kpi = page.locator("[data-testid=widget-card][data-kind=kpi]")

    kpi.get_by_test_id("move-later").focus()
    page.keyboard.press("Enter")
    expect(status).to_have_text("Moved “Total paid this quarter” to place 2 of 3.")
    assert shown_order(page) == ["chart", "kpi", "table"]
    expect(kpi.get_by_test_id("move-later")).to_be_focused()  # the focus stays on the button pressed
    page.keyboard.press("Enter")
    expect(status).to_have_text("Moved “Total paid this quarter” to place 3 of 3.")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Moved “Total paid this quarter” to place 2 of 3.")

    kpi.get_by_test_id("layout-width").select_option("3")
    expect(status).to_have_text("“Total paid this quarter” is now 3 columns wide and Medium.")
    kpi.get_by_test_id("layout-height").select_option("S")
    expect(status).to_have_text("“Total paid this quarter” is now 3 columns wide and Small.")
    grid_width = page.get_by_test_id("widget-grid").bounding_box()["width"]  # type: ignore[index]
    assert kpi.bounding_box()["width"] == pytest.approx(grid_width, abs=2)  # type: ignore[index]
    screenshot(page, "keyboard")

    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    assert shown_order(page) == ["chart", "kpi", "table"]
    assert saved_layout(board)[1] == ("kpi", 3, "S")


def test_a_viewer_of_a_shared_dashboard_sees_the_layout_without_its_controls(
    browser_page: Page, live_server: Any, board: Dashboard, django_user_model: Any
) -> None:
    Dashboard.objects.filter(id=board.id).update(is_private=False)
    Widget.objects.filter(dashboard=board, kind="kpi").update(width=3, position=0)
    django_user_model.objects.create_user(username="finn", password=PASSWORD)
    page = browser_page
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server.url, "finn")
    page.goto(f"{live_server.url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(page.locator("[data-testid=widget-card][data-kind=kpi]")).to_have_attribute("data-width", "3")
    expect(page.get_by_test_id("drag-handle")).to_have_count(0)
    expect(page.get_by_test_id("move-later")).to_have_count(0)
