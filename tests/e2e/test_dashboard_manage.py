"""Managing a dashboard in Chromium: create it on the list page, rename it in place, share it (another analyst
then sees it view-only and cannot change it), make it private again (they get 404), delete it and undo from
the toast, delete it again and restore it from "Recently deleted"; and the page head at laptop and phone
sizes. Everything goes through the real pages and API; no widget is built."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_pages import PASSWORD, log_in
from widgets.models import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

Shot = Callable[[Page, str], Path]

# The page's own fetch, with its CSRF token: what a script in another analyst's session could send.
FETCH = """async ([url, method, body]) => {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const response = await fetch(url, {method, credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": token}, body: body ? JSON.stringify(body) : undefined});
  return [response.status, await response.json().catch(() => null)];
}"""


@pytest.fixture
def ana(django_user_model: Any) -> Any:
    """The owner; "ben" is another analyst."""
    django_user_model.objects.create_user(username="ben", password=PASSWORD)
    return django_user_model.objects.create_user(username="ana", password=PASSWORD)


@pytest.fixture
def ben_page(browser_page: Page) -> Iterator[Page]:
    """A second analyst in a browser context of their own (their own session)."""
    context = browser_page.context.browser.new_context(locale="en-US", timezone_id="UTC",
                                                       viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def script_errors(page: Page) -> list[str]:
    """Collect the page's script errors and policy violations (the refused calls' 4xx are expected)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def rename_to(page: Page, name: str) -> None:
    page.get_by_test_id("rename-open").click()
    expect(page.get_by_test_id("rename-input")).to_be_focused()
    page.get_by_test_id("rename-input").fill(name)
    page.get_by_test_id("rename-input").press("Enter")


def test_create_rename_share_unshare_delete_undo_and_restore(
    browser_page: Page, ben_page: Page, live_server: Any, ana: Any, screenshot: Shot,
) -> None:
    page, base = browser_page, live_server.url
    errors = script_errors(page)
    log_in(page, base, "ana")
    page.get_by_label("Name").fill("Claims overview")
    page.get_by_role("button", name="Create dashboard").click()
    title = page.get_by_test_id("dashboard-name")
    expect(title).to_have_text("Claims overview")
    board = Dashboard.objects.get(owner__username="ana", name="Claims overview")
    url = f"{base}/dashboards/{board.id}/"
    api = f"/api/dashboards/{board.id}/"
    manage = page.get_by_test_id("dashboard-manage")
    expect(manage).to_be_visible()
    expect(page.get_by_test_id("dashboard-privacy")).to_have_text("Private")
    screenshot(page, "created")

    # Rename: refused names keep the box open with the reason; Escape puts the name back.
    error = page.get_by_test_id("rename-error")
    box = page.get_by_test_id("rename-input")
    for bad, reason in (("   ", "Give the dashboard a name of 1 to 120 characters."),
                        ("x" * 121, "Give the dashboard a name of 1 to 120 characters."),
                        ("Claims\x00overview", "NUL character")):
        rename_to(page, bad) if not box.is_visible() else (box.fill(bad), box.press("Enter"))
        expect(error).to_contain_text(reason)
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_be_focused()
    screenshot(page, "rename-refused")
    box.press("Escape")
    expect(box).to_be_hidden()
    expect(error).to_be_hidden()
    expect(title).to_have_text("Claims overview")
    expect(page.get_by_test_id("rename-open")).to_be_focused()
    rename_to(page, "Claims Q3")
    expect(title).to_have_text("Claims Q3")
    expect(page).to_have_title("Claims Q3 · Widget Builder")
    expect(page.get_by_test_id("rename-open")).to_be_focused()
    page.reload()
    expect(title).to_have_text("Claims Q3")

    # Share: the button says what it will do; the tag says what the dashboard is.
    share = page.get_by_test_id("share-toggle")
    expect(share).to_have_text("Share (everyone can view)")
    share.click()
    expect(share).to_have_text("Make private")
    expect(page.get_by_test_id("dashboard-privacy")).to_have_text("Shared")
    board.refresh_from_db()
    assert board.is_private is False
    screenshot(page, "shared")

    # Another analyst sees it, view only, with none of the owner's controls, and cannot change it.
    log_in(ben_page, base, "ben")
    expect(ben_page.get_by_test_id("dashboard-link")).to_have_text(["Claims Q3"])
    ben_page.goto(url)
    expect(ben_page.get_by_test_id("dashboard-name")).to_have_text("Claims Q3")
    expect(ben_page.get_by_test_id("view-only")).to_have_text("by ana · view only")
    expect(ben_page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    for control in ("dashboard-manage", "rename-open", "rename-form", "share-toggle", "dashboard-delete", "prompt-form"):
        expect(ben_page.get_by_test_id(control)).to_have_count(0)
    for method, body in (("PATCH", {"name": "Mine now"}), ("PATCH", {"is_private": True}), ("DELETE", None)):
        status, answer = ben_page.evaluate(FETCH, [api, method, body])
        assert (status, answer["code"]) == (403, "forbidden"), (method, body, answer)
    status, answer = ben_page.evaluate(FETCH, [f"{api}restore/", "POST", {}])
    assert (status, answer["code"]) == (404, "not_found")
    board.refresh_from_db()
    assert (board.name, board.is_private, board.deleted_at) == ("Claims Q3", False, None)
    screenshot(ben_page, "view-only")

    # Private again: the other analyst gets 404, on the page and from the API.
    share.click()
    expect(share).to_have_text("Share (everyone can view)")
    expect(page.get_by_test_id("dashboard-privacy")).to_have_text("Private")
    assert ben_page.goto(url).status == 404
    ben_page.goto(f"{base}/")
    status, answer = ben_page.evaluate(FETCH, [api, "GET", None])
    assert (status, answer["code"]) == (404, "not_found")
    expect(ben_page.get_by_test_id("dashboard-link")).to_have_count(0)

    # Delete: the list, with a toast that undoes it.
    page.get_by_test_id("dashboard-delete").click()
    expect(page).to_have_url(f"{base}/")  # the Undo query is dropped: a reload offers nothing again
    toast = page.get_by_test_id("toast")
    expect(toast).to_contain_text("Deleted “Claims Q3”.")
    expect(toast.get_by_test_id("toast-undo")).to_be_focused()
    expect(page.get_by_test_id("dashboard-link")).to_have_count(0)
    deleted = page.get_by_test_id("deleted-dashboard")
    expect(deleted).to_have_count(1)
    expect(deleted).to_contain_text("Claims Q3")
    screenshot(page, "deleted-toast")
    assert ben_page.goto(url).status == 404  # deleted: not even a shared one would show
    toast.get_by_test_id("toast-undo").click()
    expect(toast).to_have_count(0)
    expect(page.get_by_test_id("dashboard-link")).to_have_text(["Claims Q3"])
    expect(page.get_by_test_id("dashboard-link")).to_be_focused()
    expect(page.get_by_test_id("recently-deleted")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("dashboard-link")).to_have_text(["Claims Q3"])
    expect(page.get_by_test_id("toast")).to_have_count(0)

    # Delete again, let the toast go: "Recently deleted" still has it, and Restore brings it back.
    page.get_by_test_id("dashboard-link").click()
    page.get_by_test_id("dashboard-delete").click()
    expect(toast).to_contain_text("Deleted “Claims Q3”.")
    page.get_by_test_id("toast-close").click()
    page.reload()
    expect(page.get_by_test_id("toast")).to_have_count(0)
    expect(page.get_by_test_id("dashboard-link")).to_have_count(0)
    expect(page.get_by_test_id("no-dashboards")).to_be_visible()
    expect(deleted).to_contain_text("Claims Q3")
    ben_page.goto(f"{base}/")
    expect(ben_page.get_by_test_id("recently-deleted")).to_have_count(0)  # only the owner sees it
    screenshot(page, "recently-deleted")
    deleted.get_by_test_id("dashboard-restore").click()
    expect(page.get_by_test_id("dashboard-link")).to_have_text(["Claims Q3"])
    expect(page.get_by_test_id("no-dashboards")).to_be_hidden()
    expect(page.get_by_test_id("list-status")).to_have_text("Restored “Claims Q3”.")
    page.get_by_test_id("dashboard-link").click()
    expect(title).to_have_text("Claims Q3")
    board.refresh_from_db()
    assert board.deleted_at is None
    assert errors == []


def test_undo_that_cannot_restore_says_why_and_stays(
    browser_page: Page, live_server: Any, ana: Any, screenshot: Shot,
) -> None:
    page, base = browser_page, live_server.url
    board = Dashboard.objects.create(owner=ana, name="Motor")
    log_in(page, base, "ana")
    page.goto(f"{base}/dashboards/{board.id}/")
    page.get_by_test_id("dashboard-delete").click()
    toast = page.get_by_test_id("toast")
    expect(toast).to_contain_text("Deleted “Motor”.")
    Dashboard.objects.create(owner=board.owner, name="Motor")  # the name is taken meanwhile
    toast.get_by_test_id("toast-undo").click()
    expect(toast).to_contain_text("You have another dashboard called 'Motor' now; rename it first.")
    expect(toast.get_by_test_id("toast-undo")).to_be_enabled()
    expect(page.get_by_test_id("deleted-dashboard")).to_have_count(1)
    screenshot(page, "undo-refused")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_page_head_wraps_and_stays_usable(
    browser_page: Page, live_server: Any, ana: Any, screenshot: Shot, width: int, height: int,
) -> None:
    page, base = browser_page, live_server.url
    board = Dashboard.objects.create(owner=ana, name="Quarterly claims by region and channel, motor and home")
    Dashboard.objects.create(owner=ana, name="Gone", deleted_at=board.created_at)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, base, "ana")
    page.goto(f"{base}/dashboards/{board.id}/")
    expect(page.get_by_test_id("dashboard-manage")).to_be_visible()
    # Nothing sticks out sideways: the elements past the screen's right edge, if any (their test ids or tags).
    sticking_out = """() => [...document.querySelectorAll("body *")]
      .filter((node) => node.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((node) => node.dataset.testid || node.id || node.tagName.toLowerCase() + "." + node.className)"""
    controls = ("rename-open", "share-toggle", "dashboard-delete")

    def within_the_screen() -> None:
        assert page.evaluate(sticking_out) == []
        for control in controls:
            box = page.get_by_test_id(control).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (control, box)
            assert box["height"] >= (36 if width < 480 else 24), (control, box)  # a finger can hit it on a phone

    screenshot(page, f"head-{width}")
    within_the_screen()
    page.get_by_test_id("rename-open").click()
    box = page.get_by_test_id("rename-input").bounding_box()
    assert box and box["width"] >= min(250, width - 60) and box["x"] + box["width"] <= width
    assert page.evaluate(sticking_out) == []
    screenshot(page, f"rename-{width}")
    page.get_by_test_id("rename-input").press("Escape")
    page.goto(f"{base}/")
    restore = page.get_by_test_id("dashboard-restore")
    expect(restore).to_be_visible()
    assert page.evaluate(sticking_out) == []
    box = restore.bounding_box()
    assert box and box["x"] + box["width"] <= width
    screenshot(page, f"list-{width}")
