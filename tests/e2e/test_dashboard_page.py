"""The dashboard page around the widgets: a builder that folds away and stays so, pending questions that
can be put away, progress with the step and its time, and Cancel."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.test_cards import KPI_RESULT, KPI_SPEC
from tests.e2e.test_pages import PASSWORD, add_request, add_widget, log_in
from widgets.models import Dashboard, RequestStatus, StepName, StepState, WidgetRequest, WidgetStep

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


def test_many_waiting_requests_are_dismissed_at_once(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    for n in range(12):
        add_request(board, prompt=f"how are we doing {n}", status=RequestStatus.NEEDS_CLARIFICATION,
                    questions=[QUESTION])
    add_request(board, prompt="total paid last week", status=RequestStatus.FAILED, error_code="llm_unavailable",
                error_message="The model is not answering.")
    page = browser_page
    open_board(page, live_server.url, board)
    cards = page.get_by_test_id("request-card")
    expect(cards).to_have_count(13)
    expect(page.get_by_test_id("requests-waiting")).to_have_text("12 waiting for an answer, 1 failed")
    page.get_by_test_id("requests-dismiss-all").click()
    expect(cards).to_have_count(0)
    expect(page.get_by_test_id("requests-dismiss-all")).to_be_hidden()  # nothing left to put away
    expect(page.get_by_test_id("widget-status")).to_have_text("Dismissed 13 of 13 requests.")
    assert page.get_by_test_id("widget-card").bounding_box()["y"] < 500  # type: ignore[index]
    assert WidgetRequest.objects.filter(dismissed=True).count() == 13
    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(cards).to_have_count(0)


def running_request(board: Dashboard, *, seconds: int) -> WidgetRequest:
    request = add_request(board, prompt="total paid amount over the last 30 days", status=RequestStatus.RUNNING)
    WidgetStep.objects.create(widget_request=request, name=StepName.SQL, state=StepState.RUNNING, attempts=1,
                              started_at=timezone.now() - timedelta(seconds=seconds))
    return request


def test_a_request_being_built_shows_its_step_and_the_seconds_ticking(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    running_request(board, seconds=5)
    page = browser_page
    open_board(page, live_server.url, board)
    step = page.get_by_test_id("request-step")
    expect(step).to_have_text(re.compile(r"^Writing the SQL · \d+ s$"))
    first = int(step.inner_text().split("·")[1].split()[0])
    assert first >= 5  # counted from when the step started, 5 s before the page opened
    page.wait_for_function("([el, n]) => parseInt(el.textContent.split('·')[1]) >= n + 2",
                           arg=[step.element_handle(), first], timeout=6_000)
    expect(step.get_by_role("timer")).to_have_count(1)  # the seconds are a timer: not read out each tick
    screenshot(page, "progress")


def test_cancel_stops_a_request_and_its_card_goes(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    try:
        reverse("api-request-cancel", args=[1])
    except NoReverseMatch:
        pytest.skip("the cancel endpoint is not in this build yet (helper api's)")
    request = running_request(board, seconds=2)
    page = browser_page
    open_board(page, live_server.url, board)
    card = page.get_by_test_id("request-card")
    screenshot(page, "before-cancel")
    card.get_by_test_id("request-cancel").click()
    expect(card).to_have_count(0)
    expect(page.get_by_test_id("widget-status")).to_have_text(f"Cancelled: {request.prompt}")
    assert WidgetRequest.objects.get(id=request.id).status == "cancelled"
    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_test_id("request-card")).to_have_count(0)
