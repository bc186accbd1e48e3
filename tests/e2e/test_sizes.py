"""The pages at a laptop's size (1366x768) and a phone's (390x844): no page scrolls sideways; a wide table
scrolls in its card, shows that it does and keeps its key column in view; the card controls are shown
without a hover, are big enough to tap on a phone and stay on the screen, as do the menu, the refine box
and the detail panel (which scrolls); a chart is redrawn at its card's new width.

The dashboard is written straight to the database (as in test_pages): a KPI, a bar and a line chart, a
wide table with long labels, a custom widget, two pending questions, a request being built and a deleted
widget. The phone is a touch screen (no hover, a coarse pointer), as a phone's browser reports itself.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from tests.e2e.test_card_controls_ui import DETAIL
from tests.e2e.test_cards import BAR_RESULT, BAR_SPEC, KPI_RESULT, KPI_SPEC
from tests.e2e.test_pages import PASSWORD, add_request, add_widget, log_in
from widgets.models import Dashboard, RequestStatus, StepName, StepState, VersionOrigin, Widget, WidgetStep
from widgets.services.versions import version_write

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
SIZES = [PHONE, LAPTOP]

WEEKS = [f"2026-{m:02d}-{d:02d}" for m in (5, 6, 7) for d in (4, 11, 18, 25)]
LINE_SPEC = {
    "kind": "chart", "title": "Claims filed per week over the last quarter, all channels together",
    "metric": {"key": "claim_count", "name": "Claims", "unit": "count"}, "dimensions": [], "filters": [],
    "time_window": {"kind": "rolling", "n": 90, "unit": "day"}, "grain": "week", "chart_type": "line",
}
LINE_RESULT = {"columns": ["period", "claim_count"], "rows": [[w, 400 + (i * 53) % 170] for i, w in enumerate(WEEKS)],
               "truncated": False}
# A wide table: two dimensions with long values and more figures than a phone has room for.
WIDE_SPEC = {
    "kind": "table", "title": "Claims by status and region, with what was paid, reserved and recovered",
    "metric": {"key": "total_paid", "name": "Total paid", "unit": "currency"},
    "extra_metrics": [{"key": "claim_count", "name": "Claims", "unit": "count"},
                      {"key": "avg_days_to_settle", "name": "Average days to settle", "unit": "days"}],
    "dimensions": ["status", "region"], "filters": [], "time_window": {"kind": "rolling", "n": 90, "unit": "day"},
    "labels": {"status": "Claim status", "region": "Region"},
}
STATUSES = ["Closed — settled after litigation, subrogation still pending", "Open — awaiting adjuster's site visit",
            "Denied on appeal", "Reopened after a late supplement from the body shop"]
REGIONS = ["Midwest", "Northeast", "South", "West"]
WIDE_RESULT = {
    "columns": ["status", "region", "total_paid", "claim_count", "avg_days_to_settle", "reserve_amount",
                "recovered_amount", "open_claims"],
    "rows": [[s, r, 10000.0 + i * 1234.5 + j * 99.0, 40 + i * 7 + j, 12.5 + i + j / 4, 5000.0 + j * 250.0, 800.0 + i * 30.0,
              i * 3 + j] for i, s in enumerate(STATUSES) for j, r in enumerate(REGIONS)],
    "truncated": False,
}
CUSTOM_SPEC = {
    "kind": "custom", "title": "Leaderboard of total paid by region",
    "metric": {"key": "total_paid", "name": "Total paid", "unit": "currency"}, "dimensions": ["region"],
    "filters": [], "time_window": {"kind": "rolling", "n": 90, "unit": "day"}, "grain": None,
    "labels": {"region": "Region"}, "visual": "leaderboard",
}
CUSTOM_RESULT = {"columns": ["region", "total_paid"],
                 "rows": [["South", 53420.0], ["Midwest", 42100.0], ["Northeast", 38750.0], ["West", 29680.0]],
                 "truncated": False}
# A component as the compiler emits it (plain JavaScript over the sandbox's React).
CUSTOM_JS = """
function Widget(props) {
  const max = Math.max(1, ...props.rows.map((r) => r.value || 0));
  return React.createElement("ol", { "data-testid": "leaderboard", style: { margin: 0, paddingLeft: 20 } },
    props.rows.map((r, i) => React.createElement("li", { key: i, style: { margin: "4px 0" } },
      React.createElement("div", null, r.region + ": $" + Math.round(r.value || 0).toLocaleString("en-US")),
      React.createElement("div", { style: { height: 8, width: ((r.value || 0) / max) * 100 + "%",
        background: "#3b6fd8", borderRadius: 4 } }))));
}
"""
QUESTION = {"id": "metric", "text": "Which measure do you mean by “how are we doing” across every line of business?",
            "options": ["Claim count", "Total paid amount", "Average days to settle", "Approval rate"]}


def versioned(widget: Widget) -> Widget:
    version_write(widget=widget, origin=VersionOrigin.CREATE, change="", user=widget.dashboard.owner)
    return widget


def seed_board(django_user_model: Any) -> Dashboard:
    """A dashboard with one of each: a KPI, a bar and a line chart, a wide table, a custom widget, two
    pending questions, a request being built, and a deleted widget in its history."""
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    board = Dashboard.objects.create(owner=owner, name="Claims overview for the north-eastern adjusters' weekly review")
    Dashboard.objects.create(owner=owner, name="Scratch")
    versioned(add_widget(board, spec=KPI_SPEC, result=KPI_RESULT))
    versioned(add_widget(board, spec=BAR_SPEC, result=BAR_RESULT))
    versioned(add_widget(board, spec=WIDE_SPEC, result=WIDE_RESULT, width=2))
    versioned(add_widget(board, spec=LINE_SPEC, result=LINE_RESULT))
    versioned(add_widget(board, spec=CUSTOM_SPEC, result=CUSTOM_RESULT, component_js=CUSTOM_JS))
    versioned(add_widget(board, spec={**BAR_SPEC, "title": "An old chart"}, result=BAR_RESULT,
                         deleted_at=timezone.now()))
    for n in range(2):
        add_request(board, prompt=f"how are we doing this quarter compared with last, across every line {n}",
                    status=RequestStatus.NEEDS_CLARIFICATION, questions=[QUESTION])
    running = add_request(board, prompt="total paid amount over the last 30 days by channel and region",
                          status=RequestStatus.RUNNING)
    WidgetStep.objects.create(widget_request=running, name=StepName.SQL, state=StepState.RUNNING, attempts=1,
                              started_at=timezone.now() - timedelta(seconds=4))
    return board


# ---- The page at each size ----

# Every control a person can reach in ``root``, with its box: buttons, links, selects, inputs, summaries.
CONTROLS_JS = """(root) => [...root.querySelectorAll('button, a[href], select, input, textarea, summary')]
  .filter((e) => e.getClientRects().length && !e.closest('.visually-hidden, [hidden], .skip-link'))
  .map((e) => { const r = (e.tagName === 'INPUT' && e.closest('label') || e).getBoundingClientRect(); // a label is tapped too
    return { what: `${e.tagName.toLowerCase()}[${e.dataset.testid || (e.textContent || e.value || '').trim().slice(0, 30)}]`,
             left: r.left, right: r.right, width: r.width, height: r.height,
             scrolls: Boolean(e.closest('.table-scroll')) }; })"""
# Where a cell is in its scrolling box, in px from the box's top left corner.
PLACE_JS = """(cell) => { const c = cell.getBoundingClientRect(), b = cell.closest('.table-scroll').getBoundingClientRect();
  return [c.left - b.left, c.top - b.top]; }"""
# A chart's box width and its canvas's.
FITS_JS = """(box) => [Math.round(box.clientWidth),
  Math.round(box.querySelector('canvas').getBoundingClientRect().width)]"""
TAP_PX = 32  # a phone's controls: at least this tall and wide (WCAG asks 24; a finger wants more)


@pytest.fixture(params=[PHONE, LAPTOP], ids=["phone", "laptop"])
def size(request: pytest.FixtureRequest) -> dict[str, int]:
    return request.param


@pytest.fixture
def page(browser_page: Page, size: dict[str, int]) -> Iterator[Page]:
    """The laptop: a desktop window of that size. The phone: a touch screen that reports itself as one
    (no hover, a coarse pointer, the page's own viewport), as a phone's browser does."""
    if size is LAPTOP:
        browser_page.set_viewport_size(size)
        yield browser_page
        return
    browser = browser_page.context.browser
    assert browser is not None
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport=size, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    return seed_board(django_user_model)


def press(page: Page, target: Locator) -> None:
    """A tap on a touch screen, a click elsewhere."""
    if page.evaluate("matchMedia('(pointer: coarse)').matches"):
        target.tap()
    else:
        target.click()


def open_board(page: Page, base_url: str, board: Dashboard) -> None:
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    expect(page.get_by_test_id("widget-card")).to_have_count(5)
    expect(page.get_by_test_id("request-card")).to_have_count(3)


def assert_no_sideways_scroll(page: Page, size: dict[str, int], where: str) -> None:
    # Against the size itself: a phone's browser zooms out to fit a page that is too wide, which would
    # make ``innerWidth`` grow with the page.
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= min(widths[1], size["width"]), f"{where} scrolls sideways: {widths[0]} px wide on {size['width']}"


def assert_controls_fit(root: Locator, size: dict[str, int]) -> None:
    """Every control under ``root`` is within the screen's width (those in a table that scrolls sideways
    excepted) and, on a phone, big enough to tap."""
    controls = root.evaluate(CONTROLS_JS)
    assert controls, f"no controls under {root}"
    outside = [c["what"] for c in controls if not c["scrolls"] and (c["left"] < -1 or c["right"] > size["width"] + 1)]
    assert not outside, f"controls off the screen: {outside}"
    if size is PHONE:
        small = [f"{c['what']} {c['width']:.0f}x{c['height']:.0f}" for c in controls
                 if c["height"] < TAP_PX or c["width"] < TAP_PX]
        assert not small, f"too small to tap: {small}"


def within(inner: dict[str, float] | None, outer: dict[str, float], *, slack: float = 1) -> bool:
    assert inner is not None
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


def test_no_page_scrolls_sideways(
    page: Page, live_server: Any, demo_source: Any, board: Dashboard, size: dict[str, int],
    screenshot: Callable[[Page, str], Path],
) -> None:
    log_in(page, live_server.url, board.owner.username)
    assert_no_sideways_scroll(page, size, "the dashboards list")
    assert_controls_fit(page.locator("main"), size)
    screenshot(page, "list")
    page.goto(f"{live_server.url}/catalog/?dashboard={board.id}")
    expect(page.get_by_test_id("catalog-metric").first).to_be_visible()
    assert_no_sideways_scroll(page, size, "the catalog")
    screenshot(page, "catalog")
    page.goto(f"{live_server.url}/profile/")
    page.get_by_label("Name").fill("nightly export of the claims figures for the finance team")
    press(page, page.get_by_role("button", name="Make token"))
    expect(page.get_by_test_id("token-row")).to_have_count(1)
    assert_no_sideways_scroll(page, size, "the profile page with a token")
    screenshot(page, "profile")
    open_board(page, live_server.url, board)
    assert_no_sideways_scroll(page, size, "the dashboard")
    assert_controls_fit(page.locator("main"), size)
    screenshot(page, "dashboard")


def test_a_wide_table_scrolls_in_its_card_and_keeps_its_key_column_in_view(
    page: Page, live_server: Any, board: Dashboard, size: dict[str, int], screenshot: Callable[[Page, str], Path],
) -> None:
    open_board(page, live_server.url, board)
    card = page.locator("[data-testid=widget-card][data-kind=table]")
    scroller = card.get_by_test_id("table-scroll")
    scroller.scroll_into_view_if_needed()
    widths = scroller.evaluate("(box) => [box.scrollWidth, box.clientWidth]")
    assert widths[0] > widths[1] + 50, f"the wide table does not scroll sideways in its box: {widths}"
    # It says so before anyone scrolls: a shadow at the edge with more to see, and the hint.
    expect(scroller).to_have_class(re.compile(r"\bscrolls\b.*\bmore-right\b"))
    expect(card.get_by_test_id("table-hint")).to_be_visible()
    assert "gradient" in scroller.evaluate("(box) => getComputedStyle(box).backgroundImage")
    key = card.locator("tbody tr").first.locator("th")
    figure = card.locator("tbody tr").first.locator("td").nth(1)
    expect(key).to_have_text(STATUSES[0])  # the whole label: wrapped, not cut
    assert key.evaluate("(th) => { const s = th.firstElementChild; return s.scrollWidth <= s.clientWidth; }")
    key_before, figure_before = key.evaluate(PLACE_JS), figure.evaluate(PLACE_JS)

    scroller.evaluate("(box) => { box.scrollLeft = box.scrollWidth; }")
    expect(scroller).to_have_class(re.compile(r"\bmore-left\b"))
    assert scroller.evaluate("(box) => box.scrollLeft") > 50
    assert figure.evaluate(PLACE_JS)[0] < figure_before[0] - 50, "the figures did not move"
    assert key.evaluate(PLACE_JS) == pytest.approx(key_before, abs=1), "the key column scrolled away"
    assert within(key.bounding_box(), scroller.bounding_box() or {}), "the key column is out of its box"
    # Its shadow falls on the figures that slid under it, and the hint has gone at the end.
    assert "gradient" in key.evaluate("(th) => getComputedStyle(th, '::after').backgroundImage")
    expect(card.get_by_test_id("table-hint")).to_be_hidden()
    # The header's key cell stays too (it is what says what the column is).
    head = card.locator("thead th").first
    assert within(head.bounding_box(), scroller.bounding_box() or {})
    assert_no_sideways_scroll(page, size, "the dashboard with its table scrolled")
    screenshot(page, "table-scrolled")


def test_the_card_controls_are_shown_without_a_hover_and_the_menu_stays_on_the_screen(
    page: Page, live_server: Any, board: Dashboard, size: dict[str, int], screenshot: Callable[[Page, str], Path],
) -> None:
    open_board(page, live_server.url, board)
    page.mouse.move(0, 0)  # nothing hovered
    for card in page.get_by_test_id("widget-card").all():
        card.scroll_into_view_if_needed()
        for testid in ("refine-open", "widget-menu", "move-earlier", "layout-height"):
            control = card.get_by_test_id(testid)
            expect(control).to_be_visible()
            assert within(control.bounding_box(), {"x": 0, "y": 0, **size}), f"{testid} is off the screen"
        # In one column every card takes the row: a width would change nothing, so it is not offered there.
        width = card.get_by_test_id("layout-width")
        expect(width).to_be_hidden() if size is PHONE else expect(width).to_be_visible()
        tools = card.locator(".layout-tools")
        opacity = float(tools.evaluate("(e) => getComputedStyle(e).opacity"))
        if size is PHONE:  # there is no hover on a touch screen: the controls are shown in full
            assert opacity == 1, f"the layout controls are dimmed until hovered ({opacity})"
    assert_controls_fit(page.get_by_test_id("widget-grid"), size)
    history = page.get_by_test_id("dashboard-history")
    press(page, history.locator("summary"))
    expect(history.get_by_test_id("deleted-widget")).to_have_count(1)
    history.scroll_into_view_if_needed()
    assert_controls_fit(history, size)

    card = page.locator("[data-testid=widget-card][data-kind=chart]").first
    card.scroll_into_view_if_needed()
    press(page, card.get_by_test_id("refine-open"))
    form = card.get_by_test_id("refine-form")
    expect(form).to_be_visible()
    assert within(form.bounding_box(), card.bounding_box() or {}), "the refine box spills out of its card"
    assert_controls_fit(form, size)
    press(page, card.get_by_test_id("widget-menu"))
    menu = card.get_by_test_id("widget-menu-list")
    expect(menu).to_be_visible()
    menu.scroll_into_view_if_needed()
    assert within(menu.bounding_box(), {"x": 0, "y": 0, **size}), "the menu is off the screen"
    assert_controls_fit(menu, size)
    screenshot(page, "menu")


def test_the_detail_panel_fits_the_screen_and_scrolls(
    page: Page, live_server: Any, board: Dashboard, size: dict[str, int], screenshot: Callable[[Page, str], Path],
) -> None:
    page.route("**/api/widgets/*/detail/", lambda route: route.fulfill(json=DETAIL))
    open_board(page, live_server.url, board)
    card = page.locator("[data-testid=widget-card][data-kind=chart]").first
    card.scroll_into_view_if_needed()
    press(page, card.get_by_test_id("widget-menu"))
    press(page, card.get_by_test_id("menu-detail"))
    panel = page.get_by_test_id("detail-panel")
    expect(panel.get_by_test_id("call")).to_have_count(2)
    expect(panel.get_by_test_id("version")).to_have_count(1)
    screen = {"x": 0, "y": 0, **size}
    assert within(panel.bounding_box(), screen), "the panel is bigger than the screen"
    if size is PHONE:
        assert (panel.bounding_box() or {})["width"] >= size["width"] - 1, "on a phone the panel takes the screen"
    sizes = panel.evaluate("(p) => [p.scrollWidth, p.clientWidth, p.scrollHeight, p.clientHeight]")
    assert sizes[0] <= sizes[1], f"the panel scrolls sideways: {sizes}"
    assert sizes[2] > sizes[3], "the panel's content fits without scrolling: nothing to check"
    page.screenshot(path=screenshot(page, "detail"))  # the screen itself: the panel is fixed to it

    panel.evaluate("(p) => { p.scrollTop = p.scrollHeight; }")
    total = panel.get_by_test_id("detail-total")
    assert within(total.bounding_box(), screen), "the panel's end cannot be scrolled to"
    close = panel.get_by_test_id("detail-close")
    assert within(close.bounding_box(), screen), "Close scrolled away"
    assert_controls_fit(panel, size)
    page.screenshot(path=screenshot(page, "detail-end"))
    press(page, close)
    expect(panel).to_be_hidden()


def test_a_chart_is_redrawn_at_its_cards_new_width(
    page: Page, live_server: Any, board: Dashboard, size: dict[str, int], screenshot: Callable[[Page, str], Path],
) -> None:
    open_board(page, live_server.url, board)
    card = page.locator("[data-testid=widget-card][data-kind=chart]").first
    chart = card.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    box_width, canvas_width = chart.evaluate(FITS_JS)
    assert abs(box_width - canvas_width) <= 1, (box_width, canvas_width)
    assert box_width <= size["width"]
    if size is LAPTOP:  # the card goes from two columns to one
        card.get_by_test_id("layout-width").select_option("1")
    else:  # the phone turned sideways
        page.set_viewport_size({"width": size["height"], "height": size["width"]})
    page.wait_for_function(
        "([box, before]) => { const w = box.querySelector('canvas').getBoundingClientRect().width;"
        " return Math.abs(box.clientWidth - before) > 50 && Math.abs(box.clientWidth - w) <= 1; }",
        arg=[chart.element_handle(), box_width])
    screenshot(page, "chart-resized")
