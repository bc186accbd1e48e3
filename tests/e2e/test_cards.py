"""Widget cards in a real browser: KPI deltas and sparklines, tables that sort and page, how each widget
was read, designed states, no sideways page scroll, and no refusal by the page's content policy.

Widgets are written straight to the database (as in test_pages). The dictionary fields the API adds
from a data source (``metrics`` with ``up_is_good`` and definitions, ``value_labels``) are merged into the
dashboard's API answer by the test, so each card is checked on exactly the shape it is given.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_pages import PASSWORD, add_widget, log_in
from widgets.models import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

PAID = {"key": "total_paid", "name": "Total paid", "unit": "currency"}
KPI_SPEC = {
    "kind": "kpi", "title": "Total paid this quarter", "metric": PAID, "dimensions": [], "filters": [],
    "time_window": {"kind": "current", "unit": "quarter"}, "compare": {"kind": "previous_period"},
    "grain": "week", "sparkline": True, "assumptions": ["Read “paid” as Total paid."],
    "not_applied": ["motor"],
}
WEEKS = [f"2026-{m:02d}-{d:02d}" for m, d in ((7, 6), (7, 13), (7, 20), (7, 27), (8, 3), (8, 10), (8, 17))]
KPI_RESULT = {
    "columns": ["total_paid"], "rows": [[125000.0]], "truncated": False, "partial_last": True,
    "window": {"start": "2026-07-01", "end": "2026-10-01"}, "today": "2026-08-19",
    "compare": {"window": {"start": "2026-04-01", "end": "2026-07-01"}, "columns": ["total_paid"],
                "rows": [[100000.0]], "truncated": False},
    "deltas": [{"group": [], "current": 125000.0, "previous": 100000.0, "abs": 25000.0, "pct": 0.25}],
    "sparkline": {"columns": ["period", "total_paid"], "rows": [[w, 15000 + i * 1000] for i, w in enumerate(WEEKS)],
                  "grain": "week", "partial_last": True, "truncated": False},
}
STATUS_SPEC = {
    "kind": "table", "title": "Paid by claim status", "metric": PAID,
    "extra_metrics": [{"key": "claim_count", "name": "Claims", "unit": "count"}], "dimensions": ["status"],
    "filters": [], "time_window": {"kind": "rolling", "n": 90, "unit": "day"},
}
STATUSES = [f"status_{i:02d}" for i in range(60)]
STATUS_RESULT = {
    "columns": ["status", "total_paid", "claim_count"],
    "rows": [[s, 1000.0 + (i * 37 % 60) * 10, i + 1] for i, s in enumerate(STATUSES)],
    "truncated": False, "window": {"start": "2026-05-21", "end": "2026-08-19"},
    "totals": {"columns": ["total_paid", "claim_count"], "rows": [[999999.5, 1830]]},
}
DEFINITION = "Amount paid on closed claims, dated by closure date."
METRICS = {"total_paid": {**PAID, "up_is_good": True, "definition": DEFINITION, "time_column": "closed_date",
                          "additive": True},
           "claim_count": {"key": "claim_count", "name": "Claims", "unit": "count", "up_is_good": None,
                           "definition": "Claims filed.", "time_column": "filed_date", "additive": True}}
BAR_SPEC = {
    "kind": "chart", "title": "Claims by region", "metric": {"key": "claim_count", "name": "Claims", "unit": "count"},
    "dimensions": ["region"], "filters": [], "time_window": {"kind": "rolling", "n": 90, "unit": "day"},
    "chart_type": "bar",
}
BAR_RESULT = {"columns": ["region", "claim_count"],
              "rows": [["midwest", 4210], ["northeast", 3875], ["south", 5342], ["west", 2968]], "truncated": False}


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=owner, name="Claims overview")


def serve_dictionary(page: Page, *, up_is_good: bool | None = True) -> None:
    """Merge the dictionary's fields into each widget of the dashboard's API answer."""

    def fulfil(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        for widget in data.get("widgets", []):
            keys = [widget["spec"]["metric"]["key"], *(m["key"] for m in widget["spec"].get("extra_metrics", []))]
            widget["metrics"] = [{**METRICS[k], "up_is_good": up_is_good if k == "total_paid" else None}
                                 for k in keys if k in METRICS]
            widget["value_labels"] = {"status": {s: f"Status {s[-2:]}" for s in STATUSES},
                                      "region": {"south": "South"}}
            widget["dimension_labels"] = {"status": "Claim status", "region": "Region"}
        route.fulfill(response=response, body=json.dumps(data), headers={**response.headers})

    page.route("**/api/dashboards/*/", fulfil)


def open_board(page: Page, base_url: str, board: Dashboard, **dictionary: Any) -> None:
    serve_dictionary(page, **dictionary)
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")


def card_of(page: Page, kind: str) -> Any:
    return page.locator(f"[data-testid=widget-card][data-kind={kind}]")


def test_a_kpi_shows_its_change_in_words_and_colour_and_its_sparkline(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "kpi")
    expect(card.get_by_test_id("kpi-value")).to_have_text("$125,000.00")
    delta = card.get_by_test_id("kpi-delta")
    expect(delta).to_have_class("kpi-delta delta-good")
    expect(delta).to_have_attribute("data-direction", "up")
    expect(delta.get_by_test_id("kpi-delta-abs")).to_have_text("+$25K")
    expect(delta.get_by_test_id("kpi-delta-pct")).to_have_text("(+25.0%)")
    expect(delta.get_by_test_id("kpi-compare")).to_have_text("vs $100,000.00 the same period last quarter")
    expect(delta).to_contain_text("▲")
    expect(card.get_by_test_id("note-partial")).to_be_visible()
    screenshot(browser_page, "kpi")


def test_a_kpi_draws_its_sparkline_with_the_partial_week_marked(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "kpi")
    sparkline = card.get_by_test_id("sparkline")
    expect(sparkline).to_have_attribute("data-drawn", "true")
    expect(sparkline.locator("canvas")).to_have_count(1)
    expect(card).to_contain_text("Trend by week; the last week is partial (dashed).")


def test_a_rise_of_a_metric_where_up_is_bad_is_coloured_bad(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    open_board(browser_page, live_server.url, board, up_is_good=False)

    delta = card_of(browser_page, "kpi").get_by_test_id("kpi-delta")
    expect(delta).to_have_class("kpi-delta delta-bad")
    expect(delta).to_contain_text("a worsening")


def test_a_table_sorts_by_a_clicked_header_pages_and_shows_the_querys_totals(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=STATUS_SPEC, result=STATUS_RESULT)
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "table")
    table = card.get_by_test_id("data-table")
    expect(table.locator("thead th")).to_have_text(["Claim status", "Total paid ($)", "Claims"])
    expect(table.locator("tbody tr")).to_have_count(25)
    expect(table.locator("tbody tr").first.locator("th, td")).to_have_text(["Status 00", "$1,000.00", "1"])
    expect(card.get_by_test_id("table-range")).to_have_text("Rows 1–25 of 60")
    expect(card.get_by_test_id("totals-row").locator("th, td")).to_have_text(["Total", "$999,999.50", "1,830"])

    paid = table.locator("thead th").nth(1)
    paid.get_by_role("button").click()
    expect(paid).to_have_attribute("aria-sort", "descending")
    expect(table.locator("thead th").first).to_have_attribute("aria-sort", "none")
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text("$1,590.00")
    paid.get_by_role("button").press("Enter")  # a button in the header: the keyboard sorts too
    expect(paid).to_have_attribute("aria-sort", "ascending")
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text("$1,000.00")
    expect(card.get_by_test_id("sort-note")).to_be_hidden()  # not truncated: the sort is over every row

    card.get_by_test_id("table-next").click()
    expect(card.get_by_test_id("table-range")).to_have_text("Rows 26–50 of 60")
    card.get_by_test_id("table-next").click()
    expect(card.get_by_test_id("table-range")).to_have_text("Rows 51–60 of 60")
    expect(table.locator("tbody tr")).to_have_count(10)
    expect(card.get_by_test_id("table-next")).to_be_disabled()
    screenshot(browser_page, "table")


def test_a_sorted_truncated_table_says_it_is_sorted_within_the_rows_shown(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    rows = STATUS_RESULT["rows"][:30]
    add_widget(board, spec=STATUS_SPEC, result={**STATUS_RESULT, "rows": rows, "truncated": True})
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "table")
    expect(card.get_by_test_id("truncated")).to_have_text("Showing the first 30 rows; the query had more.")
    expect(card.get_by_test_id("sort-note")).to_be_hidden()
    card.get_by_role("button", name="Total paid ($)").click()
    expect(card.get_by_test_id("sort-note")).to_have_text("Sorted within the 30 rows shown")


def test_a_card_says_how_it_read_the_request_and_what_it_did_not_apply(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "kpi")
    expect(card.get_by_test_id("interpretation")).to_have_text("Total paid · 1 Jul – 30 Sep 2026 vs 1 Apr – 30 Jun 2026 · per week")
    warning = card.get_by_role("note").filter(has_text="Not applied")
    expect(warning).to_be_visible()
    expect(warning).to_have_text("⚠Not applied: “motor”. The figures do not reflect it.")
    expect(card.get_by_test_id("assumptions")).to_have_text("Read “paid” as Total paid.")
    definition = card.get_by_test_id("definition")
    expect(definition.get_by_text(DEFINITION)).to_be_hidden()
    definition.get_by_text("What “Total paid” counts").click()
    expect(definition.get_by_text(DEFINITION)).to_be_visible()
    expect(definition).to_contain_text("Dated by closed date.")
    screenshot(browser_page, "reading")


def test_an_empty_result_says_there_are_no_rows_in_the_window(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=STATUS_SPEC, result={**STATUS_RESULT, "rows": [], "totals": None})
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "table")
    expect(card.get_by_test_id("empty")).to_have_text("No rows for Total paid & Claims in this window.")
    expect(card.get_by_test_id("data-table")).to_have_count(0)


def test_a_companion_query_that_failed_is_noted_and_the_card_still_shows_its_figure(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    result = {**KPI_RESULT, "sparkline": None, "sparkline_error": "The trend query ran past its time limit."}
    add_widget(board, spec=KPI_SPEC, result=result)
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "kpi")
    expect(card.get_by_test_id("kpi-value")).to_have_text("$125,000.00")
    expect(card.get_by_test_id("sparkline")).to_have_count(0)
    expect(card.get_by_test_id("note-companion")).to_have_text("No trend line: The trend query ran past its time limit.")


def test_view_as_table_shows_a_charts_data(browser_page: Page, live_server: Any, board: Dashboard) -> None:
    add_widget(board, spec=BAR_SPEC, result=BAR_RESULT)
    open_board(browser_page, live_server.url, board)

    card = card_of(browser_page, "chart")
    toggle = card.get_by_role("button", name="View as table")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(card.get_by_test_id("chart-table")).to_be_hidden()
    toggle.click()
    expect(card.get_by_role("button", name="Hide table")).to_have_attribute("aria-expanded", "true")
    rows = card.get_by_test_id("chart-table").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2).locator("th, td")).to_have_text(["South", "5,342"])


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_dashboard_has_no_sideways_scroll_and_the_key_column_stays_in_view(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path],
    width: int, height: int,
) -> None:
    wide = {**STATUS_SPEC, "title": "Paid, claims and more by claim status, in one wide table",
            "extra_metrics": [{"key": "claim_count", "name": "Claims", "unit": "count"},
                              {"key": "avg_days_to_settle", "name": "Average days to settle a claim", "unit": "days"}]}
    wide_result = {**STATUS_RESULT, "columns": [*STATUS_RESULT["columns"], "avg_days_to_settle"],
                   "rows": [[*row, 12.5] for row in STATUS_RESULT["rows"]]}
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    add_widget(board, spec=BAR_SPEC, result=BAR_RESULT)
    add_widget(board, spec=wide, result=wide_result)
    browser_page.set_viewport_size({"width": width, "height": height})
    open_board(browser_page, live_server.url, board)
    expect(browser_page.get_by_test_id("widget-card")).to_have_count(3)

    assert browser_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    scroller = card_of(browser_page, "table").get_by_test_id("table-scroll")
    key = card_of(browser_page, "table").locator("tbody tr").first.locator("th")
    scroller.evaluate("box => { box.scrollLeft = box.scrollWidth; box.dispatchEvent(new Event('scroll')); }")
    box, cell = scroller.bounding_box(), key.bounding_box()
    assert box is not None and cell is not None
    assert box["x"] - 1 <= cell["x"] and cell["x"] + cell["width"] <= box["x"] + box["width"]
    expect(key).to_have_text("Status 00")
    if width < 600:  # the table scrolls sideways on a phone, and shows it
        expect(scroller).to_have_class("table-scroll scrolls more-left")
    screenshot(browser_page, f"{width}x{height}")


def test_no_content_policy_violation_is_reported_on_the_dashboard(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    browser_page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));")
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    add_widget(board, spec=BAR_SPEC, result=BAR_RESULT)
    add_widget(board, spec=STATUS_SPEC, result=STATUS_RESULT)
    open_board(browser_page, live_server.url, board)
    expect(card_of(browser_page, "kpi").get_by_test_id("kpi-delta")).to_be_visible()
    card_of(browser_page, "chart").get_by_role("button", name="View as table").click()
    card_of(browser_page, "table").get_by_role("button", name="Claims").click()
    browser_page.wait_for_timeout(300)  # reports are queued as tasks

    assert browser_page.evaluate("window.__csp") == []
