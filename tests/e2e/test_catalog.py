"""The catalog page in a real browser: it lists the metrics, starts a widget, and keeps to the page policy."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from sql_gen.models import MetricDefinition
from widgets.models import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-e2e-123456"
# Collected before any page script runs: every report of a refused script, style or request.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.effectiveDirective + " " + e.blockedURI));
"""


def test_the_catalog_lists_the_metrics_and_starts_a_widget(browser_page: Page, live_server: Any, demo_source: Any,
                                                           django_user_model: Any,
                                                           screenshot: Callable[[Page, str], Path]) -> None:
    user = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    board = Dashboard.objects.create(owner=user, name="Claims overview")
    Dashboard.objects.create(owner=user, name="Scratch")  # more recent: the catalog must not default to it
    page = browser_page
    page.add_init_script(WATCH_CSP)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/dashboards/{board.id}/")
    page.get_by_test_id("catalog-link").click()

    expect(page.get_by_role("heading", name="Metrics and dimensions")).to_be_visible()
    expect(page.get_by_test_id("catalog-chosen")).to_contain_text("Claims overview")
    names = list(MetricDefinition.objects.filter(source=demo_source).values_list("name", flat=True))
    expect(page.get_by_test_id("catalog-metric").locator("h3")).to_have_count(len(names))
    expect(page.get_by_test_id("catalog-dimension").filter(has_text="Under review")).to_have_count(1)
    assert page.evaluate("window.__csp") == []
    screenshot(page, "catalog")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "catalog-phone")

    page.locator("[data-testid=catalog-metric][data-key=total_paid]").get_by_test_id("build-with").click()
    expect(page.get_by_test_id("dashboard-name")).to_have_text("Claims overview")
    expect(page.get_by_test_id("prompt-input")).to_have_value("total paid by month over the last 12 months")
    assert page.evaluate("window.__csp") == []
