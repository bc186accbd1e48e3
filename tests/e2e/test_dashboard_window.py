"""The dashboard's time window, set in the page: every widget over a dated metric shows its figures under
the new bounds (checked against the warehouse queried directly), the one over data without a date says it
is not affected, the window survives a reload, a refused window loses nothing, and clearing it brings each
widget's own figures back. Widgets are built by the real pipeline (the offline model, the demo warehouse)."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from sql_gen.models import MetricDefinition
from tests.e2e.test_pages import PASSWORD, add_widget, log_in
from widgets.models import Dashboard, Widget, WidgetRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]
TODAY = date(2025, 5, 20)  # the data's today: last quarter is Q1 2025, last month April 2025
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
APRIL = (date(2025, 4, 1), date(2025, 5, 1))
FEBRUARY = (date(2025, 2, 1), date(2025, 3, 1))
# What the widgets ask for, as the analyst typed it; their own windows, half-open, for TODAY.
BY_REGION = "claim count by region over the last 90 days as a table"
CLAIMED = "total claimed last quarter"
PAID = "total paid amount over the last 30 days"
OWN = {BY_REGION: (date(2025, 2, 20), date(2025, 5, 21)), CLAIMED: (date(2025, 1, 1), date(2025, 4, 1)),
       PAID: (date(2025, 4, 21), date(2025, 5, 21))}
Bounds = tuple[date, date]


# The figures, straight from the warehouse file with statements of our own (not the widgets' SQL).
def _query(warehouse: Path, sql: str, bounds: Bounds) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(bounds)).fetchall()


def claims_by_region(warehouse: Path, bounds: Bounds) -> dict[str, int]:
    rows = _query(warehouse, "SELECT r.name, COUNT(*) FROM claims c JOIN regions r USING (region_id) "
                             "WHERE c.filed_date >= ? AND c.filed_date < ? GROUP BY r.name", bounds)
    return {name: int(n) for name, n in rows}


def total_claimed(warehouse: Path, bounds: Bounds) -> Decimal:
    return Decimal(str(_query(warehouse, "SELECT SUM(claimed_amount) FROM claims WHERE filed_date >= ? "
                                         "AND filed_date < ?", bounds)[0][0]))


def total_paid(warehouse: Path, bounds: Bounds) -> Decimal:
    return Decimal(str(_query(warehouse, "SELECT SUM(paid_amount) FROM claims WHERE status = 'closed' "
                                         "AND closed_date >= ? AND closed_date < ?", bounds)[0][0]))


def adjusters(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("SELECT COUNT(*) FROM adjusters").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def board(django_user_model: Any, demo_source: Any, settings: Any) -> Dashboard:
    settings.BUILDER_TODAY = TODAY.isoformat()
    cache.clear()
    owner = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    board = Dashboard.objects.create(owner=owner, name="Claims overview", is_private=False)
    for prompt in (BY_REGION, CLAIMED, PAID):
        build(board, prompt)
    # Over data without a date: the window cannot touch it.
    MetricDefinition.objects.create(source=demo_source, key="adjuster_count", name="Adjusters",
                                    base_table="adjusters", expression="COUNT(*)", time_column="")
    spec = {"kind": "kpi", "title": "Adjusters on staff", "metric": {"key": "adjuster_count", "name": "Adjusters",
            "unit": "count"}, "dimensions": [], "filters": [], "time_window": {"kind": "all"}}
    widget = add_widget(board, spec=spec, result={"columns": ["adjuster_count"], "rows": [[adjusters(settings.WAREHOUSE_PATH)]]},
                        data_source=demo_source, result_at=timezone.now())
    Widget.objects.filter(id=widget.id).update(sql="SELECT COUNT(*) AS adjuster_count FROM adjusters")
    return board


def build(board: Dashboard, prompt: str) -> Widget:
    """Run ``prompt`` through the real pipeline, synchronously, and return its widget."""
    from widgets.services import runner
    from widgets.services.requests import widget_request_create

    created = widget_request_create(user=board.owner, dashboard=board, prompt=prompt, enqueue=False)
    assert runner.run(request_id=created.id) == "ready", WidgetRequest.objects.get(id=created.id).error_message
    return Widget.objects.get(request_id=created.id)


def open_board(page: Page, base_url: str, board: Dashboard, username: str | None = None) -> None:
    log_in(page, base_url, username or board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_test_id("widget-card")).to_have_count(4)
    page.evaluate("() => { window.__samePage = true; }")


def card(page: Page, prompt_or_title: str) -> Locator:
    title = {BY_REGION: "Claim count by region", CLAIMED: "Total claimed", PAID: "Total paid"}.get(
        prompt_or_title, prompt_or_title)
    return page.get_by_test_id("widget-card").filter(has=page.locator(".widget-title", has_text=title))


def table_figures(table: Locator) -> dict[str, int]:
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    return {name: int(n.replace(",", "")) for name, n in rows}


def expect_figures(page: Page, warehouse: Path, windows: dict[str, Bounds]) -> None:
    """Every dated widget shows the warehouse's figures for its bounds (waiting for the cards to be rebuilt)."""
    claimed = card(page, CLAIMED).get_by_test_id("kpi-value")
    paid = card(page, PAID).get_by_test_id("kpi-value")
    for value, expected in ((claimed, total_claimed(warehouse, windows[CLAIMED])),
                            (paid, total_paid(warehouse, windows[PAID]))):
        expect(value).to_have_attribute("data-value", _number(expected))
    table = card(page, BY_REGION).get_by_test_id("data-table")
    expected_rows = claims_by_region(warehouse, windows[BY_REGION])
    expect(table.locator("tbody tr")).to_have_count(len(expected_rows))
    page.wait_for_function("([sel, want]) => { const t = document.querySelector(sel); return t && "
                           "[...t.tBodies[0].rows].map(r => r.cells[1].textContent.replace(/,/g, '')).join() === want; }",
                           arg=[f"[data-widget-id='{_id(page, BY_REGION)}'] [data-testid=data-table]",
                                ",".join(str(n) for n in _by_count(expected_rows))])
    assert table_figures(table) == expected_rows
    assert adjusters_value(page) == str(adjusters(warehouse))


def _number(value: Decimal) -> re.Pattern[str]:
    """The KPI's raw figure as the page holds it (a JSON number: trailing zeros dropped)."""
    text = format(value.normalize(), "f")
    return re.compile(rf"^{re.escape(text)}$")


def _by_count(rows: dict[str, int]) -> list[int]:
    return sorted(rows.values(), reverse=True)  # the table's order: claim count, highest first


def _id(page: Page, prompt: str) -> str:
    return card(page, prompt).get_attribute("data-widget-id") or ""


def adjusters_value(page: Page) -> str:
    return card(page, "Adjusters on staff").get_by_test_id("kpi-value").get_attribute("data-value") or ""


def expect_notes(page: Page, words: str) -> None:
    """Each dated card says it is under the dashboard's window (its words and dates); the other says why not."""
    for prompt in (BY_REGION, CLAIMED, PAID):
        note = card(page, prompt).get_by_test_id("window-note")
        expect(note).to_have_attribute("data-kind", "applied")
        expect(note).to_contain_text(f"Dashboard window: {words}")
        expect(card(page, prompt)).to_have_attribute("data-window", "applied")
    other = card(page, "Adjusters on staff").get_by_test_id("window-note")
    expect(other).to_have_attribute("data-kind", "not-affected")
    expect(other).to_have_text("Not affected by the dashboard's window: Adjusters has no date to filter on.")


def test_a_window_set_in_the_page_changes_every_dated_widgets_figures_and_clearing_it_brings_them_back(
    browser_page: Page, live_server: Any, board: Dashboard, warehouse: Path, screenshot: Callable[[Page, str], Path],
) -> None:
    page = browser_page
    page.set_viewport_size(LAPTOP)
    open_board(page, live_server.url, board)
    choice = page.get_by_label("Time window", exact=True)
    expect(choice).to_have_value("own")
    expect(page.get_by_test_id("window-note")).to_have_count(0)
    expect_figures(page, warehouse, OWN)
    screenshot(page, "own-windows")

    choice.focus()
    choice.select_option("last-month")
    april = {prompt: APRIL for prompt in OWN}
    expect_figures(page, warehouse, april)
    expect_notes(page, "last month (1–30 Apr 2025)")
    # A title that names its own window says, beside it, that the dashboard's is what is shown.
    expect(card(page, CLAIMED).get_by_test_id("window-note")).to_contain_text("not this widget's own (last quarter)")
    expect(card(page, CLAIMED).get_by_test_id("interpretation")).to_contain_text("1–30 Apr 2025")
    expect(page.get_by_test_id("window-dates")).to_have_text("1–30 Apr 2025")
    expect(choice).to_be_focused()  # the cards were rebuilt around the control, which kept the focus
    assert page.evaluate("() => window.__samePage === true")  # in place: no reload
    assert Dashboard.objects.get(id=board.id).window == {"kind": "previous", "unit": "month"}
    screenshot(page, "last-month")

    page.reload()
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(choice).to_have_value("last-month")
    expect_figures(page, warehouse, april)
    expect_notes(page, "last month (1–30 Apr 2025)")
    page.evaluate("() => { window.__samePage = true; }")

    # A custom range, with the keyboard only: the last day is included.
    choice.focus()
    choice.select_option("custom")
    page.keyboard.press("Tab")
    expect(page.get_by_label("From", exact=True)).to_be_focused()
    page.get_by_label("From", exact=True).fill("2025-02-01")
    page.keyboard.press("Tab")
    page.get_by_label("To", exact=True).fill("2025-02-28")
    page.keyboard.press("Enter")
    feb = {prompt: FEBRUARY for prompt in OWN}
    expect_figures(page, warehouse, feb)
    expect_notes(page, "1–28 Feb 2025")
    assert Dashboard.objects.get(id=board.id).window == {"kind": "between", "start": "2025-02-01", "end": "2025-02-28"}

    # Refused: the page says why beside the control, and the window in force stays, figures and all.
    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-02-01")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("window-error")).to_contain_text("ends before it starts")
    page.get_by_label("To", exact=True).fill("")
    page.get_by_label("From", exact=True).fill("2025-06-01")  # after the data's today: the server refuses it
    page.keyboard.press("Enter")
    error = page.get_by_test_id("window-error")
    expect(error).to_contain_text("begins after today")
    expect(error).to_contain_text("The dashboard still shows 1–28 Feb 2025.")
    expect(page.get_by_label("From", exact=True)).to_have_value("2025-06-01")  # what was typed stays, to be fixed
    expect_figures(page, warehouse, feb)
    assert Dashboard.objects.get(id=board.id).window == {"kind": "between", "start": "2025-02-01", "end": "2025-02-28"}
    screenshot(page, "refused")
    page.keyboard.press("Escape")  # put the range away: the control shows the window in force
    expect(choice).to_be_focused()
    expect(page.get_by_label("From", exact=True)).to_have_value("2025-02-01")

    page.get_by_test_id("window-clear").click()
    expect_figures(page, warehouse, OWN)
    expect(page.get_by_test_id("window-note")).to_have_count(0)
    expect(choice).to_have_value("own")
    expect(page.get_by_test_id("window-error")).to_be_hidden()
    assert Dashboard.objects.get(id=board.id).window is None
    assert page.evaluate("() => window.__samePage === true")


def test_a_viewer_reads_the_window_and_the_cards_say_it(
    browser_page: Page, live_server: Any, board: Dashboard, warehouse: Path, django_user_model: Any,
    screenshot: Callable[[Page, str], Path],
) -> None:
    Dashboard.objects.filter(id=board.id).update(window={"kind": "previous", "unit": "month"})
    django_user_model.objects.create_user(username="bob", password=PASSWORD)
    page = browser_page
    page.set_viewport_size(LAPTOP)
    open_board(page, live_server.url, board, username="bob")
    expect(page.get_by_test_id("window-readonly")).to_have_text("Time window: last month (1–30 Apr 2025)")
    expect(page.get_by_label("Time window", exact=True)).to_have_count(0)
    expect_figures(page, warehouse, {prompt: APRIL for prompt in OWN})
    expect_notes(page, "last month (1–30 Apr 2025)")
    screenshot(page, "viewer")


def test_a_widget_built_under_a_window_shows_up_under_it(
    board: Dashboard, browser_page: Page, live_server: Any, worker: Any, warehouse: Path,
) -> None:
    # The board is built before the worker starts: its widgets are built here, not by the worker.
    Dashboard.objects.filter(id=board.id).update(window={"kind": "previous", "unit": "month"})
    page = browser_page
    page.set_viewport_size(LAPTOP)
    open_board(page, live_server.url, board)
    page.get_by_test_id("prompt-input").fill("total claimed over the last 7 days")
    page.get_by_test_id("prompt-submit").click()
    new = page.get_by_test_id("widget-card").filter(has=page.locator(".widget-title", has_text="last 7 days"))
    expect(new.get_by_test_id("window-note")).to_contain_text("Dashboard window: last month (1–30 Apr 2025)",
                                                               timeout=20_000)
    expect(new.get_by_test_id("kpi-value")).to_have_attribute("data-value", _number(total_claimed(warehouse, APRIL)))


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_control_wraps_in_the_page_head_without_overflowing(
    browser_page: Page, live_server: Any, board: Dashboard, size: dict[str, int],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = browser_page
    page.set_viewport_size(size)
    open_board(page, live_server.url, board)
    choice = page.get_by_label("Time window", exact=True)
    choice.select_option("custom")
    page.get_by_label("From", exact=True).fill("2025-02-01")
    page.get_by_label("To", exact=True).fill("2025-02-28")
    page.get_by_test_id("window-apply").click()
    expect(page.get_by_test_id("window-note").first).to_contain_text("1–28 Feb 2025")
    page.get_by_label("From", exact=True).fill("2025-06-01")
    page.get_by_label("To", exact=True).fill("")
    page.get_by_test_id("window-apply").click()
    expect(page.get_by_test_id("window-error")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= size["width"], f"the page scrolls sideways: {width} px on {size['width']}"
    for testid in ("window-choice", "window-start", "window-end", "window-apply", "window-clear", "window-error",
                   "refresh-all"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (testid, box)
    head = page.locator(".page-head").bounding_box()
    assert head is not None and head["width"] <= size["width"]
    screenshot(page, "head")
