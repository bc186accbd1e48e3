"""Card controls in a real browser, against a fake of the widget endpoints' contract.

The widget endpoints (``/api/widgets/<id>/…``) are answered by a small in-test fake holding one widget's
versions, so the card's behaviours that need exact answers are checked on exactly those answers: the
server's ``kind_needs_refine`` refusal offering a refinement, a viewer seeing no control that writes, the
detail panel's contents and its keyboard use, the menu's keyboard use, and the phone width. The real
endpoints are driven end to end in ``test_card_controls.py``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_pages import PASSWORD, add_widget, log_in
from widgets.models import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

SPEC = {
    "kind": "chart", "title": "Claims by region", "metric": {"key": "claim_count", "name": "Claims", "unit": "count"},
    "dimensions": ["region"], "filters": [], "time_window": {"kind": "rolling", "n": 90, "unit": "day"},
    "chart_type": "bar",
}
RESULT = {"columns": ["region", "claim_count"],
          "rows": [["midwest", 4210], ["northeast", 3875], ["south", 5342], ["west", 2968]], "truncated": False}
VERSIONS = [
    {"id": 3, "number": 2, "source": "refine", "change": "Top 4 regions", "created_by": "erin",
     "created_at": "2026-12-02T10:00:00Z", "is_current": True},
    {"id": 1, "number": 1, "source": "create", "change": "", "created_by": "erin",
     "created_at": "2026-12-01T10:00:00Z", "is_current": False},
]
DETAIL = {
    "interpretation": {"text": "Claims · by region · last 90 days"}, "spec": SPEC, "sql": "SELECT region, COUNT(*) FROM claims",
    "sql_pretty": "SELECT\n  region,\n  COUNT(*)\nFROM claims", "sql_explanation": "Counts claims per region.",
    "tsx": "",
    "calls": [{"step": "clarify", "tier": "fast", "model": "offline-fast", "latency_ms": 12, "input_tokens": 1200,
               "output_tokens": 40, "cost_usd": "0.0010", "outcome": "ok", "at": "2026-12-02T10:00:00Z"},
              {"step": "sql", "tier": "reasoning", "model": "offline-reasoning", "latency_ms": 2400,
               "input_tokens": 3000, "output_tokens": 200, "cost_usd": "0.0200", "outcome": "corrected",
               "at": "2026-12-02T10:00:01Z"}],
    "total_cost_usd": "0.0210",
}


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    owner = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=owner, name="Claims overview")


def fake_widget_api(page: Page, *, can_edit: bool = True) -> dict[str, Any]:
    """Answer the widget endpoints from a fake; the dashboard's own answer gains the contract's fields.
    Returns what the fake was sent, by path."""
    sent: dict[str, Any] = {}

    def dashboard(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        for widget in data.get("widgets", []):
            widget.update(version=2, version_count=2, can_edit=can_edit, deleted_at=None)
        route.fulfill(response=response, body=json.dumps(data), headers={**response.headers})

    def widgets(route: Route) -> None:
        request = route.request
        path = re.sub(r"^.*/api/widgets/\d+/", "", request.url).split("?")[0]
        sent[f"{request.method} {path}"] = request.post_data_json if request.post_data else None
        if path == "versions/":
            return route.fulfill(json={"count": len(VERSIONS), "next": None, "previous": None, "results": VERSIONS})
        if path == "detail/":
            return route.fulfill(json=DETAIL)
        if request.method == "PATCH" and (request.post_data_json or {}).get("kind") == "kpi":
            return route.fulfill(status=400, json={"code": "kind_needs_refine", "extra": {},
                                                   "message": "A KPI shows one number: this widget has a row per region."})
        return route.fulfill(status=404, json={"code": "not_found", "message": "Not in the fake.", "extra": {}})

    page.route("**/api/dashboards/*/", dashboard)
    page.route("**/api/widgets/**", widgets)
    return sent


def open_board(page: Page, base_url: str, board: Dashboard, **fake: Any) -> dict[str, Any]:
    sent = fake_widget_api(page, **fake)
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    return sent


def test_a_kind_that_needs_new_sql_shows_the_servers_reason_and_offers_to_refine_instead(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=SPEC, result=RESULT)
    sent = open_board(browser_page, live_server.url, board)
    card = browser_page.get_by_test_id("widget-card")

    card.get_by_test_id("widget-menu").click()
    card.get_by_test_id("menu-kind").click()
    form = card.get_by_test_id("kind-form")
    expect(form.get_by_test_id("kind-line")).to_have_attribute("data-fits", "true")
    expect(form.get_by_test_id("kind-kpi")).to_have_attribute("data-fits", "false")
    form.get_by_label("KPI").check()
    form.get_by_test_id("kind-form-submit").click()

    expect(form.get_by_test_id("kind-form-error")).to_have_text(
        "A KPI shows one number: this widget has a row per region.")
    assert sent["PATCH "] == {"kind": "kpi"}
    screenshot(browser_page, "kind-needs-refine")
    form.get_by_test_id("kind-refine-instead").click()
    expect(card.get_by_test_id("refine-input")).to_have_value("Show it as a single KPI number")
    expect(card.get_by_test_id("refine-input")).to_be_focused()


def test_a_viewer_sees_no_control_that_writes(browser_page: Page, live_server: Any, board: Dashboard) -> None:
    add_widget(board, spec=SPEC, result=RESULT)
    open_board(browser_page, live_server.url, board, can_edit=False)
    card = browser_page.get_by_test_id("widget-card")

    expect(card.get_by_test_id("widget-menu")).to_be_visible()
    for testid in ("refine-open", "widget-undo"):
        expect(card.get_by_test_id(testid)).to_have_count(0)
    card.get_by_test_id("widget-menu").click()
    expect(card.get_by_test_id("menu-detail")).to_be_visible()
    expect(card.get_by_test_id("menu-csv")).to_be_visible()
    for testid in ("menu-kind", "menu-rename", "menu-duplicate", "menu-move", "menu-refresh", "menu-delete"):
        expect(card.get_by_test_id(testid)).to_have_count(0)
    card.get_by_test_id("menu-history").click()
    panel = browser_page.get_by_test_id("detail-panel")
    expect(panel.get_by_test_id("version")).to_have_count(2)
    expect(panel.get_by_test_id("version-restore")).to_have_count(0)
    expect(panel.get_by_test_id("history-undo")).to_have_count(0)


def test_the_menu_and_the_detail_panel_work_from_the_keyboard(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    add_widget(board, spec=SPEC, result=RESULT)
    open_board(browser_page, live_server.url, board)
    page = browser_page
    card = page.get_by_test_id("widget-card")

    menu = card.get_by_test_id("widget-menu")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(card.get_by_test_id("menu-detail")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(card.get_by_test_id("menu-history")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # Details…
    panel = page.get_by_test_id("detail-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("detail-interpretation")).to_contain_text("Claims · by region · last 90 days")
    expect(panel.get_by_test_id("detail-spec")).to_contain_text('"chart_type": "bar"')
    expect(panel.get_by_test_id("sql-explanation")).to_have_text("Counts claims per region.")
    expect(panel.get_by_test_id("detail-sql")).to_contain_text("COUNT(*)\nFROM claims")
    expect(panel.get_by_test_id("detail-tsx")).to_have_count(0)
    calls = panel.get_by_test_id("call")
    expect(calls).to_have_count(2)
    expect(calls.nth(1)).to_contain_text("reasoning")
    expect(calls.nth(1)).to_contain_text("2.4 s")
    expect(calls.nth(1)).to_contain_text("3,000 in · 200 out")
    expect(panel.get_by_test_id("detail-total")).to_contain_text("$0.0210")
    expect(panel.get_by_test_id("version").first).to_contain_text("Top 4 regions")
    screenshot(page, "detail-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(menu).to_be_focused()  # back where the panel was opened from


@pytest.mark.parametrize("size", [(390, 844), (1366, 768)], ids=["phone", "laptop"])
def test_the_card_controls_fit_a_phone_and_a_laptop(
    browser_page: Page, live_server: Any, board: Dashboard, size: tuple[int, int],
    screenshot: Callable[[Page, str], Path],
) -> None:
    width, height = size
    browser_page.set_viewport_size({"width": width, "height": height})
    add_widget(board, spec=SPEC, result=RESULT)
    open_board(browser_page, live_server.url, board)
    card = browser_page.get_by_test_id("widget-card")
    card.get_by_test_id("widget-menu").click()
    menu = card.get_by_test_id("widget-menu-list")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, "the menu stays on the screen"
    screenshot(browser_page, f"menu-{width}")
    card.get_by_test_id("menu-detail").click()
    panel = browser_page.get_by_test_id("detail-panel")
    expect(panel.get_by_test_id("call")).to_have_count(2)
    panel_box = panel.bounding_box()
    assert panel_box is not None and panel_box["width"] <= width
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scroll"
    screenshot(browser_page, f"detail-{width}")
