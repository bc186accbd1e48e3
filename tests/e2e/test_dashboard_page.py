"""The dashboard page around the widgets: a builder that folds away and stays so, pending questions that
can be put away, progress with the step and its time, and Cancel."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_cards import KPI_RESULT, KPI_SPEC
from tests.e2e.test_pages import PASSWORD, add_request, add_widget, log_in
from widgets.models import Dashboard, RequestStatus, WidgetRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]
LAPTOP = {"width": 1366, "height": 768}
QUESTION = {"id": "metric", "text": "Which measure?", "options": ["Claim count", "Total paid"]}


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=owner, name="Claims overview")


def open_board(page: Page, base_url: str, board: Dashboard) -> None:
    page.set_viewport_size(LAPTOP)
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")


def test_the_builder_folds_away_and_stays_folded_after_a_reload(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    page = browser_page
    open_board(page, live_server.url, board)
    toggle = page.get_by_test_id("builder-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    card_top = page.get_by_test_id("widget-card").bounding_box()["y"]  # type: ignore[index]

    toggle.click()
    expect(page.get_by_test_id("prompt-input")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert page.get_by_test_id("widget-card").bounding_box()["y"] < card_top - 100  # type: ignore[index]
    screenshot(page, "folded")

    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_test_id("prompt-input")).to_be_hidden()
    toggle.click()
    expect(page.get_by_test_id("prompt-input")).to_be_focused()
    page.reload()
    expect(page.get_by_test_id("prompt-input")).to_be_visible()


def test_pending_questions_are_dismissed_and_the_first_widget_comes_up(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    for n in range(8):
        add_request(board, prompt=f"how are we doing {n}", status=RequestStatus.NEEDS_CLARIFICATION,
                    questions=[QUESTION])
    page = browser_page
    open_board(page, live_server.url, board)
    cards = page.get_by_test_id("request-card")
    expect(cards).to_have_count(8)
    screenshot(page, "eight-questions")
    low = page.get_by_test_id("widget-card").bounding_box()["y"]  # type: ignore[index]

    first = cards.first
    prompt = first.locator(".request-prompt").inner_text()
    first.get_by_test_id("request-dismiss").click()
    expect(cards).to_have_count(7)
    expect(page.get_by_test_id("widget-status")).to_have_text(f"Question put away: {prompt}")
    expect(cards.first.get_by_test_id("option").first).to_be_focused()  # the next request, not the page top
    while cards.count():
        cards.first.get_by_test_id("request-dismiss").click()
        page.wait_for_timeout(50)
    expect(cards).to_have_count(0)
    assert page.get_by_test_id("widget-card").bounding_box()["y"] < min(low, 500)  # type: ignore[index]
    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(cards).to_have_count(0)
    assert WidgetRequest.objects.filter(dismissed=True).count() == 8
    screenshot(page, "questions-dismissed")
