"""Django admin under our Content-Security-Policy: the pages an admin uses raise no violation."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_pages_run_without_csp_violations(
    browser_page: Page, live_server: Any, django_user_model: Any, llm_routing: None
) -> None:
    from backend.llm.models import Tier

    django_user_model.objects.create_superuser(username="root", password="pw-root-123456")
    errors: list[str] = []
    browser_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_page.goto(f"{live_server.url}/admin/login/")
    browser_page.fill("#id_username", "root")
    browser_page.fill("#id_password", "pw-root-123456")
    browser_page.click("input[type=submit]")
    expect(browser_page.get_by_role("link", name="Tiers")).to_be_visible()
    tier = Tier.objects.get(name="fast")
    for path in ("/admin/", f"/admin/llm/tier/{tier.id}/change/", "/admin/llm/llmcall/",
                 "/admin/sql_gen/metricdefinition/add/"):
        browser_page.goto(live_server.url + path)
    browser_page.goto(f"{live_server.url}/admin/llm/tier/{tier.id}/change/")
    browser_page.locator(".add-row a").click()  # added by the admin's inlines.js: proof that scripts run
    expect(browser_page.locator("tr.dynamic-routes")).to_have_count(3)
    # The admin has no favicon link, so the browser asks for /favicon.ico; that 404 is not a violation.
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
