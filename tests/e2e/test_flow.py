"""The product's main path in a real browser: type a prompt, get a widget with the right number.

The request goes through the real path — API, Dramatiq (the stub broker ``make run`` uses,
consumed by an in-thread worker), the offline model, sqlglot, the read-only warehouse.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dramatiq import Worker
from playwright.sync_api import Page, expect

from tests.e2e.test_pages import PASSWORD, log_in
from widgets.models import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def board(django_user_model: Any, demo_source: Any) -> Dashboard:
    analyst = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    return Dashboard.objects.create(owner=analyst, name="Claims overview")


def _open(page: Page, base_url: str, board: Dashboard) -> None:
    log_in(page, base_url, "ana")
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("offline-banner")).to_be_visible()


def test_a_typed_prompt_becomes_a_kpi_card_with_the_right_number(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard, warehouse: Path, screenshot: Any
) -> None:
    page = browser_page
    _open(page, live_server.url, board)
    page.get_by_test_id("prompt-input").fill("total paid amount over the last 30 days")
    page.get_by_test_id("prompt-submit").click()

    card = page.get_by_test_id("widget-card")
    expect(card).to_have_count(1, timeout=30_000)
    expect(card).to_have_attribute("data-kind", "kpi")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        expected = conn.execute("SELECT SUM(paid_amount) FROM claims WHERE status = 'closed' AND "
                                "closed_date > CURRENT_DATE - 30 AND closed_date <= CURRENT_DATE").fetchone()[0]
    shown = float(card.get_by_test_id("kpi-value").get_attribute("data-value"))
    assert shown == pytest.approx(float(expected))
    expect(card.get_by_test_id("source-badge")).to_contain_text("Live")
    expect(card.get_by_test_id("widget-cost")).to_contain_text("3 LLM calls")
    screenshot(page, "kpi-from-prompt")


def test_an_ambiguous_prompt_asks_and_a_clicked_option_finishes_it(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard, screenshot: Any
) -> None:
    page = browser_page
    _open(page, live_server.url, board)
    page.get_by_test_id("prompt-input").fill("how are we doing by region over the last 90 days")
    page.get_by_test_id("prompt-submit").click()

    option = page.get_by_test_id("option").filter(has_text="Claim count")
    expect(option).to_be_visible(timeout=30_000)
    screenshot(page, "question")
    option.click()

    card = page.get_by_test_id("widget-card")
    expect(card).to_have_count(1, timeout=30_000)
    expect(card).to_have_attribute("data-kind", "chart")
    expect(card.get_by_test_id("chart")).to_have_attribute("data-drawn", "true")  # ECharts, on a canvas
    expect(card).to_contain_text("Claim count by region")
    screenshot(page, "chart-after-answer")


def test_a_widget_whose_sql_could_not_be_written_says_why_and_try_again_builds_it(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard, screenshot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.llm.types import LLMError
    from sql_gen.services.generate import SQL

    def no_access(query: Any) -> Any:
        raise LLMError("Model access is not enabled for us.anthropic.claude-sonnet-4-6 in us-east-1.",
                       retryable=False, code="llm_access_denied")

    monkeypatch.setattr(SQL, "offline", no_access)
    page = browser_page
    _open(page, live_server.url, board)
    page.get_by_test_id("prompt-input").fill("total paid amount over the last 30 days")
    page.get_by_test_id("prompt-submit").click()

    card = page.get_by_test_id("widget-card")
    expect(card).to_have_count(1, timeout=30_000)
    expect(card.get_by_test_id("source-badge")).to_contain_text("LLM unavailable")
    expect(card.get_by_test_id("widget-failure")).to_contain_text("Model access is not enabled")
    expect(page.get_by_test_id("request-card")).to_have_count(0)  # the badged widget tells the story
    screenshot(page, "widget-llm-unavailable")

    monkeypatch.undo()
    card.get_by_test_id("widget-retry").click()
    expect(card.get_by_test_id("kpi-value")).to_have_count(0)
    rebuilt = page.get_by_test_id("widget-card")
    expect(rebuilt.get_by_test_id("kpi-value")).to_have_count(1, timeout=30_000)
    expect(rebuilt.get_by_test_id("source-badge")).to_contain_text("Live")
    # Trying again resumed at the SQL step: the clarifier and the spec were not paid for twice (2 + 1 + 1).
    expect(rebuilt.get_by_test_id("widget-cost")).to_contain_text("4 LLM calls")


def test_a_request_card_shows_the_step_it_is_at_and_the_time_spent_in_it(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from sql_gen.services import generate_offline
    from sql_gen.services.generate import SQL

    def slow(query: Any) -> Any:
        time.sleep(3)
        return generate_offline.answer(query)

    monkeypatch.setattr(SQL, "offline", slow)
    page = browser_page
    _open(page, live_server.url, board)
    page.get_by_test_id("prompt-input").fill("total paid amount over the last 30 days")
    page.get_by_test_id("prompt-submit").click()
    step = page.get_by_test_id("request-step")
    expect(step).to_contain_text("Writing the SQL", timeout=15_000)
    expect(step).to_have_text(re.compile(r"Writing the SQL · [1-9]\d* s"), timeout=5_000)  # the seconds tick
    expect(page.get_by_test_id("widget-card")).to_have_count(1, timeout=30_000)


def test_a_widget_just_built_is_brought_into_view_and_announced(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard, screenshot: Any
) -> None:
    from widgets.services import runner
    from widgets.services.requests import widget_request_create

    # Enough widgets that a new one lands below the fold of a 1280 × 900 window.
    for prompt in ["claim count by region over the last 90 days as a table"] * 6:
        built = widget_request_create(user=board.owner, dashboard=board, prompt=prompt, enqueue=False)
        runner.run(request_id=built.id)
    page = browser_page
    _open(page, live_server.url, board)
    expect(page.get_by_test_id("widget-card")).to_have_count(6)
    page.get_by_test_id("prompt-input").fill("total paid amount over the last 30 days")
    page.get_by_test_id("prompt-submit").click()

    new = page.locator("[data-testid=widget-card][data-kind=kpi]")
    expect(new).to_have_count(1, timeout=30_000)
    expect(page.get_by_test_id("widget-status")).to_have_text(re.compile(r"^Widget ready: "))
    page.wait_for_function("""() => {
        const box = document.querySelector('[data-testid=widget-card][data-kind=kpi]').getBoundingClientRect();
        return box.top >= 0 && box.top < window.innerHeight;
    }""", timeout=5_000)
    # The focus stays where the analyst left it (the form), not moved into the new card.
    assert page.evaluate("document.querySelector('#prompt-form').contains(document.activeElement)")
    screenshot(page, "new-widget-in-view")
