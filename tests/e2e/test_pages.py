"""The pages in a real browser: login, the dashboard list, and the dashboard's script.

Widgets and requests are written straight to the database, so these tests exercise the
page and its script without the pipeline; nothing consumes the stub broker's queue.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

PASSWORD = "pw-e2e-123456"

KPI_SPEC = {
    "kind": "kpi", "title": "Total paid, last 30 days",
    "metric": {"key": "total_paid", "name": "Total paid amount", "unit": "currency"},
    "dimensions": [], "filters": [], "time_window": {"kind": "last", "n": 30, "unit": "day"}, "grain": None,
}
BAR_SPEC = {
    "kind": "chart", "title": "Claims by region, last 90 days",
    "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
    "dimensions": ["region"], "filters": [], "time_window": {"kind": "last", "n": 90, "unit": "day"},
    "grain": None, "chart_type": "bar",
}
TABLE_SPEC = {
    "kind": "table", "title": "Open claims by channel",
    "metric": {"key": "open_claims", "name": "Open claims", "unit": "count"},
    "dimensions": ["channel"], "filters": [], "time_window": {"kind": "all"}, "grain": None,
}
LINE_SPEC = {
    "kind": "chart", "title": "Approval rate by month and channel",
    "metric": {"key": "approval_rate", "name": "Approval rate", "unit": "percent"},
    "dimensions": ["channel"], "filters": [], "time_window": {"kind": "last", "n": 6, "unit": "month"},
    "grain": "month", "chart_type": "line",
}
KPI_RESULT = {"columns": ["total_paid"], "rows": [[1234.5]], "truncated": False}
BAR_RESULT = {
    "columns": ["region", "claim_count"],
    "rows": [["Midwest", 4210], ["Northeast", 3875], ["South", 5342], ["West", 2968]],
    "truncated": False,
}
TABLE_RESULT = {
    "columns": ["channel", "open_claims"],
    "rows": [["agent", 1520], ["online", 2284], ["phone", 871]],
    "truncated": False,
}
LINE_RESULT = {
    "columns": ["month", "channel", "approval_rate"],
    "rows": [
        [f"2025-{m:02d}-01", channel, rate]
        for m in range(5, 11)
        for channel, rate in (("agent", 0.61 + m / 100), ("online", 0.72 - m / 200), ("phone", 0.55 + m / 150))
    ],
    "truncated": True,
}


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="erin", password=PASSWORD)


@pytest.fixture
def board(user: Any) -> Dashboard:
    return Dashboard.objects.create(owner=user, name="Claims overview")


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboards", exact=True)).to_be_visible()


def open_dashboard(page: Page, base_url: str, board: Dashboard) -> None:
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")


def add_widget(board: Dashboard, *, spec: dict[str, Any], result: dict[str, Any], **fields: Any) -> Widget:
    request = WidgetRequest.objects.create(
        dashboard=board, user=board.owner, prompt=spec["title"], status=RequestStatus.READY
    )
    values = {"source": "live", "cost_usd": Decimal("0.0012"), "llm_calls": 3, "result_at": timezone.now()} | fields
    return Widget.objects.create(
        dashboard=board, request=request, kind=spec["kind"], title=spec["title"], spec=spec,
        sql="SELECT 1", result=result, **values,
    )


def add_request(board: Dashboard, **fields: Any) -> WidgetRequest:
    return WidgetRequest.objects.create(dashboard=board, user=board.owner, **fields)


def test_an_analyst_logs_in_creates_a_dashboard_and_sees_the_prompt_form(
    browser_page: Page, live_server: Any, django_user_model: Any, screenshot: Callable[[Page, str], Path]
) -> None:
    django_user_model.objects.create_user(username="erin", password=PASSWORD)
    page = browser_page
    page.goto(f"{live_server.url}/")  # anonymous: sent to the login page
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")

    log_in(page, live_server.url, "erin")
    expect(page.get_by_test_id("no-dashboards")).to_be_visible()
    screenshot(page, "dashboard-list")
    page.get_by_label("Name").fill("Weekly claims")
    page.get_by_role("button", name="Create dashboard").click()

    expect(page.get_by_test_id("dashboard-name")).to_have_text("Weekly claims")
    expect(page.get_by_test_id("prompt-input")).to_be_visible()
    expect(page.get_by_test_id("prompt-submit")).to_be_enabled()
    expect(page.get_by_test_id("offline-banner")).to_contain_text("Offline mode")
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    page.get_by_role("link", name="Dashboards").click()
    expect(page.get_by_test_id("dashboard-link")).to_have_text(["Weekly claims"])


def test_a_kpi_widget_shows_its_formatted_value_source_and_cost(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    open_dashboard(browser_page, live_server.url, board)

    card = browser_page.locator("[data-testid=widget-card][data-kind=kpi]")
    value = card.get_by_test_id("kpi-value")
    expect(value).to_have_attribute("data-value", "1234.5")
    expect(value).to_have_text("$1,234.50")
    expect(card.get_by_test_id("source-badge")).to_contain_text("Live · as of ")
    expect(card.get_by_test_id("widget-cost")).to_have_text("$0.0012 · 3 LLM calls")


def test_a_kpi_of_millions_is_shown_compact_with_the_exact_figure_beneath(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=KPI_SPEC, result={"columns": ["total_paid"], "rows": [[381387801.57]], "truncated": False})
    open_dashboard(browser_page, live_server.url, board)

    card = browser_page.locator("[data-testid=widget-card][data-kind=kpi]")
    expect(card.get_by_test_id("kpi-value")).to_have_text("$381.4M")
    expect(card.get_by_test_id("kpi-exact")).to_have_text("$381,387,801.57")
    value_box = card.get_by_test_id("kpi-value").bounding_box()
    card_box = card.bounding_box()
    assert value_box["x"] + value_box["width"] <= card_box["x"] + card_box["width"]


def test_a_bar_chart_widget_draws_one_bar_per_row(browser_page: Page, live_server: Any, board: Dashboard) -> None:
    add_widget(board, spec=BAR_SPEC, result=BAR_RESULT)
    open_dashboard(browser_page, live_server.url, board)

    # ECharts draws on a canvas; the container says what it drew.
    chart = browser_page.locator("[data-testid=widget-card][data-kind=chart] [data-testid=chart]")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart).to_have_attribute("data-drawn-series", "bar")
    expect(chart).to_have_attribute("data-drawn-points", "4")


def test_a_line_chart_with_a_series_column_draws_a_line_per_series_and_a_legend(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=LINE_SPEC, result=LINE_RESULT)
    open_dashboard(browser_page, live_server.url, board)

    card = browser_page.locator("[data-testid=widget-card][data-kind=chart]")
    chart = card.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-drawn-series", "line,line,line")
    expect(chart).to_have_attribute("data-drawn-points", "6,6,6")
    expect(card.get_by_test_id("truncated")).to_be_visible()
    screenshot(browser_page, "line-chart")


def test_a_table_widget_lists_its_rows_with_formatted_numbers(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=TABLE_SPEC, result={**TABLE_RESULT, "rows": [*TABLE_RESULT["rows"], ["mail", 12040]]})
    open_dashboard(browser_page, live_server.url, board)

    table = browser_page.locator("[data-testid=widget-card][data-kind=table] table")
    expect(table.locator("thead th")).to_have_text(["Channel", "Open claims"])
    expect(table.locator("tbody tr")).to_have_count(4)
    # The key column is the row's header; a code without a label is shown readable.
    expect(table.locator("tbody tr").last.locator("th, td")).to_have_text(["Mail", "12,040"])


def test_a_table_that_compares_shows_the_earlier_figure_and_the_change_of_each_row(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    """The title and the reading say "vs the previous period": the table shows it, not just this period."""
    spec = {**TABLE_SPEC, "time_window": {"kind": "rolling", "n": 30, "unit": "day"}, "compare": {"kind": "previous_period"}}
    result = {**TABLE_RESULT, "window": {"start": "2026-11-03", "end": "2026-12-03"},
              "compare": {"columns": ["channel", "open_claims"], "rows": [["agent", 1600], ["online", 2000]],
                          "window": {"start": "2026-10-04", "end": "2026-11-03"}, "truncated": False},
              "deltas": [{"group": ["agent"], "current": 1520, "previous": 1600, "abs": -80, "pct": -0.05},
                         {"group": ["online"], "current": 2284, "previous": 2000, "abs": 284, "pct": 0.142},
                         {"group": ["phone"], "current": 871, "previous": None, "abs": None, "pct": None}]}
    add_widget(board, spec=spec, result=result)
    open_dashboard(browser_page, live_server.url, board)

    table = browser_page.locator("[data-testid=widget-card][data-kind=table] table")
    expect(table.locator("thead th")).to_have_text(
        ["Channel", "Open claims", "Open claims, previous period", "Change vs previous period"])
    expect(table.locator("tbody tr").nth(1).locator("th, td")).to_have_text(["Online", "2,284", "2,000", "+284 (+14.2%)"])
    expect(table.locator("tbody tr").nth(2).locator("th, td")).to_have_text(["Phone", "871", "—", "—"])
    table.locator("thead th").nth(3).get_by_role("button").click()  # largest change first
    expect(table.locator("tbody tr").first.locator("th")).to_have_text("Online")


def test_a_dashboard_with_three_widgets_loads_without_script_errors(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    errors: list[str] = []
    browser_page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    add_widget(board, spec=BAR_SPEC, result=BAR_RESULT, source="cached", llm_calls=1)
    add_widget(board, spec=TABLE_SPEC, result=TABLE_RESULT, source="sample")
    open_dashboard(browser_page, live_server.url, board)

    expect(browser_page.get_by_test_id("widget-card")).to_have_count(3)
    assert screenshot(browser_page, "three-widgets").stat().st_size > 0
    assert errors == []


def test_an_empty_prompt_shows_the_api_message_and_the_form_stays_usable(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    page = browser_page
    open_dashboard(page, live_server.url, board)

    page.get_by_test_id("prompt-input").fill("   ")
    page.get_by_test_id("prompt-submit").click()
    expect(page.get_by_test_id("prompt-error")).to_contain_text("Describe the widget you want")
    expect(page.get_by_test_id("prompt-input")).to_have_value("   ")

    page.get_by_test_id("prompt-input").fill("total paid amount over the last 30 days")
    page.get_by_test_id("prompt-submit").click()
    card = page.get_by_test_id("request-card")
    expect(card).to_contain_text("total paid amount over the last 30 days")
    expect(card.get_by_test_id("request-status")).to_have_text("Queued")
    expect(page.get_by_test_id("prompt-error")).to_be_hidden()
    expect(page.get_by_test_id("prompt-input")).to_have_value("")


def test_a_failed_request_shows_its_error_and_dismiss_hides_it(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_request(board, prompt="claims per moon phase", status=RequestStatus.FAILED,
                error_code="unknown_metric", error_message="There is no metric for moon phases.")
    open_dashboard(browser_page, live_server.url, board)

    card = browser_page.get_by_test_id("request-card")
    expect(card.get_by_test_id("request-error")).to_have_text("There is no metric for moon phases.")
    expect(card).to_contain_text("unknown_metric")
    card.get_by_role("button", name="Dismiss").click()
    expect(card).to_have_count(0)


def test_a_request_for_what_the_data_lacks_offers_an_edit_and_the_catalog_not_a_retry(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_request(board, prompt="claims in Europe last month", status=RequestStatus.FAILED, error_code="not_in_data",
                error_message="There is no value called “Europe” in this data. See what the data has: /catalog/")
    add_request(board, prompt="total paid last week", status=RequestStatus.FAILED, error_code="llm_unavailable",
                error_message="The model is not answering.")
    open_dashboard(browser_page, live_server.url, board)

    lacking = browser_page.get_by_test_id("request-card").filter(has_text="Europe")
    # A reply, not a fault: no error code, no raw address beside the catalog button, not "Failed".
    expect(lacking.get_by_test_id("request-status")).to_have_text("Not in the data")
    expect(lacking.get_by_test_id("request-error")).to_have_text("There is no value called “Europe” in this data.")
    expect(lacking).not_to_contain_text("not_in_data")
    expect(lacking.get_by_test_id("request-retry")).to_have_count(0)
    expect(lacking.get_by_test_id("request-catalog")).to_have_attribute("href", f"/catalog/?dashboard={board.id}")
    lacking.get_by_test_id("request-edit").click()
    expect(browser_page.get_by_test_id("prompt-input")).to_have_value("claims in Europe last month")
    expect(browser_page.get_by_test_id("prompt-input")).to_be_focused()
    other = browser_page.get_by_test_id("request-card").filter(has_text="total paid last week")
    expect(other.get_by_test_id("request-retry")).to_have_count(1)
    expect(other.get_by_test_id("request-edit")).to_have_count(0)


def test_choosing_an_option_sends_the_answer_and_polling_resumes(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    request = add_request(
        board, prompt="claim count by region", status=RequestStatus.NEEDS_CLARIFICATION,
        questions=[{"id": "window", "text": "Over what period?", "options": ["Last 30 days", "Last 90 days"]}],
    )
    open_dashboard(browser_page, live_server.url, board)

    card = browser_page.get_by_test_id("request-card")
    expect(card.get_by_test_id("question")).to_contain_text("Over what period?")
    card.get_by_test_id("option").filter(has_text="Last 90 days").click()
    expect(card.get_by_test_id("request-status")).to_have_text("Queued")
    expect(card.get_by_test_id("option")).to_have_count(0)
    request.refresh_from_db()
    assert request.answers == [{"question": "window", "answer": "Last 90 days"}]


def test_untrusted_text_is_shown_as_text_not_markup(browser_page: Page, live_server: Any, board: Dashboard) -> None:
    hostile = '<img src=x onerror="window.pwned=1">'
    add_request(board, prompt=hostile, status=RequestStatus.FAILED, error_code="x", error_message=hostile)
    add_widget(board, spec={**TABLE_SPEC, "title": hostile}, result={**TABLE_RESULT, "rows": [[hostile, 1]]})
    open_dashboard(browser_page, live_server.url, board)

    expect(browser_page.get_by_test_id("widget-card")).to_contain_text(hostile)
    expect(browser_page.get_by_test_id("request-card")).to_contain_text(hostile)
    assert browser_page.locator("#dashboard-app img").count() == 0
    assert browser_page.evaluate("window.pwned") is None


def test_a_shared_dashboard_is_view_only_for_others(
    browser_page: Page, live_server: Any, board: Dashboard, django_user_model: Any
) -> None:
    board.is_private = False
    board.save()
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    viewer = django_user_model.objects.create_user(username="vic", password=PASSWORD)
    log_in(browser_page, live_server.url, viewer.username)
    browser_page.get_by_role("link", name="Claims overview").click()

    expect(browser_page.get_by_test_id("kpi-value")).to_have_text("$1,234.50")
    expect(browser_page.get_by_test_id("prompt-input")).to_have_count(0)


def test_a_stale_widget_shows_a_cached_badge_with_its_age_and_a_failed_one_keeps_its_data(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    now = timezone.now()
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT, result_at=now - timedelta(minutes=20), cache_ttl_s=300)
    add_widget(board, spec=BAR_SPEC, result=BAR_RESULT, result_at=now - timedelta(hours=1), refreshed_at=now,
               source="query_failed", source_reason="The query ran past the 10s time limit and was stopped.")
    open_dashboard(browser_page, live_server.url, board)

    kpi = browser_page.locator("[data-testid=widget-card][data-kind=kpi]")
    expect(kpi.get_by_test_id("source-badge")).to_have_text("Cached · 20 min old")
    expect(kpi.get_by_test_id("source-reason")).to_contain_text("refreshing in the background")
    expect(kpi.get_by_test_id("kpi-value")).to_have_text("$1,234.50")
    chart = browser_page.locator("[data-testid=widget-card][data-kind=chart]")
    expect(chart.get_by_test_id("source-badge")).to_contain_text("Query failed · showing data from ")
    expect(chart.get_by_test_id("source-reason")).to_have_text("The query ran past the 10s time limit and was stopped.")
    expect(chart.get_by_test_id("chart")).to_have_attribute("data-drawn-points", "4")
    screenshot(browser_page, "source-badges")
