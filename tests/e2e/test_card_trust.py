"""Cards that never hide or change what they were given: one damaged widget leaves the others on the page
and says it could not be read; a KPI without a number says why; big integers stay exact; table labels come
through the spec's dimension keys; a totals row says what it is; a long header never pushes a value out."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_cards import KPI_RESULT, KPI_SPEC, METRICS, STATUS_RESULT, STATUS_SPEC, STATUSES, card_of
from tests.e2e.test_pages import PASSWORD, add_widget, log_in
from widgets.models import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=owner, name="Claims overview")


CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation', (e) =>"
       " window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));")
UNREADABLE = "This widget's data could not be read"
# Shapes a server that did not check would send: each is put in place of a stored widget's result in the
# API's answer, by the widget's title.
RAW: dict[str, Callable[[dict[str, Any]], None]] = {
    "Raw KPI null row": lambda w: w["result"].__setitem__("rows", [None]),
    "Raw table null row": lambda w: w["result"]["rows"].append(None),
    "Raw columns dict": lambda w: w["result"].__setitem__("columns", {"a": 1}),
    "Raw bad sparkline": lambda w: w["result"].__setitem__("sparkline", {"columns": ["period", "total_paid"],
                                                                         "rows": [None, 5, "x"]}),
    "Raw bad totals": lambda w: w["result"].__setitem__("totals", {"columns": ["claim_count"], "rows": [None]}),
    # A spec no card expects: the card's own guard catches what it throws.
    "Raw odd spec": lambda w: w.update(interpretation=None, spec={**w["spec"], "filters": 5}),
}


def open_board(page: Page, base_url: str, board: Dashboard, change: Callable[[dict[str, Any]], None] | None = None) -> None:
    def fulfil(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        for w in data.get("widgets", []):
            keys = [w["spec"]["metric"]["key"], *(m["key"] for m in w["spec"].get("extra_metrics", []))]
            w["metrics"] = [METRICS[k] for k in keys if k in METRICS]
            if w["title"] in RAW:
                RAW[w["title"]](w)
            if change:
                change(w)
        route.fulfill(response=response, body=json.dumps(data), headers={**response.headers})

    page.add_init_script(CSP)
    page.route("**/api/dashboards/*/", fulfil)
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")


def titled(page: Page, title: str) -> Any:
    return page.get_by_test_id("widget-card").filter(has=page.get_by_role("heading", name=title, exact=True))


def test_damaged_widgets_each_say_so_and_the_others_render(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec={**KPI_SPEC, "title": "Stored garbage"}, result="garbage")  # checked by the server
    for title in RAW:
        spec, result = (STATUS_SPEC, STATUS_RESULT) if "table" in title or "totals" in title or "columns" in title \
            else (KPI_SPEC, KPI_RESULT)
        add_widget(board, spec={**spec, "title": title}, result=result)
    add_widget(board, spec={**KPI_SPEC, "title": "Good KPI"}, result=KPI_RESULT)
    open_board(browser_page, live_server.url, board)
    expect(browser_page.get_by_test_id("widget-card")).to_have_count(len(RAW) + 2)

    expect(titled(browser_page, "Good KPI").get_by_test_id("kpi-value")).to_have_text("$125,000.00")
    for title in ["Stored garbage", "Raw KPI null row", "Raw table null row", "Raw columns dict", "Raw odd spec"]:
        expect(titled(browser_page, title).get_by_test_id("widget-unreadable")).to_contain_text(UNREADABLE)
        expect(titled(browser_page, title).get_by_test_id("empty")).to_have_count(0)  # not "No rows"
    # A damaged companion costs only itself.
    spark = titled(browser_page, "Raw bad sparkline")
    expect(spark.get_by_test_id("kpi-value")).to_have_text("$125,000.00")
    expect(spark.get_by_test_id("sparkline")).to_have_count(0)
    totals = titled(browser_page, "Raw bad totals")
    expect(totals.get_by_test_id("data-table")).to_be_visible()
    expect(totals.get_by_test_id("totals-row")).to_have_count(0)
    screenshot(browser_page, "damaged")
    assert browser_page.evaluate("window.__csp") == []


def test_a_kpi_without_a_number_says_why_and_a_big_integer_stays_exact(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    plain = {**KPI_RESULT, "deltas": [], "compare": None, "sparkline": None}
    add_widget(board, spec={**KPI_SPEC, "title": "Not a number", "compare": None}, result={**plain, "rows": [["NaN"]]})
    add_widget(board, spec={**KPI_SPEC, "title": "Nothing", "compare": None}, result={**plain, "rows": [[None]]})
    count = {"key": "claim_count", "name": "Claims", "unit": "count"}
    add_widget(board, spec={**KPI_SPEC, "title": "Huge", "metric": count, "compare": None},
               result={**plain, "columns": ["claim_count"], "rows": [[2**60 + 1]]})
    open_board(browser_page, live_server.url, board)

    for title in ["Not a number", "Nothing"]:
        expect(titled(browser_page, title).get_by_test_id("kpi-value")).to_have_text("—")
        expect(titled(browser_page, title).get_by_test_id("kpi-missing")).to_contain_text("The query returned no number")
    expect(titled(browser_page, "Huge").get_by_test_id("kpi-exact")).to_have_text("1,152,921,504,606,846,977")


def test_a_table_reads_labels_by_the_specs_dimension_key_and_keeps_other_values_as_stored(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    spec = {**STATUS_SPEC, "dimensions": ["claims.status"]}
    rows = [[s, *rest] for s, *rest in STATUS_RESULT["rows"][:3]] + [["a_B", 5.0, 1]]
    add_widget(board, spec=spec, result={**STATUS_RESULT, "rows": rows})

    def labels(w: dict[str, Any]) -> None:
        w["value_labels"] = {"claims.status": {s: f"Status {s[-2:]}" for s in STATUSES}}
        w["dimension_labels"] = {"claims.status": "Claim status"}

    open_board(browser_page, live_server.url, board, labels)
    table = card_of(browser_page, "table").get_by_test_id("data-table")
    expect(table.locator("thead th").first).to_have_text("Claim status")
    expect(table.locator("tbody th")).to_have_text(["Status 00", "Status 01", "Status 02", "a_B"])


@pytest.mark.parametrize(("ranking", "additive", "label"), [
    (None, True, "Total"),
    ({"direction": "top", "n": 5}, True, "All claim statuses · whole window"),
    (None, False, "Overall"),
])
def test_a_totals_row_says_what_it_is(browser_page: Page, live_server: Any, board: Dashboard,
                                      ranking: Any, additive: bool, label: str) -> None:
    add_widget(board, spec={**STATUS_SPEC, "ranking": ranking}, result=STATUS_RESULT)

    def metrics(w: dict[str, Any]) -> None:
        w["metrics"] = [{**m, "additive": additive if m["key"] == "total_paid" else True} for m in w["metrics"]]
        w["dimension_labels"] = {"status": "Claim status"}

    open_board(browser_page, live_server.url, board, metrics)
    expect(card_of(browser_page, "table").get_by_test_id("totals-row").locator("th")).to_have_text(label)


def test_a_rankings_all_others_row_follows_its_rows_whatever_the_sort(browser_page: Page, live_server: Any,
                                                                       board: Dashboard) -> None:
    rows = STATUS_RESULT["rows"][:3]
    others = {"columns": ["claim_count", "total_paid"], "rows": [[1827, 997000.0]], "groups": 57}
    add_widget(board, spec={**STATUS_SPEC, "ranking": {"direction": "top", "n": 3, "others": True}},
               result={**STATUS_RESULT, "rows": rows, "others": others})
    open_board(browser_page, live_server.url, board, lambda w: w.update(dimension_labels={"status": "Claim status"}))
    table = card_of(browser_page, "table").get_by_test_id("data-table")
    row = table.get_by_test_id("others-row")
    expect(row.locator("th, td")).to_have_text(["All others (57 claim statuses)", "$997,000.00", "1,827"])
    expect(table.locator("tbody tr").last).to_have_attribute("data-testid", "others-row")
    table.get_by_test_id("sort-button").nth(1).click()  # ascending or descending, the row stays last
    table.get_by_test_id("sort-button").nth(1).click()
    expect(table.locator("tbody tr").last).to_have_attribute("data-testid", "others-row")
    expect(table.locator("tbody tr")).to_have_count(4)


def test_a_two_column_table_with_a_long_header_shows_its_numbers_at_1366(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    paid = {"key": "total_paid", "name": "Total amount paid on closed claims, net of recoveries and reserves",
            "unit": "currency"}
    spec = {**STATUS_SPEC, "metric": paid, "extra_metrics": []}
    rows = [[s, 1000.0 + i] for i, s in enumerate(STATUSES[:8])]
    add_widget(board, spec=spec, result={"columns": ["status", "total_paid"], "rows": rows, "truncated": False})
    add_widget(board, spec=KPI_SPEC, result=KPI_RESULT)
    browser_page.set_viewport_size({"width": 1366, "height": 768})
    open_board(browser_page, live_server.url, board, lambda w: w.update(metrics=[paid]) if w["kind"] == "table" else None)

    card = card_of(browser_page, "table")
    scroller = card.get_by_test_id("table-scroll")
    value = card.locator("tbody tr").first.locator("td")
    expect(value).to_have_text("$1,000.00")
    box, cell = scroller.bounding_box(), value.bounding_box()
    assert box is not None and cell is not None
    assert cell["x"] + cell["width"] <= box["x"] + box["width"] + 1, "the value is pushed out of view"
    assert scroller.evaluate("b => b.scrollWidth <= b.clientWidth + 1")
    expect(card.get_by_test_id("table-hint")).to_be_hidden()
    screenshot(browser_page, "two-columns")


def test_a_sparkline_over_other_dates_than_its_kpi_says_them_and_a_cut_first_bucket_is_partial(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    spark = {**KPI_RESULT["sparkline"], "window": {"start": "2026-07-06", "end": "2026-08-20"}}
    add_widget(board, spec={**KPI_SPEC, "title": "Old"}, result={**KPI_RESULT, "sparkline": spark})
    own = {**KPI_RESULT["sparkline"], "window": KPI_RESULT["window"], "partial_first": True}
    add_widget(board, spec={**KPI_SPEC, "title": "Own window"}, result={**KPI_RESULT, "sparkline": own})
    open_board(browser_page, live_server.url, board)

    expect(titled(browser_page, "Old").get_by_test_id("sparkline-note")).to_have_text(
        "Trend by week, 6 Jul 2026 – 19 Aug 2026 (not the figure's dates); the last week is partial (dashed).")
    expect(titled(browser_page, "Own window").get_by_test_id("sparkline-note")).to_have_text(
        "Trend by week; the first and last weeks are partial (dashed).")
    expect(titled(browser_page, "Own window").get_by_test_id("sparkline")).to_have_attribute("data-drawn", "true")
