"""Card controls end to end in a real browser, on the real widget endpoints and the offline pipeline:
build, refine twice, undo, restore; delete and undo (the toast, then the dashboard's history); CSV export.

Widgets are built by the real pipeline (the offline model, the demo warehouse); refinements go through
the API and Dramatiq's stub broker, consumed by an in-thread worker (as in ``test_flow``).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dramatiq import Worker
from playwright.sync_api import Locator, Page, expect

from tests.e2e.test_pages import PASSWORD, log_in
from widgets.models import Dashboard, Widget, WidgetRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

BUILD_MS = 30_000


@pytest.fixture
def board(django_user_model: Any, demo_source: Any) -> Dashboard:
    analyst = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    return Dashboard.objects.create(owner=analyst, name="Claims overview")


def build(board: Dashboard, prompt: str) -> Widget:
    """Run ``prompt`` through the real pipeline, synchronously, and return its widget."""
    from widgets.services import runner
    from widgets.services.requests import widget_request_create

    created = widget_request_create(user=board.owner, dashboard=board, prompt=prompt, enqueue=False)
    status = runner.run(request_id=created.id)
    assert status == "ready", (status, WidgetRequest.objects.get(id=created.id).error_message)
    return Widget.objects.get(request_id=created.id)


def open_board(page: Page, base_url: str, board: Dashboard) -> None:
    log_in(page, base_url, board.owner.username)
    page.goto(f"{base_url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")


def build_in_page(page: Page, prompt: str) -> Locator:
    """Ask for ``prompt`` in the page's builder (the in-thread worker builds it); return its card, once shown."""
    page.get_by_test_id("prompt-input").fill(prompt)
    page.get_by_test_id("prompt-submit").click()
    card = page.get_by_test_id("widget-card")
    expect(card).to_have_count(1, timeout=BUILD_MS)
    return card


def refine(page: Page, card: Locator, prompt: str, *, version: int) -> None:
    card.get_by_test_id("refine-open").click()
    card.get_by_test_id("refine-input").fill(prompt)
    card.get_by_test_id("refine-input").press("Enter")
    expect(card.get_by_test_id("card-requests").get_by_test_id("request-card")).to_have_count(1)  # shown on the card
    expect(card).to_have_attribute("data-version", str(version), timeout=BUILD_MS)
    expect(card.get_by_test_id("request-card")).to_have_count(0)


def test_build_refine_twice_undo_and_restore_a_version(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = browser_page
    open_board(page, live_server.url, board)
    card = build_in_page(page, "claim count by region over the last 90 days")
    widget = Widget.objects.get(dashboard=board)
    expect(card).to_have_attribute("data-version", "1")
    first_kind = card.get_attribute("data-display")
    expect(card.get_by_test_id("widget-undo")).to_have_count(0)  # nothing to undo at version 1

    refine(page, card, "make it a line chart", version=2)
    expect(card).to_have_attribute("data-display", "line")
    screenshot(page, "refined-once")
    refine(page, card, "only the top 2", version=3)
    expect(card.get_by_test_id("version-badge")).to_have_text("v3")
    widget.refresh_from_db()
    assert widget.version == 3 and (widget.spec.get("ranking") or {}).get("n") == 2
    assert Widget.objects.filter(dashboard=board).count() == 1, "refinements change the widget, never add one"

    card.get_by_test_id("widget-undo").click()  # back to version 2's state, as version 4
    expect(card).to_have_attribute("data-version", "4", timeout=BUILD_MS)
    expect(card).to_have_attribute("data-display", "line")
    widget.refresh_from_db()
    assert not widget.spec.get("ranking")
    screenshot(page, "undone")

    card.get_by_test_id("version-badge").click()
    panel = page.get_by_test_id("detail-panel")
    versions = panel.get_by_test_id("version")
    expect(versions).to_have_count(4)
    expect(versions.first).to_have_attribute("aria-current", "true")
    panel.locator("[data-testid=version][data-number='1']").get_by_test_id("version-restore").click()
    expect(versions).to_have_count(5)
    expect(card).to_have_attribute("data-version", "5")
    expect(card).to_have_attribute("data-display", first_kind or "")
    screenshot(page, "history-after-restore")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_a_deleted_widget_comes_back_with_undo_and_from_the_dashboards_history(
    browser_page: Page, live_server: Any, board: Dashboard, screenshot: Callable[[Page, str], Path],
) -> None:
    build(board, "total paid amount over the last 30 days")
    build(board, "claim count by region over the last 90 days as a table")
    page = browser_page
    open_board(page, live_server.url, board)
    cards = page.get_by_test_id("widget-card")
    expect(cards).to_have_count(2)
    first = cards.first
    title = first.locator(".widget-title").inner_text()

    first.get_by_test_id("widget-menu").click()
    first.get_by_test_id("menu-delete").click()
    expect(cards).to_have_count(1)
    toast = page.get_by_test_id("toast")
    expect(toast).to_contain_text(f"Deleted “{title}”.")
    expect(toast.get_by_test_id("toast-undo")).to_be_focused()  # the keyboard is one Enter from undoing
    screenshot(page, "deleted-toast")
    page.keyboard.press("Enter")
    expect(cards).to_have_count(2)
    expect(cards.first.locator(".widget-title")).to_have_text(title)  # back where it was
    expect(toast).to_have_count(0)

    cards.first.get_by_test_id("widget-menu").click()
    cards.first.get_by_test_id("menu-delete").click()
    page.get_by_test_id("toast-close").click()  # the toast gone: the history still has it
    expect(cards).to_have_count(1)
    page.reload()
    expect(cards).to_have_count(1)
    history = page.get_by_test_id("dashboard-history")
    history.locator("summary").click()
    deleted = history.get_by_test_id("deleted-widget")
    expect(deleted).to_have_count(1)
    expect(deleted).to_contain_text(title)
    screenshot(page, "history")
    deleted.get_by_test_id("deleted-restore").click()
    expect(cards).to_have_count(2)
    expect(history.get_by_test_id("deleted-empty")).to_be_visible()


def test_export_csv_downloads_the_widgets_rows_with_labels(
    browser_page: Page, live_server: Any, board: Dashboard,
) -> None:
    widget = build(board, "claim count by region over the last 90 days as a table")
    page = browser_page
    open_board(page, live_server.url, board)
    card = page.get_by_test_id("widget-card")
    card.get_by_test_id("widget-menu").click()
    with page.expect_download() as info:
        card.get_by_test_id("menu-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["Region", "Claim count"]
    assert len(rows) - 1 == len(widget.result["rows"])
    by_label = {label: int(float(value)) for label, value in rows[1:]}
    assert sum(by_label.values()) == sum(int(r[1]) for r in widget.result["rows"])
    assert all(label[:1].isupper() for label in by_label), "value labels, not stored codes"


def test_duplicate_then_move_to_another_of_the_analysts_dashboards(
    browser_page: Page, live_server: Any, board: Dashboard, django_user_model: Any,
    screenshot: Callable[[Page, str], Path],
) -> None:
    """The move form offers every dashboard the analyst owns but this one, and nobody else's shared one."""
    widget = build(board, "total paid amount over the last 30 days")
    target = Dashboard.objects.create(owner=board.owner, name="Motor review")
    other = django_user_model.objects.create_user(username="bob", password=PASSWORD)
    Dashboard.objects.create(owner=other, name="Bob's shared board", is_private=False)
    page = browser_page
    open_board(page, live_server.url, board)
    cards = page.get_by_test_id("widget-card")
    cards.first.get_by_test_id("widget-menu").click()
    cards.first.get_by_test_id("menu-duplicate").click()
    expect(cards).to_have_count(2)

    cards.first.get_by_test_id("widget-menu").click()
    cards.first.get_by_test_id("menu-move").click()
    select = page.get_by_test_id("move-select")
    expect(select).to_be_enabled()
    assert [o.strip() for o in select.locator("option").all_inner_texts()] == ["Motor review"]
    screenshot(page, "move-form")
    page.get_by_test_id("move-form").get_by_role("button", name="Move").click()
    expect(cards).to_have_count(1)
    expect(page.get_by_test_id("toast")).to_contain_text("to Motor review")
    moved = Widget.objects.filter(dashboard=target)
    assert moved.count() == 1 and Widget.objects.filter(dashboard=board).count() == 1
    assert widget.id in {moved.get().id, *Widget.objects.filter(dashboard=board).values_list("id", flat=True)}
    page.goto(f"{live_server.url}/dashboards/{target.id}/")
    expect(page.get_by_test_id("widget-card")).to_have_count(1)


def test_a_long_history_shows_its_newest_page_then_older_versions_on_request(
    browser_page: Page, live_server: Any, board: Dashboard,
) -> None:
    """The versions list is paged (50 a page): the panel shows the newest 50, and "Show older versions" the rest."""
    from widgets.services.widget_edits import widget_update

    widget = build(board, "claim count by region over the last 90 days")
    for n in range(2, 54):
        widget = widget_update(user=board.owner, widget=widget, title=f"Claims, take {n}")
    page = browser_page
    open_board(page, live_server.url, board)
    card = page.get_by_test_id("widget-card")
    card.get_by_test_id("version-badge").click()
    panel = page.get_by_test_id("detail-panel")
    versions = panel.get_by_test_id("version")
    expect(versions).to_have_count(50)
    expect(versions.first).to_have_attribute("data-number", "53")
    expect(versions.first).to_have_attribute("aria-current", "true")
    expect(panel.get_by_test_id("history-undo")).to_be_visible()
    panel.get_by_test_id("versions-older").click()
    expect(versions).to_have_count(53)
    expect(versions.last).to_have_attribute("data-number", "1")
    expect(panel.get_by_test_id("versions-older")).to_be_hidden()
    expect(panel.get_by_test_id("turn")).to_have_count(1)  # renames are versions, not turns of the conversation


def test_the_detail_panel_shows_no_stray_text_outside_its_sections(
    browser_page: Page, live_server: Any, board: Dashboard,
) -> None:
    """Without a dashboard window the panel has no window note; nothing stands in for it (it once said "null")."""
    build(board, "claim count by region over the last 90 days")
    page = browser_page
    open_board(page, live_server.url, board)
    card = page.get_by_test_id("widget-card")
    card.get_by_test_id("widget-menu").click()
    card.get_by_test_id("menu-detail").click()
    panel = page.get_by_test_id("detail-panel")
    expect(panel.get_by_test_id("detail-history")).to_be_visible()
    expect(panel.get_by_test_id("detail-window-note")).to_have_count(0)
    loose = panel.evaluate("d => [...d.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)"
                           ".map((n) => n.textContent).join('').trim()")
    assert loose == ""


def test_a_follow_up_the_widget_already_shows_says_so_with_no_retry(
    browser_page: Page, live_server: Any, worker: Worker, board: Dashboard,
) -> None:
    """Trying it again would read the same words the same way: the card offers Dismiss, not "Try again",
    nor an edit that would make the follow-up a new widget."""
    page = browser_page
    open_board(page, live_server.url, board)
    card = build_in_page(page, "claim count by region over the last 90 days")
    refine(page, card, "make it a line chart", version=2)
    card.get_by_test_id("refine-open").click()
    card.get_by_test_id("refine-input").fill("as a line chart")
    card.get_by_test_id("refine-input").press("Enter")
    failed = card.get_by_test_id("request-card")
    expect(failed).to_have_attribute("data-status", "failed", timeout=BUILD_MS)
    expect(failed.get_by_test_id("request-error")).to_contain_text("already shows that")
    for testid in ("request-retry", "request-edit", "request-catalog"):
        expect(failed.get_by_test_id(testid)).to_have_count(0)
    failed.get_by_role("button", name="Dismiss").click()
    expect(card.get_by_test_id("request-card")).to_have_count(0)
    expect(card).to_have_attribute("data-version", "2")
